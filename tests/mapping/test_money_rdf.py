"""The RDF of money as pledges write it: ranges as bounds, recurrence with the number of
periods and the total, an ambiguous grouping published as two possible values with its doubt
and no value, and doubts that a curator's decision settles. Each graph is checked against
shapes/commitments.ttl with pyshacl."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from pledge_graph.errors import RecordError
from pledge_graph.extract import extract_facts
from pledge_graph.mapping.commitments import fact_triples
from pledge_graph.paths import ONTOLOGY_DIR, SHAPES_DIR
from pledge_graph.rdf.ntriples import nt_term, rdflib_term
from pledge_graph.rdf.vocab import RDF, SCHEMA, SH, XSD, Iris

IRIS = Iris()
PG = IRIS.ontology
SLUG, NUMBER = "synthetic-2024", 1
PLEDGE = IRIS.pledge(SLUG, NUMBER)
SWITZERLAND = IRIS.state("che")
SHAPES = Graph().parse(SHAPES_DIR / "commitments.ttl")


def funding(text: str, status: str = "extracted") -> tuple[Graph, URIRef, dict[str, Any]]:
    """The graph of the one funding fact of ``text``, its IRI and the fact."""
    [fact] = [f for f in extract_facts(text) if f["kind"] == "funding"]
    fact["status"] = status
    graph = Graph()
    graph.add((PLEDGE, RDF.type, PG.Pledge))
    for s, p, o in fact_triples(fact, nt_term(PLEDGE), SLUG, NUMBER, text, "en", IRIS,
                                [nt_term(SWITZERLAND)]):
        graph.add((rdflib_term(s), rdflib_term(p), rdflib_term(o)))  # type: ignore[arg-type]
    return graph, IRIS.fact(SLUG, NUMBER, fact["id"]), fact


def reported(graph: Graph) -> set[tuple[str, str]]:
    _, report, _ = validate(graph, shacl_graph=SHAPES, advanced=True)
    return {(str(report.value(r, SH.sourceShape)).rsplit("/", 1)[1],
             str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[1])
            for r in report.subjects(RDF.type, SH.ValidationResult)}


def values(graph: Graph, node: URIRef, prop: URIRef) -> set[str]:
    return {str(o) for o in graph.objects(node, prop)}


def test_range_is_a_lower_and_an_upper_bound_and_no_value() -> None:
    graph, fact, _ = funding("We will give between 1 and 2 million US dollars to the Voluntary "
                             "Fund for Victims of Torture.")
    amount = graph.value(fact, SCHEMA.amount)
    assert values(graph, amount, SCHEMA.minValue) == {"1000000"}
    assert values(graph, amount, SCHEMA.maxValue) == {"2000000"}
    assert values(graph, amount, SCHEMA.value) == set()
    assert reported(graph) == {("FundingCommitment-unconfirmed", "Info")}


def test_yearly_sum_with_its_number_of_periods_and_total() -> None:
    graph, fact, _ = funding("Switzerland will give CHF 500'000 each year for three years to "
                             "the OHCHR.")
    assert graph.value(fact, PG.recurrence) == PG.Yearly
    assert graph.value(fact, PG.periodCount) == Literal(3, datatype=XSD.positiveInteger)
    total = graph.value(fact, PG.total)
    assert total == URIRef(f"{fact}/total")
    assert values(graph, total, SCHEMA.value) == {"1500000"}
    assert values(graph, total, SCHEMA.currency) == {"CHF"}
    assert values(graph, graph.value(fact, SCHEMA.amount), SCHEMA.value) == {"500000"}
    assert reported(graph) == {("FundingCommitment-unconfirmed", "Info")}


def test_yearly_sum_over_a_span_of_years_has_no_total() -> None:
    graph, fact, _ = funding("CHF 500'000 per year to the OHCHR from 2024 to 2027.")
    assert graph.value(fact, PG.recurrence) == PG.Yearly
    assert graph.value(fact, PG.total) is None
    assert graph.value(fact, PG.periodCount) is None
    assert {str(graph.value(fact, p)) for p in (PG.periodStart, PG.periodEnd)} == {
        "2024", "2027"}


def test_a_change_is_one_commitment_of_the_new_level_with_the_old_one_as_context() -> None:
    graph, fact, record = funding("Switzerland will raise its contribution to OHCHR from CHF 1 "
                                  "million to CHF 1.5 million.")
    assert record["id"] == "funding-chf-1500000"
    assert values(graph, graph.value(fact, SCHEMA.amount), SCHEMA.value) == {"1500000"}
    previous = graph.value(fact, PG.previousAmount)
    assert previous == URIRef(f"{fact}/previous")
    assert values(graph, previous, SCHEMA.value) == {"1000000"}
    assert values(graph, previous, SCHEMA.currency) == {"CHF"}
    assert reported(graph) == {("FundingCommitment-unconfirmed", "Info")}


def test_ambiguous_grouping_publishes_both_readings_and_the_doubt_and_no_value() -> None:
    graph, fact, _ = funding("We will contribute 500.000 to UNICEF.")
    amount = graph.value(fact, SCHEMA.amount)
    assert values(graph, amount, SCHEMA.value) == set()
    assert values(graph, amount, PG.possibleValue) == {"500000", "500"}
    assert set(graph.objects(fact, PG.doubt)) == {PG.AmbiguousGrouping, PG.CurrencyNotStated}
    assert reported(graph) == {("FundingCommitment-doubted", "Warning"),
                               ("MonetaryAmount-currency-missing", "Warning"),
                               ("FundingCommitment-unconfirmed", "Info")}


def test_sum_of_values_leaves_out_the_ambiguous_amount() -> None:
    store = pyoxigraph.Store()
    for text in ("We will contribute 500.000 to UNICEF.", "We will give USD 2 million to OHCHR."):
        graph, _, _ = funding(text)
        store.load(graph.serialize(format="nt").encode(), pyoxigraph.RdfFormat.N_TRIPLES)
    [row] = store.query("SELECT (SUM(?v) AS ?total) WHERE { ?f <http://schema.org/amount> ?a . "
                        "?a <http://schema.org/value> ?v }")
    assert row["total"].value == "2000000"


def test_money_already_given_is_a_past_contribution_and_no_commitment() -> None:
    graph, fact, record = funding("Switzerland has contributed CHF 15 million to OHCHR since "
                                  "2015.")
    assert record["commitment"] == "past"
    assert set(graph.objects(fact, RDF.type)) == {PG.PastContribution, PG.Fact,
                                                  SCHEMA.MonetaryGrant}
    assert graph.value(fact, PG.commitmentKind) is None
    assert values(graph, graph.value(fact, SCHEMA.amount), SCHEMA.value) == {"15000000"}
    assert graph.value(fact, PG.recipient) == IRIS.org("ohchr")
    assert reported(graph) == set()


def test_sum_of_commitments_leaves_out_past_contributions() -> None:
    store = pyoxigraph.Store()
    for text in ("Switzerland contributed CHF 15 million to OHCHR in 2023.",
                 "Switzerland will give CHF 2 million to OHCHR in 2024."):
        graph, _, _ = funding(text)
        store.load(graph.serialize(format="nt").encode(), pyoxigraph.RdfFormat.N_TRIPLES)
    [row] = store.query(f"SELECT (SUM(?v) AS ?total) WHERE {{ ?f a <{PG.FundingCommitment}> ; "
                        "<http://schema.org/amount> ?a . ?a <http://schema.org/value> ?v }")
    assert row["total"].value == "2000000"


def test_confirmed_fact_carries_no_doubt_and_its_value() -> None:
    graph, fact, _ = funding("We will contribute 500.000 to UNICEF.", status="confirmed")
    assert graph.value(fact, PG.doubt) is None
    assert values(graph, graph.value(fact, SCHEMA.amount), SCHEMA.value) == {"500000"}


def test_sum_without_recipient_is_doubted_and_reported_as_a_warning() -> None:
    graph, fact, _ = funding("We will give USD 1 million for training.")
    assert set(graph.objects(fact, PG.doubt)) == {PG.RecipientNotNamed}
    assert ("FundingCommitment-doubted", "Warning") in reported(graph)


@pytest.mark.parametrize(("change", "message"), [
    ({"recurrence": "weekly"}, "bad recurrence 'weekly'"),
    ({"periods": 0}, "bad periods 0"),
    ({"periods": "three"}, "bad periods 'three'"),
    ({"doubts": ["perhaps"]}, "bad doubts ['perhaps']"),
    ({"doubts": "ambiguous-grouping"}, "bad doubts 'ambiguous-grouping'"),
    ({"total": "lots", "doubts": []}, "bad total 'lots'"),
    ({"amount_other": "-5"}, "bad amount_other '-5'"),
    ({"commitment": "promised"}, "bad commitment 'promised'"),
    ({"previous_amount": "lots"}, "bad previous_amount 'lots'"),
])
def test_malformed_money_field_is_a_record_error(change: dict[str, Any], message: str) -> None:
    text = "We will contribute 500.000 each year for three years to UNICEF."
    _, _, fact = funding(text)
    fact.update(change)
    with pytest.raises(RecordError) as raised:
        list(fact_triples(fact, nt_term(PLEDGE), SLUG, NUMBER, text, "en", IRIS,
                          [nt_term(SWITZERLAND)]))
    assert message in str(raised.value)


def test_json_ld_with_the_context_uses_short_terms_for_money_and_reads_back_the_same() -> None:
    context = json.loads((ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    graph = funding("We will contribute 500.000 each year for three years to UNICEF.")[0]
    graph += funding("We will give USD 1 million a year for 3 years to OHCHR.")[0]
    document = json.loads(graph.serialize(format="json-ld", context=context))
    nodes = {node["@id"]: node for node in document["@graph"]}
    doubted = next(n for i, n in nodes.items() if i.endswith("/funding-500000"))
    assert doubted["recurrence"] == "Yearly"
    assert sorted(doubted["doubt"]) == ["AmbiguousGrouping", "CurrencyNotStated"]
    recurring = next(n for i, n in nodes.items() if i.endswith("/funding-usd-1000000"))
    assert recurring["periodCount"] == "3" and recurring["total"].endswith("/total")
    body = json.dumps({"@context": context, "@graph": list(nodes.values())}).encode()
    triples = pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.JSON_LD)
    ntriples = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert isomorphic(graph, Graph().parse(data=ntriples.decode(), format="nt"))
