"""HTTP/1.1 connections with bounds: uvicorn's httptools protocol, hardened.

What uvicorn (0.5x) offers is used: its keep-alive timeout, its flow control (an answer
waits while the client's transport is full) and its pipelining queue. What it lacks is
added here: it has no deadline for a request to arrive (a connection that trickles its
headers stays forever), no bound on the size or number of header fields, no bound on how
long an answer may wait for a client that does not read, and its ``limit_concurrency``
answers 503 once that many connections are open, which would let idle connections lock
normal clients out. :class:`EdgeProtocol` keeps:

- a deadline for each request: its line and headers within ``header_timeout`` of its first
  byte (of the connection's opening, for the first), its body within ``body_timeout`` of
  its headers; past it the connection is answered 408 and closed;
- request line and headers within ``max_header_bytes`` (414, 431) and ``max_headers`` (431);
  at most ``max_pipeline`` requests queued on one connection;
- a send deadline: a connection whose writes stay blocked ``send_timeout`` seconds is
  dropped (its answer with it), and a transport queues at most ``write_buffer_bytes``
  before the answer waits; one blocked for :data:`STALL_GRACE`, or that sends nothing for
  :data:`STALL_PROBE`, counts as not reading, and what it holds counts against the budget;
- the table of connections and the bytes they hold (:mod:`pledge_graph.web.connections`).

A kept answer (:mod:`pledge_graph.web.cache`) is sent from here once its request is read,
with the headers the edge layer gives every answer, and the application is not entered: a
request's task, the layers' messages and their header lists cost more than the answer's own
work (a POSTed lookup asked again and again: 10,975 answers a second through the
application, 21,820 from here, wrk on the 10k corpus). An answer larger than the edge
layer's pieces, one to a client whose writes wait, one to a request that expects
``100-continue``, and every answer while the access log is on (it names a proxied client as
the application sees it) go through the application as any other.
"""

from __future__ import annotations

import asyncio
import fcntl
import http
import termios
from typing import Any, ClassVar, cast

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from pledge_graph.web.cache import CachedAnswers
from pledge_graph.web.connections import Connections, Peer
from pledge_graph.web.edge import PEER, SECURITY_HEADERS, EdgeLayer, new_request_id
from pledge_graph.web.limits import EdgeLimits
from pledge_graph.web.logs import LOGGER, Tally, log_config

__all__ = ["STALL_GRACE", "EdgeProtocol", "protocol_class", "server_config"]


STALL_GRACE = 1.0
"""Seconds a connection's writes stay blocked before its client counts as not reading."""
STALL_PROBE = 0.2
"""Within the grace, a blocked connection is looked at this often: one that has sent nothing
since it was last looked at (its buffer and its socket's send queue have not shrunk) counts
as not reading at once. Without it, every answer made in the grace's second would be held
uncounted, however many clients never read."""
_OUTQ = getattr(termios, "TIOCOUTQ", None)  # SIOCOUTQ on a socket, where it exists
_LATE_HEADERS = "closed: no complete request headers within {seconds:g} s"
_LATE_BODY = "closed: no complete request body within {seconds:g} s"
_EDGE_BLOCK = b"".join(name + b": " + value + b"\r\n" for name, value in SECURITY_HEADERS)


