"""The store behind the endpoint: one small interface, an embedded pyoxigraph implementation.

Every store answers SPARQL queries with bytes already serialised in the media type asked
for (an :class:`Answer`), so the HTTP layer never branches on the store's kind and a remote
store can pass its endpoint's answer through. Resource descriptions, graph listings and
counts are plain SPARQL on top of :meth:`Store.query` (:class:`SparqlMethods`), so a new
implementation only has to answer queries.

How a release is laid out in a store: :mod:`pledge_graph.store.loading`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TypedDict, Unpack

import pyoxigraph as ox

from pledge_graph.errors import (
    QuerySyntaxError,
    StoreError,
)
from pledge_graph.sparql.lexer import complexity_problem
from pledge_graph.sparql.results import (
    N_TRIPLES,
    SPARQL_JSON,
    Answer,
    ResultTooLarge,
    serialise_answer,
)
from pledge_graph.store.index import INDEX_NAME, TripleIndex
from pledge_graph.store.lookup import (
    OneSubject,
    Reader,
    StoreReader,
    description,
    description_lines,
    labels,
    one_subject_query,
    subject_solutions,
)
from pledge_graph.store.published import Published, PublishedReader

__all__ = [
    "DEFAULT_RESULT_LIMIT",
    "ENGINE_FAILED",
    "Answer",
    "EmbeddedStore",
    "QueryOptions",
    "ResultTooLarge",
    "SparqlMethods",
    "Store",
    "ViewReads",
]

ENGINE_FAILED = ("the store could not run the query (the engine's message is not shown: it may "
                 "hold text from outside this service)")
"""The message of every error the engine raises while running a query."""

DEFAULT_RESULT_LIMIT = 100_000
"""Rows (SELECT) or triples (CONSTRUCT/DESCRIBE) one answer may hold; more is an error."""


class QueryOptions(TypedDict, total=False):
    """What a query may ask for besides its text and media types (:meth:`Store.query`).

    ``default_graph_uris``/``named_graph_uris`` (the protocol's dataset) replace any
    FROM/FROM NAMED of the query when given; relative IRIs are resolved against
    ``base_iri`` unless the query declares its own BASE; ``timeout`` (seconds) replaces the
    store's own where the store can stop a query; ``cancel`` is set once no one waits for
    the answer (its client has gone), and a store that can stop a query then stops it."""

    default_graph_uris: Sequence[str]
    named_graph_uris: Sequence[str]
    timeout: float | None
    base_iri: str | None
    cancel: threading.Event | None


class Store(Protocol):
    """What the endpoint, the pages and the command line need from a store."""

    def query(self, sparql: str, *, media_types: dict[str, str],
              **options: Unpack[QueryOptions]) -> Answer:
        """Run one SPARQL query; answer in ``media_types[kind]`` for the query's kind, with
        the :class:`QueryOptions` given. Raises QuerySyntaxError, QueryTimeout,
        ResultTooLarge or StoreError."""
        ...

    def resource(self, iri: str, media_type: str) -> Answer:
        """Describe one resource (see :meth:`SparqlMethods.resource`)."""
        ...

    def description(self, iri: str, budget: int | None = None) -> list[ox.Triple] | None:
        """The triples :meth:`resource` describes ``iri`` with, as terms; with a ``budget``,
        None unless they are read at once in at most that many triples."""
        ...

    def description_lines(self, iri: str, budget: int | None = None) -> list[str] | None:
        """The triples of :meth:`description` as N-Triples lines (``S P O .``, each once)."""
        ...

    def subject_query(self, found: OneSubject, media_types: dict[str, str],
                      budget: int | None = None) -> Answer | None:
        """Answer a recognised one-subject query (:func:`pledge_graph.store.lookup.one_subject`);
        with a ``budget``, None unless it is read at once in at most that many rows."""
        ...

    def graph(self, iri: str | None, media_type: str,
              cancel: threading.Event | None = None) -> Answer | None:
        """Return the triples of a named graph (or the default graph for None); None if absent
        (``cancel``: as :class:`QueryOptions` says)."""
        ...

    def graphs(self) -> list[str]:
        """Return the IRIs of the named graphs, sorted."""
        ...

    def count(self, pattern: str = "?s ?p ?o") -> int:
        """Return how many solutions a basic graph pattern has in the default graph."""
        ...

    def labels(self, iris: Sequence[str]) -> dict[str, str]:
        """Return an English (or untagged) label for each of ``iris`` that has one."""
        ...

    def close(self) -> None:
        """Release what the store holds (processes, files)."""
        ...


class SparqlMethods:
    """Resource descriptions, graphs and counts written as SPARQL over ``self.query``."""

    def query(self, sparql: str, *, media_types: dict[str, str],
              **options: Unpack[QueryOptions]) -> Answer:
        """Run one SPARQL query (see :meth:`Store.query`); implementations provide it."""
        raise NotImplementedError

    def resource(self, iri: str, media_type: str) -> Answer:
        """Describe ``iri``: the triples with it as subject or object, and the triples of its
        owned sub-resources (IRIs extending it with ``/...`` that it links to or that link to
        it, such as checksums), of its hash parts (IRIs ``iri#...`` it links to and those
        they link to: a fact's evidence and selectors), and of the blank nodes it reaches
        (OWL and SHACL lists in the ontology and shapes). An unknown IRI gives an empty
        graph."""
        return self.query(_resource_query(iri), media_types={"graph": media_type})

    def description(self, iri: str, budget: int | None = None) -> list[ox.Triple] | None:
        """The triples of :meth:`resource`, as terms (parsed from its N-Triples); with a
        ``budget`` None, as a query is not a bounded read."""
        if budget is not None:
            return None
        answer = self.resource(iri, N_TRIPLES)
        return [q.triple for q in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)]

    def description_lines(self, iri: str, budget: int | None = None) -> list[str] | None:
        """The triples of :meth:`description` written as N-Triples lines."""
        triples = self.description(iri, budget)
        return None if triples is None else [f"{t} .\n" for t in triples]

    def subject_query(self, found: OneSubject, media_types: dict[str, str],
                      budget: int | None = None) -> Answer | None:
        """Run a recognised one-subject query, rebuilt from its parts (never at once)."""
        if budget is not None:
            return None
        return self.query(one_subject_query(found), media_types=media_types)

    def graph(self, iri: str | None, media_type: str,
              cancel: threading.Event | None = None) -> Answer | None:
        """Return a named graph's triples, or the default graph's for None; None if absent."""
        if iri is None:
            return self.query("CONSTRUCT WHERE { ?s ?p ?o }", media_types={"graph": media_type},
                              cancel=cancel)
        if iri not in self.graphs():
            return None
        sparql = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {_iri(iri)} {{ ?s ?p ?o }} }}"
        return self.query(sparql, media_types={"graph": media_type}, cancel=cancel)

    def graphs(self) -> list[str]:
        """Return the IRIs of the named graphs, sorted."""
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g")
        return [row["g"]["value"] for row in rows]

    def count(self, pattern: str = "?s ?p ?o") -> int:
        """Return how many solutions ``pattern`` has in the default graph."""
        rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        return int(rows[0]["n"]["value"])

    def labels(self, iris: Sequence[str]) -> dict[str, str]:
        """Return an English (or untagged) label for each of ``iris`` that has one: the
        skos:prefLabel, else the rdfs:label, else the dct:title, the smallest if several."""
        if not iris:
            return {}
        values = " ".join(_iri(iri) for iri in sorted(set(iris)))
        rows = self._select(
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            "PREFIX dct: <http://purl.org/dc/terms/> "
            f"SELECT ?s ?rank ?l WHERE {{ VALUES ?s {{ {values} }} "
            "VALUES (?p ?rank) { (skos:prefLabel 0) (rdfs:label 1) (dct:title 2) } "
            "?s ?p ?l FILTER(isLiteral(?l) && (LANG(?l) = 'en' || LANG(?l) = '')) } "
            "ORDER BY ?s ?rank ?l")
        found: dict[str, str] = {}
        for row in rows:
            found.setdefault(row["s"]["value"], row["l"]["value"])
        return found

    def _select(self, sparql: str) -> list[dict[str, dict[str, str]]]:
        answer = self.query(sparql, media_types={"solutions": SPARQL_JSON})
        return json.loads(answer.body)["results"]["bindings"]

    def close(self) -> None:
        """Nothing to release by default."""


class EmbeddedStore(SparqlMethods):
    """A pyoxigraph store in this process: in memory, on disk, or on disk read-only.

    Queries run to completion here (pyoxigraph cannot interrupt one), so ``timeout`` is not
    enforced; the HTTP server runs its queries through :class:`pledge_graph.store.pool.ProcessPool`,
    which can stop a runaway query.
    """

    def __init__(self, path: Path | None = None, *, read_only: bool = False,
                 limit: int = DEFAULT_RESULT_LIMIT) -> None:
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(path))
            else:
                self._store = ox.Store(str(path))
        except OSError as error:
            raise StoreError(f"cannot open the store: {error}", file=path) from None
        self.path = path
        self.limit = limit
        index = path / INDEX_NAME if path is not None and read_only else None
        found = TripleIndex(index) if index is not None and index.is_file() else None
        self._read: Reader = found or StoreReader(self._store)
        # descriptions carry the release's literals (store.published), query answers the store's
        self._described: Reader = found.published() if found else self._read

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph store, for loading."""
        return self._store

    def describe_as_published(self, forms: Published) -> None:
        """Describe resources with the literals as the release writes them (``forms``, see
        :mod:`pledge_graph.store.published`), for a store read without a lookup index."""
        self._described = PublishedReader(self._read, forms)

    @property
    def reader(self) -> Reader:
        """Pattern reads of the default graph (from the lookup index when there is one)."""
        return self._read

    def query(self, sparql: str, *, media_types: dict[str, str],
              **options: Unpack[QueryOptions]) -> Answer:
        """Run one query and serialise its whole answer (see :meth:`Store.query`).

        A query nested or chained past what the engine's stack holds is refused before it
        is parsed (:func:`pledge_graph.sparql.lexer.complexity_problem`). The engine's own errors
        while running are not passed on: they may carry text from outside (the answer of a
        SERVICE endpoint)."""
        problem = complexity_problem(sparql)
        if problem:
            raise QuerySyntaxError(problem, expected="a less deeply nested query")
        base_iri = options.get("base_iri")
        engine: dict[str, object] = {"base_iri": base_iri} if base_iri else {}
        default_graphs = options.get("default_graph_uris", ())
        named_graphs = options.get("named_graph_uris", ())
        if default_graphs or named_graphs:
            # the protocol's dataset replaces the query's: graphs not named are not in it
            engine["default_graph"] = [_node(g) for g in default_graphs]
            engine["named_graphs"] = [_node(g) for g in named_graphs]
        try:
            result = self._store.query(sparql, **engine)  # type: ignore[arg-type]
        except SyntaxError as error:
            raise QuerySyntaxError(f"the query is not valid SPARQL 1.1: {error}") from None
        except ValueError as error:
            raise QuerySyntaxError(f"the query cannot be run: {error}") from None
        except (OSError, RuntimeError):
            raise StoreError(ENGINE_FAILED) from None
        try:
            return serialise_answer(result, media_types, self.limit)
        except (OSError, RuntimeError):
            raise StoreError(ENGINE_FAILED) from None

    def description(self, iri: str, budget: int | None = None) -> list[ox.Triple] | None:
        """The triples of :meth:`resource`, read by pattern lookups (no query is run), with
        the literals as the release writes them when the store knows (from its lookup index,
        or :meth:`describe_as_published`); a text that is not an IRI is refused as
        :meth:`resource` refuses it."""
        return description(self._described, _node(iri).value, budget)

    def description_lines(self, iri: str, budget: int | None = None) -> list[str] | None:
        """The triples of :meth:`description` as read, in N-Triples (none parsed)."""
        return description_lines(self._described, _node(iri).value, budget)

    def subject_query(self, found: OneSubject, media_types: dict[str, str],
                      budget: int | None = None) -> Answer | None:
        """A one-subject query's answer, read by one pattern lookup (no query is run)."""
        return subject_solutions(self._read, found, media_types, self.limit, budget)

    def labels(self, iris: Sequence[str]) -> dict[str, str]:
        """Labels as :meth:`SparqlMethods.labels` finds them, read by pattern lookups (one
        per IRI and label property), which stay fast for a page's hundreds of links."""
        return labels(self._read, [_node(iri).value for iri in sorted(set(iris))])

    def flush(self) -> None:
        """Write pending changes to disk (on-disk stores)."""
        if self.path is not None:
            self._store.flush()


class ViewReads(SparqlMethods):
    """A store whose queries run elsewhere (in worker processes, or in another process's
    pool), while the bounded reads (descriptions, one-subject lookups, labels, graph names,
    counts) come from this process's own read-only view of the on-disk store at ``path``,
    opened on first use: they must not wait behind queries."""

    path: Path
    limit: int
    _local: EmbeddedStore | None = None

    def resource(self, iri: str, media_type: str) -> Answer:
        """Describe one resource from this process's view of the store (bounded work)."""
        return self._view().resource(iri, media_type)

    def description(self, iri: str, budget: int | None = None) -> list[ox.Triple] | None:
        """A resource's triples from this process's view of the store (pattern reads)."""
        return self._view().description(iri, budget)

    def description_lines(self, iri: str, budget: int | None = None) -> list[str] | None:
        """A resource's triples as N-Triples lines from this process's view of the store."""
        return self._view().description_lines(iri, budget)

    def subject_query(self, found: OneSubject, media_types: dict[str, str],
                      budget: int | None = None) -> Answer | None:
        """A one-subject query, answered by one pattern lookup in this process."""
        return self._view().subject_query(found, media_types, budget)

    def labels(self, iris: Sequence[str]) -> dict[str, str]:
        """Labels from this process's view of the store (bounded work)."""
        return self._view().labels(iris)

    @property
    def reader(self) -> Reader:
        """Pattern reads from this process's view of the store (bounded work)."""
        return self._view().reader

    def graphs(self) -> list[str]:
        """The named graphs, from this process's view of the store (a short list)."""
        return self._view().graphs()

    def count(self, pattern: str = "?s ?p ?o") -> int:
        """Count in this process's view of the store: the landing page's few counts are
        made once per server, and must not wait behind queries for a worker."""
        return self._view().count(pattern)

    def _view(self) -> EmbeddedStore:
        if self._local is None:
            self._local = EmbeddedStore(self.path, read_only=True, limit=self.limit)
        return self._local


def _node(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        raise QuerySyntaxError(f"not an absolute IRI: {iri!r}", expected="a graph IRI") from None


def _iri(iri: str) -> str:
    return "<" + str(_node(iri).value) + ">"


def _resource_query(iri: str) -> str:
    ref = _iri(iri)
    prefix, hashed = json.dumps(iri.rstrip("/") + "/"), json.dumps(iri + "#")
    return f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ BIND({ref} AS ?s) ?s ?p ?o }}
  UNION {{ BIND({ref} AS ?o) ?s ?p ?o }}
  UNION {{
    {{ SELECT DISTINCT ?s WHERE {{ {{ {ref} ?x ?s }} UNION {{ ?s ?x {ref} }}
                                  FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix})) }} }}
    ?s ?p ?o
  }}
  UNION {{
    {{ SELECT DISTINCT ?s WHERE {{ {{ {ref} ?x ?s }} UNION {{ {ref} ?x ?a . ?a ?y ?s
                                    FILTER(isIRI(?a) && STRSTARTS(STR(?a), {hashed})) }}
                                  FILTER(isIRI(?s) && STRSTARTS(STR(?s), {hashed})) }} }}
    ?s ?p ?o
  }}
  UNION {{
    {{ SELECT DISTINCT ?s WHERE {{ {ref} ?x ?b FILTER(isBlank(?b))
                                  ?b (<urn:x-none:>|!<urn:x-none:>)* ?s FILTER(isBlank(?s)) }} }}
    ?s ?p ?o
  }}
}}"""
