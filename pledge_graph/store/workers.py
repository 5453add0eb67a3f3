"""The query worker processes of a pool (``pledge_graph.store.pool``): how they start, how many
are kept ready, their memory and priority, and when they are retired.

A worker is started in one of two ways: on the on-disk store (a process from the fork
server, which opens the store read-only), or forked from the template process that holds
the in-memory copy (milliseconds; the copy is shared copy-on-write). :class:`Workers` keeps
``ready`` of them started and idle, starts more on demand, and retires a worker that should
answer no more: one whose priority was lowered (it cannot be raised again without
privilege), one whose heap a large query grew, an on-disk one once the in-memory copy is
ready. What the processes run is here too (:func:`serve_on_disk`, :func:`template`); what
is done to a process from outside (memory, priority, ending it) is in
``pledge_graph.store.processes``.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing import reduction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pledge_graph.errors import StoreError
from pledge_graph.sparql.results import NotAcceptable
from pledge_graph.store import sandbox
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.processes import NICE, context, end, renice, rss_kib

__all__ = [
    "Loader",
    "Template",
    "Worker",
    "Workers",
    "serve_on_disk",
    "template",
]

Loader = Callable[[EmbeddedStore], None]
"""Fills an in-memory store with what the on-disk store holds (picklable)."""


_MEMORY_AFTER = 0.002
"""Processor seconds of a query after which its reply says the worker's memory: a query
that grows the heap by the pool's half memory limit (128 MiB) writes to every page of it,
which takes longer; every ``_MEMORY_EVERY``-th reply says it too, for slow growth."""
_MEMORY_EVERY = 32


def _answer(store: EmbeddedStore, conn: Connection) -> None:
    """Worker loop: answer queries on ``store`` until the pipe closes. Each reply also says
    the processor time the worker has used and its anonymous memory (-1: not read), read
    here rather than by the pool from /proc, off the process that answers HTTP. Reading
    the memory took 20 us, 4% of a short query's time: it is read after long queries."""
    me = os.getpid()
    answered = 0
    while True:
        try:
            sparql, kwargs = conn.recv()
        except EOFError:
            return
        started = time.process_time()
        try:
            reply: tuple[str, Any] = ("ok", store.query(sparql, **kwargs))
        except NotAcceptable as error:
            reply = ("NotAcceptable", error.kind)
        except StoreError as error:
            reply = (type(error).__name__, (error.message, error.expected))
        used = time.process_time()
        answered += 1
        long = used - started > _MEMORY_AFTER or answered % _MEMORY_EVERY == 0
        conn.send((*reply, used, rss_kib(me) if long else -1))


def serve_on_disk(path: str, limit: int, conn: Connection) -> None:
    """On-disk worker: open the store read-only, then answer queries."""
    sandbox.enter()
    store = EmbeddedStore(Path(path), read_only=True, limit=limit)
    conn.send(("ready", None))
    _answer(store, conn)


def template(loader: Loader, limit: int, conn: Connection) -> None:
    """Template process: load the store into memory, then fork a worker per request (its
    pipe end is passed back over ``conn``); the workers share the loaded memory."""
    sandbox.enter()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the system
    store = EmbeddedStore(None, limit=limit)
    try:
        loader(store)
    except StoreError as error:
        conn.send(("failed", error.message))
        return
    conn.send(("ready", rss_kib(os.getpid())))
    while True:
        try:
            conn.recv()
        except EOFError:
            return
        mine, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            mine.close()
            conn.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _answer(store, Connection(theirs.detach()))
            finally:
                os._exit(0)
        theirs.close()
        conn.send(pid)
        reduction.send_handle(conn, mine.fileno(), os.getppid())
        mine.close()


