"""Prepared descriptions: every resource's page and JSON-LD written once per release and
answered from that file, the very answers ``serve`` makes per request; never those of
other code or of another release."""

from __future__ import annotations

import sqlite3
import time
import zlib
from pathlib import Path

import pytest

from pledge_graph.rdf.vocab import Iris
from pledge_graph.site.documents import ROUTES
from pledge_graph.web.prepared import PREPARED_FORMATS, PREPARED_NAME
from tests.web_server import Server, bundled_release

IRIS = Iris()
HTML = {"Accept": "text/html"}
READY = "descriptions ready"
FORMATS = {"html": "text/html", "jsonld": "application/ld+json", "ttl": "text/turtle"}


def _resource_paths(server: Server) -> list[str]:
    """The path of every IRI under the base the served graph names, as its endpoint says."""
    query = (f"SELECT DISTINCT ?t WHERE {{ {{ ?t ?p ?o }} UNION {{ ?s ?p ?t }} "
             f"FILTER(isIRI(?t) && STRSTARTS(STR(?t), \"{IRIS.base}\")) }}")
    with server.client() as client:
        answer = client.get("/sparql", params={"query": query},
                            headers={"Accept": "application/sparql-results+json"})
    rows = answer.json()["results"]["bindings"]
    paths = {row["t"]["value"][len(IRIS.base):] for row in rows}
    # the landing page, the endpoint, the dumps... answer with routes of their own
    return sorted("/" + p for p in paths
                  if p not in ROUTES and not p.startswith(("dumps/", "static/")))


def _own_store(tmp: Path) -> tuple[str, str]:
    """``--also`` with a file of one triple: the server gets a store directory of its own
    (the store's key names its inputs), which this test may change."""
    extra = tmp / "extra.nt"
    extra.write_text(f"<{IRIS.base}id/pledge/japan-2023/1> "
                     "<http://www.w3.org/2000/01/rdf-schema#comment> \"extra\" .\n")
    return "--also", str(extra)


def _store_dir(server: Server) -> Path:
    """The store directory a server reads (the one whose prepared file it said is ready)."""
    release = bundled_release()[1]
    newest = max((p for p in release.parent.glob(".*/*/.store/*")
                  if (p / PREPARED_NAME).is_file()),
                 key=lambda p: (p / PREPARED_NAME).stat().st_mtime)
    return newest


@pytest.fixture(scope="module")
def prepared() -> Server:
    running = Server()
    running.wait_for(READY, limit=120)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def per_request() -> Server:
    running = Server("--no-prepared-descriptions")
    yield running
    running.stop()


@pytest.mark.parametrize("key", sorted(FORMATS))
def test_every_answer_from_the_file_is_the_answer_made_per_request(prepared, per_request, key):
    assert set(PREPARED_FORMATS) <= set(FORMATS)
    paths = _resource_paths(per_request)
    assert len(paths) > 400
    asked = {"Accept": FORMATS[key]}
    with prepared.client() as ours, per_request.client() as theirs:
        for path in paths:
            a, b = ours.get(path, headers=asked), theirs.get(path, headers=asked)
            assert (a.status_code, a.headers.get("content-type"), a.headers.get("etag"),
                    a.headers.get("link"), a.headers.get("vary")) == (
                b.status_code, b.headers.get("content-type"), b.headers.get("etag"),
                b.headers.get("link"), b.headers.get("vary")), path
            assert a.content == b.content, path
            assert a.status_code in (200, 404)


def test_the_server_says_how_many_descriptions_are_ready(prepared, per_request):
    line = next(line for line in prepared.stdout.read_text().splitlines() if READY in line)
    count = int(line.split("pledge-graph: ", 1)[1].split()[0])
    assert count >= len([p for p in _resource_paths(per_request) if p.startswith("/id/")])


def test_the_ontology_pages_are_made_per_request_not_prepared(prepared, per_request):
    """They are written from the ontology's documentation, which would grow the writer by
    a third in its last seconds; they are still answered, as the test above checks."""
    with sqlite3.connect(_store_dir(prepared) / PREPARED_NAME) as db:
        held = [iri for (iri,) in db.execute("SELECT iri FROM answers")]
    ontology = str(IRIS.ontology)
    assert any(iri.startswith(IRIS.base + "id/pledge/") for iri in held)
    assert not [iri for iri in held if iri.startswith(ontology) or iri == IRIS.base + "ontology"]
    with prepared.client() as client:
        assert client.get("/ontology/Pledge", headers=HTML).status_code == 200


def _change(store: Path, path: str, body: bytes, renderer: bytes | None = None) -> None:
    """Write ``body`` as the prepared page of ``path`` (and another renderer's digest)."""
    with sqlite3.connect(store / PREPARED_NAME) as db:
        dictionary = db.execute(
            "SELECT value FROM meta WHERE name = 'dictionary html'").fetchone()[0]
        packer = zlib.compressobj(6, zdict=dictionary)
        db.execute("UPDATE answers SET html = ? WHERE iri = ?",
                   (packer.compress(body) + packer.flush(), IRIS.base + path[1:]))
        if renderer is not None:
            db.execute("UPDATE meta SET value = ? WHERE name = 'renderer'", (renderer,))
    db.close()


def test_answers_come_from_the_file_and_never_from_other_code(tmp_path):
    also = _own_store(tmp_path)
    path = "/id/pledge/japan-2023/2"
    first = Server(*also)
    try:
        first.wait_for(READY, limit=120)
        with first.client() as client:
            made = client.get(path, headers=HTML).content
        store = _store_dir(first)
    finally:
        first.stop()
    assert b"<html" in made

    # the file as this code wrote it, one page changed: that page is what is answered
    _change(store, path, b"<!doctype html><p>from the file</p>")
    second = Server(*also)
    try:
        second.wait_for(READY, limit=120)
        with second.client() as client:
            assert client.get(path, headers=HTML).content == b"<!doctype html><p>from the file</p>"
        assert "prepared in" not in second.stdout.read_text()  # found ready, not written again
    finally:
        second.stop()

    # the same file named as written by other code: never answered, written again
    _change(store, path, b"<!doctype html><p>stale</p>", renderer=b"0" * 64)
    third = Server(*also)
    try:
        with third.client() as client:
            assert client.get(path, headers=HTML).content == made  # made per request
            third.wait_for(READY, limit=120)
            assert client.get(path, headers=HTML).content == made  # from the new file
        assert "prepared in" in third.stdout.read_text()
    finally:
        third.stop()
    assert not list(store.glob(f".{PREPARED_NAME}.*"))  # no unfinished file left


def test_a_server_stopped_while_it_prepares_leaves_no_unfinished_file(tmp_path):
    also = _own_store(tmp_path)
    first = Server(*also)
    try:
        first.wait_for(READY, limit=120)
        store = _store_dir(first)
    finally:
        first.stop()
    (store / PREPARED_NAME).unlink()
    second = Server(*also)
    try:  # stopped while the writer's unfinished file is there
        deadline = time.monotonic() + 60
        while not list(store.glob(f".{PREPARED_NAME}.*")):
            assert time.monotonic() < deadline, "the descriptions were not being written"
            assert READY not in second.stdout.read_text(), "written before it was seen"
            time.sleep(0.005)
    finally:
        second.stop()
    assert not list(store.glob(f".{PREPARED_NAME}.*"))
    assert not (store / PREPARED_NAME).exists()
