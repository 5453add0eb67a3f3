"""Every SHACL shape fires on its own negative fixture, and only that shape.

Each fixture under tests/fixtures/shapes/ is valid.ttl with one defect; the table keeps the
shape it must trigger (sh:sourceShape) and the severity next to the file name.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from pledge_graph.paths import SHAPES_DIR
from pledge_graph.rdf.vocab import RDF, RDFS, SH, Iris
from pledge_graph.validation.shapes import shapes_graph, shapes_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "shapes"
VIOLATION, WARNING = SH.Violation, SH.Warning
PGS = Iris().shapes
WARNINGS = {"Pledge-rightsHolderLabel-unmatched", "Pledge-declaredWordCount-notAbove",
            "Pledge-declaredWordCount-notBelow"}
TARGETS = (SH.targetClass, SH.targetSubjectsOf)

# fixture, the shape it must fire, severity, other shapes the same defect also fires
CASES: list[tuple[str, str, URIRef] | tuple[str, str, URIRef, tuple[str, ...]]] = [
    ("actor-label-missing", "NonStateActor-label", VIOLATION),
    ("build-agent-class", "Activity-associatedWith-class", VIOLATION),
    ("build-agent-missing", "Activity-associatedWith", VIOLATION),
    ("build-label-missing", "Activity-label", VIOLATION),
    ("build-used-literal", "Activity-used-kind", VIOLATION),
    ("build-used-missing", "Activity-used", VIOLATION),
    ("checksum-algorithm", "Checksum-algorithm", VIOLATION),
    ("checksum-value-datatype", "Checksum-value-datatype", VIOLATION),
    ("checksum-value-missing", "Checksum-value", VIOLATION),
    ("checksum-value-pattern", "Checksum-value-pattern", VIOLATION),
    ("source-text-checksum-class", "Submission-sourceTextChecksum-class", VIOLATION),
    ("source-text-checksum-twice", "Submission-sourceTextChecksum", VIOLATION),
    ("source-text-datatype", "Submission-sourceText-datatype", VIOLATION),
    ("source-text-twice", "Submission-sourceText", VIOLATION),
    ("concept-label-language", "Concept-prefLabel-language", VIOLATION),
    ("concept-label-missing", "Concept-prefLabel", VIOLATION),
    ("concept-label-unique-language", "Concept-prefLabel-uniqueLang", VIOLATION),
    ("concept-scheme-class", "Concept-inScheme-class", VIOLATION),
    ("concept-scheme-missing", "Concept-inScheme", VIOLATION),
    ("pledge-computed-datatype", "Pledge-computedWordCount-datatype", VIOLATION),
    ("pledge-computed-missing", "Pledge-computedWordCount", VIOLATION),
    ("pledge-declared-datatype", "Pledge-declaredWordCount-datatype", VIOLATION),
    ("pledge-declared-twice", "Pledge-declaredWordCount", VIOLATION,
     ("Pledge-declaredWordCount-notAbove",)),
    ("pledge-generated-by-missing", "Pledge-generatedBy", VIOLATION),
    ("pledge-group-class", "Pledge-rightsHolderGroup-class", VIOLATION),
    ("pledge-group-scheme", "Pledge-rightsHolderGroup-scheme", VIOLATION),
    ("pledge-in-dataset", "Pledge-inDataset", VIOLATION),
    ("pledge-label-datatype", "Pledge-rightsHolderLabel-datatype", VIOLATION,
     ("Pledge-rightsHolderLabel-unmatched",)),
    ("pledge-label-missing", "Pledge-label", VIOLATION),
    ("pledge-number-datatype", "Pledge-number-datatype", VIOLATION),
    ("pledge-number-missing", "Pledge-number", VIOLATION),
    ("pledge-pledged-by-literal", "Pledge-pledgedBy-kind", VIOLATION),
    ("pledge-pledged-by-missing", "Pledge-pledgedBy", VIOLATION),
    ("pledge-primary-source", "Pledge-primarySource", VIOLATION),
    ("pledge-source-line-datatype", "Pledge-sourceLine-datatype", VIOLATION),
    ("pledge-source-line-missing", "Pledge-sourceLine", VIOLATION),
    ("pledge-submission-class", "Pledge-submission-class", VIOLATION),
    ("pledge-submission-missing", "Pledge-submission", VIOLATION),
    ("pledge-text-language", "Pledge-text-language", VIOLATION),
    ("pledge-text-missing", "Pledge-text", VIOLATION),
    ("scheme-label-language", "ConceptScheme-prefLabel-language", VIOLATION),
    ("scheme-label-missing", "ConceptScheme-prefLabel", VIOLATION),
    ("software-label-missing", "SoftwareAgent-label", VIOLATION),
    ("state-label-missing", "State-label", VIOLATION),
    ("state-same-as-literal", "State-sameAs-kind", VIOLATION),
    ("submission-checksum-class", "Submission-checksum-class", VIOLATION),
    ("submission-checksum-missing", "Submission-checksum", VIOLATION),
    ("submission-generated-by-missing", "Submission-generatedBy", VIOLATION),
    ("submission-issued-datatype", "Submission-issued-datatype", VIOLATION),
    ("submission-issued-missing", "Submission-issued", VIOLATION),
    ("submission-label-missing", "Submission-label", VIOLATION),
    ("submission-language-missing", "Submission-language", VIOLATION),
    ("submission-language-vocabulary", "Submission-language-vocabulary", VIOLATION),
    ("submission-numbers-repeated", "Submission-uniquePledgeNumbers", VIOLATION),
    ("submission-pledge-missing", "Submission-pledge", VIOLATION),
    ("submission-pledged-by-missing", "Submission-pledgedBy", VIOLATION),
    ("submission-source-missing", "Submission-source", VIOLATION),
    ("submission-title-datatype", "Submission-title-datatype", VIOLATION),
    ("submission-title-missing", "Submission-title", VIOLATION),
    ("submission-type-missing", "Submission-pledgeType", VIOLATION),
    ("submission-type-value", "Submission-pledgeType-value", VIOLATION),
    ("warning-unmatched-label", "Pledge-rightsHolderLabel-unmatched", WARNING),
    ("warning-word-count-above", "Pledge-declaredWordCount-notAbove", WARNING),
    ("warning-word-count-below", "Pledge-declaredWordCount-notBelow", WARNING),
]


@pytest.fixture(scope="module")
def core_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shapes folder holding only core.ttl: other shape modules have their own tests."""
    folder = tmp_path_factory.mktemp("shapes")
    shutil.copy(SHAPES_DIR / "core.ttl", folder / "core.ttl")
    return folder


