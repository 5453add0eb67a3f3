"""Word and PDF documents in, the same records and graph out: every bundled and fixture
document is made into .docx and .pdf (one and two columns) with python-docx and fpdf2,
imported with `pledge-graph import` as a user types it, and compared with the import of its
text version. Bad files of each kind get a clear error naming the file, and nothing is
written."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from fpdf import FPDF
from office_documents import write_docx, write_pdf

from pledge_graph.paths import DATA_DIR, PROJECT_ROOT

FIXTURES = Path(__file__).parents[1] / "fixtures" / "documents"
DOCUMENTS = sorted([*FIXTURES.glob("*.txt"), *(DATA_DIR / "sources").glob("*.txt")])
RIGHT_TO_LEFT = {"tunisia-2023"}  # Arabic
SOURCE_FIELDS = ("source", "source_sha256", "text", "text_sha256")


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pledge_graph.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
                          check=False)


def new_data_dir(root: Path, name: str) -> Path:
    data = root / name
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    return data


def records(data: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((data / "records").glob("*.yaml"))}


def without_lines(value: object) -> object:
    """A record without its line numbers: they point into the text the record was read from,
    which for a Word or PDF source is the text kept beside it (checked below)."""
    if isinstance(value, dict):
        return {k: without_lines(v) for k, v in value.items() if not k.endswith("line")
                and k not in SOURCE_FIELDS}
    if isinstance(value, list):
        return [without_lines(v) for v in value]
    return value


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The documents imported from each format into a data directory of its own."""
    root = tmp_path_factory.mktemp("formats")
    folders = {kind: root / f"in-{kind}" for kind in ("txt", "docx", "pdf", "pdf2")}
    for folder in folders.values():
        folder.mkdir()
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        shutil.copy(document, folders["txt"])
        write_docx(text, folders["docx"] / f"{document.stem}.docx")
        if document.stem not in RIGHT_TO_LEFT:
            write_pdf(text, folders["pdf"] / f"{document.stem}.pdf")
            write_pdf(text, folders["pdf2"] / f"{document.stem}.pdf", columns=2)
    data = {}
    for kind, folder in folders.items():
        data[kind] = new_data_dir(root, f"data-{kind}")
        done = cli("import", folder, "--data", data[kind])
        assert done.returncode == 0, (kind, done.stderr)
    return data


@pytest.mark.parametrize("kind", ["docx", "pdf", "pdf2"])
def test_a_word_or_pdf_document_gives_the_records_of_its_text_version(imported, kind):
    expected, got = records(imported["txt"]), records(imported[kind])
    wanted = {slug for slug in expected if kind == "docx" or slug not in RIGHT_TO_LEFT}
    assert set(got) == wanted
    for slug in sorted(wanted):
        assert without_lines(got[slug]) == without_lines(expected[slug]), slug
        # the lines a record gives point into the text kept beside the source
        text = (imported[kind] / got[slug]["text"]).read_text(encoding="utf-8").splitlines()
        for pledge in got[slug]["pledges"]:
            assert f"{pledge['number']}" in text[pledge["line"] - 1], (slug, pledge["number"])
            assert text[pledge["line"] - 1].lstrip("*# ").upper().startswith("PLEDGE"), slug


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_the_original_file_is_kept_with_the_text_read_from_it_and_both_checksums(imported, kind):
    suffix = ".docx" if kind == "docx" else ".pdf"
    data = imported[kind]
    for slug, record in records(data).items():
        assert record["source"] == f"sources/{slug}{suffix}"
        original = (data / record["source"]).read_bytes()
        assert original.startswith(b"PK" if kind == "docx" else b"%PDF-")
        assert record["source_sha256"] == hashlib.sha256(original).hexdigest()
        assert record["text"] == f"sources/{slug}.txt"
        text = (data / record["text"]).read_bytes()
        assert record["text_sha256"] == hashlib.sha256(text).hexdigest()
    for slug, record in records(imported["txt"]).items():
        assert "text" not in record and record["source"] == f"sources/{slug}.txt"


def test_a_word_import_builds_the_graph_of_the_text_import_with_both_checksums(imported, tmp_path):
    import rdflib

    graphs = {}
    for kind in ("txt", "docx"):
        out = tmp_path / f"dist-{kind}"
        done = cli("build", "--data", imported[kind], "--out", out)
        assert done.returncode == 0, done.stderr
        graphs[kind] = rdflib.Graph().parse(out / "pledge-graph.nt", format="nt")
    pg = rdflib.Namespace("https://w3id.org/pledge-graph/ontology/")
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    dct = rdflib.Namespace("http://purl.org/dc/terms/")

    def content(graph: rdflib.Graph) -> set:
        """The triples but those that name the source files, their checksums and the build."""
        drop = {pg.sourceText, pg.sourceTextChecksum, pg.sourceLine, spdx.checksumValue,
                dct.source, prov.wasGeneratedBy}
        return {(s, p, o) for s, p, o in graph if p not in drop and "/id/build/" not in str(s)
                and not str(s).endswith("/text-sha256")}

    assert content(graphs["docx"]) == content(graphs["txt"])
    texts = list(graphs["docx"].subject_objects(pg.sourceText))
    assert len(texts) == len(records(imported["docx"]))
    for submission, _ in texts:
        checksum = graphs["docx"].value(submission, pg.sourceTextChecksum)
        assert graphs["docx"].value(checksum, spdx.checksumValue) is not None
    assert not list(graphs["txt"].subject_objects(pg.sourceText))


