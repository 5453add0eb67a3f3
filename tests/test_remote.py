"""External SPARQL stores: `pledge-graph load --store URL` and answering from the store.

Runs against real servers on loopback, started and stopped by their own PIDs
(tests/external_stores.py): Oxigraph server and Virtuoso Open Source (skipped when
virtuoso-t is missing).

Each store is started once per module and the release loaded into it once (`loaded`); the
tests that only read share that graph. A test that writes a graph loads its own copy of the
release under another version (`own_release`), so its graph is its alone.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from external_stores import (
    build_release,
    cli,
    free_port,
    graph_iri,
    run_oxigraph,
    run_virtuoso,
    serve,
)
from rdflib import XSD, Graph, Literal
from rdflib.compare import isomorphic

from pledge_graph.paths import PROJECT_ROOT
from pledge_graph.queries import example_triples, load_examples
from pledge_graph.remote import RemoteStore, find_endpoints, open_remote
from pledge_graph.remote import load_release as load_into
from pledge_graph.store import EmbeddedStore, QueryTimeout, ResultTooLarge, load_release
from pledge_graph.vocab import Iris

PLEDGE = "id/pledge/japan-2023/3"
NT = "application/n-triples"
JSON_RESULTS = "application/sparql-results+json"


def _sparql(endpoint: str, query: str, **params: str) -> dict:
    response = httpx.post(endpoint, data={"query": query, **params},
                          headers={"Accept": JSON_RESULTS}, timeout=30)
    response.raise_for_status()
    return response.json()


# ---------------------------------------------------------------------------------------------
# Fixtures: a release of the bundled data, the servers, the release loaded once into each
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled pledge documents imported and built into a release, by the real CLI."""
    return build_release(tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="module")
def base(release: Path) -> str:
    return json.loads((release / "manifest.json").read_text())["base"]


@pytest.fixture(scope="module")
def embedded(release: Path, base: str) -> Iterator[EmbeddedStore]:
    """The embedded store as `pledge-graph serve` fills it: the release and the examples."""
    iris = Iris(base)
    store = EmbeddedStore()
    examples = example_triples(load_examples(), iris, str(iris.sparql()))
    load_release(store, release, iris, examples, str(iris.example_query("")))
    yield store
    store.close()


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Oxigraph server on a free loopback port, its store in a temporary folder."""
    yield from run_oxigraph(tmp_path_factory.mktemp("oxigraph"))


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private Virtuoso instance on free loopback ports (user dba, password dba)."""
    if shutil.which("virtuoso-t") is None:
        pytest.skip("virtuoso-t is not installed (Debian package virtuoso-opensource)")
    yield from run_virtuoso(tmp_path_factory.mktemp("virtuoso"))


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of each real external store, in turn (the tests run store by store)."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def loaded(store_url: str, release: Path) -> str:
    """The store's URL once the release is loaded into it: once per store and module."""
    done = cli("load", "--store", store_url, "--out", str(release))
    assert done.returncode == 0, done.stderr
    return store_url


