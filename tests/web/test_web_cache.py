"""Serving under load: kept answers are the answers, a new release is never answered from an
old one, queries on the in-memory copy (``--in-memory``) answer as on the store on disk,
busy moments delay short queries instead of failing them, and a query that runs away in
time or memory is stopped without failing the others."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from web_server import Server, bundled_release, cli

from pledge_graph.rdf.vocab import Iris

IRIS = Iris()
PG = str(IRIS.ontology)
SRJ = "application/sparql-results+json"
PLEDGE = "/id/pledge/japan-2023/1"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# every pair of triples, sorted: the sort holds them all in memory at once
GREEDY = "SELECT ?a ?d ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f ?a ?d"


def wait_for_memory(server: Server, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while "in-memory copy" not in server.stdout.read_text():
        assert time.monotonic() < deadline, "the in-memory copy was not announced"
        time.sleep(0.05)


def rows(response: httpx.Response) -> list[dict[str, object]]:
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def pledge_labels(client: httpx.Client) -> list[str]:
    query = (f"SELECT ?p ?l WHERE {{ ?p a <{PG}Pledge> ; "
             "<http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?p ?l")
    return [row["l"]["value"] for row in rows(client.get("/sparql", params={"query": query}))]


def canonical(response: httpx.Response) -> list[tuple[tuple[str, str], ...]]:
    """Rows in a fixed order, GROUP_CONCAT lists sorted: SPARQL leaves both orders open."""
    return sorted(tuple(sorted((var, " ".join(sorted(term["value"].split(" "))))
                               for var, term in row.items())) for row in rows(response))


@pytest.fixture(scope="module")
def busy_server():
    server = Server("--timeout", "2", "--queries", "1")  # one new query runs at a time
    yield server
    server.stop()


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "text/html"])
def test_a_kept_answer_is_the_answer_with_every_header(server, accept):
    with server.client() as client:
        first = client.get(PLEDGE, headers={"Accept": accept})
        again = client.get(PLEDGE, headers={"Accept": accept})
        head = client.head(PLEDGE, headers={"Accept": accept})
        current = client.get(PLEDGE, headers={"Accept": accept,
                                               "If-None-Match": first.headers["etag"]})
        stale = client.get(PLEDGE, headers={"Accept": accept, "If-None-Match": '"other"'})
    assert first.status_code == again.status_code == head.status_code == 200
    assert again.content == first.content and "japan-2023/1" in first.text
    for name in ("content-type", "content-length", "etag", "last-modified", "vary",
                 "content-location", "access-control-allow-origin", "cache-control"):
        assert again.headers[name] == first.headers[name] == head.headers[name], name
    assert head.content == b""
    assert current.status_code == 304 and current.headers["etag"] == first.headers["etag"]
    assert stale.status_code == 200 and stale.content == first.content
    assert stale.headers["etag"] == first.headers["etag"]


def test_formats_are_kept_apart(server):
    with server.client() as client:
        turtle = client.get(PLEDGE, headers={"Accept": "text/turtle"})
        by_format = client.get(PLEDGE, params={"format": "jsonld"},
                               headers={"Accept": "text/turtle"})
        html = client.get(PLEDGE, headers={"Accept": "text/html"})
        turtle_again = client.get(PLEDGE, headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert by_format.headers["content-type"].startswith("application/ld+json")
    assert html.headers["content-type"].startswith("text/html")
    assert turtle_again.content == turtle.content


@pytest.mark.parametrize("accept", [SRJ, "application/sparql-results+xml", "text/csv",
                                    "text/tab-separated-values"])
def test_a_kept_lookup_is_the_lookup_in_each_format(server, accept):
    """The one-subject lookup, answered by a pattern read and kept whole, answers as the
    query workers answer the same query written otherwise, again and again."""
    iri = IRIS.base + PLEDGE.lstrip("/")
    lookup = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"
    with server.client() as client:
        first = client.get("/sparql", params={"query": lookup}, headers={"Accept": accept})
        again = client.get("/sparql", params={"query": lookup}, headers={"Accept": accept})
        head = client.head("/sparql", params={"query": lookup}, headers={"Accept": accept})
        worker = client.get("/sparql", params={"query": lookup + " LIMIT 100000"},
                            headers={"Accept": accept})
        other = client.get("/sparql", params={"query": lookup, "format": "json"},
                           headers={"Accept": accept})
    assert first.status_code == again.status_code == head.status_code == 200, first.text
    assert first.headers["content-type"].startswith(accept)
    assert again.content == first.content and head.content == b""
    assert _lines(worker) == _lines(first)  # rows in any order
    for name in ("content-type", "content-length", "vary", "access-control-allow-origin"):
        assert again.headers[name] == first.headers[name] == head.headers[name], name
    assert other.headers["content-type"].startswith(SRJ)
    assert (other.content == first.content) == (accept == SRJ)


@pytest.mark.parametrize("accept", [SRJ, "text/csv"])
def test_a_posted_lookup_is_kept_and_answered_as_its_get(server, accept):
    """A lookup sent by POST (a form, or the query as the body) is kept too, and answered
    again as the GET of the same query is, header for header; other bodies, other formats
    and another dataset are never answered from it."""
    iri = IRIS.base + PLEDGE.lstrip("/")
    lookup = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"
    other = lookup.replace("japan-2023/1>", "japan-2023/2>")
    form = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
    body = {"Accept": accept, "Content-Type": "application/sparql-query"}
    with server.client() as client:
        get = client.get("/sparql", params={"query": lookup}, headers={"Accept": accept})
        posted = [client.post("/sparql", content=urlencode({"query": lookup}), headers=form)
                  for _ in range(3)]
        posted += [client.post("/sparql", content=lookup.encode(), headers=body)
                   for _ in range(3)]
        second = client.post("/sparql", content=urlencode({"query": other}), headers=form)
        as_json = client.post("/sparql", content=lookup.encode(),
                              headers={**body, "Accept": "application/sparql-results+xml"})
        by_format = client.post("/sparql?format=json", content=lookup.encode(), headers=body)
        dataset = client.post("/sparql", content=urlencode(
            {"query": lookup, "default-graph-uri": "http://example.org/none"}), headers=form)
    assert get.status_code == 200
    for answer in posted:
        assert answer.status_code == 200 and answer.content == get.content
        for name in ("content-type", "content-length", "vary", "access-control-allow-origin"):
            assert answer.headers[name] == get.headers[name], name
    assert second.status_code == 200 and second.content != get.content
    assert as_json.headers["content-type"].startswith("application/sparql-results+xml")
    assert by_format.headers["content-type"].startswith(SRJ)
    assert (by_format.content == get.content) == (accept == SRJ)
    assert dataset.status_code == 200 and len(dataset.content) < len(get.content)  # no rows


def _lines(response: httpx.Response) -> list[str]:
    """The answer's rows (JSON), results (XML) or lines (CSV, TSV), sorted."""
    if response.headers["content-type"].startswith(SRJ):
        return sorted(json.dumps(row, sort_keys=True) for row in rows(response))
    return sorted(re.split(r"\n|</result>", response.text))


