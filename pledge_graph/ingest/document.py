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
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pledge_graph.errors import DocumentFormatError, InputError
from pledge_graph.ingest.inputs import decode_text, read_input

__all__ = [
    "UN_LANGUAGES",
    "Document",
    "Entity",
    "Notice",
    "Pledge",
    "decode_source",
    "language_code",
    "parse_document",
    "parse_month_year",
    "read_document",
    "split_entities",
    "split_labels",
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
# Result types
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A problem worth a curator's attention that does not stop the import."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Entity:
    """A pledging entity, as written, and the line it is written on."""

    name: str
    line: int


@dataclass(frozen=True)
class Pledge:
    """One numbered pledge; ``rights_holders_text`` is the raw value of its label line."""

    number: int
    line: int
    text: str
    declared_words: int | None
    rights_holders_text: str | None
    rights_holders_line: int | None

    @property
    def computed_words(self) -> int:
        """The number of whitespace-separated words of the text."""
        return len(self.text.split())


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


# ---------------------------------------------------------------------------------------
# Text normalisation shared by the matchers
# ---------------------------------------------------------------------------------------

_QUOTES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
}
_DASHES = {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"}


def _fold_char(char: str) -> str:
    """Return the comparison form of one character (spaces, quotes, dashes, case, '&')."""
    if char.isspace():
        return " "
    if char == "&":
        return " and "
    return _QUOTES.get(char) or _DASHES.get(char) or char.casefold()


def _fold(text: str) -> str:
    """Return ``text`` in the form labels and names are compared in."""
    return " ".join("".join(_fold_char(c) for c in text).split())


def _fold_with_index(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for each folded character, its index in ``text``."""
    if text.isascii():
        return _fold_ascii_with_index(text)
    out: list[str] = []
    origin: list[int] = []
    folded = _FOLDED
    space = True  # no leading space
    for index, char in enumerate(text):
        pieces = folded.get(char)
        if pieces is None:
            pieces = folded[char] = _fold_char(char)
        if len(pieces) == 1 and pieces != " ":
            out.append(pieces)
            origin.append(index)
            space = False
            continue
        for piece in pieces:
            if piece == " " and space:
                continue
            out.append(piece)
            origin.append(index)
            space = piece == " "
    return "".join(out), origin


# Character -> its folded form, filled as characters are met (their set is small).
_FOLDED: dict[str, str] = {}
_ASCII_PIECES = re.compile(r"(\s+)|(&)|[^\s&]+")


def _fold_ascii_with_index(text: str) -> tuple[str, list[int]]:
    """:func:`_fold_with_index` of an ASCII text, a run of characters at a time."""
    out: list[str] = []
    origin: list[int] = []
    lowered = text.lower()
    space = True  # no leading space
    for piece in _ASCII_PIECES.finditer(text):
        start, end = piece.span()
        if piece.group(1) is not None:  # white space: one space
            if not space:
                out.append(" ")
                origin.append(start)
                space = True
        elif piece.group(2) is not None:  # '&' reads as ' and '
            if not space:
                out.append(" ")
                origin.append(start)
            out.append("and ")
            origin.extend((start, start, start, start))
            space = True
        else:
            out.append(lowered[start:end])
            origin.extend(range(start, end))
            space = False
    return "".join(out), origin


def _bare(text: str) -> str:
    """Return ``text`` without accents, case or surrounding quotes: the key of name tables."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _fold(text).strip(" \"'.")


# ---------------------------------------------------------------------------------------
# Languages and dates
# ---------------------------------------------------------------------------------------

_LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("English", "Anglais", "Inglés", "Английский", "الإنجليزية", "الإنكليزية",
           "英文", "英语", "英語"),
    "fr": ("French", "Français", "Francés", "Французский", "الفرنسية", "法文", "法语", "法語"),
    "es": ("Spanish", "Español", "Espagnol", "Испанский", "الإسبانية", "西班牙文", "西班牙语",
           "西班牙語"),
    "ru": ("Russian", "Русский", "Russe", "Ruso", "الروسية", "俄文", "俄语", "俄語"),
    "ar": ("Arabic", "العربية", "Arabe", "Árabe", "Арабский", "阿拉伯文", "阿拉伯语",
           "阿拉伯語"),
    "zh": ("Chinese", "中文", "汉语", "漢語", "Chinois", "Chino", "Китайский", "الصينية"),
}
_LANGUAGE_BY_NAME = {_bare(name): code for code, names in _LANGUAGE_NAMES.items()
                     for name in names}

_MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("January", "Jan", "janvier", "enero", "январь", "января", "يناير", "كانون الثاني"),
    ("February", "Feb", "février", "febrero", "февраль", "февраля", "فبراير", "شباط"),
    ("March", "Mar", "mars", "marzo", "март", "марта", "مارس", "آذار"),
    ("April", "Apr", "avril", "abril", "апрель", "апреля", "أبريل", "نيسان"),
    ("May", "mai", "mayo", "май", "мая", "مايو", "أيار"),
    ("June", "Jun", "juin", "junio", "июнь", "июня", "يونيو", "حزيران"),
    ("July", "Jul", "juillet", "julio", "июль", "июля", "يوليو", "تموز"),
    ("August", "Aug", "août", "agosto", "август", "августа", "أغسطس", "آب"),
    ("September", "Sep", "Sept", "septembre", "septiembre", "setiembre", "сентябрь",
     "сентября", "سبتمبر", "أيلول"),
    ("October", "Oct", "octobre", "octubre", "октябрь", "октября", "أكتوبر", "تشرين الأول"),
    ("November", "Nov", "novembre", "noviembre", "ноябрь", "ноября", "نوفمبر",
     "تشرين الثاني"),
    ("December", "Dec", "décembre", "diciembre", "декабрь", "декабря", "ديسمبر",
     "كانون الأول"),
)
_MONTH_BY_NAME = {_bare(name): number for number, names in enumerate(_MONTH_NAMES, start=1)
                  for name in names}

_DATE_NAMED = re.compile(
    r"^(?:\d{1,2}\s+(?:de\s+)?)?(?P<month>\D+?)\s+(?:de\s+|del\s+)?(?P<year>\d{4})"
    r"(?:\s*(?:г|года)\.?)?$",
    re.IGNORECASE)
_DATE_NUMERIC = re.compile(r"^(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月$")
_DATE_EXPECTED = "the month and year, e.g. 'December 2023'"


def language_code(label: str) -> str | None:
    """Return the ISO 639-1 code of a UN language named in any UN language, else None."""
    return _LANGUAGE_BY_NAME.get(_bare(label))


def parse_month_year(text: str) -> tuple[int, int] | None:
    """Return ``(month, year)`` of a date line such as 'December 2023', else None."""
    # White space made single first: the month name is matched lazily before it, which
    # would take time in the square of a long run of spaces.
    text = " ".join(_strip_bold(text).split()).rstrip(".").strip()
    match = _DATE_NUMERIC.match(text)
    if match:
        month, year = int(match["month"]), int(match["year"])
        return (month, year) if 1 <= month <= 12 else None
    match = _DATE_NAMED.match(text)
    if match:
        month_number = _MONTH_BY_NAME.get(_bare(match["month"]))
        if month_number is not None:
            return month_number, int(match["year"])
    return None


# ---------------------------------------------------------------------------------------
# Pledging entities
# ---------------------------------------------------------------------------------------

_ENTITY_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s+&\s+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _state_names() -> frozenset[str]:
    """Folded names of all ISO 3166 countries, whose commas and 'and's never separate."""
    import pycountry

    names: set[str] = set()
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names.add(_fold(value))
    return frozenset(names)


@lru_cache(maxsize=1)
def _longest_state_name() -> int:
    return max(map(len, _state_names()))


_SPACE_RUN = re.compile(r"\s+")


