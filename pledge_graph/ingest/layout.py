"""A PDF page's words, read back into the text a person typed: lines, paragraphs, columns.

A PDF holds positioned words, not paragraphs. The text is rebuilt from geometry alone, so
that the same document gives the same text whether it came as .txt, .docx or .pdf:

- words are grouped into rows by their baseline; a page whose rows leave an empty gutter
  near the middle is read as two columns, left then right (rows that cross the gutter,
  such as a title, are read where they stand);
- a row that ends where the next row's first word would not have fitted is a line the
  typesetter wrapped: it is joined to the next with a space (with none between two CJK
  characters), and a hyphen it ends with is undone unless the document writes that word
  with a hyphen elsewhere; any other row ends a line;
- a vertical gap wider than the usual line pitch ends a paragraph (a blank line);
- rows in the top and bottom margins that repeat on several pages (page numbers counted
  as the same) are running headers and footers, and rows that are only a page number are
  page numbers: both are dropped. On a one-page document a margin row is dropped when a
  gap wider than a paragraph's sets it apart from the body.

pdfplumber's own ``extract_text(layout=True)`` keeps the page's spacing instead of the
paragraphs, and joins columns row by row: measured on the test corpus, it gives none of the
documents back as their text version does, which is why this reading stays.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

__all__ = ["Line", "Page", "Word", "page_words", "text_of_pages"]

_MARGIN = 0.06  # share of the page height at the top and at the bottom
_GUTTER_ZONE = (0.3, 0.7)  # where a column gutter may lie, as shares of the page width
_MIN_GUTTER = 10.0  # points
_PARAGRAPH = 1.45  # a pitch this many times the usual one ends a paragraph
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$",
                          re.IGNORECASE)
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


@dataclass(frozen=True)
class Word:
    """A word as the PDF places it (points, from the page's top left)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass
class Page:
    """A page's size and its upright words."""

    width: float
    height: float
    words: list[Word]


@dataclass
class Line:
    """A row of words in one column of one page."""

    words: list[Word]
    page: int
    column: str  # "full", "left" or "right"
    text: str = field(init=False)

    def __post_init__(self) -> None:
        self.words.sort(key=lambda w: w.x0)
        self.text = " ".join(w.text for w in self.words)

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def size(self) -> float:
        return statistics.median(w.bottom - w.top for w in self.words)

    def first_unit(self) -> float:
        """The width of what would have had to fit on the line before: the first word, or
        the first character of a CJK run."""
        first = self.words[0]
        width = first.x1 - first.x0
        return width / len(first.text) if _CJK.match(first.text) else width


def page_words(page: Any) -> list[Word]:
    """The upright words of a pdfplumber page."""
    words = page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False)
    return [Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]),
                 float(w["bottom"])) for w in words if w.get("upright", True)]


def text_of_pages(pages: list[Page]) -> str:
    """The document's text: paragraphs apart by a blank line, kept line breaks as ``\\n``."""
    lines = [line for number, page in enumerate(pages) for line in _page_lines(number, page)]
    lines = _without_running_rows(lines, pages)
    if not lines:
        return ""
    pitch = _usual_pitch(lines)
    right = _measures(lines, pitch)
    vocabulary = Counter(w.text.lower().strip(".,;:()") for line in lines for w in line.words)
    out = [lines[0].text]
    for before, after in pairwise(lines):
        same_block = before.page == after.page and before.column == after.column
        gap = after.top - before.top
        wrapped = (right[id(before)] - before.x1
                   < after.first_unit() + 0.35 * before.size + 1.0)
        if same_block and (gap > _PARAGRAPH * pitch or gap < 0):
            out.append("\n\n" + after.text)
        elif wrapped:
            out.append(_join(out.pop(), after.text, vocabulary))
        elif same_block:
            out.append("\n" + after.text)
        else:
            out.append("\n\n" + after.text)
    return "".join(out).strip() + "\n"


def _join(text: str, following: str, vocabulary: Counter[str]) -> str:
    """Join a wrapped line to the next, undoing hyphenation at its end."""
    if text.endswith("-") and not text.endswith(" -"):
        head = re.search(r"(\w+)-$", text)
        tail = re.match(r"\w+", following)
        if head and tail:
            hyphenated = f"{head[1]}-{tail[0]}".lower()
            joined = f"{head[1]}{tail[0]}".lower()
            if vocabulary[hyphenated] > vocabulary[joined]:
                return text + following
            if vocabulary[joined] > 0 or following[0].islower():
                return text[:-1] + following
        return text + following
    if _CJK.match(text[-1:]) and _CJK.match(following[:1]):
        return text + following
    return text + " " + following


# ---------------------------------------------------------------------------------------
# Rows and columns
# ---------------------------------------------------------------------------------------


