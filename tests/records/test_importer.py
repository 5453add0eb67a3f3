"""`pledge-graph import`: documents in, verbatim sources and curated records out, curators'
edits kept on re-import, and nothing written when any input is bad."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pledge_graph.errors import DocumentFormatError, InputError, RecordError
from pledge_graph.paths import DATA_DIR, PROJECT_ROOT
from pledge_graph.rdf.vocab import slugify
from pledge_graph.records.curated import dump_record, load_record
from pledge_graph.records.importer import import_documents

JAPAN = DATA_DIR / "sources" / "japan-2023.txt"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "documents"
MALFORMED = sorted((FIXTURES / "malformed").glob("*.txt"))


def run_import(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pledge_graph.cli", "import", *map(str, args)],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120, check=False)


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def edit_record(path: Path, change: object) -> None:
    """Edit a record the way a curator does: load the YAML, change it, save it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# ---------------------------------------------------------------------------------------
# The command on the real document
# ---------------------------------------------------------------------------------------


def test_cli_imports_the_japanese_document(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run_import(JAPAN, "--data", data)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "japan-2023: 3 pledges, 0 warnings, created"
    assert result.stderr == ""
    assert (data / "sources" / "japan-2023.txt").read_bytes() == JAPAN.read_bytes()
    record = load_record(data / "records" / "japan-2023.yaml")
    assert record["source"] == "sources/japan-2023.txt"
    assert record["source_sha256"] == hashlib.sha256(JAPAN.read_bytes()).hexdigest()
    assert (record["month"], record["year"], record["language"]) == (12, 2023, "en")
    assert record["pledge_type"] == "single"
    assert [e["name"] for e in record["entities"]] == ["Japan"]
    pledges = record["pledges"]
    assert [p["number"] for p in pledges] == [1, 2, 3]
    assert [p["declared_words"] for p in pledges] == [99, 84, 85]
    assert [len(p["text"].split()) for p in pledges] == [99, 84, 85]
    assert all(p["text"] in JAPAN.read_text(encoding="utf-8") for p in pledges)
    assert [len(p["rights_holders"]) for p in pledges] == [1, 2, 10]
    assert len({label for p in pledges for label in p["rights_holders"]}) == 12
    assert pledges[2]["rights_holders"][4] == "Judges, lawyers and prosecutors"
    assert all(isinstance(p["facts"], list) for p in pledges)
    imported = load_record(data / "records" / ".imported" / "japan-2023.yaml")
    assert imported == record


def test_cli_reimport_of_an_unchanged_document_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_import(JAPAN, "--data", data).returncode == 0
    before = snapshot(data)
    result = run_import(data / "sources" / "japan-2023.txt", "--data", data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(", unchanged")
    assert snapshot(data) == before


def test_the_committed_japanese_record_belongs_to_its_source() -> None:
    record = load_record(DATA_DIR / "records" / "japan-2023.yaml")
    source = DATA_DIR / record["source"]
    assert record["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert len(record["pledges"]) == 3


# ---------------------------------------------------------------------------------------
# All the variations at once
# ---------------------------------------------------------------------------------------


def test_every_fixture_document_imports(tmp_path: Path) -> None:
    documents = sorted(FIXTURES.glob("*.txt"))
    report = import_documents(documents, tmp_path)

    assert [d.slug for d in report.documents] == [p.stem for p in documents]
    assert {d.status for d in report.documents} == {"created"}
    for path, document in zip(documents, report.documents, strict=True):
        assert (tmp_path / "sources" / path.name).read_bytes() == path.read_bytes()
        record = load_record(document.record)
        assert len(record["pledges"]) == document.pledges
    assert not list(tmp_path.rglob("*.tmp"))
    languages = {d.slug: load_record(d.record)["language"] for d in report.documents}
    assert (languages["france-2023"], languages["costa-rica-2023"], languages["tunisia-2023"],
            languages["china-2023"], languages["kazakhstan-2023"]) == ("fr", "es", "ar", "zh", "ru")


def test_crlf_source_is_copied_verbatim_and_its_text_normalised(tmp_path: Path) -> None:
    import_documents([FIXTURES / "germany-2023.txt"], tmp_path)
    source = tmp_path / "sources" / "germany-2023.txt"
    assert b"\r\n" in source.read_bytes()
    record = load_record(tmp_path / "records" / "germany-2023.yaml")
    assert all("\r" not in p["text"] for p in record["pledges"])
    assert record["pledges"][0]["rights_holders"] == [
        "Human rights defenders & activists", "Women & girls", "Refugees & asylum seekers"]


def test_unknown_labels_are_warned_about_and_kept(tmp_path: Path) -> None:
    path = FIXTURES / "ganhri-2023.txt"
    result = run_import(path, "--data", tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ganhri-2023: 2 pledges, 2 warnings, created"
    warnings = result.stderr.strip().split("\n")
    assert warnings == [
        (f"pledge-graph: warning: {path}:17: pledge 1: unknown rights-holder label "
        "'National human rights institutions' (kept as written)"),
        (f"pledge-graph: warning: {path}:21: pledge 2: unknown rights-holder label "
        "'Staff of national human rights institutions' (kept as written)"),
    ]
    record = load_record(tmp_path / "records" / "ganhri-2023.yaml")
    assert record["pledges"][0]["rights_holders"] == [
        "Civil society", "Human rights defenders & activists",
        "National human rights institutions"]


def test_joint_pledge_record_lists_every_entity(tmp_path: Path) -> None:
    import_documents([FIXTURES / "joint-americas-2023.txt"], tmp_path)
    record = load_record(tmp_path / "records" / "joint-americas-2023.yaml")
    assert record["pledge_type"] == "joint"
    assert [e["name"] for e in record["entities"]] == [
        "Bolivia (Plurinational State of)", "Saint Kitts and Nevis", "Trinidad and Tobago"]


# ---------------------------------------------------------------------------------------
# Bad input: an error naming file and line, and nothing written
# ---------------------------------------------------------------------------------------


@pytest.fixture
def curated(tmp_path: Path) -> Path:
    """A data directory holding the Japanese record with one curator's edit."""
    data = tmp_path / "data"
    import_documents([JAPAN], data)
    edit_record(data / "records" / "japan-2023.yaml",
                lambda r: r["pledges"][0].update(text="Curated text."))
    return data


@pytest.mark.parametrize("malformed", MALFORMED, ids=lambda p: p.stem)
def test_malformed_documents_write_nothing(curated: Path, malformed: Path) -> None:
    before = snapshot(curated)
    with pytest.raises(DocumentFormatError) as caught:
        import_documents([FIXTURES / "kenya-2023.txt", malformed], curated)
    assert caught.value.file == str(malformed) and caught.value.line
    assert snapshot(curated) == before


@pytest.mark.parametrize("malformed", [FIXTURES / "malformed" / "duplicate-number.txt",
                                       FIXTURES / "malformed" / "latin1.txt"],
                         ids=lambda p: p.stem)
def test_cli_rejects_malformed_documents_and_writes_nothing(curated: Path,
                                                            malformed: Path) -> None:
    before = snapshot(curated)
    result = run_import(FIXTURES / "kenya-2023.txt", malformed, "--data", curated)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"pledge-graph: error: {malformed}:")
    line = result.stderr.removeprefix(f"pledge-graph: error: {malformed}:").split(":")[0]
    assert line.isdigit() and int(line) >= 1
    assert "(expected " in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(curated) == before


def test_a_broken_curated_record_stops_the_import(curated: Path) -> None:
    path = curated / "records" / "japan-2023.yaml"
    text = path.read_text(encoding="utf-8").replace("month: 12", "month: twelve")
    path.write_text(text, encoding="utf-8")
    line = text.split("\n").index("month: twelve") + 1
    before = snapshot(curated)

    result = run_import(FIXTURES / "kenya-2023.txt", JAPAN, "--data", curated)

    assert result.returncode == 1
    assert result.stderr.startswith(f"pledge-graph: error: {path}:{line}: bad value 'twelve'")
    assert "Traceback" not in result.stderr
    assert snapshot(curated) == before
    with pytest.raises(RecordError):
        import_documents([JAPAN], curated)


def test_missing_document_is_an_error(tmp_path: Path) -> None:
    result = run_import(tmp_path / "nowhere.txt", "--data", tmp_path / "data")
    assert result.returncode == 1
    assert f"{tmp_path / 'nowhere.txt'}: cannot read the document" in result.stderr
    assert not (tmp_path / "data").exists()


def test_two_documents_with_one_slug_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "incoming" / "Japan 2023.txt"
    other.parent.mkdir()
    shutil.copy(JAPAN, other)
    with pytest.raises(InputError) as caught:
        import_documents([JAPAN, other], tmp_path / "data")
    assert "japan-2023" in caught.value.message
    assert not (tmp_path / "data").exists()


# ---------------------------------------------------------------------------------------
# Re-import and curation
# ---------------------------------------------------------------------------------------


def test_reimport_keeps_curator_edits_and_updates_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    incoming = tmp_path / "incoming" / "japan-2023.txt"
    incoming.parent.mkdir()
    shutil.copy(JAPAN, incoming)
    assert run_import(incoming, "--data", data).returncode == 0
    record_file = data / "records" / "japan-2023.yaml"

    def curate(record: dict) -> None:
        first, second, third = record["pledges"]
        first["text"] = "The rule of law, as the curator reworded it."
        second["rights_holders"] = ["Migrants", "Non-citizens", "Women & girls"]
        third["facts"] = [
            {"id": "funding-usd-1000000", "kind": "funding", "status": "rejected",
             "start": 0, "end": 11, "exact": "In response"},
            {"id": "organisation-ohchr", "kind": "organisation", "status": "added",
             "start": 108, "end": 113, "exact": "OHCHR"},
        ]

    edit_record(record_file, curate)
    curated = load_record(record_file)

    # The Secretariat publishes a corrected document.
    source = JAPAN.read_text(encoding="utf-8")
    source = source.replace("Japan will continue to do its utmost",
                            "Japan will keep doing its utmost")
    source = source.replace("The rule of law is the foundation", "The rule of law is the basis")
    source = source.replace("Women & girls.", "Women & girls; Older persons.")
    incoming.write_text(source, encoding="utf-8")

    result = run_import(incoming, "--data", data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "japan-2023: 3 pledges, 1 warning, updated"
    assert "pledge 2 declares 84 words but its text has 83" in result.stderr

    record = load_record(record_file)
    first, second, third = record["pledges"]
    assert first["text"] == "The rule of law, as the curator reworded it."
    assert second["text"].startswith("In order to address") and "keep doing" in second["text"]
    assert second["rights_holders"] == ["Migrants", "Non-citizens", "Women & girls"]
    assert third["rights_holders"][-1] == "Older persons"  # unedited: the new value
    assert third["facts"] == curated["pledges"][2]["facts"]
    assert record["source_sha256"] == hashlib.sha256(source.encode()).hexdigest()
    assert (data / "sources" / "japan-2023.txt").read_text(encoding="utf-8") == source
    imported = load_record(data / "records" / ".imported" / "japan-2023.yaml")
    assert imported["pledges"][0]["text"].startswith("The rule of law is the basis")

    # A further import of the same document keeps the record byte for byte.
    before = snapshot(data)
    result = run_import(incoming, "--data", data)
    assert result.stdout.strip().endswith(", unchanged")
    assert snapshot(data) == before


def test_decisions_on_extracted_facts_survive_reimport(tmp_path: Path) -> None:
    import_documents([JAPAN], tmp_path)
    record_file = tmp_path / "records" / "japan-2023.yaml"
    extracted = load_record(record_file)["pledges"][2]["facts"]
    assert extracted, "the funding of pledge 3 is extracted"

    def decide(record: dict) -> None:
        facts = record["pledges"][2]["facts"]
        facts[0]["status"] = "rejected"
        for fact in facts[1:]:
            fact["status"] = "confirmed"

    edit_record(record_file, decide)
    decided = load_record(record_file)["pledges"][2]["facts"]
    for _ in range(2):
        assert import_documents([JAPAN], tmp_path).documents[0].status == "unchanged"
    assert load_record(record_file)["pledges"][2]["facts"] == decided


def test_a_broken_imported_copy_is_reported(tmp_path: Path) -> None:
    import_documents([JAPAN], tmp_path)
    edit_record(tmp_path / "records" / "japan-2023.yaml", lambda r: r.update(year=2024))
    base = tmp_path / "records" / ".imported" / "japan-2023.yaml"
    base.write_text("slug: japan-2023\n", encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        import_documents([JAPAN], tmp_path)
    assert caught.value.file == str(base)
    assert "has no field 'source'" in caught.value.message


def test_a_curated_record_the_document_does_not_change_is_left_as_written(tmp_path: Path) -> None:
    import_documents([JAPAN], tmp_path)
    record_file = tmp_path / "records" / "japan-2023.yaml"
    text = record_file.read_text(encoding="utf-8").replace(
        "title: Pledge", "# Checked against the PDF.\ntitle: Pledge").replace(
        "language: en", "language: 'en'")
    record_file.write_text(text, encoding="utf-8")
    report = import_documents([JAPAN], tmp_path)
    assert report.documents[0].status == "unchanged"
    assert record_file.read_text(encoding="utf-8") == text


def test_a_record_without_imported_copy_is_treated_as_curated(tmp_path: Path) -> None:
    report = import_documents([JAPAN], tmp_path)
    record_file = report.documents[0].record
    (tmp_path / "records" / ".imported" / "japan-2023.yaml").unlink()
    edit_record(record_file, lambda r: r.update(title="A curator's title"))
    import_documents([JAPAN], tmp_path)
    assert load_record(record_file)["title"] == "A curator's title"
    assert (tmp_path / "records" / ".imported" / "japan-2023.yaml").exists()


def test_records_written_by_the_importer_are_stable_yaml(tmp_path: Path) -> None:
    report = import_documents([FIXTURES / "france-2023.txt"], tmp_path)
    text = report.documents[0].record.read_text(encoding="utf-8")
    assert text == dump_record(load_record(report.documents[0].record))
    assert "« Ensemble pour l’abolition" in text  # written as UTF-8, not escaped


# ---------------------------------------------------------------------------------------
# Large imports: a directory of documents, read by several worker processes
# ---------------------------------------------------------------------------------------


def many_documents(folder: Path, copies: int = 4) -> list[Path]:
    """Copies of every fixture document under distinct names, some in a subdirectory: more
    documents than the importer reads without worker processes."""
    made = []
    for n in range(copies):
        target = folder / f"batch-{n}" if n % 2 else folder
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(FIXTURES.glob("*.txt")):
            made.append(target / f"{path.stem}-copy-{n}.txt")
            shutil.copy(path, made[-1])
    assert len(made) >= 40
    return made


def test_parallel_import_writes_what_a_serial_one_writes(tmp_path: Path) -> None:
    documents = many_documents(tmp_path / "incoming")
    serial = import_documents(documents, tmp_path / "serial", jobs=1)
    parallel = import_documents(documents, tmp_path / "parallel", jobs=2)

    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "serial")
    assert [(d.slug, d.pledges, d.notices, d.status) for d in parallel.documents] == [
        (d.slug, d.pledges, d.notices, d.status) for d in serial.documents]
    assert [d.slug for d in parallel.documents] == [slugify(p.stem) for p in documents]
    assert not [p for p in (tmp_path / "parallel").iterdir() if p.name.startswith(".import")]


def test_parallel_reimport_keeps_edits_and_changes_nothing_else(tmp_path: Path) -> None:
    documents = many_documents(tmp_path / "incoming")
    data = tmp_path / "data"
    import_documents(documents, data, jobs=2)
    record_file = data / "records" / "kenya-2023-copy-2.yaml"
    edit_record(record_file, lambda r: r.update(title="A curator's title"))
    before = snapshot(data)

    report = import_documents(documents, data, jobs=2)

    assert {d.status for d in report.documents} == {"unchanged"}
    assert snapshot(data) == before
    assert load_record(record_file)["title"] == "A curator's title"


def test_cli_imports_a_directory_recursively_in_sorted_order(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    many_documents(incoming)
    (incoming / "notes.md").write_text("not a pledge document", encoding="utf-8")
    data = tmp_path / "data"

    result = run_import(incoming, "--data", data, "--jobs", "2")

    assert result.returncode == 0, result.stderr
    expected = sorted(incoming.rglob("*.txt"))
    slugs = [line.split(":")[0] for line in result.stdout.strip().split("\n")]
    assert slugs == [slugify(p.stem) for p in expected]
    assert sorted(p.name for p in (data / "sources").iterdir()) == sorted(
        f"{slugify(p.stem)}.txt" for p in expected)
    for path in expected:
        source = data / "sources" / f"{slugify(path.stem)}.txt"
        assert source.read_bytes() == path.read_bytes()
    assert not (data / "sources" / "notes.md").exists()


def test_cli_refuses_a_directory_without_documents(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_import(empty, "--data", tmp_path / "data")
    assert result.returncode == 1
    assert result.stderr.startswith(f"pledge-graph: error: {empty}: ")
    assert "(expected a directory of pledge documents (*.txt, *.docx, *.pdf))" in result.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_bad_document_among_many_writes_nothing(curated: Path, tmp_path: Path,
                                                    jobs: str) -> None:
    incoming = tmp_path / "incoming"
    documents = many_documents(incoming)
    # Two bad documents: the one first in sorted order is reported, wherever it was read.
    first = incoming / "batch-3" / "kenya-2023-copy-3b.txt"
    shutil.copy(FIXTURES / "malformed" / "bad-date.txt", first)
    shutil.copy(FIXTURES / "malformed" / "unknown-type.txt", incoming / "zz-last.txt")
    assert sorted(incoming.rglob("*.txt")).index(first) > len(documents) // 4
    before = snapshot(curated)

    result = run_import(incoming, "--data", curated, "--jobs", jobs)

    assert result.returncode == 1
    assert result.stdout == ""
    text = first.read_text(encoding="utf-8").split("\n")
    line = next(n for n, t in enumerate(text, 1) if "December 23" in t)
    assert result.stderr.startswith(f"pledge-graph: error: {first}:{line}: bad date"), (
        result.stderr)
    assert "(expected " in result.stderr and "Traceback" not in result.stderr
    assert snapshot(curated) == before
