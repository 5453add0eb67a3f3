"""The web application, made by :func:`create_app` from :class:`Settings`.

Routes (the published base IRI is mapped onto this server's root, so
``<base>id/pledge/japan-2023/1`` is ``/id/pledge/japan-2023/1`` here):

    /                     landing page: what the dataset is, how big, how to use it
    /sparql               SPARQL 1.1 Protocol (query only), service description, query page
    /store                Graph Store Protocol, read-only (GET ?graph=IRI or ?default)
    /dumps/, /dumps/FILE  the release's files
    /.well-known/void     the VoID description        /catalog  the DCAT catalog
    /context.jsonld       the JSON-LD context
    /id/..., /ontology/..., /shapes/..., /dataset..., /queries/...   resources

Domain errors are mapped to HTTP answers here, in one place, by class.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

from ..errors import PledgeGraphError, StoreError
from ..pool import DEFAULT_TIMEOUT
from ..queries import ExampleQuery
from ..results import NotAcceptable
from ..store import (
    Overloaded,
    QueryOutOfMemory,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    Store,
)
from ..vocab import Iris
from . import dumps, pages, resources, sparql
from .cache import DEFAULT_CACHE_MB, AnswerCache, CachedAnswers, header, negotiated, query_parameter
from .http import CorsMiddleware, error, not_acceptable
from .negotiation import FORMATS, Unacceptable

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
    query_threads: int = QUERY_THREADS


def create_app(settings: Settings) -> ASGIApp:
    """Return the application serving ``settings.store``: Starlette behind the answer cache."""
    routes = [
        Route("/", pages.landing),
        Route("/sparql", sparql.endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/sparql/", sparql.endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/store", resources.graph_store, methods=["GET", "PUT", "POST", "DELETE", "PATCH"]),
        Route("/dumps/", dumps.listing),
        Route("/dumps/{name}", dumps.dump_file),
        Route("/.well-known/void", dumps.void),
        Route("/catalog", dumps.catalog),
        Route("/context.jsonld", dumps.context),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/{path:path}", resources.resource),
    ]
    app = Starlette(routes=routes, exception_handlers={
        Unacceptable: _unacceptable,
        NotAcceptable: _not_acceptable,
        QuerySyntaxError: _status(400),
        QueryRefused: _status(403),
        Overloaded: _overloaded,
        QueryTimeout: _status(503),
        QueryOutOfMemory: _status(503),
        ResultTooLarge: _status(503),
        StoreError: _store_failed,
    })
    app.state.settings = settings
    app.state.query_threads = anyio.CapacityLimiter(settings.query_threads)
    app.add_middleware(CorsMiddleware)
    return CachedAnswers(app, settings.cache, _resource_key(settings))


_NOT_RESOURCES = ("/", "/sparql", "/sparql/", "/store", "/dumps/", "/.well-known/void",
                  "/catalog", "/context.jsonld")


def _resource_key(settings: Settings) -> Callable[[Scope], Hashable | None]:
    """The cache key of a GET of a resource IRI, as :func:`resources.resource` marks it."""

    def lookup(scope: Scope) -> Hashable | None:
        path = scope["path"]
        if path in _NOT_RESOURCES or path.startswith(("/dumps/", "/static/")):
            return None
        fmt = negotiated(header(scope, b"accept"), resources.RESOURCE_KINDS,
                         query_parameter(scope, "format"))
        return None if fmt is None else resources.cache_key(settings, path, fmt)

    return lookup


async def _unacceptable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unacceptable)
    return not_acceptable(exc, request.url.path)


async def _not_acceptable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotAcceptable)
    offered = [f for f in FORMATS if exc.kind in f.kinds]
    return not_acceptable(Unacceptable(str(exc), offered), request.url.path)


async def _overloaded(request: Request, exc: Exception) -> Response:
    """Too busy now: 503 saying when to come back, sent after the pause the error asks for
    (which holds a connection, no thread and no place)."""
    assert isinstance(exc, Overloaded)
    if exc.hold > 0:
        await anyio.sleep(exc.hold)
    return error(503, f"503 Service Unavailable: {_public(exc)}",
                 {"Retry-After": str(exc.retry_after)})


async def _store_failed(request: Request, exc: Exception) -> Response:
    """A store failure: logged whole for the operator, answered without its details, which
    can name files on the server."""
    _LOG.error("%s %s: the store failed: %s", request.method, request.url.path, exc)
    return error(500, "500 Internal Server Error: the store could not answer this request; "
                 "the server's log says why")


def _status(code: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        return error(code, f"{code} {_REASONS[code]}: {_public(exc)}")
    return handler


def _public(exc: Exception) -> str:
    """What an error says to a client: its message and what was expected, never the file
    on the server it was raised about."""
    if isinstance(exc, PledgeGraphError):
        return f"{exc.message} (expected {exc.expected})" if exc.expected else exc.message
    return str(exc)


_REASONS = {400: "Bad Request", 403: "Forbidden", 503: "Service Unavailable"}