def _rows(words: list[Word]) -> list[list[Word]]:
    """Words grouped by baseline, top to bottom."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.bottom, w.x0)):
        if rows and abs(rows[-1][0].bottom - word.bottom) <= 0.4 * (word.bottom - word.top):
            rows[-1].append(word)
        else:
            rows.append([word])
    return rows


def _gutter(words: list[Word], width: float) -> float | None:
    """The x of an empty band near the middle that splits the page's words into two
    columns, or None for a page in one column."""
    low, high = int(width * _GUTTER_ZONE[0]), int(width * _GUTTER_ZONE[1])
    crossing = [0] * (high - low)
    for word in words:
        for x in range(max(low, int(word.x0)), min(high, int(word.x1) + 1)):
            crossing[x - low] += 1
    best: tuple[int, int] | None = None
    start = None
    for x, count in enumerate([*crossing, 1]):
        if count == 0 and start is None:
            start = x
        elif count and start is not None:
            if best is None or x - start > best[1] - best[0]:
                best = (start, x)
            start = None
    if best is None or best[1] - best[0] < _MIN_GUTTER:
        return None
    middle = low + (best[0] + best[1]) / 2
    left = sum(1 for w in words if w.x1 <= middle)
    if min(left, len(words) - left) < 0.15 * len(words):
        return None
    return middle


def _page_lines(number: int, page: Page) -> list[Line]:
    """The page's lines in reading order."""
    rows = _rows(page.words)
    gutter = _gutter([w for row in rows if not _spans(row, page.width) for w in row],
                     page.width)
    if gutter is None:
        return [Line(row, number, "full") for row in rows]
    out: list[Line] = []
    pending: list[list[Word]] = []  # rows of a two-column stretch

    def flush() -> None:
        for side in ("left", "right"):
            for row in pending:
                part = [w for w in row if (w.x1 <= gutter) == (side == "left")]
                if part:
                    out.append(Line(part, number, side))
        pending.clear()

    for row in rows:
        if any(w.x0 < gutter < w.x1 for w in row):
            flush()
            out.append(Line(row, number, "full"))
        else:
            pending.append(row)
    flush()
    return out


def _spans(row: list[Word], width: float) -> bool:
    """Whether a row runs across the middle of the page (a title over two columns)."""
    middle = width / 2
    return any(w.x0 < middle < w.x1 for w in row)


# ---------------------------------------------------------------------------------------
# Running headers, footers and page numbers
# ---------------------------------------------------------------------------------------


def _usual_pitch(lines: list[Line]) -> float:
    """The distance between two lines of one paragraph: the lower quartile of the
    distances between rows, since gaps between paragraphs are the larger ones."""
    pitches = sorted(after.top - before.top for before, after in pairwise(lines)
                     if before.page == after.page and before.column == after.column
                     and after.top > before.top)
    # a document of one-line paragraphs has no pitch between two lines of one paragraph:
    # the lines' own height bounds it
    size = statistics.median(line.size for line in lines)
    return min(pitches[len(pitches) // 4] if pitches else 1e9, 1.25 * size)


def _measures(lines: list[Line], pitch: float) -> dict[int, float]:
    """Where each line's measure ends on the right (by ``id`` of the line): a paragraph of
    three lines or more is its own measure (its widest line); a shorter one takes the widest
    line of such paragraphs in its kind of column."""
    blocks: list[list[Line]] = [[lines[0]]]
    for before, after in pairwise(lines):
        gap = after.top - before.top
        if (before.page, before.column) == (after.page, after.column) and 0 < gap <= _PARAGRAPH * pitch:
            blocks[-1].append(after)
        else:
            blocks.append([after])
    columns: dict[str, float] = {}
    for column in {line.column for line in lines}:
        body = [line.x1 for block in blocks if len(block) >= 3 and block[0].column == column
                for line in block]
        columns[column] = max(body or [line.x1 for line in lines if line.column == column])
    measures: dict[int, float] = {}
    for block in blocks:
        right = max(line.x1 for line in block) if len(block) >= 3 else columns[block[0].column]
        measures.update((id(line), right) for line in block)
    return measures


def _without_running_rows(lines: list[Line], pages: list[Page]) -> list[Line]:
    def in_margin(line: Line) -> bool:
        height = pages[line.page].height
        return line.top < _MARGIN * height or line.top > (1 - _MARGIN) * height

    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    repeated = Counter(key(line) for line in lines if in_margin(line))
    pitch = _usual_pitch(lines)
    kept = []
    for index, line in enumerate(lines):
        if in_margin(line):
            if _PAGE_NUMBER.match(line.text) or (len(pages) > 1 and repeated[key(line)] > 1):
                continue
            if len(pages) == 1 and _set_apart(lines, index, pitch):
                continue
        kept.append(line)
    return kept


def _set_apart(lines: list[Line], index: int, pitch: float) -> bool:
    """Whether a margin row stands a paragraph's gap or more from its neighbours."""
    line = lines[index]
    neighbours = [lines[i] for i in (index - 1, index + 1)
                  if 0 <= i < len(lines) and lines[i].page == line.page]
    return all(abs(other.top - line.top) > _PARAGRAPH * pitch for other in neighbours)
