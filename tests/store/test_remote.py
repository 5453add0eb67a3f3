"""External SPARQL stores: `pledge-graph load --store URL` and answering from the store.

Runs against real servers on loopback, started and stopped by their own PIDs
(tests/external_stores.py): Oxigraph server and Virtuoso Open Source (skipped when
virtuoso-t is missing).

Each store is started once per module and the release loaded into it once (`loaded`); the
tests that only read share that graph. A test that writes a graph loads its own copy of the
release under another version (`own_release`), so its graph is its alone.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import external_stores as ext
import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from pledge_graph.errors import QueryTimeout
from pledge_graph.paths import PROJECT_ROOT
from pledge_graph.rdf.vocab import Iris
from pledge_graph.sparql.queries import example_triples, load_examples
from pledge_graph.sparql.results import BOOLEAN_TYPES, GRAPH_TYPES, SOLUTION_TYPES, NotAcceptable
from pledge_graph.store.embedded import EmbeddedStore, ResultTooLarge
from pledge_graph.store.loading import load_file, load_release
from pledge_graph.store.remote import RemoteStore, find_endpoints, open_remote
from pledge_graph.store.remote import load_release as load_into

PLEDGE = "id/pledge/japan-2023/3"
NT = "application/n-triples"
JSON_RESULTS = "application/sparql-results+json"


# ---------------------------------------------------------------------------------------------
# Fixtures: a release of the bundled data, the servers, the release loaded once into each
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled pledge documents imported and built into a release, by the real CLI."""
    return ext.build_release(tmp_path_factory.mktemp("release"))


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
    yield from ext.run_oxigraph(tmp_path_factory.mktemp("oxigraph"))


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private Virtuoso instance on free loopback ports (user dba, password dba)."""
    if shutil.which("virtuoso-t") is None:
        pytest.skip("virtuoso-t is not installed (Debian package virtuoso-opensource)")
    yield from ext.run_virtuoso(tmp_path_factory.mktemp("virtuoso"))


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of each real external store, in turn (the tests run store by store)."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def loaded(store_url: str, release: Path) -> str:
    """The store's URL once the release is loaded into it: once per store and module."""
    done = ext.cli("load", "--store", store_url, "--out", str(release))
    assert done.returncode == 0, done.stderr
    return store_url


