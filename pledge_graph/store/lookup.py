"""Bounded lookups answered by pattern reads, without the SPARQL engine or a query worker.

Dereferencing an IRI and the one-subject query ``SELECT ?p ?o WHERE { <iri> ?p ?o }`` are
bounded by construction: they read the triples around one term. Answering them through a
full SPARQL query in a worker process costs a round trip and a query plan per request, which
is most of a first answer's time. Here they are read with pyoxigraph's pattern lookups
(``quads_for_pattern``), which cannot call out of the process: no query is evaluated.

:func:`description` gives exactly the triples of the store's SPARQL definition of a resource
(:meth:`pledge_graph.store.embedded.SparqlMethods.resource`); the tests hold the two equal on
every resource of a release. :func:`one_subject` recognises the one-subject query exactly
(its whole text, not a pattern inside it) and returns the parts to rebuild it from.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import TypeGuard

import pyoxigraph as ox

from pledge_graph.sparql.results import (
    Answer,
    NotAcceptable,
    check_result_size,
    convert_solutions,
)

__all__ = [
    "LABEL_PROPERTIES",
    "OneSubject",
    "description",
    "labels",
    "labels_in",
    "one_subject",
    "one_subject_query",
    "owned_parts",
    "subject_solutions",
]

_DEFAULT = ox.DefaultGraph()
LABEL_PROPERTIES = tuple(ox.NamedNode(iri) for iri in (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
))
"""The properties a resource's label is read from, in order of preference."""
_VAR = r"[?$]([A-Za-z_][A-Za-z0-9_]{0,63})"
_ONE_SUBJECT = re.compile(  # no two quantifiers over spaces meet: linear in the text
    r"\s*SELECT\s+" + _VAR + r"\s+" + _VAR + r"(?:\s+WHERE)?\s*\{\s*<([^<>\"{}|^`\\\s]{1,2000})>"
    r"\s*" + _VAR + r"\s+" + _VAR + r"\s*(?:\.\s*)?\}\s*", re.IGNORECASE | re.ASCII)

OneSubject = tuple[str, str, str]
"""A recognised one-subject query: the subject IRI, the predicate and object variables."""


def one_subject(query: str) -> OneSubject | None:
    """Return (IRI, predicate variable, object variable) when ``query`` is exactly a
    one-subject lookup (``SELECT ?p ?o WHERE { <iri> ?p ?o }``, any variable names, an
    optional ``WHERE`` and final dot), else None. Anything else (a prefix, a relative IRI,
    a modifier, a second pattern) is not recognised and goes to the query workers."""
    if len(query) > 4096:
        return None
    match = _ONE_SUBJECT.fullmatch(query)
    if match is None:
        return None
    first, second, iri, predicate, obj = match.groups()
    if (first, second) != (predicate, obj) or predicate == obj:
        return None
    try:
        ox.NamedNode(iri)
    except ValueError:
        return None
    if ":" not in iri:
        return None
    return iri, predicate, obj


def one_subject_query(found: OneSubject) -> str:
    """The query rebuilt from its recognised parts (never the client's text)."""
    iri, predicate, obj = found
    return f"SELECT ?{predicate} ?{obj} WHERE {{ <{ox.NamedNode(iri).value}> ?{predicate} ?{obj} }}"


def subject_solutions(store: ox.Store, found: OneSubject, media_types: dict[str, str],
                      limit: int, budget: int | None = None) -> Answer | None:
    """The answer to a recognised one-subject query, read by one pattern lookup and written
    as the engine writes it: the rows as SPARQL TSV (terms in N-Triples form, one row a
    line), then converted like every other answer (the TSV itself is parsed and written
    again, so its literals take the engine's form). With a ``budget``, None when there are
    more rows than that (the caller answers small lookups at once, large ones in a thread)."""
    iri, predicate, obj = found
    quads = store.quads_for_pattern(ox.NamedNode(iri), None, None, _DEFAULT)
    most = limit if budget is None else min(limit, budget)
    rows = [f"{q.predicate}\t{q.object}" for q in itertools.islice(quads, most + 1)]
    if budget is not None and len(rows) > most and most < limit:
        return None
    count = check_result_size(len(rows), limit, "rows")
    media_type = media_types.get("solutions")
    if media_type is None:
        raise NotAcceptable("solutions")
    tsv = "\n".join([f"?{predicate}\t?{obj}", *rows, ""]).encode()
    if media_type == "text/tab-separated-values":
        parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        tsv = parsed.serialize(format=ox.QueryResultsFormat.TSV)  # type: ignore[union-attr,assignment]
        return Answer("solutions", media_type, tsv, count)
    return Answer("solutions", media_type, convert_solutions(tsv, media_type), count)


