"""Several front processes answering HTTP on one listening socket, so that answering uses
every core the server is given.

Python runs one thread of Python at a time, and a first answer (a description written as
Turtle, a page, a one-subject lookup) is Python work: one process answers on one core.
``serve --fronts N`` starts ``N - 1`` more front processes beside its own:

- the first front (the ``serve`` process) alone accepts connections, and hands every
  ``N``-th one to each of the others over a Unix socket pair (``SCM_RIGHTS``), so that
  connections are shared out evenly whatever the timing of their arrival (one handed to
  a front still starting waits in its socket until that front answers, about a second at
  start-up); a connection stays with its front until it closes;
- each front keeps its own share of the edge's bounds (connections, bytes held for
  clients: ``1/N`` of each), so the bounds hold for the server as a whole, and its own
  share of the kept answers' memory;
- queries run in the first front's pool of workers, whichever front received them
  (:mod:`pledge_graph.store.relay`): the scheduler's places per client, its queue and the
  memory bound of all queries at once are the server's, not a front's;
- descriptions, one-subject lookups, pages, dumps and kept answers are answered by the
  front that received the request, from its own read-only view of the on-disk store.

A front that stops is left out of the hand-out; the others go on. The other fronts stop with
the first (they are its children, told to stop when it goes).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

import uvicorn

from pledge_graph.store.relay import Relay
from pledge_graph.web.limits import EdgeLimits

__all__ = ["EXAMPLES", "STATISTICS", "FrontPlan", "FrontServer", "Fronts", "run"]

_LOG = logging.getLogger("pledge_graph")
_BATCH = 64  # connections accepted per wake-up at most, so other events get their turn
_PR_SET_PDEATHSIG = 1
_START = ("import sys\n"
          "from pledge_graph.web.limits import map_large_blocks\n"
          "map_large_blocks()  # before anything is loaded, as serve does (see pledge_graph.cli)\n"
          "from pledge_graph.web.fronts import run\n"
          "run(*map(int, sys.argv[1:4]))\n")
"""How another front process starts (``python -c``)."""
STATISTICS = "statistics"
"""What the first front tells the others once it has counted: the landing page's counts."""
EXAMPLES = "examples"
"""What the first front tells the others once it has answered the example queries: the
answers, for each front to keep (a query is answered once, not once per front)."""


@dataclass(frozen=True)
class FrontPlan:
    """What another front needs to answer as the first does (sent to it when it starts)."""

    store: Path
    result_limit: int
    base: str
    release_dir: Path
    digest: str
    version: str
    built: datetime
    timeout: float
    allow_service: tuple[str, ...]
    cache_bytes: int
    public_url: str
    query_threads: int
    edge: EdgeLimits
    max_connections: int
    share: int
    access_log: bool
    warm_limit: float
    prepared: bool = True


