"""Read one HR75 Secretariat pledge document into a plain :class:`Document`.

The format (docs/model.md): a title naming the pledging entity, the month and year, three
header fields (original language, type of pledge, pledging entity), then numbered pledges,
each with its text, an optional declared word count and a "Sector and Rights-holders" line.
Parsing tolerates what real documents vary in (markdown bold or none, CRLF, non-breaking
spaces, leading blank lines, trailing spaces, separators) and is strict about what makes a
document a pledge document: anything else is a :class:`DocumentFormatError` naming the file,
the line and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pledge_graph.errors import DocumentFormatError, InputError
from pledge_graph.ingest.fields import QUOTE_CHARACTERS, bare, language_code, split_entities
from pledge_graph.ingest.inputs import decode_text, read_input
from pledge_graph.ingest.lines import FIELD_NAMES, TYPES_EXPECTED, Notice, Pledge, Reader

__all__ = [
    "UN_LANGUAGES",
    "Document",
    "Entity",
    "Notice",
    "Pledge",
    "decode_source",
    "parse_document",
    "read_document",
]

# ISO 639-1 code -> English name of the six official UN languages.
UN_LANGUAGES: dict[str, str] = {
    "ar": "Arabic",
    "zh": "Chinese",
    "en": "English",
    "fr": "French",
    "ru": "Russian",
    "es": "Spanish",
}

# ---------------------------------------------------------------------------------------
# Result types (the reader's Notice and Pledge, and these)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """A pledging entity, as written, and the line it is written on."""

    name: str
    line: int


@dataclass(frozen=True)
class Document:
    """Everything one pledge document states, with the lines it states it on."""

    file: str
    title: str
    title_line: int
    month: int
    year: int
    date_line: int
    language: str
    language_label: str
    language_line: int
    pledge_type: str
    pledge_type_label: str
    pledge_type_line: int
    entities: tuple[Entity, ...]
    pledges: tuple[Pledge, ...]
    notices: tuple[Notice, ...] = field(default=())


def _single_value(parser: Reader, name: str, value: str, line: int,
                  more: list[tuple[str, int]]) -> tuple[str, int]:
    """Return the value of a one-line header field, which may sit on the next line."""
    if not value and more:
        (value, line), more = more[0], more[1:]
    if more:
        raise parser.fail(f"unexpected text {more[0][0][:60]!r}", more[0][1],
                          f"one value for {FIELD_NAMES[name]} followed by a blank line")
    if not value:
        raise parser.fail(f"the field {FIELD_NAMES[name]} is empty", line,
                          f"a value after {FIELD_NAMES[name]}")
    return value.strip(QUOTE_CHARACTERS + " "), line


def _entities(parser: Reader, pledge_type: str, value: str, line: int,
              more: list[tuple[str, int]]) -> tuple[Entity, ...]:
    """Return the pledging entities of the header's entity field."""
    values = ([(value, line)] if value else []) + more
    if not values:
        raise parser.fail("the pledging entity is empty", line, "the name of the pledging entity")
    if pledge_type == "single":
        name = " ".join(v for v, _ in values).strip(QUOTE_CHARACTERS + " ")
        if ";" in name:
            parser.notices.append(Notice(parser.file, values[0][1],
                                         f"a single pledge names several entities: {name!r}"))
        return (Entity(name, values[0][1]),)
    if len(values) > 1:
        entities = [Entity(name, at) for v, at in values
                    for name in split_entities(re.sub(r"^[-*•]\s+", "", v))]
    else:
        entities = [Entity(name, line) for name in split_entities(value)]
    if len(entities) < 2:
        raise parser.fail("a joint pledge names only one pledging entity", line,
                          "several entities separated by semicolons")
    return tuple(entities)


_MAX_TITLE_NAMES = 256


def _check_title_entity(parser: Reader, title_entity: str, entities: Sequence[Entity],
                        title_line: int, joint: bool) -> None:
    """Note a title whose entity disagrees with the 'Pledging entity' field."""
    title = bare(title_entity).removeprefix("the ")
    # A document naming more entities than the UN has members is no real pledge: looking
    # for each of them in the title would take time in the product of their sizes.
    names = [bare(e.name).removeprefix("the ") for e in entities[:_MAX_TITLE_NAMES]]
    if joint:
        agrees = "several" in title or "joint" in title or any(n in title for n in names)
    else:
        agrees = title == names[0]
    if not agrees:
        parser.notices.append(Notice(
            parser.file, title_line,
            f"the title names {title_entity!r} but the pledging entity field says "
            + "; ".join(repr(e.name) for e in entities)))


def parse_document(text: str, *, file: str | Path) -> Document:
    """Parse the text of one pledge document; ``file`` is only used in messages."""
    parser = Reader(text, str(file))
    title, title_entity, title_line, month, year, date_line = parser.title()
    fields = parser.header()
    first_pledge_line = parser.line_number
    for name in ("language", "type", "entity"):
        if name not in fields:
            raise parser.fail(f"the field {FIELD_NAMES[name]} is missing", first_pledge_line,
                              f"{FIELD_NAMES[name]} before the first pledge")
    language_label, language_line = _single_value(parser, "language", *fields["language"])
    language = language_code(language_label)
    if language is None:
        raise parser.fail(f"unknown language {language_label!r}", language_line,
                          "one of the UN languages: " + ", ".join(sorted(UN_LANGUAGES.values())))
    type_label, type_line = _single_value(parser, "type", *fields["type"])
    bare_type = bare(type_label)
    if bare_type.startswith("single"):
        pledge_type = "single"
    elif bare_type.startswith("joint"):
        pledge_type = "joint"
    else:
        raise parser.fail(f"unknown pledge type {type_label!r}", type_line, TYPES_EXPECTED)
    entities = _entities(parser, pledge_type, *fields["entity"])
    _check_title_entity(parser, title_entity, entities, title_line, pledge_type == "joint")
    pledges = parser.pledges()
    return Document(
        file=str(file), title=title, title_line=title_line, month=month, year=year,
        date_line=date_line, language=language, language_label=language_label,
        language_line=language_line, pledge_type=pledge_type, pledge_type_label=type_label,
        pledge_type_line=type_line, entities=entities, pledges=tuple(pledges),
        notices=tuple(parser.notices))


def decode_source(data: bytes, *, file: str | Path) -> str:
    """Return the text of a document's bytes, which must be UTF-8 (a BOM is allowed) without
    the control characters :mod:`pledge_graph.ingest.inputs` refuses."""
    return decode_text(data, file=file, error=DocumentFormatError, what="the document")


def read_document(path: str | Path) -> Document:
    """Read and parse the pledge document at ``path`` (UTF-8, with or without a BOM)."""
    path = Path(path)
    data = read_input(path, error=InputError, what="the document",
                      expected="a readable pledge document")
    return parse_document(decode_source(data, file=path), file=path)