class _Refused(Exception):
    """Raised in a parser callback: the request breaks a bound; answer ``status`` (0: none)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class EdgeProtocol(HttpToolsProtocol):
    """One connection (see the module); :func:`protocol_class` binds the limits and the
    table that the connections of one server share."""

    limits: ClassVar[EdgeLimits] = EdgeLimits()
    table: ClassVar[Connections] = Connections(4096, EdgeLimits().buffer_bytes)
    tally: ClassVar[Tally] = Tally()
    answers: ClassVar[CachedAnswers | None] = None
    """The application's kept answers, sent from here (see the module)."""
    most_kept: ClassVar[int] = 0
    """The largest kept answer's body sent from here: the edge layer's piece."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout_keep_alive = self.limits.keep_alive  # type: ignore[assignment]
        self.peer = Peer(self.table, self._drop)
        # the read deadline: when it falls (None: none), why, and the timer that looks; a
        # new deadline moves the time, not the timer (one per request costs more than a
        # small kept answer's other work), which looks again when it fires early
        self._read_due: float | None = None
        self._read_reason = ("", 0.0)
        self._read_timer: asyncio.TimerHandle | None = None
        self._send_deadline: asyncio.TimerHandle | None = None
        self._stall: asyncio.TimerHandle | None = None
        self._in_request = False
        self._headers_done = False
        self._header_bytes = 0
        self._held: tuple[Any, Any] | None = None  # a request that may have a kept answer

    # connection events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        transport.set_write_buffer_limits(high=self.limits.write_buffer_bytes)
        if not self.table.opened(self.peer):
            self.tally.add("refused: every connection was busy")
            self._end(self._answer(503, "the server has no room for another connection"))
            return
        self._arm_read(self.limits.header_timeout, _LATE_HEADERS)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadlines()
        self.table.closed(self.peer)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.tally.add("asked for a protocol upgrade (answered as plain HTTP)")
        except httptools.HttpParserError as error:
            refused = error.__context__
            if isinstance(refused, _Refused):
                self._refuse(refused.status, refused.reason)
            else:
                self._refuse(400, "the request is not valid HTTP/1.1")
            return
        # the bytes of a request still arriving are held, unless its answer is complete
        # (uvicorn then drops them as they come)
        answered = self._headers_done and self.cycle is not None and self.cycle.response_complete
        if self._in_request and not answered and not self.peer.dropped:
            self.table.received(self.peer, len(data))
            if not self._headers_done and self.peer.reading > self.limits.max_header_bytes:
                self._refuse(431, f"request headers over {self.limits.max_header_bytes:,} "
                                  "bytes")

    def pause_writing(self) -> None:
        super().pause_writing()
        if self.peer.dropped:
            return
        # a client that reads pauses the writes too, for a moment, whenever the network is
        # slower than the server: only one that stays paused counts as not reading
        self._probe(self.loop.time(), None)
        if self._send_deadline is None:
            self._arm_send()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        self.table.resumed(self.peer)
        if self._send_deadline is not None and not self.transport.is_closing():
            self._send_deadline.cancel()
            self._send_deadline = None

    def timeout_keep_alive_handler(self) -> None:
        # closing waits for the write buffer to drain: bound that wait too
        if self.transport.get_write_buffer_size() and self._send_deadline is None:
            self._arm_send()
        super().timeout_keep_alive_handler()

    # parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_request = True
        self._headers_done = False
        self._header_bytes = 0
        self.scope[PEER] = self.peer  # type: ignore[literal-required]
        self.table.waiting(self.peer)
        if self._read_due is None:
            self._arm_read(self.limits.header_timeout, _LATE_HEADERS)

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.max_header_bytes:
            raise _Refused(414, f"request target over {self.limits.max_header_bytes:,} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        name, value = self.headers[-1]  # as kept: its name in lower case, its value trimmed
        self._header_bytes += len(name) + len(value) + 4
        if len(self.headers) > self.limits.max_headers:
            raise _Refused(431, f"more than {self.limits.max_headers} header fields")

    def on_headers_complete(self) -> None:
        size = len(self.url) + self._header_bytes
        if size > self.limits.max_header_bytes:
            raise _Refused(431, f"request headers over {self.limits.max_header_bytes:,} bytes")
        super().on_headers_complete()
        self._headers_done = True
        self.cycle.transport = _Corked(self.transport, self.loop)  # type: ignore[assignment]
        if len(self.pipeline) > self.limits.max_pipeline:
            raise _Refused(0, f"queued more than {self.limits.max_pipeline} requests")
        if self.pipeline:
            self._cancel_read()  # it waits for its turn, not for the client
        else:
            self._arm_read(self.limits.body_timeout, _LATE_BODY)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_request = False
        self._cancel_read()
        self.table.request_read(self.peer)
        held, self._held = self._held, None
        if held is not None and not self._send_kept(held[0]):
            super()._start_asgi_task(*held)

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        # a request whose answer may be kept is held until it is read whole (a GET at once,
        # a small POST with its body), then answered from here or handed on
        if self.answers is not None and self.answers.may_keep(cycle.scope) \
                and not cycle.waiting_for_100_continue:
            if cycle.more_body:
                self._held = (cycle, app)
                return
            if self._send_kept(cycle):
                return
        super()._start_asgi_task(cycle, app)

    def _send_kept(self, cycle: Any) -> bool:
        """Send the kept answer to ``cycle``'s request as the application would, with the
        edge layer's headers and a request id of its own; False if there is none to send
        from here."""
        scope = cycle.scope
        if self.flow.write_paused or cycle.disconnected or cycle.access_log \
                or self.answers is None:
            return False  # (the access log names a proxied client as the application sees it)
        head = scope["method"] == "HEAD"
        kept = self.answers.kept(scope, bytes(cycle.body) if scope["method"] == "POST"
                                 else None)
        if kept is None or len(kept.body) > self.most_kept:
            return False
        cycle.response_started = cycle.response_complete = True
        self.peer.request_id = rid = new_request_id()
        parts = [STATUS_LINE[kept.status]]
        parts += [name + b": " + value + b"\r\n"
                  for name, value in self.server_state.default_headers]
        parts += [kept.block, _EDGE_BLOCK, b"x-request-id: ", rid.encode(), b"\r\n",
                  b"\r\n" if cycle.keep_alive else b"connection: close\r\n\r\n"]
        if not head:
            parts.append(kept.body)
        self.transport.write(b"".join(parts))
        cycle.message_event.set()
        if not cycle.keep_alive:
            self.transport.close()
        cycle.on_response()
        return True

    def on_response_complete(self) -> None:
        queued = self.pipeline[-1][0] if self.pipeline else None
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if queued is not None:
            if queued.more_body:
                self._arm_read(self.limits.body_timeout, _LATE_BODY)
        elif not self._in_request:
            self.table.waiting(self.peer)

    def _probe(self, since: float, size: int | None) -> None:
        """Look again in :data:`STALL_PROBE` seconds: a client that read nothing since
        ``size`` bytes were queued, or still has not after :data:`STALL_GRACE`, is not
        reading."""
        self._stall = None
        queued = self.transport.get_write_buffer_size() + _unsent(self.transport)
        left = since + STALL_GRACE - self.loop.time()
        if (size is not None and queued >= size) or left <= 0:
            self._stalled()
        else:
            self._stall = self.loop.call_later(min(STALL_PROBE, left), self._probe, since,
                                               queued)

    def _stalled(self) -> None:
        self._stall = None
        self.table.stalled(self.peer, self.transport.get_write_buffer_size())

    # ending connections

    def _drop(self, reason: str) -> None:
        """End the connection at once (the table evicted it, or its client stopped reading);
        what it was sending is discarded."""
        if self.peer.dropped:
            return
        self.peer.dropped = True
        if self.flow is not None and self.flow.write_paused and self.peer.request_id:
            LOGGER.warning("request %s: slow client %s (%d bytes queued)",
                           self.peer.request_id, reason, self.transport.get_write_buffer_size())
        else:
            self.tally.add(reason)
        self._cancel_deadlines()
        self.table.closed(self.peer)
        self.transport.abort()

    def _refuse(self, status: int, reason: str) -> None:
        """Stop reading: answer ``status`` (0: no answer) and close."""
        self.tally.add(f"refused with {status or 'no answer'}: {reason}")
        self._end(self._answer(status, reason) if status else b"")

    def _read_check(self) -> None:
        self._read_timer = None
        if self._read_due is None:
            return
        if self.loop.time() < self._read_due:
            self._read_timer = self.loop.call_at(self._read_due, self._read_check)
            return
        self._read_due = None
        reason, seconds = self._read_reason
        self._read_expired(reason.format(seconds=seconds))

    def _read_expired(self, reason: str) -> None:
        self.tally.add(reason)
        self._end(self._answer(408, reason.removeprefix("closed: ")))

    def _end(self, answer: bytes) -> None:
        """Close the connection, writing ``answer`` first if no other answer is under way."""
        self.peer.dropped = True
        self._cancel_deadlines()
        self.table.closed(self.peer)
        transport = self.transport
        if transport.is_closing():
            return
        if answer and self._may_answer():
            transport.write(answer)
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    def _may_answer(self) -> bool:
        """Whether an answer written now would answer the request being read: none is
        queued, and this one has none yet (the previous one is complete, or this one's
        handler has not started answering)."""
        if self.pipeline:
            return False
        if not self._headers_done:
            return self.cycle is None or self.cycle.response_complete
        return self.cycle is None or not self.cycle.response_started

    def _answer(self, status: int, reason: str) -> bytes:
        phrase = http.HTTPStatus(status).phrase
        body = f"{status} {phrase}: {reason}\n".encode()
        headers = [*self.server_state.default_headers,
                   (b"content-type", b"text/plain; charset=utf-8"),
                   (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                   *SECURITY_HEADERS, (b"x-request-id", new_request_id().encode())]
        if status == 503:
            headers.append((b"retry-after", b"1"))
        lines = [f"HTTP/1.1 {status} {phrase}".encode(), *(n + b": " + v for n, v in headers)]
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def _arm_read(self, seconds: float, reason: str) -> None:
        self._read_due = due = self.loop.time() + seconds
        self._read_reason = (reason, seconds)
        if self._read_timer is None or self._read_timer.when() > due:
            if self._read_timer is not None:
                self._read_timer.cancel()
            self._read_timer = self.loop.call_at(due, self._read_check)

    def _arm_send(self) -> None:
        self._send_deadline = self.loop.call_later(
            self.limits.send_timeout, self._drop,
            f"dropped: did not read its answer for {self.limits.send_timeout:g} s")

    def _cancel_read(self) -> None:
        self._read_due = None

    def _cancel_deadlines(self) -> None:
        self._cancel_read()
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        if self._send_deadline is not None:
            self._send_deadline.cancel()
            self._send_deadline = None


def protocol_class(limits: EdgeLimits, max_connections: int, share: int = 1,
                   app: Any = None) -> type[EdgeProtocol]:
    """Return a protocol class for one server: these limits, one shared table. A server
    answered by ``share`` front processes gives each its part of the connections and the
    bytes held for clients (``pledge_graph.web.fronts``). ``app``: the application, whose
    kept answers the protocol sends itself when it is behind an :class:`EdgeLayer`."""
    table = Connections(max(1, max_connections // share), max(1, limits.buffer_bytes // share))
    edge = app if isinstance(app, EdgeLayer) else None
    attributes = {"limits": limits, "table": table, "tally": Tally(),
                  "answers": edge.answers if edge is not None else None,
                  "most_kept": edge.chunk_bytes if edge is not None else 0}
    return cast(type[EdgeProtocol], type("BoundedProtocol", (EdgeProtocol,), attributes))


def _unsent(transport: asyncio.Transport) -> int:
    """Bytes in the socket's send queue not yet taken by the client; 0 where the system
    does not say. The kernel holds megabytes for a fast client, and lets the transport
    write again only once a good part of them has gone, so the transport's buffer alone
    stays still for a while even when its client reads."""
    sock = transport.get_extra_info("socket")
    if sock is None or _OUTQ is None:
        return 0
    try:
        return int.from_bytes(fcntl.ioctl(sock.fileno(), _OUTQ, b"\0\0\0\0"), "little")
    except OSError:
        return 0


class _Corked:
    """A response's view of its connection's transport that sends the header block with
    the first piece of the body, in one system call (uvicorn writes them one by one: two
    sends, and two packets, for every small answer). Headers are held at most until the
    loop's next turn, so an answer whose body comes later goes out as before."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._first = True

    def write(self, data: bytes) -> None:
        if self._first:  # the header block
            self._first = False
            self._held = data
            self._loop.call_soon(self._flush)
            return
        held, self._held = self._held, None
        if held is None:
            self._transport.write(data)
        else:
            self._transport.writelines([held, data])

    def _flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def server_config(app: Any, limits: EdgeLimits, max_connections: int, *,
                  access_log: bool, share: int = 1) -> uvicorn.Config:
    """Return uvicorn's configuration for ``app`` behind :class:`EdgeProtocol`: no
    WebSocket (nothing here speaks it), the package's logger on uvicorn's stderr handler."""
    return uvicorn.Config(app, http=protocol_class(limits, max_connections, share, app),
                          ws="none",
                          log_config=log_config(), log_level="info", access_log=access_log)
