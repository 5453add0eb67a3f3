"""An external SPARQL 1.1 store: load a release into it, and answer from it.

``pledge-graph load --store URL`` puts a release into any store that speaks the SPARQL 1.1
Graph Store Protocol, as one named graph per release, ``<base>dataset/<version>``, with one
PUT (which replaces the graph in one step where the store does). The graph merges the files
the embedded store loads (:data:`pledge_graph.store.loading.RELEASE_GRAPH_FILES`) and the example
queries, as the embedded store's default graph does, so a resource described from either
store is the same graph.

``pledge-graph serve --store URL`` answers through :class:`RemoteStore`, which implements the
:class:`pledge_graph.store.embedded.Store` interface over the SPARQL 1.1 Protocol and queries the
release's graph as its default graph.

The URL names the server; its endpoints are found from its ``Server`` header:

- Oxigraph server, ``http://127.0.0.1:7878``: ``/query`` and ``/store``;
- Virtuoso, ``http://dba:dba@127.0.0.1:8890``: ``/sparql`` and ``/sparql-graph-crud-auth``
  (digest auth; ``/sparql-graph-crud`` without credentials);
- Apache Jena Fuseki, ``http://127.0.0.1:3030/ds``: ``/ds/query`` and ``/ds/data`` (not
  tested here).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Unpack
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from pledge_graph.errors import QuerySyntaxError, QueryTimeout, StoreError
from pledge_graph.rdf.vocab import Iris
from pledge_graph.sparql.lexer import Scanner, query_form
from pledge_graph.sparql.queries import example_triples, load_examples
from pledge_graph.sparql.results import (
    N_TRIPLES,
    SPARQL_JSON,
    Answer,
    NotAcceptable,
    graph_answer,
    serialise_answer,
)
from pledge_graph.store.embedded import DEFAULT_RESULT_LIMIT, QueryOptions, SparqlMethods
from pledge_graph.store.loading import RELEASE_GRAPH_FILES

__all__ = [
    "Endpoints",
    "LoadReport",
    "RemoteStore",
    "find_endpoints",
    "load_release",
    "open_remote",
    "release_graph",
    "release_payload",
]

_KIND_ACCEPT = {"solutions": SPARQL_JSON, "boolean": SPARQL_JSON, "graph": N_TRIPLES}
_PROBE_GRAPH = "urn:x-pledge-graph:probe"


@dataclass(frozen=True)
class Endpoints:
    """Where a store answers queries and takes graphs, and the credentials it wants."""

    engine: str
    query: str
    graph_store: str
    user: str | None = None
    password: str | None = None

    def client(self, timeout: float | None = 60.0) -> httpx.Client:
        """Return an HTTP client for these endpoints, authenticated when credentials are set.

        Digest auth is primed with a cheap request, so that a large PUT is sent once, with
        its credentials (Virtuoso closes the connection on an unauthenticated large body)."""
        auth = httpx.DigestAuth(self.user, self.password or "") if self.user else None
        client = httpx.Client(auth=auth, timeout=timeout)
        if auth is not None:
            _send(client, "GET", self.graph_store, params={"graph": _PROBE_GRAPH})
        return client


@dataclass(frozen=True)
class LoadReport:
    """What a load did: the graph it replaced, how many triples it holds now, how long."""

    graph: str
    triples: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# Finding the endpoints
# ---------------------------------------------------------------------------------------------


def find_endpoints(url: str, *, user: str | None = None, password: str | None = None,
                   timeout: float = 10.0) -> Endpoints:
    """Given a store's URL (credentials may be in its userinfo), return its endpoints."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"not a store URL: {url!r}",
                         expected="http://HOST:PORT, e.g. http://127.0.0.1:7878")
    user = user or (unquote(parts.username) if parts.username else None)
    password = password or (unquote(parts.password) if parts.password else None)
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    root = urlunsplit((parts.scheme, netloc, "", "", ""))
    path = parts.path.rstrip("/")
    with httpx.Client(timeout=timeout) as client:
        response = _send(client, "GET", root + "/")
    server = response.headers.get("server", "")
    if server.startswith("Virtuoso"):
        crud = "/sparql-graph-crud-auth" if user else "/sparql-graph-crud"
        return Endpoints("virtuoso", root + "/sparql", root + crud, user, password)
    if server.startswith("Oxigraph"):
        return Endpoints("oxigraph", root + path + "/query", root + path + "/store",
                         user, password)
    if "Fuseki" in server and path:
        return Endpoints("fuseki", root + path + "/query", root + path + "/data", user, password)
    raise StoreError(f"cannot tell which SPARQL server answers at {root} "
                     f"(Server: {server or 'not given'})",
                     expected="Oxigraph server, Virtuoso, or Fuseki with its dataset path")


