"""The RDF of facts and the shapes that check it: a sentence with every kind of fact mapped by
``fact_triples`` conforms to shapes/commitments.ttl, and breaking each constraint in turn makes
exactly that shape report it (pyshacl)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pyoxigraph
import pytest
from pyshacl import validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from pledge_graph.errors import RecordError
from pledge_graph.extract import extract_facts
from pledge_graph.mapping.commitments import fact_triples
from pledge_graph.mapping.resources import authority_triples
from pledge_graph.paths import ONTOLOGY_DIR, SHAPES_DIR
from pledge_graph.rdf.ntriples import nt_term, rdflib_graph, rdflib_term
from pledge_graph.rdf.vocab import DCTERMS, OA, ORG, RDF, RDFS, SCHEMA, SH, XSD, Iris

IRIS = Iris()
PG = IRIS.ontology
SLUG, NUMBER = "synthetic-2023", 1
PLEDGE = IRIS.pledge(SLUG, NUMBER)
CHILE = IRIS.state("chl")
TEXT = ("Chile will ratify the OPCAT and decided to give USD 1 million to OHCHR from its "
        "regular budget for work in Peru through its National Legal Aid Programme (NLAP), "
        "with the Ministry of Justice.")
SHAPES = Graph().parse(SHAPES_DIR / "commitments.ttl")


def fact_iri(fact_id: str) -> URIRef:
    return IRIS.fact(SLUG, NUMBER, fact_id)


FUNDING = fact_iri("funding-usd-1000000")
TREATY = fact_iri("treaty-ratify-opcat")
ORG_KNOWN = fact_iri("org-ohchr")
ORG_UNKNOWN = fact_iri("org-ministry-of-justice")
COUNTRY = fact_iri("country-per")
PROGRAMME = fact_iri("programme-national-legal-aid-programme")
AMOUNT = URIRef(f"{FUNDING}#amount")
TARGET, QUOTE, POSITION = (URIRef(f"{FUNDING}#{p}") for p in ("target", "quote", "position"))


def facts(fact: dict) -> list[tuple[Node, Node, Node]]:
    """The fact's triples (N-Triples texts from the mapping) as rdflib terms."""
    texts = fact_triples(fact, nt_term(PLEDGE), SLUG, NUMBER, TEXT, "en", IRIS, [nt_term(CHILE)])
    return [(rdflib_term(s), rdflib_term(p), rdflib_term(o)) for s, p, o in texts]


def graph_of(found: list[dict]) -> Graph:
    graph = Graph()
    graph.add((PLEDGE, RDF.type, PG.Pledge))
    graph.add((PLEDGE, PG.pledgeText, Literal(TEXT, lang="en")))
    for fact in found:
        for triple in facts(fact):
            graph.add(triple)
    return graph


def base_graph() -> Graph:
    return graph_of(extract_facts(TEXT, pledgers=["Chile"]))


def results(graph: Graph) -> set[tuple[str, str]]:
    """Return (shape or constraint name, severity) of every validation result."""
    _, report, _ = validate(graph, shacl_graph=SHAPES, advanced=True)
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[1]
        for prop in (SH.sourceShape, SH.sourceConstraint):
            source = report.value(result, prop)
            if isinstance(source, URIRef):
                found.add((source.rsplit("/", 1)[1], severity))
    return found


def test_every_kind_of_fact_is_extracted_from_the_sentence() -> None:
    kinds = sorted(f["id"] for f in extract_facts(TEXT, pledgers=["Chile"]))
    assert kinds == ["country-per", "funding-usd-1000000", "org-ministry-of-justice",
                     "org-ohchr", "programme-national-legal-aid-programme",
                     "treaty-ratify-opcat"]


def test_facts_conform_with_only_the_unconfirmed_funding_reported() -> None:
    assert results(base_graph()) == {("FundingCommitment-unconfirmed", "Info")}


def test_confirmed_funding_is_not_reported() -> None:
    facts = extract_facts(TEXT, pledgers=["Chile"])
    for fact in facts:
        fact["status"] = "confirmed"
    assert results(graph_of(facts)) == set()


