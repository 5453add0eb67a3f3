"""The rights-holder concept scheme (ontology/rights-holders.ttl), as the pipeline asks it.

The importer matches a pledge's "Sector and Rights-holders" line against
:func:`known_labels` (longest first, since labels contain commas); the mapping turns each
matched label into a concept with :func:`concept_for_label`; the release carries the scheme
itself from :func:`scheme_graph`. The scheme file is read once per process.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rdflib import Graph, URIRef
from rdflib.term import Node

from pledge_graph.errors import InputError
from pledge_graph.paths import DEFAULT_BASE, ONTOLOGY_DIR
from pledge_graph.rdf.vocab import RDF, SKOS, UNBIS, Iris

__all__ = [
    "SCHEME_FILE",
    "concept_for_label",
    "concept_slug",
    "known_labels",
    "normalise_label",
    "scheme_graph",
]

SCHEME_FILE = ONTOLOGY_DIR / "rights-holders.ttl"

_APOSTROPHES = re.compile("[\u2018\u2019\u02bc\u00b4`]")
_AMPERSAND = re.compile(r"\s*&\s*")


def normalise_label(label: str) -> str:
    """Return the form labels are compared in: case, spacing, NBSP, apostrophes and '&' folded.

    A trailing full stop or semicolon is dropped, as the last label of a list often has one.
    """
    text = unicodedata.normalize("NFKC", label)
    text = _APOSTROPHES.sub("'", text)
    text = _AMPERSAND.sub(" and ", text)
    text = " ".join(text.split()).rstrip(".;, ")
    return text.casefold()


@lru_cache(maxsize=1)
def _scheme() -> Graph:
    """Parse the scheme file once; a broken file is an input error naming it."""
    graph = Graph()
    try:
        graph.parse(SCHEME_FILE, format="turtle")
    except FileNotFoundError as error:
        raise InputError("rights-holder scheme not found", file=SCHEME_FILE,
                         expected="the SKOS concept scheme in Turtle") from error
    except SyntaxError as error:
        raise InputError(f"rights-holder scheme does not parse: {error}", file=SCHEME_FILE,
                         expected="valid Turtle") from error
    return graph


@lru_cache(maxsize=1)
def _labels() -> dict[str, URIRef]:
    """Map every normalised preferred and alternative label to its concept."""
    graph = _scheme()
    index: dict[str, URIRef] = {}
    for concept in sorted(URIRef(str(c)) for c in graph.subjects(RDF.type, SKOS.Concept)):
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for label in graph.objects(concept, prop):
                key = normalise_label(str(label))
                other = index.setdefault(key, concept)
                if other != concept:
                    raise InputError(f"label {str(label)!r} names both {other} and {concept}",
                                     file=SCHEME_FILE, expected="each label on one concept")
    return index


def known_labels() -> list[str]:
    """Return every preferred and alternative label of the scheme, longest first.

    The importer splits a rights-holder line by matching these, longest first, because
    labels themselves contain commas ("Judges, lawyers and prosecutors").
    """
    graph = _scheme()
    labels = {
        str(label)
        for concept in graph.subjects(RDF.type, SKOS.Concept)
        for prop in (SKOS.prefLabel, SKOS.altLabel)
        for label in graph.objects(concept, prop)
    }
    return sorted(labels, key=lambda label: (-len(label), label))


def concept_slug(label: str) -> str | None:
    """Given a rights-holder label as written, return its concept's slug, or None."""
    concept = _labels().get(normalise_label(label))
    if concept is None:
        return None
    return str(concept).rsplit("/", 1)[1]


def concept_for_label(label: str, base: str = DEFAULT_BASE) -> URIRef | None:
    """Given a rights-holder label as written, return its concept's IRI under ``base``.

    Matching ignores case, runs of spaces (NBSP too), typographic apostrophes, '&' against
    'and', and a trailing full stop. None means the label names no concept: the caller keeps
    it as written and reports it.
    """
    slug = concept_slug(label)
    return None if slug is None else Iris(base).concept(slug)


def scheme_graph(base: str = DEFAULT_BASE) -> Graph:
    """Return a fresh copy of the concept scheme with its IRIs under ``base``."""
    prefix = Iris(base).base
    graph = Graph()
    graph.bind("rh", Iris(base).concept(""))
    graph.bind("skos", SKOS)
    graph.bind("unbis", UNBIS)
    for triple in _scheme():
        graph.add(tuple(_rebase(term, prefix) for term in triple))  # type: ignore[arg-type]
    return graph


def _rebase(term: Node, base: str) -> Node:
    if base != DEFAULT_BASE and isinstance(term, URIRef) and term.startswith(DEFAULT_BASE):
        return URIRef(base + term[len(DEFAULT_BASE):])
    return term
