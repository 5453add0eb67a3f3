"""A running server serves the release it opened, whole, while that release is rebuilt in
place: the dumps, the catalog's checksums, the SPARQL answers and the pages all stay those
of one release, nothing answers 500, no answer names a file on the server, and a restart
serves the new release."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from web_server import Server, bundled_release, cli

from pledge_graph.rdf.vocab import Iris

IRIS = Iris()
PG = str(IRIS.ontology)
SRJ = "application/sparql-results+json"
MEMORY = "in-memory copy"
LABELS = (f"SELECT ?l WHERE {{ ?p a <{PG}Pledge> ; "
          "<http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l")
CHECKSUMS = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
SELECT ?url ?sum WHERE { ?d dcat:downloadURL ?url ; spdx:checksum/spdx:checksumValue ?sum }"""
RESOURCES = ["/id/pledge/japan-2023/1", "/id/pledge/japan-2023/2", "/id/pledge/japan-2023/3",
             "/id/submission/japan-2023", "/ontology/Pledge", "/dataset"]


class Served:
    """The server started before the rebuild, its options, what it served then, and the
    folders."""

    def __init__(self, root: Path, server: Server, before: dict[str, bytes],
                 options: tuple[str, ...]) -> None:
        self.root = root
        self.server = server
        self.before = before
        self.options = options


def catalog_checksums(http: httpx.Client) -> dict[str, str]:
    """The sha256 the served catalog gives for each file under /dumps/, by local path."""
    r = http.get("/catalog", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200, r.text
    triples = [q.triple for q in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)]
    value = {t.subject: t.object.value for t in triples
             if t.predicate.value == "http://spdx.org/rdf/terms#checksumValue"}
    checksum = {t.subject: value[t.object] for t in triples
                if t.predicate.value == "http://spdx.org/rdf/terms#checksum"}
    sums = {local(t.object.value): checksum[t.subject] for t in triples
            if t.predicate.value == "http://www.w3.org/ns/dcat#downloadURL"}
    assert len(sums) >= 6 and all(path.startswith("/dumps/") for path in sums)
    return sums


def sparql_checksums(http: httpx.Client) -> dict[str, str]:
    rows = answer(http, CHECKSUMS)
    return {local(row["url"]["value"]): row["sum"]["value"] for row in rows}


def local(iri: str) -> str:
    assert iri.startswith(IRIS.base), iri
    return "/" + iri[len(IRIS.base):]


def answer(http: httpx.Client, query: str) -> list[dict[str, dict[str, str]]]:
    r = http.post("/sparql", data={"query": query}, headers={"Accept": SRJ})
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def labels(http: httpx.Client) -> list[str]:
    return [row["l"]["value"] for row in answer(http, LABELS)]


def assert_whole(http: httpx.Client) -> dict[str, bytes]:
    """Every dump the catalog lists is served with the checksum the catalog and the SPARQL
    endpoint give for it; return the dumps' bytes by path."""
    sums = catalog_checksums(http)
    assert sparql_checksums(http) == sums
    served = {}
    for path, expected in sums.items():
        r = http.get(path)
        assert r.status_code == 200, path
        assert hashlib.sha256(r.content).hexdigest() == expected, path
        served[path] = r.content
    triples = sum(1 for line in served["/dumps/pledge-graph.nt"].splitlines() if line)
    data = IRIS.dump("pledge-graph.nt")
    counted = answer(http, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{data}> {{ ?s ?p ?o }} }}")
    assert int(counted[0]["n"]["value"]) == triples
    assert f'id="stat-triples">{triples}<' in http.get("/", headers={"Accept": "text/html"}).text
    return served


@pytest.fixture(scope="module", params=[(), ("--in-memory",)], ids=["on-disk", "in-memory"])
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on a copy of the bundled release, its queries on the store on disk or (once
    loaded) on the in-memory copy, and the release rebuilt beside it."""
    data, release = bundled_release()
    root = tmp_path_factory.mktemp("pinning")
    shutil.copytree(data, root / "data")
    shutil.copytree(release, root / "dist")
    server = Server("--data", root / "data", "--out", root / "dist", *request.param)
    try:
        if request.param:
            server.wait_for(MEMORY)
        with server.client() as http:
            assert "Japan" in " ".join(labels(http))
            before = assert_whole(http)
        record = root / "data" / "records" / "japan-2023.yaml"
        record.write_text(record.read_text(encoding="utf-8").replace("Japan", "Nippon"),
                          encoding="utf-8")
        cli("build", "--data", root / "data", "--out", root / "dist")
        yield Served(root, server, before, request.param)
    finally:
        server.stop()


def test_a_rebuild_leaves_the_served_release_whole(served: Served) -> None:
    rebuilt = {p.name: p.read_bytes() for p in (served.root / "dist").iterdir() if p.is_file()}
    assert b"Nippon" in rebuilt["pledge-graph.nt"]
    with served.server.client() as http:
        after = assert_whole(http)
        assert after == served.before
        listed = http.get("/dumps/").text
    assert all(f'href="{path}"' in listed for path in after)


def test_queries_and_pages_answer_from_the_served_release_after_a_rebuild(served: Served) -> None:
    with served.server.client() as http:
        names = labels(http)
        assert "Japan" in " ".join(names) and "Nippon" not in " ".join(names)
        for path in RESOURCES:
            for accept in ("text/html", "text/turtle", "application/ld+json"):
                r = http.get(path, headers={"Accept": accept})
                assert r.status_code == 200, (path, accept, r.text[:300])
                assert b"Nippon" not in r.content
        for path in ("/", "/sparql", "/.well-known/void", "/context.jsonld",
                     f"/store?graph={IRIS.dump('void.ttl')}"):
            assert http.get(path).status_code == 200, path


def test_no_answer_names_a_file_on_the_server(served: Served) -> None:
    asked = ["/", "/dumps/", "/catalog", "/.well-known/void", "/sparql", *RESOURCES,
             "/dumps/nothing.ttl", "/dumps/.store", "/id/pledge/nowhere-1999/1",
             "/id/pledge/japan-2023/1?format=png", "/sparql?query=SELECT",
             "/store?graph=http://example.org/nothing", "/store?graph=not%20an%20iri",
             "/static/nothing.css"]
    with served.server.client() as http:
        bodies = {path: http.get(path).content for path in asked}
        bodies["POST /sparql"] = http.post("/sparql", content=b"\xff",
                                           headers={"Content-Type": "application/sparql-query"}
                                           ).content
    marks = [str(served.root).encode(), b"/.store/", b".served/", b"/tmp/"]
    for path, body in bodies.items():
        assert not any(mark in body for mark in marks), (path, body[:300])


def test_a_restart_serves_the_new_release(served: Served) -> None:
    server = Server("--data", served.root / "data", "--out", served.root / "dist",
                    *served.options)
    try:
        if served.options:
            server.wait_for(MEMORY)
        with server.client() as http:
            assert "Nippon" in " ".join(labels(http))
            now = assert_whole(http)
    finally:
        server.stop()
    files = {p.name: p.read_bytes() for p in (served.root / "dist").iterdir() if p.is_file()}
    assert {path: files[path.rsplit("/", 1)[1]] for path in now} == now
    with served.server.client() as http:
        assert assert_whole(http) == served.before
