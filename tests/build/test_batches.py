"""The build's batches: any number of workers gives the same release, a large corpus is checked
by the compiled shapes with pyshacl on its first batch, a defect in any batch is found and
located, and a disagreement between the two SHACL engines stops the build."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_data import damage, japan_data, line_of
from rdflib import Graph

from pledge_graph.build import batches
from pledge_graph.build.pipeline import build, check
from pledge_graph.errors import BuildError
from pledge_graph.rdf.vocab import Iris
from pledge_graph.validation.shapes import shapes_graph

EXTRA = 150  # records besides Japan's: three batches of 64


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return japan_data(tmp_path_factory.mktemp("corpus"), extra=EXTRA)


def files(release: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(release.iterdir())
            if p.name != "manifest.json"}


def test_one_worker_and_several_write_the_same_release(corpus: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    one = build(corpus, tmp_path / "one", workers=1)
    two = build(corpus, tmp_path / "two", workers=2)
    assert one.triples == two.triples and one.pledges == 3 + 3 * EXTRA
    assert files(one.out_dir) == files(two.out_dir)


def test_large_corpus_is_checked_by_compiled_shapes_with_pyshacl_on_its_first_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = japan_data(tmp_path, extra=EXTRA)
    pledge = damage(monkeypatch, f"yemen-{EXTRA - 1:04d}")  # in the last batch
    monkeypatch.setattr("pledge_graph.build.pipeline.PYSHACL_ALL_RECORDS", 10)
    checked = check(data, workers=2)
    assert checked.engines == {"both": 2, "compiled": 2}  # first batch, shared; two more
    found = [f for f in checked.outcome.violations if f.focus == pledge]
    assert found, checked.outcome.readable()
    readable = checked.outcome.readable(found)
    assert f"yemen-{EXTRA - 1:04d}.yaml" in readable


def test_small_corpus_is_checked_by_both_engines_throughout(corpus: Path) -> None:
    checked = check(corpus, workers=1)
    assert checked.outcome.conforms
    assert set(checked.engines) == {"both"}


def test_pyshacl_alone_finds_what_both_find(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    data = japan_data(tmp_path, extra=3)
    damage(monkeypatch, "yemen-0001")
    both = check(data, workers=1)
    alone = check(data, workers=1, validator="pyshacl")
    assert set(alone.engines) == {"pyshacl"}
    assert both.outcome.findings == alone.outcome.findings and not both.outcome.conforms


def test_engines_that_disagree_stop_the_build(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    data = japan_data(tmp_path, extra=3)
    damage(monkeypatch, "yemen-0002")
    out = tmp_path / "dist"
    # the compiled shapes lose the shape the damage violates; pyshacl keeps every shape
    partial = Graph()
    for triple in shapes_graph():
        partial.add(triple)
    partial.remove((Iris().shapes["Pledge-number"], None, None))
    real_compile = batches.compile_shapes
    monkeypatch.setattr(batches, "compile_shapes", lambda shapes: real_compile(partial))
    with pytest.raises(BuildError, match="disagree"):
        build(data, out)
    assert not out.exists()


def test_violation_in_a_batch_names_the_source_line(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data = japan_data(tmp_path)
    pledge = damage(monkeypatch, "japan-2023")
    checked = check(data, workers=1)
    [violation] = checked.outcome.violations
    assert violation.focus == pledge
    line = line_of(data / "sources" / "japan-2023.txt", "**PLEDGE NUMBER 2:**")
    assert f"sources/japan-2023.txt:{line}" in checked.outcome.readable()