def _split_outside_parentheses(text: str) -> tuple[list[str], list[str]]:
    """Split ``text`` on entity separators that are not inside parentheses."""
    pieces: list[str] = []
    separators: list[str] = []
    depth, start, position = 0, 0, 0
    while position < len(text):
        char = text[position]
        depth += char == "("
        depth -= char == ")" and depth > 0
        match = _ENTITY_SEPARATOR.match(text, position) if depth == 0 else None
        if match and match.end() > position and position > start:
            pieces.append(text[start:position])
            separators.append(match.group())
            start = position = match.end()
            continue
        if match is None and char.isspace():
            # Every separator starts by taking the whole run of white space: where none
            # matches at its first space, none matches at the others (linear time).
            position = _SPACE_RUN.match(text, position).end()  # type: ignore[union-attr]
            continue
        position += 1
    pieces.append(text[start:])
    return pieces, separators


def _mapped(text: str) -> str:
    """``text`` with each character in its comparison form and runs of spaces made one:
    joined with others and split on white space, it gives :func:`_fold` of the whole."""
    return re.sub(" +", " ", "".join(_fold_char(c) for c in text))


def _is_state_name(mapped: str) -> bool:
    folded = " ".join(mapped.split())
    return folded in _state_names() or folded.removeprefix("the ") in _state_names()


def split_entities(value: str) -> list[str]:
    """Split the entity list of a joint pledge into names, as written.

    Semicolons separate when present. Otherwise commas, 'and' and '&' separate, except
    inside parentheses ('Bolivia (Plurinational State of)') and inside a country name
    that contains them ('Saint Kitts and Nevis', 'Korea, Republic of').
    """
    if ";" in value:
        names = value.split(";")
    else:
        pieces, separators = _split_outside_parentheses(value)
        parts = [_mapped(piece) for piece in pieces]
        joints = [_mapped(separator) for separator in separators]
        names = []
        index = 0
        while index < len(pieces):
            end = index
            for candidate in reversed(_reach(parts, joints, index)):
                mapped = parts[index] + "".join(
                    joints[k] + parts[k + 1] for k in range(index, candidate))
                if _is_state_name(mapped):
                    end = candidate
                    break
            names.append(pieces[index] + "".join(
                separators[k] + pieces[k + 1] for k in range(index, end)))
            index = end + 1
    cleaned = [re.sub(r"^(?:and|&)\s+", "", name.strip(), flags=re.IGNORECASE)
               .rstrip(" .").strip(_QUOTE_CHARACTERS + " ") for name in names]
    return [name for name in cleaned if name]


def _reach(parts: list[str], joints: list[str], index: int) -> list[int]:
    """The pieces after ``index`` that a State's name starting at ``index`` might end at.

    Every separator and every piece after the first holds a character that is not a space,
    and folding never removes one, so a name of more such characters than the longest
    State's name (and 'the ') is no State's: the search stops there, keeping entity lists
    linear in their length.
    """
    limit = _longest_state_name() + len("the ")
    weight = len(parts[index].replace(" ", ""))
    candidates = []
    for candidate in range(index + 1, len(parts)):
        weight += (len(joints[candidate - 1].replace(" ", ""))
                   + len(parts[candidate].replace(" ", "")))
        if weight > limit:
            break
        candidates.append(candidate)
    return candidates


# ---------------------------------------------------------------------------------------
# Rights-holder labels
# ---------------------------------------------------------------------------------------

_LABEL_SEPARATORS = " ,;.\""  # after folding, typographic quotes are '"' too
_QUOTE_CHARACTERS = "\"'\u2018\u2019\u201c\u201d\u00ab\u00bb"