def test_no_blank_nodes_and_selectors_have_their_iris() -> None:
    graph = base_graph()
    assert not any(isinstance(term, BNode) for triple in graph for term in triple)
    assert (FUNDING, PG.evidence, TARGET) in graph
    assert {o for o in graph.objects(TARGET, OA.hasSelector)} == {QUOTE, POSITION}


def test_selector_offsets_and_context() -> None:
    graph = base_graph()
    start = graph.value(POSITION, OA.start).toPython()
    end = graph.value(POSITION, OA.end).toPython()
    assert TEXT[start:end] == str(graph.value(QUOTE, OA.exact)) == "USD 1 million"
    assert TEXT[:start].endswith(str(graph.value(QUOTE, OA.prefix)))
    assert TEXT[end:].startswith(str(graph.value(QUOTE, OA.suffix)))


def test_rejected_fact_gives_no_triples() -> None:
    [fact] = [f for f in extract_facts(TEXT) if f["id"] == "org-ohchr"]
    fact["status"] = "rejected"
    assert list(facts(fact)) == []


def test_pledging_state_named_as_country_gives_no_triples() -> None:
    [fact] = [f for f in extract_facts(TEXT) if f["id"] == "country-chl"]
    assert list(facts(fact)) == []


def test_pledge_links_to_what_it_names() -> None:
    graph = base_graph()
    assert set(graph.objects(PLEDGE, SCHEMA.mentions)) == {
        IRIS.org("ohchr"), IRIS.treaty("opcat"),
        IRIS.programme("national-legal-aid-programme")}
    assert set(graph.objects(PLEDGE, DCTERMS.spatial)) == {IRIS.state("per")}


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "pledge"}, "unknown fact kind 'pledge'"),
    ({"amount": "a lot"}, "bad amount 'a lot'"),
    ({"currency": "dollars"}, "bad currency 'dollars'"),
    ({"recipient": "nowhere"}, "unknown organisation 'nowhere'"),
    ({"fiscal_year": "FY23"}, "bad fiscal_year 'FY23'"),
    ({"start": None, "end": None, "exact": "USD 9 million"}, "are not in the pledge text"),
    ({"id": "Funding USD"}, "bad fact id"),
])
def test_malformed_fact_is_a_record_error_naming_record_and_fact(change: dict,
                                                                  message: str) -> None:
    [fact] = [f for f in extract_facts(TEXT) if f["kind"] == "funding"]
    fact.update(change)
    with pytest.raises(RecordError) as raised:
        list(facts(fact))
    assert message in str(raised.value)
    assert f"records/{SLUG}.yaml" in str(raised.value)


# ---------------------------------------------------------------------------
# One broken constraint per shape
# ---------------------------------------------------------------------------

Change = Callable[[Graph], None]


def drop(s: URIRef, p: URIRef) -> Change:
    return lambda g: g.remove((s, p, None))


def put(s: URIRef, p: URIRef, o: object) -> Change:
    def change(g: Graph) -> None:
        g.remove((s, p, None))
        g.add((s, p, o))  # type: ignore[arg-type]
    return change


def add(s: URIRef, p: URIRef, o: object) -> Change:
    return lambda g: g.add((s, p, o))  # type: ignore[arg-type]


def untype(s_of: Callable[[Graph], URIRef], cls: URIRef) -> Change:
    return lambda g: g.remove((s_of(g), RDF.type, cls))


def treaty_of(g: Graph) -> URIRef:
    return g.value(TREATY, PG.treaty)


def referent(fact: URIRef) -> Callable[[Graph], URIRef]:
    return lambda g: g.value(fact, PG.refersTo)


NOWHERE = URIRef("https://example.org/not-described")
TOTAL = URIRef(f"{FUNDING}/total")


def past(then: Change) -> Change:
    """The funding fact made a past contribution (as the mapping makes one), then ``then``."""
    def change(g: Graph) -> None:
        g.remove((FUNDING, RDF.type, PG.FundingCommitment))
        g.remove((FUNDING, PG.commitmentKind, None))
        g.add((FUNDING, RDF.type, PG.PastContribution))
        then(g)
    return change