def _pledge_served(data, out):
    """The pledge as Turtle and its page's labels, from a server started on the release."""
    server = Server("--data", data, "--out", out)
    try:
        with server.client() as client:
            return client.get(PLEDGE, headers={"Accept": "text/turtle"}), pledge_labels(client)
    finally:
        server.stop()


def test_a_new_release_is_never_answered_from_the_old_one(tmp_path):
    data, release = bundled_release()
    mine = tmp_path / "data"
    shutil.copytree(data, mine)
    out = tmp_path / "dist"
    shutil.copytree(release, out)
    before, labels_before = _pledge_served(mine, out)
    record = mine / "records" / "japan-2023.yaml"
    text = record.read_text(encoding="utf-8")
    assert "Japan" in text
    record.write_text(text.replace("Japan", "Nippon"), encoding="utf-8")
    cli("build", "--data", mine, "--out", out)
    after, labels_after = _pledge_served(mine, out)
    assert before.status_code == after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert "Nippon" in after.text and "Nippon" not in before.text
    assert labels_after != labels_before


def test_the_in_memory_copy_answers_as_the_store_on_disk():
    on_disk = Server("--no-in-memory", "--cache-mb", "0")  # the default, by its old name
    in_memory = Server("--in-memory", "--cache-mb", "0")
    try:
        wait_for_memory(in_memory)
        assert "in-memory copy" not in on_disk.stdout.read_text()
        for name in sorted(p.stem for p in (Path(__file__).parents[2] / "queries")
                           .glob("*.rq")):
            query = (Path(__file__).parents[2] / "queries" / f"{name}.rq").read_text()
            with on_disk.client() as a, in_memory.client() as b:
                ra = a.post("/sparql", data={"query": query}, headers={"Accept": SRJ})
                rb = b.post("/sparql", data={"query": query}, headers={"Accept": SRJ})
            assert ra.status_code == rb.status_code == 200, name
            assert canonical(ra) == canonical(rb), name
    finally:
        on_disk.stop()
        in_memory.stop()


