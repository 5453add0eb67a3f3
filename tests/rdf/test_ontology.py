"""The ontology keeps the contract of docs/model.md, documents every term, and the JSON-LD
context reads the graph back as the same RDF."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from pledge_graph.mapping import actors, authorities
from pledge_graph.paths import DEFAULT_BASE, ONTOLOGY_DIR, PROJECT_ROOT
from pledge_graph.rdf import concepts
from pledge_graph.rdf.vocab import Iris, prefixes

ONTOLOGY = URIRef(DEFAULT_BASE + "ontology")
PG = DEFAULT_BASE + "ontology/"
VANN = "http://purl.org/vocab/vann/"
MODEL = PROJECT_ROOT / "docs" / "model.md"
CONTEXT = ONTOLOGY_DIR / "context.jsonld"


@pytest.fixture(scope="module")
def core() -> Graph:
    return Graph().parse(ONTOLOGY_DIR / "pledge-graph.ttl", format="turtle")


@pytest.fixture(scope="module")
def modules() -> Graph:
    """Every ontology module (all of ontology/*.ttl but the concept scheme)."""
    graph = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        if path.name != "rights-holders.ttl":
            graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def context() -> dict:
    return json.loads(CONTEXT.read_text(encoding="utf-8"))["@context"]


def pg_terms(graph: Graph) -> set[URIRef]:
    return {URIRef(s) for s in graph.subjects() if str(s).startswith(PG)}


def curie(text: str) -> URIRef:
    prefix, local = text.split(":", 1)
    return URIRef(prefixes(Iris())[prefix] + local)


def model_rows() -> list[tuple[list[str], str, str]]:
    """The rows of the "Ontology terms" table of docs/model.md: (pg terms, kind, meaning)."""
    section = MODEL.read_text(encoding="utf-8").split("## Ontology terms", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and "`pg:" in cells[0]:
            rows.append((re.findall(r"`pg:(\w+)`", cells[0]), cells[1], " ".join(cells[2:])))
    return rows


# --- header ---------------------------------------------------------------------------------

def test_header_has_version_license_dates_and_namespace(core: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in core
    assert core.value(ONTOLOGY, OWL.versionIRI) == URIRef(PG + "0.1.0")
    assert str(core.value(ONTOLOGY, OWL.versionInfo)) == "0.1.0"
    assert core.value(ONTOLOGY, DCTERMS.license) == \
        URIRef("https://creativecommons.org/licenses/by/4.0/")
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.creator):
        assert core.value(ONTOLOGY, prop) is not None, prop
    for prop in (DCTERMS.created, DCTERMS.modified):
        assert core.value(ONTOLOGY, prop).datatype == XSD.date
    assert str(core.value(ONTOLOGY, URIRef(VANN + "preferredNamespacePrefix"))) == "pg"
    assert str(core.value(ONTOLOGY, URIRef(VANN + "preferredNamespaceUri"))) == \
        str(Iris().ontology)


def test_no_blank_nodes(core: Graph) -> None:
    assert not [t for t in core if any(isinstance(x, BNode) for x in t)]


@pytest.mark.parametrize("tool", [["serdi", "-i", "turtle", "-o", "ntriples"],
                                  ["rapper", "-q", "-i", "turtle", "-o", "ntriples"]])
@pytest.mark.parametrize("name", ["pledge-graph.ttl", "rights-holders.ttl"])
def test_independent_turtle_parsers_read_the_same_triples(tool: list[str], name: str) -> None:
    """serdi and rapper (Debian packages serdi, raptor2-utils) are stricter than rdflib."""
    assert shutil.which(tool[0]), f"{tool[0]} is not installed"
    path = ONTOLOGY_DIR / name
    out = subprocess.run([*tool, str(path)], capture_output=True, check=True, timeout=60)
    assert isomorphic(Graph().parse(data=out.stdout.decode(), format="nt"),
                      Graph().parse(path, format="turtle"))


# --- every term documented ------------------------------------------------------------------

def test_every_term_has_label_comment_and_defining_ontology(modules: Graph) -> None:
    terms = pg_terms(modules) - {URIRef(PG + "0.1.0")}
    assert len(terms) > 20
    for term in sorted(terms):
        labels = list(modules.objects(term, RDFS.label))
        assert any(label.language == "en" for label in labels), term
        languages = [label.language for label in labels]
        assert len(languages) == len(set(languages)), f"{term}: one label per language"
        assert any(c.language == "en" for c in modules.objects(term, RDFS.comment)), term
        assert list(modules.objects(term, RDFS.isDefinedBy)) == [ONTOLOGY], term
        assert list(modules.objects(term, RDF.type)), f"{term} has no type"


def test_terms_are_defined_once_across_modules() -> None:
    seen: dict[URIRef, str] = {}
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        if path.name == "rights-holders.ttl":
            continue
        graph = Graph().parse(path, format="turtle")
        for term in {s for s in graph.subjects(RDFS.isDefinedBy, ONTOLOGY)}:
            assert term not in seen, f"{term} defined in {seen.get(term)} and {path.name}"
            seen[URIRef(term)] = path.name


# --- the contract of docs/model.md ----------------------------------------------------------

def test_every_term_in_the_model_is_defined_and_every_core_term_is_in_it(
        core: Graph, modules: Graph) -> None:
    named = {URIRef(PG + name) for names, _, meaning in model_rows()
             for name in names + re.findall(r"`pg:(\w+)`", meaning)}
    assert len(named) >= 25
    assert named <= pg_terms(modules), sorted(named - pg_terms(modules))
    own = {t for t in pg_terms(core) if (t, RDFS.isDefinedBy, ONTOLOGY) in core}
    assert own - {URIRef(PG + "0.1.0")} <= named, sorted(own - named)


def test_standard_super_classes_and_properties_as_the_model_says(modules: Graph) -> None:
    checked = 0
    for names, kind, _ in model_rows():
        supers = re.search(r"⊑ ([^|]+)$", kind) or re.search(r"\(sub ([\w:]+)\)", kind)
        if not supers:
            continue
        prop = RDFS.subPropertyOf if "(sub " in kind else RDFS.subClassOf
        for name in names:
            for target in re.findall(r"[\w]+:\w+", supers.group(1)):
                assert (URIRef(PG + name), prop, curie(target)) in modules, (name, target)
                checked += 1
    assert checked >= 15


def test_ranges_and_domains_as_the_model_says(modules: Graph) -> None:
    checked = 0
    for names, kind, _ in model_rows():
        arrow = re.match(r"^([\w/]*)\s*→\s*([\w:]+)", kind)
        if not arrow:
            continue
        domain, range_ = arrow.groups()
        expected_range = curie(range_) if ":" in range_ else URIRef(PG + range_)
        for name in names:
            term = URIRef(PG + name)
            assert modules.value(term, RDFS.range) == expected_range, name
            if domain and "/" not in domain:
                assert modules.value(term, RDFS.domain) == URIRef(PG + domain), name
            checked += 1
    assert checked >= 15


def test_pledge_types_are_the_enumeration_members(core: Graph) -> None:
    members = set(core.subjects(RDF.type, URIRef(PG + "PledgeType")))
    assert members == {URIRef(PG + "SinglePledge"), URIRef(PG + "JointPledge")}


def test_code_properties_cite_the_wikidata_properties(core: Graph) -> None:
    for name, wikidata in (("isoAlpha2", "P297"), ("isoAlpha3", "P298"), ("m49Code", "P2082")):
        assert (URIRef(PG + name), RDFS.seeAlso,
                URIRef("http://www.wikidata.org/entity/" + wikidata)) in core
        assert (URIRef(PG + name), RDF.type, OWL.DatatypeProperty) in core


# --- the JSON-LD context --------------------------------------------------------------------

def test_context_is_json_ld_1_1_and_needs_no_network(context: dict) -> None:
    assert context["@version"] == 1.1
    assert "@import" not in context
    text = CONTEXT.read_text(encoding="utf-8")
    assert '"@context": "http' not in text and '"@context": ["http' not in text


def test_context_prefixes_agree_with_the_project_prefixes(context: dict) -> None:
    table = prefixes(Iris())
    shared = [key for key in context if key in table]
    assert {"pg", "skos", "dct", "schema", "prov", "foaf", "org"} <= set(shared)
    assert {key: context[key] for key in shared} == {key: table[key] for key in shared}


def test_context_has_a_short_term_for_every_core_term(context: dict, core: Graph,
                                                     modules: Graph) -> None:
    short = {}
    for term, value in context.items():
        iri = value if isinstance(value, str) else str(value.get("@id", "")) \
            if isinstance(value, dict) else ""
        if iri.startswith("pg:"):
            short[URIRef(PG + iri[3:])] = term
    assert pg_terms(core) - {URIRef(PG + "0.1.0")} <= set(short)
    assert set(short) <= pg_terms(modules), "the context names undefined terms"
    assert all(term == str(iri)[len(PG):] for iri, term in short.items())


def test_context_coerces_iris_enumerations_and_numbers(context: dict, modules: Graph) -> None:
    for term, value in context.items():
        if not isinstance(value, dict) or not value.get("@id", "").startswith("pg:"):
            continue
        iri = URIRef(PG + value["@id"][3:])
        range_ = modules.value(iri, RDFS.range)
        if (iri, RDF.type, OWL.ObjectProperty) in modules:
            assert value.get("@type") in ("@id", "@vocab"), term
        elif range_ in (XSD.positiveInteger, XSD.nonNegativeInteger, XSD.integer, XSD.decimal):
            assert value.get("@type") == "xsd:" + str(range_)[len(str(XSD)):], term
        elif range_ == RDF.langString:
            assert value.get("@container") == "@language", term
    assert context["pledgeType"]["@type"] == "@vocab"
    assert context["prefLabel"]["@container"] == "@language"


def sample_graph() -> Graph:
    """Concept scheme, actors and one pledge: the kinds of node the dump holds."""
    iris = Iris()
    pg = iris.ontology
    graph = concepts.scheme_graph()
    for name in ("Japan", "Yemen", "OHCHR", "Acme Ltd"):
        for triple in actors.actor_triples(authorities.resolve_actor(name), iris):
            graph.add(triple)
    pledge, sub = iris.pledge("japan-2023", 1), iris.submission("japan-2023")
    graph.add((pledge, RDF.type, pg.Pledge))
    graph.add((pledge, pg.pledgeNumber, Literal("1", datatype=XSD.positiveInteger)))
    graph.add((pledge, pg.declaredWordCount, Literal("99", datatype=XSD.nonNegativeInteger)))
    graph.add((pledge, pg.pledgeText, Literal("The rule of law is the foundation", lang="en")))
    graph.add((pledge, pg.submission, sub))
    graph.add((pledge, pg.rightsHolderGroup, concepts.concept_for_label("Migrants")))
    graph.add((pledge, pg.rightsHolderLabel, Literal("Astronauts")))
    graph.add((pledge, pg.pledgedBy, iris.state("JPN")))
    graph.add((sub, pg.pledgeType, pg.SinglePledge))
    graph.add((sub, DCTERMS.issued, Literal("2023-12", datatype=XSD.gYearMonth)))
    return graph


def test_json_ld_compacted_with_the_context_reads_back_as_the_same_graph(context: dict) -> None:
    """rdflib writes the JSON-LD with the context; pyoxigraph, another parser, reads it."""
    graph = sample_graph()
    document = json.loads(graph.serialize(format="json-ld", context=context))
    nodes = document.get("@graph", [document])
    pledge = next(n for n in nodes if n["@id"].endswith("/pledge/japan-2023/1"))
    assert pledge["pledgeType" if "pledgeType" in pledge else "@type"]
    assert pledge["pledgeText"] == {"en": "The rule of law is the foundation"}
    assert pledge["pledgeNumber"] == "1"
    japan = next(n for n in nodes if n["@id"].endswith("/state/jpn"))
    assert japan["label"]["en"] == "Japan" and japan["isoAlpha3"] == "JPN"

    body = json.dumps({"@context": context, "@graph": nodes}).encode()
    triples = pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.JSON_LD)
    ntriples = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    reread = Graph().parse(data=ntriples.decode(), format="nt")
    assert isomorphic(graph, reread)


def test_pledge_type_compacts_to_a_bare_term(context: dict) -> None:
    iris = Iris()
    graph = Graph()
    graph.add((iris.submission("s"), iris.ontology.pledgeType, iris.ontology.JointPledge))
    document = json.loads(graph.serialize(format="json-ld", context=context))
    assert document["pledgeType"] == "JointPledge"
