"""The exported Apache httpd configuration: accepted by Debian's apache2 (``apache2 -t``) in a
minimal server configuration, and its negotiation program answers as the server's own
negotiation does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from web_server import bundled_release, cli

from pledge_graph.site.rewrite_map import answer
from pledge_graph.web.negotiation import Unacceptable, negotiate

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")


def minimal_config(site: Path, port: int) -> str:
    modules = "".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so\n" for name in (
        "mpm_event", "authz_core", "mime", "rewrite", "headers", "proxy", "proxy_http",
        "dir"))
    return (f"{modules}ServerName 127.0.0.1\nListen 127.0.0.1:{port}\n"
            f"PidFile {site}/run/apache.pid\nErrorLog {site}/run/apache-error.log\n"
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