def open_remote(url: str, release_dir: Path, *, user: str | None = None,
                password: str | None = None, timeout: float | None = None,
                limit: int = DEFAULT_RESULT_LIMIT) -> RemoteStore:
    """Return a store answering from the graph of the release in ``release_dir`` at ``url``."""
    endpoints = find_endpoints(url, user=user, password=password)
    graph, _ = release_graph(release_dir)
    store = RemoteStore(endpoints, graph, timeout=timeout, limit=limit)
    if not store.has_graph():
        store.close()
        raise StoreError(f"the store at {url} holds no graph <{graph}>",
                         file=release_dir / "manifest.json",
                         expected=f"the release loaded first: pledge-graph load --store {url}")
    return store


# ---------------------------------------------------------------------------------------------
# Loading a release
# ---------------------------------------------------------------------------------------------


def release_graph(release_dir: Path) -> tuple[str, dict[str, object]]:
    """Return the release's graph IRI, ``<base>dataset/<version>``, and its manifest."""
    path = release_dir / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        base, version = str(manifest["base"]), str(manifest["version"])
    except FileNotFoundError:
        raise StoreError("no release here", file=path,
                         expected="a release directory written by pledge-graph build") from None
    except (ValueError, KeyError, TypeError) as error:
        raise StoreError(f"not a release manifest: {error}", file=path,
                         expected='a JSON object with "base" and "version"') from None
    if not base.endswith(("/", "#")):
        base += "/"
    return f"{base}dataset/{version}", manifest


def release_payload(release_dir: Path,
                    extra: Iterable[ox.Triple] = ()) -> tuple[bytes, int]:
    """Return the release's files and ``extra`` triples merged as one N-Triples document,
    and its triple count.

    Each file is parsed on its own, so blank nodes of different files stay apart; a triple
    that several files state is sent once, as a store holds it once."""
    triples: dict[ox.Triple, None] = dict.fromkeys(extra)
    found = False
    for name in RELEASE_GRAPH_FILES:
        path = release_dir / name
        if not path.exists():
            continue
        found = True
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        try:
            triples.update(dict.fromkeys(ox.parse(path=str(path), format=fmt)))
        except SyntaxError as error:
            raise StoreError(f"not valid {fmt.name if fmt else 'RDF'}: {error}", file=path,
                             line=getattr(error, "lineno", None)) from None
    if not found:
        raise StoreError("the release holds none of the files a store loads", file=release_dir,
                         expected=", ".join(RELEASE_GRAPH_FILES))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", len(triples)