@pytest.fixture
def own_release(release: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A copy of the release under a version of this test's own, so that the graph it loads
    is no other test's (a store holds one graph per release version)."""
    copy = tmp_path / "dist"
    shutil.copytree(release, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    own = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-")
    manifest["version"] = f"{manifest['version']}-{own}"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def _endpoint(store_url: str) -> str:
    """The query endpoint of a store URL, written out here to check the loader's discovery."""
    plain = store_url.replace("dba:dba@", "")
    return plain + ("/sparql" if "dba:dba@" in store_url else "/query")


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def test_load_puts_the_release_into_its_named_graph(store_url: str, own_release: Path,
                                                    embedded: EmbeddedStore) -> None:
    done = cli("load", "--store", store_url, "--out", str(own_release))
    assert done.returncode == 0, done.stderr
    graph = graph_iri(own_release)
    assert f"<{graph}>" in done.stdout
    rows = _sparql(_endpoint(store_url),
                   f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert int(rows["results"]["bindings"][0]["n"]["value"]) == embedded.count() > 100


def test_loading_again_replaces_the_graph(store_url: str, own_release: Path) -> None:
    graph = graph_iri(own_release)
    assert cli("load", "--store", store_url, "--out", str(own_release)).returncode == 0
    stale = "<urn:x-test:stale> <urn:x-test:p> <urn:x-test:o> ."
    plain = store_url.replace("dba:dba@", "")
    gsp = plain + ("/sparql-graph-crud-auth" if "dba:dba@" in store_url else "/store")
    auth = httpx.DigestAuth("dba", "dba") if "dba:dba@" in store_url else None
    with httpx.Client(auth=auth, timeout=30) as client:
        posted = client.post(gsp, params={"graph": graph}, content=stale.encode(),
                             headers={"Content-Type": NT})
    assert posted.status_code in (200, 201, 204)
    ask = f"ASK {{ GRAPH <{graph}> {{ <urn:x-test:stale> ?p ?o }} }}"
    assert _sparql(_endpoint(store_url), ask)["boolean"] is True

    assert cli("load", "--store", store_url, "--out", str(own_release)).returncode == 0
    assert _sparql(_endpoint(store_url), ask)["boolean"] is False


def test_virtuoso_without_credentials_is_refused_with_a_clear_error(virtuoso: str,
                                                                      release: Path) -> None:
    done = cli("load", "--store", virtuoso.replace("dba:dba@", ""), "--out", str(release))
    assert done.returncode == 1
    assert "credentials" in done.stderr and "Traceback" not in done.stderr


def test_virtuoso_credentials_can_be_given_as_options(virtuoso: str,
                                                      own_release: Path) -> None:
    done = cli("load", "--store", virtuoso.replace("dba:dba@", ""), "--user", "dba",
               "--password", "dba", "--out", str(own_release))
    assert done.returncode == 0, done.stderr
    assert "sparql-graph-crud-auth" in done.stdout


def test_load_names_the_release_it_cannot_find(oxigraph: str, tmp_path: Path) -> None:
    done = cli("load", "--store", oxigraph, "--out", str(tmp_path))
    assert done.returncode == 1
    assert str(tmp_path / "manifest.json") in done.stderr and "Traceback" not in done.stderr


def test_load_reports_an_unreachable_store() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = cli("load", "--store", url, "--out", str(PROJECT_ROOT))
    assert done.returncode == 1
    assert f"cannot reach the store at {url}" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------------
# Answering from the store
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def remote(loaded: str, release: Path) -> Iterator[RemoteStore]:
    """A RemoteStore on the loaded release, shared by the tests that only query it."""
    store = open_remote(loaded, release)
    yield store
    store.close()


def _integers_as_xsd_integer(graph: Graph) -> Graph:
    """Oxigraph (embedded and server) stores every xsd:integer subtype as xsd:integer;
    Virtuoso keeps the dump's datatype. Compare the two on Oxigraph's form."""
    result = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype in _INTEGER_TYPES:
            o = Literal(str(o), datatype=XSD.integer)
        result.add((s, p, o))
    return result


_INTEGER_TYPES = {XSD[t] for t in (
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


def test_a_pledge_is_the_same_graph_from_either_store(remote, embedded: EmbeddedStore,
                                                      base: str) -> None:
    iri = base + PLEDGE
    ours = Graph().parse(data=embedded.resource(iri, NT).body, format="nt")
    theirs = Graph().parse(data=remote.resource(iri, NT).body, format="nt")
    assert len(ours) > 10
    assert isomorphic(_integers_as_xsd_integer(ours), _integers_as_xsd_integer(theirs))


def test_select_answers_match_the_embedded_store(remote, embedded: EmbeddedStore) -> None:
    query = ("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p")
    ours = embedded.query(query, media_types={"solutions": "text/csv"})
    theirs = remote.query(query, media_types={"solutions": "text/csv"})
    assert theirs.count == ours.count > 5
    assert theirs.body == ours.body


def test_answers_beyond_the_result_cap_are_refused(loaded: str, release: Path) -> None:
    store = open_remote(loaded, release, limit=10)
    try:
        with pytest.raises(ResultTooLarge):
            store.query("SELECT * WHERE { ?s ?p ?o }",
                        media_types={"solutions": JSON_RESULTS})
        with pytest.raises(ResultTooLarge):
            store.query("CONSTRUCT WHERE { ?s ?p ?o }", media_types={"graph": NT})
        assert store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 10",
                           media_types={"solutions": JSON_RESULTS}).count == 10
    finally:
        store.close()


def test_a_runaway_query_times_out(oxigraph: str, own_release: Path) -> None:
    """On Oxigraph server, which stops the query itself after its --timeout-s."""
    load_into(own_release, find_endpoints(oxigraph))
    store = open_remote(oxigraph, own_release, timeout=0.5)
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        store.query(runaway, media_types={"solutions": JSON_RESULTS})
    assert time.monotonic() - started < 5
    store.close()


# ---------------------------------------------------------------------------------------------
# Serving from the store: `pledge-graph serve --store URL`
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded_server(release: Path) -> Iterator[str]:
    yield from serve(release)


@pytest.fixture(scope="module")
def remote_server(loaded: str, release: Path) -> Iterator[str]:
    """`pledge-graph serve --store` on the loaded store, once per store."""
    yield from serve(release, "--store", loaded)


def _parse(body: bytes, media_type: str) -> Graph:
    """Parse an answer with pyoxigraph (rdflib's JSON-LD parser warns on its own API)."""
    triples = ox.parse(body, format=ox.RdfFormat.from_media_type(media_type))
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                         format="nt")


@pytest.mark.parametrize("media_type", ["text/turtle", "application/ld+json"])
def test_served_pledge_is_the_same_from_the_store(remote_server: str, embedded_server: str,
                                                  media_type: str) -> None:
    graphs = []
    for server in (embedded_server, remote_server):
        response = httpx.get(f"{server}/{PLEDGE}", headers={"Accept": media_type}, timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        graphs.append(_integers_as_xsd_integer(_parse(response.content, media_type)))
    assert len(graphs[0]) > 10
    assert isomorphic(*graphs)


def test_served_page_comes_from_the_store(remote_server: str) -> None:
    response = httpx.get(f"{remote_server}/{PLEDGE}", headers={"Accept": "text/html"},
                         timeout=30)
    assert response.status_code == 200
    assert "approximately 1 million USD to OHCHR" in response.text


def _rows(text: str) -> list[tuple[str, ...]]:
    """CSV rows, sorted, each cell's space-separated values sorted (SPARQL leaves the order
    of GROUP_CONCAT to the engine), and booleans as 1 and 0 (Virtuoso gives the value of a
    boolean expression as an integer)."""
    booleans = {"true": "1", "false": "0"}
    return sorted(tuple(" ".join(sorted(booleans.get(cell, cell).split(" "))) for cell in row)
                  for row in csv.reader(io.StringIO(text)))


def test_example_queries_give_the_same_rows_from_the_store(remote_server: str,
                                                           embedded_server: str) -> None:
    queries = sorted((PROJECT_ROOT / "queries").glob("*.rq"))
    rows = 0
    for path in queries:
        answers = []
        for server in (embedded_server, remote_server):
            response = httpx.post(f"{server}/sparql", data={"query": path.read_text()},
                                  headers={"Accept": "text/csv"}, timeout=30)
            assert response.status_code == 200, (path.name, response.text)
            answers.append(_rows(response.text))
        assert answers[0] == answers[1], path.name
        rows += len(answers[0]) - 1
    assert rows > 10
