"""The lookup index held in Python dictionaries, for a job that reads every resource.

``export-site`` describes each of the release's resources once, with its links' labels:
about a hundred thousand descriptions on the 10k corpus. Read through pyoxigraph's pattern
lookups on the in-memory store, a fact's description took 41 us (each read opens an
iterator, and each term is looked up in the store's string table and made a Python
object); held as the N-Triples text of :mod:`pledge_graph.store.index`, keyed by subject
and by object, it takes 11 us. The rows are the on-disk index's (:func:`index_rows` over
the store's dump) and are read in its order, so a description is the one ``serve`` reads.

Made in two to four seconds from the loaded store, it holds about 190 MiB for the 10k
corpus, which forked workers share.
"""

from __future__ import annotations

import copy
import gc
from collections.abc import Sequence

import pyoxigraph as ox

from pledge_graph.store.index import PUBLISHED, STORED, TripleTermFound, index_rows
from pledge_graph.store.published import Published

__all__ = ["HeldIndex"]


class HeldIndex:
    """A :class:`pledge_graph.store.lookup.Reader` over a store's default graph, held in
    memory: literals as the store writes them, or as the release does (:meth:`published`),
    answers in the on-disk index's order."""

    def __init__(self, outgoing: dict[str, list[tuple[str, str, int]]],
                 incoming: dict[str, list[tuple[str, str]]]) -> None:
        self._out = outgoing
        self._in = incoming
        self._hidden = PUBLISHED

    @classmethod
    def of(cls, store: ox.Store, published: Published) -> HeldIndex | None:
        """The index of ``store``'s default graph (None when it holds a triple term, which
        the index does not keep)."""
        text = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        assert text is not None
        outgoing: dict[str, list[tuple[str, str, int]]] = {}
        incoming: dict[str, list[tuple[str, str]]] = {}
        terms: dict[str, str] = {}  # one copy of each IRI: most are named many times
        lines = text.decode("utf-8").split("\n")
        del text
        lines.pop()  # after the last line's end
        collecting = gc.isenabled()
        gc.disable()  # a million new tuples would start a collection every few hundred
        last: str = ""  # the dump writes a subject's triples together
        found: list[tuple[str, str, int]] = []
        try:
            for subject, _, predicate, obj, form in index_rows(lines, published):
                predicate = terms.setdefault(predicate, predicate)
                if subject != last:
                    known = outgoing.get(subject)
                    if known is None:
                        known = outgoing[terms.setdefault(subject, subject)] = []
                    found = known
                    last = terms[subject]
                if obj[0] != '"':
                    obj = terms.setdefault(obj, obj)
                    incoming.setdefault(obj, []).append((predicate, last))
                found.append((predicate, obj, form))
        except TripleTermFound:
            return None
        finally:
            if collecting:
                gc.enable()
        for links in incoming.values():
            links.sort()
        return cls(outgoing, {obj: [(s, p) for p, s in links]
                              for obj, links in incoming.items()})

    def published(self) -> HeldIndex:
        """The same reads, literals as the release writes them (descriptions read these)."""
        view = copy.copy(self)
        view._hidden = STORED
        return view

    def iris(self) -> set[str]:
        """Every IRI that is a subject or an object of the graph."""
        return {term[1:-1] for terms in (self._out, self._in) for term in terms
                if term[0] == "<"}

    def outgoing(self, subject: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]:
        """(predicate, object) of the triples with ``subject``, at most ``most`` (-1: all)."""
        hidden = self._hidden
        found = [(p, o) for p, o, form in self._out.get(subject, ())
                 if form != hidden and (predicate is None or p == predicate)]
        return found if most < 0 else found[:most]

    def incoming(self, obj: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]:
        """(subject, predicate) of the triples with the IRI or blank node ``obj`` as
        object, at most ``most`` (-1: all)."""
        found = self._in.get(obj, [])
        if predicate is not None:
            found = [(s, p) for s, p in found if p == predicate]
        return list(found if most < 0 else found[:most])

    def values(self, subjects: Sequence[str], predicates: Sequence[str]
               ) -> list[tuple[str, str, str]]:
        """(subject, predicate, object) of the triples of any of ``subjects`` with any of
        ``predicates``, by subject, then in the store's order."""
        wanted, hidden = set(predicates), self._hidden
        return [(s, p, o) for s in sorted(set(subjects)) for p, o, form in self._out.get(s, ())
                if p in wanted and form != hidden]
