"""The ontology's documentation page, made from the release's ontology and shapes.

The page lists every class and property of the ontology with its label, comment, domain
and range, and for each class the properties the shapes require of it (``sh:minCount``,
with the shape's severity) and one instance from the data. It is made from the project's
templates, not pyLODE: pyLODE's page (measured with 3.4.1, the newest this project's
registry offers; 3.6 is not there) takes about a second to make for this ontology, writes
its style inline (refused by the pages' Content-Security-Policy), says nothing about
SHACL shapes or instances, and its wheel fails on import (it reads a ``pyproject.toml`` it
does not ship). The model is read once a release from the store's copies of the published
files (``dumps/ontology.ttl``, ``dumps/shapes.ttl``), so the base is the served one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH

from pledge_graph.sparql.results import N_TRIPLES, SPARQL_JSON

__all__ = ["CLASS_TYPES", "DOCUMENTED_FILES", "PROPERTY_TYPES", "Documentation",
           "Requirement", "Term", "documentation"]

CLASS_TYPES = (OWL.Class, RDFS.Class)
PROPERTY_TYPES = {OWL.ObjectProperty: "object property", OWL.DatatypeProperty: "datatype property",
                  OWL.AnnotationProperty: "annotation property", RDF.Property: "property"}


@dataclass
class Requirement:
    """A property the shapes ask of a class's instances."""

    path: str
    min_count: int
    severity: str
    shape: str


@dataclass
class Term:
    """A class, property or named individual of the ontology, as documented."""

    iri: str
    name: str
    kind: str
    label: str = ""
    comment: str = ""
    parents: list[str] = field(default_factory=list)
    domains: list[list[str]] = field(default_factory=list)
    ranges: list[list[str]] = field(default_factory=list)
    required: list[Requirement] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    example: str | None = None
    related: list[str] = field(default_factory=list)
    """For a class, the properties with it as domain; for a property, the classes whose
    shapes require it."""


@dataclass
class Documentation:
    """The ontology's header and its terms by kind."""

    iri: str
    title: str
    description: str
    version: str
    classes: list[Term]
    properties: list[Term]
    individuals: list[Term]
    constrained: list[Term]
    """Classes of other vocabularies the shapes put requirements on."""
    _terms: dict[str, Term] = field(default_factory=dict, repr=False)

    def examples(self) -> list[str]:
        """The example instances' IRIs."""
        return sorted({t.example for t in (*self.classes, *self.constrained) if t.example})

    def term(self, iri: str) -> Term | None:
        """The documented term ``iri`` (None if the ontology does not define it)."""
        if not self._terms:
            self._terms.update((t.iri, t) for t in (*self.classes, *self.properties,
                                                    *self.individuals))
        return self._terms.get(iri)


def documentation(settings: Any) -> Documentation:
    """The served release's ontology documentation, made once a release."""
    key = (settings.digest, settings.iris.base)
    if key not in _MADE:
        _MADE.clear()  # one release is served at a time
        _MADE[key] = _make(settings)
    return _MADE[key]


_MADE: dict[tuple[str, str], Documentation] = {}
DOCUMENTED_FILES = ("ontology.ttl", "shapes.ttl")
"""The release files the documentation is read from, each the graph named by its IRI."""


def _graph(settings: Any, filename: str) -> Graph:
    graph = Graph()
    answer = settings.store.graph(str(settings.iris.dump(filename)), N_TRIPLES)
    if answer is not None:
        graph.parse(data=answer.body.decode("utf-8"), format="nt")
    return graph