def split_labels(text: str, known_labels: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split a "Sector and Rights-holders" value into known labels and unknown fragments.

    Controlled labels contain commas ('Judges, lawyers and prosecutors'), so the value is
    never split on commas first: at each position the longest known label that matches
    (ignoring case, spacing, non-breaking spaces, typographic quotes, '&' versus 'and') is
    taken, and returned as the label's own text (the one written, when two labels differ
    only in such details). Text no label matches is cut at the next ',' or ';' and returned
    as written, without its trailing full stop. Both lists keep document order and hold each
    entry once.
    """
    matched, unknown = _split_labels(text, tuple(known_labels))
    return list(matched), list(unknown)


@lru_cache(maxsize=4096)
def _split_labels(text: str, known_labels: tuple[str, ...]) -> tuple[tuple[str, ...],
                                                                      tuple[str, ...]]:
    """:func:`split_labels`, remembered: the same few values recur across many pledges."""
    by_key, keys = _label_index(known_labels)
    folded, origin = _fold_with_index(text)
    matched: list[str] = []
    unknown: list[str] = []
    seen: set[str] = set()  # the unknown fragments, for a membership test in constant time
    position = 0
    while position < len(folded):
        if folded[position] in _LABEL_SEPARATORS:
            position += 1
            continue
        key = _label_at(folded, position, keys)
        if key is not None:
            written = text[origin[position]:origin[position + len(key) - 1] + 1]
            labels = by_key[key]
            written = " ".join(written.split()).casefold()
            label = next((c for c in labels if " ".join(c.split()).casefold() == written),
                         labels[0])
            if label not in matched:
                matched.append(label)
            position += len(key)
            continue
        end = position
        while end < len(folded) and folded[end] not in ",;":
            end += 1
        stop = origin[end] if end < len(folded) else len(text)
        fragment = text[origin[position]:stop].strip().rstrip(".").strip(_QUOTE_CHARACTERS + " ")
        if fragment and fragment not in seen:
            seen.add(fragment)
            unknown.append(fragment)
        position = end
    return tuple(matched), tuple(unknown)


@lru_cache(maxsize=8)
def _label_index(labels: tuple[str, ...]) -> tuple[dict[str, list[str]], list[str]]:
    """Return folded label -> labels, and the folded labels longest first."""
    by_key: dict[str, list[str]] = {}
    for label in labels:
        if _fold(label):
            by_key.setdefault(_fold(label), []).append(label)
    return by_key, sorted(by_key, key=len, reverse=True)


def _label_at(folded: str, position: int, keys: Sequence[str]) -> str | None:
    """Return the longest folded label starting at ``position`` and ending on a boundary."""
    for key in keys:
        if folded.startswith(key, position):
            after = position + len(key)
            if after == len(folded) or folded[after] in _LABEL_SEPARATORS or not key[-1].isalnum():
                return key
    return None


# ---------------------------------------------------------------------------------------
# Lines of the format
# ---------------------------------------------------------------------------------------

_BOLD = r"(?:\*\*|__)"


# Runs of white space are taken whole (possessive '*+'), where what follows cannot begin
# with a space: otherwise a line of many spaces takes time in the square of their number.
def _field_pattern(label: str) -> re.Pattern[str]:
    return re.compile(
        rf"^\s*+{_BOLD}?\s*+(?:{label})\s*+{_BOLD}?\s*+[:：]\s*+{_BOLD}?\s*+(?P<value>.*)$",
        re.IGNORECASE)


_LANGUAGE_FIELD = _field_pattern(r"original\s+language(?:\s+of\s+(?:the\s+)?submission)?")
_TYPE_FIELD = _field_pattern(r"type\s+of\s+pledge|pledge\s+type")
_ENTITY_FIELD = _field_pattern(r"pledging\s+entit(?:y|ies)")
_RIGHTS_FIELD = _field_pattern(r"(?:sectors?\s+and\s+)?rights?[\s\-\u2010-\u2013]*holders?")
_PLEDGE_HEADER = re.compile(
    rf"^\s*+(?P<bold>{_BOLD})?\s*+pledge\s++number\s*+(?P<number>\d+)\s*+"
    rf"(?(bold)(?:[:：]\s*+{_BOLD}|{_BOLD}\s*+[:：]|{_BOLD}|[:：])|[:：])\s*+(?P<rest>.*)$",
    re.IGNORECASE)
# What is meant as a pledge header even if malformed: bold, in capitals, or with a colon
# after one word; "Pledge number 2 of the plan was..." in a pledge's text is not one.
_PLEDGE_HEADER_LOOSE = re.compile(
    rf"^\s*(?:{_BOLD}\s*(?i:pledge\s+number)|PLEDGE\s+NUMBER"
    rf"|(?i:pledge\s+number)\s*\S*\s*[:：])")
_TITLE_START = re.compile(rf"^\s*+(?:#+\s*+)?{_BOLD}?\s*+pledge\s++submitted\s++by\b",
                          re.IGNORECASE)
_TITLE = re.compile(
    r"^(?P<title>pledge\s+submitted\s+by\s+(?P<entity>.+?)\s+to\s+the\s+"
    r"(?:human\s+rights\s*75(?:\s*\(hr\s*75\))?|hr\s*75)\s+secretariat)\b"
    r"[\s.,:;\-\u2013\u2014]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL)
# The declared word count ends a pledge's text: matched from the last opening bracket only.
_WORD_COUNT = re.compile(r"[(\[]\s*+(?P<count>\d+)\s++words?\.?\s*+[)\]]\.?\s*+\Z",
                         re.IGNORECASE)
_HEADER_FIELDS = {"language": _LANGUAGE_FIELD, "type": _TYPE_FIELD, "entity": _ENTITY_FIELD}
_FIELD_NAMES = {
    "language": "'Original language of submission:'",
    "type": "'Type of pledge:'",
    "entity": "'Pledging entity:'",
}
_TYPES_EXPECTED = "'Single (by one state/actor)' or 'Joint (by several states/actors)'"


_MAX_DIGITS = 9  # of a pledge number or a word count: beyond any document


def _strip_bold(text: str) -> str:
    return re.sub(rf"^\s*{_BOLD}|{_BOLD}\s*$", "", text)


def _is_structural(line: str) -> bool:
    """Return True for a line that starts a field or a pledge (ends a free-text block)."""
    return bool(any(p.match(line) for p in _HEADER_FIELDS.values())
                or _RIGHTS_FIELD.match(line) or _PLEDGE_HEADER_LOOSE.match(line))


def _lines(text: str) -> list[str]:
    """Split on any line ending and drop trailing whitespace, as the record keeps text."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.split("\n")]


