"""The triples that describe a pledging actor: a State or a non-State actor as
:mod:`~pledge_graph.mapping.authorities` resolves it from a name."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from rdflib import Literal
from rdflib.term import Node

from pledge_graph.mapping.authorities import ACTOR_KINDS, Actor, resolve_actor, states
from pledge_graph.rdf.ntriples import Triple, nt_term
from pledge_graph.rdf.vocab import (
    FOAF,
    GEONAMES,
    ORG,
    OWL,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    UNBIS,
    WD,
    Iris,
)

__all__ = ["actor_terms", "actor_triples", "state_names_by_code", "state_terms"]


def actor_triples(actor: Actor, iris: Iris) -> Iterator[tuple[Node, Node, Node]]:
    """Yield the RDF that describes an actor: types, labels, codes and verified links."""
    pg = iris.ontology
    subject = actor.iri(iris)
    if actor.kind == "state":
        types = [pg.State, SCHEMA.Country, FOAF.Agent]
    else:
        types = [pg[ACTOR_KINDS[actor.kind]], pg.NonStateActor, FOAF.Agent, ORG.FormalOrganization]
    for rdf_type in types:
        yield subject, RDF.type, rdf_type
    label = Literal(actor.label, lang="en") if actor.matched else Literal(actor.label)
    yield subject, RDFS.label, label
    yield subject, SKOS.prefLabel, label
    for language, text in actor.labels:
        yield subject, RDFS.label, Literal(text, lang=language)
        yield subject, SKOS.prefLabel, Literal(text, lang=language)
    for variant in actor.variants:
        yield subject, SKOS.altLabel, Literal(variant, lang="en")
    codes = ((pg.isoAlpha2, actor.alpha2), (pg.isoAlpha3, actor.alpha3),
             (pg.m49Code, actor.numeric), (pg.m49Region, actor.m49_region),
             (pg.m49SubRegion, actor.m49_subregion))
    for prop, code in codes:
        if code:
            yield subject, prop, Literal(code)
    if actor.wikidata:
        yield subject, OWL.sameAs, WD[actor.wikidata]
    if actor.unbis:
        yield subject, SKOS.exactMatch, UNBIS[actor.unbis]
    if actor.geonames:
        yield subject, SKOS.exactMatch, GEONAMES[actor.geonames + "/"]


def actor_terms(actor: Actor, iris: Iris) -> list[Triple]:
    """The triples of :func:`actor_triples` as N-Triples terms, as the graph is mapped."""
    return [(nt_term(s), nt_term(p), nt_term(o)) for s, p, o in actor_triples(actor, iris)]


@lru_cache(maxsize=512)
def state_terms(alpha3: str, base: str, data_dir: Path | None) -> tuple[Triple, ...]:
    """The triples of the State of ``alpha3`` under ``base`` (computed once per State)."""
    actor = resolve_actor(state_names_by_code(data_dir)[alpha3], data_dir)
    return tuple(actor_terms(actor, Iris(base)))


@lru_cache(maxsize=8)
def state_names_by_code(data_dir: Path | None) -> dict[str, str]:
    """The UN name of every State, by alpha-3 code."""
    return {s.alpha3: s.name for s in states(data_dir)}
