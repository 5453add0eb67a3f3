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

import re
from collections.abc import Iterable
from typing import TypeGuard

import pyoxigraph as ox

__all__ = ["OneSubject", "description", "one_subject"]

_DEFAULT = ox.DefaultGraph()
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


def description(store: ox.Store, iri: str) -> list[ox.Triple]:
    """The triples describing ``iri`` in the default graph (see the module): with it as
    subject or object, those of its owned sub-resources (IRIs under ``iri/`` it links to or
    that link to it) and those of the blank nodes reachable from its blank objects."""
    node = ox.NamedNode(iri)
    outgoing = _triples(store, node, None)
    incoming = _triples(store, None, node)
    prefix = iri.rstrip("/") + "/"
    owned = [t.object for t in outgoing if _under(t.object, prefix)]
    owned += [t.subject for t in incoming if _under(t.subject, prefix)]
    blanks = _reachable_blanks(store, [t.object for t in outgoing
                                       if isinstance(t.object, ox.BlankNode)])
    found = outgoing + incoming
    for subject in _unique([*owned, *blanks]):
        found += _triples(store, subject, None)
    return list(dict.fromkeys(found))


def _triples(store: ox.Store, subject: ox.NamedNode | ox.BlankNode | None,
             obj: ox.NamedNode | None) -> list[ox.Triple]:
    return [q.triple for q in store.quads_for_pattern(subject, None, obj, _DEFAULT)]


def _under(term: object, prefix: str) -> TypeGuard[ox.NamedNode]:
    return isinstance(term, ox.NamedNode) and term.value.startswith(prefix)


def _unique(terms: Iterable[ox.NamedNode | ox.BlankNode]) -> list[ox.NamedNode | ox.BlankNode]:
    return list(dict.fromkeys(terms))


def _reachable_blanks(store: ox.Store, start: list[ox.BlankNode]) -> list[ox.BlankNode]:
    """The blank nodes reachable from ``start`` by paths of any length over any predicate
    (``?b (p|!p)* ?s``, through IRIs too), ``start`` included."""
    seen: dict[object, None] = dict.fromkeys(start)
    todo: list[object] = list(start)
    while todo:
        current = todo.pop()
        for quad in store.quads_for_pattern(current, None, None, _DEFAULT):  # type: ignore[arg-type]
            target = quad.object
            if isinstance(target, ox.Literal) or target in seen:
                continue
            seen[target] = None
            todo.append(target)
    return [term for term in seen if isinstance(term, ox.BlankNode)]
