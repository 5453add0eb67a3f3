"""Pledge documents as the Secretariat sends them: plain text, Word (.docx) and PDF with a
text layer, each read into the one text the parser reads (:mod:`.document`).

Word is read with python-docx: the body's paragraphs in order, a line break inside a
paragraph kept as one, paragraphs apart by a blank line, as in the text version. Headers,
footers and their page numbers are parts of their own and never read; soft hyphens are
dropped. A macro-enabled document is refused whatever its name, and so is an archive that
would unpack to more than :data:`MAX_UNPACKED_BYTES` (a zip bomb).

PDF is read with pdfplumber, from the position of every word on the page
(:mod:`.layout`): lines the typesetter wrapped are joined again, hyphenation at a line's end
is undone, running headers and footers and page numbers are dropped, and a page set in two
columns is read column by column. A PDF without a text layer (a scan) or an encrypted one is
refused: the pipeline never guesses at text it cannot read.

Every refusal is a :class:`~pledge_graph.errors.DocumentFormatError` naming the file and
saying what was expected; nothing is written for that document.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from pledge_graph.errors import DocumentFormatError
from pledge_graph.ingest.inputs import check_characters, decode_text

__all__ = ["LOOKED_AT", "MAX_PAGES", "MAX_UNPACKED_BYTES", "SUFFIXES", "document_text"]

SUFFIXES = (".txt", ".docx", ".pdf")
"""The kinds of document ``import`` reads."""

_REFUSED = {
    ".docm": "a macro-enabled Word document (.docm)",
    ".dotm": "a macro-enabled Word template (.dotm)",
    ".doc": "a Word 97-2003 document (.doc)",
    ".rtf": "an RTF document",
    ".odt": "an OpenDocument text",
}
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
LOOKED_AT = SUFFIXES + tuple(_REFUSED)
"""The files a directory import takes: documents it reads, and those it refuses by name
rather than pass over in silence."""
_EXPECTED = "a pledge document as .txt (UTF-8), .docx, or .pdf with a text layer"
_MACRO_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"

MAX_UNPACKED_BYTES = 64 * 1024 * 1024
"""The most a Word document may unpack to: far above any pledge document."""

MAX_PAGES = 500
"""The most pages a PDF may have: far above any pledge document, and a bound on the time
its layout takes."""


def document_text(path: Path, data: bytes) -> str:
    """Return the text of the document ``data`` read from ``path``, by its suffix."""
    suffix = path.suffix.lower()
    if suffix in _REFUSED:
        raise DocumentFormatError(f"{_REFUSED[suffix]} is not read", file=path,
                                  expected=_EXPECTED)
    if suffix == ".docx":
        text = _docx_text(path, data)
    elif suffix == ".pdf":
        text = _pdf_text(path, data)
    else:
        return decode_text(data, file=path, error=DocumentFormatError, what="the document")
    check_characters(text, file=path, error=DocumentFormatError)
    return text


# ---------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------


def _docx_text(path: Path, data: bytes) -> str:
    _check_archive(path, data)
    import docx  # python-docx, loaded only for Word documents

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - python-docx raises many kinds on damage
        raise DocumentFormatError(f"not a readable Word document ({type(error).__name__})",
                                  file=path, expected=_EXPECTED) from None
    paragraphs = [p.text.replace("\u00ad", "").rstrip() for p in document.paragraphs]
    blocks = [p for p in paragraphs if p.strip()]
    if not blocks:
        raise DocumentFormatError("the Word document has no text", file=path,
                                  expected=_EXPECTED)
    return "\n\n".join(blocks) + "\n"


def _check_archive(path: Path, data: bytes) -> None:
    """Refuse what is not a Word package before python-docx unpacks it: not a zip, a
    macro-enabled document under another name, or a zip bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DocumentFormatError("not a Word document (.docx is a zip package)", file=path,
                                  expected=_EXPECTED) from None
    with archive:
        entries = archive.infolist()
        if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
            raise DocumentFormatError(
                f"the Word document unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MiB",
                file=path, expected=_EXPECTED)
        names = {entry.filename.lower() for entry in entries}
        types = b""
        if "[content_types].xml" in names:
            types = archive.read(next(e for e in entries
                                      if e.filename.lower() == "[content_types].xml"))
    if "word/vbaproject.bin" in names or _MACRO_TYPE.encode() in types:
        raise DocumentFormatError("the Word document holds macros", file=path,
                                  expected=_EXPECTED)
    if "word/document.xml" not in names:
        raise DocumentFormatError("not a Word document (no word/document.xml)", file=path,
                                  expected=_EXPECTED)


# ---------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------


def _pdf_text(path: Path, data: bytes) -> str:
    import pdfplumber  # loaded only for PDF documents
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    from pledge_graph.ingest.layout import Page, page_words, text_of_pages

    if not data.startswith(b"%PDF-"):
        raise DocumentFormatError("not a PDF document", file=path, expected=_EXPECTED)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if getattr(pdf.doc, "encryption", None):
                raise DocumentFormatError("the PDF is encrypted", file=path,
                                          expected=_EXPECTED + " (not encrypted)")
            if len(pdf.pages) > MAX_PAGES:
                raise DocumentFormatError(f"the PDF has more than {MAX_PAGES} pages",
                                          file=path, expected=_EXPECTED)
            pages = [Page(float(page.width), float(page.height), page_words(page))
                     for page in pdf.pages]
    except DocumentFormatError:
        raise
    except Exception as error:  # noqa: BLE001 - pdfminer raises many kinds; pdfplumber wraps
        cause = error.args[0] if error.args and isinstance(error.args[0], Exception) else error
        if isinstance(cause, PDFPasswordIncorrect):
            raise DocumentFormatError("the PDF is encrypted", file=path,
                                      expected=_EXPECTED + " (not encrypted)") from None
        raise DocumentFormatError(f"not a readable PDF ({type(cause).__name__})", file=path,
                                  expected=_EXPECTED) from None
    if not any(page.words for page in pages):
        raise DocumentFormatError("the PDF has no text layer (a scan?)", file=path,
                                  expected=_EXPECTED + "; run OCR first")
    text = text_of_pages(pages)
    if len(_RTL.findall(text)) > len(text) // 10:
        raise DocumentFormatError(
            "the PDF is in a right-to-left script, whose text layer holds the letters in "
            "the order they are drawn, not read", file=path,
            expected="the document as .txt or .docx")
    return text
