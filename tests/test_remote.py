"""External SPARQL stores: `pledge-graph load --store URL` and answering from the store.

Runs against real servers on loopback, started and stopped here by their own PIDs: Oxigraph
server (the `oxigraph` package of the test extras) and Virtuoso Open Source (Debian
`virtuoso-opensource`, through scripts/virtuoso.sh; skipped when virtuoso-t is missing).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import XSD, Graph, Literal
from rdflib.compare import isomorphic

from pledge_graph.paths import DATA_DIR, PROJECT_ROOT
from pledge_graph.queries import example_triples, load_examples
from pledge_graph.remote import open_remote
from pledge_graph.store import EmbeddedStore, QueryTimeout, ResultTooLarge, load_release
from pledge_graph.vocab import Iris

BIN = Path(sys.executable).parent
PLEDGE = "id/pledge/japan-2023/3"
NT = "application/n-triples"
JSON_RESULTS = "application/sparql-results+json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "pledge-graph"), *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 30,
              log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text() if log else ""
            raise RuntimeError(f"{process.args} exited with {process.returncode}: {said}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


def _sparql(endpoint: str, query: str, **params: str) -> dict:
    response = httpx.post(endpoint, data={"query": query, **params},
                          headers={"Accept": JSON_RESULTS}, timeout=30)
    response.raise_for_status()
    return response.json()


# ---------------------------------------------------------------------------------------------
# Fixtures: a release of the bundled data, and the servers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled pledge documents imported and built into a release, by the real CLI."""
    root = tmp_path_factory.mktemp("release")
    data = root / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    sources = sorted((DATA_DIR / "sources").glob("*.txt"))
    for step in (["import", *map(str, sources), "--data", str(data)],
                 ["build", "--data", str(data), "--out", str(root / "dist")]):
        done = _cli(*step)
        assert done.returncode == 0, done.stderr
    return root / "dist"


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
    port = _free_port()
    process = subprocess.Popen(
        [str(BIN / "oxigraph"), "serve", "--location", str(tmp_path_factory.mktemp("oxigraph")),
         "--bind", f"127.0.0.1:{port}", "--timeout-s", "10"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/", process)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private Virtuoso instance on free loopback ports (user dba, password dba)."""
    if shutil.which("virtuoso-t") is None:
        pytest.skip("virtuoso-t is not installed (Debian package virtuoso-opensource)")
    folder = tmp_path_factory.mktemp("virtuoso")
    script = PROJECT_ROOT / "scripts" / "virtuoso.sh"
    http_port = _free_port()
    started = subprocess.run(
        ["bash", str(script), "start", str(folder), str(_free_port()), str(http_port)],
        capture_output=True, text=True, timeout=120, check=False)
    try:
        assert started.returncode == 0, started.stderr
        yield f"http://dba:dba@127.0.0.1:{http_port}"
    finally:
        subprocess.run(["bash", str(script), "stop", str(folder)], timeout=60, check=False)


@pytest.fixture(params=["oxigraph", "virtuoso"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of each real external store, in turn."""
    return request.getfixturevalue(request.param)


def _endpoint(store_url: str) -> str:
    """The query endpoint of a store URL, written out here to check the loader's discovery."""
    plain = store_url.replace("dba:dba@", "")
    return plain + ("/sparql" if "dba:dba@" in store_url else "/query")


def _graph_iri(release: Path) -> str:
    manifest = json.loads((release / "manifest.json").read_text())
    return f"{manifest['base']}dataset/{manifest['version']}"


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def test_load_puts_the_release_into_its_named_graph(store_url: str, release: Path,
                                                    embedded: EmbeddedStore) -> None:
    done = _cli("load", "--store", store_url, "--out", str(release))
    assert done.returncode == 0, done.stderr
    graph = _graph_iri(release)
    assert f"<{graph}>" in done.stdout
    rows = _sparql(_endpoint(store_url),
                   f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert int(rows["results"]["bindings"][0]["n"]["value"]) == embedded.count() > 100


def test_loading_again_replaces_the_graph(store_url: str, release: Path) -> None:
    graph = _graph_iri(release)
    assert _cli("load", "--store", store_url, "--out", str(release)).returncode == 0
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

    assert _cli("load", "--store", store_url, "--out", str(release)).returncode == 0
    assert _sparql(_endpoint(store_url), ask)["boolean"] is False


def test_virtuoso_without_credentials_is_refused_with_a_clear_error(virtuoso: str,
                                                                      release: Path) -> None:
    done = _cli("load", "--store", virtuoso.replace("dba:dba@", ""), "--out", str(release))
    assert done.returncode == 1
    assert "credentials" in done.stderr and "Traceback" not in done.stderr


def test_virtuoso_credentials_can_be_given_as_options(virtuoso: str, release: Path) -> None:
    done = _cli("load", "--store", virtuoso.replace("dba:dba@", ""), "--user", "dba",
                "--password", "dba", "--out", str(release))
    assert done.returncode == 0, done.stderr
    assert "sparql-graph-crud-auth" in done.stdout


def test_load_names_the_release_it_cannot_find(oxigraph: str, tmp_path: Path) -> None:
    done = _cli("load", "--store", oxigraph, "--out", str(tmp_path))
    assert done.returncode == 1
    assert str(tmp_path / "manifest.json") in done.stderr and "Traceback" not in done.stderr


def test_load_reports_an_unreachable_store() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    done = _cli("load", "--store", url, "--out", str(PROJECT_ROOT))
    assert done.returncode == 1
    assert f"cannot reach the store at {url}" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------------
# Answering from the store
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def remote(store_url: str, release: Path) -> Iterator:
    assert _cli("load", "--store", store_url, "--out", str(release)).returncode == 0
    store = open_remote(store_url, release)
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


def test_answers_beyond_the_result_cap_are_refused(remote) -> None:
    remote.limit = 10
    with pytest.raises(ResultTooLarge):
        remote.query("SELECT * WHERE { ?s ?p ?o }", media_types={"solutions": JSON_RESULTS})


def test_a_runaway_query_times_out(oxigraph: str, release: Path) -> None:
    assert _cli("load", "--store", oxigraph, "--out", str(release)).returncode == 0
    store = open_remote(oxigraph, release, timeout=0.5)
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        store.query(runaway, media_types={"solutions": JSON_RESULTS})
    assert time.monotonic() - started < 5
    store.close()


# ---------------------------------------------------------------------------------------------
# Serving from the store: `pledge-graph serve --store URL`
# ---------------------------------------------------------------------------------------------


def _serve(release: Path, *extra: str) -> Iterator[str]:
    port = _free_port()
    log = release.parent / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "pledge-graph"), "serve", "--data", str(release.parent / "data"),
             "--out", str(release), "--host", "127.0.0.1", "--port", str(port), *extra],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/sparql?query=ASK%7B%7D", process, seconds=60, log=log)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def embedded_server(release: Path) -> Iterator[str]:
    yield from _serve(release)


@pytest.fixture
def remote_server(store_url: str, release: Path) -> Iterator[str]:
    assert _cli("load", "--store", store_url, "--out", str(release)).returncode == 0
    yield from _serve(release, "--store", store_url)


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
