"""A store whose queries run in worker processes, so a runaway query can be stopped.

pyoxigraph cannot interrupt a query, and a thread cannot be killed, so each query runs in
one of a few worker processes. When a query passes its time limit, or its worker grows past
its memory limit, the worker is killed (and replaced in the background) and the caller gets
an error at once; the other workers keep answering. A query waits for a free worker (up to
``wait`` seconds) before its time limit starts, so a busy moment delays answers instead of
failing them.

Workers first open the on-disk store read-only (milliseconds), so the server answers at
once. Aggregate queries run several times faster on an in-memory store, so with a
``loader`` the pool also starts a template process in the background that loads the release
into memory; once it is ready, new workers are forked from it (sharing its memory
copy-on-write: a worker copies only the pages it writes to) and the on-disk workers are retired as
they come free. Plain lookups (resource descriptions, labels) are bounded work and are
answered in the calling process from its own read-only view of the on-disk store, without a
round trip through a worker.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing import reduction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import sandbox
from .errors import StoreError
from .results import NotAcceptable
from .store import (
    DEFAULT_RESULT_LIMIT,
    Answer,
    EmbeddedStore,
    QueryOutOfMemory,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    SparqlMethods,
)

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT",
    "DEFAULT_WORKERS",
    "ProcessPool",
    "prepare_workers",
]

DEFAULT_TIMEOUT = 10.0
"""Seconds a query may run when no ``--timeout`` is given."""

DEFAULT_WORKERS = 2
"""Worker processes: queries that run at the same time."""

DEFAULT_WAIT = 60.0
"""Seconds a query may wait for a free worker before it is refused."""

DEFAULT_MEMORY_MB = 256
"""Megabytes a worker may allocate for one query (beyond what it holds when idle)."""

_WATCH_EVERY = 0.05
_ERRORS: dict[str, type[StoreError]] = {
    cls.__name__: cls for cls in (StoreError, QuerySyntaxError, ResultTooLarge)
}

Loader = Callable[[EmbeddedStore], None]
"""Fills an in-memory store with what the on-disk store holds (picklable)."""


def _context() -> Any:
    """The multiprocessing context workers start in: a fork server where there is one."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # the vocabulary (and rdflib) too: workers write Turtle with the project's prefixes
    context.set_forkserver_preload([__name__, "pledge_graph.vocab"])
    return context


def prepare_workers() -> None:
    """Start the process workers are forked from, so the first pool starts at once."""
    context = _context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _answer(store: EmbeddedStore, conn: Connection) -> None:
    """Worker loop: answer queries on ``store`` until the pipe closes."""
    while True:
        try:
            sparql, kwargs = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", store.query(sparql, **kwargs)))
        except NotAcceptable as error:
            conn.send(("NotAcceptable", error.kind))
        except StoreError as error:
            conn.send((type(error).__name__, (error.message, error.expected)))


def _serve(path: str, limit: int, conn: Connection) -> None:
    """On-disk worker: open the store read-only, then answer queries."""
    sandbox.enter()
    store = EmbeddedStore(Path(path), read_only=True, limit=limit)
    conn.send(("ready", None))
    _answer(store, conn)


def _template(loader: Loader, limit: int, conn: Connection) -> None:
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
    conn.send(("ready", _rss_kib(os.getpid())))
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


