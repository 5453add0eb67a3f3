"""The web application, made by :func:`create_app` from :class:`Settings`.

Routes (the published base IRI is mapped onto this server's root, so
``<base>id/pledge/japan-2023/1`` is ``/id/pledge/japan-2023/1`` here):

    /                     landing page: what the dataset is, how big, how to use it
    /sparql               SPARQL 1.1 Protocol (query only), service description, workbench
    /query                the query workbench (YASGUI on /sparql)
    /store                Graph Store Protocol, read-only (GET ?graph=IRI or ?default)
    /dumps/, /dumps/FILE  the release's files
    /.well-known/void     the VoID description        /catalog  the DCAT catalog
    /context.jsonld       the JSON-LD context
    /pledges              browse and search the pledges (also /pledges.csv, /pledges/by/FACET)
    /stats                charts of the release, with their numbers and queries
    /id/..., /ontology/..., /shapes/..., /dataset..., /queries/...   resources

Errors are mapped to HTTP answers here, in one place, by class: domain errors to their
status with their message; a query stopped at a limit, a refused SERVICE call and a store
failure are also logged (one line, with the request id); a store failure and any
unexpected exception answer 500 with the request id and no detail. Public URLs (the
service description's endpoint, the landing page) come from ``Settings.public_url``, never
from the request's Host header.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

from pledge_graph.errors import (
    Overloaded,
    PledgeGraphError,
    QueryCancelled,
    QueryOutOfMemory,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
)
from pledge_graph.rdf.vocab import Iris
from pledge_graph.sparql.queries import ExampleQuery
from pledge_graph.sparql.results import NotAcceptable
from pledge_graph.store.embedded import ResultTooLarge, Store
from pledge_graph.store.pool import DEFAULT_TIMEOUT
from pledge_graph.web import browse, dumps, pages, resources, sparql, stats
from pledge_graph.web.cache import DEFAULT_CACHE_MB, AnswerCache, CachedAnswers
from pledge_graph.web.direct import DirectReads
from pledge_graph.web.edge import EdgeLayer, internal_error, note, request_id, unexpected
from pledge_graph.web.http import (
    CorsMiddleware,
    error,
    header,
    negotiated,
    not_acceptable,
    query_parameter,
)
from pledge_graph.web.negotiation import FORMATS, Unacceptable
from pledge_graph.web.prepared import PreparedDescriptions

__all__ = ["MAX_BODY", "QUERY_THREADS", "Settings", "create_app"]

MAX_BODY = 1_000_000
"""Bytes a request body (a POSTed query) may have."""

QUERY_THREADS = 96
"""Threads that store calls which may wait for a query worker run in, apart from the
threads of pages and dumps (``serve`` gives a pool one per place and per queue place)."""

STATIC_DIR = Path(__file__).parent / "static"
_LOG = logging.getLogger("pledge_graph.web")


@dataclass
class Settings:
    """Everything the app needs: the store, the IRIs, the release and the service limits."""

    store: Store
    iris: Iris = field(default_factory=Iris)
    release_dir: Path | None = None
    digest: str = "unversioned"
    version: str = ""
    built: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    examples: list[ExampleQuery] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT
    max_body: int = MAX_BODY
    allow_service: tuple[str, ...] = ()
    stats: dict[str, int] = field(default_factory=dict)
    cache: AnswerCache = field(
        default_factory=lambda: AnswerCache(DEFAULT_CACHE_MB * 1024 * 1024))
    public_url: str = "http://127.0.0.1:8000/"
    """Where clients reach this server's root (ends with ``/``): the listening address, or
    ``serve --public-url``."""
    query_threads: int = QUERY_THREADS
    prepared: PreparedDescriptions | None = None
    """The release's prepared descriptions (:mod:`.prepared`), answered once written."""


