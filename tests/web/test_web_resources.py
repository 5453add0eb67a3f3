"""Dereferencing on a real server: every row of the linked-data conventions table
(reference/linked-data-conventions.md), for a pledge, an actor, a concept, an ontology term
and the dataset; resource contents; the read-only Graph Store Protocol."""

from __future__ import annotations

import re
from email.utils import format_datetime, parsedate_to_datetime

import pyoxigraph as ox
import pytest
from web_server import bundled_release

from pledge_graph.rdf.vocab import Iris

IRIS = Iris()
BASE = IRIS.base
PLEDGE = "id/pledge/japan-2023/1"
FACT = "id/fact/japan-2023/1/org-unafei"
OA = "http://www.w3.org/ns/oa#"
RESOURCES = [PLEDGE, "id/state/jpn", "id/rights-holders/migrants", "ontology/Pledge", "dataset"]
RDF_TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json",
             "nt": "application/n-triples", "rdf": "application/rdf+xml"}
INTEGER_TYPES = re.compile(r"http://www.w3.org/2001/XMLSchema#(\w*[iI]nteger|int|long)")


def media_type(response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def triples(response) -> set[ox.Triple]:
    fmt = ox.RdfFormat.from_media_type(media_type(response))
    return {q.triple for q in ox.parse(response.content, format=fmt)}


def _canonical(triple: ox.Triple) -> ox.Triple:
    """Integer literals with their derived datatype written as xsd:integer: the store keeps
    numbers in canonical form (Oxigraph normalises derived integer types on load), and the
    graph store protocol answers from it; resource documents keep the release's types."""
    o = triple.object
    if isinstance(o, ox.Literal) and INTEGER_TYPES.fullmatch(o.datatype.value):
        o = ox.Literal(str(int(o.value)), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer"))
    return ox.Triple(triple.subject, triple.predicate, o)


def _ground(found: set[ox.Triple]) -> set[ox.Triple]:
    """The triples without blank nodes (blank node labels differ between documents)."""
    return {t for t in found if not isinstance(t.subject, ox.BlankNode)
            and not isinstance(t.object, ox.BlankNode)}


@pytest.mark.parametrize("path", RESOURCES)
@pytest.mark.parametrize("accept", [None, "*/*", "text/html",
                                    "application/rdf+xml;q=0.9, text/html", "text/*",
                                    "text/html,application/xhtml+xml,*/*;q=0.8"])
def test_browsers_and_no_preference_get_html(http, path, accept):
    headers = {"Accept": accept} if accept is not None else {}
    if accept is None:
        http_headers = http.headers.copy()
        http_headers.pop("accept", None)
        r = http.get("/" + path, headers=http_headers)
    else:
        r = http.get("/" + path, headers=headers)
    assert r.status_code == 200 and media_type(r) == "text/html"
    assert r.headers["vary"] == "Accept"
    assert r.headers["content-location"] == f"/{path}?format=html"
    links = r.headers["link"]
    for key, mt in RDF_TYPES.items():
        assert f'</{path}?format={key}>; rel="alternate"; type="{mt}"' in links


@pytest.mark.parametrize("path", RESOURCES)
def test_every_rdf_format_is_served_and_all_agree(http, path):
    answers = {}
    for key, mt in RDF_TYPES.items():
        r = http.get("/" + path, headers={"Accept": mt})
        assert r.status_code == 200 and media_type(r) == mt
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["content-location"] == f"/{path}?format={key}"
        answers[key] = triples(r)
    assert answers["ttl"] == answers["jsonld"] == answers["nt"] == answers["rdf"]
    thing = ox.NamedNode(BASE + path)
    assert any(t.subject == thing for t in answers["ttl"]), "triples about the thing itself"
    in_dataset = ox.Triple(thing, ox.NamedNode("http://rdfs.org/ns/void#inDataset"),
                           ox.NamedNode(str(IRIS.dataset())))
    assert in_dataset in answers["ttl"]


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/html;q=0.5, text/turtle", "text/turtle"),
    ("application/rdf+xml;q=0.9, text/html", "text/html"),
    ("application/*", "application/ld+json"),
    ("text/*", "text/html"),
    (("application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,"
     "application/n-triples;q=0.8,text/turtle;q=0.6,text/html;q=0.2"), "application/ld+json"),
])
def test_q_values_and_wildcards_are_honoured(http, accept, expected):
    assert media_type(http.get("/" + PLEDGE, headers={"Accept": accept})) == expected


@pytest.mark.parametrize(("fmt", "expected"), [*RDF_TYPES.items(), ("html", "text/html")])
def test_format_parameter_wins_over_accept(http, fmt, expected):
    r = http.get(f"/{PLEDGE}?format={fmt}", headers={"Accept": "image/png"})
    assert r.status_code == 200 and media_type(r) == expected


