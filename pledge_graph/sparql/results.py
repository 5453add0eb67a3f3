"""Query answers as bytes in the media type asked for, written by pyoxigraph's serialisers:
the four result formats (JSON, XML, CSV, TSV) and the graph formats, keyed by media type.

Every store's answer goes through :func:`serialise_answer` (the embedded store's directly, an
external store's after pyoxigraph parses it), which also holds the result cap, so the same
answer is the same bytes, and the same refusal, whichever store gives it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from pledge_graph.errors import StoreError

__all__ = [
    "BOOLEAN_TYPES",
    "CSV",
    "GRAPH_TYPES",
    "JSON_LD",
    "N_TRIPLES",
    "RDF_XML",
    "SOLUTION_TYPES",
    "SPARQL_JSON",
    "SPARQL_XML",
    "TSV",
    "TURTLE",
    "Answer",
    "NotAcceptable",
    "ResultTooLarge",
    "check_result_size",
    "convert_solutions",
    "convert_triples",
    "graph_answer",
    "iris_of",
    "iris_of_lines",
    "serialise_answer",
    "used_prefixes",
    "write_boolean",
    "write_lines",
    "write_triples",
]

# The media types of answers, named once for the store, the web layer and the command line.
SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
JSON_LD = "application/ld+json"
RDF_XML = "application/rdf+xml"

_RESULT_FORMATS = {
    SPARQL_JSON: ox.QueryResultsFormat.JSON,
    SPARQL_XML: ox.QueryResultsFormat.XML,
    CSV: ox.QueryResultsFormat.CSV,
    TSV: ox.QueryResultsFormat.TSV,
}
SOLUTION_TYPES = tuple(_RESULT_FORMATS)
BOOLEAN_TYPES = (SPARQL_JSON, SPARQL_XML)
GRAPH_TYPES = {
    TURTLE: ox.RdfFormat.TURTLE,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    JSON_LD: ox.RdfFormat.JSON_LD,
    RDF_XML: ox.RdfFormat.RDF_XML,
}


@dataclass(frozen=True)
class Answer:
    """A complete, serialised query answer.

    ``kind`` is ``solutions`` (SELECT), ``boolean`` (ASK) or ``graph`` (CONSTRUCT, DESCRIBE);
    ``count`` is the number of rows or triples (1 for a boolean).
    """

    kind: str
    media_type: str
    body: bytes
    count: int


class ResultTooLarge(StoreError):
    """The answer would exceed the result cap; nothing was answered."""


class NotAcceptable(StoreError):
    """No acceptable media type for this kind of answer (``kind``: solutions/boolean/graph)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"no acceptable media type for {kind} results")
        self.kind = kind


_FEW = 10_000


def serialise_answer(result: ox.QueryBoolean | ox.QuerySolutions | ox.QueryTriples,
                     media_types: dict[str, str], limit: int) -> Answer:
    """Serialise a whole answer in Rust, counting it against ``limit`` on the way.

    Solutions are first written as TSV and triples as N-Triples, where every row or triple
    is one line (newlines in literals are escaped), so counting lines counts the answer;
    another format is then written from that text, without a Python object per row."""
    if isinstance(result, ox.QueryBoolean):
        media_type = _pick(media_types, "boolean")
        return Answer("boolean", media_type, write_boolean(result, media_type), 1)
    if isinstance(result, ox.QuerySolutions):
        media_type = _pick(media_types, "solutions")
        tsv = _bytes(result.serialize(format=ox.QueryResultsFormat.TSV))
        count = check_result_size(tsv.count(b"\n") - 1, limit, "rows")
        return Answer("solutions", media_type, convert_solutions(tsv, media_type), count)
    return graph_answer(_bytes(result.serialize(format=ox.RdfFormat.N_TRIPLES)),
                        media_types, limit)


def graph_answer(ntriples: bytes, media_types: dict[str, str], limit: int) -> Answer:
    """Serialise a graph answer given as pyoxigraph's N-Triples (one triple a line)."""
    media_type = _pick(media_types, "graph")
    count = check_result_size(ntriples.count(b"\n"), limit, "triples")
    return Answer("graph", media_type, convert_triples(ntriples, media_type), count)


def check_result_size(count: int, limit: int, what: str) -> int:
    """Return ``count`` of ``what`` (rows, triples), or raise ResultTooLarge past ``limit``:
    the one place the result cap is held, for every store."""
    if count > limit:
        raise ResultTooLarge(f"the answer has more than {limit:,} {what}, the limit of "
                             "this service; nothing was returned",
                             expected="a narrower query or a LIMIT")
    return count


def _pick(media_types: dict[str, str], kind: str) -> str:
    try:
        return media_types[kind]
    except KeyError:
        raise NotAcceptable(kind) from None


def write_boolean(answer: ox.QueryBoolean, media_type: str) -> bytes:
    """Given an ASK answer, return it as SPARQL JSON or XML results (the SPARQL 1.1 CSV and
    TSV formats define no boolean answer, so they are not offered for one)."""
    if media_type not in BOOLEAN_TYPES:
        raise NotAcceptable("boolean")
    return _bytes(answer.serialize(format=_RESULT_FORMATS[media_type]))


def convert_solutions(tsv: bytes, media_type: str) -> bytes:
    """Given SELECT results as SPARQL TSV, return them in ``media_type``."""
    fmt = _RESULT_FORMATS.get(media_type)
    if fmt is None:
        raise NotAcceptable("solutions")
    if fmt is ox.QueryResultsFormat.TSV:
        return tsv
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return _bytes(solutions.serialize(format=fmt))