# ---------------------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------------------


class _Parser:
    """Walks a document's lines once; every error names ``file`` and the current line."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.lines = _lines(text)
        self.position = 0
        self.notices: list[Notice] = []

    def fail(self, message: str, line: int, expected: str) -> DocumentFormatError:
        return DocumentFormatError(message, file=self.file, line=line, expected=expected)

    def skip_blank(self) -> None:
        while self.position < len(self.lines) and not self.lines[self.position].strip():
            self.position += 1

    def at_end(self) -> bool:
        return self.position >= len(self.lines)

    @property
    def line_number(self) -> int:
        return min(self.position, len(self.lines) - 1) + 1

    def title(self) -> tuple[str, str, int, int, int, int]:
        """Read the title block; return title, entity, title line, month, year, date line."""
        self.skip_blank()
        if self.at_end():
            raise self.fail("the document is empty", 1, "a pledge document")
        start = self.position
        if not _TITLE_START.match(self.lines[start]):
            raise self.fail("this is not a pledge document title", start + 1,
                            "'Pledge submitted by <entity> to the Human Rights 75 Secretariat'")
        block = []
        while (self.position < len(self.lines) and self.lines[self.position].strip()
               and (self.position == start or not _is_structural(self.lines[self.position]))):
            block.append(self.position)
            self.position += 1
        joined = " ".join(re.sub(r"\*\*", "", self.lines[i]).strip().lstrip("#").strip()
                          for i in block)
        match = _TITLE.match(" ".join(joined.split()))
        if not match:
            raise self.fail("the title does not name the pledging entity", start + 1,
                            "'Pledge submitted by <entity> to the Human Rights 75 Secretariat'")
        rest = match["rest"].strip()
        date_line = block[-1] + 1
        if not rest:
            self.skip_blank()
            if self.at_end() or _is_structural(self.lines[self.position]):
                raise self.fail("the month and year are missing", self.line_number,
                                f"a date line after the title, {_DATE_EXPECTED}")
            rest = self.lines[self.position]
            date_line = self.position + 1
            self.position += 1
        date = parse_month_year(rest)
        if date is None:
            raise self.fail(f"bad date {_strip_bold(rest).strip()!r}", date_line, _DATE_EXPECTED)
        return match["title"], match["entity"], start + 1, date[0], date[1], date_line

    def header(self) -> dict[str, tuple[str, int, list[tuple[str, int]]]]:
        """Read the header fields up to the first pledge: name -> (value, line, more lines)."""
        found: dict[str, tuple[str, int, list[tuple[str, int]]]] = {}
        while True:
            self.skip_blank()
            if self.at_end() or _PLEDGE_HEADER_LOOSE.match(self.lines[self.position]):
                return found
            line = self.lines[self.position]
            name = next((n for n, p in _HEADER_FIELDS.items() if p.match(line)), None)
            if name is None:
                raise self.fail(f"unexpected text {line.strip()[:60]!r}", self.position + 1,
                                "a header field (" + ", ".join(_FIELD_NAMES.values())
                                + ") or 'PLEDGE NUMBER 1:'")
            if name in found:
                raise self.fail(f"{_FIELD_NAMES[name]} is given twice", self.position + 1,
                                "each header field once")
            match = _HEADER_FIELDS[name].match(line)
            assert match is not None
            value_line = self.position + 1
            self.position += 1
            if not _strip_bold(match["value"]).strip():
                self.skip_blank()  # the value may follow on the next lines
            more: list[tuple[str, int]] = []
            while (self.position < len(self.lines) and self.lines[self.position].strip()
                   and not _is_structural(self.lines[self.position])):
                more.append((_strip_bold(self.lines[self.position]).strip(), self.position + 1))
                self.position += 1
            found[name] = (_strip_bold(match["value"]).strip(), value_line, more)

    def pledges(self) -> list[Pledge]:
        """Read the numbered pledges to the end of the document."""
        pledges: list[Pledge] = []
        self.skip_blank()
        while not self.at_end():
            line = self.lines[self.position]
            header = _PLEDGE_HEADER.match(line)
            if header is None:
                expected = f"'PLEDGE NUMBER {len(pledges) + 1}:'"
                if _PLEDGE_HEADER_LOOSE.match(line):
                    raise self.fail("malformed pledge header", self.position + 1,
                                    f"{expected} with a number")
                raise self.fail(f"unexpected text {line.strip()[:60]!r}", self.position + 1,
                                f"{expected} or the end of the document")
            pledges.append(self.pledge(header, len(pledges) + 1))
            self.skip_blank()
        if not pledges:
            last = max((i for i, text in enumerate(self.lines) if text.strip()), default=0)
            raise self.fail("the document has no pledge", last + 1,
                            "at least one 'PLEDGE NUMBER 1:' with the pledge's text")
        return pledges

    def pledge(self, header: re.Match[str], expected_number: int) -> Pledge:
        """Read one pledge whose header line is the current line."""
        line = self.position + 1
        digits = header["number"].lstrip("0") or "0"
        number = int(digits) if len(digits) <= _MAX_DIGITS else -1
        if number != expected_number:
            if number < 0:
                raise self.fail(f"pledge number of {len(digits)} digits", line,
                                f"'PLEDGE NUMBER {expected_number}:' (pledges are numbered "
                                "1, 2, 3…)")
            problem = "duplicate" if number < expected_number else "non-sequential"
            raise self.fail(f"{problem} pledge number {number}", line,
                            f"'PLEDGE NUMBER {expected_number}:' (pledges are numbered 1, 2, 3…)")
        body = [header["rest"].strip()]
        self.position += 1
        while (self.position < len(self.lines)
               and not _RIGHTS_FIELD.match(self.lines[self.position])
               and not _PLEDGE_HEADER_LOOSE.match(self.lines[self.position])):
            body.append(self.lines[self.position])
            self.position += 1
        text = "\n".join(body).strip("\n")
        declared = None
        count = _WORD_COUNT.match(text, max(text.rfind("("), text.rfind("["), 0))
        if count:
            if len(count["count"]) > _MAX_DIGITS:
                raise self.fail(f"pledge {number} declares a word count of "
                                f"{len(count['count'])} digits", line,
                                f"a word count of at most {_MAX_DIGITS} digits")
            declared = int(count["count"])
            text = text[:count.start()].rstrip()
        if not text.strip():
            raise self.fail(f"pledge {number} has no text", line,
                            f"the text of the pledge after 'PLEDGE NUMBER {number}:'")
        labels, labels_line = self.rights_holders()
        if labels is None:
            self.notices.append(Notice(self.file, line,
                                       f"pledge {number} has no 'Sector and Rights-holders:' line"))
        return Pledge(number, line, text, declared, labels, labels_line)

    def rights_holders(self) -> tuple[str | None, int | None]:
        """Read a "Sector and Rights-holders" value (it may wrap over several lines)."""
        if self.at_end() or not _RIGHTS_FIELD.match(self.lines[self.position]):
            return None, None
        match = _RIGHTS_FIELD.match(self.lines[self.position])
        assert match is not None
        line = self.position + 1
        parts = [_strip_bold(match["value"]).strip()]
        self.position += 1
        while (self.position < len(self.lines) and self.lines[self.position].strip()
               and not _is_structural(self.lines[self.position])):
            parts.append(_strip_bold(self.lines[self.position]).strip())
            self.position += 1
        return " ".join(p for p in parts if p), line


def _single_value(parser: _Parser, name: str, value: str, line: int,
                  more: list[tuple[str, int]]) -> tuple[str, int]:
    """Return the value of a one-line header field, which may sit on the next line."""
    if not value and more:
        (value, line), more = more[0], more[1:]
    if more:
        raise parser.fail(f"unexpected text {more[0][0][:60]!r}", more[0][1],
                          f"one value for {_FIELD_NAMES[name]} followed by a blank line")
    if not value:
        raise parser.fail(f"the field {_FIELD_NAMES[name]} is empty", line,
                          f"a value after {_FIELD_NAMES[name]}")
    return value.strip(_QUOTE_CHARACTERS + " "), line


def _entities(parser: _Parser, pledge_type: str, value: str, line: int,
              more: list[tuple[str, int]]) -> tuple[Entity, ...]:
    """Return the pledging entities of the header's entity field."""
    values = ([(value, line)] if value else []) + more
    if not values:
        raise parser.fail("the pledging entity is empty", line, "the name of the pledging entity")
    if pledge_type == "single":
        name = " ".join(v for v, _ in values).strip(_QUOTE_CHARACTERS + " ")
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


