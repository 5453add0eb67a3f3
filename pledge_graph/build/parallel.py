"""Independent jobs in forked worker processes, stopped at once on an error or Ctrl-C.

The build's batches and the pyshacl validation of a mapped graph both cut their work into
independent jobs; this is the one place that runs such jobs in parallel. A one-off job
whose memory should not stay with a long-running process (a server building what it
serves) runs in a forked process of its own (:func:`in_child`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from pledge_graph.errors import BuildError

__all__ = ["MAX_WORKERS", "available_cpus", "exit_on_signal", "in_child", "in_workers",
           "start_worker", "workers_for"]

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


def in_workers(function: Callable[[J], R], jobs: Iterable[J], workers: int, *,
               ordered: bool = True) -> Iterator[R]:
    """Yield ``function(job)`` for every job, from ``workers`` forked processes.

    The workers are forked, so what the parent set up before calling (module state the
    function reads) is theirs too; ``jobs`` may be a generator, which the pool's thread
    reads while the workers take the first. With one worker the jobs run in this process.
    Results come in the order of the jobs, or as they are done when ``ordered`` is false. On
    an error or Ctrl-C the workers are killed at once, since the remaining results are not
    wanted.
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


def in_child(function: Callable[..., R], *args: Any) -> R:
    """Return ``function(*args)`` run in a forked process, or raise the error it raised.

    What the job allocates goes back to the system when its process ends: Python and the
    C allocator keep most of a freed heap, and a server that built its store in its own
    process held about 200 MiB more at rest for the rest of its life (10k corpus). Stopped
    (SIGTERM, Ctrl-C), this process stops the job with SIGTERM, which ends it through its
    cleanup, and waits for it; the job also gets SIGTERM if this process dies."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sending, os.getpid(), function, args),
                            name="pledge-graph-job")
    child.start()
    sending.close()
    try:
        try:
            ok, value = receiving.recv()
        except EOFError:
            child.join()
            raise BuildError(f"the process doing the work ended unexpectedly (exit status "
                             f"{child.exitcode})") from None
        child.join()
    except BaseException:
        if child.is_alive():
            child.terminate()
            child.join(30)
            if child.is_alive():
                child.kill()
                child.join()
        raise
    finally:
        receiving.close()
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _child(sending: Any, parent: int, function: Callable[..., Any], args: tuple[Any, ...]
           ) -> None:
    start_worker(parent, signal.SIGTERM)
    signal.signal(signal.SIGTERM, exit_on_signal)
    try:
        reply: tuple[bool, Any] = (True, function(*args))
    except Exception as error:  # noqa: BLE001 - raised again in the parent
        reply = (False, error)
    try:
        sending.send(reply)
    except Exception as unpicklable:  # noqa: BLE001 - an error that cannot cross processes
        sending.send((False, BuildError(f"{reply[1]!r} ({unpicklable})")))
    sending.close()


def exit_on_signal(signum: int, frame: object) -> None:
    """A signal handler that ends the process through its cleanup (``finally`` blocks),
    with the shell's status for that signal."""
    raise SystemExit(128 + signum)
