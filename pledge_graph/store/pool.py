"""A store whose queries run in worker processes, so a runaway query can be stopped.

pyoxigraph cannot interrupt a query, and a thread cannot be killed, so each query runs in
a worker process. When a query passes its time limit, or its worker grows past its memory
limit (or all busy workers together pass theirs), or no one waits for the answer any more
(``cancel``: its client has gone), the worker is killed and the caller gets an error at
once; the other workers keep answering.

Which query runs when is the scheduler's (:mod:`pledge_graph.store.scheduler`). Workers run
at a lowered priority, so the server's own process (pages, dumps, kept answers) wins the
processor from them; a query still running after ``LONG_AFTER`` seconds of processor time
gets the lowest, and its worker is retired when it ends (a priority cannot be raised again
without privilege). Workers open the on-disk store read-only and are kept ready while
queries come; with a ``loader``, a template process loads the release into memory and
later workers are forked from it. Plain lookups (descriptions, labels) are answered in the
calling process from its own read-only view, without a worker. The figures (start times,
memory per worker) are in docs/serving.md, "SPARQL endpoint".

Why not a library's process pool: none of those measured (``bench/pool_libraries.py``)
can end one running task, or watches a task's memory while it runs; see docs/serving.md,
"Why the server has its own pool".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Unpack

from pledge_graph.errors import (
    QueryCancelled,
    QueryOutOfMemory,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
)
from pledge_graph.sparql.results import NotAcceptable
from pledge_graph.store.embedded import (
    DEFAULT_RESULT_LIMIT,
    Answer,
    QueryOptions,
    ResultTooLarge,
    ViewReads,
)
from pledge_graph.store.processes import (
    HugePages,
    cpu_seconds,
    prepare_workers,
    renice,
    rss_kib,
)
from pledge_graph.store.scheduler import (
    DEFAULT_LONG,
    DEFAULT_QUERIES,
    DEFAULT_QUEUE,
    Scheduler,
    Ticket,
    client,
)
from pledge_graph.store.waits import (
    DONE,
    GONE,
    LATE,
    in_thread,
    readable,
    received,
    wake,
)
from pledge_graph.store.workers import Loader, Template, Worker, Workers, serve_on_disk, template

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_MEMORY_TOTAL_MB",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT",
    "DEFAULT_WORKERS",
    "IDLE_FOR",
    "LONG_AFTER",
    "ProcessPool",
    "prepare_workers",
]

DEFAULT_TIMEOUT = 10.0
"""Seconds a query may run when no ``--timeout`` is given."""

DEFAULT_WORKERS = 2
"""Idle worker processes kept ready (more start on demand, one per place in use)."""

IDLE_FOR = 10.0
"""Seconds a worker beyond the ``workers`` kept ready stays idle before it is retired."""
DEFAULT_WAIT = 60.0
"""Seconds a query may wait for a place before it is refused."""

DEFAULT_MEMORY_MB = 256
"""Megabytes a worker may allocate for one query (beyond what it holds when idle)."""

DEFAULT_MEMORY_TOTAL_MB = 1024
"""Megabytes all busy workers may allocate together (``--queries-memory-mb``)."""

LONG_AFTER = 0.5
"""Seconds of processor time after which a query is long and gets the lowest priority. A
query of a client that runs a long query already is long after as many seconds on the
clock (its try is short), and any query after four times as many: a query starved of the
processor does not hold a place for new queries for long."""

_LONG_NICE = 19
_WATCH_EVERY = 0.05
_ERRORS: dict[str, type[StoreError]] = {
    cls.__name__: cls for cls in (StoreError, QuerySyntaxError, ResultTooLarge)
}


def _answer(status: str, value: Any) -> Answer:
    """A worker's reply as the answer, or the error it stands for."""
    if status == "ok":
        return value
    if status == "NotAcceptable":
        raise NotAcceptable(value)
    message, expected = value
    raise _ERRORS.get(status, StoreError)(message, expected=expected)


