"""The RDF of the resources a pledge's facts link to: organisations, treaties and national
programmes of the authority files (States are described by :mod:`~pledge_graph.mapping.actors`).

Each is described along with every fact that names it, so the graph holds every resource it
links to; a description is computed once per slug and base, and an organisation or treaty
brings the one it is part of or a protocol to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pledge_graph.extract.organisations import load_organisations
from pledge_graph.extract.programmes import load_programmes
from pledge_graph.extract.treaties import load_treaties
from pledge_graph.rdf import vocab
from pledge_graph.rdf.ntriples import Terms, Triple, iri, literal, typed
from pledge_graph.rdf.vocab import Iris, slugify

__all__ = ["authority_triples", "ontology", "organisation", "programme", "treaty"]

_RDF, _RDFS, _DCT, _FOAF, _ORG, _OWL, _SCHEMA, _SKOS, _WD = (
    Terms(ns) for ns in (vocab.RDF, vocab.RDFS, vocab.DCTERMS, vocab.FOAF, vocab.ORG, vocab.OWL,
                         vocab.SCHEMA, vocab.SKOS, vocab.WD))
_GYEAR = str(vocab.XSD.gYear)
_ORG_CLASS = {"intergovernmental": "IntergovernmentalOrganization"}
E = TypeVar("E")


@lru_cache(maxsize=8)
def ontology(base: str) -> Terms:
    """The N-Triples texts of the ontology's terms under ``base`` (``ontology(b).Pledge``)."""
    return Terms(Iris(base).ontology)


def _names(node: str, label: str, variants: Iterable[str], acronyms: Iterable[str], *,
           preferred: bool = True) -> list[Triple]:
    """A resource's English label (also its preferred label), variants and acronyms; a
    variant written in Cyrillic, Arabic or Chinese script is tagged Russian, Arabic or
    Chinese, the UN languages written in them."""
    out = [(node, _RDFS.label, literal(label, "en"))]
    if preferred:
        out.append((node, _SKOS.prefLabel, literal(label, "en")))
    out += [(node, _SKOS.altLabel, literal(variant, _language(variant))) for variant in variants]
    out += [(node, _SCHEMA.alternateName, literal(acronym)) for acronym in acronyms]
    return out


_SCRIPTS = re.compile(r"(?P<ru>[\u0400-\u04ff])|(?P<ar>[\u0600-\u06ff])|(?P<zh>[\u3400-\u9fff])")


def _language(name: str) -> str:
    """The language tag of a name: by its script for Russian, Arabic and Chinese, else "en".

    >>> _language("人权高专办"), _language("UN Human Rights")
    ('zh', 'en')
    """
    found = _SCRIPTS.search(name)
    return found.lastgroup or "en" if found else "en"


def _lineage(known: Mapping[str, E], slug: str, parent: Callable[[E], str | None]) -> Iterator[E]:
    """The entry of ``slug``, then the one it is part of (or a protocol to), and so on."""
    while slug:
        entry = known[slug]
        yield entry
        slug = parent(entry) or ""


def organisation(slug: str, iris: Iris, data_dir: Path | None) -> tuple[Triple, ...]:
    """An organisation of authorities/organisations.yaml, and those it is part of."""
    return _organisation(slug, iris.base, data_dir)


@lru_cache(maxsize=4096)
def _organisation(slug: str, base: str, data_dir: Path | None) -> tuple[Triple, ...]:
    known = load_organisations(data_dir).by_slug
    iris, pg = Iris(base), ontology(base)
    out: list[Triple] = []
    for o in _lineage(known, slug, lambda o: o.part_of):
        node = iri(iris.org(o.slug))
        out += [(node, _RDF.type, _ORG.FormalOrganization), (node, _RDF.type, _FOAF.Organization)]
        if o.type == "government":
            out.append((node, _RDF.type, _SCHEMA.GovernmentOrganization))
        elif o.type in _ORG_CLASS:
            out.append((node, _RDF.type, pg[_ORG_CLASS[o.type]]))
        out += _names(node, o.name, o.variants, o.acronyms)
        if o.wikidata:
            out.append((node, _OWL.sameAs, _WD[o.wikidata]))
        if o.homepage:
            out.append((node, _FOAF.homepage, iri(o.homepage)))
        if o.part_of:
            out.append((node, _ORG.subOrganizationOf, iri(iris.org(o.part_of))))
    return tuple(out)


def treaty(slug: str, iris: Iris, data_dir: Path | None) -> tuple[Triple, ...]:
    """A treaty of authorities/treaties.yaml, and the treaty it is a protocol to."""
    return _treaty(slug, iris.base, data_dir)


@lru_cache(maxsize=4096)
def _treaty(slug: str, base: str, data_dir: Path | None) -> tuple[Triple, ...]:
    iris, pg = Iris(base), ontology(base)
    out: list[Triple] = []
    for t in _lineage(load_treaties(data_dir).by_slug, slug, lambda t: t.protocol_to):
        node = iri(iris.treaty(t.slug))
        out += [(node, _RDF.type, pg.Treaty), (node, _DCT.title, literal(t.title, "en"))]
        out += _names(node, t.short, t.variants, t.acronyms)
        out += [(node, _SKOS.altLabel, literal(title, lang)) for lang, title in t.translations]
        if t.adopted:
            out.append((node, _DCT.date, typed(f"{t.adopted:04d}", _GYEAR)))
        if t.protocol_to:
            out.append((node, pg.protocolTo, iri(iris.treaty(t.protocol_to))))
    return tuple(out)


def programme(slug: str | None, name: str | None, acronym: str | None, iris: Iris,
              data_dir: Path | None) -> tuple[Triple, ...]:
    """A programme of authorities/programmes.yaml, or one a curator named (by ``name``)."""
    return _programme(slug, name, acronym, iris.base, data_dir)


@lru_cache(maxsize=4096)
def _programme(slug: str | None, name: str | None, acronym: str | None, base: str,
               data_dir: Path | None) -> tuple[Triple, ...]:
    iris, pg = Iris(base), ontology(base)
    known = load_programmes(data_dir).by_slug
    if slug:
        p = known[slug]
        name, acronyms, variants = p.name, p.acronyms, p.variants
    else:
        slug, acronyms, variants = slugify(str(name)), (acronym,) if acronym else (), ()
    node = iri(iris.programme(slug))
    out: list[Triple] = [(node, _RDF.type, pg.Programme),
                         (node, _RDF.type, _SCHEMA.GovernmentService),
                         *_names(node, str(name), variants, acronyms, preferred=False)]
    if slug in known:
        p = known[slug]
        if p.provider:
            out.append((node, _SCHEMA.provider, iri(iris.state(p.provider))))
        if p.note:
            out.append((node, _RDFS.comment, literal(p.note, "en")))
    return tuple(out)


def authority_triples(iris: Iris, data_dir: Path | None = None) -> Iterator[Triple]:
    """Yield the descriptions of every organisation, treaty and programme of the authority
    files, for a release that publishes the gazetteers whole."""
    for slug in load_organisations(data_dir).by_slug:
        yield from organisation(slug, iris, data_dir)
    for slug in load_treaties(data_dir).by_slug:
        yield from treaty(slug, iris, data_dir)
    for slug in load_programmes(data_dir).by_slug:
        yield from programme(slug, None, None, iris, data_dir)
