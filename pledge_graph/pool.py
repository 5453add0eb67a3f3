"""A store whose queries run in worker processes, so a runaway query can be stopped.

pyoxigraph cannot interrupt a query, and a thread cannot be killed, so each query runs in
one of a few worker processes, each with its own read-only view of one on-disk store. When
a query passes its time limit the worker is killed (and replaced in the background) and the
caller gets :class:`QueryTimeout` at once; the other workers keep answering.

Workers are forked from a fork server (a clean process without threads that has already
imported this module), so starting or replacing one takes milliseconds; call
:func:`prepare_workers` early to start that server while other work goes on.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .errors import StoreError
from .results import NotAcceptable
from .store import (
    DEFAULT_RESULT_LIMIT,
    Answer,
    EmbeddedStore,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    SparqlMethods,
)

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_WORKERS", "ProcessPool", "prepare_workers"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a query may run when no ``--timeout`` is given."""

DEFAULT_WORKERS = 2
"""Worker processes: queries that run at the same time."""

_ERRORS: dict[str, type[StoreError]] = {
    cls.__name__: cls for cls in (StoreError, QuerySyntaxError, ResultTooLarge)
}


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


def _serve(path: str, limit: int, conn: Connection) -> None:
    """Worker loop: open the store read-only, then answer queries until the pipe closes."""
    store = EmbeddedStore(Path(path), read_only=True, limit=limit)
    conn.send(("ready", None))
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


class _Worker:
    def __init__(self, path: Path, limit: int) -> None:
        context = _context()
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(str(path), limit, child),
                                       daemon=True, name="pledge-graph-query")
        self.process.start()
        child.close()
        self.ready = False

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

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class ProcessPool(SparqlMethods):
    """A :class:`~pledge_graph.store.Store` over worker processes sharing one on-disk store.

    The store directory must be fully written and closed before the pool opens it.
    """

    def __init__(self, path: Path, *, workers: int = DEFAULT_WORKERS,
                 timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_RESULT_LIMIT) -> None:
        self.path = path
        self.timeout = timeout
        self.limit = limit
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(workers):
            self._add()

    def query(
        self,
        sparql: str,
        *,
        media_types: dict[str, str],
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Answer:
        """Run the query in a free worker; stop it and raise QueryTimeout past the limit."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        worker = self._acquire(deadline, limit)
        kwargs = {"media_types": media_types, "default_graph_uris": list(default_graph_uris),
                  "named_graph_uris": list(named_graph_uris)}
        try:
            worker.conn.send((sparql, kwargs))
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._replace(worker)
                raise QueryTimeout(f"the query ran longer than {limit:g} s, the limit of this "
                                   "service, and was stopped; nothing was returned",
                                   expected="a cheaper query")
            status, value = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            raise StoreError("the query worker stopped unexpectedly") from None
        self._idle.put(worker)
        if status == "ok":
            return value
        if status == "NotAcceptable":
            raise NotAcceptable(value)
        message, expected = value
        raise _ERRORS.get(status, StoreError)(message, expected=expected)

    def close(self) -> None:
        """Stop every worker process."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()

    def _acquire(self, deadline: float, limit: float) -> _Worker:
        try:
            worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise QueryTimeout(f"every query worker stayed busy for {limit:g} s; try again",
                               expected="a less busy moment") from None
        try:
            worker.wait_ready(max(1.0, deadline - time.monotonic()))
        except StoreError:
            self._replace(worker)
            raise
        return worker

    def _add(self) -> None:
        worker = _Worker(self.path, self.limit)
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        threading.Thread(target=self._swap, args=(worker,), daemon=True).start()

    def _swap(self, worker: _Worker) -> None:
        worker.kill()
        self._add()