@pytest.mark.parametrize("accept", ["image/png", "garbage", "text/html;q=x"])
def test_unacceptable_type_is_406_listing_alternatives(http, accept):
    r = http.get("/" + PLEDGE, headers={"Accept": accept})
    assert r.status_code == 406
    for mt in ["text/html", *RDF_TYPES.values()]:
        assert mt in r.text


def test_head_has_the_headers_of_get_and_no_body(http):
    got = http.get("/" + PLEDGE, headers={"Accept": "text/turtle"})
    head = http.head("/" + PLEDGE, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "content-length", "etag", "last-modified", "vary",
                 "content-location", "access-control-allow-origin"):
        assert head.headers[name] == got.headers[name]


def test_conditional_requests_get_304(http):
    r = http.get("/" + PLEDGE, headers={"Accept": "text/turtle"})
    tag, modified = r.headers["etag"], r.headers["last-modified"]
    assert tag.startswith('"') and not tag.startswith("W/")
    again = http.get("/" + PLEDGE, headers={"Accept": "text/turtle", "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    since = http.get("/" + PLEDGE, headers={"Accept": "text/turtle",
                                            "If-Modified-Since": modified})
    assert since.status_code == 304
    before = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    older = http.get("/" + PLEDGE, headers={"Accept": "text/turtle", "If-Modified-Since": before})
    assert older.status_code == 200
    other_format = http.get("/" + PLEDGE, headers={"Accept": "application/ld+json",
                                                   "If-None-Match": tag})
    assert other_format.status_code == 200 and other_format.headers["etag"] != tag


@pytest.mark.parametrize("path", ["id/pledge/japan-2023/99", "id/state/xxx", "ontology/Nope",
                                  "nothing/here"])