def convert_triples(ntriples: bytes, media_type: str,
                    prefixes: dict[str, str] | None = None) -> bytes:
    """Given triples as N-Triples, return them in a graph media type."""
    if media_type == N_TRIPLES:
        return ntriples
    if media_type not in GRAPH_TYPES:
        raise NotAcceptable("graph")
    triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    return write_triples(triples, media_type, prefixes)


def write_triples(triples: Sequence[ox.Triple], media_type: str,
                  prefixes: dict[str, str] | None = None, *,
                  iris: set[str] | None = None) -> bytes:
    """Given triples, return them serialised in a graph media type (prefixes for Turtle;
    ``iris``: the IRIs the triples hold, when the caller has them already)."""
    fmt = GRAPH_TYPES.get(media_type)
    if fmt is None:
        raise NotAcceptable("graph")
    if fmt is ox.RdfFormat.TURTLE:
        if prefixes is None:
            from pledge_graph.rdf.vocab import (
                PREFIXES,  # loads rdflib: only where Turtle is written
            )

            prefixes = {k: str(v) for k, v in PREFIXES.items()}
        if len(triples) > _FEW:
            used = prefixes
        else:
            used = used_prefixes(iris_of(triples) if iris is None else iris, prefixes)
        return _bytes(ox.serialize(triples, format=fmt, prefixes=used))
    return _bytes(ox.serialize(triples, format=fmt))


def write_lines(lines: Sequence[str], media_type: str, prefixes: dict[str, str]) -> bytes:
    """:func:`write_triples` for triples given as N-Triples lines (as pyoxigraph writes
    them): parsed as they are written, with no list of triples in between."""
    fmt = GRAPH_TYPES.get(media_type)
    if fmt is None:
        raise NotAcceptable("graph")
    text = "".join(lines)
    if fmt is ox.RdfFormat.TURTLE and len(lines) <= _FEW:
        prefixes = used_prefixes(iris_of_lines(lines), prefixes)
    return _bytes(ox.serialize(ox.parse(text, format=ox.RdfFormat.N_TRIPLES), format=fmt,
                               prefixes=prefixes if fmt is ox.RdfFormat.TURTLE else None))


def _bytes(serialised: bytes | None) -> bytes:
    """pyoxigraph returns the bytes when no output file is given."""
    assert serialised is not None
    return serialised


def iris_of(triples: Sequence[ox.Triple]) -> set[str]:
    """The IRIs ``triples`` hold, in any position."""
    iris = {t.predicate.value for t in triples}
    iris |= {n.value for t in triples for n in (t.subject, t.object) if isinstance(n, ox.NamedNode)}
    return iris


def iris_of_lines(lines: Sequence[str]) -> set[str]:
    """The IRIs of N-Triples lines as pyoxigraph writes them (``S P O .``, single spaces)."""
    iris = set()
    for line in lines:
        subject, predicate, obj = line.split(" ", 2)
        iris.add(predicate[1:-1])
        if subject[0] == "<":
            iris.add(subject[1:-1])
        if obj[0] == "<":
            iris.add(obj[1:obj.rindex(">")])
    return iris


def used_prefixes(iris: set[str], table: dict[str, str]) -> dict[str, str]:
    """The prefixes some IRI of ``iris`` uses, leaving out any under which an IRI would
    need escapes (``id:pledge\\/japan-2023\\/1``): those IRIs read better written in full.

    Made from the IRIs' parents (the text up to their last ``/`` or ``#``): a namespace
    ending in ``/`` or ``#`` is used when it is some IRI's parent and no IRI's parent lies
    deeper under it. Every first request for a resource in Turtle makes this choice, and
    most of its IRIs' parents are new (a pledge's own, its facts'): what a parent says is
    read from its own leading parts, not by comparing it with every namespace."""
    namespaces = tuple(table.items())
    claims = _claims(namespaces)
    named: set[str] = set()
    spoilt: set[str] = set()
    for parent in {iri[:max(iri.rfind("/"), iri.rfind("#")) + 1] for iri in iris}:
        exact, deeper = claims.of(parent)
        named.update(exact)
        spoilt.update(deeper)
    used = {}
    for prefix, ns in namespaces:
        if ns in claims.odd:
            locals_ = [i[len(ns):] for i in iris if i.startswith(ns)]
            if locals_ and not any("/" in name or "#" in name for name in locals_):
                used[prefix] = ns
        elif ns in named and ns not in spoilt:
            used[prefix] = ns
    return used


class _Claims:
    """What each parent seen so far says under one prefix table: the namespaces (ending in
    ``/`` or ``#``) it is, and those it lies deeper under (an IRI with this parent would
    need escapes under them)."""

    def __init__(self, namespaces: tuple[tuple[str, str], ...]) -> None:
        self.namespaces = {ns for _, ns in namespaces if ns.endswith(("/", "#"))}
        self.odd = frozenset(ns for _, ns in namespaces if not ns.endswith(("/", "#")))
        self.known: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def of(self, parent: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        found = self.known.get(parent)
        if found is None:
            # the namespaces a parent lies under are among its leading parts up to a "/"
            # or "#"
            spaces = [ns for m in _SEPARATOR.finditer(parent)
                      if (ns := parent[:m.end()]) in self.namespaces]
            if len(self.known) >= _PARENTS_KEPT:
                self.known.clear()
            found = self.known[parent] = (tuple(ns for ns in spaces if ns == parent),
                                          tuple(ns for ns in spaces if ns != parent))
        return found


_SEPARATOR = re.compile(r"[/#]")
_PARENTS_KEPT = 100_000


@functools.lru_cache(maxsize=16)
def _claims(namespaces: tuple[tuple[str, str], ...]) -> _Claims:
    return _Claims(namespaces)