def test_more_queries_than_places_wait_their_turn(busy_server):
    # distinct queries (no kept answer), each short (tens of milliseconds): together they
    # hold the one place longer than the 2 s limit, which counts from a query's start only
    queries = [f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a a ?c . ?d a ?c FILTER(?a != <urn:{n}>) }}"
               for n in range(48)]

    def ask(query: str) -> httpx.Response:
        with busy_server.client() as client:
            return client.post("/sparql", data={"query": query}, headers={"Accept": SRJ})

    with ThreadPoolExecutor(len(queries)) as pool:
        answers = list(pool.map(ask, queries))
    assert [a.status_code for a in answers] == [200] * len(queries), [a.text for a in answers]
    counts = {a.json()["results"]["bindings"][0]["n"]["value"] for a in answers}
    assert len(counts) == 1


def test_a_runaway_does_not_fail_the_requests_beside_it(busy_server):
    outcomes: list[int] = []
    stop = threading.Event()

    def normal(n: int) -> None:
        with busy_server.client() as client:
            while not stop.is_set():
                query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p <urn:x{n}:{len(outcomes)}> }}"
                outcomes.append(client.post("/sparql", data={"query": query},
                                            headers={"Accept": SRJ}).status_code)
                outcomes.append(client.get(PLEDGE, headers={"Accept": "text/html"}).status_code)

    threads = [threading.Thread(target=normal, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        with busy_server.client() as client:
            runaway = client.post("/sparql", data={"query": RUNAWAY}, headers={"Accept": SRJ})
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert runaway.status_code == 503 and "longer than 2 s" in runaway.text
    assert len(outcomes) > 8
    assert set(outcomes) == {200}


def test_a_query_past_the_memory_limit_is_stopped_and_the_server_goes_on():
    server = Server("--memory-mb", "48", "--timeout", "60")
    try:
        with httpx.Client(base_url=server.url, timeout=90) as client:
            started = time.monotonic()
            greedy = client.post("/sparql", data={"query": GREEDY}, headers={"Accept": SRJ})
            took = time.monotonic() - started
            after = client.get(PLEDGE, headers={"Accept": "text/turtle"})
            counted = client.get("/sparql", params={
                "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p a <{PG}Pledge> }}"})
    finally:
        server.stop()
    assert greedy.status_code == 503, greedy.text[:300]
    assert "memory" in greedy.text and "48 MiB" in greedy.text
    assert took < 60
    assert after.status_code == 200
    assert int(rows(counted)[0]["n"]["value"]) > 0
