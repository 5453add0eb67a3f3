"""The table of open connections, and what each holds: the bounds on connections and bytes.

A client holds the server's resources in three ways: by keeping a connection open while
it sends nothing useful (idle, or trickling a request), by sending a request the server
must keep until it is complete, and by not reading an answer the server must then keep.
:class:`Connections` counts all three and, when a bound is passed, drops the connection
that has waited longest:

- at most ``max_connections`` are open; one more evicts the connection waiting longest for
  a request (idle or still sending it) or, failing that, the one stalled longest on a client
  that does not read; when there is neither, the new one is refused;
- at most ``max_bytes`` are held: the bytes of requests still arriving, plus for every
  connection whose writes are blocked its transport's buffer and the answer it is sending
  (an answer shared by several, as a kept answer is, counts once); past it, of the
  connections whose drop frees what they hold (a request still arriving; a blocked answer
  no other blocked connection sends), the one that has waited longest goes. Clients of a
  shared answer go only when no other drop would do. The connection whose growth passed
  the bound is spared, so one answer larger than the budget can still be delivered, to one
  client at a time.

Everything here is O(1) per event (ordered dictionaries: the oldest is first), so an
attack of many connections costs the event loop no more than that many requests.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["BUDGET", "EVICTED", "Connections", "Peer"]

EVICTED = "evicted: the connection table was full"
BUDGET = "dropped: the bytes held for clients were over the budget"


class Peer:
    """One open connection as the table sees it. ``drop(reason)`` ends it at once (and
    must call :meth:`Connections.closed`); ``request_id`` names the request it answers."""

    __slots__ = ("body", "buffered", "drop", "dropped", "open", "reading", "request_id",
                 "table")

    def __init__(self, table: Connections, drop: Callable[[str], None]) -> None:
        self.table = table
        self.drop = drop
        self.request_id = ""
        self.dropped = False
        self.open = False
        self.reading = 0
        self.buffered = 0
        self.body: bytes | None = None

    def sending(self, body: bytes) -> None:
        """This connection is now sending ``body`` (in pieces)."""
        self.table.sending(self, body)

    def sent(self) -> None:
        """The answer given to :meth:`sending` is sent, or given up."""
        self.table.sent(self)


class Connections:
    """Open connections, the bytes they hold, and the bounds on both (see the module)."""

    def __init__(self, max_connections: int, max_bytes: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_connections = max_connections
        self.max_bytes = max_bytes
        self.count = 0
        self.held = 0
        self._clock = clock
        self._waiting: OrderedDict[Peer, float] = OrderedDict()
        self._reading: OrderedDict[Peer, float] = OrderedDict()
        self._stalled: OrderedDict[Peer, float] = OrderedDict()
        # stalled connections whose drop frees their answer: no other stalled one sends it
        self._freeing: OrderedDict[Peer, float] = OrderedDict()
        self._bodies: dict[int, tuple[int, set[Peer]]] = {}

    def opened(self, peer: Peer) -> bool:
        """Count a new connection, evicting one if the table is full; False when none can
        be evicted (the new one must then be refused)."""
        if self.count >= self.max_connections:
            victim = _oldest(self._waiting, self._stalled)
            if victim is None:
                return False
            self._drop(victim, EVICTED)
        peer.open = True
        self.count += 1
        self._waiting[peer] = self._clock()
        return True

    def closed(self, peer: Peer) -> None:
        """Forget a connection and everything it held (again: nothing happens)."""
        if not peer.open:
            return
        self.resumed(peer)
        self.request_read(peer)
        peer.body = None
        peer.open = False
        self.count -= 1

    def waiting(self, peer: Peer) -> None:
        """The connection waits for a request (idle, or the request has begun)."""
        if peer.open and peer not in self._waiting:
            self._waiting[peer] = self._clock()

    def received(self, peer: Peer, size: int) -> None:
        """``size`` more bytes of an incomplete request arrived."""
        if not peer.open:
            return
        if peer not in self._reading:
            self._reading[peer] = self._clock()
        peer.reading += size
        self.held += size
        self._enforce(peer)

    def request_read(self, peer: Peer) -> None:
        """The request is complete: the connection no longer waits, its bytes are the
        handler's."""
        self._waiting.pop(peer, None)
        if self._reading.pop(peer, None) is not None:
            self.held -= peer.reading
        peer.reading = 0

    def sending(self, peer: Peer, body: bytes) -> None:
        """The connection starts sending ``body``."""
        self.sent(peer)
        if not peer.open:
            return
        peer.body = body
        if peer in self._stalled:
            self._join(peer)
            self._enforce(peer)

    def sent(self, peer: Peer) -> None:
        """The connection is done with its body."""
        if peer.body is not None and peer in self._stalled:
            self._leave(peer)
            self._freeing[peer] = self._clock()
        peer.body = None

    def stalled(self, peer: Peer, buffered: int) -> None:
        """The connection's writes are blocked with ``buffered`` bytes queued."""
        if not peer.open or peer in self._stalled:
            return
        self._stalled[peer] = self._clock()
        peer.buffered = buffered
        self.held += buffered
        if peer.body is not None:
            self._join(peer)
        else:
            self._freeing[peer] = self._clock()
        self._enforce(peer)

    def resumed(self, peer: Peer) -> None:
        """The connection's client reads again."""
        if self._stalled.pop(peer, None) is None:
            return
        self.held -= peer.buffered
        peer.buffered = 0
        if peer.body is not None:
            self._leave(peer)
        self._freeing.pop(peer, None)

    def _join(self, peer: Peer) -> None:
        """A stalled connection sends ``peer.body``: count the body once, however many send
        it; dropping the connection frees the body only if it is the only one."""
        assert peer.body is not None
        key = id(peer.body)
        entry = self._bodies.get(key)
        if entry is None:
            entry = self._bodies[key] = (len(peer.body), set())
            self.held += entry[0]
        senders = entry[1]
        senders.add(peer)
        if len(senders) == 1:
            self._freeing[peer] = self._clock()
        else:
            for other in senders:
                self._freeing.pop(other, None)

    def _leave(self, peer: Peer) -> None:
        """A stalled connection no longer sends ``peer.body``."""
        assert peer.body is not None
        key = id(peer.body)
        entry = self._bodies.get(key)
        if entry is None:
            return
        senders = entry[1]
        senders.discard(peer)
        self._freeing.pop(peer, None)
        if not senders:
            self.held -= entry[0]
            del self._bodies[key]
        elif len(senders) == 1:
            self._freeing[next(iter(senders))] = self._clock()

    def _enforce(self, trigger: Peer) -> None:
        while self.held > self.max_bytes:
            victim = (_oldest(self._reading, self._freeing, spare=trigger)
                      or _oldest(self._stalled, spare=trigger))
            if victim is None:
                return
            self._drop(victim, BUDGET)

    def _drop(self, victim: Peer, reason: str) -> None:
        victim.drop(reason)
        self.closed(victim)


def _oldest(*tables: OrderedDict[Peer, float], spare: Peer | None = None) -> Peer | None:
    """The peer that has been in its table longest, over all ``tables``, except ``spare``."""
    best: tuple[float, Peer] | None = None
    for table in tables:
        for peer, since in table.items():
            if peer is spare:
                continue
            if best is None or since < best[0]:
                best = (since, peer)
            break
    return best[1] if best is not None else None
