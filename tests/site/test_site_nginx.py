"""The exported static site, served by a real nginx with the generated configuration, answers
as ``pledge-graph serve`` answers: every row of the linked-data conventions table
(reference/linked-data-conventions.md) for every kind of resource, compared response by
response (status, media type, Vary, Content-Location, CORS, and the same RDF, parsed by
rdflib); 406 and ``?format=``; the dumps byte for byte; and the export is deterministic."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from static_site import (
    ACCEPTS,
    FORMATS,
    ask,
    every_resource,
    export,
    free_port,
    kinds_of_resources,
    media_type,
    moved_parts,
    same_answer,
    stop,
    wait_for_port,
)
from web_server import bundled_release, cli

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
JS_MODULE = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")
pytestmark = [
    pytest.mark.skipif(not (Path(NGINX).exists() and JS_MODULE.exists()),
                       reason="needs Debian's nginx and its njs module "
                              "(apt-get install nginx libnginx-mod-http-js)"),
    # rdflib's JSON-LD parser uses its own deprecated class
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]


class Nginx:
    """``nginx -p OUT -c nginx.conf`` in the foreground on 127.0.0.1:PORT, stopped by its PID.
    Run as root (as in CI containers), its workers would switch to an unprivileged user that
    cannot read the test's private folder; they stay root there."""

    def __init__(self, site: Path, port: int) -> None:
        extra = ["-g", "user root;"] if os.geteuid() == 0 else []
        self.log = site / "run" / "nginx.out"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([NGINX, "-p", str(site), "-c", "nginx.conf", *extra],
                                            stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        wait_for_port(self.process, port, self.log, "nginx")

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    port = free_port()
    out = tmp_path_factory.mktemp("site") / "out"
    export(out, port)
    return out, port


@pytest.fixture(scope="module")
def static(site: tuple[Path, int]) -> Iterator[httpx.Client]:
    nginx = Nginx(*site)
    with httpx.Client(base_url=nginx.url, timeout=30) as client:
        yield client
    nginx.stop()


def test_every_kind_of_resource_is_in_the_export(site):
    assert len(kinds_of_resources(site[0])) == 7


@pytest.mark.parametrize("accept", ACCEPTS)
def test_each_accept_answers_as_serve_does_for_every_kind_of_resource(site, static, served,
                                                                      accept):
    for path in kinds_of_resources(site[0]):
        same_answer(ask(static, "GET", "/" + path, accept), ask(served, "GET", "/" + path, accept))


@pytest.mark.parametrize("accept", [None, "text/turtle", "application/ld+json",
                                    "application/n-triples", "application/rdf+xml"])
def test_every_resource_of_the_release_answers_as_serve_does(site, static, served, accept):
    for path in every_resource(site[0]):
        same_answer(ask(static, "GET", "/" + path, accept), ask(served, "GET", "/" + path, accept))


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_parameter_answers_as_serve_does(site, static, served, fmt):
    for path in kinds_of_resources(site[0]):
        for accept in (None, "image/png", "text/html"):
            same_answer(ask(static, "GET", "/" + path, accept, {"format": fmt}),
                        ask(served, "GET", "/" + path, accept, {"format": fmt}))


def test_slash_iris_of_a_facts_parts_redirect_as_on_serve(site, static, served):
    """301 to the fact's hash IRI, the query string kept, 406 first when no format fits,
    404 for such a path of no fact: as ``serve`` answers."""
    statuses = set()
    for path, accept, params in moved_parts(site[0]):
        mine, theirs = ask(static, "GET", path, accept, params), ask(served, "GET", path,
                                                                     accept, params)
        same_answer(mine, theirs)
        statuses.add(mine.status_code)
    assert statuses == {301, 404, 406}


@pytest.mark.parametrize("path", ["/.well-known/void", "/catalog"])
@pytest.mark.parametrize("accept", [None, "text/turtle", "application/ld+json",
                                    "application/n-triples", "application/rdf+xml",
                                    "text/html", "text/html;q=0.5, application/ld+json",
                                    "image/png"])
def test_dataset_descriptions_negotiate_as_serve_does(static, served, path, accept):
    same_answer(ask(static, "GET", path, accept), ask(served, "GET", path, accept))
    same_answer(ask(static, "GET", path, accept, {"format": "nt"}),
                ask(served, "GET", path, accept, {"format": "nt"}))


def test_head_has_the_headers_of_get_and_no_body(site, static, served):
    for path in kinds_of_resources(site[0]):
        for accept in (None, "text/turtle"):
            head, get = ask(static, "HEAD", "/" + path, accept), ask(static, "GET", "/" + path,
                                                                     accept)
            assert head.content == b""
            assert head.headers["content-length"] == get.headers["content-length"]
            same_answer(head, ask(served, "HEAD", "/" + path, accept))


def test_conditional_requests_answer_304(site, static):
    path = "/" + kinds_of_resources(site[0])[0]
    first = ask(static, "GET", path, "text/turtle")
    again = static.get(path, headers={"Accept": "text/turtle",
                                      "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    since = static.get(path, headers={"Accept": "text/turtle",
                                      "If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    assert first.headers["last-modified"] == ask(static, "GET", path, "text/html").headers[
        "last-modified"]


@pytest.mark.parametrize("path", ["/id/pledge/no-such-pledge/1", "/ontology/NoSuchTerm",
                                  "/id/pledge/japan-2023/1.ttl", "/resources/id/state/jpn.html",
                                  "/dumps/no-such-file.nt", "/meta/void.ttl"])
def test_unknown_paths_are_404_as_on_serve(static, served, path):
    same_answer(ask(static, "GET", path, None), ask(served, "GET", path, None))
    assert ask(static, "GET", path, "text/turtle").status_code == 404


def test_dumps_context_and_pages_are_the_release_files(site, static, served):
    listing = static.get("/dumps/")
    assert listing.status_code == 200 and media_type(listing) == "text/html"
    assert listing.content == served.get("/dumps/").content
    names = sorted(p.name for p in (site[0] / "www" / "dumps").iterdir())
    assert "pledge-graph.nt" in names and "void.ttl" in names
    for name in names:
        mine, theirs = static.get(f"/dumps/{name}"), served.get(f"/dumps/{name}")
        assert mine.status_code == theirs.status_code == 200
        assert mine.headers["content-type"] == theirs.headers["content-type"], name
        assert mine.headers["cache-control"] == theirs.headers["cache-control"]
        assert mine.content == theirs.content
    context = static.get("/context.jsonld")
    assert context.content == served.get("/context.jsonld").content
    assert context.headers["content-type"] == served.get("/context.jsonld").headers[
        "content-type"]
    assert context.headers["access-control-allow-origin"] == "*"
    landing = static.get("/")
    assert landing.status_code == 200 and media_type(landing) == "text/html"
    statistics = static.get("/stats")
    assert statistics.status_code == 200 and media_type(statistics) == "text/html"
    assert statistics.content == served.get("/stats").content
    for path in sorted((site[0] / "www" / "static").rglob("*")):
        if path.is_file():
            url = "/static/" + str(path.relative_to(site[0] / "www" / "static"))
            mine, theirs = static.get(url), served.get(url)
            assert mine.status_code == theirs.status_code == 200
            assert media_type(mine) == media_type(theirs), url
            assert mine.content == theirs.content


def test_cors_preflight_is_answered(site, static):
    path = "/" + kinds_of_resources(site[0])[0]
    r = static.options(path, headers={"Origin": "https://example.org",
                                      "Access-Control-Request-Method": "GET"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "GET" in r.headers["access-control-allow-methods"]


def test_sparql_is_passed_to_a_running_serve(tmp_path, server):
    port = free_port()
    out = tmp_path / "out"
    data, release = bundled_release()
    cli("export-site", out, "--data", data, "--out", release, "--port", str(port),
        "--sparql", server.url.removeprefix("http://"), timeout=300)
    nginx = Nginx(out, port)
    try:
        with httpx.Client(base_url=nginx.url, timeout=30) as client:
            r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"},
                           headers={"Accept": "application/sparql-results+json"})
            assert r.status_code == 200
            assert r.json()["boolean"] is True
            workbench = client.get("/query", headers={"Accept": "text/html"})
            assert workbench.status_code == 200 and media_type(workbench) == "text/html"
            # browse and search come from serve too, with their parameters
            for path in ("/pledges?q=rule", "/pledges.csv?actor=id/state/jpn",
                         "/pledges/by/actor"):
                mine = client.get(path)
                theirs = httpx.get(server.url + path, timeout=30)
                assert mine.status_code == theirs.status_code == 200, path
                assert mine.content == theirs.content, path
    finally:
        nginx.stop()


def test_two_exports_of_one_release_are_byte_identical(site, tmp_path):
    """The second in one process (``--jobs 1``): how the work is shared makes no difference."""
    again = tmp_path / "again"
    export(again, site[1], "--jobs", "1")
    first, second = tree(site[0]), tree(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def tree(root: Path) -> dict[str, bytes]:
    """Every file the export wrote (not what nginx writes while it runs), by path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != "run"}


def test_export_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    data, release = bundled_release()
    result = cli("export-site", target, "--data", data, "--out", release, check=False)
    assert result.returncode == 1
    assert "not an exported site" in result.stderr and "precious" in result.stderr
    assert (target / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious"]
