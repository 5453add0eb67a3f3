"""Answers computed once per release and kept: resource descriptions and query answers.

A release never changes while it is served, so the answer to a GET of a resource IRI (in
one negotiated format) or to one SPARQL query (with its dataset and negotiated formats) is
the same every time. :class:`AnswerCache` keeps complete answers (status, headers, body)
in a bounded least-recently-used table; :class:`CachedAnswers`, the outermost layer of the
application, replays a kept answer without entering the framework at all, and keeps the
answers the handlers mark as cacheable. Keys start with the release digest, so a new
release never sees an old answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_CACHE_MB",
    "AnswerCache",
    "CachedAnswers",
    "Kept",
    "mark_cacheable",
]

DEFAULT_CACHE_MB = 128
"""Megabytes of answers one server process keeps (``--cache-mb``)."""

_MARK = "pledge_graph.cache"
_NONE_KEPT = "pledge_graph.none_kept"
"""Scope key of a request found to have no kept answer (by the server's protocol, before
the application): the layer does not look again."""
_CONDITIONAL = (b"if-none-match", b"if-modified-since")


@dataclass(frozen=True)
class Kept:
    """A complete answer as it was sent: status, raw headers and body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    block: bytes = field(init=False, repr=False, compare=False)
    """The headers as they go on the wire (``name: value`` lines), for the server's
    protocol, which sends a kept answer itself (:meth:`CachedAnswers.kept`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "block", b"".join(
            name + b": " + value + b"\r\n" for name, value in self.headers))

    @property
    def size(self) -> int:
        """Bytes the answer holds (body and headers)."""
        return len(self.body) + 2 * len(self.block) + 64


class AnswerCache:
    """A bounded, thread-safe LRU table of answers (any value with its size in bytes);
    0 bytes turns it off."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._table: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """Return the value kept for ``key`` (and mark it recently used), or None."""
        with self._lock:
            entry = self._table.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._table.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        """Keep ``value`` (``size`` bytes) under ``key``, dropping the least recently used
        values to fit; a value larger than an eighth of the budget is not kept."""
        if size > self.max_bytes // 8:
            return
        with self._lock:
            old = self._table.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._table[key] = (value, size)
            self.size += size
            while self.size > self.max_bytes:
                _, (_, dropped) = self._table.popitem(last=False)
                self.size -= dropped

    def __len__(self) -> int:
        return len(self._table)


def mark_cacheable(scope: Scope, key: Hashable) -> None:
    """Let the answer to this request be kept under ``key`` (called by a handler)."""
    mark = scope.get(_MARK)
    if mark is not None:
        mark["key"] = key


KeyFunction = Callable[[Scope], Hashable | None]
BodyKeyFunction = Callable[[Scope, bytes], Hashable | None]


class CachedAnswers:
    """ASGI layer in front of the application: answers a GET or HEAD whose answer is kept
    straight from the cache; otherwise passes the request on and keeps a 200 answer that
    the handler marked with :func:`mark_cacheable`.

    ``lookup`` returns the key a request would be kept under, without doing the handler's
    work (None: not a request whose answer is kept). Conditional requests always go to the
    handlers, which answer 304 when the client's copy is current. A POST whose declared
    body is at most ``body_most`` bytes is read here, and kept under the key ``posted``
    gives for it (clients send queries by POST, and the same query again); the handler
    then reads the body as it came."""

    def __init__(self, app: ASGIApp, cache: AnswerCache, lookup: KeyFunction,
                 posted: BodyKeyFunction | None = None, body_most: int = 0) -> None:
        self.app = app
        self.cache = cache
        self.lookup = lookup
        self.posted = posted
        self.body_most = body_most

    def may_keep(self, scope: Scope) -> bool:
        """Whether the answer to this request may be a kept one: a GET or HEAD that is not
        conditional, or a POST that declares a small body (read whole before it is
        answered)."""
        if self.cache.max_bytes <= 0:
            return False
        method = scope["method"]
        if method in ("GET", "HEAD"):
            return not any(name in _CONDITIONAL for name, _ in scope["headers"])
        return method == "POST" and self.posted is not None and self._small(scope)

    def kept(self, scope: Scope, body: bytes | None) -> Kept | None:
        """The kept answer to a request :meth:`may_keep` allows (``body``: a POST's whole
        body), or None. The server's protocol calls it too, and sends a kept answer without
        entering the application."""
        if scope["method"] == "POST":
            key = self.posted(scope, body) if self.posted is not None and body is not None \
                else None
        else:
            key = self.lookup(scope)
        kept = self.cache.get(key) if key is not None else None
        if kept is None:
            scope[_NONE_KEPT] = True  # this layer does not look again
        return kept

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.cache.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if self.may_keep(scope) and _NONE_KEPT not in scope:
            body = None
            if method == "POST":
                read, body = await _read_body(receive, self.body_most)
                receive = _again(read, receive)
            kept = self.kept(scope, body)
            if kept is not None:
                await _replay(kept, send, head=method == "HEAD")
                return
        mark: dict[str, Any] = {}
        scope[_MARK] = mark
        if method not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        started: list[Message] = []
        chunks: list[bytes] = []
        room = self.cache.max_bytes // 8  # bytes an answer may have to be kept

        async def keeping(message: Message) -> None:
            # only an answer its handler marked is collected, while it may still be kept:
            # a dump or any other large answer goes out piece by piece, never held whole
            nonlocal room
            if message["type"] == "http.response.start":
                started.append(message)
            elif message["type"] == "http.response.body" and mark.get("key") is not None \
                    and room >= 0:
                body = message.get("body", b"")
                chunks.append(body)
                room -= len(body)
                if not message.get("more_body", False) and room >= 0:
                    start = started[0] if started else {}
                    if start.get("status") == 200:
                        headers = tuple((bytes(k), bytes(v)) for k, v in start["headers"])
                        kept = Kept(200, headers, b"".join(chunks))
                        self.cache.put(mark["key"], kept, kept.size)
                if room < 0:
                    chunks.clear()
            await send(message)

        await self.app(scope, receive, keeping)

    def _small(self, scope: Scope) -> bool:
        """Whether a POST declares a body of at most ``body_most`` bytes."""
        for name, value in scope["headers"]:
            if name == b"content-length":
                return value.isdigit() and int(value) <= self.body_most
        return False


async def _replay(kept: Kept, send: Send, *, head: bool = False) -> None:
    await send({"type": "http.response.start", "status": kept.status, "headers": kept.headers})
    await send({"type": "http.response.body", "body": b"" if head else kept.body})


async def _read_body(receive: Receive, most: int) -> tuple[list[Message], bytes | None]:
    """The request's messages read so far, and its whole body (None if it is longer than
    ``most`` bytes or the client left)."""
    read: list[Message] = []
    size = 0
    while True:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            return read, None
        size += len(message.get("body", b""))
        if size > most:
            return read, None
        if not message.get("more_body", False):
            return read, b"".join(m.get("body", b"") for m in read)


def _again(read: list[Message], receive: Receive) -> Receive:
    """``receive`` giving the messages already ``read`` first."""
    pending = list(read)

    async def again() -> Message:
        return pending.pop(0) if pending else await receive()
    return again
