"""nginx configuration for the static site.

Three files, so the site can be tried as it is or added to an existing server:

    OUT/nginx.conf          complete: ``nginx -p OUT -c nginx.conf`` runs it in the
                            foreground on 127.0.0.1:PORT, unprivileged (pid, logs and
                            temporary files under ``OUT/run/``)
    OUT/nginx/http.conf     for the ``http {}`` block: the njs module that negotiates
                            (``negotiate.js``) and the upstream of ``/sparql``
    OUT/nginx/server.conf   for a ``server {}`` block whose ``root`` is ``OUT/www``

Negotiation needs nginx's JavaScript module (Debian: ``libnginx-mod-http-js``): it ports
:func:`pledge_graph.web.negotiation.negotiate` and reads the table of formats written here
from the server's own. ``/sparql``, ``/sparql/``, ``/query`` (the workbench), ``/store`` and
``/pledges`` (browse and search) go to a ``pledge-graph serve`` (``--sparql HOST:PORT``),
which adds its own headers.
"""

from __future__ import annotations

import json
from pathlib import Path

from pledge_graph.rdf.vocab import FACT_PARTS
from pledge_graph.site.documents import RESOURCE_FORMATS
from pledge_graph.web.negotiation import FORMATS

__all__ = ["JS_MODULE", "SECURITY_HEADERS", "write_config"]

JS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so"
"""Where Debian's package of the njs module puts it."""

SECURITY_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Link, Content-Location, Location, X-Request-Id",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
"""What every answer of ``serve`` carries (``pledge_graph.web.edge``, ``web.http``)."""

PROXIED = ("/sparql", "/sparql/", "/query", "/store", "/pledges", "/pledges.csv")
"""What a running ``pledge-graph serve`` answers: the endpoint, the workbench, the graphs,
browse and search (its index pages are under :data:`PROXIED_UNDER`)."""
PROXIED_UNDER = ("/pledges/by/",)
GRAPH_PATHS = {"/.well-known/void": "void", "/catalog": "catalog"}
_RDF_TYPES = {f.media_type: f.key for f in RESOURCE_FORMATS}
_DUMP_TYPES = {"text/turtle": "ttl", "application/n-triples": "nt", "application/gzip": "gz",
               "application/json": "json", "application/ld+json": "jsonld",
               "application/n-quads": "nq", "application/rdf+xml": "rdf",
               "application/vnd.sqlite3": "sqlite", "text/csv": "csv", "image/svg+xml": "svg"}
_STATIC_TYPES = {"text/css": "css", "text/javascript": "js", "image/svg+xml": "svg",
                 "image/png": "png", "image/x-icon": "ico"}
_PREFLIGHT = ('add_header Access-Control-Allow-Methods "GET, HEAD, POST" always;',
              ('add_header Access-Control-Allow-Headers '
               '"Accept, Content-Type, If-None-Match, If-Modified-Since" always;'),
              "add_header Access-Control-Max-Age 86400 always;")
_CHARSET_TYPES = "text/turtle text/css text/javascript text/plain text/csv"


def write_config(out: Path, port: int, sparql: str, base: str) -> None:
    """Write ``nginx.conf``, ``nginx/http.conf``, ``nginx/server.conf`` and
    ``nginx/negotiate.js`` into ``out``, and the folders nginx writes to under ``run/``."""
    folder = out / "nginx"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "negotiate.js").write_text(negotiation_module(base), encoding="utf-8")
    (folder / "http.conf").write_text(http_part(sparql, "nginx/negotiate.js"), encoding="utf-8")
    (folder / "server.conf").write_text(server_part(), encoding="utf-8")
    (out / "nginx.conf").write_text(main_config(port), encoding="utf-8")
    for name in ("run", "run/client_body", "run/proxy", "run/fastcgi", "run/uwsgi", "run/scgi"):
        (out / name).mkdir(exist_ok=True)


def negotiation_module(base: str) -> str:
    """The njs module, with the server's table of formats and the base IRI filled in."""
    site = {
        "base": base,
        "graphs": sorted(GRAPH_PATHS),
        "moved": list(FACT_PARTS),
        "formats": [{"key": f.key, "media_type": f.media_type, "kinds": sorted(f.kinds),
                     "names": list(f.names), "aliases": list(f.aliases)} for f in FORMATS],
    }
    template = (Path(__file__).parent / "negotiate.js").read_text(encoding="utf-8")
    return template.replace("/*SITE*/", json.dumps(site, indent=1))


def main_config(port: int) -> str:
    """The complete configuration: one worker, in the foreground, on loopback."""
    return f"""# The static site of a pledge-graph release: nginx -p THIS_FOLDER -c nginx.conf
# (foreground, 127.0.0.1:{port}, unprivileged; pid, logs and temporary files in run/).
load_module {JS_MODULE};
daemon off;
worker_processes 1;
pid run/nginx.pid;
error_log run/error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log run/access.log;
    client_body_temp_path run/client_body;
    proxy_temp_path run/proxy;
    fastcgi_temp_path run/fastcgi;
    uwsgi_temp_path run/uwsgi;
    scgi_temp_path run/scgi;
    sendfile on;
    server_tokens off;
    include nginx/http.conf;

    server {{
        listen 127.0.0.1:{port};
        root www;
        include nginx/server.conf;
    }}
}}
"""