class Worker:
    """One worker process: the pipe to it, its PID, whether it holds the graph in memory;
    while it answers, its query's place and start (on the clock and in processor time);
    ``stopped`` says why it was killed."""

    def __init__(self, conn: Connection, pid: int, in_memory: bool,
                 process: Any = None) -> None:
        self.conn = conn
        self.pid = pid
        self.in_memory = in_memory
        self.process = process
        self.ready = in_memory
        self.baseline_kib = rss_kib(pid) if in_memory else 0
        self.ticket: Any = None
        self.started = 0.0
        self.cpu_at_start = -1.0  # processor time used before its query (-1: not known)
        self.long = False
        self.stopped: str | None = None
        self.idle_since = 0.0

    @classmethod
    def on_disk(cls, serve: Callable[..., None], path: Path, limit: int) -> Worker:
        """Start a worker that runs ``serve`` on the on-disk store at ``path``."""
        ctx = context()
        conn, child = ctx.Pipe()
        process = ctx.Process(target=serve, args=(str(path), limit, child),
                              daemon=True, name="pledge-graph-query")
        process.start()
        child.close()
        return cls(conn, process.pid, False, process)

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        if not self.conn.poll(timeout):
            self.kill()
            raise StoreError("a query worker did not start in time")
        try:
            self.conn.recv()
        except EOFError:
            raise StoreError("a query worker failed to open the store") from None
        self.ready = True
        self.baseline_kib = rss_kib(self.pid)

    def stop(self, reason: str) -> None:
        """End the worker in the middle of its query, which then fails for ``reason``."""
        self.stopped = reason
        threading.Thread(target=end, args=(self.pid,), daemon=True).start()

    def kill(self) -> None:
        """End the process (see :func:`end`) and close the pipe to it."""
        end(self.pid)
        if self.process is not None:
            self.process.join(5)
        self.conn.close()