def _rss_kib(pid: int) -> int:
    """Anonymous resident memory of a process in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class _Worker:
    """One worker process: the pipe to it, its PID, whether it holds the graph in memory."""

    def __init__(self, conn: Connection, pid: int, in_memory: bool,
                 process: Any = None) -> None:
        self.conn = conn
        self.pid = pid
        self.in_memory = in_memory
        self.process = process
        self.ready = in_memory
        self.baseline_kib = _rss_kib(pid) if in_memory else 0
        self.killed_for_memory = False

    @classmethod
    def on_disk(cls, path: Path, limit: int) -> _Worker:
        context = _context()
        conn, child = context.Pipe()
        process = context.Process(target=_serve, args=(str(path), limit, child),
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
        self.baseline_kib = _rss_kib(self.pid)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.process is not None:
            self.process.join(5)
        self.conn.close()


class _Template:
    """The in-memory template process and the lock that orders requests to it."""

    def __init__(self, loader: Loader, limit: int) -> None:
        context = _context()
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_template, args=(loader, limit, child),
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

    def fork(self) -> _Worker:
        with self.lock:
            self.conn.send("fork")
            pid = self.conn.recv()
            fd = reduction.recv_handle(self.conn)
        return _Worker(Connection(fd), pid, True)

    def close(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class ProcessPool(SparqlMethods):
    """A :class:`~pledge_graph.store.Store` over worker processes.

    The store directory must be fully written and closed before the pool opens it. With
    ``loader`` the workers move to an in-memory copy of the store once it is loaded."""

    def __init__(self, path: Path, *, workers: int = DEFAULT_WORKERS,
                 timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_RESULT_LIMIT,
                 wait: float = DEFAULT_WAIT, memory_mb: int = DEFAULT_MEMORY_MB,
                 loader: Loader | None = None) -> None:
        self.path = path
        self.timeout = timeout
        self.limit = limit
        self.wait = wait
        self.memory_kib = memory_mb * 1024
        self.workers = workers
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._template: _Template | None = None
        self._in_memory = threading.Event()
        self._local: EmbeddedStore | None = None
        for _ in range(workers):
            self._add()
        if memory_mb > 0:
            threading.Thread(target=self._watch, daemon=True).start()
        if loader is not None:
            threading.Thread(target=self._load, args=(loader,), daemon=True).start()

    @property
    def in_memory(self) -> bool:
        """True once queries run on the in-memory copy."""
        return self._in_memory.is_set()

    def wait_in_memory(self, timeout: float) -> bool:
        """Wait until queries run on the in-memory copy; return whether they do."""
        return self._in_memory.wait(timeout)

    @property
    def template_mb(self) -> float:
        """Memory the in-memory copy took when loaded, in MiB (0 before)."""
        template = self._template
        return template.rss_kib / 1024 if template is not None else 0.0

    def worker_pids(self) -> list[int]:
        """The PIDs of the worker processes now in the pool."""
        with self._lock:
            return sorted(w.pid for w in self._all)

    def query(
        self,
        sparql: str,
        *,
        media_types: dict[str, str],
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
        base_iri: str | None = None,
    ) -> Answer:
        """Run the query in a free worker (waiting for one up to the pool's ``wait``); stop
        it and raise QueryTimeout when it runs past its limit, QueryOutOfMemory when its
        worker grows past the memory limit."""
        limit = self.timeout if timeout is None else timeout
        worker = self._acquire()
        kwargs = {"media_types": media_types, "default_graph_uris": list(default_graph_uris),
                  "named_graph_uris": list(named_graph_uris), "base_iri": base_iri}
        deadline = time.monotonic() + limit
        try:
            with self._lock:
                self._busy.add(worker)
            worker.conn.send((sparql, kwargs))
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._replace(worker)
                raise QueryTimeout(f"the query ran longer than {limit:g} s, the limit of this "
                                   "service, and was stopped; nothing was returned",
                                   expected="a cheaper query")
            status, value = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            if worker.killed_for_memory:
                raise QueryOutOfMemory(
                    f"the query needed more than {self.memory_kib // 1024} MiB of memory, the "
                    "limit of this service, and was stopped; nothing was returned",
                    expected="a cheaper query") from None
            raise StoreError("the query worker stopped unexpectedly") from None
        finally:
            with self._lock:
                self._busy.discard(worker)
        self._release(worker)
        if status == "ok":
            return value
        if status == "NotAcceptable":
            raise NotAcceptable(value)
        message, expected = value
        raise _ERRORS.get(status, StoreError)(message, expected=expected)

    def resource(self, iri: str, media_type: str) -> Answer:
        """Describe one resource from this process's view of the store (bounded work)."""
        return self._view().resource(iri, media_type)

    def labels(self, iris: Sequence[str]) -> dict[str, str]:
        """Labels from this process's view of the store (bounded work)."""
        return self._view().labels(iris)

    def close(self) -> None:
        """Stop every worker process and the template."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            template, self._template = self._template, None
        for worker in workers:
            worker.kill()
        if template is not None:
            template.close()

    def _view(self) -> EmbeddedStore:
        if self._local is None:
            self._local = EmbeddedStore(self.path, read_only=True, limit=self.limit)
        return self._local

    def _acquire(self) -> _Worker:
        deadline = time.monotonic() + self.wait
        while True:
            try:
                worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise QueryTimeout(f"every query worker stayed busy for {self.wait:g} s; "
                                   "try again", expected="a less busy moment") from None
            if not worker.in_memory and self.in_memory:
                self._retire(worker)
                continue
            try:
                worker.wait_ready(max(1.0, deadline - time.monotonic()))
            except StoreError:
                self._replace(worker)
                raise
            return worker

    def _release(self, worker: _Worker) -> None:
        if not worker.in_memory and self.in_memory:
            self._retire(worker)
        elif self.memory_kib and _rss_kib(worker.pid) - worker.baseline_kib > self.memory_kib // 2:
            # a worker keeps the heap a large query grew; a fresh one starts from its baseline
            # (the pages of the in-memory copy it has written to are kept: a fresh worker
            # would copy them again on its first query, at the cost of a slow answer)
            self._replace(worker)
        else:
            self._idle.put(worker)

    def _new_worker(self) -> _Worker:
        template = self._template
        if template is not None:
            try:
                return template.fork()
            except (EOFError, OSError):
                with self._lock:
                    self._template = None
                self._in_memory.clear()
        return _Worker.on_disk(self.path, self.limit)

    def _add(self) -> None:
        worker = self._new_worker()
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
        self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        threading.Thread(target=worker.kill, daemon=True).start()

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        threading.Thread(target=self._swap, args=(worker,), daemon=True).start()

    def _swap(self, worker: _Worker) -> None:
        worker.kill()
        self._add()

    def _load(self, loader: Loader) -> None:
        template = _Template(loader, self.limit)
        if not template.wait_ready():
            template.close()
            return
        with self._lock:
            if self._closed:
                template.close()
                return
            self._template = template
        for _ in range(self.workers):
            self._add()
        self._in_memory.set()

    def _watch(self) -> None:
        """Kill a busy worker whose memory grows past the limit (its query then fails)."""
        while not self._closed:
            time.sleep(_WATCH_EVERY)
            with self._lock:
                busy = list(self._busy)
            for worker in busy:
                if _rss_kib(worker.pid) - worker.baseline_kib > self.memory_kib:
                    worker.killed_for_memory = True
                    try:
                        os.kill(worker.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