def _check_title_entity(parser: _Parser, title_entity: str, entities: Sequence[Entity],
                        title_line: int, joint: bool) -> None:
    """Note a title whose entity disagrees with the 'Pledging entity' field."""
    title = _bare(title_entity).removeprefix("the ")
    # A document naming more entities than the UN has members is no real pledge: looking
    # for each of them in the title would take time in the product of their sizes.
    names = [_bare(e.name).removeprefix("the ") for e in entities[:_MAX_TITLE_NAMES]]
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
    parser = _Parser(text, str(file))
    title, title_entity, title_line, month, year, date_line = parser.title()
    fields = parser.header()
    first_pledge_line = parser.line_number
    for name in ("language", "type", "entity"):
        if name not in fields:
            raise parser.fail(f"the field {_FIELD_NAMES[name]} is missing", first_pledge_line,
                              f"{_FIELD_NAMES[name]} before the first pledge")
    language_label, language_line = _single_value(parser, "language", *fields["language"])
    language = language_code(language_label)
    if language is None:
        raise parser.fail(f"unknown language {language_label!r}", language_line,
                          "one of the UN languages: " + ", ".join(sorted(UN_LANGUAGES.values())))
    type_label, type_line = _single_value(parser, "type", *fields["type"])
    bare_type = _bare(type_label)
    if bare_type.startswith("single"):
        pledge_type = "single"
    elif bare_type.startswith("joint"):
        pledge_type = "joint"
    else:
        raise parser.fail(f"unknown pledge type {type_label!r}", type_line, _TYPES_EXPECTED)
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