def load_release(release_dir: Path, endpoints: Endpoints, *,
                 timeout: float = 600.0) -> LoadReport:
    """Replace the release's graph in the store with the release's files; check the count.

    One PUT carries the whole graph, so readers see the old graph or the new one."""
    started = time.perf_counter()
    graph, manifest = release_graph(release_dir)
    iris = Iris(str(manifest["base"]))
    examples = example_triples(load_examples(), iris, str(iris.sparql()))
    payload, expected = release_payload(release_dir, examples)
    client = endpoints.client(timeout=timeout)
    try:
        response = _send(client, "PUT", endpoints.graph_store, params={"graph": graph},
                         content=payload, headers={"Content-Type": N_TRIPLES})
    finally:
        client.close()
    if response.status_code in (401, 403):
        raise StoreError(f"the store refused the credentials: HTTP {response.status_code} "
                         f"{_excerpt(response)}", file=release_dir,
                         expected="a user allowed to write graphs (URL userinfo or --user)")
    if response.status_code not in (200, 201, 204):
        raise StoreError(f"the store refused the graph: HTTP {response.status_code} "
                         f"{_excerpt(response)}", file=release_dir,
                         expected="a store that takes Graph Store Protocol PUT requests")
    store = RemoteStore(endpoints, graph)
    try:
        loaded = store.count()
    finally:
        store.close()
    if loaded != expected:
        raise StoreError(f"the store holds {loaded} triples in <{graph}> after the load, "
                         f"not {expected}", file=release_dir)
    return LoadReport(graph, loaded, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------
# Answering from the store
# ---------------------------------------------------------------------------------------------


class RemoteStore(SparqlMethods):
    """A store behind a SPARQL 1.1 endpoint, its default graph one release's named graph.

    Answers are read in one format per kind (SPARQL JSON results, N-Triples), parsed by
    pyoxigraph, counted against the result cap and written again by pyoxigraph in the media
    type asked for, as the embedded store writes its own, so every store gives the same
    bytes for the same answer. ``timeout`` bounds the whole request."""

    def __init__(self, endpoints: Endpoints, graph: str | None = None, *,
                 timeout: float | None = None, limit: int = DEFAULT_RESULT_LIMIT) -> None:
        self.endpoints = endpoints
        self.graph_iri = graph
        self.timeout = timeout
        self.limit = limit
        self._client = endpoints.client(timeout=None)

    def query(self, sparql: str, *, media_types: dict[str, str],
              **options: Unpack[QueryOptions]) -> Answer:
        """Run one query at the endpoint (see :meth:`pledge_graph.store.embedded.Store.query`); the
        base is declared on the query's first line, so the store's error positions keep
        their line numbers."""
        has_from = _has_from(sparql)
        base_iri = options.get("base_iri")
        if base_iri:
            sparql = f"BASE <{base_iri}> {sparql}"
        kind = query_form(sparql)
        if kind is None:
            raise QuerySyntaxError("the query is not valid SPARQL 1.1: no query form",
                                   expected="SELECT, CONSTRUCT, ASK or DESCRIBE")
        if kind not in media_types:
            raise NotAcceptable(kind)
        form: dict[str, str | list[str]] = {"query": sparql}
        default_graphs = options.get("default_graph_uris", ())
        named_graphs = options.get("named_graph_uris", ())
        if default_graphs or named_graphs:
            form["default-graph-uri"] = list(default_graphs)
            form["named-graph-uri"] = list(named_graphs)
        elif self.graph_iri and not has_from:
            form["default-graph-uri"] = self.graph_iri
        timeout = options.get("timeout")
        limit = timeout if timeout is not None else self.timeout
        try:
            response = self._client.post(
                self.endpoints.query, data=form, headers={"Accept": _KIND_ACCEPT[kind]},
                timeout=httpx.Timeout(limit, connect=10.0) if limit else None)
        except httpx.TimeoutException:
            raise QueryTimeout(f"the store did not answer within {limit:g} s; "
                               "nothing was answered", expected="a cheaper query") from None
        except httpx.HTTPError as error:
            raise StoreError(f"cannot reach the store at {self.endpoints.query}: {error}",
                             expected="a running SPARQL 1.1 server") from None
        if response.status_code == 400:
            raise QuerySyntaxError(f"the store refused the query: {_excerpt(response)}")
        if response.status_code != 200:
            # the store's words may hold the answer of a SERVICE endpoint it called
            raise StoreError(f"the store failed: HTTP {response.status_code} (its message is "
                             "not shown: it may hold text from outside this service)")
        return self._answer(kind, response.content, media_types)

    def graphs(self) -> list[str]:
        """Return the release's graph: the only named graph this store answers from."""
        if self.graph_iri is not None:
            return [self.graph_iri]
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
        return [row["g"]["value"] for row in rows if "g" in row]

    def graph(self, iri: str | None, media_type: str,
              cancel: threading.Event | None = None) -> Answer | None:
        """Return a named graph's triples, or the release graph's for None; None if absent."""
        return super().graph(None if iri == self.graph_iri else iri, media_type, cancel)

    def has_graph(self) -> bool:
        """Tell whether the store holds this store's release graph."""
        if self.graph_iri is None:
            return True
        sparql = f"ASK {{ GRAPH <{self.graph_iri}> {{ ?s ?p ?o }} }}"
        answer = self.query(sparql, media_types={"boolean": SPARQL_JSON},
                            named_graph_uris=[self.graph_iri])
        return bool(json.loads(answer.body)["boolean"])

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _answer(self, kind: str, body: bytes, media_types: dict[str, str]) -> Answer:
        """Parse the store's answer with pyoxigraph and write it as the embedded store
        writes its own (:func:`pledge_graph.sparql.results.serialise_answer`)."""
        try:
            if kind == "graph":
                triples = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
                ntriples = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
                return graph_answer(ntriples, media_types, self.limit)
            try:
                return serialise_answer(_solutions(body), media_types, self.limit)
            except SyntaxError:
                if b'"bnode"' not in body:
                    raise
            return serialise_answer(_solutions(_blank_node_ids(body)), media_types, self.limit)
        except SyntaxError as error:
            raise StoreError(f"the store's answer is not valid: {error}") from None


def _solutions(body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
    return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)


def _blank_node_ids(body: bytes) -> bytes:
    """Return SPARQL JSON results whose blank node labels are valid N-Triples labels
    (Virtuoso writes ``nodeID://b10001``); labels are per answer, so renaming keeps them.
    Only an answer that fails to parse is rewritten: the rewrite costs more than the parse."""
    data = json.loads(body)
    for row in data.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = "b" + "".join(c if c.isalnum() else "_" for c in term["value"])
    return json.dumps(data).encode()


_FROM = Scanner("from")


def _has_from(sparql: str) -> bool:
    """Tell whether the query names its dataset (a FROM clause), read linearly."""
    text, pos = sparql + "\n", 0
    while pos < len(sparql):
        pos = _FROM.skip(text, pos)
        if pos >= len(sparql):
            return False
        if _FROM.find.match(text, pos):
            if not _FROM.continues(text, pos):
                return True
            name = _FROM.name.match(text, pos)
            pos = name.end() if name else pos + 1
            continue
        found = _FROM.number.match(text, pos) or _FROM.unit.match(text, pos)
        if found is None and text[pos] != "<":
            return False  # a quote that opens no string: the store refuses the query
        pos = found.end() if found else pos + 1
    return False


def _send(client: httpx.Client, method: str, url: str, **kwargs: object) -> httpx.Response:
    try:
        return client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as error:
        raise StoreError(f"cannot reach the store at {url}: {error}",
                         expected="a running SPARQL 1.1 server") from None


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:300] + ("…" if len(text) > 300 else "")