def http_part(sparql: str, module: str) -> str:
    """The ``http {}`` part: the negotiating module and the SPARQL upstream."""
    return f"""# pledge-graph static site, http {{}} part (needs the njs module loaded:
# load_module {JS_MODULE};). Change the path of negotiate.js and the upstream's
# address (a running `pledge-graph serve`) to suit.
js_import pledge_graph from {module};
js_set $pledge_graph_format pledge_graph.format;
js_set $pledge_graph_link pledge_graph.link;

# the file of a path ending in "/" is PATH%.FORMAT (a file named ".FORMAT" has no type)
map $uri $pledge_graph_file {{
    "~^(?<pledge_graph_folder>.*/)$" "${{pledge_graph_folder}}%";
    default $uri;
}}

map "$request_method:$http_access_control_request_method" $pledge_graph_preflight {{
    "~^OPTIONS:." 1;
    default 0;
}}

upstream pledge_graph_sparql {{
    server {sparql};
}}
"""


def server_part() -> str:
    """The ``server {}`` part: one location per kind of answer ``serve`` gives."""
    resource_types = _types(_RDF_TYPES)
    blocks = [
        _location("= /", "try_files /pages/index.html =404;", _types({"text/html": "html"})),
        _location("= /dumps/", "try_files /pages/dumps.html =404;",
                  _types({"text/html": "html"})),
        _location("= /stats", "try_files /pages/stats.html =404;",
                  _types({"text/html": "html"})),
        _location("/dumps/", "error_page 404 = @pledge_graph_404;",
                  _types(_DUMP_TYPES, default="application/octet-stream"),
                  cache="public, max-age=3600"),
        _location("= /context.jsonld", "try_files /meta/context.jsonld =404;",
                  _types({"application/ld+json": "jsonld"}), cache="public, max-age=86400"),
        _location("/static/", "", _types(_STATIC_TYPES, default="application/octet-stream")),
    ]
    for path, name in sorted(GRAPH_PATHS.items()):
        blocks.append(_negotiated(f"= {path}", f"/meta/{name}.$pledge_graph_format",
                                  resource_types, "@pledge_graph_404"))
    blocks.append(_negotiated("/", "/resources$pledge_graph_file.$pledge_graph_format", resource_types,
                              "@pledge_graph_404"))
    for path in (*(f"= {p}" for p in PROXIED), *(f"^~ {p}" for p in PROXIED_UNDER)):
        blocks.append(f"""location {path} {{
    proxy_pass http://pledge_graph_sparql;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
}}
""")
    blocks.append(_location("@pledge_graph_406", "js_content pledge_graph.notAcceptable;", ""))
    blocks.append(_location("@pledge_graph_404", "js_content pledge_graph.notFound;", ""))
    header = ("# pledge-graph static site, server {} part: include it in a server whose root "
              "is the\n# export's www/ folder. Negotiates as `pledge-graph serve` does; "
              "/sparql and /store go to it.\n")
    return header + "\n".join(blocks)


def _negotiated(match: str, target: str, types: str, missing: str) -> str:
    body = f"""set $pledge_graph_path $uri;
set $pledge_graph_key $pledge_graph_format;
set $pledge_graph_alternates $pledge_graph_link;
if ($pledge_graph_key = "") {{
    return 406;
}}
error_page 406 = @pledge_graph_406;
error_page 404 = {missing};
try_files {target} =404;
add_header Vary "Accept";
add_header Content-Location "$pledge_graph_path?format=$pledge_graph_key";
add_header Link $pledge_graph_alternates;"""
    return _location(match, body, types, cache="public, max-age=300")


def _location(match: str, body: str, types: str, cache: str = "") -> str:
    security = [f'add_header {name} "{value}" always;' for name, value in SECURITY_HEADERS.items()]
    lines = ["if ($pledge_graph_preflight) {", *_PREFLIGHT, *security, "return 204;", "}"
             ] if match[0] != "@" else []
    lines += [line for line in body.splitlines() if line]
    if cache:
        lines.append(f'add_header Cache-Control "{cache}";')
    lines += security
    lines += types.splitlines()
    return f"location {match} {{\n" + "".join(f"    {line}\n" for line in lines) + "}\n"


def _types(table: dict[str, str], default: str | None = None) -> str:
    """A ``types {}`` block for one location (with its charset), and the default type."""
    entries = "".join(f"    {media} {ext};\n" for media, ext in sorted(table.items()))
    lines = "types {\n" + entries + "}\n"
    lines += f"default_type {default or 'text/plain'};\n"
    lines += f"charset utf-8;\ncharset_types {_CHARSET_TYPES};\n"
    return lines