@pytest.fixture(scope="module")
def shapes(core_dir: Path) -> Graph:
    return shapes_graph(shapes_dir=core_dir)


def fired(data: Graph, shapes: Graph) -> set[tuple[Node, Node]]:
    """Return (sourceShape, severity) of every top-level result."""
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                    allow_warnings=True)
    return {(report.value(r, SH.sourceShape), report.value(r, SH.resultSeverity))
            for r in report.objects(None, SH.result)}


def test_valid_fixture_conforms(shapes: Graph) -> None:
    assert fired(Graph().parse(FIXTURES / "valid.ttl"), shapes) == set()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_shape_fires_on_its_fixture(case: tuple, shapes: Graph) -> None:
    name, shape, severity, *rest = case
    also = {(PGS[s], WARNING if s in WARNINGS else VIOLATION) for s in (rest[0] if rest else ())}
    data = Graph().parse(FIXTURES / f"{name}.ttl")
    assert fired(data, shapes) == {(PGS[shape], severity)} | also


def _shapes_needing_fixtures(shapes: Graph) -> set[URIRef]:
    """Every targeted property shape, and every SPARQL-based shape."""
    targeted = {s for t in TARGETS for s in shapes.subjects(t, None)}
    wanted = {s for s in targeted if (s, RDF.type, SH.PropertyShape) in shapes}
    wanted |= {s for s in targeted if (s, SH.sparql, None) in shapes}
    return {s for s in wanted if isinstance(s, URIRef)}


def test_every_shape_has_a_negative_fixture(shapes: Graph) -> None:
    covered = {PGS[c[1]] for c in CASES}
    assert _shapes_needing_fixtures(shapes) - covered == set()
    assert {f.stem for f in FIXTURES.glob("*.ttl")} == {c[0] for c in CASES} | {"valid"}


def test_property_shapes_are_named_described_and_carry_one_constraint(shapes: Graph) -> None:
    params = {SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH["class"], SH.pattern,
              SH.hasValue, SH.node, SH.equals, SH.uniqueLang, SH["in"], SH.lessThanOrEquals}
    for shape in shapes.subjects(RDF.type, SH.PropertyShape):
        for prop in (SH.name, SH.description, SH.message, SH.severity):
            assert shapes.value(shape, prop) is not None, (shape, prop)
        used = {p for p in shapes.predicates(shape, None) if p in params}
        assert used and (len(used) == 1 or used == {SH.minCount, SH.maxCount}), (shape, used)


def test_property_shapes_carry_their_target_and_group(shapes: Graph) -> None:
    for shape in shapes.subjects(RDF.type, SH.PropertyShape):
        assert any(shapes.value(shape, t) is not None for t in TARGETS), shape
        group = shapes.value(shape, SH.group)
        assert (group, RDF.type, SH.PropertyGroup) in shapes, shape
        assert shapes.value(group, RDFS.label) and shapes.value(group, RDFS.comment)
    assert not list(shapes.subjects(SH.property, None))


def test_warnings_are_never_violations(shapes: Graph) -> None:
    warnings = set(shapes.subjects(SH.severity, WARNING))
    assert warnings == {PGS[name] for name in WARNINGS}
    assert not warnings & set(shapes.subjects(SH.severity, VIOLATION))


def test_shapes_follow_the_base(core_dir: Path) -> None:
    base = "http://example.org/hr75/"
    assert "w3id.org" not in shapes_text(base, core_dir)
    other = shapes_graph(base, core_dir)
    assert len(other) == len(shapes_graph(shapes_dir=core_dir))
    assert (URIRef(base + "shapes/Pledge-number"), SH.targetClass,
            URIRef(base + "ontology/Pledge")) in other
    allowed = other.value(URIRef(base + "shapes/Pledge-rightsHolderGroup-scheme"), SH["in"])
    assert list(Collection(other, allowed)) == [URIRef(base + "id/rights-holders")]
