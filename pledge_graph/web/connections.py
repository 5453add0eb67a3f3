"""The table of open connections, and what each holds: the bounds on connections and bytes.

A client holds the server's resources in three ways: by keeping a connection open while
it sends nothing useful (idle, or trickling a request), by sending a request the server
must keep until it is complete, and by not reading an answer the server must then keep.
:class:`Connections` counts all three and, when a bound is passed, drops a connection:

- at most ``max_connections`` are open; one more evicts the connection waiting longest for
  a request (idle or still sending it) or, failing that, the one stalled longest on a client
  that does not read; when there is neither, the new one is refused;
- at most ``max_bytes`` are held: the bytes of requests still arriving, plus for every
  connection whose writes are blocked its transport's buffer and the answer it is sending
  (an answer shared by several, as a kept answer is, counts once); past it, the connection
  whose drop frees the most goes first (by powers of two; among those, the one waiting
  longest), so a thousand slow requests of a few bytes are not dropped to free one large
  answer. A client of an answer that other blocked clients send too frees only its buffer
  by going. A connection that alone holds more than the budget is spared while the others
  make room for it, so one answer larger than the budget can still be delivered, to one
  client at a time.

Everything here is O(1) per event (ordered dictionaries, the oldest first; one per power of
two for the bytes), so an attack of many connections costs the event loop no more than
that many requests.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["BUDGET", "EVICTED", "Connections", "Peer"]

EVICTED = "evicted: the connection table was full"
BUDGET = "dropped: the bytes held for clients were over the budget"
_CLASSES = 64  # size classes: a connection holding n bytes is in class n.bit_length()


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


class Peer:
    """One open connection as the table sees it. ``drop(reason)`` ends it at once (and
    must call :meth:`Connections.closed`); ``request_id`` names the request it answers."""

    __slots__ = ("body", "buffered", "drop", "dropped", "frees", "open", "reading",
                 "request_id", "size_class", "stalled", "table")

    def __init__(self, table: Connections, drop: Callable[[str], None]) -> None:
        self.table = table
        self.drop = drop
        self.request_id = ""
        self.dropped = False
        self.open = False
        self.stalled = False
        self.reading = 0
        self.buffered = 0
        self.frees = 0
        self.size_class = 0
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
        self._stalled: OrderedDict[Peer, float] = OrderedDict()
        self._by_size = [OrderedDict[Peer, float]() for _ in range(_CLASSES)]
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
        self._reweigh(peer)
        self.count -= 1

    def waiting(self, peer: Peer) -> None:
        """The connection waits for a request (idle, or the request has begun)."""
        if peer.open and peer not in self._waiting:
            self._waiting[peer] = self._clock()

    def received(self, peer: Peer, size: int) -> None:
        """``size`` more bytes of an incomplete request arrived."""
        if not peer.open:
            return
        peer.reading += size
        self.held += size
        self._reweigh(peer)
        self._enforce(peer)

    def request_read(self, peer: Peer) -> None:
        """The request is complete: the connection no longer waits, its bytes are the
        handler's."""
        self._waiting.pop(peer, None)
        self.held -= peer.reading
        peer.reading = 0
        self._reweigh(peer)

    def sending(self, peer: Peer, body: bytes) -> None:
        """The connection starts sending ``body``."""
        self.sent(peer)
        if not peer.open:
            return
        peer.body = body
        if peer.stalled:
            self._join(peer)
            self._enforce(peer)

    def sent(self, peer: Peer) -> None:
        """The connection is done with its body."""
        if peer.body is not None and peer.stalled:
            self._leave(peer)
        peer.body = None
        self._reweigh(peer)

    def stalled(self, peer: Peer, buffered: int) -> None:
        """The connection's writes are blocked with ``buffered`` bytes queued."""
        if not peer.open or peer.stalled:
            return
        peer.stalled = True
        self._stalled[peer] = self._clock()
        peer.buffered = buffered
        self.held += buffered
        if peer.body is not None:
            self._join(peer)
        self._reweigh(peer)
        self._enforce(peer)

    def resumed(self, peer: Peer) -> None:
        """The connection's client reads again."""
        if not peer.stalled:
            return
        peer.stalled = False
        del self._stalled[peer]
        self.held -= peer.buffered
        peer.buffered = 0
        if peer.body is not None:
            self._leave(peer)
        self._reweigh(peer)

    def _join(self, peer: Peer) -> None:
        """A stalled connection sends ``peer.body``: the body counts once, however many
        send it, and only the one sender left frees it by going."""
        assert peer.body is not None
        entry = self._bodies.get(id(peer.body))
        if entry is None:
            entry = self._bodies[id(peer.body)] = (len(peer.body), set())
            self.held += entry[0]
        senders = entry[1]
        senders.add(peer)
        if len(senders) == 2:
            for other in senders:
                if other is not peer:
                    self._reweigh(other)

    def _leave(self, peer: Peer) -> None:
        """A stalled connection no longer sends ``peer.body``."""
        assert peer.body is not None
        entry = self._bodies.get(id(peer.body))
        if entry is None:
            return
        senders = entry[1]
        senders.discard(peer)
        if not senders:
            self.held -= entry[0]
            del self._bodies[id(peer.body)]
        elif len(senders) == 1:
            self._reweigh(next(iter(senders)))

    def _reweigh(self, peer: Peer) -> None:
        """Put ``peer`` in the size class of the bytes its drop would free."""
        frees = peer.reading
        if peer.stalled:
            frees += peer.buffered
            if peer.body is not None:
                entry = self._bodies.get(id(peer.body))
                if entry is not None and len(entry[1]) == 1:
                    frees += entry[0]
        if not peer.open:
            frees = 0
        size_class = frees.bit_length() if frees > 0 else 0
        if size_class != peer.size_class or (frees > 0) != (peer.frees > 0):
            if peer.frees > 0:
                self._by_size[peer.size_class].pop(peer, None)
            if frees > 0:
                self._by_size[size_class][peer] = self._clock()
            peer.size_class = size_class
        peer.frees = frees

    def _enforce(self, trigger: Peer) -> None:
        # a connection that alone holds more than the budget is spared: the others make
        # room for it (so one answer larger than the budget can still be delivered)
        spare = trigger if trigger.frees > self.max_bytes else None
        limit = max(self.max_bytes, trigger.frees)
        while self.held > limit:
            victim = self._largest(spare) or _oldest(self._stalled, spare=spare)
            if victim is None:
                return
            self._drop(victim, BUDGET)

    def _largest(self, spare: Peer | None) -> Peer | None:
        """The connection waiting longest among those whose drop frees the most."""
        for table in reversed(self._by_size):
            victim = _oldest(table, spare=spare)
            if victim is not None:
                return victim
        return None

    def _drop(self, victim: Peer, reason: str) -> None:
        victim.drop(reason)
        self.closed(victim)
