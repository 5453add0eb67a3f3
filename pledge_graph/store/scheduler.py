"""Which query runs next, and which may go on: a bounded, per-client fair queue in front of
the query workers (``pledge_graph.store.pool``).

A query cannot be told from a runaway before it runs, so places are shared by the service
a query has had so far (least attained service first):

- a query that starts takes one of ``fresh`` places and runs at normal priority;
- a query still running after a short while (the pool decides when, and lowers its
  priority) becomes *long*: it gives its fresh place to the next waiting query and takes
  one of ``long`` places, so new queries overtake long ones;
- when every long place is taken, a client holding at least two more of them than the
  client of the query that has just become long gives one up (its longest-running query is
  stopped, and the new one takes the place); otherwise the new one is stopped. A flood from
  one client thus keeps at most its share of the long places, and costs each further query
  of the flood a short while only.

At most ``queue`` queries wait. The next to start is the newest waiting query of the client
that runs the fewest queries now: no client waits behind another's flood, and a query sent
behind a burst from its own address (a person's small query behind their script's batch,
or behind an attacker on the same machine) starts at the next free place rather than
after the whole burst. A flood that goes on is kept out of the queue by the pool, which
answers the queries it stops for the share only when their time limit would have ended
them (``pledge_graph.store.pool``), so a query is not buried under ever newer ones of its own
address for long. A query that finds the queue full is refused with
:class:`~pledge_graph.store.embedded.Overloaded`, unless another client holds at least two more
waiting places than its own client, whose oldest waiting query is then refused instead.

Who a query is for is read from :data:`client` (the web layer sets it per request, to the
client's address); work the server does for itself runs as ``local``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pledge_graph.errors import Overloaded, QueryCancelled
from pledge_graph.store.waits import DONE, GONE, first_of

__all__ = [
    "DEFAULT_LONG",
    "DEFAULT_QUERIES",
    "DEFAULT_QUEUE",
    "Scheduler",
    "Ticket",
    "client",
]

DEFAULT_QUERIES = 4
"""Queries that run at normal priority at once (``--queries``)."""

DEFAULT_LONG = 4
"""Long-running queries that may go on at once, at the lowest priority (``--long-queries``)."""

DEFAULT_QUEUE = 64
"""Queries that may wait for a place (``--queue``); more are refused with Retry-After."""

client: ContextVar[str] = ContextVar("client", default="local")
"""The client a query is run for (its address); read when the query is admitted."""

_WAITING, _FRESH, _LONG, _OVER = "waiting", "fresh", "long", "over"
_LOOK_EVERY = 0.05
"""Seconds between looks at whether a waiting query's client has gone."""
_GONE = "its client closed the connection before the query started"


@dataclass(eq=False)
class Ticket:
    """One query's place: waiting, running (fresh or long), or over. ``granted`` is set when
    the query may start or was refused (then ``refused`` says why)."""

    client: str
    arrived: float = field(default_factory=time.monotonic)
    started: float = 0.0
    state: str = _WAITING
    granted: threading.Event = field(default_factory=threading.Event)
    refused: Overloaded | None = None
    notify: Callable[[], object] | None = None
    """Called (under the scheduler's lock) once ``granted`` is set: it must not block."""

    def grant(self) -> None:
        """The query may start, or was refused: tell whoever waits for it."""
        self.granted.set()
        if self.notify is not None:
            self.notify()

    @property
    def long(self) -> bool:
        """Whether the query has become long (it runs at the lowest priority)."""
        return self.state == _LONG


