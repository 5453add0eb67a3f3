"""The store: the bundled release loaded into the embedded store, and the process pool that
stops runaway queries."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
from web_server import bundled_release

from pledge_graph.errors import QuerySyntaxError, QueryTimeout, StoreError
from pledge_graph.paths import DATA_DIR
from pledge_graph.rdf.vocab import Iris
from pledge_graph.store.embedded import EmbeddedStore, ResultTooLarge, SparqlMethods
from pledge_graph.store.loading import load_file, load_inputs, load_release
from pledge_graph.store.pool import ProcessPool

IRIS = Iris()
PG = str(IRIS.ontology)
JAPAN = str(IRIS.submission("japan-2023"))
PLEDGE_1 = str(IRIS.pledge("japan-2023", 1))
JSON = {"solutions": "application/sparql-results+json", "boolean": "application/sparql-results+json",
        "graph": "application/n-triples"}
COUNT_PLEDGES = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p a <{PG}Pledge> }}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def release() -> Path:
    return bundled_release()[1]


@pytest.fixture(scope="module")
def store(release: Path) -> EmbeddedStore:
    store = EmbeddedStore()
    load_release(store, release, IRIS)
    return store


def bindings(body: bytes) -> list[dict[str, str]]:
    data = json.loads(body)
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def test_the_japanese_document_has_three_pledges(store):
    answer = store.query(COUNT_PLEDGES, media_types=JSON)
    assert answer.kind == "solutions" and answer.count == 1
    assert bindings(answer.body) == [{"n": "3"}]


def test_each_release_file_is_a_named_graph_and_the_default_graph_merges_them(store, release):
    graphs = store.graphs()
    assert str(IRIS.dump("pledge-graph.nt")) in graphs
    assert str(IRIS.dump("ontology.ttl")) in graphs
    in_data = store.count(f"GRAPH <{IRIS.dump('pledge-graph.nt')}> {{ ?s ?p ?o }}")
    lines = [line for line in (release / "pledge-graph.nt").read_text().splitlines() if line]
    assert in_data == len(lines)
    assert store.count() >= in_data
    ontology_term = f"<{PG}Pledge> a ?type"
    assert store.count(ontology_term) >= 1


@pytest.mark.parametrize("media_type", ["application/sparql-results+json",
                                        "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
def test_select_answers_in_every_result_format(store, media_type):
    query = f"SELECT ?n WHERE {{ <{PLEDGE_1}> <{PG}pledgeNumber> ?n }}"
    answer = store.query(query, media_types={"solutions": media_type})
    assert answer.media_type == media_type and answer.count == 1
    text = answer.body.decode()
    if media_type.endswith("json"):
        assert bindings(answer.body) == [{"n": "1"}]
    elif media_type.endswith("xml"):
        root = ET.fromstring(answer.body)
        ns = "{http://www.w3.org/2005/sparql-results#}"
        assert root.find(f"{ns}results/{ns}result/{ns}binding/{ns}literal").text == "1"
    elif media_type == "text/csv":
        assert list(csv.reader(io.StringIO(text))) == [["n"], ["1"]]
    else:
        assert text.splitlines()[0] == "?n"
        # an integer: bare, or typed when its datatype is a derived integer type
        assert re.fullmatch(r'1|"1"\^\^<http://www.w3.org/2001/XMLSchema#\w*[iI]nteger>',
                            text.splitlines()[1])


def test_resource_description_has_both_directions_and_owned_parts(store):
    answer = store.resource(JAPAN, "application/n-triples")
    triples = [q.triple for q in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)]
    subjects = {t.subject.value for t in triples}
    assert JAPAN in subjects
    inverse = {t.subject.value for t in triples if t.object == ox.NamedNode(JAPAN)}
    assert {str(IRIS.pledge("japan-2023", n)) for n in (1, 2, 3)} <= inverse
    checksum = [t.object.value for t in triples
                if t.predicate.value == "http://spdx.org/rdf/terms#checksumValue"]
    source = (DATA_DIR / "sources" / "japan-2023.txt").read_bytes()
    assert checksum == [hashlib.sha256(source).hexdigest()]


def test_unknown_iri_has_an_empty_description(store):
    assert store.resource(str(IRIS.pledge("nowhere-1999", 1)), "text/turtle").count == 0


def test_protocol_dataset_replaces_from_clauses(store):
    data = str(IRIS.dump("pledge-graph.nt"))
    ontology = str(IRIS.dump("ontology.ttl"))
    query = f"ASK FROM <{data}> {{ ?p a <{PG}Pledge> }}"
    assert json.loads(store.query(query, media_types=JSON).body)["boolean"] is True
    overridden = store.query(query, media_types=JSON, default_graph_uris=[ontology])
    assert json.loads(overridden.body)["boolean"] is False


def test_result_cap_refuses_the_whole_answer(release):
    small = EmbeddedStore(limit=2)
    load_release(small, release, IRIS)
    with pytest.raises(ResultTooLarge, match="more than 2 rows"):
        small.query(f"SELECT ?p WHERE {{ ?p a <{PG}Pledge> }}", media_types=JSON)
    with pytest.raises(ResultTooLarge, match="more than 2 triples"):
        small.query(f"CONSTRUCT WHERE {{ ?p a <{PG}Pledge> }}", media_types=JSON)


def test_malformed_query_is_a_syntax_error(store):
    with pytest.raises(QuerySyntaxError, match="not valid SPARQL"):
        store.query("SELECT ?x WHERE {", media_types=JSON)


def test_bad_rdf_file_is_reported_with_its_name_and_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        load_file(EmbeddedStore(), bad)
    assert "bad.ttl" in str(caught.value) and "Turtle" in str(caught.value)


def test_pool_stops_a_runaway_query_and_keeps_answering(release, tmp_path):
    on_disk = EmbeddedStore(tmp_path / "store")
    load_release(on_disk, release, IRIS)
    del on_disk
    pool = ProcessPool(tmp_path / "store", workers=2, timeout=1.0)
    try:
        assert bindings(pool.query(COUNT_PLEDGES, media_types=JSON).body) == [{"n": "3"}]
        quick: list[float] = []

        def ask_quickly() -> None:
            time.sleep(0.3)
            started = time.monotonic()
            pool.query(COUNT_PLEDGES, media_types=JSON, timeout=5)
            quick.append(time.monotonic() - started)

        other = threading.Thread(target=ask_quickly)
        other.start()
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="longer than 1 s"):
            pool.query(RUNAWAY, media_types=JSON)
        elapsed = time.monotonic() - started
        other.join()
        assert 1.0 <= elapsed < 2.0
        assert quick and quick[0] < 0.5
        for _ in range(3):
            assert bindings(pool.query(COUNT_PLEDGES, media_types=JSON).body) == [{"n": "3"}]
    finally:
        pool.close()


def test_a_steady_load_keeps_its_workers_and_they_go_once_idle(release, tmp_path):
    on_disk = EmbeddedStore(tmp_path / "store")
    load_release(on_disk, release, IRIS)
    del on_disk
    pool = ProcessPool(tmp_path / "store", workers=2, queries=4, long_queries=2,
                       idle_for=1.0)
    try:
        seen: set[int] = set()
        for _ in range(5):  # rounds of four queries at once: four places in use
            threads = [threading.Thread(target=pool.query, args=(COUNT_PLEDGES,),
                                        kwargs={"media_types": JSON}) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            seen.update(pool.worker_pids())
        # no worker started per query: the two kept ready and at most two more
        assert len(seen) <= 4, seen
        assert len(pool.worker_pids()) >= 3
        time.sleep(2.5)  # idle past idle_for: back to the two kept ready
        assert len(pool.worker_pids()) == 2
        assert bindings(pool.query(COUNT_PLEDGES, media_types=JSON).body) == [{"n": "3"}]
    finally:
        pool.close()


def test_renewed_workers_are_fresh_processes_that_answer(release, tmp_path):
    """What ``serve`` does once the start-up's example queries are answered: the idle
    workers that ran them (and kept the heap they grew) are replaced by fresh ones."""
    on_disk = EmbeddedStore(tmp_path / "store")
    load_release(on_disk, release, IRIS)
    del on_disk
    pool = ProcessPool(tmp_path / "store", workers=2)
    try:
        assert bindings(pool.query(COUNT_PLEDGES, media_types=JSON).body) == [{"n": "3"}]
        before = pool.worker_pids()
        assert pool.renew_idle() == 2
        deadline = time.monotonic() + 20
        while len(pool.worker_pids()) < 2 or set(pool.worker_pids()) & set(before):
            assert time.monotonic() < deadline, pool.worker_pids()
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in before)
        assert bindings(pool.query(COUNT_PLEDGES, media_types=JSON).body) == [{"n": "3"}]
    finally:
        pool.close()


def test_query_workers_load_neither_rdflib_nor_the_web_stack():
    code = ("import sys, pledge_graph.store.pool; "
            "print(sorted(m for m in ('rdflib', 'starlette', 'uvicorn', 'pyshacl') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_labels_prefer_the_preferred_label_in_english_or_untagged():
    store = EmbeddedStore()
    store.native.load(input=b"""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix dct: <http://purl.org/dc/terms/> .
        <http://ex/a> rdfs:label "A label"@en ; skos:prefLabel "Zed"@en, "Alpha"@en, "Fr"@fr .
        <http://ex/b> rdfs:label "B"@de ; dct:title "Title B" .
        <http://ex/c> rdfs:label "C"@fr .
        """, format=ox.RdfFormat.TURTLE)
    iris = ["http://ex/a", "http://ex/b", "http://ex/c", "http://ex/none"]
    assert store.labels(iris) == {"http://ex/a": "Alpha", "http://ex/b": "Title B"}
    assert store.labels(iris) == SparqlMethods.labels(store, iris)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_pool_moves_to_an_in_memory_copy_and_still_stops_runaways(release, tmp_path):
    on_disk = EmbeddedStore(tmp_path / "store")
    load_inputs(on_disk, release, IRIS)
    del on_disk
    loader = functools.partial(load_inputs, release_dir=release, iris=IRIS)
    pool = ProcessPool(tmp_path / "store", workers=2, timeout=1.0, loader=loader)
    try:
        before = pool.worker_pids()
        assert bindings(pool.query(COUNT_PLEDGES, media_types=JSON).body) == [{"n": "3"}]
        assert pool.wait_in_memory(60)
        assert pool.template_mb > 0
        answers = {pool.query(COUNT_PLEDGES, media_types=JSON).body for _ in range(4)}
        assert [bindings(a) for a in answers] == [[{"n": "3"}]]
        moved = pool.worker_pids()
        assert not set(moved) & set(before)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in before) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in before)
        with pytest.raises(QueryTimeout, match="longer than 1 s"):
            pool.query(RUNAWAY, media_types=JSON)
        assert bindings(pool.query(COUNT_PLEDGES, media_types=JSON).body) == [{"n": "3"}]
        assert pool.in_memory
    finally:
        pool.close()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in moved) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in moved)
def test_a_worker_whose_heap_a_query_grew_is_replaced_after_it_answers(tmp_path):
    """A worker keeps the heap a large answer grew: past half the memory limit it is
    replaced once it has answered (its reply says its memory after a query that took a
    while), and one that answered short queries is kept."""
    on_disk = EmbeddedStore(tmp_path / "store")
    on_disk.native.load(input="".join(
        f'<http://example.org/g/{n}> <http://example.org/p> "{"value " * 8}{n}" .\n'
        for n in range(60_000)).encode(), format=ox.RdfFormat.N_TRIPLES)
    del on_disk
    pool = ProcessPool(tmp_path / "store", workers=1, queries=1, memory_mb=80,
                       limit=1_000_000)
    try:
        pool.query("ASK { ?s ?p ?o }", media_types=JSON)
        (kept,) = pool.worker_pids()
        for _ in range(40):  # short queries: the same worker answers each
            pool.query("ASK { ?s ?p ?o }", media_types=JSON)
        assert pool.worker_pids() == [kept]
        answer = pool.query("CONSTRUCT WHERE { ?s ?p ?o }",
                            media_types={"graph": "application/n-triples"})
        assert answer.body.count(b"\n") == 60_000
        deadline = time.monotonic() + 20
        while kept in pool.worker_pids() or not pool.worker_pids():
            assert time.monotonic() < deadline, pool.worker_pids()
            time.sleep(0.05)
        assert not _alive(kept)
    finally:
        pool.close()
