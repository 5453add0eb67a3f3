"""The outermost ASGI layer: what every answer gets, whatever route or error made it.

- a request id, made here (none is accepted from the client), sent back as ``X-Request-Id``
  and named in every log line about the request;
- the security headers (:data:`SECURITY_HEADERS`): no MIME sniffing, a Content-Security-
  Policy the pages keep to (scripts, styles and requests from this server only, but for one
  style sheet the query workbench's table adds, allowed by its hash; no frames,
  no ``<base>``, forms only to this server), no Referer to other sites;
- bodies handed to the server in pieces of at most ``chunk_bytes``: uvicorn waits for the
  client before each piece (flow control), so an answer to a client that does not read stays
  where it is, counted once, instead of being copied into a write buffer per client;
- one log line for every 5xx answer and every answer a handler marked with :func:`note`
  (a refused SERVICE call), with the reason and the request id;
- an exception that escapes the application is logged in one line and answered 500 with the
  request id and no detail (no path, no traceback).
"""

from __future__ import annotations

import logging
import os
import secrets
import traceback
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pledge_graph.web.logs import LOGGER, clean

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "PEER",
    "SECURITY_HEADERS",
    "WORKBENCH_STYLE_HASH",
    "EdgeLayer",
    "internal_error",
    "new_request_id",
    "note",
    "request_id",
    "unexpected",
]

WORKBENCH_STYLE_HASH = "sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk="
"""The one inline style sheet the pages may carry: the rules YASGUI's results table (its
column resizer) adds to the page as a ``<style>`` element, the same text every time."""
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; "
    f"style-src 'self' '{WORKBENCH_STYLE_HASH}'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
PEER = "pledge_graph.peer"
"""Scope key of the connection's :class:`~pledge_graph.web.connections.Peer` (set by the
protocol; absent when the app runs under another server)."""
_REQUEST_ID = "pledge_graph.request_id"
_REASON = "pledge_graph.reason"
_HANDLED = "pledge_graph.handled"
_CHUNK = 64 * 1024
_MAX_REASON = 1000


def new_request_id() -> str:
    """Return a fresh request id: 16 hex digits, random (drawn from the system's random
    bytes 4 KB at a time: one system call a request cost as much as sending a small kept
    answer's headers). Called on the server's event loop."""
    global _RANDOM, _DRAWN
    if _DRAWN >= len(_RANDOM):
        _RANDOM, _DRAWN = secrets.token_bytes(4096), 0
    _DRAWN += 8
    return _RANDOM[_DRAWN - 8:_DRAWN].hex()


def _forget_random() -> None:
    global _RANDOM, _DRAWN
    _RANDOM, _DRAWN = b"", 0


_RANDOM, _DRAWN = b"", 0
os.register_at_fork(after_in_child=_forget_random)  # a forked process draws its own


def request_id(scope: Scope) -> str:
    """Return the id of the request ``scope`` describes ("" outside this layer)."""
    return str(scope.get(_REQUEST_ID, ""))


def note(scope: Scope, reason: str, *, handled: BaseException | None = None) -> None:
    """Log this request's answer, whatever its status, with ``reason`` (one line, when the
    answer starts). ``handled``: the exception the answer reports, which is then not logged
    again when it reaches this layer."""
    scope[_REASON] = reason
    if handled is not None:
        scope[_HANDLED] = handled


def internal_error(scope: Scope) -> str:
    """The text of a 500 answer: that the error is logged, under which request id; nothing
    about the error itself (its message may name files)."""
    return ("500 Internal Server Error: the server could not answer this request; it is "
            f"logged as request {request_id(scope)}\n")


def unexpected(error: BaseException) -> str:
    """Describe an unexpected exception in one line: its type, message and where it was
    raised (for the log only)."""
    where = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    at = f" at {where[0].filename}:{where[0].lineno} in {where[0].name}" if where else ""
    return f"unexpected {type(error).__name__}: {error}{at}"


class _Answer:
    """One request's answer on its way out: its headers completed, its body in pieces."""

    def __init__(self, scope: Scope, send: Send, chunk_bytes: int) -> None:
        self.scope = scope
        self.downstream = send
        self.chunk_bytes = chunk_bytes
        self.started = False
        self.status = 0
        self.id = new_request_id()
        self.peer: Any = scope.get(PEER)
        scope[_REQUEST_ID] = self.id
        if self.peer is not None:
            self.peer.request_id = self.id

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            headers = [*message.get("headers", ()), *SECURITY_HEADERS,
                       (b"x-request-id", self.id.encode())]
            self._log()
            await self.downstream({**message, "headers": headers})
        elif (message["type"] == "http.response.body" and self.scope["method"] != "HEAD"
              and len(message.get("body", b"")) > self.chunk_bytes):
            await self._pieces(message["body"], message.get("more_body", False))
        else:
            await self.downstream(message)

    async def _pieces(self, body: bytes, more: bool) -> None:
        view, size, step = memoryview(body), len(body), self.chunk_bytes
        if self.peer is not None:
            self.peer.sending(body)
        try:
            for start in range(0, size, step):
                if self.peer is not None and self.peer.dropped:
                    return
                await self.downstream({"type": "http.response.body",
                                       "body": view[start:start + step],
                                       "more_body": more or start + step < size})
        finally:
            if self.peer is not None:
                self.peer.sent()

    async def internal_error(self) -> None:
        """Answer 500 with the request id and nothing about the error."""
        body = internal_error(self.scope)
        await self.send({"type": "http.response.start", "status": 500, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode())]})
        await self.send({"type": "http.response.body", "body": body.encode()})

    def failed(self) -> None:
        """The application failed after its answer started: log it, end the connection
        (the client sees a cut answer, not a complete wrong one)."""
        self._log("failed after the answer started")
        if self.peer is not None:
            self.peer.drop("dropped: its answer failed after it started")

    def _log(self, failure: str | None = None) -> None:
        """One line for a 5xx answer, an answer a handler noted, or a failure."""
        reason = self.scope.get(_REASON)
        if failure is None and reason is None and self.status < 500:
            return
        method = self.scope.get("method", "")
        path = clean(self.scope.get("path", ""))
        line = (f"request {self.id} {method} {path}: {self.status} "
                f"{clean(reason or 'no reason given', _MAX_REASON)}")
        if failure:
            line += f"; {failure}"
        serious = failure is not None or self.status >= 500 and self.status != 503
        LOGGER.log(logging.ERROR if serious else logging.WARNING, "%s", line)


class EdgeLayer:
    """Wraps the application (see the module)."""

    def __init__(self, app: ASGIApp, chunk_bytes: int = _CHUNK, *,
                 answers: Any = None) -> None:
        """``answers``: the application's kept answers
        (:class:`~pledge_graph.web.cache.CachedAnswers`), which the server's protocol sends
        itself, with this layer's headers (:mod:`pledge_graph.web.protocol`)."""
        self.app = app
        self.chunk_bytes = chunk_bytes
        self.answers = answers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer = _Answer(scope, send, self.chunk_bytes)
        try:
            await self.app(scope, receive, answer.send)
        except Exception as error:  # noqa: BLE001 - the last resort: logged, answered 500
            if scope.get(_HANDLED) is error:
                return
            note(scope, unexpected(error))
            if not answer.started:
                await answer.internal_error()
            else:
                answer.failed()
