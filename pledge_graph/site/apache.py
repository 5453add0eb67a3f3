"""Apache httpd configuration for the static site.

    OUT/apache/site.conf   for a ``<VirtualHost>`` (or the main server) whose
                           ``DocumentRoot`` is ``OUT/www``; needs mod_rewrite, mod_headers,
                           mod_mime, mod_proxy and mod_proxy_http

Negotiation runs the server's own function: a ``RewriteMap prg:`` program
(:mod:`pledge_graph.site.rewrite_map`, run by the Python that has pledge-graph installed)
answers the format of each request; the rewrite rules then map the path onto the file of
that format, or answer 406. ``/sparql``, ``/sparql/``, ``/query`` and ``/store`` are
proxied to a ``pledge-graph serve``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pledge_graph.rdf.vocab import FACT_PARTS
from pledge_graph.site.documents import RESOURCE_FORMATS
from pledge_graph.site.nginx import GRAPH_PATHS, SECURITY_HEADERS

__all__ = ["write_config"]

_TYPES = {**{f.key: f.media_type for f in RESOURCE_FORMATS}, "gz": "application/gzip",
          "json": "application/json", "nq": "application/n-quads", "css": "text/css",
          "js": "text/javascript", "svg": "image/svg+xml", "sqlite": "application/vnd.sqlite3",
          "csv": "text/csv"}

_UTF8 = {"html", "ttl", "css", "js", "csv"}
_CHARSET = "; charset=utf-8"


def write_config(out: Path, port: int, sparql: str) -> None:
    """Write ``apache/site.conf`` into ``out``."""
    folder = out / "apache"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.conf").write_text(site_part(sparql, sys.executable), encoding="utf-8")


def site_part(sparql: str, python: str) -> str:
    """The part to include in a virtual host whose DocumentRoot is the export's ``www/``."""
    negotiate = "${pledge_graph_negotiate:%s %%{QUERY_STRING} %%{HTTP:Accept}}"
    lines = [
        "# pledge-graph static site for Apache httpd: include in a <VirtualHost> whose",
        "# DocumentRoot is the export's www/ folder (mod_rewrite, mod_headers, mod_mime,",
        "# mod_proxy, mod_proxy_http). Negotiates as `pledge-graph serve` does;",
        "# /sparql, /query, /store and /pledges go to it (change the address below to suit).",
        f'RewriteMap pledge_graph_negotiate "prg:{python} -m pledge_graph.site.rewrite_map"',
        "RewriteEngine On",
        (f"RewriteRule ^/(sparql/?|query|store|pledges|pledges\\.csv|pledges/by/[^/]+)$ "
         f"http://{sparql}/$1 [P,L]"),
        "RewriteRule ^/$ /pages/index.html [L]",
        "RewriteRule ^/dumps/$ /pages/dumps.html [L]",
        "RewriteRule ^/stats$ /pages/stats.html [L]",
        "RewriteRule ^/dumps/[^/]+$ - [L,E=PG_MAX_AGE:3600]",
        "RewriteRule ^/context\\.jsonld$ /meta/context.jsonld [L,E=PG_MAX_AGE:86400]",
        "RewriteRule ^/static/ - [L]",
    ]
    for path, name in sorted(GRAPH_PATHS.items()):
        lines += _negotiated("graph", f"^{path.replace('.', '[.]')}$", f"/meta/{name}",
                             negotiate)
    lines += _negotiated("page+graph", "^(/.*/)$", "/resources$1%", negotiate)
    lines += _negotiated("page+graph", "^(/.*)$", "/resources$1", negotiate)
    lines += _moved_parts()
    lines += [
        "",
        "<IfModule mod_mime.c>",
        # the charset is part of the type, not an AddCharset: mod_mime keeps the charset of
        # any extension of a name, and pledge-graph.ttl.jsonld is a resource's JSON-LD
        *(f'    AddType "{media}{_CHARSET if ext in _UTF8 else ""}" .{ext}'
          for ext, media in sorted(_TYPES.items())),
        "</IfModule>",
        'Header set Cache-Control "public, max-age=%{PG_MAX_AGE}e" env=PG_MAX_AGE',
        'Header set Vary "Accept" env=PG_PATH',
        'Header set Content-Location "%{PG_PATH}e?format=%{PG_FORMAT}e" env=PG_PATH',
        f'Header set Link "{_links()}" "expr=reqenv(\'PG_FORMAT\') == \'html\'"',
        *(f'Header always set {name} "{value}"' for name, value in SECURITY_HEADERS.items()),
    ]
    return "\n".join(lines) + "\n"


def _negotiated(kinds: str, pattern: str, target: str, negotiate: str) -> list[str]:
    """Rules answering ``pattern`` with the file ``target.FORMAT``, or 406."""
    file = target.replace("$1", "%{REQUEST_URI}")  # a path ending in "/": PATH%.FORMAT
    return [
        "",
        f'RewriteRule {pattern} - "[E=PG_FORMAT:{negotiate % kinds}]"',
        "RewriteCond %{ENV:PG_FORMAT} =unacceptable",
        f"RewriteRule {pattern} - [R=406,L]",
        f"RewriteCond %{{DOCUMENT_ROOT}}{file}.%{{ENV:PG_FORMAT}} -f",
        (f"RewriteRule {pattern} {target}.%{{ENV:PG_FORMAT}} "
         "[L,E=PG_PATH:%{REQUEST_URI},E=PG_MAX_AGE:300]"),
    ]


def _moved_parts() -> list[str]:
    """301 from a fact's part minted with a slash to its hash IRI (``/id/fact/F/quote`` to
    ``/id/fact/F#quote``, the query string kept before the fragment) when the fact's
    description holds that part, as ``serve`` answers
    (:func:`pledge_graph.rdf.vocab.moved_part`; the negotiation program reads the fact's
    N-Triples file)."""
    pattern = f"^(/id/fact/.+)/({'|'.join(FACT_PARTS)})$"
    exists = 'RewriteCond "${pledge_graph_negotiate:moved %{DOCUMENT_ROOT} %{REQUEST_URI}}" =yes'
    return [
        "",
        f"RewriteCond %{{REQUEST_URI}} {pattern}",
        exists,
        "RewriteCond %{QUERY_STRING} ^$",
        f"RewriteRule {pattern} $1#$2 [R=301,NE,L]",
        f"RewriteCond %{{REQUEST_URI}} {pattern}",
        exists,
        f"RewriteRule {pattern} $1?%{{QUERY_STRING}}#$2 [R=301,NE,L]",
    ]


def _links() -> str:
    """The Link header of an HTML page, naming each RDF variant (quotes escaped)."""
    return ", ".join(f'<%{{PG_PATH}}e?format={f.key}>; rel=\\"alternate\\"; '
                     f'type=\\"{f.media_type}\\"' for f in RESOURCE_FORMATS if f.key != "html")
