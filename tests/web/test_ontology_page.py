"""The ontology's documentation on a real server, checked against ontology/*.ttl and
shapes/*.ttl read by rdflib: every class and property is documented with its domain and
range, each class with the properties its shapes require and an instance from the data;
each term's IRI has its own page; the ontology's RDF answers are negotiated as before."""

from __future__ import annotations

import html
import re
from collections import defaultdict

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from web_server import bundled_release

from pledge_graph.paths import PROJECT_ROOT
from pledge_graph.rdf.vocab import Iris

IRIS = Iris()
BASE = IRIS.base
ONTOLOGY = BASE + "ontology"
NAMESPACE = str(IRIS.ontology)
CLASS_TYPES = {OWL.Class, RDFS.Class}
PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property}


def _parsed(folder: str) -> Graph:
    graph = Graph()
    for path in sorted((PROJECT_ROOT / folder).glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _parsed("ontology")


@pytest.fixture(scope="module")
def page(http) -> str:
    answer = http.get("/ontology", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text


def documented(page: str) -> dict[str, str]:
    """Term IRI -> its section on the page."""
    return dict(re.findall(r'<section class="term"[^>]*data-term="([^"]+)"[^>]*>(.*?)</section>',
                           page, re.DOTALL))


def terms(graph: Graph, types: set[URIRef]) -> set[str]:
    return {str(s) for t in types for s in graph.subjects(RDF.type, t)
            if str(s).startswith(NAMESPACE)}


def test_every_class_and_property_is_documented(page, ontology):
    sections = documented(page)
    classes, properties = terms(ontology, CLASS_TYPES), terms(ontology, PROPERTY_TYPES)
    assert len(classes) > 20 and len(properties) > 30
    assert classes | properties <= set(sections)
    for iri in classes:
        assert "<small>(class)</small>" in sections[iri]
    for iri in properties:
        assert "property)</small>" in sections[iri]
        label = ontology.value(URIRef(iri), RDFS.label)
        if label is not None:
            assert f">{label} <small>" in sections[iri]
        comment = ontology.value(URIRef(iri), RDFS.comment)
        if comment is not None:
            assert f"<dd>{comment}</dd>" in html.unescape(sections[iri])


def test_domains_and_ranges_are_shown(page, ontology):
    sections = documented(page)
    for iri in terms(ontology, PROPERTY_TYPES):
        for key, predicate in (("domain", RDFS.domain), ("range", RDFS.range)):
            for value in ontology.objects(URIRef(iri), predicate):
                if isinstance(value, URIRef):
                    shown = re.search(rf'<dd class="{key}">(.*?)</dd>', sections[iri], re.DOTALL)
                    assert shown and f'title="{value}"' in shown.group(1), (iri, key)


def required_by_shapes() -> dict[str, set[tuple[str, str]]]:
    """Class -> (property, "required" or "recommended") with sh:minCount of at least 1, by a
    SPARQL query over shapes/*.ttl."""
    found = defaultdict(set)
    for row in _parsed("shapes").query("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?class ?path ?severity WHERE {
          { ?shape sh:targetClass ?class } UNION { ?node sh:targetClass ?class ; sh:property ?shape }
          ?shape sh:path ?path ; sh:minCount ?n FILTER(?n >= 1 && isIRI(?path))
          OPTIONAL { ?shape sh:severity ?given }
          BIND(COALESCE(?given, sh:Violation) AS ?severity) }"""):
        kind = "required" if str(row.severity).endswith("#Violation") else "recommended"
        found[str(row["class"])].add((str(row.path), kind))
    return found


def test_each_class_lists_the_properties_its_shapes_require(page, ontology):
    sections = documented(page)
    required = required_by_shapes()
    assert required[NAMESPACE + "Pledge"]  # the shapes ask things of pledges
    for iri in terms(ontology, CLASS_TYPES) | set(required):
        shown = set(re.findall(r'<li data-path="([^"]+)" data-severity="(\w+)">',
                               sections[iri]))
        assert shown == required.get(iri, set()), iri


def test_each_class_has_an_instance_from_the_data_as_example(page, ontology, http):
    sections = documented(page)
    release = bundled_release()[1]
    data = Graph()
    for name in ("pledge-graph.ttl", "ontology.ttl", "rights-holders.ttl"):
        data.parse(release / name, format="turtle")
    for iri in terms(ontology, CLASS_TYPES):
        example = re.search(r'<dd class="example">(.*?)</dd>', sections[iri], re.DOTALL).group(1)
        instances = {str(s) for s in data.subjects(RDF.type, URIRef(iri))
                     if isinstance(s, URIRef)}
        if not instances:
            assert example == "none in this release", iri
            continue
        shown = re.search(r'title="([^"]+)"', example).group(1)
        assert shown in instances, iri
        href = re.search(r'href="([^"]+)"', example).group(1)
        if shown.startswith(NAMESPACE):  # a term of the ontology: its section on the page
            assert href == "#" + shown[len(NAMESPACE):] and shown in sections
        else:
            assert href == "/" + shown[len(BASE):]
            assert http.get(href, headers={"Accept": "text/turtle"}).status_code == 200


def test_a_term_iri_has_its_own_page_linked_to_the_documentation(http, ontology):
    for name in ("Pledge", "pledgedBy", "Extracted"):
        answer = http.get(f"/ontology/{name}", headers={"Accept": "text/html"})
        assert answer.status_code == 200
        assert f'<a href="/ontology#{name}">' in answer.text
        assert f'data-term="{NAMESPACE}{name}"' in answer.text
        assert '<table class="links" id="outgoing">' in answer.text  # and its description


@pytest.mark.parametrize("path", ["/ontology", "/ontology/Pledge"])
def test_rdf_answers_are_negotiated_as_before(http, path, ontology):
    html = http.get(path, headers={"Accept": "text/html"})
    assert html.headers["vary"] == "Accept"
    assert 'rel="alternate"' in html.headers["link"] and "text/turtle" in html.headers["link"]
    for accept, media_type in (("text/turtle", "text/turtle"),
                               ("application/ld+json", "application/ld+json"),
                               ("application/rdf+xml;q=0.9, text/html;q=0.5",
                                "application/rdf+xml")):
        answer = http.get(path, headers={"Accept": accept})
        assert answer.status_code == 200
        assert answer.headers["content-type"].split(";")[0] == media_type
    turtle = http.get(path + "?format=ttl")
    found = {q.triple for q in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)}
    subject = ox.NamedNode(BASE + path[1:])
    expected = {(str(p), str(o)) for p, o in ontology.predicate_objects(URIRef(BASE + path[1:]))
                if isinstance(o, URIRef)}
    assert expected <= {(t.predicate.value, t.object.value) for t in found
                        if t.subject == subject}


def test_the_namespace_iri_answers_browsers_with_the_documentation(http, page):
    answer = http.get("/ontology/", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    assert documented(answer.text).keys() == documented(page).keys()
