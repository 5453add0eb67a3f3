"""Independent jobs in forked worker processes, stopped at once on an error or Ctrl-C.

The build's batches and the pyshacl validation of a mapped graph both cut their work into
independent jobs; this is the one place that runs such jobs in parallel.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = ["MAX_WORKERS", "available_cpus", "in_workers", "start_worker", "workers_for"]

MAX_WORKERS = 8

J = TypeVar("J")
R = TypeVar("R")


def available_cpus() -> int:
    """The number of CPUs this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def workers_for(jobs: int, workers: int | None = None) -> int:
    """One worker per CPU (at most MAX_WORKERS, and no more than there are jobs); asked for
    more, no more than there are CPUs: a worker per CPU is as fast as it gets."""
    if workers is not None:
        return max(1, min(workers, jobs, available_cpus()))
    return max(1, min(available_cpus(), MAX_WORKERS, jobs))


_PR_SET_PDEATHSIG = 1


def start_worker(parent: int, death: int = signal.SIGKILL) -> None:
    """Set up a forked worker of the process ``parent``: Ctrl-C is the parent's (it stops
    the pool), and on Linux the worker is sent ``death`` when the parent dies, even by
    SIGKILL, so a killed build or import leaves no worker running on (nor holding its
    folder's lock); a worker with something to clean up asks for a signal it handles."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, death)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def in_workers(function: Callable[[J], R], jobs: Sequence[J], workers: int, *,
               ordered: bool = True) -> Iterator[R]:
    """Yield ``function(job)`` for every job, from ``workers`` forked processes.

    The workers are forked, so what the parent set up before calling (module state the
    function reads) is theirs too. With one worker the jobs run in this process. Results
    come in the order of the jobs, or as they are done when ``ordered`` is false. On an error
    or Ctrl-C the workers are killed at once, since the remaining results are not wanted.
    """
    if workers <= 1:
        yield from map(function, jobs)
        return
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=start_worker,
                                                    initargs=(os.getpid(),))
    try:
        yield from (pool.imap if ordered else pool.imap_unordered)(function, jobs)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
