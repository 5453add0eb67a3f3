"""The rights-holder concept scheme and the label matching the importer and mapping rely on."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from pipeline_data import HR75_LABELS
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from pledge_graph.paths import DATA_DIR, DEFAULT_BASE
from pledge_graph.rdf import concepts
from pledge_graph.rdf.vocab import Iris

SCHEME = URIRef(DEFAULT_BASE + "id/rights-holders")
CONCEPTS = DEFAULT_BASE + "id/rights-holders/"
UNBIS = "http://metadata.un.org/thesaurus/"

# The UHRI "Affected persons" list (2017 copy), verbatim, in order.
UHRI_LABELS = [
    "Children", "Children in street situations", "Disappeared persons", "Educational staff",
    "General", "Girls", "Human rights defenders", "Indigenous peoples",
    "Internally displaced persons", "Judges, lawyers and prosecutors",
    "Law enforcement / police officials",
    "Lesbian, gay, bisexual and transgender and intersex persons", "Media", "Medical staff",
    "Mercenaries", "Migrants", "Military staff",
    "Minorities / racial, ethnic, linguistic, religious or descent-based groups",
    "Non-citizens", "Older persons", "Persons affected by armed conflict",
    "Persons deprived of their liberty", "Persons living in poverty",
    "Persons living in rural areas", "Persons living with HIV/AIDS",
    "Persons with disabilities", "Prison officials", "Private security", "Public officials",
    "Refugees & asylum seekers", "Rural women", "Social workers", "Stateless persons",
    "Vulnerable persons/groups", "Women", "Youth",
]

# UNBIS Thesaurus ids checked against the thesaurus (reference/vocabularies.md, "verified").
VERIFIED_UNBIS = {
    "1003478", "1003654", "1005207", "1004435", "1004110", "1004108", "1005418", "1000434",
    "1001706", "1002976", "1001012", "1003645", "1004963", "1006926", "1007029", "1002684",
    "1000952", "1004831", "1000115", "1005851", "1003106", "1004179", "1006005", "1002975",
    "1003351",
}
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch,
            SKOS.relatedMatch)


@pytest.fixture(scope="module")
def scheme() -> Graph:
    return concepts.scheme_graph()


def concept_named(graph: Graph, label: str) -> URIRef:
    found = list(graph.subjects(SKOS.prefLabel, Literal(label, lang="en")))
    assert len(found) == 1, f"{label!r} is the prefLabel of {found}"
    return URIRef(found[0])


def all_concepts(graph: Graph) -> list[URIRef]:
    return sorted(URIRef(c) for c in graph.subjects(RDF.type, SKOS.Concept))


# --- the scheme's content -------------------------------------------------------------------

def test_hr75_and_uhri_labels_are_preferred_labels_verbatim(scheme: Graph) -> None:
    for label in HR75_LABELS + UHRI_LABELS:
        concept_named(scheme, label)


def test_a_label_in_both_lists_is_one_concept_in_both_collections(scheme: Graph) -> None:
    shared = set(HR75_LABELS) & set(UHRI_LABELS)
    assert len(shared) == 7
    assert len(all_concepts(scheme)) == len(set(HR75_LABELS) | set(UHRI_LABELS))
    hr75 = set(scheme.objects(URIRef(CONCEPTS + "hr75-labels"), SKOS.member))
    uhri = set(scheme.objects(URIRef(CONCEPTS + "uhri-affected-persons"), SKOS.member))
    assert hr75 == {concept_named(scheme, label) for label in HR75_LABELS}
    assert uhri == {concept_named(scheme, label) for label in UHRI_LABELS}
    assert hr75 & uhri == {concept_named(scheme, label) for label in shared}


def test_notations_are_stable_codes_in_source_order(scheme: Graph) -> None:
    for prefix, labels in (("HR75", HR75_LABELS), ("UHRI", UHRI_LABELS)):
        for number, label in enumerate(labels, 1):
            notations = {str(n) for n in scheme.objects(concept_named(scheme, label),
                                                        SKOS.notation)}
            assert f"{prefix}-{number:02d}" in notations, label


def test_every_concept_is_complete_and_in_the_scheme(scheme: Graph) -> None:
    notations: Counter[str] = Counter()
    for concept in all_concepts(scheme):
        assert str(concept).startswith(CONCEPTS)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", str(concept)[len(CONCEPTS):])
        labels = list(scheme.objects(concept, SKOS.prefLabel))
        assert [label.language for label in labels] == ["en"], concept
        assert list(scheme.objects(concept, SKOS.scopeNote)), concept
        assert list(scheme.objects(concept, SKOS.inScheme)) == [SCHEME], concept
        own = [str(n) for n in scheme.objects(concept, SKOS.notation)]
        assert own, concept
        notations.update(own)
    assert [n for n, count in notations.items() if count > 1] == []


def test_top_concepts_are_exactly_those_without_a_broader_concept(scheme: Graph) -> None:
    tops = set(scheme.objects(SCHEME, SKOS.hasTopConcept))
    assert tops == set(scheme.subjects(SKOS.topConceptOf, SCHEME))
    for concept in all_concepts(scheme):
        has_broader = any(True for _ in scheme.objects(concept, SKOS.broader))
        assert (concept in tops) != has_broader, concept


def test_hierarchy_is_symmetric_and_inside_the_scheme(scheme: Graph) -> None:
    inside = set(all_concepts(scheme))
    for narrow, broad in scheme.subject_objects(SKOS.broader):
        assert {narrow, broad} <= inside
        assert (broad, SKOS.narrower, narrow) in scheme
    for broad, narrow in scheme.subject_objects(SKOS.narrower):
        assert (narrow, SKOS.broader, broad) in scheme


def test_merged_hr75_labels_are_broader_than_the_uhri_ones_they_merge(scheme: Graph) -> None:
    merges = {
        "Women & girls": {"Women", "Girls"},
        "Law enforcement / police & prison officials": {
            "Law enforcement / police officials", "Prison officials"},
        "Human rights defenders & activists": {"Human rights defenders"},
    }
    for merged, parts in merges.items():
        narrower = set(scheme.objects(concept_named(scheme, merged), SKOS.narrower))
        assert {concept_named(scheme, part) for part in parts} <= narrower


def test_scheme_describes_itself(scheme: Graph) -> None:
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in scheme
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.source, DCTERMS.license):
        assert list(scheme.objects(SCHEME, prop)), prop
    assert not [t for triple in scheme for t in triple if isinstance(t, BNode)]


# --- external mappings ----------------------------------------------------------------------

def test_unbis_mappings_use_only_verified_ids_and_say_why(scheme: Graph) -> None:
    mapped = 0
    for prop in MAPPINGS:
        for concept, target in scheme.subject_objects(prop):
            assert str(target).startswith(UNBIS), target
            assert str(target)[len(UNBIS):] in VERIFIED_UNBIS, target
            assert list(scheme.objects(concept, SKOS.note)), f"{concept} has no note"
            mapped += 1
    assert mapped >= 20


def test_no_wikidata_links_for_concepts(scheme: Graph) -> None:
    assert not [t for t in scheme if "wikidata.org" in " ".join(map(str, t))]


@pytest.mark.parametrize(("label", "prop", "ids"), [
    ("Women & girls", SKOS.narrowMatch, {"1007029", "1002684"}),
    ("Judges, lawyers and prosecutors", SKOS.narrowMatch, {"1003478", "1003654", "1005207"}),
    ("Refugees & asylum seekers", SKOS.narrowMatch, {"1005418", "1000434"}),
    ("Internally displaced persons", SKOS.broadMatch, {"1001706"}),
    ("Human rights defenders & activists", SKOS.closeMatch, {"1002976"}),
    ("Non-citizens", SKOS.exactMatch, {"1004435"}),
    ("Migrants", SKOS.exactMatch, {"1004110"}),
])
def test_mapping_property_fits_the_meaning(scheme: Graph, label: str, prop: URIRef,
                                           ids: set[str]) -> None:
    concept = concept_named(scheme, label)
    assert {str(t)[len(UNBIS):] for t in scheme.objects(concept, prop)} == ids
    if prop != SKOS.exactMatch:
        assert not list(scheme.objects(concept, SKOS.exactMatch))


# --- matching labels ------------------------------------------------------------------------

def test_known_labels_are_all_labels_longest_first(scheme: Graph) -> None:
    labels = concepts.known_labels()
    expected = {str(label) for concept in all_concepts(scheme)
                for p in (SKOS.prefLabel, SKOS.altLabel) for label in scheme.objects(concept, p)}
    assert set(labels) == expected
    assert [len(x) for x in labels] == sorted((len(x) for x in labels), reverse=True)


def test_no_label_names_two_concepts(scheme: Graph) -> None:
    owners: dict[str, set[URIRef]] = {}
    for prop in (SKOS.prefLabel, SKOS.altLabel):
        for concept, label in scheme.subject_objects(prop):
            if (concept, RDF.type, SKOS.Concept) in scheme:
                owners.setdefault(concepts.normalise_label(str(label)), set()).add(concept)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_real_document_lines_are_covered_by_known_labels_longest_first() -> None:
    """The Japanese document's lines split into known labels and separators only."""
    text = (DATA_DIR / "sources" / "japan-2023.txt").read_text(encoding="utf-8")
    lines = re.findall(r"^Sector and Rights-holders:\s*(.+?)\s*$", text, re.MULTILINE)
    assert len(lines) == 3
    labels = concepts.known_labels()
    found: list[str] = []
    for line in lines:
        rest = line
        while rest.strip(" ,;."):
            rest = rest.lstrip(" ,;")
            label = next((x for x in labels if rest.startswith(x)), None)
            assert label is not None, f"no known label at {rest!r}"
            found.append(label)
            rest = rest[len(label):]
    assert found[:3] == ["Judges, lawyers and prosecutors", "Non-citizens", "Migrants"]
    assert found[3:] == HR75_LABELS[:6] + HR75_LABELS[8:]
    assert all(concepts.concept_for_label(label) is not None for label in found)


