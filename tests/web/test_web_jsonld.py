"""JSON-LD from a real server, read offline: the dump as downloaded from /dumps/, and each kind
of resource (pledge, actor, organisation, concept, fact, submission, ontology term) answered
with the resource as the top node, compacted with the project's context, which it embeds
(the entries it is read with).
rdflib, pyld and jsonld.js read each with the network closed; each is the Turtle's graph.
The kept compaction choices give, for every resource of the bundled release and of a
generated corpus, the very bytes pyld's own compaction gives."""

from __future__ import annotations

import gzip
import importlib.util
import json
import random
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from jsonld_readers import READERS, refuse_documents
from pyld import jsonld
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from web_server import bundled_release, cli

from pledge_graph.paths import DATA_DIR
from pledge_graph.rdf.vocab import Iris
from pledge_graph.records.importer import import_documents
from pledge_graph.site.documents import canonical_blank_nodes
from pledge_graph.sparql.queries import example_triples, load_examples
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.loading import load_inputs
from pledge_graph.web.framing import framed_jsonld, framed_jsonld_at_once
from pledge_graph.web.resources import describe

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
        assert list(document)[:2] == ["@context", "@id"]
        embedded = document["@context"]
        assert embedded == {k: v for k, v in served.items() if k in embedded}, \
            "the served context's own entries, in its order"
        assert embedded["@version"] == 1.1 and len(embedded) < len(served)
        [node] = jsonld.expand(document, {"documentLoader": refuse_documents})
        whole = jsonld.expand({**document, "@context": served},
                              {"documentLoader": refuse_documents})
        assert [node] == whole, "it reads as it does with the whole context"
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


GENERATOR = Path(__file__).parents[2] / "bench" / "generate.py"


def _generated_release(tmp: Path) -> Path:
    """About forty generated pledges, imported and built."""
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # dataclasses look their module up while it loads
    spec.loader.exec_module(generator)
    data = tmp / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    import_documents(generator.generate(40, 11, tmp / "corpus"), data)
    cli("build", "--data", data, "--out", tmp / "dist", timeout=300)
    return tmp / "dist"


@pytest.mark.parametrize("corpus", ["bundled", "generated"])
def test_every_resource_compacts_to_pyld_bytes(corpus: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every IRI under the base the release (and the example queries) mention, described as
    the server describes it: the kept choices give pyld's bytes, without calling pyld's
    compaction, and the JSON text is ``json.dumps``'s."""
    release = bundled_release()[1] if corpus == "bundled" else _generated_release(tmp_path)
    store = EmbeddedStore()
    load_inputs(store, release, IRIS,
                extra_triples=example_triples(load_examples(), IRIS, str(IRIS.sparql())))
    context = json.loads((release / "context.jsonld").read_text(encoding="utf-8"))
    settings = SimpleNamespace(store=store, iris=IRIS)
    iris = sorted({term.value for quad in store.native.quads_for_pattern(None, None, None,
                                                                         ox.DefaultGraph())
                   for term in (quad.subject, quad.object)
                   if isinstance(term, ox.NamedNode) and term.value.startswith(IRIS.base)})
    assert len(iris) > 400
    described = [(iri, canonical_blank_nodes(describe(settings, iri) or [])) for iri in iris]
    expected = [framed_jsonld(triples, iri, context, reference=True)
                for iri, triples in described]
    for iri, triples in described:  # past the bound: the same nesting in expanded form
        assert (framed_jsonld(triples, iri, context, most=0)
                == framed_jsonld(triples, iri, context, most=0, reference=True)), iri

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("pyld's compaction was called")

    monkeypatch.setattr(jsonld, "compact", refused)
    lists = at_once = 0
    for (iri, triples), reference in zip(described, expected, strict=True):
        assert framed_jsonld(triples, iri, context) == reference, iri
        lists += b'"@list"' in reference
        # the same triples as the lookup index gives them: N-Triples lines, as written
        lines = [f"{triple} .\n" for triple in triples]
        answer = framed_jsonld_at_once(lines, iri, context)
        assert answer in (reference, None), iri  # None: only pyld's compaction would do
        at_once += answer is not None
    assert lists > 0 or corpus == "generated", "OWL and SHACL lists are among them"
    assert at_once > len(described) * 0.9
