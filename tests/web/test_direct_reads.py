"""GETs of resources, GETs and POSTs at the SPARQL endpoint skip Starlette's router and
middleware (``web/direct.py``): every answer, errors included, is the one the application gives the
same request, header for header; and every other route is still the application's."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from web_server import bundled_release

from pledge_graph.rdf.vocab import Iris
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.web.app import Settings, create_app
from pledge_graph.web.direct import DirectReads
from pledge_graph.web.serve import build_store

IRIS = Iris()
PLEDGE = "/id/pledge/japan-2023/1"
LOOKUP = "/sparql?query=" + httpx.QueryParams(
    {"q": f"SELECT ?p ?o WHERE {{ <{IRIS.base}id/pledge/japan-2023/1> ?p ?o }}"})["q"]
FORM_QUERY = b"query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%202"
REQUESTS = [
    ("GET", PLEDGE, {}), ("GET", PLEDGE, {"accept": "text/turtle"}),
    ("GET", PLEDGE, {"accept": "application/n-triples"}),
    ("GET", PLEDGE, {"accept": "application/ld+json"}), ("GET", PLEDGE + "?format=ttl", {}),
    ("HEAD", PLEDGE, {"accept": "text/turtle"}), ("GET", PLEDGE, {"accept": "image/png"}),
    ("GET", PLEDGE + "?format=nonsense", {}), ("GET", "/id/pledge/nowhere-1999/1", {}),
    ("GET", "/id/state/jpn", {"accept": "text/turtle"}), ("GET", "/ontology", {}),
    ("GET", "/sparql", {"accept": "text/turtle"}), ("GET", "/sparql", {"accept": "text/html"}),
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B", {}),
    ("GET", LOOKUP, {"accept": "application/sparql-results+json"}),
    ("GET", LOOKUP, {"accept": "text/csv"}),
    ("GET", "/sparql?query=ASK%20%7B%7D", {"accept": "application/sparql-results+xml"}),
    ("GET", PLEDGE, {"accept": "text/turtle",
                     "if-modified-since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
    ("POST", "/sparql", {"content-type": "application/x-www-form-urlencoded",
                         "accept": "text/csv"}, FORM_QUERY),
    ("POST", "/sparql", {"content-type": "application/sparql-query"}, b"ASK {}"),
    ("POST", "/sparql/", {"content-type": "application/sparql-query"}, b"SELECT * WHERE {"),
    ("POST", "/sparql", {"content-type": "application/sparql-update"},
     b"INSERT DATA { <a:b> <a:c> <a:d> }"),
    ("POST", "/sparql", {"content-type": "text/plain"}, b"ASK {}"),
    ("POST", PLEDGE, {"content-type": "application/sparql-query"}, b"ASK {}"),
]
VARYING = {"x-request-id", "date"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("store")
    release = bundled_release()[1]
    build_store(path, release, IRIS, [], [])  # as the server writes it, with its index
    return create_app(Settings(store=EmbeddedStore(path, read_only=True), release_dir=release))


def _direct(app) -> DirectReads:
    found = app
    while not isinstance(found, DirectReads):
        found = found.app
    return found


async def _answers(app, requests) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    answers = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://127.0.0.1") as client:
        for method, url, headers, *body in requests:
            response = await client.request(method, url, headers=headers,
                                            content=body[0] if body else None)
            answers.append((response.status_code,
                            sorted((k, v) for k, v in response.headers.items()
                                   if k not in VARYING), response.content))
    return answers


def test_direct_answers_are_the_applications(app):
    direct = _direct(app)
    fast = asyncio.run(_answers(app, REQUESTS))
    direct._handler = lambda scope: None  # type: ignore[method-assign]  # all to Starlette
    try:
        slow = asyncio.run(_answers(app, REQUESTS))
    finally:
        del direct._handler
    assert [status for status, _, _ in fast] == [status for status, _, _ in slow]
    assert {status for status, _, _ in fast} >= {200, 304, 400, 403, 404, 406}
    for request, one, other in zip(REQUESTS, fast, slow, strict=True):
        assert one == other, request


@pytest.mark.parametrize("path", ["/", "/pledges", "/pledges.csv", "/pledges/by/group",
                                  "/static/style.css", "/dumps/", "/dumps/void.ttl",
                                  "/.well-known/void", "/catalog", "/context.jsonld", "/query",
                                  "/store"])
def test_other_routes_stay_the_applications(app, path):
    assert not _direct(app).is_resource(path)


@pytest.mark.parametrize("path", [PLEDGE, "/ontology", "/id/state/jpn", "/pledgesX", "/x"])
def test_resource_paths_are_read_directly(app, path):
    assert _direct(app).is_resource(path)