class Scheduler:
    """The places queries run in, and the queue in front of them (thread-safe)."""

    def __init__(self, fresh: int, long: int, queue: int, retry_after: int) -> None:
        self.fresh = fresh
        self.long = long
        self.queue = queue
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[Ticket]] = {}
        self._queued = 0
        self._running: Counter[str] = Counter()
        self._fresh = 0
        self._long: list[Ticket] = []

    def admit(self, for_client: str, notify: Callable[[], object] | None = None) -> Ticket:
        """Start a query of ``for_client`` or queue it; raise Overloaded when the queue is
        full and the client holds as many waiting places as any other. ``notify`` is called
        when a queued query may start or is refused (see :class:`Ticket`)."""
        ticket = Ticket(for_client)
        with self._lock:
            if self._fresh < self.fresh and not self._queued:
                self._start(ticket)
                return ticket
            if self._queued >= self.queue:
                self._make_room(for_client)
            ticket.notify = notify
            self._waiting.setdefault(for_client, deque()).append(ticket)
            self._queued += 1
        return ticket

    def wait(self, ticket: Ticket, timeout: float,
             cancel: threading.Event | None = None) -> None:
        """Block until ``ticket``'s query may start; raise Overloaded if it was refused or
        did not start within ``timeout`` seconds, QueryCancelled once ``cancel`` is set
        (it then leaves the queue)."""
        deadline = time.monotonic() + timeout
        step = timeout if cancel is None else _LOOK_EVERY
        while not ticket.granted.wait(min(step, max(0.0, deadline - time.monotonic()))):
            gone = cancel is not None and cancel.is_set()
            if gone or time.monotonic() >= deadline:
                self._given_up(ticket, timeout, gone)
                break
        if ticket.refused is not None:
            raise ticket.refused

    async def wait_async(self, ticket: Ticket, timeout: float, granted: asyncio.Future[Any],
                         gone: asyncio.Future[Any] | None = None) -> None:
        """:meth:`wait` in the running event loop, for a ticket whose ``notify`` makes
        ``granted`` done; ``gone`` is done once no one waits for the answer."""
        if not ticket.granted.is_set():
            outcome = await first_of(granted, timeout, gone)
            if outcome != DONE:
                self._given_up(ticket, timeout, outcome == GONE)
        if ticket.refused is not None:
            raise ticket.refused

    def _given_up(self, ticket: Ticket, timeout: float, gone: bool) -> None:
        """A query waited ``timeout`` seconds, or its client went: it leaves the queue
        with an error, unless it was granted meanwhile."""
        with self._lock:
            if ticket.state == _WAITING:
                self._unqueue(ticket)
                if gone:
                    raise QueryCancelled(_GONE)
                raise self._overloaded(f"every place for a query stayed taken for "
                                       f"{timeout:g} s")

    def lengthen(self, ticket: Ticket) -> Ticket | None:
        """``ticket``'s query has run a while: move it to a long place. Return the ticket
        whose query must be stopped to make room (``ticket`` itself, or another), or None."""
        with self._lock:
            if ticket.state != _FRESH:
                return None
            self._fresh -= 1
            victim = self._displaced(ticket) if len(self._long) >= self.long else None
            if victim is not None:
                self._end(victim)
            if victim is not ticket:
                ticket.state = _LONG
                self._long.append(ticket)
            self._grant()
            return victim

    def runs_long(self, for_client: str) -> bool:
        """Whether ``for_client`` runs a long query now."""
        with self._lock:
            return any(t.client == for_client for t in self._long)

    def leave(self, ticket: Ticket) -> None:
        """``ticket``'s query is over (answered, failed or given up): free its place."""
        with self._lock:
            if ticket.state == _WAITING:
                self._unqueue(ticket)
            elif ticket.state in (_FRESH, _LONG):
                if ticket.state == _FRESH:
                    self._fresh -= 1
                self._end(ticket)
                self._grant()

    def overloaded(self, message: str, hold: float = 0.0) -> Overloaded:
        """An Overloaded error saying ``message``, and when to come back."""
        error = self._overloaded(message)
        error.hold = hold
        return error

    def _start(self, ticket: Ticket) -> None:
        ticket.state = _FRESH
        ticket.started = time.monotonic()
        self._fresh += 1
        self._running[ticket.client] += 1
        ticket.grant()

    def _end(self, ticket: Ticket) -> None:
        """Free ``ticket``'s running place (its fresh count is the caller's)."""
        if ticket.state == _LONG:
            self._long.remove(ticket)
        ticket.state = _OVER
        self._running[ticket.client] -= 1
        if self._running[ticket.client] <= 0:
            del self._running[ticket.client]

    def _grant(self) -> None:
        while self._fresh < self.fresh and self._queued:
            self._start(self._next())

    def _next(self) -> Ticket:
        """The newest waiting query of the client that runs the fewest queries now (of two
        such clients, the one that has waited longest)."""
        chosen = min(self._waiting, key=lambda c: (self._running[c], self._waiting[c][0].arrived))
        ticket = self._waiting[chosen].pop()
        self._queued -= 1
        if not self._waiting[chosen]:
            del self._waiting[chosen]
        return ticket

    def _unqueue(self, ticket: Ticket) -> None:
        waiting = self._waiting[ticket.client]
        waiting.remove(ticket)
        if not waiting:
            del self._waiting[ticket.client]
        self._queued -= 1
        ticket.state = _OVER

    def _make_room(self, for_client: str) -> None:
        """The queue is full: refuse the oldest waiting query of a client that holds at
        least two waiting places more than ``for_client``, or raise Overloaded."""
        mine = len(self._waiting.get(for_client, ()))
        heaviest = max(self._waiting, key=lambda c: len(self._waiting[c]), default=None)
        if heaviest is None or len(self._waiting[heaviest]) < mine + 2:
            raise self._overloaded(f"{self.queue} queries are waiting in the queue already")
        dropped = self._waiting[heaviest][0]
        self._unqueue(dropped)
        dropped.refused = self._overloaded("the queue was full and this query's client held "
                                           "more of its places than any other")
        dropped.grant()

    def _displaced(self, ticket: Ticket) -> Ticket:
        """The query to stop so that ``ticket`` may become long (see the module)."""
        held = Counter(t.client for t in self._long)
        heaviest = max(held, key=lambda c: held[c], default=ticket.client)
        if held[heaviest] < held[ticket.client] + 2:
            return ticket
        return min((t for t in self._long if t.client == heaviest),
                   key=lambda t: t.started)

    def _overloaded(self, message: str) -> Overloaded:
        return Overloaded(f"the service is busy: {message}; try again in "
                          f"{self.retry_after} s", retry_after=self.retry_after,
                          expected="a less busy moment")
