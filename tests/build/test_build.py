"""`pledge-graph build` and `validate` end to end: the bundled data builds, and a failing,
crashing or interrupted build leaves the previous release exactly as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from pipeline_data import japan_data, line_of, write_record
from rdflib import Graph, Literal, URIRef

from pledge_graph.build.pipeline import build
from pledge_graph.errors import BuildError, ValidationFailed
from pledge_graph.paths import DATA_DIR, DEFAULT_BASE, SHAPES_DIR
from pledge_graph.publish import files as publish
from pledge_graph.rdf.vocab import OWL, RDF, SH

CLI = [sys.executable, "-m", "pledge_graph.cli"]


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, **(env or {})})


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of a folder with the SHA-256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def leftovers(folder: Path) -> list[str]:
    """Temporary folders a build left next to its output."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


@pytest.fixture()
def previous(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A data directory and a release built from it, with the release's file hashes."""
    data = japan_data(tmp_path)
    out = tmp_path / "dist"
    build(data, out)
    return data, out, snapshot(out)


def test_bundled_data_builds_and_validates_end_to_end(tmp_path: Path) -> None:
    if not any((DATA_DIR / "records").glob("*.yaml")):
        pytest.skip("no bundled records yet")
    out = tmp_path / "dist"
    done = run("build", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "pledge(s)" in done.stdout and str(out) in done.stdout
    assert (out / "manifest.json").exists() and (out / "pledge-graph.ttl").exists()
    assert out.stat().st_mode & 0o777 == 0o755
    report = Graph().parse(out / "validation-report.ttl")
    assert report.value(report.value(None, RDF.type, SH.ValidationReport),
                        SH.conforms) == Literal(True)
    done = run("validate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("conforms:")


def test_import_then_build_from_the_real_document(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    done = run("import", DATA_DIR / "sources" / "japan-2023.txt", "--data", data)
    assert done.returncode == 0, done.stderr
    done = run("build", "--data", data, "--out", tmp_path / "dist")
    assert done.returncode == 0, done.stderr
    assert "1 submission(s), 3 pledge(s)" in done.stdout


def test_broken_record_fails_cleanly_and_keeps_the_previous_release(
        previous: tuple[Path, Path, dict[str, str]]) -> None:
    data, out, before = previous
    record = data / "records" / "japan-2023.yaml"
    text = record.read_text(encoding="utf-8").replace("month: 12", "month: [12")
    record.write_text(text, encoding="utf-8")
    done = run("build", "--data", data, "--out", out)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "japan-2023.yaml:" in done.stderr
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_violation_fails_the_build_with_a_report_and_keeps_the_previous_release(
        previous: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    data, out, before = previous
    shapes = tmp_path / "shapes"
    shutil.copytree(SHAPES_DIR, shapes)
    (shapes / "strict.ttl").write_text(f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix pg: <{DEFAULT_BASE}ontology/> .
<{DEFAULT_BASE}shapes/Strict-subject> a sh:NodeShape ;
    sh:targetClass pg:Pledge ;
    sh:property [ sh:path <http://purl.org/dc/terms/subject> ; sh:minCount 1 ;
                  sh:message "A pledge needs a subject." ] .
""", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        build(data, out, shapes_dir=shapes)
    message = str(caught.value)
    assert "3 violation(s)" in message
    line = line_of(data / "sources" / "japan-2023.txt", "**PLEDGE NUMBER 2:**")
    assert f"japan-2023.yaml (sources/japan-2023.txt:{line})" in message
    assert snapshot(out) == before
    assert leftovers(out) == []
    failed = out.parent / "dist.failed-validation-report.ttl"
    report = Graph().parse(failed)
    node = report.value(None, RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(False)
    assert len(list(report.objects(node, SH.result))) == 3
    build(data, out)
    assert not failed.exists()


def test_crash_while_publishing_keeps_the_previous_release(
        previous: tuple[Path, Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    data, out, before = previous

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "_vocabularies", disk_full)
    with pytest.raises(OSError):
        build(data, out)
    assert snapshot(out) == before
    assert leftovers(out) == []


@pytest.mark.parametrize("stage", ["mapped and checked batches: 1/",
                                   "mapped and checked batches: 4/"])
def test_interrupted_build_keeps_the_previous_release(tmp_path: Path, stage: str) -> None:
    data = japan_data(tmp_path, extra=300)
    out = tmp_path / "dist"
    before = snapshot(build(japan_data(tmp_path / "small"), out).out_dir)
    # small batches, so that several run in worker processes when Ctrl-C comes
    code = ("import sys, pledge_graph.build.batches as b; b.BATCH_RECORDS = 20; "
            "from pledge_graph.cli import main; sys.exit(main(sys.argv[1:]))")
    process = subprocess.Popen([sys.executable, "-c", code, "build", "--data", str(data),
                                "--out", str(out)],
                               stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith(stage):
                break
        else:
            pytest.fail(f"the build ended before {stage!r}: {''.join(seen)}")
        assert leftovers(out), "the build works in a temporary folder next to the release"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert "Traceback" not in err
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_other_base_changes_every_published_iri(tmp_path: Path) -> None:
    data = japan_data(tmp_path)
    base = "http://example.org/hr75/"
    out = tmp_path / "dist"
    done = run("build", "--data", data, "--out", out, "--base", base)
    assert done.returncode == 0, done.stderr
    for path in out.iterdir():
        if not path.name.endswith(".gz"):
            assert b"w3id.org/pledge-graph" not in path.read_bytes(), path.name  # search.sqlite too
    turtle = (out / "pledge-graph.ttl").read_text(encoding="utf-8")
    assert f"@prefix pg: <{base}ontology/> ." in turtle
    graph = Graph().parse(out / "pledge-graph.nt")
    assert (URIRef(base + "id/pledge/japan-2023/1"), RDF.type,
            URIRef(base + "ontology/Pledge")) in graph
    assert all(str(s).startswith(base) for s in graph.subjects())
    ontology = Graph().parse(out / "ontology.ttl")
    assert (URIRef(base + "ontology"), RDF.type, OWL.Ontology) in ontology


def test_refuses_to_replace_a_folder_that_is_not_a_release(tmp_path: Path) -> None:
    data = japan_data(tmp_path)
    out = tmp_path / "notes"
    out.mkdir()
    (out / "todo.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(BuildError):
        build(data, out)
    assert (out / "todo.txt").read_text(encoding="utf-8") == "keep me"
    assert leftovers(out) == []


def test_validate_command_reports_bad_records_without_a_traceback(tmp_path: Path) -> None:
    data = japan_data(tmp_path)
    done = run("validate", "--data", data)
    assert done.returncode == 0 and done.stdout.startswith("conforms: 1 submission(s), 3 pledge")
    path = data / "records" / "japan-2023.yaml"
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["year"] = "last year"
    write_record(data, record)
    done = run("validate", "--data", data)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"japan-2023.yaml:{line_of(path, 'year:')}" in done.stderr


def test_build_time_follows_source_date_epoch(previous: tuple[Path, Path, dict[str, str]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    data, out, _ = previous
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    started = time.time()
    build(data, out)
    assert '"build_time": "1970-01-01T00:00:00Z"' in (out / "manifest.json").read_text()
    assert time.time() - started < 60