def description(store: ox.Store, iri: str, budget: int | None = None) -> list[ox.Triple] | None:
    """The triples describing ``iri`` in the default graph (see the module): with it as
    subject or object, those of its owned sub-resources (IRIs under ``iri/`` it links to or
    that link to it) and those of the blank nodes reachable from its blank objects.

    With a ``budget``, None when reading them takes more than that many triples: the
    caller can answer small descriptions at once and send large ones to a thread."""
    read = _Reader(store, budget)
    try:
        node = ox.NamedNode(iri)
        outgoing = read(node, None)
        incoming = read(None, node)
        owned = owned_parts(iri, outgoing + incoming)
        blanks = _reachable_blanks(read, [t.object for t in outgoing
                                          if isinstance(t.object, ox.BlankNode)])
        found = outgoing + incoming
        for subject in _unique([*owned, *blanks]):
            found += read(subject, None)
    except _OverBudget:
        return None
    return list(dict.fromkeys(found))


def owned_parts(iri: str, triples: Iterable[ox.Triple]) -> list[ox.NamedNode]:
    """The parts ``iri`` owns among ``triples``: the IRIs under ``iri/`` that it links to
    or that link to it (selectors, checksums), whose own triples its description holds."""
    node, prefix = ox.NamedNode(iri), iri.rstrip("/") + "/"
    found = [t.object for t in triples if t.subject == node and _under(t.object, prefix)]
    found += [t.subject for t in triples if t.object == node and _under(t.subject, prefix)]
    return list(dict.fromkeys(found))


class _OverBudget(Exception):
    """More triples than the budget were read."""


class _Reader:
    """Pattern reads in the default graph, counted against a budget (None: no budget)."""

    def __init__(self, store: ox.Store, budget: int | None) -> None:
        self.store, self.left = store, budget

    def __call__(self, subject: ox.NamedNode | ox.BlankNode | None,
                 obj: ox.NamedNode | None) -> list[ox.Triple]:
        quads = self.store.quads_for_pattern(subject, None, obj, _DEFAULT)
        if self.left is None:
            return [q.triple for q in quads]
        found = [q.triple for q in itertools.islice(quads, self.left + 1)]
        self.left -= len(found)
        if self.left < 0:
            raise _OverBudget
        return found


def _under(term: object, prefix: str) -> TypeGuard[ox.NamedNode]:
    return isinstance(term, ox.NamedNode) and term.value.startswith(prefix)


def _unique(terms: Iterable[ox.NamedNode | ox.BlankNode]) -> list[ox.NamedNode | ox.BlankNode]:
    return list(dict.fromkeys(terms))


def _reachable_blanks(read: _Reader, start: list[ox.BlankNode]) -> list[ox.BlankNode]:
    """The blank nodes reachable from ``start`` by paths of any length over any predicate
    (``?b (p|!p)* ?s``, through IRIs too), ``start`` included."""
    seen: dict[object, None] = dict.fromkeys(start)
    todo: list[object] = list(start)
    while todo:
        current = todo.pop()
        for triple in read(current, None):  # type: ignore[arg-type]
            target = triple.object
            if isinstance(target, ox.Literal) or target in seen:
                continue
            seen[target] = None
            todo.append(target)
    return [term for term in seen if isinstance(term, ox.BlankNode)]


def labels(store: ox.Store, iris: Iterable[ox.NamedNode]) -> dict[str, str]:
    """The labels of ``iris`` (see :func:`labels_in`), by one pattern read per IRI and
    label property, until one is found."""
    found: dict[str, str] = {}
    for subject in iris:
        for predicate in LABEL_PROPERTIES:
            values = [q.object.value for q in store.quads_for_pattern(
                subject, predicate, None, _DEFAULT) if isinstance(q.object, ox.Literal)
                      and (q.object.language or "en") == "en"]
            if values:
                found[subject.value] = min(values)
                break
    return found


def labels_in(triples: Iterable[ox.Triple], iris: Iterable[str]) -> dict[str, str]:
    """The labels of ``iris`` read from ``triples`` (which hold all of their triples) by the
    store's rule: the skos:prefLabel, else the rdfs:label, else the dct:title, English or
    untagged, the smallest if several."""
    wanted = set(iris)
    values: dict[tuple[str, ox.NamedNode], list[str]] = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode) and t.subject.value in wanted \
                and t.predicate in LABEL_PROPERTIES \
                and isinstance(t.object, ox.Literal) and (t.object.language or "en") == "en":
            values.setdefault((t.subject.value, t.predicate), []).append(t.object.value)
    found: dict[str, str] = {}
    for iri in wanted:
        for predicate in LABEL_PROPERTIES:
            if (iri, predicate) in values:
                found[iri] = min(values[iri, predicate])
                break
    return found
