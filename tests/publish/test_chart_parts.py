"""The charts answered batch by batch: a corpus built in many batches publishes, for every
chart, its query's answer over the whole release, and the very files the whole dump gives;
the sums refuse what they cannot add up, and give way when a batch read a shared resource
other than the release describes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_charts import release_store
from web_server import generated_data

from pledge_graph.build.pipeline import build, check
from pledge_graph.publish.chart_parts import ChartParts, ChartSums, plan
from pledge_graph.publish.charts import INDEX, write_charts
from pledge_graph.publish.files import ontology_text

BASE = "https://w3id.org/pledge-graph/"
PG = f"<{BASE}ontology/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated corpus of 240 pledges in six languages, imported."""
    return generated_data(tmp_path_factory.mktemp("chart-parts"), 240, 3)


@pytest.fixture(scope="module")
def batched(corpus: Path) -> Path:
    """The corpus built in batches of 8 records by two workers."""
    return build(corpus, corpus.parent / "dist", batch_records=8, workers=2).out_dir


def test_many_batches_give_each_querys_answer_over_the_whole_release(
        corpus: Path, batched: Path, tmp_path: Path) -> None:
    answers = check(corpus, BASE, dumps_to=tmp_path, batch_records=8, workers=2).charts
    assert answers is not None  # added up from the batches, not read from the dump
    listed = json.loads((batched / INDEX).read_text(encoding="utf-8"))["charts"]
    store = release_store(batched)
    for chart in listed:
        answer = store.query(chart["query"])
        assert isinstance(answer, ox.QuerySolutions)
        expected = answer.serialize(format=ox.QueryResultsFormat.CSV)
        assert answers[chart["name"]].serialize(format=ox.QueryResultsFormat.CSV) == expected
        assert (batched / chart["files"]["csv"]).read_bytes() == expected, chart["name"]
        assert len(chart["rows"]) > 1, chart["name"]  # the corpus has something to add up


def test_the_batches_sums_write_the_files_the_whole_dump_writes(batched: Path,
                                                               tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    whole.mkdir()
    shutil.copy(batched / "pledge-graph.nt", whole)
    names, problem = write_charts(whole, BASE, ontology_text(BASE))
    assert problem is None
    for name in names:
        assert (whole / name).read_bytes() == (batched / name).read_bytes(), name


def test_a_query_that_does_not_add_up_is_refused() -> None:
    for head in ("SELECT ?g (AVG(?n) AS ?mean)", "SELECT ?g (MAX(?n) AS ?most)",
                 "SELECT ?g (COUNT(DISTINCT ?p) AS ?n) (?n * 2 AS ?twice)"):
        with pytest.raises(ValueError, match="COUNT"):
            plan(f"{head}\nWHERE {{ ?p ?x ?g }}\nGROUP BY ?g\n")
    with pytest.raises(ValueError, match="grouped"):
        plan("SELECT ?g ?h (SUM(?n) AS ?sum)\nWHERE { ?g ?h ?n }\nGROUP BY ?g\n")
    assert plan("SELECT ?g (SUM(?n) AS ?sum)\nWHERE { ?g ?h ?n }\nGROUP BY ?g\n"
                "ORDER BY DESC(?sum)").columns == ("g", "sum")


def _pledge(number: int, actor: str) -> list[tuple[str, str, str]]:
    pledge = f"<{BASE}id/pledge/p-{number}>"
    return [(pledge, RDF_TYPE, f"{PG}Pledge>"), (pledge, f"{PG}pledgedBy>", actor)]


def test_a_shared_resource_read_otherwise_than_the_release_says_gives_way() -> None:
    """One batch saw the actor as a State, the release also says it is a parliament: the
    sums do not answer, so that the build answers from the whole dump."""
    parts = ChartParts(BASE, ontology_text(BASE), (f"<{BASE}id/pledge/",))
    actor = f"<{BASE}id/actor/someone>"
    state = (actor, RDF_TYPE, f"{PG}State>")
    parliament = (actor, RDF_TYPE, f"{PG}Parliament>")
    sums = ChartSums(parts)
    sums.add(parts.part(_pledge(1, actor), [state]))
    sums.add(parts.part(_pledge(2, actor), [state]))
    answers = sums.answers([state])
    assert answers is not None
    kinds = answers["pledges-by-actor-kind"].serialize(format=ox.QueryResultsFormat.CSV)
    assert kinds.splitlines()[1:] == [f"{BASE}ontology/State,State,2".encode()]
    assert sums.answers([state, parliament]) is None
