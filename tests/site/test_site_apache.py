"""The exported Apache httpd configuration: accepted by Debian's apache2 (``apache2 -t``) in a
minimal server configuration; a real apache2 started with it on loopback answers the
conventions table as ``pledge-graph serve`` does (its own pages for 404 and 406); and its
negotiation program answers as the server's own negotiation does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

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
    moved_parts,
    same_answer,
    stop,
    wait_for_port,
)
from web_server import bundled_release, cli

from pledge_graph.site.rewrite_map import answer
from pledge_graph.web.negotiation import Unacceptable, negotiate

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")


def minimal_config(site: Path, port: int) -> str:
    modules = "".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so\n" for name in (
        "mpm_event", "authz_core", "mime", "rewrite", "headers", "proxy", "proxy_http",
        "dir"))
    # apache2 refuses to serve as root: its children then run as nobody
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    return (f"{modules}ServerName 127.0.0.1\nListen 127.0.0.1:{port}\nTypesConfig /dev/null\n"
            f"{user}PidFile {site}/run/apache.pid\nErrorLog {site}/run/apache-error.log\n"
            f"DocumentRoot {site}/www\n<Directory {site}/www>\n    Require all granted\n"
            f"</Directory>\nInclude {site}/apache/site.conf\n")


@pytest.mark.skipif(not Path(APACHE).exists(), reason="needs Debian's apache2")
def test_apache_accepts_the_generated_configuration(tmp_path):
    site = tmp_path / "site"
    data, release = bundled_release()
    cli("export-site", site, "--data", data, "--out", release, timeout=300)
    config = tmp_path / "httpd.conf"
    config.write_text(minimal_config(site, 8080))
    result = subprocess.run([APACHE, "-t", "-f", str(config)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr


@pytest.mark.parametrize("kinds", [("page", "graph"), ("graph",)])
@pytest.mark.parametrize("query, accept", [
    ("", ""), ("", "*/*"), ("", "text/html;q=0.5, text/turtle"),
    ("", "application/rdf+xml;q=0.9, text/html"), ("", "text/*"), ("", "image/png"),
    ("", "garbage"), ("format=nt", "image/png"), ("format=jsonld&format=ttl", ""),
    ("format=application%2Fld%2Bjson", ""), ("format=application/ld+json", ""),
    ("other=1&format=", "text/turtle"),
])
def test_apache_negotiation_program_agrees_with_the_server(kinds, query, accept):
    fmt = dict(parse_qsl(query, keep_blank_values=True)).get("format")
    try:
        expected = negotiate(accept or None, kinds, fmt).key
    except Unacceptable:
        expected = "unacceptable"
    assert answer(f"{'+'.join(kinds)} {query} {accept}\n") == expected


def test_apache_negotiation_program_answers_line_by_line():
    result = subprocess.run([sys.executable, "-m", "pledge_graph.site.rewrite_map"],
                            input="page+graph  text/turtle\ngraph format=nt text/html\n"
                                  "page+graph  image/png\n",
                            capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout == "ttl\nnt\nunacceptable\n"


@pytest.fixture(scope="module")
def apache() -> Iterator[tuple[Path, httpx.Client]]:
    """apache2 in the foreground on a free loopback port, serving an export in a folder its
    children (nobody, when the tests run as root) can read; stopped by its PID."""
    if not Path(APACHE).exists():
        pytest.skip("needs Debian's apache2")
    root = Path(tempfile.mkdtemp(prefix="pledge-graph-apache-"))
    root.chmod(0o755)
    port = free_port()
    site = root / "site"
    export(site, port)
    config = root / "httpd.conf"
    config.write_text(minimal_config(site, port))
    process = subprocess.Popen([APACHE, "-f", str(config), "-DFOREGROUND"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(process, port, site / "run" / "apache-error.log", "apache2")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield site, client
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_apache_answers_the_conventions_table_as_serve_does(apache, served):
    site, client = apache
    for path in kinds_of_resources(site):
        for accept in ACCEPTS:
            same_answer(ask(client, "GET", "/" + path, accept),
                        ask(served, "GET", "/" + path, accept), own_error_pages=True)
        for fmt in FORMATS:
            same_answer(ask(client, "GET", "/" + path, "image/png", {"format": fmt}),
                        ask(served, "GET", "/" + path, "image/png", {"format": fmt}),
                        own_error_pages=True)
    for path in ("/.well-known/void", "/catalog"):
        for accept in (None, "application/ld+json", "text/html"):
            same_answer(ask(client, "GET", path, accept), ask(served, "GET", path, accept),
                        own_error_pages=True)
    for path in ("/id/pledge/no-such-pledge/1", "/id/pledge/japan-2023/1.ttl"):
        assert ask(client, "GET", path, None).status_code == 404
    statuses = set()
    for path, accept, params in moved_parts(site):  # a fact's parts' old slash IRIs
        mine = ask(client, "GET", path, accept, params)
        same_answer(mine, ask(served, "GET", path, accept, params), own_error_pages=True)
        statuses.add(mine.status_code)
    assert statuses == {301, 404, 406}
    dump = client.get("/dumps/pledge-graph.nt")
    assert dump.content == served.get("/dumps/pledge-graph.nt").content
    statistics = client.get("/stats")
    assert statistics.status_code == 200
    assert statistics.content == served.get("/stats").content


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_apache_answers_every_resource_as_serve_does(apache, served):
    """Every resource, not one of each kind, and every dump: a resource named like a file
    (``/dataset/distribution/pledge-graph.ttl``) has files with two extensions, and its
    JSON-LD once went out with the Turtle's charset."""
    site, client = apache
    for path in every_resource(site):
        for accept in (None, "text/turtle", "application/ld+json"):
            same_answer(ask(client, "GET", "/" + path, accept),
                        ask(served, "GET", "/" + path, accept), own_error_pages=True)
    for name in sorted(p.name for p in (site / "www" / "dumps").iterdir()):
        mine, theirs = client.get(f"/dumps/{name}"), served.get(f"/dumps/{name}")
        assert mine.headers["content-type"] == theirs.headers["content-type"], name