BROKEN: list[tuple[str, Change, str]] = [
    ("Fact-statedIn", drop(FUNDING, PG.statedIn), "Violation"),
    ("Fact-statedIn-class", put(TREATY, PG.statedIn, NOWHERE), "Violation"),
    ("Fact-curationStatus", drop(ORG_KNOWN, PG.curationStatus), "Violation"),
    ("Fact-curationStatus-in", put(COUNTRY, PG.curationStatus, PG.Rejected), "Violation"),
    ("Fact-evidence", drop(PROGRAMME, PG.evidence), "Violation"),
    ("Fact-evidence-class", lambda g: g.remove((TARGET, RDF.type, OA.SpecificResource)),
     "Violation"),
    ("Fact-label", drop(ORG_UNKNOWN, RDFS.label), "Violation"),
    ("Evidence-source", drop(TARGET, OA.hasSource), "Violation"),
    ("Evidence-source-class", put(TARGET, OA.hasSource, NOWHERE), "Violation"),
    ("Evidence-quote", lambda g: g.remove((TARGET, OA.hasSelector, QUOTE)), "Violation"),
    ("Evidence-position", lambda g: g.remove((TARGET, OA.hasSelector, POSITION)), "Violation"),
    ("TextQuoteSelector-exact", drop(QUOTE, OA.exact), "Violation"),
    ("TextQuoteSelector-exact-datatype", put(QUOTE, OA.exact, Literal("USD 1 million", lang="en")),
     "Violation"),
    ("TextQuoteSelector-prefix", add(QUOTE, OA.prefix, Literal("another")), "Violation"),
    ("TextQuoteSelector-suffix", add(QUOTE, OA.suffix, Literal("another")), "Violation"),
    ("TextPositionSelector-start", drop(POSITION, OA.start), "Violation"),
    ("TextPositionSelector-end", put(POSITION, OA.end, Literal("60")), "Violation"),
    ("TextPositionSelector-order",
     put(POSITION, OA.start, Literal(500, datatype=XSD.nonNegativeInteger)), "Violation"),
    ("FundingCommitment-funder", drop(FUNDING, SCHEMA.funder), "Violation"),
    ("FundingCommitment-amount", drop(FUNDING, SCHEMA.amount), "Violation"),
    ("FundingCommitment-amount-class", lambda g: g.remove((AMOUNT, RDF.type, None)), "Violation"),
    ("FundingCommitment-approximate", drop(FUNDING, PG.approximate), "Violation"),
    ("FundingCommitment-commitmentKind", drop(FUNDING, PG.commitmentKind), "Violation"),
    ("FundingCommitment-commitmentKind-in", put(FUNDING, PG.commitmentKind, PG.Extracted),
     "Violation"),
    ("FundingCommitment-recipient", put(FUNDING, PG.recipient, PLEDGE), "Violation"),
    ("FundingCommitment-fiscalYear", add(FUNDING, PG.fiscalYear, Literal(2023)), "Violation"),
    ("FundingCommitment-periodStart", add(FUNDING, PG.periodStart, Literal("2024")), "Violation"),
    ("FundingCommitment-periodEnd", add(FUNDING, PG.periodEnd, Literal("2024")), "Violation"),
    ("FundingCommitment-budgetSource", put(FUNDING, PG.budgetSource, Literal(5)), "Violation"),
    ("FundingCommitment-purpose", add(FUNDING, PG.purpose, Literal("training", lang="en")),
     "Violation"),
    ("MonetaryAmount-currency", put(AMOUNT, SCHEMA.currency, Literal("usd")), "Violation"),
    ("MonetaryAmount-value", put(AMOUNT, SCHEMA.value, Literal("1000000")), "Violation"),
    ("MonetaryAmount-minValue", add(AMOUNT, SCHEMA.minValue, Literal("many")), "Violation"),
    ("MonetaryAmount-maxValue", add(AMOUNT, SCHEMA.maxValue, Literal("many")), "Violation"),
    ("MonetaryAmount-possibleValue", add(AMOUNT, PG.possibleValue, Literal("many")),
     "Violation"),
    ("MonetaryAmountShape", drop(AMOUNT, SCHEMA.value), "Violation"),
    ("FundingCommitment-recurrence", lambda g: [g.add((FUNDING, PG.recurrence, f))
                                                for f in (PG.Yearly, PG.Monthly)], "Violation"),
    ("FundingCommitment-recurrence-in", add(FUNDING, PG.recurrence, PG.Extracted), "Violation"),
    ("FundingCommitment-periodCount", add(FUNDING, PG.periodCount, Literal(3)), "Violation"),
    ("FundingCommitment-total", lambda g: [g.add((FUNDING, PG.total, AMOUNT)),
                                           g.add((FUNDING, PG.total, TOTAL)),
                                           g.add((TOTAL, RDF.type, SCHEMA.MonetaryAmount)),
                                           g.add((TOTAL, SCHEMA.value, Literal(
                                               "3", datatype=XSD.decimal)))], "Violation"),
    ("FundingCommitment-total-class", add(FUNDING, PG.total, NOWHERE), "Violation"),
    ("FundingCommitment-previousAmount", lambda g: [
        g.add((FUNDING, PG.previousAmount, AMOUNT)), g.add((FUNDING, PG.previousAmount, TOTAL)),
        g.add((TOTAL, RDF.type, SCHEMA.MonetaryAmount)),
        g.add((TOTAL, SCHEMA.value, Literal("3", datatype=XSD.decimal)))], "Violation"),
    ("FundingCommitment-previousAmount-class", add(FUNDING, PG.previousAmount, NOWHERE),
     "Violation"),
    ("FundingCommitment-doubt-in", add(FUNDING, PG.doubt, PG.Extracted), "Violation"),
    ("FundingCommitment-doubted", add(FUNDING, PG.doubt, PG.RecipientNotNamed), "Warning"),
    ("MonetaryAmount-currency-missing", drop(AMOUNT, SCHEMA.currency), "Warning"),
    ("TreatyAction-actor", drop(TREATY, PG.actor), "Violation"),
    ("TreatyAction-actionType", drop(TREATY, PG.actionType), "Violation"),
    ("TreatyAction-actionType-in", put(TREATY, PG.actionType, PG.Confirmed), "Violation"),
    ("TreatyAction-treaty", drop(TREATY, PG.treaty), "Violation"),
    ("TreatyAction-treaty-class", put(TREATY, PG.treaty, NOWHERE), "Violation"),
    ("TreatyAction-consider", drop(TREATY, PG.consider), "Violation"),
    ("Treaty-title", lambda g: g.remove((treaty_of(g), DCTERMS.title, None)), "Violation"),
    ("Treaty-label", lambda g: g.remove((treaty_of(g), RDFS.label, None)), "Violation"),
    ("Treaty-protocolTo", lambda g: g.set((treaty_of(g), PG.protocolTo, NOWHERE)), "Violation"),
    ("OrganisationMention-refersTo", put(ORG_KNOWN, PG.refersTo, PLEDGE), "Violation"),
    ("OrganisationMentionShape", drop(ORG_UNKNOWN, PG.mentionedName), "Violation"),
    ("CountryMention-refersTo", drop(COUNTRY, PG.refersTo), "Violation"),
    ("CountryMention-refersTo-class", untype(referent(COUNTRY), PG.State), "Violation"),
    ("ProgrammeMention-refersTo", drop(PROGRAMME, PG.refersTo), "Violation"),
    ("ProgrammeMention-refersTo-class", untype(referent(PROGRAMME), PG.Programme), "Violation"),
    ("Programme-label", lambda g: g.remove((referent(PROGRAMME)(g), RDFS.label, None)),
     "Violation"),
    ("Programme-provider", lambda g: g.add((referent(PROGRAMME)(g), SCHEMA.provider,
                                            Literal("Chile"))), "Violation"),
    ("Recipient-label", lambda g: g.remove((IRIS.org("ohchr"), RDFS.label, None)), "Violation"),
    ("PastContribution-funder", past(drop(FUNDING, SCHEMA.funder)), "Violation"),
    ("PastContribution-amount", past(drop(FUNDING, SCHEMA.amount)), "Violation"),
    ("PastContribution-amount-class", past(lambda g: g.remove((AMOUNT, RDF.type, None))),
     "Violation"),
    ("PastContribution-commitmentKind",
     past(add(FUNDING, PG.commitmentKind, PG.IndicativePledge)), "Violation"),
    ("PastContribution-notPledged", past(add(FUNDING, RDF.type, PG.FundingCommitment)),
     "Violation"),
]