class FrontServer(uvicorn.Server):
    """uvicorn's server fed with connections by this module rather than by a listening
    socket of its own: accepted from ``listener`` (and handed out to ``others`` in turn),
    or received from the first front over ``handoff``."""

    def __init__(self, config: uvicorn.Config, *, listener: socket.socket | None = None,
                 others: list[socket.socket] | None = None,
                 handoff: socket.socket | None = None,
                 on_start: Callable[[asyncio.AbstractEventLoop], None] | None = None) -> None:
        super().__init__(config)
        self._on_start = on_start
        self._listener = listener
        self._others = list(others or [])
        self._turns: Iterator[socket.socket | None] = itertools.cycle([None, *self._others])
        self._handoff = handoff
        self._accepting = False
        self._stopping = False
        self._starting: set[asyncio.Task[Any]] = set()
        self._factory: Any = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        config = self.config
        self._factory = functools.partial(cast(Any, config.http_protocol_class), config=config,
                                          server_state=self.server_state,
                                          app_state=self.lifespan.state)
        loop = asyncio.get_running_loop()
        if self._on_start is not None:
            self._on_start(loop)
        for other in self._others:
            loop.add_reader(other.fileno(), self._heard, other)
        if self._listener is not None:
            self._listener.setblocking(False)
            self._start_accepting()
        if self._handoff is not None:
            self._handoff.setblocking(False)
            loop.add_reader(self._handoff.fileno(), self._receive)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._stopping = True
        loop = asyncio.get_running_loop()
        for source in (self._listener, self._handoff, *self._others):
            if source is not None and source.fileno() >= 0:
                loop.remove_reader(source.fileno())
        await super().shutdown(sockets)

    def _start_accepting(self) -> None:
        """Accept from now on (again: nothing happens)."""
        assert self._listener is not None
        if not self._accepting and not self._stopping:
            self._accepting = True
            asyncio.get_running_loop().add_reader(self._listener.fileno(), self._accept)

    def _take(self, conn: socket.socket) -> None:
        """Answer ``conn`` here (a client gone already is let go)."""
        try:
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            conn.close()
            return
        task = asyncio.get_running_loop().create_task(
            asyncio.get_running_loop().connect_accepted_socket(self._factory, conn))
        self._starting.add(task)  # held until the connection is made (or has failed)
        task.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[Any]) -> None:
        self._starting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOG.debug("a connection could not be taken up: %s", task.exception())

    def _accept(self) -> None:
        assert self._listener is not None
        for _ in range(_BATCH):
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # out of file descriptors: wait a little, then go on
                _LOG.warning("cannot accept a connection (%s); retrying shortly",
                             error.strerror)
                self._pause_accepting()
                return
            self._hand_out(conn)

    def _hand_out(self, conn: socket.socket) -> None:
        while True:
            other = next(self._turns)
            if other is None:
                self._take(conn)
                return
            try:
                socket.send_fds(other, [b"c"], [conn.fileno()])
            except BlockingIOError:
                self._take(conn)  # that front is behind: this one answers
                return
            except OSError:
                self._leave_out(other)
                continue
            conn.close()
            return

    def _heard(self, other: socket.socket) -> None:
        """A front's end of its socket pair closed: it has stopped (it sends nothing)."""
        try:
            said = other.recv(16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            said = b""
        if not said:
            self._leave_out(other)

    def _leave_out(self, other: socket.socket) -> None:
        if other not in self._others:
            return
        _LOG.warning("a front process has stopped; the others answer its share")
        asyncio.get_running_loop().remove_reader(other.fileno())
        self._others.remove(other)
        other.close()
        self._turns = itertools.cycle([None, *self._others])

    def _pause_accepting(self) -> None:
        assert self._listener is not None
        loop = asyncio.get_running_loop()
        fd = self._listener.fileno()
        loop.remove_reader(fd)
        loop.call_later(0.1, self._resume_accepting)

    def _resume_accepting(self) -> None:
        if self._accepting and not self._stopping and self._listener is not None:
            asyncio.get_running_loop().add_reader(self._listener.fileno(), self._accept)

    def _receive(self) -> None:
        assert self._handoff is not None
        for _ in range(_BATCH):
            try:
                message, fds, _, _ = socket.recv_fds(self._handoff, 16, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message, fds = b"", []
            if not message and not fds:  # the first front has gone
                asyncio.get_running_loop().remove_reader(self._handoff.fileno())
                self.should_exit = True
                return
            for fd in fds:
                self._take(socket.socket(fileno=fd))


class Fronts:
    """The other front processes of one server, started by the first."""

    def __init__(self, count: int, plan: FrontPlan,
                 query: Callable[..., Awaitable[Any]]) -> None:
        """Start ``count`` fronts with ``plan``; the queries they relay are run with
        ``query`` (the pool's ``query_async``)."""
        self.handoffs: list[socket.socket] = []
        self.relays: list[Relay] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self._ready: list[int] = []
        self._all_ready = threading.Event()
        self._count = count
        if count == 0:
            self._all_ready.set()
        for _ in range(count):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            relay_ours, relay_theirs = socket.socketpair()
            argv = [sys.executable, "-c", _START, str(theirs.fileno()),
                    str(relay_theirs.fileno()), str(os.getpid())]
            process = subprocess.Popen(argv, pass_fds=(theirs.fileno(), relay_theirs.fileno()),
                                       stdin=subprocess.DEVNULL)
            theirs.close()
            relay_theirs.close()
            relay = Connection(relay_ours.detach())
            relay.send(plan)
            ours.setblocking(False)
            self.handoffs.append(ours)
            self.processes.append(process)
            self.relays.append(Relay(relay, query, self._front_ready))

    def listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the queries the other fronts relay in ``loop`` (the first front's)."""
        for relay in self.relays:
            relay.listen(loop)

    def tell(self, name: str, value: object) -> None:
        """Send every other front a value the server computed once."""
        for relay in self.relays:
            relay.tell(name, value)

    def pids(self) -> list[int]:
        """The PIDs of the other fronts."""
        return [process.pid for process in self.processes]

    def wait_ready(self, timeout: float) -> list[int]:
        """Wait until every other front has kept its example answers; how many each kept."""
        self._all_ready.wait(timeout)
        return list(self._ready)

    def _front_ready(self, kept: int) -> None:
        self._ready.append(kept)
        if len(self._ready) >= self._count:
            self._all_ready.set()

    def close(self) -> None:
        """Stop the other fronts: they are told by the end of their hand-out socket, then
        by SIGTERM, then killed."""
        for handoff in self.handoffs:
            handoff.close()
        for process in self.processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _die_with(parent: int) -> None:
    """Have the kernel stop this process when its parent, the first front, stops."""
    name = ctypes.util.find_library("c")
    if name is not None:
        ctypes.CDLL(name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        sys.exit(0)


def run(handoff_fd: int, relay_fd: int, parent: int) -> None:
    """Answer the connections the first front hands over, as the plan it sends says."""
    from pledge_graph.web.limits import raise_file_limit

    _die_with(parent)
    raise_file_limit()
    from pledge_graph.rdf.vocab import Iris
    from pledge_graph.sparql.queries import load_examples
    from pledge_graph.store.relay import RelayedPool
    from pledge_graph.web.app import Settings, create_app
    from pledge_graph.web.cache import AnswerCache
    from pledge_graph.web.pages import statistics
    from pledge_graph.web.protocol import server_config
    from pledge_graph.web.sparql import keep, warm

    relay = Connection(relay_fd)
    plan: FrontPlan = relay.recv()
    store = RelayedPool(plan.store, relay, limit=plan.result_limit)
    settings = Settings(store=store, iris=Iris(plan.base), release_dir=plan.release_dir,
                        digest=plan.digest, version=plan.version, built=plan.built,
                        examples=load_examples(), timeout=plan.timeout,
                        allow_service=plan.allow_service, cache=AnswerCache(plan.cache_bytes),
                        public_url=plan.public_url, query_threads=plan.query_threads)
    if plan.prepared:
        from pledge_graph.web.prepared import PreparedDescriptions

        settings.prepared = PreparedDescriptions(plan.store, plan.digest)

    def prepare(limit: float) -> None:
        counted = store.told(STATISTICS, limit)
        if isinstance(counted, dict):  # counted once, by the first front
            settings.stats = counted
        statistics(settings)
        if plan.cache_bytes <= 0:
            store.ready(0)
            return
        answered = store.told(EXAMPLES, limit)  # answered once, by the first front
        kept = keep(settings, answered) if isinstance(answered, list) else warm(settings, limit)
        store.ready(len(kept))

    threading.Thread(target=prepare, args=(plan.warm_limit,), daemon=True).start()
    config = server_config(create_app(settings), plan.edge, plan.max_connections,
                           access_log=plan.access_log, share=plan.share)
    FrontServer(config, handoff=socket.socket(fileno=handoff_fd)).run()