@pytest.mark.parametrize(("written", "slug"), [
    ("Women & girls", "women-and-girls"),
    ("women and girls", "women-and-girls"),
    ("WOMEN\u00a0&\u00a0GIRLS.", "women-and-girls"),
    ("  Judges,  lawyers and\tprosecutors ", "judges-lawyers-and-prosecutors"),
    ("Human rights defenders and activists", "human-rights-defenders-and-activists"),
    ("Refugees and asylum seekers", "refugees-and-asylum-seekers"),
    ("LGBTI persons", "lgbti-persons"),
    ("Children in vulnerable situations", "children-in-vulnerable-situations"),
    ("Vulnerable persons/groups;", "vulnerable-persons-and-groups"),
    ("Women", "women"),
])
def test_concept_for_label_tolerates_spelling(written: str, slug: str) -> None:
    assert concepts.concept_for_label(written) == URIRef(CONCEPTS + slug)
    assert concepts.concept_slug(written) == slug


def test_unknown_label_has_no_concept() -> None:
    assert concepts.concept_for_label("Astronauts") is None
    assert concepts.concept_for_label("Women & girls & boys") is None
    assert concepts.concept_for_label("") is None


def test_typographic_apostrophes_and_nbsp_compare_equal() -> None:
    assert concepts.normalise_label("Women\u2019s\u00a0rights") == \
        concepts.normalise_label("women's rights")


def test_concept_for_label_mints_under_another_base() -> None:
    base = "http://example.org/pg/"
    assert concepts.concept_for_label("Migrants", base) == Iris(base).concept("migrants")


# --- the scheme under another base ----------------------------------------------------------

def test_scheme_graph_rebases_every_iri_and_keeps_every_triple(scheme: Graph) -> None:
    base = "http://localhost:8000/"
    moved = concepts.scheme_graph(base)
    assert len(moved) == len(scheme)
    terms = {str(t) for triple in moved for t in triple if isinstance(t, URIRef)}
    assert not [t for t in terms if t.startswith(DEFAULT_BASE)]
    assert (URIRef(base + "id/rights-holders/migrants"), SKOS.inScheme,
            URIRef(base + "id/rights-holders")) in moved


def test_scheme_graph_returns_an_independent_copy() -> None:
    first = concepts.scheme_graph()
    size = len(first)
    first.remove((None, None, None))
    assert len(concepts.scheme_graph()) == size