class Template:
    """The in-memory template process and the lock that orders requests to it."""

    def __init__(self, run: Callable[..., None], loader: Any, limit: int) -> None:
        ctx = context()
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=run, args=(loader, limit, child),
                                   daemon=True, name="pledge-graph-memory")
        self.process.start()
        child.close()
        self.lock = threading.Lock()
        self.rss_kib = 0

    def wait_ready(self) -> bool:
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError):
            return False
        if status != "ready":
            return False
        self.rss_kib = int(value)
        return True

    def fork(self) -> Worker:
        with self.lock:
            self.conn.send("fork")
            pid = self.conn.recv()
            fd = reduction.recv_handle(self.conn)
        return Worker(Connection(fd), pid, True)

    def close(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class Workers:
    """The worker processes of one pool: ``ready`` kept started and idle, more started on
    demand, each retired when it should answer no more. A worker that answered is kept
    idle, up to ``most_idle`` of them, so that a steady load of short queries does not
    start a worker for each; those beyond ``ready`` go once idle a while (:meth:`trim`)."""

    def __init__(self, serve: Callable[..., None], path: Path, limit: int, ready: int,
                 most_idle: int = 0) -> None:
        self.path = path
        self.limit = limit
        self.ready = ready
        self.most_idle = max(ready, most_idle)
        self.in_memory = threading.Event()
        self.template: Template | None = None
        self._serve = serve
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(ready):
            self._add()

    def pids(self) -> list[int]:
        """The PIDs of the worker processes now started."""
        with self._lock:
            return sorted(w.pid for w in self._all)

    def acquire(self, timeout: float) -> Worker:
        """A ready worker: an idle one, or one started now."""
        while True:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is None:
                worker = self._start()
                with self._lock:
                    closed = self._closed
                    if not closed:
                        self._all.add(worker)
                if closed:
                    worker.kill()
                    raise StoreError("the service is stopping")
            elif not worker.in_memory and self.in_memory.is_set():
                self._retire(worker)  # started on disk just before the switch
                continue
            try:
                worker.wait_ready(timeout)
            except StoreError:
                self.replace(worker)
                raise
            return worker

    def ready_now(self) -> Worker | None:
        """An idle worker that can take a query at once, or None: none is started or
        waited for here (see :meth:`acquire`)."""
        with self._lock:
            if not self._idle:
                return None
            worker = self._idle[-1]
            current = worker.in_memory or not self.in_memory.is_set()
            if not current or not (worker.ready or worker.conn.poll(0)):
                return None
            self._idle.pop()
        try:
            worker.wait_ready(0)
        except StoreError:
            self.replace(worker)
            return None
        return worker

    def release(self, worker: Worker, grown_too_much: bool) -> None:
        """Take back a worker that has answered: keep it ready, or retire it."""
        worker.ticket = None
        if worker.long or grown_too_much:
            self.replace(worker)
            return
        with self._lock:
            keep = (not self._closed and len(self._idle) < self.most_idle
                    and (worker.in_memory or not self.in_memory.is_set()))
            if keep:
                worker.idle_since = time.monotonic()
                self._idle.append(worker)
        if not keep:
            self._retire(worker)

    def trim(self, after: float) -> None:
        """Retire the idle workers beyond ``ready`` that have waited ``after`` seconds or
        more (the longest idle first): memory at rest is that of ``ready`` workers."""
        now = time.monotonic()
        with self._lock:
            beyond = self._idle[:max(0, len(self._idle) - self.ready)]  # the oldest first
            stale = [w for w in beyond if now - w.idle_since >= after]
            self._idle = [w for w in self._idle if w not in stale]
        for worker in stale:
            self._retire(worker)

    def renew_idle(self) -> int:
        """Replace the idle workers reading the store on disk by fresh ones, and return how
        many: a worker keeps the heap its queries grew (the start-up's example queries
        left about 50 MiB in one on the 10k corpus), which a fresh one has not. Workers
        of the in-memory copy are kept: a fresh one would copy its pages again."""
        with self._lock:
            old = [w for w in self._idle if not w.in_memory]
            self._idle = [w for w in self._idle if w.in_memory]
        for worker in old:
            self.replace(worker)
        return len(old)

    def replace(self, worker: Worker) -> None:
        """Kill ``worker`` and start another in the background, to keep enough ready."""
        with self._lock:
            self._all.discard(worker)
        threading.Thread(target=self._swap, args=(worker,), daemon=True).start()

    def use(self, template: Template) -> bool:
        """From now on, fork workers from ``template``; retire the idle on-disk workers."""
        with self._lock:
            if self._closed:
                return False
            self.template = template
            on_disk = [w for w in self._idle if not w.in_memory]
            self._idle = [w for w in self._idle if w.in_memory]
        self.in_memory.set()
        for worker in on_disk:
            self._retire(worker)
        for _ in range(self.ready):
            self._add()
        return True

    def close(self) -> None:
        """Stop every worker process and the template."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            template, self.template = self.template, None
        for worker in workers:
            worker.kill()
        if template is not None:
            template.close()

    def _start(self) -> Worker:
        template = self.template
        worker = None
        if template is not None:
            try:
                worker = template.fork()
            except (EOFError, OSError):
                with self._lock:
                    self.template = None
                self.in_memory.clear()
        if worker is None:
            worker = Worker.on_disk(self._serve, self.path, self.limit)
        renice(worker.pid, NICE)
        return worker

    def _add(self) -> None:
        """Start a worker and keep it idle, unless enough are idle already."""
        with self._lock:
            if self._closed or len(self._idle) >= self.ready:
                return
        worker = self._start()
        with self._lock:
            # an on-disk worker started just before the switch to memory is not kept
            keep = (not self._closed and len(self._idle) < self.ready
                    and (worker.in_memory or self.template is None))
            if keep:
                worker.idle_since = time.monotonic()
                self._all.add(worker)
                self._idle.append(worker)
        if not keep:
            worker.kill()

    def _retire(self, worker: Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        threading.Thread(target=worker.kill, daemon=True).start()

    def _swap(self, worker: Worker) -> None:
        worker.kill()
        self._add()
