"""Mapping records to RDF: Japan's real document through the real concept scheme and
authorities."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from pipeline_data import (
    JAPAN_HOLDERS,
    JAPAN_WORDS,
    SOURCE,
    build_batches,
    japan_data,
    line_of,
    write_record,
)
from rdflib import BNode, Graph, Literal, URIRef

from pledge_graph.errors import RecordError
from pledge_graph.rdf.concepts import concept_for_label, scheme_graph
from pledge_graph.rdf.ntriples import rdflib_graph
from pledge_graph.rdf.vocab import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, SPDX, WD, XSD, Iris

DIGEST = "0" * 64


def mapped(data: Path, base: str | None = None) -> Graph:
    iris = Iris(base) if base else Iris()
    return rdflib_graph(t for batch in build_batches(data, iris=iris) for t in batch)


@pytest.fixture(scope="module")
def japan(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    return mapped(japan_data(tmp_path_factory.mktemp("japan")))


def pledges_of(graph: Graph) -> dict[int, URIRef]:
    pg = Iris().ontology
    return {int(graph.value(p, pg.pledgeNumber)): p  # type: ignore[arg-type]
            for p in graph.subjects(RDF.type, pg.Pledge)}


def test_japan_gives_three_pledges_with_stable_iris(japan: Graph) -> None:
    iris = Iris()
    assert pledges_of(japan) == {n: iris.pledge("japan-2023", n) for n in (1, 2, 3)}


def test_japan_is_the_pledging_state_linked_to_wikidata(japan: Graph) -> None:
    iris, pg = Iris(), Iris().ontology
    japan_state = iris.state("JPN")
    for pledge in pledges_of(japan).values():
        assert list(japan.objects(pledge, pg.pledgedBy)) == [japan_state]
    assert list(japan.objects(iris.submission("japan-2023"), pg.pledgedBy)) == [japan_state]
    assert (japan_state, RDF.type, pg.State) in japan
    assert (japan_state, OWL.sameAs, WD.Q17) in japan


def test_rights_holder_concepts_per_pledge(japan: Graph) -> None:
    pg = Iris().ontology
    seen = set()
    for number, pledge in pledges_of(japan).items():
        groups = set(japan.objects(pledge, pg.rightsHolderGroup))
        expected = {concept_for_label(label) for label in JAPAN_HOLDERS[number]}
        assert None not in expected
        assert groups == expected
        assert len(groups) == {1: 1, 2: 2, 3: 10}[number]
        assert not list(japan.objects(pledge, pg.rightsHolderLabel))
        seen |= groups
    assert len(seen) == 12  # 13 labels; "Judges, lawyers and prosecutors" serves 1 and 3
    for concept in seen:
        assert (concept, SKOS.inScheme, Iris().scheme()) in japan


def test_word_counts_declared_and_computed_are_both_kept(japan: Graph) -> None:
    pg = Iris().ontology
    for number, pledge in pledges_of(japan).items():
        text = str(japan.value(pledge, pg.pledgeText))
        assert japan.value(pledge, pg.declaredWordCount) == Literal(
            str(JAPAN_WORDS[number]), datatype=XSD.nonNegativeInteger)
        assert japan.value(pledge, pg.computedWordCount) == Literal(
            str(len(text.split())), datatype=XSD.nonNegativeInteger)


def test_pledge_text_label_line_and_language(japan: Graph) -> None:
    pg = Iris().ontology
    pledge = pledges_of(japan)[1]
    text = japan.value(pledge, pg.pledgeText)
    assert isinstance(text, Literal) and text.language == "en"
    assert str(text).startswith("The rule of law is the foundation")
    assert str(text).endswith('"Justice Affairs Diplomacy" initiative.')
    assert japan.value(pledge, RDFS.label) == Literal("Japan, pledge 1 (December 2023)", lang="en")
    line = line_of(SOURCE, "**PLEDGE NUMBER 1:**")
    assert japan.value(pledge, pg.sourceLine) == Literal(str(line), datatype=XSD.positiveInteger)


def test_submission_metadata_and_checksum(japan: Graph) -> None:
    iris, pg = Iris(), Iris().ontology
    sub = iris.submission("japan-2023")
    assert japan.value(sub, DCTERMS.issued) == Literal("2023-12", datatype=XSD.gYearMonth)
    assert japan.value(sub, DCTERMS.language) == URIRef("http://id.loc.gov/vocabulary/iso639-1/en")
    assert japan.value(sub, pg.pledgeType) == pg.SinglePledge
    assert japan.value(sub, DCTERMS.title) == Literal(
        "Pledge submitted by Japan to the Human Rights 75 Secretariat")
    checksum = japan.value(sub, SPDX.checksum)
    assert checksum == URIRef(f"{sub}/sha256")
    assert (checksum, RDF.type, SPDX.Checksum) in japan
    assert japan.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert str(japan.value(checksum, SPDX.checksumValue)) == hashlib.sha256(
        SOURCE.read_bytes()).hexdigest()
    assert set(japan.objects(sub, pg.pledge)) == set(pledges_of(japan).values())


def test_provenance_to_source_and_build(japan: Graph) -> None:
    iris, pg = Iris(), Iris().ontology
    sub, build = iris.submission("japan-2023"), iris.build(DIGEST)
    for pledge in pledges_of(japan).values():
        assert japan.value(pledge, PROV.hadPrimarySource) == sub
        assert japan.value(pledge, pg.submission) == sub
        assert japan.value(pledge, PROV.wasGeneratedBy) == build
    assert (build, RDF.type, PROV.Activity) in japan
    assert (build, PROV.used, sub) in japan
    agent = japan.value(build, PROV.wasAssociatedWith)
    assert (agent, RDF.type, PROV.SoftwareAgent) in japan


def test_graph_has_no_blank_nodes_and_carries_the_whole_scheme(japan: Graph) -> None:
    assert not [t for t in japan if any(isinstance(x, BNode) for x in t)]
    concepts = set(scheme_graph().subjects(RDF.type, SKOS.Concept))
    assert concepts and concepts <= set(japan.subjects(RDF.type, SKOS.Concept))


def test_unmatched_label_is_kept_as_written(tmp_path: Path) -> None:
    data = japan_data(tmp_path)
    path = data / "records" / "japan-2023.yaml"
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["pledges"][0]["rights_holders"].append("Lighthouse keepers")
    write_record(data, record)
    graph = mapped(data)
    pledge = Iris().pledge("japan-2023", 1)
    assert graph.value(pledge, Iris().ontology.rightsHolderLabel) == Literal("Lighthouse keepers")


def test_other_base_changes_every_minted_iri(tmp_path: Path) -> None:
    base = "http://example.org/hr75/"
    graph = mapped(japan_data(tmp_path), base)
    minted = {str(t) for triple in graph for t in triple
              if isinstance(t, URIRef) and "pledge-graph" in str(t)}
    assert minted and all(iri.startswith(base) for iri in minted)
    assert (Iris(base).pledge("japan-2023", 1), RDF.type, URIRef(base + "ontology/Pledge")) in graph
    assert not any("w3id.org" in str(term) for triple in graph for term in triple)


@pytest.mark.parametrize(("field", "value", "key"), [
    ("month", 13, "month:"),
    ("source_sha256", "ab" * 32, "source_sha256:"),
    ("language", "de", "language:"),
])
def test_bad_record_names_file_and_line(tmp_path: Path, field: str, value: object,
                                        key: str) -> None:
    data = japan_data(tmp_path)
    record = yaml.safe_load((data / "records" / "japan-2023.yaml").read_text(encoding="utf-8"))
    record[field] = value
    path = write_record(data, record)
    with pytest.raises(RecordError) as caught:
        build_batches(data)
    assert caught.value.file == str(path)
    assert caught.value.line == line_of(path, key)
    assert caught.value.expected


def test_repeated_pledge_number_is_refused(tmp_path: Path) -> None:
    data = japan_data(tmp_path)
    record = yaml.safe_load((data / "records" / "japan-2023.yaml").read_text(encoding="utf-8"))
    record["pledges"][1]["number"] = 1
    write_record(data, record)
    with pytest.raises(RecordError) as caught:
        build_batches(data)
    assert caught.value.file.endswith("japan-2023.yaml") and caught.value.line
