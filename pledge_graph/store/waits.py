"""Waiting for a query in an event loop: its place, its worker's reply or a relayed answer,
whichever of a deadline or its client's leaving comes first.

A query's answer is awaited in the event loop that answers its HTTP request, not in a
thread: a thread costs each query two hand-overs between threads (and a process holding
many threads hands the interpreter's lock around more often), and on the rights-holder
scheme query that was about as much processor time as the query itself.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import socket
import struct
import termios
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

__all__ = ["DONE", "GONE", "LATE", "first_of", "in_thread", "readable", "received", "settle_once",
           "wake", "watch", "whole"]

T = TypeVar("T")
DONE, LATE, GONE = "done", "late", "gone"
"""How a wait ended: what was awaited is done; the time ran out; no one waits any more."""


async def first_of(done: asyncio.Future[Any], seconds: float,
                   gone: asyncio.Future[Any] | None = None) -> str:
    """Wait until ``done`` is done (``DONE``), ``seconds`` pass (``LATE``) or ``gone`` is
    done (``GONE``), whichever comes first. Neither future is cancelled."""
    if done.done():
        return DONE
    loop = asyncio.get_running_loop()
    settled: asyncio.Future[str] = loop.create_future()

    def settle(outcome: str, *_: object) -> None:
        if not settled.done():
            settled.set_result(outcome)

    on_done, on_gone = functools.partial(settle, DONE), functools.partial(settle, GONE)
    done.add_done_callback(on_done)
    timer = loop.call_later(max(0.0, seconds), settle, LATE)
    if gone is not None:
        gone.add_done_callback(on_gone)
    try:
        return await settled
    finally:
        done.remove_done_callback(on_done)
        timer.cancel()
        if gone is not None:
            gone.remove_done_callback(on_gone)


async def readable(fd: int, seconds: float, gone: asyncio.Future[Any] | None = None) -> str:
    """:func:`first_of` for a file descriptor that can be read (data, or its end, has
    come). The descriptor stays blocking (see :func:`watch`)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    watch(loop, fd, settle_once, ready, None)
    try:
        return await first_of(ready, seconds, gone)
    finally:
        loop.remove_reader(fd)


def watch(loop: asyncio.AbstractEventLoop, fd: int, callback: Callable[..., object],
          *args: object) -> None:
    """``loop.add_reader``, leaving ``fd`` blocking. uvloop (libuv) makes a watched
    descriptor non-blocking, but a message on it is read whole once its first bytes have
    come (the sender writes it at once), and written whole from other threads."""
    loop.add_reader(fd, callback, *args)
    os.set_blocking(fd, True)


async def in_thread(call: Callable[[], T], give_back: Callable[[T], object]) -> T:
    """``call()`` in a thread (it may block); if the wait for it is given up (the task is
    cancelled), what it returns is passed to ``give_back``."""
    running = asyncio.get_running_loop().run_in_executor(None, call)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        running.add_done_callback(
            lambda done: done.cancelled() or done.exception() or give_back(done.result()))
        raise


async def received(conn: Connection) -> Any:
    """``conn.recv()`` once ``conn`` is readable: at once when the whole message has come
    (a short reply, written at once), else in a thread, so that the event loop never waits
    for a writer that has lost the processor in the middle of a long message."""
    if whole(conn.fileno()):
        return conn.recv()
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


def whole(fd: int) -> bool:
    """Whether a whole message of :mod:`multiprocessing.connection` waits on socket ``fd``
    (a 4-byte big-endian length, then that many bytes)."""
    try:
        waiting = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
        if waiting < 4:
            return False
        sock = socket.socket(fileno=fd)
        try:
            size = struct.unpack("!i", sock.recv(4, socket.MSG_PEEK))[0]
        finally:
            sock.detach()
    except OSError:
        return False
    return 0 <= size <= waiting - 4


def wake(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], result: object) -> None:
    """:func:`settle_once` from any thread, for a future of ``loop`` (nothing once the loop
    has closed: no one waits any more)."""
    try:
        loop.call_soon_threadsafe(settle_once, future, result)
    except RuntimeError:
        pass


def settle_once(future: asyncio.Future[Any], result: object) -> None:
    """Give ``future`` its result, unless it has one (or was cancelled)."""
    if not future.done():
        future.set_result(result)
