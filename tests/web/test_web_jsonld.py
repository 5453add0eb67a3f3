"""JSON-LD from a real server, read offline: the dump as downloaded from /dumps/, and each kind
of resource (pledge, actor, organisation, concept, fact, submission, ontology term) answered
with the resource as the top node, compacted with the project's context, which it embeds.
rdflib, pyld and jsonld.js read each with the network closed; each is the Turtle's graph."""

from __future__ import annotations

import gzip
import json
import random

import pyoxigraph as ox
import pytest
from jsonld_readers import READERS, refuse_documents
from pyld import jsonld
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from pledge_graph.rdf.vocab import Iris
from pledge_graph.web.resources import framed_jsonld

pytestmark = pytest.mark.filterwarnings(  # rdflib's JSON-LD parser, on every document
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

IRIS = Iris()
PG, SKOS = str(IRIS.ontology), "http://www.w3.org/2004/02/skos/core#"
KINDS = {
    "pledge": f"{PG}Pledge",
    "actor": "http://xmlns.com/foaf/0.1/Agent",
    "organisation": "http://www.w3.org/ns/org#FormalOrganization",
    "concept": f"{SKOS}Concept",
    "fact": f"{PG}Fact",
    "submission": f"{PG}Submission",
    "ontology term": "http://www.w3.org/2002/07/owl#Class",
}
SEVERAL = 4  # resources of each kind, first by IRI
LD = {"Accept": "application/ld+json"}


def instances(http, kind: str) -> list[str]:
    """IRIs of resources of a kind (served under this server's base), asked of /sparql."""
    query = (f"SELECT DISTINCT ?s WHERE {{ ?s a <{KINDS[kind]}> "
             f'FILTER(STRSTARTS(STR(?s), "{IRIS.base}")) }} ORDER BY ?s LIMIT {SEVERAL}')
    answer = http.get("/sparql", params={"query": query},
                      headers={"Accept": "application/sparql-results+json"}).json()
    found = [row["s"]["value"] for row in answer["results"]["bindings"]]
    assert found, f"no {kind} in the bundled release"
    return found


def get(http, iri: str, accept: str) -> bytes:
    r = http.get("/" + iri.removeprefix(IRIS.base), headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    return r.content


def turtle(http, iri: str) -> Graph:
    return Graph().parse(data=get(http, iri, "text/turtle"), format="turtle")


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("name", ["pledge-graph.jsonld", "pledge-graph.jsonld.gz"])
def test_downloaded_dump_reads_offline_as_the_turtle_dump(http, name: str, reader: str) -> None:
    r = http.get(f"/dumps/{name}")
    assert r.status_code == 200
    data = gzip.decompress(r.content) if name.endswith(".gz") else r.content
    ttl = Graph().parse(data=http.get("/dumps/pledge-graph.ttl").content, format="turtle")
    assert isomorphic(READERS[reader](data), ttl) and len(ttl) > 500


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_resources_read_offline_as_their_turtle(http, kind: str, reader: str) -> None:
    for iri in instances(http, kind):
        graph = READERS[reader](get(http, iri, "application/ld+json"))
        assert isomorphic(graph, turtle(http, iri)), iri


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_resource_is_the_top_node_under_the_served_context(http, kind: str) -> None:
    served = http.get("/context.jsonld").json()["@context"]
    for iri in instances(http, kind):
        document = json.loads(get(http, iri, "application/ld+json"))
        assert list(document)[:2] == ["@context", "@id"] and document["@context"] == served
        [node] = jsonld.expand(document, {"documentLoader": refuse_documents})
        assert node["@id"] == iri, "the requested resource is the one top node"
        keys = [k for k in document if not k.startswith("@")]
        assert keys == sorted(keys), "its own properties, by name"
        if "@reverse" in document:
            assert list(document)[-1] in ("@reverse", "@included"), "then what links to it"
        for prop, linking in document.get("@reverse", {}).items():
            for value in linking if isinstance(linking, list) else [linking]:
                back = value.get(prop, []) if isinstance(value, dict) else []
                assert document["@id"] not in (back if isinstance(back, list) else [back]), \
                    "the link back is stated once, not again inside the linking node"


def test_pledge_reads_as_a_web_developer_expects(http) -> None:
    """Terms of the context, values as plain strings and language maps, who links to it."""
    [pledge, *_] = instances(http, "pledge")
    document = json.loads(get(http, pledge, "application/ld+json"))
    ttl = turtle(http, pledge)
    pg = IRIS.ontology
    assert document["@type"] == "Pledge"
    actor = str(ttl.value(URIRef(pledge), pg.pledgedBy))
    assert document["pledgedBy"] == "id:" + actor.removeprefix(str(IRIS.base) + "id/")
    text = next(o for o in ttl.objects(predicate=pg.pledgeText))
    assert document["pledgeText"][text.language] == str(text)
    facts = sorted(str(s) for s in ttl.subjects(pg.statedIn, None))
    stated = document["@reverse"]["statedIn"]
    assert sorted(IRIS.base + "id/" + f.removeprefix("id:") for f in stated) == facts


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_answer_bytes_do_not_depend_on_the_store_order(http, kind: str) -> None:
    context = {"@context": http.get("/context.jsonld").json()["@context"]}
    for iri in instances(http, kind):
        nt = get(http, iri, "application/n-triples")
        triples = [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
        first = framed_jsonld(triples, iri, context)
        random.Random(len(triples)).shuffle(triples)
        assert framed_jsonld(triples, iri, context) == first
        assert get(http, iri, "application/ld+json") == first


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_description_past_the_bound_is_framed_in_expanded_form(http, reader: str) -> None:
    """A class on a large corpus is described by more triples than pyld compacts quickly:
    the same nesting, written with full IRIs and no context, still reads as the Turtle."""
    [pledge, *_] = instances(http, "pledge")
    nt = get(http, pledge, "application/n-triples")
    triples = [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
    context = {"@context": http.get("/context.jsonld").json()["@context"]}
    answer = framed_jsonld(triples, pledge, context, most=len(triples) - 1)
    document = json.loads(answer)
    assert next(iter(document)) == "@id" and document["@id"] == pledge
    assert "@context" not in document and list(document)[-1] == "@reverse"
    assert isomorphic(READERS[reader](answer), turtle(http, pledge))
