"""Bounded lookups answered by pattern reads, without the SPARQL engine or a query worker.

Dereferencing an IRI and the one-subject query ``SELECT ?p ?o WHERE { <iri> ?p ?o }`` are
bounded by construction: they read the triples around one term. Answering them through a
full SPARQL query in a worker process costs a round trip and a query plan per request, which
is most of a first answer's time. Here they are read by pattern through a :class:`Reader`:
the server's lookup index (:mod:`pledge_graph.store.index`), or pyoxigraph's
``quads_for_pattern`` on a store without one. Neither can call out of the process: no query
is evaluated. Terms travel as N-Triples text, so an answer is written from what was read.

:func:`description` gives exactly the triples of the store's SPARQL definition of a resource
(:meth:`pledge_graph.store.embedded.SparqlMethods.resource`); the tests hold the two equal on
every resource of a release. :func:`one_subject` recognises the one-subject query exactly
(its whole text, not a pattern inside it) and returns the parts to rebuild it from.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Protocol

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
    "Reader",
    "StoreReader",
    "chosen_labels",
    "description",
    "description_lines",
    "every_label",
    "labels",
    "labels_in",
    "literal_parts",
    "one_subject",
    "one_subject_query",
    "owned_parts",
    "subject_solutions",
    "unescape",
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


class Reader(Protocol):
    """Pattern reads around one term, terms as N-Triples text (see :mod:`.index`)."""

    def outgoing(self, subject: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]: ...

    def incoming(self, obj: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]: ...

    def values(self, subjects: Sequence[str], predicates: Sequence[str]
               ) -> list[tuple[str, str, str]]: ...


class StoreReader:
    """The :class:`Reader` of a pyoxigraph store, read by its pattern lookups (for a store
    with no index: in memory, or one whose index could not be written)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def outgoing(self, subject: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]:
        quads = self.store.quads_for_pattern(
            _term(subject), None if predicate is None else ox.NamedNode(predicate[1:-1]), None,
            _DEFAULT)
        return [(str(q.predicate), str(q.object))
                for q in itertools.islice(quads, None if most < 0 else most)]

    def incoming(self, obj: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]:
        quads = self.store.quads_for_pattern(
            None, None if predicate is None else ox.NamedNode(predicate[1:-1]), _term(obj),
            _DEFAULT)
        found = [(str(q.subject), str(q.predicate))
                 for q in itertools.islice(quads, None if most < 0 else most)]
        found.sort(key=_by_predicate)  # in the lookup index's order: by predicate, subject
        return found

    def values(self, subjects: Sequence[str], predicates: Sequence[str]
               ) -> list[tuple[str, str, str]]:
        """(subject, predicate, object) of the triples of any of ``subjects`` with any of
        ``predicates``, by one pattern read for each pair."""
        return [(subject, predicate, o) for subject in subjects for predicate in predicates
                for _, o in self.outgoing(subject, predicate)]


def _by_predicate(link: tuple[str, str]) -> tuple[str, str]:
    return link[1], link[0]


