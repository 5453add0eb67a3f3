"""Dumps, dataset metadata and the landing page on a real server."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time

import httpx
import pyoxigraph as ox
import pytest
from web_server import Server, bundled_release, fronts_pss_mb, generated_release

from pledge_graph.rdf.vocab import VOID, Iris

IRIS = Iris()
TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples",
         ".jsonld": "application/ld+json", ".gz": "application/gzip",
         ".json": "application/json", ".sqlite": "application/vnd.sqlite3",
         ".svg": "image/svg+xml", ".csv": "text/csv"}


@pytest.fixture(scope="module")
def release():
    return bundled_release()[1]


def release_files(release):
    return sorted(p for p in release.iterdir() if p.is_file())


def test_listing_names_every_file_of_the_release(http, release):
    html = http.get("/dumps/").text
    listed = set(re.findall(r'href="/dumps/([^"]+)"', html))
    assert listed == {p.name for p in release_files(release)}


def test_every_file_is_served_as_it_is_with_its_media_type(http, release):
    manifest = json.loads((release / "manifest.json").read_text())
    for path in release_files(release):
        r = http.get(f"/dumps/{path.name}")
        assert r.status_code == 200
        assert r.content == path.read_bytes()
        assert r.headers["content-type"].split(";")[0] == TYPES[path.suffix]
        assert int(r.headers["content-length"]) == path.stat().st_size
        assert r.headers["etag"].startswith('"') and r.headers["last-modified"]
        assert "max-age" in r.headers["cache-control"]
        assert r.headers["access-control-allow-origin"] == "*"
        if path.name in manifest.get("files", {}):
            assert hashlib.sha256(r.content).hexdigest() == manifest["files"][path.name]["sha256"]


def test_compressed_dumps_are_gzip_files_not_content_encoding(http, release):
    r = http.get("/dumps/pledge-graph.nt.gz", headers={"Accept-Encoding": "identity"})
    assert r.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in r.headers
    assert r.content[:2] == b"\x1f\x8b"


def test_head_and_304_on_a_dump(http):
    got = http.get("/dumps/pledge-graph.ttl")
    head = http.head("/dumps/pledge-graph.ttl")
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "content-length", "etag", "last-modified"):
        assert head.headers[name] == got.headers[name]
    again = http.get("/dumps/pledge-graph.ttl", headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("name", ["nothing.ttl", "..%2Fmanifest.json", ".store"])
def test_files_outside_the_release_are_404(http, name):
    assert http.get(f"/dumps/{name}").status_code == 404


def test_well_known_void_is_the_void_description(http, release):
    for accept, fmt in (("text/turtle", ox.RdfFormat.TURTLE),
                        ("application/ld+json", ox.RdfFormat.JSON_LD)):
        r = http.get("/.well-known/void", headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
        served = {q.triple for q in ox.parse(r.content, format=fmt)}
        assert len(served) == len(list(ox.parse(path=str(release / "void.ttl"))))


def test_void_triple_count_matches_a_count_query(http):
    void = http.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    dataset = ox.NamedNode(str(IRIS.dataset()))
    counts = [int(q.object.value) for q in ox.parse(void.content, format=ox.RdfFormat.N_TRIPLES)
              if q.subject == dataset and q.predicate == ox.NamedNode(str(VOID.triples))]
    data = IRIS.dump("pledge-graph.nt")
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{data}> {{ ?s ?p ?o }} }}"
    answer = http.get("/sparql", params={"query": query}).json()
    assert counts == [int(answer["results"]["bindings"][0]["n"]["value"])]


def test_catalog_is_served(http, release):
    r = http.get("/catalog", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    served = {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.TURTLE)}
    assert any(t.object == ox.NamedNode("http://www.w3.org/ns/dcat#Catalog") for t in served)


def test_context_is_json_ld_cors_and_long_cached(http, release):
    r = http.get("/context.jsonld")
    assert r.status_code == 200 and r.headers["content-type"] == "application/ld+json"
    assert r.headers["access-control-allow-origin"] == "*"
    assert int(re.search(r"max-age=(\d+)", r.headers["cache-control"]).group(1)) >= 86400
    assert r.content == (release / "context.jsonld").read_bytes()


def test_landing_page_says_what_how_big_and_where(http, release):
    html = http.get("/", headers={"Accept": "text/html"}).text
    triples = sum(1 for line in (release / "pledge-graph.nt").read_text().splitlines() if line)
    assert re.search(rf'id="stat-triples">{triples}<', html)
    assert 'id="stat-pledges">3<' in html
    assert 'id="stat-submissions">1<' in html
    assert 'id="stat-actors">1<' in html
    assert "Human Rights 75" in html and "/sparql" in html and "/dumps/" in html
    assert "curl" in html and "SPARQLWrapper" in html


def test_a_release_without_its_count_in_the_manifest_is_counted_in_the_store(release, tmp_path):
    """The landing page's triple count is the manifest's; a manifest without one (an older
    release, a hand-made one) gets the count of the data dump's graph."""
    import shutil

    from pledge_graph.store.embedded import EmbeddedStore
    from pledge_graph.store.loading import load_release
    from pledge_graph.web.app import Settings
    from pledge_graph.web.pages import statistics

    copy = tmp_path / "dist"
    shutil.copytree(release, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    triples = manifest.pop("triples")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    counted = {}
    for directory, named in ((copy, ("pledge-graph.nt",)), (release, ())):
        store = EmbeddedStore()
        load_release(store, directory, Iris(), named=named)
        counted[directory] = statistics(Settings(store=store, release_dir=directory))["triples"]
    assert counted == {copy: triples, release: triples}, "counted, or read without the graph"


def test_downloading_a_large_dump_does_not_hold_it_in_the_server(tmp_path_factory):
    """A dump goes out piece by piece: the server holds no copy of it while a client reads
    it (the layer of kept answers once collected every answer's pieces, kept or not: a
    120 MB dump grew the server by 112 MiB for one download)."""
    data, dist = generated_release(tmp_path_factory.mktemp("large-dump"), 2500, seed=7)
    size = (dist / "pledge-graph.nt").stat().st_size
    assert size > 25_000_000
    server = Server("--data", data, "--out", dist, "--fronts", "1")
    try:
        server.wait_for("example queries answered")
        before = peak = fronts_pss_mb(server)
        got = []

        def download() -> None:
            with httpx.stream("GET", server.url + "/dumps/pledge-graph.nt", timeout=120) as r:
                got.append(sum(len(chunk) for chunk in r.iter_bytes(1 << 16)))

        reader = threading.Thread(target=download)
        reader.start()
        while reader.is_alive():
            peak = max(peak, fronts_pss_mb(server))
            time.sleep(0.02)
    finally:
        server.stop()
    assert got == [size]
    assert peak - before < size / 1024 / 1024 / 3, (before, peak)