def create_app(settings: Settings) -> ASGIApp:
    """Return the application serving ``settings.store``: Starlette behind the answer cache,
    behind the edge layer (request ids, security headers, answers in pieces)."""
    routes = [
        Route("/", pages.landing),
        Route("/sparql", sparql.endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/sparql/", sparql.endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/query", pages.workbench),
        Route("/store", resources.graph_store, methods=["GET", "PUT", "POST", "DELETE", "PATCH"]),
        Route("/dumps/", dumps.listing),
        Route("/dumps/{name}", dumps.dump_file),
        Route("/.well-known/void", dumps.void),
        Route("/catalog", dumps.catalog),
        Route("/context.jsonld", dumps.context),
        Route("/pledges", browse.pledges),
        Route("/pledges.csv", browse.pledges_csv),
        Route("/pledges/by/{facet}", browse.by_facet),
        Route("/stats", stats.statistics_page),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/{path:path}", resources.resource),
    ]
    app = Starlette(routes=routes, exception_handlers={
        Unacceptable: _unacceptable,
        NotAcceptable: _not_acceptable,
        sparql.ProtocolError: _protocol_error,
        QuerySyntaxError: _status(400),
        QueryRefused: _status(403, logged="query refused"),
        Overloaded: _overloaded,
        QueryTimeout: _status(503, logged="query stopped at its time limit"),
        QueryCancelled: _query_cancelled,
        QueryOutOfMemory: _status(503, logged="query stopped at its memory limit"),
        ResultTooLarge: _status(503, logged="answer over the result cap"),
        StoreError: _store_error,
        ClientDisconnect: _client_gone,
        Exception: _unexpected,
    })
    app.state.settings = settings
    app.state.query_threads = anyio.CapacityLimiter(settings.query_threads)
    app.add_middleware(CorsMiddleware)
    direct = DirectReads(app)
    posted = functools.partial(sparql.posted_key, settings.digest)
    answers = CachedAnswers(direct, settings.cache, _resource_key(settings, direct), posted,
                            sparql.POSTED_MOST)
    return EdgeLayer(answers, answers=answers)


def _resource_key(settings: Settings, routes: DirectReads) -> Callable[[Scope], Hashable | None]:
    """The cache key of a GET of a resource IRI, as :func:`resources.resource` marks it, or
    of a one-subject lookup, as :func:`sparql.endpoint` marks it."""

    lookups = sparql.kept_lookup(settings)

    def lookup(scope: Scope) -> Hashable | None:
        path = scope["path"]
        if path in ("/sparql", "/sparql/"):
            return lookups(scope)
        if not routes.is_resource(path):
            return None
        fmt = negotiated(header(scope, b"accept"), resources.RESOURCE_KINDS,
                         query_parameter(scope, "format"))
        return None if fmt is None else resources.cache_key(settings, path, fmt)

    return lookup


async def _unacceptable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unacceptable)
    return not_acceptable(exc, request.scope["path"])


async def _not_acceptable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotAcceptable)
    offered = [f for f in FORMATS if exc.kind in f.kinds]
    return not_acceptable(Unacceptable(str(exc), offered), request.scope["path"])


async def _protocol_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, sparql.ProtocolError)
    return error(exc.status, f"{exc.status} {exc.message}", exc.headers)


def _status(code: int, logged: str | None = None
            ) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A handler answering ``code`` with the error's message; ``logged``: also log it."""

    async def handler(request: Request, exc: Exception) -> Response:
        if logged:
            note(request.scope, f"{logged}: {exc}")
        suffix = f" (request {request_id(request.scope)})" if code >= 500 else ""
        return error(code, f"{code} {_REASONS[code]}: {_public(exc)}{suffix}")
    return handler


async def _store_error(request: Request, exc: Exception) -> Response:
    """The store failed (a worker died, the store could not be read): logged; the answer
    says so without the detail, which may name files."""
    note(request.scope, f"store error: {exc}")
    return _internal_error(request)


async def _unexpected(request: Request, exc: Exception) -> Response:
    note(request.scope, unexpected(exc), handled=exc)
    return _internal_error(request)


async def _query_cancelled(request: Request, exc: Exception) -> Response:
    """The client closed its connection while its query waited or ran: the query was
    stopped. No one reads the answer; the log says 499, as nginx's does for a client that
    closed its request."""
    note(request.scope, f"query stopped: {exc}")
    return Response(status_code=499)


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client left before its request was read: there is no one to answer."""
    return Response(status_code=400)


def _internal_error(request: Request) -> Response:
    return error(500, internal_error(request.scope))


async def _overloaded(request: Request, exc: Exception) -> Response:
    """Too busy now: 503 saying when to come back, sent after the pause the error asks for
    (which holds a connection, no thread and no place)."""
    assert isinstance(exc, Overloaded)
    note(request.scope, f"query refused, too busy: {exc.message}")
    if exc.hold > 0:
        await anyio.sleep(exc.hold)
    return error(503, f"503 Service Unavailable: {_public(exc)} "
                 f"(request {request_id(request.scope)})",
                 {"Retry-After": str(exc.retry_after)})


def _public(exc: Exception) -> str:
    """What an error says to a client: its message and what was expected, never the file
    on the server it was raised about."""
    if isinstance(exc, PledgeGraphError):
        return f"{exc.message} (expected {exc.expected})" if exc.expected else exc.message
    return str(exc)


_REASONS = {400: "Bad Request", 403: "Forbidden", 503: "Service Unavailable"}