def test_unknown_iri_is_404(http, path):
    r = http.get("/" + path, headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and BASE + path in r.text


def test_pledge_description_links_both_ways(http):
    got = triples(http.get("/" + PLEDGE, headers={"Accept": "application/n-triples"}))
    pledge = ox.NamedNode(BASE + PLEDGE)
    submission = ox.NamedNode(str(IRIS.submission("japan-2023")))
    assert ox.Triple(pledge, ox.NamedNode(str(IRIS.ontology) + "submission"), submission) in got
    assert ox.Triple(submission, ox.NamedNode(str(IRIS.ontology) + "pledge"), pledge) in got


def test_submission_description_holds_its_checksum_node(http):
    got = triples(http.get("/id/submission/japan-2023?format=nt"))
    subjects = {t.subject.value for t in got}
    assert str(IRIS.submission("japan-2023")) + "/sha256" in subjects


def test_pledge_page_shows_labels_links_provenance_and_a_query_link(http):
    html = http.get("/" + PLEDGE, headers={"Accept": "text/html"}).text
    assert "Japan, pledge 1 (December 2023)" in html
    assert 'href="/id/state/jpn"' in html
    assert 'href="/id/submission/japan-2023"' in html
    assert 'href="/id/rights-holders/judges-lawyers-and-prosecutors"' in html
    assert "Provenance" in html and "hadPrimarySource" in html
    assert "/sparql?query=DESCRIBE%20%3Chttps%3A//w3id.org/pledge-graph/id/pledge/" in html
    assert "The rule of law is the foundation" in html


def test_turtle_writes_minted_iris_in_full_not_as_escaped_prefixed_names(http):
    turtle = http.get("/id/pledge/japan-2023/3", headers={"Accept": "text/turtle"}).text
    assert "\\/" not in turtle
    assert "<https://w3id.org/pledge-graph/id/state/jpn>" in turtle
    assert "pg:pledgedBy" in turtle


def test_pages_name_the_resources_they_link_to(http):
    html = http.get("/id/pledge/japan-2023/3", headers={"Accept": "text/html"}).text
    assert re.search(r'<a href="/id/state/jpn"[^>]*>Japan</a>', html)
    assert re.search(r'<a href="/id/state/sdn"[^>]*>Sudan</a>', html)
    assert re.search(r'<a href="/id/rights-holders/women-and-girls"[^>]*>Women &amp; girls</a>',
                     html)
    # properties stay prefixed names, with the full IRI as the hint
    assert re.search(r'<a href="[^"]*"[^>]*title="[^"]*pledgedBy">pg:pledgedBy</a>', html)


def test_the_dump_is_the_union_of_the_resource_documents(http):
    """Each triple of the dump, datatypes included, is in a resource's document."""
    release = bundled_release()[1]
    dump = {q.triple for q in ox.parse(path=str(release / "pledge-graph.nt"))}
    # a hash IRI (a fact's evidence) is described in its document's description
    subjects = sorted({t.subject.value.partition("#")[0] for t in dump
                       if t.subject.value.startswith(BASE)})
    union: set[ox.Triple] = set()
    for iri in subjects:
        r = http.get("/" + iri[len(BASE):], headers={"Accept": "application/n-triples"})
        assert r.status_code == 200, iri
        union |= triples(r)
    assert dump - union == set()


def test_a_facts_description_holds_its_evidence_and_selectors(http):
    """One request gives a fact with where it was read: its target and both selectors are
    hash IRIs of its document, described in it, in every format."""
    fact = BASE + FACT
    for fmt in RDF_TYPES:
        got = triples(http.get(f"/{FACT}?format={fmt}"))
        said = {(t.subject.value, t.predicate.value): t.object for t in got}
        assert said[(fact, str(IRIS.ontology) + "evidence")] == ox.NamedNode(fact + "#target")
        assert said[(fact + "#target", OA + "hasSource")] == ox.NamedNode(BASE + PLEDGE)
        assert said[(fact + "#quote", OA + "exact")].value == "UNAFEI"
        start, end = said[(fact + "#position", OA + "start")], said[(fact + "#position", OA + "end")]
        assert int(end.value) - int(start.value) == len("UNAFEI")
    page = http.get("/" + FACT, headers={"Accept": "text/html"}).text
    # each part's rows begin where its fragment leads, and it goes by its fragment
    for part in ("target", "quote", "position"):
        assert page.count(f'<tr id="{part}">') == 1, part
        assert f'<a href="/{FACT}#{part}" title="{fact}#{part}">#{part}</a>' in page
    assert "through organizations including" in page


@pytest.mark.parametrize("part", ["target", "quote", "position"])
def test_slash_iris_of_a_facts_parts_redirect_to_their_hash_iris(http, part):
    """IRIs minted before the evidence became part of its fact's document keep resolving:
    301 to the hash IRI, the query string kept; followed, the fact's document holds it."""
    r = http.get(f"/{FACT}/{part}", headers={"Accept": "text/turtle"})
    assert r.status_code == 301 and r.headers["location"] == f"/{FACT}#{part}"
    assert BASE + f"{FACT}#{part}" in r.text
    r = http.get(f"/{FACT}/{part}", params={"format": "nt"})
    assert r.status_code == 301 and r.headers["location"] == f"/{FACT}?format=nt#{part}"
    followed = http.get(f"/{FACT}/{part}", params={"format": "nt"}, follow_redirects=True)
    assert followed.status_code == 200 and media_type(followed) == "application/n-triples"
    assert any(t.subject.value == BASE + f"{FACT}#{part}" for t in triples(followed))
    for missing in (f"/id/fact/japan-2023/1/no-such-fact/{part}", f"/{PLEDGE}/{part}",
                    f"/{FACT}/{part}/more"):
        assert http.get(missing).status_code == 404, missing


@pytest.mark.parametrize("path", ["ontology", "id/rights-holders", "shapes/core",
                                  "queries/word-counts", "catalog", "sparql"])
def test_other_minted_iris_dereference(http, path):
    r = http.get("/" + path, headers={"Accept": "text/turtle"})
    assert r.status_code == 200, r.text
    assert any(t.subject == ox.NamedNode(BASE + path) for t in triples(r))


def test_graph_store_protocol_reads_graphs(http):
    graph = str(IRIS.dump("ontology.ttl"))
    r = http.get("/store", params={"graph": graph}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and media_type(r) == "text/turtle"
    release = bundled_release()[1]
    expected = {_canonical(q.triple) for q in ox.parse(path=str(release / "ontology.ttl"))}
    got = {_canonical(t) for t in triples(r)}
    assert len(got) == len(expected)
    assert _ground(got) == _ground(expected)
    default = http.get("/store?default", headers={"Accept": "application/n-triples"})
    assert default.status_code == 200
    assert _ground(expected) <= _ground({_canonical(t) for t in triples(default)})
    missing = http.get("/store", params={"graph": "http://example.org/none"})
    assert missing.status_code == 404
    assert http.get("/store").status_code == 400


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_graph_store_refuses_writes(http, method):
    r = http.request(method, "/store?default", content=b"<http://a> <http://b> <http://c> .",
                     headers={"Content-Type": "application/n-triples"})
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    count = http.get("/sparql", params={"query": "ASK { <http://a> <http://b> <http://c> }"})
    assert count.json()["boolean"] is False
