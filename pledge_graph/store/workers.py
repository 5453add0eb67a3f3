"""The query worker processes of a pool (``pledge_graph.store.pool``): how they start, how many
are kept ready, their memory and priority, and when they are retired.

A worker is started in one of two ways: on the on-disk store (a process from the fork
server, which opens the store read-only), or forked from the template process that holds
the in-memory copy (milliseconds; the copy is shared copy-on-write). :class:`Workers` keeps
``ready`` of them started and idle, starts more on demand, and retires a worker that should
answer no more: one whose priority was lowered (it cannot be raised again without
privilege), one whose heap a large query grew, an on-disk one once the in-memory copy is
ready. The functions the processes run are the pool's (``_serve``, ``_template``).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing import reduction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pledge_graph.errors import StoreError

__all__ = [
    "NICE",
    "HugePages",
    "Template",
    "Worker",
    "Workers",
    "cpu_seconds",
    "end",
    "prepare_workers",
    "renice",
    "rss_kib",
]

NICE = 2
"""Workers' priority: the server's own process (nice 0) wins the processor from them, and
a new query still gets a good share of it beside other programs."""

_PROCESS_MRELEASE = 448  # the same number on every Linux architecture
_MADV_COLLAPSE = 25
_HUGE = 2 << 20
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def context() -> Any:
    """The multiprocessing context workers start in: a fork server where there is one."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # the vocabulary (and rdflib) too: workers write Turtle with the project's prefixes
    ctx.set_forkserver_preload(["pledge_graph.store.pool", "pledge_graph.rdf.vocab"])
    return ctx


def prepare_workers() -> None:
    """Start the process workers are forked from, so the first pool starts at once."""
    if context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def rss_kib(pid: int) -> int:
    """Anonymous resident memory of a process in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """Processor time a process has used, in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def renice(pid: int, nice: int) -> None:
    """Set the priority of every thread of a process (Linux keeps one per thread)."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        threads = [str(pid)]
    for thread in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, int(thread), nice)
        except OSError:
            pass  # the thread has ended


def end(pid: int) -> None:
    """Kill a process and free its memory now, in the calling thread's time.

    A killed process frees its memory itself, at its own priority: a worker at the lowest
    one takes seconds to do so on a busy processor, holding its memory (and its pipe) all
    that while. Linux's ``process_mrelease`` frees it from here instead; where it is
    missing, the process is only killed."""
    if not hasattr(os, "pidfd_open"):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return  # already gone
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        if _LIBC is not None:
            _LIBC.syscall(_PROCESS_MRELEASE, pidfd, 0)
    except OSError:
        pass
    finally:
        os.close(pidfd)


class HugePages:
    """A loader that then asks the kernel to back the in-memory copy with huge pages
    (``MADV_COLLAPSE``, Linux 6.1 and later): forking a worker copies 512 times fewer page
    table entries (17 ms instead of 56 for the 10k corpus) and ending one is about twenty
    times faster, while a worker that writes still copies 4 KiB pages, not 2 MiB. Where
    the kernel does not offer it, nothing changes."""

    def __init__(self, loader: Callable[[Any], None]) -> None:
        self.loader = loader

    def __call__(self, store: Any) -> None:
        self.loader(store)
        if _LIBC is None:
            return
        madvise = _LIBC.madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        for start, size in _anonymous_regions():
            madvise(start, size, _MADV_COLLAPSE)


def _anonymous_regions() -> list[tuple[int, int]]:
    """This process's private writable memory that is not a file's, in whole huge pages."""
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
            lines = maps.readlines()
    except OSError:
        return []
    regions = []
    for line in lines:
        fields = line.split()
        if fields[1] != "rw-p" or (len(fields) > 5 and fields[5] != "[heap]"):
            continue
        low, high = (int(bound, 16) for bound in fields[0].split("-"))
        start = -(-low // _HUGE) * _HUGE
        end_ = high // _HUGE * _HUGE
        if end_ > start:
            regions.append((start, end_ - start))
    return regions


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
        self.cpu_at_start = 0.0
        self.long = False
        self.stopped: str | None = None

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
    demand, each retired when it should answer no more."""

    def __init__(self, serve: Callable[..., None], path: Path, limit: int, ready: int) -> None:
        self.path = path
        self.limit = limit
        self.ready = ready
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

    def release(self, worker: Worker, grown_too_much: bool) -> None:
        """Take back a worker that has answered: keep it ready, or retire it."""
        worker.ticket = None
        if worker.long or grown_too_much:
            self.replace(worker)
            return
        with self._lock:
            keep = (not self._closed and len(self._idle) < self.ready
                    and (worker.in_memory or not self.in_memory.is_set()))
            if keep:
                self._idle.append(worker)
        if not keep:
            self._retire(worker)

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
