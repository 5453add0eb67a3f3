"""Records written as YAML text: directly for the values records are made of, else by PyYAML.

An import writes every record it reads, so writing one is on the import's critical path;
PyYAML spends most of that time deciding, value by value, how to write things that almost
always take the simplest form. :func:`render_record` writes that form itself, exactly as
PyYAML's emitter does with the options of :func:`dump_record` (block style, width 100,
UTF-8 kept as written, pledge texts as literal blocks), and returns None for any record
holding a value it does not know the form of, which is then left to PyYAML.
The tests compare the two on every record of the corpora and on awkward values.
:func:`dump_record` writes any record: by :func:`render_record` when it can, else through
PyYAML (the records module re-exports it).

Measured against PyYAML (``bench/writers.py``, the 645 records of the generated 2,000-pledge
corpus, median of 5 runs on 2 shared CPUs at a load average of 5 to 8): this writer takes
0.16 s; PyYAML 6.0's LibYAML dumper (CSafeDumper) with the same options and literal blocks
0.57 s (3.5x) for the same text; ``safe_dump`` with CSafeDumper 0.61 s, and without literal
blocks the pledge texts become quoted strings curators would have to edit escaped. It stays
for the 3.5x on every import's writes; anything it does not know goes to PyYAML, and the
tests hold the two texts equal.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import yaml

__all__ = ["dump_record", "render_record"]

_WIDTH = 100

# Characters beyond ASCII that the emitter writes as they are: printable, not a line break,
# not a byte order mark (characters beyond the BMP go to PyYAML).
_WIDE = "\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
# Texts written plain (unquoted): no character that is an indicator where it stands (a
# colon or hash anywhere, quotes or '-' first...), no double space, no space at either end.
_PLAIN = re.compile(rf"[A-Za-z0-9($+=./<~{_WIDE}][ !\"$-9;-~{_WIDE}]*(?<! )")
# Lines of a pledge text written as a literal block: printable characters, no line that
# starts or ends with a space.
_LITERAL_LINE = re.compile(rf"(?:[!-~{_WIDE}](?:[ -~{_WIDE}]*[!-~{_WIDE}])?)?")
_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
# First characters of the plain scalars that may read back as another type than text.
_IMPLICIT_FIRST = frozenset(_RESOLVER.yaml_implicit_resolvers)


class _Unknown(Exception):
    """A value this writer does not know how to write exactly as PyYAML would."""


def render_record(record: dict[str, Any]) -> str | None:
    """Return the YAML text PyYAML writes for ``record``, or None if it holds a value of
    a form not covered here."""
    out: list[str] = []
    try:
        _mapping(record, 0, out, "", ())
    except _Unknown:
        return None
    return "".join(out)


def _mapping(mapping: dict[str, Any], indent: int, out: list[str], first: str,
             path: tuple[str, ...]) -> None:
    """Write a block mapping whose keys start at ``indent``; the first key follows
    ``first`` (a sequence's '- ') on the current line."""
    if not mapping:
        raise _Unknown("an empty mapping")
    pad = " " * indent
    lead = first
    for key, value in mapping.items():
        if key not in _KEYS:
            if type(key) is not str or _quote(key) != "" or len(key) > 100:
                raise _Unknown(key)
            _KEYS.add(key)
        out.append(lead or pad)
        lead = ""
        out.append(key)
        out.append(":")
        kind = type(value)
        if kind is dict:
            if not value:
                out.append(" {}\n")
            else:
                out.append("\n")
                _mapping(value, indent + 2, out, "", path)
        elif kind is list:
            if not value:
                out.append(" []\n")
            else:
                out.append("\n")
                _sequence(value, indent, out, (*path, key) if len(path) < 2 else path)
        elif key == "text" and path == ("pledges",) and kind is str:
            _literal(value, indent + 2, out)
        else:
            _scalar(value, indent + len(key) + 1, indent + 2, out)


def _sequence(items: list[Any], indent: int, out: list[str], path: tuple[str, ...]) -> None:
    """Write a block sequence whose dashes are at ``indent`` (under a mapping's key)."""
    pad = " " * indent
    for item in items:
        kind = type(item)
        if kind is dict and item:
            _mapping(item, indent + 2, out, pad + "- ", path)
        elif kind is dict or kind is list:
            raise _Unknown("a collection in a sequence")
        else:
            out.append(pad)
            out.append("-")
            _scalar(item, indent + 1, indent + 2, out)


def _scalar(value: Any, column: int, indent: int, out: list[str]) -> None:
    """Write a scalar after a space; ``column`` is where the space goes. A long text is
    folded at single spaces onto lines indented by ``indent``."""
    kind = type(value)
    if kind is str:
        quote = _QUOTES.get(value)
        if quote is None:
            quote = _quote(value)
            if len(value) <= 40:
                _QUOTES[value] = quote
        if column + 1 + len(value) + 2 * len(quote) <= _WIDTH:  # too short to be folded
            out.append(f" {quote}{value}{quote}\n")
        else:
            _folded(value, column, indent, out, quote)
    elif value is None:
        out.append(" null\n")
    elif kind is bool:
        out.append(" true\n" if value else " false\n")
    elif kind is int:
        out.append(f" {value}\n")
    else:
        raise _Unknown(kind)


def _quote(text: str) -> str:
    """Return the quote ``text`` is written in: none, or "'" for a text that would read as
    another type ('1000000', 'null'); raise _Unknown for a text of another form."""
    if not _is_plain(text):
        raise _Unknown(text)
    if _reads_as_text(text):
        return ""
    if "'" in text:
        raise _Unknown(text)
    return "'"


# Keys and short values already known to take a given form: records repeat them.
_KEYS: set[str] = set()
_QUOTES: dict[str, str] = {}


def _is_plain(text: str) -> bool:
    """Return True if ``text`` is made of the characters written plain here."""
    return (bool(_PLAIN.fullmatch(text)) and "  " not in text and "#" not in text
            and not text.startswith("..."))


def _reads_as_text(text: str) -> bool:
    """Return True if ``text`` written plain reads back as a text (not 'null', '12'...)."""
    return (text[0] not in _IMPLICIT_FIRST
            or _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR)


def _folded(text: str, column: int, indent: int, out: list[str], quote: str) -> None:
    """Write ``text`` after a space, breaking the line at a space once it is past the width
    (as the emitter does: the word that crosses the width ends its line)."""
    out.append(" ")
    out.append(quote)
    column += 1 + len(quote)
    words = text.split(" ")
    for number, word in enumerate(words):
        if number:
            if column > _WIDTH:
                out.append("\n")
                out.append(" " * indent)
                column = indent
            else:
                out.append(" ")
                column += 1
        out.append(word)
        column += len(word)
    out.append(quote)
    out.append("\n")


def _literal(text: str, indent: int, out: list[str]) -> None:
    """Write a pledge text as a literal block ('|-'), lines indented by ``indent``."""
    if not text or text[-1] == "\n" or text[0] == "\n":
        raise _Unknown("a text starting or ending with a line break")
    lines = text.split("\n")
    if not all(_LITERAL_LINE.fullmatch(line) for line in lines):
        raise _Unknown(text)
    out.append(" |-\n")
    pad = " " * indent
    for line in lines:
        if line:
            out.append(pad)
            out.append(line)
        out.append("\n")


# ---------------------------------------------------------------------------------------
# Records of other forms: the YAML events PyYAML's representer makes, or PyYAML itself
# ---------------------------------------------------------------------------------------

# LibYAML's writer when PyYAML was built with it: records are written on every import.
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
Record = dict[str, Any]


class _Unusual(Exception):
    """A record holds a value the event writer leaves to PyYAML's representer."""


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Writes records for people: pledge texts as literal blocks, no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Block(str):
    """A text written as a literal block, so curators edit it without quoting."""


def _represent_block(dumper: Any, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


_Dumper.add_representer(_Block, _represent_block)

_DUMP_OPTIONS: dict[str, Any] = {"allow_unicode": True, "width": 100}


def _plain_is_str(value: str) -> bool:
    """Return True if ``value`` written plain reads back as a string (not 'null', '12'...)."""
    if value and value[0] not in _IMPLICIT_FIRST:
        return True
    return bool(_RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR)


def _scalar_event(value: Any, style: str | None = None) -> yaml.ScalarEvent:
    kind = type(value)
    if kind is str:
        return yaml.ScalarEvent(None, _STR, (_plain_is_str(value), True), value, style=style)
    if value is None:
        return yaml.ScalarEvent(None, "tag:yaml.org,2002:null", (True, False), "null")
    if kind is bool:
        return yaml.ScalarEvent(None, "tag:yaml.org,2002:bool", (True, False),
                                "true" if value else "false")
    if kind is int:
        return yaml.ScalarEvent(None, "tag:yaml.org,2002:int", (True, False), str(value))
    raise _Unusual(kind)


def _events(value: Any, path: tuple[str, ...] = ()) -> Iterator[yaml.Event]:
    """The YAML events PyYAML's safe representer would make of ``value``, made directly."""
    kind = type(value)
    if kind is dict:
        yield yaml.MappingStartEvent(None, "tag:yaml.org,2002:map", True, flow_style=False)
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual(type(key))
            yield _scalar_event(key)
            if key == "text" and path == ("pledges",) and type(item) is str:
                yield _scalar_event(item, "|")
            else:
                yield from _events(item, (*path, key) if len(path) < 2 else path)
        yield yaml.MappingEndEvent()
    elif kind is list:
        yield yaml.SequenceStartEvent(None, "tag:yaml.org,2002:seq", True, flow_style=False)
        for item in value:
            yield from _events(item, path)
        yield yaml.SequenceEndEvent()
    else:
        yield _scalar_event(value)


def _document(record: Record) -> Iterator[yaml.Event]:
    yield yaml.StreamStartEvent()
    yield yaml.DocumentStartEvent(explicit=False)
    yield from _events(record)
    yield yaml.DocumentEndEvent(explicit=False)
    yield yaml.StreamEndEvent()


def dump_record(record: Record) -> str:
    """Return the YAML text of a record, fields in the schema's order.

    Records are written on every import, so the usual record is written directly
    (:mod:`pledge_graph.records.record_yaml`), an unusual one by handing the YAML events to the
    emitter (the same ones PyYAML's representer makes), and a record holding any other
    type of value goes through the representer. The text is the same either way.
    """
    text = render_record(record)
    if text is not None:
        return text
    try:
        return str(yaml.emit(_document(record), Dumper=_BaseDumper, **_DUMP_OPTIONS))
    except _Unusual:
        pass
    record = copy.deepcopy(record)
    for pledge in record.get("pledges", []):
        if isinstance(pledge.get("text"), str):
            pledge["text"] = _Block(pledge["text"])
    return yaml.dump(record, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     **_DUMP_OPTIONS)