class ProcessPool(ViewReads):
    """A :class:`~pledge_graph.store.embedded.Store` over worker processes.

    The store directory must be fully written and closed before the pool opens it.
    ``queries`` run at once at the workers' priority and ``long_queries`` more at the
    lowest (see :mod:`pledge_graph.store.scheduler`), and at most ``queue`` wait. A worker
    that answered stays ready, up to one per new query's place, until idle ``idle_for``
    seconds (a long query's worker is retired, as it runs at the lowest priority). With
    ``loader`` the workers move to an in-memory copy of the store once it is loaded."""

    def __init__(self, path: Path, *, workers: int = DEFAULT_WORKERS,
                 timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_RESULT_LIMIT,
                 wait: float = DEFAULT_WAIT, memory_mb: int = DEFAULT_MEMORY_MB,
                 loader: Loader | None = None, queries: int = DEFAULT_QUERIES,
                 long_queries: int = DEFAULT_LONG, queue: int = DEFAULT_QUEUE,
                 memory_total_mb: int = DEFAULT_MEMORY_TOTAL_MB,
                 idle_for: float = IDLE_FOR) -> None:
        self.path = path
        self.timeout = timeout
        self.limit = limit
        self.wait = wait
        self.idle_for = idle_for
        self.memory_kib = memory_mb * 1024
        self.memory_total_kib = memory_total_mb * 1024
        self.scheduler = Scheduler(queries, long_queries, queue,
                                   retry_after=max(1, math.ceil(timeout)))
        self._workers = Workers(serve_on_disk, path, limit, workers,
                                most_idle=queries)
        self._busy: set[Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._watch, daemon=True).start()
        if loader is not None:
            threading.Thread(target=self._load, args=(loader,), daemon=True).start()

    @property
    def in_memory(self) -> bool:
        """True once queries run on the in-memory copy."""
        return self._workers.in_memory.is_set()

    def wait_in_memory(self, timeout: float) -> bool:
        """Wait until queries run on the in-memory copy; return whether they do."""
        return self._workers.in_memory.wait(timeout)

    @property
    def template_mb(self) -> float:
        """Memory the in-memory copy took when loaded, in MiB (0 before)."""
        template = self._workers.template
        return template.rss_kib / 1024 if template is not None else 0.0

    def worker_pids(self) -> list[int]:
        """The PIDs of the worker processes now in the pool."""
        return self._workers.pids()

    def query(self, sparql: str, *, media_types: dict[str, str],
              **options: Unpack[QueryOptions]) -> Answer:
        """Run the query in a worker once the scheduler gives it a place, for the client
        :data:`pledge_graph.store.scheduler.client` names. Raise Overloaded when it finds no place
        (or is stopped to make room), QueryTimeout when it runs past its limit,
        QueryOutOfMemory when its worker grows past the memory limit."""
        limit, message = self._message(sparql, media_types, options)
        cancel = options.get("cancel")
        ticket = self.scheduler.admit(client.get())
        try:
            self.scheduler.wait(ticket, self.wait, cancel)
            worker = self._workers.acquire(self.wait)
            status, value = self._ask(worker, ticket, message, limit, cancel)
        finally:
            self.scheduler.leave(ticket)
        return _answer(status, value)

    async def query_async(self, sparql: str, *, media_types: dict[str, str],
                          gone: asyncio.Future[Any] | None = None,
                          **options: Unpack[QueryOptions]) -> Answer:
        """:meth:`query`, waiting for its place and its answer in the running event loop
        rather than in a thread (see :mod:`pledge_graph.store.waits`). ``gone`` is done once
        no one waits for the answer: the query then leaves the queue or is stopped, as when
        the task awaiting it is cancelled."""
        limit, message = self._message(sparql, media_types, options)
        loop = asyncio.get_running_loop()
        granted: asyncio.Future[None] = loop.create_future()
        ticket = self.scheduler.admit(client.get(), functools.partial(wake, loop, granted, None))
        try:
            await self.scheduler.wait_async(ticket, self.wait, granted, gone)
            worker = self._workers.ready_now()
            if worker is None:  # none ready: one is started, or one that is starting waited for
                started: Worker = await in_thread(
                    functools.partial(self._workers.acquire, self.wait),
                    functools.partial(self._workers.release, grown_too_much=False))
                worker = started
            status, value = await self._ask_async(worker, ticket, message, limit, gone)
        finally:
            self.scheduler.leave(ticket)
        return _answer(status, value)

    def renew_idle(self) -> int:
        """Replace the idle on-disk workers by fresh ones (:meth:`Workers.renew_idle`)."""
        return self._workers.renew_idle()

    def close(self) -> None:
        """Stop every worker process and the template."""
        self._closed = True
        self._workers.close()

    def _message(self, sparql: str, media_types: dict[str, str],
                 options: QueryOptions) -> tuple[float, object]:
        """The query's time limit, and what is sent to its worker."""
        timeout = options.get("timeout")
        limit = self.timeout if timeout is None else timeout
        kwargs = {"media_types": media_types,
                  "default_graph_uris": list(options.get("default_graph_uris", ())),
                  "named_graph_uris": list(options.get("named_graph_uris", ())),
                  "base_iri": options.get("base_iri")}
        return limit, (sparql, kwargs)

    def _ask(self, worker: Worker, ticket: Ticket, message: object, limit: float,
             cancel: threading.Event | None = None) -> tuple[str, Any]:
        """Send one query to ``worker`` and return its reply; stop it past ``limit``, or
        once ``cancel`` is set."""
        deadline = self._begin(worker, ticket, limit)
        with self._asking(worker, limit):
            worker.conn.send(message)
            self._check(worker, self._answered(worker, deadline, cancel), limit)
            reply = worker.conn.recv()
        return self._released(worker, reply)

    async def _ask_async(self, worker: Worker, ticket: Ticket, message: object, limit: float,
                         gone: asyncio.Future[None] | None) -> tuple[str, Any]:
        """:meth:`_ask`, waiting for the reply in the running event loop."""
        deadline = self._begin(worker, ticket, limit)
        with self._asking(worker, limit):
            worker.conn.send(message)
            outcome = await readable(worker.conn.fileno(), deadline - time.monotonic(), gone)
            self._check(worker, outcome, limit)
            reply = await received(worker.conn)
        return self._released(worker, reply)

    @contextlib.contextmanager
    def _asking(self, worker: Worker, limit: float) -> Iterator[None]:
        """While ``worker`` runs a query: a worker that fails, or whose query is given up,
        is replaced; the error says why the pool stopped it, if it did."""
        try:
            yield
        except (EOFError, OSError):
            self._workers.replace(worker)
            raise self._failure(worker, limit) from None
        except asyncio.CancelledError:
            self._workers.replace(worker)
            raise
        finally:
            with self._lock:
                self._busy.discard(worker)

    def _begin(self, worker: Worker, ticket: Ticket, limit: float) -> float:
        """Mark ``worker`` busy with ``ticket``'s query; return the query's deadline."""
        worker.ticket, worker.started = ticket, time.monotonic()
        if worker.cpu_at_start < 0:  # unknown until the worker's first reply says it
            worker.cpu_at_start = cpu_seconds(worker.pid)
        with self._lock:
            self._busy.add(worker)
        return worker.started + limit

    def _check(self, worker: Worker, outcome: str, limit: float) -> None:
        """Raise the query's error if the wait for its reply ended with ``outcome`` other
        than DONE, or the worker was stopped."""
        if outcome == GONE:
            self._workers.replace(worker)
            ran = time.monotonic() - worker.started
            raise QueryCancelled(f"its client closed the connection after {ran:.1f} s")
        if outcome == LATE:
            self._workers.replace(worker)
            raise QueryTimeout(f"the query ran longer than {limit:g} s, the limit of this "
                               "service, and was stopped; nothing was returned",
                               expected="a cheaper query")
        if worker.stopped is not None:
            raise EOFError

    def _released(self, worker: Worker, reply: Any) -> tuple[str, Any]:
        """Take ``worker`` back after its reply; return the reply's status and value."""
        status, value, cpu, rss = reply
        # a worker keeps the heap a large query grew: a fresh one starts from its baseline
        # (the pages of the in-memory copy it has written to are kept: a fresh worker would
        # copy them again on its first query, at the cost of a slow answer)
        worker.cpu_at_start = cpu  # an idle worker uses no processor time
        grown = rss - worker.baseline_kib if rss >= 0 else 0  # -1: a short query's
        self._workers.release(worker, bool(self.memory_kib) and grown > self.memory_kib // 2)
        return status, value

    @staticmethod
    def _answered(worker: Worker, deadline: float, cancel: threading.Event | None) -> str:
        """Wait until ``worker`` replies, or the pool stops it (it may take a while to end):
        then return ``DONE``; ``LATE`` once ``deadline`` passes, ``GONE`` once ``cancel``
        is set."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return LATE
            if worker.conn.poll(min(left, _WATCH_EVERY)) or worker.stopped is not None:
                return DONE
            if cancel is not None and cancel.is_set():
                return GONE

    def _failure(self, worker: Worker, limit: float) -> StoreError:
        """The error of a query whose worker died: why the pool stopped it, if it did."""
        if worker.stopped == "memory":
            return QueryOutOfMemory(
                f"the query needed more than {self.memory_kib // 1024} MiB of memory, the "
                "limit of this service, and was stopped; nothing was returned",
                expected="a cheaper query")
        if worker.stopped == "memory-total":
            return QueryOutOfMemory(
                f"the queries running at once needed more than {self.memory_total_kib // 1024}"
                " MiB of memory together, the limit of this service, and this one, the "
                "largest, was stopped; nothing was returned",
                expected="a cheaper query or a less busy moment")
        if worker.stopped == "busy":
            # answered when the time limit would have ended it: a flood gains its client
            # nothing, and the client's next queries do not crowd the queue meanwhile
            ran = time.monotonic() - worker.started
            return self.scheduler.overloaded(
                f"{self.scheduler.long} long queries run already, as many as it allows, and "
                f"this one was stopped after {ran:.1f} s so that others may run",
                hold=max(0.0, limit - ran))
        return StoreError("the query worker stopped unexpectedly")

    def _load(self, loader: Loader) -> None:
        loaded = Template(template, HugePages(loader), self.limit)
        if not loaded.wait_ready() or not self._workers.use(loaded):
            loaded.close()

    def _watch(self) -> None:
        """Every few milliseconds: stop a busy worker whose memory grows past the limit, or
        the largest when all of them together pass theirs (its query then fails), and give
        the lowest priority to queries that have run a while."""
        while not self._closed:
            time.sleep(_WATCH_EVERY)
            self._workers.trim(self.idle_for)
            with self._lock:
                busy = [w for w in self._busy if w.stopped is None]
            grown = {w: rss_kib(w.pid) - w.baseline_kib for w in busy}
            for worker, kib in grown.items():
                if self.memory_kib and kib > self.memory_kib:
                    worker.stop("memory")
            total = sum(max(0, kib) for kib in grown.values())
            if self.memory_total_kib and total > self.memory_total_kib:
                max(grown, key=lambda w: grown[w]).stop("memory-total")
            if self.scheduler.long:
                for worker in busy:
                    if worker.stopped is None and not worker.long and self._is_long(worker):
                        self._lengthen(worker)

    def _is_long(self, worker: Worker) -> bool:
        """Whether ``worker``'s query has had its share of service (see LONG_AFTER)."""
        ran = time.monotonic() - worker.started
        if ran > 4 * LONG_AFTER or cpu_seconds(worker.pid) - worker.cpu_at_start > LONG_AFTER:
            return True
        return ran > LONG_AFTER and worker.ticket is not None and \
            self.scheduler.runs_long(worker.ticket.client)

    def _lengthen(self, worker: Worker) -> None:
        """Give a query that has run a while a long place at the lowest priority, or stop
        it (or another client's) when the long places are taken."""
        with self._lock:
            ticket = worker.ticket
            if worker not in self._busy or ticket is None:
                return
            victim = self.scheduler.lengthen(ticket)
            if ticket.long:
                worker.long = True
                renice(worker.pid, _LONG_NICE)
            stopped = [w for w in self._busy if victim is not None and w.ticket is victim]
        for other in stopped:
            other.stop("busy")
