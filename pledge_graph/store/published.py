"""The literals of a release as its files write them, for descriptions.

The store keeps a literal's value, not its writing: pyoxigraph stores
``"3"^^xsd:positiveInteger`` as ``"3"^^xsd:integer`` (every type derived from xsd:integer
likewise, and ``"03"``, ``"1.50"^^xsd:decimal``, ``"1"^^xsd:boolean`` in their canonical
form). Query answers are the engine's and say what the store holds; a resource's description
is the release's own triples, so it carries the release's datatypes (which the JSON-LD
context's coercions expect). The forms are read from the files that make up the default graph
(:func:`published_forms`), as a map from the store's writing of a triple to the published
objects, and applied to what a store reads (:class:`PublishedReader`, or the lookup index,
which keeps both, :mod:`pledge_graph.store.index`).

Triples on blank nodes keep the store's forms: a store names the blank nodes it loads
afresh, so its triples cannot be matched with the file's (the release's lists of the
ontology and shapes hold no literal the store rewrites).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from pledge_graph.store.lookup import Reader

__all__ = ["Published", "PublishedReader", "published_forms"]

Published = dict[tuple[str, str, str], list[str]]
"""The store's writing of a triple (subject, predicate, object in N-Triples) to the objects
the release publishes for it, when one of them is written otherwise (the store's own form is
in the list when it is published too)."""

_PLAIN = {"http://www.w3.org/2001/XMLSchema#string",
          "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
_STRING_END = b'"^^<http://www.w3.org/2001/XMLSchema#string> .\n'
_SCRATCH = ox.NamedNode("urn:x-published:term")


def published_forms(paths: Iterable[Path], triples: Iterable[ox.Triple] = ()) -> Published:
    """The published forms of the literals the store writes otherwise, in the default-graph
    triples of ``paths`` (RDF files the store has loaded) and ``triples``."""
    found = [t for path in paths for t in _typed_triples(path)]
    found += [(str(t.subject), str(t.predicate), literal) for t in triples
              if (literal := _typed(t.subject, t.object)) is not None]
    store_form = _store_forms(o for _, _, o in found)
    forms: Published = {}
    for subject, predicate, literal in found:
        written = str(literal)
        stored = store_form[written]
        if stored != written:
            forms.setdefault((subject, predicate, stored), [])
    for subject, predicate, literal in found:  # a second pass: published as stored too
        written = str(literal)
        variants = forms.get((subject, predicate, store_form[written]))
        if variants is not None and written not in variants:
            variants.append(written)
    return forms


class PublishedReader:
    """A :class:`Reader` whose literals are written as the release publishes them, over one
    that reads a store (for stores without a lookup index: in memory, as export-site's)."""

    def __init__(self, read: Reader, forms: Published) -> None:
        self.read, self.forms = read, forms

    def outgoing(self, subject: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]:
        found = [(p, published) for p, o in self.read.outgoing(subject, predicate, most)
                 for published in self.forms.get((subject, p, o), (o,))]
        return found if most < 0 else found[:most]

    def incoming(self, obj: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]:
        return self.read.incoming(obj, predicate, most)

    def values(self, subjects: Sequence[str], predicates: Sequence[str]
               ) -> list[tuple[str, str, str]]:
        return [(s, p, published) for s, p, o in self.read.values(subjects, predicates)
                for published in self.forms.get((s, p, o), (o,))]


def _typed(subject: object, obj: object) -> ox.Literal | None:
    """The object of a triple when it is a typed literal (not a string) and the subject
    is not a blank node, else None."""
    if isinstance(obj, ox.Literal) and obj.datatype.value not in _PLAIN \
            and not isinstance(subject, ox.BlankNode):
        return obj
    return None


def _typed_triples(path: Path) -> Iterator[tuple[str, str, ox.Literal]]:
    """Subject, predicate (N-Triples) and literal of the default-graph triples of ``path``
    with a typed literal object. In N-Triples only the lines with a datatype are parsed (a
    dump of a million triples is read in a second)."""
    if path.suffix == ".nt":
        with path.open("rb") as lines:
            kept = b"".join(line for line in lines
                            if b'"^^<' in line and not line.endswith(_STRING_END))
        quads: Iterable[ox.Quad] = ox.parse(kept, format=ox.RdfFormat.N_TRIPLES)
    else:
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        if fmt is None:
            return
        quads = ox.parse(path=str(path), format=fmt)
    for quad in quads:
        literal = _typed(quad.subject, quad.object)
        if literal is not None and quad.graph_name == ox.DefaultGraph():
            yield str(quad.subject), str(quad.predicate), literal


def _store_forms(literals: Iterable[ox.Literal]) -> dict[str, str]:
    """Each distinct literal's N-Triples writing, to the store's writing of it: each is put
    in a scratch store in a graph of its own, which names it on the way out."""
    distinct: dict[str, ox.Literal] = {}
    for literal in literals:
        distinct.setdefault(str(literal), literal)
    named = [(ox.NamedNode(f"urn:x-published:{i}"), written) for i, written in enumerate(distinct)]
    scratch = ox.Store()
    scratch.extend([ox.Quad(_SCRATCH, _SCRATCH, distinct[written], graph)
                    for graph, written in named])
    graphs: dict[object, str] = dict(named)
    return {graphs[q.graph_name]: str(q.object) for q in scratch}