@pytest.mark.parametrize(("shape", "change", "severity"), BROKEN, ids=[b[0] for b in BROKEN])
def test_shape_reports_its_broken_constraint(shape: str, change: Change, severity: str) -> None:
    graph = base_graph()
    change(graph)
    assert (shape, severity) in results(graph)


def test_every_shape_of_the_file_has_a_broken_fixture() -> None:
    targeted = {s for p in (SH.targetClass, SH.targetObjectsOf) for s in SHAPES.subjects(p, None)}
    declared = {str(p).rsplit("/", 1)[1] for s in targeted for p in SHAPES.objects(s, SH.property)}
    declared |= {str(s).rsplit("/", 1)[1] for s in targeted if (s, SH["or"], None) in SHAPES}
    tested = {shape for shape, _, _ in BROKEN} | {"FundingCommitment-unconfirmed"}
    assert declared == tested


def test_a_past_contribution_as_mapped_conforms() -> None:
    graph = base_graph()
    past(lambda g: None)(graph)
    assert results(graph) == set()


def test_amount_with_only_a_bound_and_unknown_body_with_only_a_name_conform() -> None:
    graph = base_graph()
    value = graph.value(AMOUNT, SCHEMA.value)
    graph.remove((AMOUNT, SCHEMA.value, None))
    graph.add((AMOUNT, SCHEMA.maxValue, value))
    assert results(graph) == {("FundingCommitment-unconfirmed", "Info")}