def _make(settings: Any) -> Documentation:
    ontology, shapes = (_graph(settings, name) for name in DOCUMENTED_FILES)
    namespace = str(settings.iris.ontology)
    iri = URIRef(settings.iris.base + "ontology")
    terms = [_term(ontology, s, namespace) for s in sorted({s for s in ontology.subjects() if isinstance(s, URIRef)})
             if isinstance(s, URIRef) and str(s).startswith(namespace) and s != iri]
    documented = [t for t in terms if t is not None]
    required = _requirements(shapes)
    classes = [t for t in documented if t.kind == "class"]
    properties = [t for t in documented if t.kind in PROPERTY_TYPES.values()]
    by_iri = {t.iri: t for t in properties}
    for term in classes:
        term.required = required.pop(term.iri, [])
        term.related = [p.iri for p in properties if any(term.iri in d for d in p.domains)]
        for requirement in term.required:
            if requirement.path in by_iri and term.iri not in by_iri[requirement.path].related:
                by_iri[requirement.path].related.append(term.iri)
    constrained = [Term(iri=c, name=c, kind="class", required=r)
                   for c, r in sorted(required.items())]
    _examples(settings.store, [*classes, *constrained])
    return Documentation(
        iri=str(iri), title=_text(ontology, iri, DCTERMS.title) or "Ontology",
        description=_text(ontology, iri, DCTERMS.description),
        version=_text(ontology, iri, OWL.versionInfo), classes=classes,
        properties=properties,
        individuals=[t for t in documented if t.kind == "individual"],
        constrained=constrained)


def _term(graph: Graph, subject: URIRef, namespace: str) -> Term | None:
    types = set(graph.objects(subject, RDF.type))
    if types & set(CLASS_TYPES):
        kind, parents = "class", RDFS.subClassOf
    elif types & set(PROPERTY_TYPES):
        kind = next(PROPERTY_TYPES[t] for t in PROPERTY_TYPES if t in types)
        parents = RDFS.subPropertyOf
    elif types:
        kind, parents = "individual", RDFS.subClassOf
    else:
        return None
    return Term(
        iri=str(subject), name=str(subject)[len(namespace):], kind=kind,
        label=_text(graph, subject, RDFS.label), comment=_text(graph, subject, RDFS.comment),
        parents=sorted(str(p) for p in graph.objects(subject, parents) if isinstance(p, URIRef)),
        domains=[_members(graph, d) for d in graph.objects(subject, RDFS.domain)],
        ranges=[_members(graph, r) for r in graph.objects(subject, RDFS.range)],
        types=sorted(str(t) for t in types if t != OWL.NamedIndividual))


def _text(graph: Graph, subject: URIRef, predicate: URIRef) -> str:
    """The English (or untagged) value of ``predicate``, the first in order if several."""
    values = sorted(str(v) for v in graph.objects(subject, predicate)
                    if isinstance(v, Literal) and (v.language or "en") == "en")
    return values[0] if values else ""


def _members(graph: Graph, node: Any) -> list[str]:
    """A class expression as the classes it names: one, or a union's members."""
    if isinstance(node, BNode):
        union = graph.value(node, OWL.unionOf)
        if union is not None:
            return [str(m) for m in Collection(graph, union)]
        return []
    return [str(node)]


def _requirements(shapes: Graph) -> dict[str, list[Requirement]]:
    """Class IRI -> the properties its shapes give a ``sh:minCount`` of at least one: on a
    property shape targeting the class, or on a node shape's ``sh:property``."""
    found: dict[str, list[Requirement]] = {}
    for shape, count in shapes.subject_objects(SH.minCount):
        path = shapes.value(shape, SH.path)
        least = int(count.toPython()) if isinstance(count, Literal) else 0
        if not isinstance(path, URIRef) or least < 1:
            continue
        owners = [shape, *shapes.subjects(SH.property, shape)]
        severity = shapes.value(shape, SH.severity) or SH.Violation
        for owner in owners:
            for target in shapes.objects(owner, SH.targetClass):
                found.setdefault(str(target), []).append(Requirement(
                    path=str(path), min_count=least, shape=str(shape),
                    severity="required" if severity == SH.Violation else "recommended"))
    for requirements in found.values():
        requirements.sort(key=lambda r: (r.severity != "required", r.path, r.shape))
    return found


def _examples(store: Any, classes: list[Term]) -> None:
    """Give each class one instance from the data: the first IRI in order, so that the page
    names the same example whichever store answers (an unordered first row is the engine's
    choice, and differs between the on-disk store and an in-memory one)."""
    for term in classes:
        answer = store.query(f"SELECT ?x WHERE {{ ?x a <{term.iri}> FILTER(isIRI(?x)) }} "
                             "ORDER BY ?x LIMIT 1", media_types={"solutions": SPARQL_JSON})
        rows = json.loads(answer.body)["results"]["bindings"]
        term.example = rows[0]["x"]["value"] if rows else None
