"""Small HTTP helpers every handler shares: reading a request (a header, a URL parameter,
the negotiated format), validators (ETag, Last-Modified, 304), plain-text errors, the 406
answer, store calls that may wait for a query worker, and the middleware that adds CORS
headers to every answer."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pledge_graph.store import scheduler
from pledge_graph.store.embedded import Answer, Store
from pledge_graph.store.waits import settle_once
from pledge_graph.web.negotiation import Format, Unacceptable, negotiate

__all__ = [
    "CorsMiddleware",
    "alternates",
    "cors_headers",
    "error",
    "etag",
    "for_client",
    "header",
    "http_date",
    "negotiated",
    "not_acceptable",
    "not_modified",
    "query_for_client",
    "query_parameter",
    "run_query",
    "validated",
]


def etag(*parts: str) -> str:
    """Return a strong ETag derived from ``parts`` (release digest, IRI, format...)."""
    return '"' + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32] + '"'


def not_modified(request: Request, tag: str, modified: datetime) -> bool:
    """Return True when the request's validators show the client's copy is current."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or tag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return int(modified.timestamp()) <= int(parsedate_to_datetime(since).timestamp())
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


@functools.lru_cache(maxsize=16)
def http_date(moment: datetime) -> str:
    """``moment`` as an HTTP date (a release's time, written once, not per answer)."""
    return format_datetime(moment, usegmt=True)


def validated(request: Request, body: bytes, media_type: str, tag: str, modified: datetime,
              headers: dict[str, str] | None = None, status: int = 200) -> Response:
    """Answer ``body`` with ETag, Last-Modified and caching headers, or 304 when current."""
    all_headers = {"ETag": tag, "Last-Modified": http_date(modified),
                   "Cache-Control": "public, max-age=300", **(headers or {})}
    if not_modified(request, tag, modified):
        return Response(status_code=304, headers=all_headers)
    return Response(body, status_code=status, media_type=media_type, headers=all_headers)


T = TypeVar("T")


async def for_client(request: Request, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a store call that may wait for a query worker, for the request's client (by
    address: the scheduler shares places between clients), in a thread of the app's own
    limiter: a query waiting for its turn never holds a thread that pages, dumps and kept
    answers need."""
    scheduler.client.set(request.client.host if request.client else "unknown")
    return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs),
                                          limiter=request.app.state.query_threads)


async def query_for_client(request: Request, call: Callable[..., T], *args: Any,
                           **kwargs: Any) -> T:
    """:func:`for_client` for a query, which is stopped if its client closes the
    connection before the answer (``call`` gets ``cancel``, an event set then): a client
    that gives up, or times out and asks again, leaves no query running for no one."""
    gone = threading.Event()
    watching = asyncio.ensure_future(_until_gone(request.receive, gone.set))
    try:
        return await for_client(request, call, *args, cancel=gone, **kwargs)
    finally:
        watching.cancel()


async def run_query(request: Request, store: Store, sparql: str, **options: Any) -> Answer:
    """Run a client's query on ``store`` as :func:`query_for_client` does; on a store that
    can wait for its place and answer in the event loop (``query_async``), without a
    thread (see :mod:`pledge_graph.store.waits`)."""
    in_loop = getattr(store, "query_async", None)
    if in_loop is None:
        return await query_for_client(request, store.query, sparql, **options)
    scheduler.client.set(request.client.host if request.client else "unknown")
    gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    watching = asyncio.ensure_future(
        _until_gone(request.receive, functools.partial(settle_once, gone, None)))
    try:
        return await in_loop(sparql, gone=gone, **options)
    finally:
        watching.cancel()


async def _until_gone(receive: Receive, on_gone: Callable[[], None]) -> None:
    """Wait for the server to say the client has gone, then call ``on_gone``. What is left
    of the request's body is read first (a GET's empty body, unless it was read before); a
    server that then gives a request message again, rather than wait, is not watched."""
    ended = False
    try:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            if not message.get("more_body", False):
                if ended:
                    return
                ended = True
    except Exception:  # noqa: BLE001 - a server that fails here is not watched further
        return
    if message["type"] == "http.disconnect":
        on_gone()


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Return a plain-text error saying what went wrong and what was expected."""
    return PlainTextResponse(message.rstrip() + "\n", status_code=status, headers=headers)


def not_acceptable(problem: Unacceptable, path: str) -> Response:
    """Return 406 listing the formats that are available here."""
    lines = [f"406 Not Acceptable: {problem.reason}", "", "Available here:"]
    lines += [f"  {f.media_type}  ({path}?format={f.key})" for f in problem.alternatives]
    return error(406, "\n".join(lines), headers={"Vary": "Accept"})


def alternates(path: str, formats: list[Format]) -> str:
    """Return a Link header value naming each RDF variant of ``path``."""
    return ", ".join(f'<{path}?format={f.key}>; rel="alternate"; type="{f.media_type}"'
                     for f in formats)


def query_parameter(scope: Scope, name: str) -> str | None:
    """Return the last value of one URL parameter of the request, or None."""
    raw = scope.get("query_string", b"")
    if not raw:
        return None
    values = [v for k, v in parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
              if k == name]
    return values[-1] if values else None


def header(scope: Scope, name: bytes) -> str | None:
    """Return one request header (the first of that name), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


_REMEMBERED_ACCEPT = 1024
"""Characters of an Accept header whose negotiation is remembered (browsers send about 100;
a longer header is negotiated each time rather than kept)."""


def negotiated(accept: str | None, kinds: tuple[str, ...], fmt: str | None) -> Format | None:
    """The format :func:`negotiate` picks, remembered for usual headers; None when nothing
    is acceptable."""
    if accept is not None and len(accept) > _REMEMBERED_ACCEPT:
        return _negotiated(accept, kinds, fmt)
    return _remembered(accept, kinds, fmt)


def _negotiated(accept: str | None, kinds: tuple[str, ...], fmt: str | None) -> Format | None:
    try:
        return negotiate(accept, kinds, fmt)
    except Unacceptable:
        return None


_remembered = lru_cache(maxsize=512)(_negotiated)


_PREFLIGHT = Response(status_code=204, headers={
    "Access-Control-Allow-Methods": "GET, HEAD, POST",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
})


_CORS = ((b"access-control-allow-origin", b"*"),
         (b"access-control-expose-headers",
          b"ETag, Link, Content-Location, Location, X-Request-Id"))


def cors_headers(headers: list[tuple[bytes, bytes]]) -> None:
    """Add the CORS headers every answer carries to ``headers`` (raw, lower-case names),
    in place of any the handler set."""
    names = {name for name, _ in _CORS}
    headers[:] = [h for h in headers if h[0] not in names]
    headers.extend(_CORS)


class CorsMiddleware:
    """Adds ``Access-Control-Allow-Origin: *`` to every answer, and answers CORS preflight
    requests: the data is public and read-only, so any web page may query and read it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", ()))
                cors_headers(message["headers"])
            await send(message)

        if scope["method"] == "OPTIONS" and any(
                name == b"access-control-request-method" for name, _ in scope["headers"]):
            await _PREFLIGHT(scope, receive, send_with_cors)
            return
        await self.app(scope, receive, send_with_cors)
