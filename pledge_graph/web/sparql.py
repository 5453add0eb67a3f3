"""The SPARQL 1.1 Protocol, query operation only (https://www.w3.org/TR/sparql11-protocol/).

A request is read into a :class:`SparqlRequest` by :func:`read_request` (a pure function of
method, parameters, content type and body) or refused with a :class:`ProtocolError`; the
query is then checked for SERVICE calls, its answer's format negotiated from its form,
and run on the store with the service's time limit. The release does not change while it is
served, so the answer to the same query (same dataset, same format) is kept and reused
(``pledge_graph.web.cache``); the example queries' answers are computed at start-up. Updates are refused before anything
runs: the endpoint is read-only. GET without a query gives the service description (RDF)
or, for a browser, the query page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from pledge_graph.errors import StoreError
from pledge_graph.rdf.vocab import RDF, SD, Iris
from pledge_graph.sparql.guard import check_services
from pledge_graph.sparql.lexer import may_be_relative, query_form
from pledge_graph.sparql.results import Answer, NotAcceptable, write_triples
from pledge_graph.store.lookup import OneSubject, one_subject
from pledge_graph.web import pages
from pledge_graph.web.cache import mark_cacheable
from pledge_graph.web.http import for_client, header, negotiated, run_query
from pledge_graph.web.negotiation import negotiate

__all__ = [
    "POSTED_MOST",
    "W3C_FORMATS",
    "ProtocolError",
    "SparqlRequest",
    "endpoint",
    "kept_lookup",
    "lookup_key",
    "posted_key",
    "query_key",
    "read_request",
    "service_description",
    "warm",
]

_FORM = "application/x-www-form-urlencoded"
_QUERY = "application/sparql-query"
_UPDATE = "application/sparql-update"
_ALLOW = "GET, HEAD, POST"
_PARAMS, _FORM_FIELDS = "pledge_graph.params", "pledge_graph.form"
"""Where a request's URL parameters, and a form body with its fields, are kept once read
(as Starlette reads them), so that the endpoint does not read them again."""
_AT_ONCE = 2048
"""Bytes of query string and body a request may have to be read on the event loop (a
bounded step); a longer one is read in a thread."""
_AT_ONCE_ROWS = 256  # rows of a one-subject lookup answered on the event loop at most
W3C_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
               "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML")
"""The answer formats the service description names (``http://www.w3.org/ns/formats/``):
those of :data:`pledge_graph.web.negotiation.FORMATS` but HTML."""


class ProtocolError(Exception):
    """The request breaks the protocol; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class SparqlRequest:
    """A query request: the query (None asks for the service description), its protocol
    dataset and an optional ``format`` parameter."""

    query: str | None
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    format: str | None = None


def read_request(method: str, params: list[tuple[str, str]], content_type: str | None,
                 body: bytes, form: list[tuple[str, str]] | None = None) -> SparqlRequest:
    """Given a request's method, URL parameters, Content-Type and body, return what it asks
    (``form``: the fields of a form body, when they were read from it before)."""
    if method not in ("GET", "HEAD", "POST"):
        raise ProtocolError(405, f"{method} is not a SPARQL Protocol operation here; use GET "
                            "or POST (the endpoint is read-only)", {"Allow": _ALLOW})
    fields = list(params)
    direct: str | None = None
    if method == "POST":
        media, charset = _content_type(content_type)
        if media == _UPDATE:
            raise _read_only()
        if media not in (_FORM, _QUERY):
            shown = media or "no Content-Type"
            raise ProtocolError(415, f"a POSTed query must be sent as {_FORM} or {_QUERY}, "
                                f"not {shown}")
        if charset not in (None, "utf-8", "utf8", "us-ascii"):
            raise ProtocolError(415, f"the request body must be UTF-8, not {charset}")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(400, "the request body is not valid UTF-8") from None
        if media == _FORM:
            fields += parse_qsl(text, keep_blank_values=True) if form is None else form
        else:
            direct = text
    fields = [pair for name, value in fields for pair in _graph_parameters(name, value)]
    names = [name for name, _ in fields]
    if "update" in names or "using-graph-uri" in names or "using-named-graph-uri" in names:
        raise _read_only()
    queries = [value for name, value in fields if name == "query"]
    if direct is not None:
        if queries:
            raise ProtocolError(400, "a direct POST carries the query in its body; a `query` "
                                "parameter as well is ambiguous")
        queries = [direct]
    if len(queries) > 1:
        raise ProtocolError(400, "exactly one `query` parameter is allowed, "
                            f"{len(queries)} were given")
    formats = [value for name, value in fields if name == "format"]
    query = queries[0] if queries else None
    if query is not None and not query.strip():
        raise ProtocolError(400, "the query is empty")
    if query is None and method == "POST":
        raise ProtocolError(400, "the request has no `query` parameter")
    return SparqlRequest(
        query,
        tuple(v for n, v in fields if n == "default-graph-uri"),
        tuple(v for n, v in fields if n == "named-graph-uri"),
        formats[-1] if formats else None,
    )


async def endpoint(request: Request) -> Response:
    """Answer one protocol request at /sparql.

    Everything that reads the query's text runs off the event loop (in a thread, by
    windows: :class:`pledge_graph.sparql.lexer.Scanner`), so a long hostile text delays only its
    own answer."""
    settings = request.app.state.settings
    body = await _read_body(request, settings.max_body)
    # the layer of kept answers may have read the URL's parameters or a form body already
    params = request.scope.get(_PARAMS)
    if params is None:
        params = list(request.query_params.multi_items())
    form = request.scope.get(_FORM_FIELDS)
    read = functools.partial(_read, request.method, params,
                             request.headers.get("content-type"), body,
                             form[1] if form is not None and form[0] == body else None)
    at_once = len(body) + len(request.scope["query_string"]) <= _AT_ONCE
    if at_once:
        asked, kind, found = read()  # a short request (a lookup) is read at once
    else:
        asked, kind, found = await run_in_threadpool(read)
    accept = request.headers.get("accept")
    if asked.query is None:
        fmt = negotiate(accept, ("graph", "page"), asked.format)
        if fmt.key == "html":
            return pages.query_page(request, None)
        body = service_description(settings.iris, _endpoint_url(request), settings.allow_service,
                                   await for_client(request, settings.store.graphs),
                                   fmt.media_type)
        return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept"})
    kinds = (kind, "page") if kind else ("solutions", "boolean", "graph", "page")
    fmt = negotiate(accept, kinds, asked.format)
    if fmt.key == "html":
        return pages.query_page(request, asked.query)
    # a recognised one-subject lookup has no SERVICE and no relative IRI by construction;
    # a short query is inspected at once too (at most about 0.2 ms for a hostile 2 KB text)
    if found is not None:
        relative = False
    elif at_once:
        relative = _inspect(asked.query, settings.allow_service)
    else:
        relative = await run_in_threadpool(_inspect, asked.query, settings.allow_service)
    base = _base(request, settings)
    chosen = {k: _choose(accept, k, asked.format) for k in ("solutions", "boolean", "graph")}
    media_types = {k: v for k, v in chosen.items() if v}
    key = query_key(settings.digest, asked.query, asked.default_graph_uris,
                    asked.named_graph_uris, kind, media_types, base if relative else None)
    answer = settings.cache.get(key)
    if found is not None:
        mark_cacheable(request.scope, lookup_key(settings.digest, params, accept)
                       if request.method == "GET" else
                       posted_key(settings.digest, request.scope, body))
    if answer is None and found is not None:
        # a lookup of at most _AT_ONCE_ROWS rows is read and written at once (bounded)
        answer = settings.store.subject_query(found, media_types, _AT_ONCE_ROWS) or \
            await for_client(request, settings.store.subject_query, found, media_types)
        settings.cache.put(key, answer, len(answer.body) + len(asked.query) + 256)
    elif answer is None:
        answer = await run_query(
            request, settings.store, asked.query, media_types=media_types,
            default_graph_uris=asked.default_graph_uris,
            named_graph_uris=asked.named_graph_uris, timeout=settings.timeout, base_iri=base)
        settings.cache.put(key, answer, len(answer.body) + len(asked.query) + 256)
    return Response(answer.body, media_type=answer.media_type, headers={"Vary": "Accept"})


def lookup_key(digest: str, params: list[tuple[str, str]],
               accept: str | None) -> Hashable | None:
    """The key a GET of a one-subject lookup is kept under as a whole HTTP answer, replayed
    before the framework (:class:`pledge_graph.web.cache.CachedAnswers`): the release, the
    query and the negotiated format; None for any other request."""
    if not 0 < len(params) <= 2 or sum(len(n) + len(v) for n, v in params) > _AT_ONCE:
        return None
    fields = dict(params)
    query = fields.get("query")
    if len(fields) != len(params) or query is None or not set(fields) <= {"query", "format"} \
            or one_subject(query) is None:
        return None
    fmt = negotiated(accept, ("solutions", "page"), fields.get("format"))
    if fmt is None or fmt.key == "html":
        return None
    return (digest, "lookup", query, fmt.media_type)


def kept_lookup(settings: Any) -> Callable[[Scope], Hashable | None]:
    """The cache key function of GETs at /sparql (see :func:`lookup_key`)."""

    def lookup(scope: Scope) -> Hashable | None:
        raw = scope.get("query_string", b"")
        if not raw or len(raw) > 3 * _AT_ONCE:
            return None
        accept = header(scope, b"accept")
        said = (settings.digest, raw, accept)
        if said in _KEYS:
            return _KEYS[said]
        params = scope[_PARAMS] = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
        return _remember(said, len(raw), lookup_key(settings.digest, params, accept))

    return lookup


_KEYS: dict[tuple[Any, ...], Hashable | None] = {}
_KEYS_KEPT = 1024
"""Lookups as they were sent (the request's text: its URL's query or its body, with the
headers the key reads) and their keys. A client asks the same lookup again and again;
reading the key again (a form's decoding, the query's recognition, the negotiation) costs
more than sending the kept answer. At most :data:`_KEYS_KEPT` are remembered, of text
at most ``_AT_ONCE`` bytes long (a lookup's is a few hundred)."""


def _remember(said: tuple[Any, ...], size: int, key: Hashable | None) -> Hashable | None:
    if size <= _AT_ONCE:
        if len(_KEYS) >= _KEYS_KEPT:
            _KEYS.clear()
        _KEYS[said] = key
    return key


POSTED_MOST = 3 * _AT_ONCE
"""Bytes of a POSTed body the layer of kept answers reads to find a one-subject lookup's
key (a lookup's body is a few hundred bytes; a longer body goes on unread)."""


def posted_key(digest: str, scope: Scope, body: bytes) -> Hashable | None:
    """The key a POST of a one-subject lookup is kept under, as :func:`lookup_key` for a
    GET (a POST's answer is the same, byte for byte): the query in a form body, or the
    whole body as the query (``application/sparql-query``, its format in the URL)."""
    if scope["path"] not in ("/sparql", "/sparql/") or len(body) > POSTED_MOST:
        return None
    declared, url, accept = header(scope, b"content-type"), scope.get("query_string", b""), \
        header(scope, b"accept")
    said = (digest, body, declared, url, accept)
    if said in _KEYS:
        return _KEYS[said]
    return _remember(said, len(body) + len(url),
                     _posted_key(digest, scope, body, declared, url, accept))


def _posted_key(digest: str, scope: Scope, body: bytes, declared: str | None, url: bytes,
                accept: str | None) -> Hashable | None:
    media, charset = _content_type(declared)
    if charset not in (None, "utf-8"):
        return None
    try:
        if media == "application/x-www-form-urlencoded" and not url:
            known = scope.get(_FORM_FIELDS)  # read by the layer of kept answers already
            params = known[1] if known is not None and known[0] == body else \
                parse_qsl(body.decode("ascii"), keep_blank_values=True)
            scope[_FORM_FIELDS] = (body, params)
        elif media == "application/sparql-query":
            params = [("query", body.decode("utf-8")),
                      *parse_qsl(url.decode("latin-1"), keep_blank_values=True)]
        else:
            return None
    except UnicodeDecodeError:
        return None
    return lookup_key(digest, params, accept)


def query_key(digest: str, query: str, default_graph_uris: tuple[str, ...],
              named_graph_uris: tuple[str, ...], kind: str | None,
              media_types: dict[str, str], base: str | None = None) -> Hashable:
    """The key a query's answer is kept under: the release, the query and its dataset, the
    format its answer is written in (every format on offer when its form is unknown), and
    the base its relative IRIs were resolved against (None when it has none)."""
    formats = (kind, media_types.get(kind)) if kind else tuple(sorted(media_types.items()))
    return (digest, "query", query, default_graph_uris, named_graph_uris, formats, base)


Kept = tuple[Any, Answer, int]
"""A kept answer: its key in the answer cache, the answer and the bytes it counts for."""


def warm(settings: Any, limit: float) -> list[Kept]:
    """Answer each example query once, in its kind's default format, and keep the answer,
    so that the queries the service advertises answer at once; return what was kept (for
    the other front processes to keep too, :func:`keep`).

    Runs in the background at start-up, with ``limit`` seconds per query (a longer limit
    than a client gets: the answer is computed once per release)."""
    kept: list[Kept] = []
    for example in settings.examples:
        media_type = negotiate(None, (example.kind,)).media_type
        media_types = {example.kind: media_type}
        try:
            answer = settings.store.query(example.text, media_types=media_types,
                                          timeout=limit)
        except (StoreError, NotAcceptable):
            continue
        key = query_key(settings.digest, example.text, (), (), example.kind, media_types)
        kept.append((key, answer, len(answer.body) + len(example.text) + 256))
    return keep(settings, kept)


def keep(settings: Any, kept: list[Kept]) -> list[Kept]:
    """Keep answers :func:`warm` made (here or in another front process)."""
    for key, answer, size in kept:
        settings.cache.put(key, answer, size)
    return kept


def service_description(iris: Iris, endpoint_url: str, allow_service: tuple[str, ...],
                        graphs: list[str], media_type: str) -> bytes:
    """Describe the service (SPARQL 1.1 Service Description), claiming only what it does."""
    service = ox.NamedNode(str(iris.sparql()))
    dataset = ox.NamedNode(str(iris.sparql_part("dataset")))
    default = ox.NamedNode(str(iris.sparql_part("default-graph")))
    triples: list[tuple[ox.NamedNode, object, ox.NamedNode | ox.Literal]] = [
        (service, RDF.type, ox.NamedNode(str(SD.Service))),
        (service, SD.endpoint, ox.NamedNode(endpoint_url)),
        (service, SD.supportedLanguage, ox.NamedNode(str(SD.SPARQL11Query))),
        (service, SD.defaultDataset, dataset),
        (dataset, RDF.type, ox.NamedNode(str(SD.Dataset))),
        (dataset, SD.defaultGraph, default),
        (default, RDF.type, ox.NamedNode(str(SD.Graph))),
    ]
    triples += [(service, SD.resultFormat, ox.NamedNode("http://www.w3.org/ns/formats/" + name))
                for name in W3C_FORMATS]
    if allow_service:
        triples.append((service, SD.feature, ox.NamedNode(str(SD.BasicFederatedQuery))))
    for n, graph in enumerate(graphs, 1):
        named = ox.NamedNode(str(iris.sparql_part("named-graph", str(n))))
        triples += [(dataset, SD.namedGraph, named),
                    (named, RDF.type, ox.NamedNode(str(SD.NamedGraph))),
                    (named, SD.name, ox.NamedNode(graph))]
    return write_triples([ox.Triple(s, ox.NamedNode(str(p)), o) for s, p, o in triples],
                         media_type)


_DATASET = ("default-graph-uri", "named-graph-uri")


def _graph_parameters(name: str, value: str) -> list[tuple[str, str]]:
    """Split a dataset parameter whose value holds further dataset parameters behind an
    encoded ``&`` (``named-graph-uri=A%26named-graph-uri%3DB``), as clients that encode a
    whole query string once too often send it (the W3C test query_multiple_dataset does)."""
    if name in _DATASET and any(f"&{other}=" in value for other in _DATASET):
        return parse_qsl(f"{name}={quote(value, safe=':/?=&#')}", keep_blank_values=True)
    return [(name, value)]


def _read(method: str, params: list[tuple[str, str]], content_type: str | None,
          body: bytes, form: list[tuple[str, str]] | None
          ) -> tuple[SparqlRequest, str | None, OneSubject | None]:
    """Read the request (see :func:`read_request`), its query's form, and whether it is a
    one-subject lookup on the whole dataset (answered by the server's own view)."""
    asked = read_request(method, params, content_type, body, form)
    if asked.query is None:
        return asked, None, None
    found = None if asked.default_graph_uris or asked.named_graph_uris \
        else one_subject(asked.query)
    return asked, "solutions" if found else query_form(asked.query), found


def _inspect(query: str, allowed: tuple[str, ...]) -> bool:
    """Refuse SERVICE calls to endpoints not ``allowed`` (QueryRefused); tell whether the
    query may hold a relative IRI."""
    check_services(query, allowed)
    return may_be_relative(query)


def _base(request: Request, settings: Any) -> str:
    """The IRI relative IRIs are resolved against: the endpoint's URL, the protocol's
    service-defined base (the service's published IRI when the URL is not a valid IRI)."""
    url = _endpoint_url(request)
    try:
        return ox.NamedNode(url).value
    except ValueError:
        return str(settings.iris.sparql())


def _choose(accept: str | None, kind: str, fmt: str | None) -> str | None:
    try:
        return negotiate(accept, (kind,), fmt).media_type
    except ValueError:
        return None


def _content_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    media, *params = (p.strip() for p in header.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _read_only() -> ProtocolError:
    return ProtocolError(403, "this endpoint is read-only: SPARQL Update is refused and "
                         "nothing was changed")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(413, f"the request body is larger than {limit:,} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(413, f"the request body is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _endpoint_url(request: Request) -> str:
    """The endpoint's URL: the server's public URL and the path asked (never the Host)."""
    return request.app.state.settings.public_url + request.scope["path"].lstrip("/")