def test_a_right_to_left_pdf_is_refused_and_its_word_version_read(tmp_path, imported):
    document = FIXTURES / "tunisia-2023.txt"
    pdf = write_pdf(document.read_text(encoding="utf-8"), tmp_path / "tunisia-2023.pdf")
    data = new_data_dir(tmp_path, "data")
    done = cli("import", pdf, "--data", data)
    assert done.returncode == 1
    assert f"{pdf}: the PDF is in a right-to-left script" in done.stderr
    assert "the document as .txt or .docx" in done.stderr
    assert "tunisia-2023" in records(imported["docx"])


# ---------------------------------------------------------------------------------------
# Bad files
# ---------------------------------------------------------------------------------------


def _scanned(path: Path) -> None:
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    pdf.set_fill_color(30, 30, 30)
    for row in range(40):  # lines of "text" as a scanner sees them: marks, no characters
        pdf.rect(72, 72 + row * 16, 300 + (row * 37) % 150, 8, style="F")
    pdf.output(str(path))


def _encrypted(path: Path) -> None:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.text(72, 72, "Pledge submitted by Japan to the Human Rights 75 Secretariat")
    pdf.output(str(path))


def _encrypted_without_password(path: Path) -> None:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_encryption(owner_password="owner")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.text(72, 72, "Pledge submitted by Japan to the Human Rights 75 Secretariat")
    pdf.output(str(path))


def _corrupt_docx(path: Path) -> None:
    good = write_docx((DATA_DIR / "sources" / "japan-2023.txt").read_text(), path)
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _macro_docm(path: Path) -> None:
    write_docx((DATA_DIR / "sources" / "japan-2023.txt").read_text(), path)


def _macros_in_docx(path: Path) -> None:
    source = write_docx((DATA_DIR / "sources" / "japan-2023.txt").read_text(),
                        path.with_suffix(".tmp"))
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as changed:
        for item in original.infolist():
            changed.writestr(item, original.read(item))
        changed.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    source.unlink()


def _zip_bomb(path: Path) -> None:
    source = write_docx((DATA_DIR / "sources" / "japan-2023.txt").read_text(),
                        path.with_suffix(".tmp"))
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED) as changed:
        for item in original.infolist():
            changed.writestr(item.filename, original.read(item))
        changed.writestr("word/media/padding.bin", b"\0" * (65 * 2**20))
    source.unlink()


def _not_a_pdf(path: Path) -> None:
    path.write_bytes(b"<html>not a pdf</html>")


def _broken_pdf(path: Path) -> None:
    good = write_pdf((DATA_DIR / "sources" / "japan-2023.txt").read_text(), path)
    data = good.read_bytes()
    path.write_bytes(data[:200] + b"\0garbage" * 50)


BAD_FILES = [
    ("scan.pdf", _scanned, "the PDF has no text layer"),
    ("locked.pdf", _encrypted, "the PDF is encrypted"),
    ("owner-locked.pdf", _encrypted_without_password, "the PDF is encrypted"),
    ("not.pdf", _not_a_pdf, "not a PDF document"),
    ("broken.pdf", _broken_pdf, "not a readable PDF"),
    ("broken.docx", _corrupt_docx, "not a Word document"),
    ("macros.docm", _macro_docm, "a macro-enabled Word document (.docm) is not read"),
    ("macros.docx", _macros_in_docx, "the Word document holds macros"),
    ("bomb.docx", _zip_bomb, "the Word document unpacks to more than 64 MiB"),
]


@pytest.mark.parametrize(("name", "make", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_by_name_and_nothing_is_written(tmp_path, name, make, message):
    data = new_data_dir(tmp_path, "data")
    assert cli("import", DATA_DIR / "sources" / "japan-2023.txt", "--data", data).returncode == 0
    before = snapshot(data)
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    make(bad)
    shutil.copy(FIXTURES / "kenya-2023.txt", bad.parent)  # a good document beside it
    done = cli("import", bad.parent, "--data", data)
    assert done.returncode == 1, done.stderr
    assert f"{bad}: {message}" in done.stderr
    assert "expected" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(data) == before


def test_a_directory_import_takes_every_kind_of_document_and_skips_word_lock_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = (DATA_DIR / "sources" / "japan-2023.txt").read_text()
    write_docx(text, folder / "japan-2023.docx")
    write_pdf((FIXTURES / "kenya-2023.txt").read_text(), folder / "kenya-2023.pdf")
    shutil.copy(FIXTURES / "norway-2024.txt", folder)
    (folder / "~$pan-2023.docx").write_bytes(b"\0owner file Word leaves while editing")
    (folder / "notes.md").write_text("not a document")
    data = new_data_dir(tmp_path, "data")
    done = cli("import", folder, "--data", data)
    assert done.returncode == 0, done.stderr
    assert sorted(records(data)) == ["japan-2023", "kenya-2023", "norway-2024"]


def test_one_document_in_two_formats_is_a_clash(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = (DATA_DIR / "sources" / "japan-2023.txt").read_text()
    shutil.copy(DATA_DIR / "sources" / "japan-2023.txt", folder)
    write_docx(text, folder / "japan-2023.docx")
    data = new_data_dir(tmp_path, "data")
    done = cli("import", folder, "--data", data)
    assert done.returncode == 1
    assert "would both be imported as 'japan-2023'" in done.stderr
    assert not (data / "records").exists()


def test_the_word_reader_keeps_line_breaks_and_drops_soft_hyphens(tmp_path):
    from pledge_graph.ingest.formats import document_text

    text = (DATA_DIR / "sources" / "japan-2023.txt").read_text()
    path = write_docx(text.replace("human dignity", "human dig\u00adnity"),
                      tmp_path / "japan-2023.docx")
    read = document_text(path, path.read_bytes())
    assert "human dignity" in read
    assert "Secretariat\nDecember 2023" in read
    assert "Human Rights 75 - Pledges received" not in read  # the running header
    assert io.StringIO(read).readline().startswith("Pledge submitted by Japan")