def test_ontology_declares_every_term_the_facts_use() -> None:
    ontology = Graph().parse(ONTOLOGY_DIR / "commitments.ttl")
    ontology += Graph().parse(ONTOLOGY_DIR / "pledge-graph.ttl")
    used = {term for triple in base_graph() for term in triple
            if isinstance(term, URIRef) and str(term).startswith(str(PG))}
    for term in used:
        assert (term, RDFS.label, None) in ontology, term
        assert (term, RDFS.comment, None) in ontology, term
        assert (term, RDFS.isDefinedBy, URIRef("https://w3id.org/pledge-graph/ontology")) in \
            ontology, term


def test_recipient_is_an_organisation_of_the_graph() -> None:
    graph = base_graph()
    assert (IRIS.org("ohchr"), RDF.type, ORG.FormalOrganization) in graph


def test_json_ld_with_the_context_uses_short_terms_and_reads_back_the_same() -> None:
    context = json.loads((ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    graph = base_graph()
    document = json.loads(graph.serialize(format="json-ld", context=context))
    nodes = document.get("@graph", [document])
    funding = next(n for n in nodes if n["@id"].endswith("/funding-usd-1000000"))
    assert funding["curationStatus"] == "Extracted"
    assert funding["commitmentKind"] == "FirmCommitment"
    assert funding["recipient"].endswith("/org/ohchr")
    body = json.dumps({"@context": context, "@graph": nodes}).encode()
    triples = pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.JSON_LD)
    ntriples = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert isomorphic(graph, Graph().parse(data=ntriples.decode(), format="nt"))


def test_authorities_published_whole_conform_and_link_protocols_to_treaties() -> None:
    graph = rdflib_graph(authority_triples(IRIS))
    treaties = set(graph.subjects(RDF.type, PG.Treaty))
    assert len(treaties) == 18
    assert (IRIS.treaty("opcat"), PG.protocolTo, IRIS.treaty("cat")) in graph
    assert (IRIS.org("ohchr"), ORG.subOrganizationOf, IRIS.org("un-secretariat")) in graph
    assert (IRIS.programme("titp"), SCHEMA.provider, IRIS.state("jpn")) in graph
    assert results(graph) == set()