@pytest.fixture
def own_release(release: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A copy of the release under a version of this test's own, so that the graph it loads
    is no other test's (a store holds one graph per release version)."""
    return ext.release_copy(release, tmp_path / "dist", request.node.name)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def test_load_puts_the_release_into_its_named_graph(store_url: str, own_release: Path,
                                                    embedded: EmbeddedStore) -> None:
    done = ext.cli("load", "--store", store_url, "--out", str(own_release))
    assert done.returncode == 0, done.stderr
    graph = ext.graph_iri(own_release)
    assert f"<{graph}>" in done.stdout
    rows = ext.sparql_json(ext.query_endpoint(store_url),
                   f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert int(rows["results"]["bindings"][0]["n"]["value"]) == embedded.count() > 100


def test_loading_again_replaces_the_graph(store_url: str, own_release: Path) -> None:
    graph = ext.graph_iri(own_release)
    assert ext.cli("load", "--store", store_url, "--out", str(own_release)).returncode == 0
    stale = "<urn:x-test:stale> <urn:x-test:p> <urn:x-test:o> ."
    plain = store_url.replace("dba:dba@", "")
    gsp = plain + ("/sparql-graph-crud-auth" if "dba:dba@" in store_url else "/store")
    auth = httpx.DigestAuth("dba", "dba") if "dba:dba@" in store_url else None
    with httpx.Client(auth=auth, timeout=30) as client:
        posted = client.post(gsp, params={"graph": graph}, content=stale.encode(),
                             headers={"Content-Type": NT})
    assert posted.status_code in (200, 201, 204)
    ask = f"ASK {{ GRAPH <{graph}> {{ <urn:x-test:stale> ?p ?o }} }}"
    assert ext.sparql_json(ext.query_endpoint(store_url), ask)["boolean"] is True

    assert ext.cli("load", "--store", store_url, "--out", str(own_release)).returncode == 0
    assert ext.sparql_json(ext.query_endpoint(store_url), ask)["boolean"] is False


def test_virtuoso_without_credentials_is_refused_with_a_clear_error(virtuoso: str,
                                                                      release: Path) -> None:
    done = ext.cli("load", "--store", virtuoso.replace("dba:dba@", ""), "--out", str(release))
    assert done.returncode == 1
    assert "credentials" in done.stderr and "Traceback" not in done.stderr


def test_virtuoso_credentials_can_be_given_as_options(virtuoso: str,
                                                      own_release: Path) -> None:
    done = ext.cli("load", "--store", virtuoso.replace("dba:dba@", ""), "--user", "dba",
               "--password", "dba", "--out", str(own_release))
    assert done.returncode == 0, done.stderr
    assert "sparql-graph-crud-auth" in done.stdout


def test_load_names_the_release_it_cannot_find(oxigraph: str, tmp_path: Path) -> None:
    done = ext.cli("load", "--store", oxigraph, "--out", str(tmp_path))
    assert done.returncode == 1
    assert str(tmp_path / "manifest.json") in done.stderr and "Traceback" not in done.stderr


def test_load_reports_an_unreachable_store() -> None:
    url = f"http://127.0.0.1:{ext.free_port()}"
    done = ext.cli("load", "--store", url, "--out", str(PROJECT_ROOT))
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


def test_a_pledge_is_the_same_graph_from_either_store(remote, embedded: EmbeddedStore,
                                                      base: str) -> None:
    iri = base + PLEDGE
    ours = Graph().parse(data=embedded.resource(iri, NT).body, format="nt")
    theirs = Graph().parse(data=remote.resource(iri, NT).body, format="nt")
    assert len(ours) > 10
    assert isomorphic(ext.integers_as_xsd_integer(ours), ext.integers_as_xsd_integer(theirs))


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
# The same bytes from every store
#
# Order: the SELECT queries order by keys the engines order alike (IRIs, LANG, STR). A
# CONSTRUCT either yields one triple or is compared as a set of N-Triples lines on Virtuoso,
# which writes a CONSTRUCT's triples in an order of its own whatever ORDER BY says (Oxigraph
# writes them in solution order). Blank node labels are chosen by each store for each answer;
# they are renamed in order of first appearance before comparing. Values the engines hold
# differently are left out (see tests/fixtures/remote/literals.nt).
# ---------------------------------------------------------------------------------------------


LITERALS = Path(__file__).parents[1] / "fixtures" / "remote" / "literals.nt"
LITERALS_GRAPH = "urn:x-test:literals"
V = "<urn:x-test:v>"
XML_RESULTS = "application/sparql-results+xml"
RELEASE_SELECTS = (
    # the annotation selectors' texts, which begin and end with spaces
    ("PREFIX oa: <http://www.w3.org/ns/oa#> "
     "SELECT ?s ?p ?text WHERE { ?s oa:prefix|oa:suffix ?text ; ?p ?text } ORDER BY ?s ?p"),
    # labels in six languages and scripts
    ("SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } "
     "ORDER BY ?s LANG(?label) STR(?label)"),
    # typed values, but booleans and integers (see literals.nt)
    ("PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT ?s ?p ?o WHERE { ?s ?p ?o "
     "FILTER(isLiteral(?o) && LANG(?o) = '' && DATATYPE(?o) NOT IN (xsd:string, xsd:boolean, "
     "xsd:integer, xsd:nonNegativeInteger, xsd:positiveInteger)) } ORDER BY ?s ?p STR(?o)"),
)
LITERALS_SELECT = (f"SELECT ?s ?o ?text WHERE {{ ?s {V} ?o OPTIONAL {{ ?o {V} ?text }} "
                   "FILTER(isIRI(?s)) } ORDER BY ?s")


@pytest.fixture(scope="module")
def literals(store_url: str) -> Iterator[RemoteStore]:
    """The store with literals.nt in a graph of its own, which it queries as its default."""
    endpoints = find_endpoints(store_url)
    client = endpoints.client()
    try:
        put = client.put(endpoints.graph_store, params={"graph": LITERALS_GRAPH},
                         content=LITERALS.read_bytes(), headers={"Content-Type": NT})
    finally:
        client.close()
    assert put.status_code in (200, 201, 204), put.text
    store = RemoteStore(endpoints, LITERALS_GRAPH)
    yield store
    store.close()


@pytest.fixture(scope="module")
def embedded_literals() -> Iterator[EmbeddedStore]:
    store = EmbeddedStore()
    load_file(store, LITERALS)
    yield store
    store.close()


@pytest.mark.parametrize("media_type", SOLUTION_TYPES)
def test_select_answers_are_the_same_bytes_from_every_store(
        media_type: str, remote: RemoteStore, embedded: EmbeddedStore,
        literals: RemoteStore, embedded_literals: EmbeddedStore) -> None:
    asked = {"solutions": media_type}
    pairs = [(embedded, remote, query) for query in RELEASE_SELECTS]
    for ours, theirs, query in [*pairs, (embedded_literals, literals, LITERALS_SELECT)]:
        expected, answer = ours.query(query, media_types=asked), theirs.query(query,
                                                                              media_types=asked)
        assert answer.count == expected.count > 5, query
        assert ext.relabelled(answer.body) == ext.relabelled(expected.body), query
    assert ext.BLANK_LABEL.search(answer.body) and b"leading and trailing" in answer.body


@pytest.mark.parametrize("media_type", SOLUTION_TYPES)
def test_ask_answers_are_the_same_bytes_from_every_store(
        media_type: str, remote: RemoteStore, embedded: EmbeddedStore) -> None:
    asked = {"boolean": media_type}
    for query in ("ASK { ?s <http://www.w3.org/ns/oa#prefix> ?o }",
                  "ASK { <urn:x-test:nothing> ?p ?o }"):
        if media_type not in BOOLEAN_TYPES:  # SPARQL CSV and TSV define no boolean answer
            for store in (embedded, remote):
                with pytest.raises(NotAcceptable):
                    store.query(query, media_types=asked)
            continue
        answer = remote.query(query, media_types=asked)
        assert answer.body == embedded.query(query, media_types=asked).body
        assert answer.kind == "boolean" and answer.count == 1


@pytest.mark.parametrize("media_type", GRAPH_TYPES)
def test_graph_answers_are_the_same_bytes_from_every_store(
        media_type: str, literals: RemoteStore, embedded_literals: EmbeddedStore) -> None:
    asked = {"graph": media_type}
    subjects = sorted({t.subject for t in ox.parse(path=str(LITERALS))
                       if isinstance(t.subject, ox.NamedNode)}, key=str)
    queries = [f"CONSTRUCT {{ ?s {V} ?o }} WHERE {{ ?s {V} ?o FILTER(?s = {s}) }}"
               for s in subjects]
    queries.append(f"CONSTRUCT {{ ?b {V} ?text }} WHERE {{ ?s {V} ?b . ?b {V} ?text }}")
    for query in queries:
        expected = embedded_literals.query(query, media_types=asked)
        answer = literals.query(query, media_types=asked)
        assert answer.count == expected.count == 1, query
        assert ext.relabelled(answer.body) == ext.relabelled(expected.body), query
    whole = f"CONSTRUCT {{ ?s {V} ?o }} WHERE {{ ?s {V} ?o FILTER(isIRI(?s)) }} ORDER BY ?s"
    expected = embedded_literals.query(whole, media_types=asked)
    answer = literals.query(whole, media_types=asked)
    assert answer.count == expected.count == len(subjects)
    if literals.endpoints.engine == "virtuoso":  # writes CONSTRUCT triples in its own order
        ours, theirs = (ext.triple_lines(a.body, media_type) for a in (expected, answer))
        assert theirs == ours
    else:
        assert ext.relabelled(answer.body) == ext.relabelled(expected.body)


def test_xml_answers_keep_the_spaces_around_literals(literals: RemoteStore) -> None:
    """pyoxigraph's XML results parser reads back the values the JSON answer holds."""
    values = []
    for media_type, fmt in ((JSON_RESULTS, ox.QueryResultsFormat.JSON),
                            (XML_RESULTS, ox.QueryResultsFormat.XML)):
        body = literals.query(LITERALS_SELECT, media_types={"solutions": media_type}).body
        values.append([str(row["o"]) for row in ox.parse_query_results(body, format=fmt)])
    assert values[0] == values[1]
    assert '"  leading and trailing  "' in values[1] and '" "' in values[1]


# ---------------------------------------------------------------------------------------------
# Serving from the store: `pledge-graph serve --store URL`
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded_server(release: Path) -> Iterator[str]:
    yield from ext.serve(release)


@pytest.fixture(scope="module")
def remote_server(loaded: str, release: Path) -> Iterator[str]:
    """`pledge-graph serve --store` on the loaded store, once per store."""
    yield from ext.serve(release, "--store", loaded)


@pytest.mark.parametrize("media_type", ["text/turtle", "application/ld+json"])
def test_served_pledge_is_the_same_from_the_store(remote_server: str, embedded_server: str,
                                                  media_type: str) -> None:
    graphs = []
    for server in (embedded_server, remote_server):
        response = httpx.get(f"{server}/{PLEDGE}", headers={"Accept": media_type}, timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        graphs.append(ext.integers_as_xsd_integer(ext.parse_graph(response.content, media_type)))
    assert len(graphs[0]) > 10
    assert isomorphic(*graphs)


def test_served_page_comes_from_the_store(remote_server: str) -> None:
    response = httpx.get(f"{remote_server}/{PLEDGE}", headers={"Accept": "text/html"},
                         timeout=30)
    assert response.status_code == 200
    # the pledge text, its extracted facts' words highlighted within it
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())
    assert "Japan decided to additionally provide" in words


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
            answers.append(ext.csv_rows(response.text))
        assert answers[0] == answers[1], path.name
        rows += len(answers[0]) - 1
    assert rows > 10


def test_served_answers_are_the_same_bytes_from_the_store(remote_server: str,
                                                          embedded_server: str) -> None:
    for media_type in SOLUTION_TYPES:
        answers = [httpx.post(f"{server}/sparql", data={"query": RELEASE_SELECTS[0]},
                              headers={"Accept": media_type}, timeout=30)
                   for server in (embedded_server, remote_server)]
        assert [a.status_code for a in answers] == [200, 200], media_type
        assert answers[0].headers["content-type"] == answers[1].headers["content-type"]
        assert answers[0].content == answers[1].content, media_type
