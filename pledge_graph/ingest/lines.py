"""The line reader of a pledge document: it walks the lines once and cuts them into the title
block, the header fields and the numbered pledges (each with its text, declared word count
and "Sector and Rights-holders" line); what the fields mean is read by
:mod:`~pledge_graph.ingest.fields` and :mod:`~pledge_graph.ingest.document`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pledge_graph.errors import DocumentFormatError
from pledge_graph.ingest.fields import BOLD, DATE_EXPECTED, parse_month_year, strip_bold

__all__ = ["FIELD_NAMES", "TYPES_EXPECTED", "Notice", "Pledge", "Reader"]


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


# ---------------------------------------------------------------------------------------
# Lines of the format
# ---------------------------------------------------------------------------------------



# Runs of white space are taken whole (possessive '*+'), where what follows cannot begin
# with a space: otherwise a line of many spaces takes time in the square of their number.
def _field_pattern(label: str) -> re.Pattern[str]:
    return re.compile(
        rf"^\s*+{BOLD}?\s*+(?:{label})\s*+{BOLD}?\s*+[:：]\s*+{BOLD}?\s*+(?P<value>.*)$",
        re.IGNORECASE)


_LANGUAGE_FIELD = _field_pattern(r"original\s+language(?:\s+of\s+(?:the\s+)?submission)?")
_TYPE_FIELD = _field_pattern(r"type\s+of\s+pledge|pledge\s+type")
_ENTITY_FIELD = _field_pattern(r"pledging\s+entit(?:y|ies)")
_RIGHTS_FIELD = _field_pattern(r"(?:sectors?\s+and\s+)?rights?[\s\-\u2010-\u2013]*holders?")
_PLEDGE_HEADER = re.compile(
    rf"^\s*+(?P<bold>{BOLD})?\s*+pledge\s++number\s*+(?P<number>\d+)\s*+"
    rf"(?(bold)(?:[:：]\s*+{BOLD}|{BOLD}\s*+[:：]|{BOLD}|[:：])|[:：])\s*+(?P<rest>.*)$",
    re.IGNORECASE)
# What is meant as a pledge header even if malformed: bold, in capitals, or with a colon
# after one word; "Pledge number 2 of the plan was..." in a pledge's text is not one.
_PLEDGE_HEADER_LOOSE = re.compile(
    rf"^\s*(?:{BOLD}\s*(?i:pledge\s+number)|PLEDGE\s+NUMBER"
    rf"|(?i:pledge\s+number)\s*\S*\s*[:：])")
_TITLE_START = re.compile(rf"^\s*+(?:#+\s*+)?{BOLD}?\s*+pledge\s++submitted\s++by\b",
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
FIELD_NAMES = {
    "language": "'Original language of submission:'",
    "type": "'Type of pledge:'",
    "entity": "'Pledging entity:'",
}
TYPES_EXPECTED = "'Single (by one state/actor)' or 'Joint (by several states/actors)'"


_MAX_DIGITS = 9  # of a pledge number or a word count: beyond any document


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


class Reader:
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
                                f"a date line after the title, {DATE_EXPECTED}")
            rest = self.lines[self.position]
            date_line = self.position + 1
            self.position += 1
        date = parse_month_year(rest)
        if date is None:
            raise self.fail(f"bad date {strip_bold(rest).strip()!r}", date_line, DATE_EXPECTED)
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
                                "a header field (" + ", ".join(FIELD_NAMES.values())
                                + ") or 'PLEDGE NUMBER 1:'")
            if name in found:
                raise self.fail(f"{FIELD_NAMES[name]} is given twice", self.position + 1,
                                "each header field once")
            match = _HEADER_FIELDS[name].match(line)
            assert match is not None
            value_line = self.position + 1
            self.position += 1
            if not strip_bold(match["value"]).strip():
                self.skip_blank()  # the value may follow on the next lines
            more: list[tuple[str, int]] = []
            while (self.position < len(self.lines) and self.lines[self.position].strip()
                   and not _is_structural(self.lines[self.position])):
                more.append((strip_bold(self.lines[self.position]).strip(), self.position + 1))
                self.position += 1
            found[name] = (strip_bold(match["value"]).strip(), value_line, more)

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
        parts = [strip_bold(match["value"]).strip()]
        self.position += 1
        while (self.position < len(self.lines) and self.lines[self.position].strip()
               and not _is_structural(self.lines[self.position])):
            parts.append(strip_bold(self.lines[self.position]).strip())
            self.position += 1
        return " ".join(p for p in parts if p), line
