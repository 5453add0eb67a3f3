"""Test support: a pledge document's text version made into Word and PDF files with the real
libraries (python-docx, fpdf2), laid out as a word processor would lay them out: bold
labels, line breaks, running headers and footers with page numbers, lines wrapped to the
measure with long words hyphenated, and optionally two columns."""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.shared import Pt
from fpdf import FPDF

FONTS = Path("/usr/share/fonts/truetype")
SANS = FONTS / "dejavu" / "DejaVuSans.ttf"
SANS_BOLD = FONTS / "dejavu" / "DejaVuSans-Bold.ttf"
CJK = FONTS / "wqy" / "wqy-microhei.ttc"
HEADER = "Human Rights 75 - Pledges received by the Secretariat"
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def paragraphs(text: str) -> list[list[str]]:
    """The text version's paragraphs, each a list of its hard lines (markdown bold kept)."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip("\n"))
    return [[line.rstrip() for line in block.split("\n")] for block in blocks if block.strip()]


def _runs(line: str) -> list[tuple[str, bool]]:
    """A line cut into (text, bold) runs at its ``**`` markers."""
    parts = line.split("**")
    return [(part, index % 2 == 1) for index, part in enumerate(parts) if part]


# ---------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------


def write_docx(text: str, path: Path) -> Path:
    """The document as .docx: one paragraph per block, a line break per hard line, bold
    runs for the ``**`` labels, a running header and footer."""
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = HEADER
    section.footer.paragraphs[0].text = "Page 1"
    for block in paragraphs(text):
        paragraph = document.add_paragraph()
        for number, line in enumerate(block):
            runs = _runs(line)
            for part, bold in runs:
                run = paragraph.add_run(part)
                run.bold = bold
                run.font.size = Pt(11)
            if number < len(block) - 1:
                paragraph.add_run().add_break()
    document.save(str(path))
    return path


# ---------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------


class _Typesetter:
    """Lines set by hand at known positions, so the layout is what the test says it is."""

    SIZE = 10.5
    PITCH = 14.0
    PARAGRAPH = 24.0
    TOP, BOTTOM, LEFT, RIGHT = 72.0, 770.0, 72.0, 523.0
    GUTTER = 24.0

    def __init__(self, columns: int) -> None:
        self.pdf = FPDF(unit="pt", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.add_font("sans", "", str(SANS))
        self.pdf.add_font("sans", "B", str(SANS_BOLD))
        self.pdf.add_font("cjk", "", str(CJK))
        self.columns = columns
        self.column = 0
        self.y = self.TOP
        self.new_page()

    @property
    def width(self) -> float:
        if self.columns == 1 or self.in_head:
            return self.RIGHT - self.LEFT
        return (self.RIGHT - self.LEFT - self.GUTTER) / 2

    @property
    def x(self) -> float:
        if self.columns == 1 or self.in_head:
            return self.LEFT
        return self.LEFT + self.column * (self.width + self.GUTTER)

    def new_page(self) -> None:
        self.pdf.add_page()
        self.pdf.set_font("sans", "", 8)
        self.pdf.text(self.LEFT, 40, HEADER)
        self.pdf.text(self.RIGHT - 30, 812, f"Page {self.pdf.page_no()}")
        self.y = self.TOP
        self.column = 0

    def advance(self, step: float) -> None:
        self.y += step
        if self.y > self.BOTTOM:
            if self.columns == 2 and not self.in_head and self.column == 0:
                self.column, self.y = 1, self.column_top
            else:
                self.new_page()
                self.column_top = self.TOP

    in_head = True
    column_top = TOP

    def _font(self, text: str, bold: bool) -> None:
        if _CJK.search(text):
            self.pdf.set_font("cjk", "", self.SIZE)
        else:
            self.pdf.set_font("sans", "B" if bold else "", self.SIZE)

    def width_of(self, text: str, bold: bool) -> float:
        self._font(text, bold)
        return self.pdf.get_string_width(text)

    def set_line(self, words: list[tuple[str, bool, bool]]) -> None:
        x = self.x
        for number, (word, bold, spaced) in enumerate(words):
            if number and spaced:
                x += self.width_of(" ", False)
            self._font(word, bold)
            self.pdf.text(x, self.y, word)
            x += self.pdf.get_string_width(word)
        self.advance(self.PITCH)

    def hard_line(self, line: str) -> None:
        """Set one hard line, wrapping it to the measure (greedy, hyphenating long words)."""
        words = []
        for number, (part, bold) in enumerate(_runs(line)):
            for unit, spaced in _units(part):
                words.append((unit, bold, spaced and (number == 0 or part[:1].isspace()
                                                      or unit is not _units(part)[0][0])))
        current: list[tuple[str, bool, bool]] = []
        used = 0.0
        space = self.width_of(" ", False)
        while words:
            word, bold, spaced = words[0]
            gap = space if current and spaced else 0.0
            width = self.width_of(word, bold)
            if used + gap + width <= self.width:
                current.append(words.pop(0))
                used += gap + width
                continue
            split = self._hyphenate(word, bold, self.width - used - gap)
            if split and current:
                current.append((split[0] + "-", bold, spaced))
                words[0] = (split[1], bold, True)
            if not current:  # a word longer than the measure goes on a line of its own
                current.append(words.pop(0))
            self.set_line(current)
            current, used = [], 0.0
            if words:  # a line never starts with a space
                words[0] = (words[0][0], words[0][1], True)
        if current:
            self.set_line(current)

    def _hyphenate(self, word: str, bold: bool, room: float) -> tuple[str, str] | None:
        """Split a long lower-case word so that its head and a hyphen fit in ``room``."""
        if len(word) < 8 or not word.isalpha() or not word.islower():
            return None
        for cut in range(len(word) - 3, 2, -1):
            if self.width_of(word[:cut] + "-", bold) <= room:
                return word[:cut], word[cut:]
        return None


def _units(text: str) -> list[tuple[str, bool]]:
    """What a line may break between: words, and each CJK character; each with whether a
    space stands before it in the text."""
    units: list[tuple[str, bool]] = []
    for word in text.split():
        parts = re.findall(f"{_CJK.pattern}|(?:(?!{_CJK.pattern}).)+", word)
        units.extend((part, number == 0) for number, part in enumerate(parts))
    return units


def write_pdf(text: str, path: Path, *, columns: int = 1) -> Path:
    """The document as .pdf with a text layer: the header fields across the page, the
    pledges in ``columns`` columns, a running header and a page number on every page."""
    setter = _Typesetter(columns)
    for block in paragraphs(text):
        if setter.in_head and re.match(r"\W*pledge number", block[0], re.IGNORECASE):
            setter.in_head = False
            setter.column_top = setter.y
        for line in block:
            setter.hard_line(line)
        setter.advance(setter.PARAGRAPH - setter.PITCH)
    setter.pdf.output(str(path))
    return path
