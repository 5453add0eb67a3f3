"""The W3C SPARQL 1.1 Protocol test cases (query side) and Service Description cases,
replayed against a real server whose store holds the tests' graphs (``--also``).

The cases are those of https://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/
(manifest.ttl), at the path the manifest uses (``/sparql/``). The update cases expect a
read-write service; this one is read-only, so each update is checked to be refused with a
4XX instead, and to change nothing.
"""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
import pytest
from web_server import W3C_GRAPHS, Server, w3c_quads

from pledge_graph.rdf.vocab import SD

D0 = quote("http://kasei.us/2009/09/sparql/data/data0.rdf", safe="")
D1, D2, D3 = (quote(g, safe="") for g in W3C_GRAPHS)
G1, G2, G3 = W3C_GRAPHS
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}
BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"text/turtle", "application/rdf+xml", "application/n-triples",
             "application/ld+json"}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    server = Server("--also", w3c_quads(tmp_path_factory.mktemp("w3c")))
    with server.client() as client:
        yield client
    server.stop()


def media_type(response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def boolean(response) -> bool:
    assert 200 <= response.status_code < 400, response.text
    assert media_type(response) in BOOLEAN_TYPES
    answer = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    return bool(answer)


def test_query_post_form(http):
    r = http.post(f"/sparql/?default-graph-uri={D0}", content="query=ASK%20%7B%7D",
                  headers=FORM)
    assert boolean(r) is True


def test_query_dataset_default_graphs_get(http):
    query = quote(f"ASK {{ <{G1}> a ?type . <{G2}> a ?type . }}")
    r = http.get(f"/sparql/?query={query}&default-graph-uri={D1}&default-graph-uri={D2}")
    assert boolean(r) is True


def test_query_dataset_default_graphs_post(http):
    r = http.post(f"/sparql/?default-graph-uri={D1}&default-graph-uri={D2}",
                  content=f"ASK {{ <{G1}> a ?type . <{G2}> a ?type . }}", headers=DIRECT)
    assert boolean(r) is True


def test_query_dataset_named_graphs_post(http):
    r = http.post(f"/sparql/?named-graph-uri={D1}&named-graph-uri={D2}",
                  content=f"ASK {{ GRAPH ?g1 {{ <{G1}> a ?type }} GRAPH ?g2 {{ <{G2}> a ?type }} }}",
                  headers=DIRECT)
    assert boolean(r) is True


def test_query_dataset_named_graphs_get(http):
    query = quote(f"ASK {{ GRAPH ?g1 {{ <{G1}> a ?type }} GRAPH ?g2 {{ <{G2}> a ?type }} }}")
    r = http.get(f"/sparql/?query={query}&named-graph-uri={D1}&named-graph-uri={D2}")
    assert boolean(r) is True


def test_query_dataset_full(http):
    query = (f"ASK {{\n  <{G3}> a ?type\n  GRAPH ?g1 {{ <{G1}> a ?type }}\n"
             f"  GRAPH ?g2 {{ <{G2}> a ?type }}\n}}")
    r = http.post(f"/sparql/?default-graph-uri={D3}&named-graph-uri={D1}&named-graph-uri={D2}",
                  content=query, headers=DIRECT)
    assert boolean(r) is True


def test_query_multiple_dataset_uses_the_protocol_dataset(http):
    query = (f"ASK FROM <{G3}> {{ GRAPH ?g1 {{ <{G1}> a ?type }} "
             f"GRAPH ?g2 {{ <{G2}> a ?type }} }}")
    # the manifest's request, its second parameter behind an encoded "&"
    as_in_manifest = f"/sparql/?named-graph-uri={D1}%26named-graph-uri%3D{D2}"
    assert boolean(http.post(as_in_manifest, content=query, headers=DIRECT)) is True
    r = http.post(f"/sparql/?named-graph-uri={D1}&named-graph-uri={D2}", content=query,
                  headers=DIRECT)
    assert boolean(r) is True
    only_one = http.post(f"/sparql/?named-graph-uri={D1}", content=query, headers=DIRECT)
    assert boolean(only_one) is False
    without = http.post("/sparql/", content=query, headers=DIRECT)
    assert boolean(without) is False


def test_protocol_default_graph_replaces_from(http):
    query = f"ASK FROM <{G3}> {{ <{G1}> a ?type }}"
    assert boolean(http.post("/sparql/", content=query, headers=DIRECT)) is False
    r = http.post(f"/sparql/?default-graph-uri={D1}", content=query, headers=DIRECT)
    assert boolean(r) is True


def test_query_get(http):
    assert boolean(http.get(f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={D0}")) is True


def test_query_post_direct(http):
    assert boolean(http.post("/sparql/", content="ASK {}", headers=DIRECT)) is True


@pytest.mark.parametrize(("query", "types"), [
    ("SELECT (1 AS ?value) {}", TABULAR_TYPES),
    ("ASK {}", BOOLEAN_TYPES),
    ("DESCRIBE <http://example.org/>", RDF_TYPES),
    ("CONSTRUCT { <s> <p> 1 } WHERE {}", RDF_TYPES),
], ids=["select", "ask", "describe", "construct"])
def test_query_content_type(http, query, types):
    r = http.post(f"/sparql/?default-graph-uri={D0}", content=query, headers=DIRECT)
    assert 200 <= r.status_code < 400, r.text
    assert media_type(r) in types


def test_construct_without_accept_is_turtle_not_nquads(http):
    r = http.post("/sparql/", content="CONSTRUCT { <http://s> <http://p> 1 } WHERE {}",
                  headers={**DIRECT, "Accept": ""})
    assert media_type(r) == "text/turtle"
    assert {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.TURTLE)} == {
        ox.Triple(ox.NamedNode("http://s"), ox.NamedNode("http://p"),
                  ox.Literal("1", datatype=ox.NamedNode(
                      "http://www.w3.org/2001/XMLSchema#integer")))}


BAD = [
    ("bad_query_method", "PUT", f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={D0}",
     b"", FORM),
    ("bad_multiple_queries", "GET", "/sparql/?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D",
     None, {}),
    ("bad_query_wrong_media_type", "POST", "/sparql/", b"ASK {}",
     {"Content-Type": "text/plain"}),
    ("bad_query_missing_form_type", "POST", "/sparql/", b"query=ASK%20%7B%7D", {}),
    ("bad_query_missing_direct_type", "POST", "/sparql/", b"ASK {}", {}),
    ("bad_query_non_utf8", "POST", "/sparql/", "ASK {}".encode("utf-16"),
     {"Content-Type": "application/sparql-query; charset=UTF-16"}),
    ("bad_query_syntax", "GET", "/sparql/?query=ASK%20%7B", None, {}),
    ("bad_update_get", "GET", "/sparql/?update=CLEAR%20ALL", None, {}),
    ("bad_multiple_updates", "POST", "/sparql/",
     b"update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM),
    ("bad_update_wrong_media_type", "POST", "/sparql/", b"CLEAR NAMED",
     {"Content-Type": "text/plain"}),
    ("bad_update_missing_form_type", "POST", "/sparql/", b"update=CLEAR%20NAMED", {}),
    ("bad_update_non_utf8", "POST", "/sparql/", "CLEAR NAMED".encode("utf-16"),
     {"Content-Type": "application/sparql-update; charset=UTF-16"}),
    ("bad_update_syntax", "POST", "/sparql/", b"update=CLEAR%20XYZ", FORM),
    ("bad_update_dataset_conflict", "POST",
     "/sparql/?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
     (b"PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nWITH <http://example/addresses>\n"
     b"DELETE { ?person foaf:givenName 'Bill' }\nINSERT { ?person foaf:givenName 'William' }\n"
     b"WHERE { ?person foaf:givenName 'Bill' }"), {"Content-Type": "application/sparql-update"}),
    # the update cases of the manifest: refused by a read-only service
    ("update_post_form", "POST", "/sparql/", b"update=CLEAR+ALL", FORM),
    ("update_post_direct", "POST", "/sparql/", b"CLEAR ALL",
     {"Content-Type": "application/sparql-update"}),
    ("update_dataset_default_graph", "POST", f"/sparql/?using-graph-uri={D1}",
     b"CLEAR ALL", {"Content-Type": "application/sparql-update"}),
    ("update_base_uri", "POST", "/sparql/",
     b"CLEAR GRAPH <http://example.org/protocol-base-test/>",
     {"Content-Type": "application/sparql-update"}),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_bad_requests_and_updates_get_a_4xx_and_change_nothing(http, method, path, body,
                                                                 headers):
    r = http.request(method, path, content=body, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.text.strip()
    still = quote(f"ASK {{ GRAPH <{G1}> {{ <{G1}> a ?type }} }}")
    assert boolean(http.get(f"/sparql/?query={still}")) is True


def test_bad_query_method_names_the_allowed_methods(http):
    r = http.put(f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={D0}", headers=FORM)
    assert r.status_code == 405 and set(r.headers["allow"].replace(" ", "").split(",")) >= {
        "GET", "POST"}


@pytest.mark.parametrize("path", ["/sparql", "/sparql/"])
def test_service_description_has_a_matching_endpoint_and_is_rdf(http, path):
    r = http.get(path, headers={"Accept": "text/turtle, application/rdf+xml;q=0.9"})
    assert r.status_code == 200 and media_type(r) == "text/turtle"
    triples = {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.TURTLE)}
    endpoint = ox.NamedNode(str(http.base_url).rstrip("/") + path)
    services = {t.subject for t in triples if t.predicate == ox.NamedNode(str(SD.endpoint))
                and t.object == endpoint}
    assert len(services) == 1
    service = services.pop()
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert ox.Triple(service, rdf_type, ox.NamedNode(str(SD.Service))) in triples
    assert ox.Triple(service, ox.NamedNode(str(SD.supportedLanguage)),
                     ox.NamedNode(str(SD.SPARQL11Query))) in triples
    graphs = {t.object.value for t in triples if t.predicate == ox.NamedNode(str(SD.name))}
    assert set(W3C_GRAPHS) <= graphs
