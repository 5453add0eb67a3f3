"""A dereferenced resource carries the release's own triples, datatypes included: the store
keeps a literal's value, not its datatype (``"1"^^xsd:positiveInteger`` comes back as
xsd:integer), but a pledge read from a real server in Turtle, N-Triples or JSON-LD, and from
the files export-site writes, is the release's dump for it, as rdflib and pyld read them;
its JSON-LD compacts ``pledgeNumber`` as the context coerces it. SPARQL answers stay the
engine's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonld_readers import pyld_graph, rdflib_graph
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from web_server import bundled_release, cli

from pledge_graph.rdf.vocab import Iris
from pledge_graph.store.loading import RELEASE_GRAPH_FILES

pytestmark = pytest.mark.filterwarnings(  # rdflib's JSON-LD parser, on every document
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

IRIS = Iris()
PLEDGE = str(IRIS.pledge("japan-2023", 1))
PG = str(IRIS.ontology)
COUNTS = {f"{PG}pledgeNumber": XSD.positiveInteger, f"{PG}sourceLine": XSD.positiveInteger,
          f"{PG}declaredWordCount": XSD.nonNegativeInteger,
          f"{PG}computedWordCount": XSD.nonNegativeInteger}
"""The pledge's counts and the datatypes the release publishes them with."""
READERS: dict[str, tuple[str, Callable[[bytes], Graph]]] = {
    "turtle": ("text/turtle", lambda data: Graph().parse(data=data, format="turtle")),
    "n-triples": ("application/n-triples", lambda data: Graph().parse(data=data, format="nt")),
    "json-ld (rdflib)": ("application/ld+json", rdflib_graph),
    "json-ld (pyld)": ("application/ld+json", pyld_graph),
}
EXPORTED = {"text/turtle": "ttl", "application/n-triples": "nt", "application/ld+json": "jsonld"}


@pytest.fixture(scope="module")
def release() -> Graph:
    """Every file of the release the server loads into its default graph, read by rdflib."""
    graph = Graph()
    directory = bundled_release()[1]
    for name in RELEASE_GRAPH_FILES:
        graph.parse(directory / name, format="nt" if name.endswith(".nt") else "turtle")
    return graph


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "out"
    data, release = bundled_release()
    cli("export-site", out, "--data", data, "--out", release, timeout=300)
    return out / "www" / "resources"


def the_dump_for(release: Graph, iri: str) -> set[tuple]:
    """The release's triples a description of ``iri`` holds: with it as subject or object,
    and those of the parts it owns (IRIs under ``iri/`` linked with it)."""
    node, prefix = URIRef(iri), iri.rstrip("/") + "/"
    found = set(release.triples((node, None, None))) | set(release.triples((None, None, node)))
    parts = {t for s, _, o in found for t in (s, o)
             if isinstance(t, URIRef) and str(t).startswith(prefix)}
    for part in parts:
        found |= set(release.triples((part, None, None)))
    return found


def assert_is_the_dump(graph: Graph, release: Graph) -> None:
    described = set(graph)
    assert described == the_dump_for(release, PLEDGE)
    for predicate, datatype in COUNTS.items():
        [value] = graph.objects(URIRef(PLEDGE), URIRef(predicate))
        assert isinstance(value, Literal) and value.datatype == datatype, predicate


def assert_compacted_as_the_context_says(document: dict) -> None:
    assert document["@id"] == "id:" + PLEDGE.removeprefix(IRIS.base + "id/")
    assert document["pledgeNumber"] == "1"
    for term in ("pledgeNumber", "sourceLine", "declaredWordCount", "computedWordCount"):
        assert isinstance(document[term], str), (term, document[term])
    assert "xsd:integer" not in json.dumps(document)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_dereferenced_pledge_is_the_dump_for_it(http, release, reader):
    media_type, read = READERS[reader]
    r = http.get("/" + PLEDGE.removeprefix(IRIS.base), headers={"Accept": media_type})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media_type)
    assert_is_the_dump(read(r.content), release)


def test_a_dereferenced_pledge_in_n_triples_writes_the_published_literals(http):
    r = http.get("/" + PLEDGE.removeprefix(IRIS.base),
                 headers={"Accept": "application/n-triples"})
    number = f'<{PLEDGE}> <{PG}pledgeNumber> "1"^^<{XSD.positiveInteger}> .'
    assert number in r.text.splitlines()
    assert "#integer>" not in r.text


def test_the_pledges_json_ld_compacts_its_counts_per_the_context(http):
    r = http.get("/" + PLEDGE.removeprefix(IRIS.base), headers={"Accept": "application/ld+json"})
    context = http.get("/context.jsonld").json()["@context"]
    assert context["pledgeNumber"]["@type"] == "xsd:positiveInteger"
    assert_compacted_as_the_context_says(r.json())


def test_sparql_answers_stay_the_engines(http):
    """A query reads the store, which says xsd:integer (docs/serving.md); the one-subject
    lookup, read from the index, says the same."""
    for query in (f"SELECT ?o WHERE {{ <{PLEDGE}> <{PG}pledgeNumber> ?o }}",
                  f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o }}"):
        answer = http.get("/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"}).json()
        [value] = [row["o"] for row in answer["results"]["bindings"]
                   if row.get("p", {}).get("value", f"{PG}pledgeNumber") == f"{PG}pledgeNumber"]
        assert value["datatype"] == str(XSD.integer)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_an_exported_pledge_is_the_dump_for_it(site, release, reader):
    media_type, read = READERS[reader]
    path = site / (PLEDGE.removeprefix(IRIS.base) + "." + EXPORTED[media_type])
    assert_is_the_dump(read(path.read_bytes()), release)


def test_an_exported_pledges_json_ld_compacts_its_counts_per_the_context(site):
    path = site / (PLEDGE.removeprefix(IRIS.base) + ".jsonld")
    assert_compacted_as_the_context_says(json.loads(path.read_bytes()))
