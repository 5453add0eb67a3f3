"""What the pool does to a query worker's process from outside: the start method workers
come from (a fork server, started early), reading a process's memory and processor time,
lowering its priority, ending it and freeing its memory at once, and asking for huge pages
for the in-memory copy that workers are forked from. Linux facilities, each a no-op where
it is missing.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "NICE",
    "HugePages",
    "context",
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
_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4
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
    """Anonymous resident memory of a process in KiB (0 when it is gone): its resident
    pages less those backed by files or shared memory, as ``/proc/<pid>/statm`` counts them
    (``RssAnon`` of ``/proc/<pid>/status``, in 20 us rather than 35: every query's reply
    carries it)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            fields = statm.read().split()
        return (int(fields[1]) - int(fields[2])) * _PAGE_KIB
    except (OSError, ValueError, IndexError):
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