def _term(text: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(text[2:]) if text.startswith("_:") else ox.NamedNode(text[1:-1])


def subject_solutions(read: Reader, found: OneSubject, media_types: dict[str, str],
                      limit: int, budget: int | None = None) -> Answer | None:
    """The answer to a recognised one-subject query, read by one pattern lookup and written
    as the engine writes it: the rows as SPARQL TSV (terms in N-Triples form, one row a
    line), then converted like every other answer (the TSV itself is parsed and written
    again, so its literals take the engine's form). With a ``budget``, None when there are
    more rows than that (the caller answers small lookups at once, large ones in a thread)."""
    iri, predicate, obj = found
    most = limit if budget is None else min(limit, budget)
    rows = [f"{p}\t{o}" for p, o in read.outgoing(f"<{iri}>", most=most + 1)]
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


def description(read: Reader, iri: str, budget: int | None = None) -> list[ox.Triple] | None:
    """The triples describing ``iri`` in the default graph (see the module): with it as
    subject or object, those of its owned sub-resources (IRIs under ``iri/`` it links to or
    that link to it), those of its parts (IRIs ``iri#...`` it links to, and those such a
    part links to: a fact's evidence and its selectors) and those of the blank nodes
    reachable from its blank objects.

    With a ``budget``, None when reading them takes more than that many triples: the
    caller can answer small descriptions at once and send large ones to a thread."""
    lines = description_lines(read, iri, budget)
    if lines is None:
        return None
    return [q.triple for q in ox.parse("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)]


def description_lines(read: Reader, iri: str, budget: int | None = None) -> list[str] | None:
    """The triples of :func:`description` as N-Triples lines, each once, in reading order."""
    counted = _Counted(read, budget)
    node, prefix, hashed = f"<{iri}>", "<" + iri.rstrip("/") + "/", f"<{iri}#"
    try:
        outgoing = counted.outgoing(node)
        incoming = counted.incoming(node)
        owned = [o for _, o in outgoing if o.startswith(prefix)]
        owned += [s for s, _ in incoming if s.startswith(prefix)]
        blanks = _reachable_blanks(counted, [o for _, o in outgoing if o.startswith("_:")])
        lines = [f"{node} {p} {o} .\n" for p, o in outgoing]
        lines += [f"{s} {p} {node} .\n" for s, p in incoming]
        for subject in dict.fromkeys([*owned, *blanks]):
            lines += [f"{subject} {p} {o} .\n" for p, o in counted.outgoing(subject)]
        parts = dict.fromkeys(o for _, o in outgoing if o.startswith(hashed))
        second: dict[str, None] = {}
        for part in parts:  # the parts it links to, and theirs: two links at most
            said = counted.outgoing(part)
            lines += [f"{part} {p} {o} .\n" for p, o in said]
            second.update((o, None) for _, o in said if o.startswith(hashed))
        for part in [o for o in second if o not in parts]:
            lines += [f"{part} {p} {o} .\n" for p, o in counted.outgoing(part)]
    except _OverBudget:
        return None
    return list(dict.fromkeys(lines))


def owned_parts(iri: str, rows: Iterable[tuple[str, str, str]]) -> list[str]:
    """The parts ``iri`` owns in a description (triples as N-Triples text): the IRIs
    under ``iri/`` that it links to or that link to it (checksums), and its hash parts
    ``iri#...`` (a fact's evidence and selectors), whose own triples its description holds."""
    node, prefix, hashed = f"<{iri}>", "<" + iri.rstrip("/") + "/", f"<{iri}#"
    found = [o for s, _, o in rows if s == node and o.startswith(prefix)]
    found += [s for s, _, o in rows if o == node and s.startswith(prefix)]
    found += [s for s, _, _ in rows if s.startswith(hashed)]
    return [part[1:-1] for part in dict.fromkeys(found)]


class _OverBudget(Exception):
    """More triples than the budget were read."""


class _Counted:
    """Reads counted against a budget (None: no budget)."""

    def __init__(self, read: Reader, budget: int | None) -> None:
        self.read, self.left = read, budget

    def outgoing(self, subject: str) -> list[tuple[str, str]]:
        return self._count(self.read.outgoing(subject, most=self._most()))

    def incoming(self, obj: str) -> list[tuple[str, str]]:
        return self._count(self.read.incoming(obj, most=self._most()))

    def _most(self) -> int:
        return -1 if self.left is None else self.left + 1

    def _count(self, found: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if self.left is not None:
            self.left -= len(found)
            if self.left < 0:
                raise _OverBudget
        return found


def _reachable_blanks(read: _Counted, start: list[str]) -> list[str]:
    """The blank nodes reachable from ``start`` by paths of any length over any predicate
    (``?b (p|!p)* ?s``, through IRIs too), ``start`` included."""
    seen: dict[str, None] = dict.fromkeys(start)
    todo = list(start)
    while todo:
        for _, target in read.outgoing(todo.pop()):
            if target.startswith('"') or target in seen:
                continue
            seen[target] = None
            todo.append(target)
    return [term for term in seen if term.startswith("_:")]


def labels(read: Reader, iris: Iterable[str]) -> dict[str, str]:
    """The labels of ``iris`` (see :func:`labels_in`), read at once: a page links to tens
    of resources, each read before by a pattern read per label property."""
    return chosen_labels(read.values([f"<{iri}>" for iri in iris], _LABEL_TEXTS))


def every_label(store: ox.Store) -> dict[str, str]:
    """The label of every IRI of the default graph that has one, chosen as :func:`labels`
    chooses, in one pass over each label property: for a writer of every resource's page,
    which would otherwise read them a few IRIs at a time."""
    return chosen_labels(
        (str(q.subject), predicate, str(q.object)) for predicate in _LABEL_TEXTS
        for q in store.quads_for_pattern(None, ox.NamedNode(predicate[1:-1]), None, _DEFAULT))


def chosen_labels(rows: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Each subject's label among ``rows`` (subject, label property, value in N-Triples):
    English or untagged, by the property's rank (skos:prefLabel, rdfs:label, dct:title),
    the smallest value of that rank."""
    best: dict[str, tuple[int, str]] = {}
    for subject, predicate, o in rows:
        value = _english(o)
        if value is None or subject[:1] != "<":
            continue
        iri, choice = subject[1:-1], (_LABEL_TEXTS.index(predicate), value)
        if iri not in best or choice < best[iri]:
            best[iri] = choice
    return {iri: value for iri, (_, value) in best.items()}


_LABEL_TEXTS = [str(p) for p in LABEL_PROPERTIES]  # as N-Triples terms: <iri>
_LABEL_TERMS = frozenset(_LABEL_TEXTS)


def _english(text: str) -> str | None:
    """The value of an English or untagged literal written in N-Triples, else None."""
    if not text.startswith('"'):
        return None
    value, language, _ = literal_parts(text)
    return value if (language or "en") == "en" else None


def literal_parts(text: str) -> tuple[str, str | None, str | None]:
    """The lexical form, language tag and datatype IRI of a literal written in N-Triples
    (``"..."``, ``"..."@lang`` or ``"..."^^<iri>``; the suffix holds no quote mark)."""
    end = text.rindex('"')
    value = _ESCAPE.sub(_unescape, text[1:end]) if "\\" in text else text[1:end]
    suffix = text[end + 1:]
    if suffix.startswith("@"):
        return value, suffix[1:], None
    return value, None, suffix[3:-1] if suffix.startswith("^^") else None


_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
            "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    short, long, char = match.groups()
    if char is not None:
        return _ESCAPED[char]
    return chr(int(short or long, 16))


def labels_in(rows: Iterable[tuple[str, str, str]], iris: Iterable[str]) -> dict[str, str]:
    """The labels of ``iris`` read from a description (triples as N-Triples text) that
    holds all of their triples, by the store's rule: the skos:prefLabel, else the
    rdfs:label, else the dct:title, English or untagged, the smallest if several."""
    wanted = {f"<{iri}>" for iri in iris}
    values: dict[tuple[str, str], list[str]] = {}
    for s, p, o in rows:
        if s in wanted and p in _LABEL_TERMS and (value := _english(o)) is not None:
            values.setdefault((s[1:-1], p), []).append(value)
    found: dict[str, str] = {}
    for iri in {s[1:-1] for s in wanted}:
        for predicate in _LABEL_TEXTS:
            if (iri, predicate) in values:
                found[iri] = min(values[iri, predicate])
                break
    return found


def unescape(text: str) -> str:
    """N-Triples text with its escapes (``\\uXXXX``, ``\\n``...) read."""
    return _ESCAPE.sub(_unescape, text)