"""The bounds the HTTP edge keeps on what a client can hold: time to send a request, time to
read an answer, open connections, and bytes kept for clients.

The defaults live here (:class:`EdgeLimits`), and the ``serve`` options that change them
(``pledge_graph.cli``) show them, so the command line, the server and docs/serving.md name
the same numbers. This module imports nothing of the web stack: the command line reads it
to build its parser.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
from dataclasses import dataclass

__all__ = ["EdgeLimits", "connection_cap", "default_fronts", "map_large_blocks",
           "raise_file_limit"]

_MB = 1024 * 1024


@dataclass(frozen=True)
class EdgeLimits:
    """How long and how much a client may take of the server; see docs/serving.md."""

    header_timeout: float = 10.0
    """Seconds a request's line and headers may take to arrive, from its first byte (or
    from the connection's opening)."""
    body_timeout: float = 30.0
    """Seconds a request body may take to arrive once its headers have."""
    keep_alive: float = 5.0
    """Seconds an idle connection is kept open between requests."""
    send_timeout: float = 30.0
    """Seconds a client may leave its answer unread (writes blocked) before it is dropped."""
    max_connections: int = 4096
    """Open connections at most; a new one beyond evicts the longest-waiting one."""
    buffer_mb: int = 64
    """Megabytes held for clients at most: incomplete requests and the answers (and write
    buffers) of clients that are not reading; past it the longest-waiting one is dropped."""
    max_header_bytes: int = 64 * 1024
    """Bytes of request line and headers (a longer GET query must be POSTed)."""
    max_headers: int = 100
    """Header fields in one request."""
    max_pipeline: int = 16
    """Requests one connection may queue behind the one being answered."""
    chunk_bytes: int = 64 * 1024
    """Largest piece of an answer handed to the transport at once, so that a client that
    reads slowly makes the answer wait rather than the server buffer it."""
    write_buffer_bytes: int = 16 * 1024
    """Bytes a connection's transport queues before it tells the answer to wait."""

    @property
    def buffer_bytes(self) -> int:
        """``buffer_mb`` in bytes."""
        return self.buffer_mb * _MB


def raise_file_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (each connection
    takes a file descriptor); return the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


_M_MMAP_THRESHOLD = -3
LARGE_BLOCK = 128 * 1024
"""Bytes from which glibc's malloc gives a block a memory mapping of its own."""


def map_large_blocks() -> bool:
    """Have glibc's malloc map every block of :data:`LARGE_BLOCK` or more on its own, so
    that an answer freed (sent, or dropped with its client) goes back to the system at
    once; return False where there is no glibc.

    By default the threshold rises to the largest block freed so far (up to 32 MiB), after
    which answers come from heaps that keep freed memory: the process would stay as large
    as its busiest moment, and the bound on bytes held for clients would bound live bytes
    only, not the process's size."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK))


def connection_cap(limits: EdgeLimits, open_files: int) -> int:
    """Return how many connections may be open: ``max_connections``, or fewer when the
    file descriptors are fewer (an eighth of them, at least 256, stay for the store, the
    workers' pipes and the files being served).

    >>> connection_cap(EdgeLimits(max_connections=4096), 1024)
    768
    >>> connection_cap(EdgeLimits(max_connections=4096), 1 << 20)
    4096
    """
    reserve = max(256, open_files // 8)
    return max(1, min(limits.max_connections, open_files - reserve))


def default_fronts() -> int:
    """Front processes when ``serve --fronts`` is not given: one per core this process may
    use, at most two (each costs about 50 MiB; see docs/serving.md)."""
    return max(1, min(2, len(os.sched_getaffinity(0))))
