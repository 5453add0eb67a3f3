"""Waiting for a query in an event loop: a message that has come whole is read at once, one
still coming is read in a thread while the loop goes on, and a wait ends at the first of
its answer, its deadline or its client's leaving."""

from __future__ import annotations

import asyncio
import contextlib
import math
import pickle
import socket
import struct
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection

from pledge_graph.store.waits import DONE, GONE, LATE, first_of, readable, received, whole


@contextlib.contextmanager
def pair() -> Iterator[tuple[Connection, socket.socket]]:
    """A connection to read from, and the socket that writes to it."""
    ours, theirs = socket.socketpair()
    conn = Connection(ours.detach())
    try:
        yield conn, theirs
    finally:
        conn.close()
        theirs.close()


def framed(value: object) -> bytes:
    """``value`` as multiprocessing's Connection.send writes it."""
    data = pickle.dumps(value)
    return struct.pack("!i", len(data)) + data


def test_a_message_that_has_come_whole_is_read_at_once() -> None:
    with pair() as (conn, theirs):
        theirs.sendall(framed(("ok", "x" * 1000)))
        assert whole(conn.fileno())
        assert asyncio.run(received(conn)) == ("ok", "x" * 1000)
        assert not whole(conn.fileno())  # nothing left


def test_a_message_still_coming_is_read_in_a_thread_while_the_loop_goes_on() -> None:
    with pair() as (conn, theirs):
        value, ticks = asyncio.run(_read_slowly(conn, theirs))
    assert value == ("ok", "y" * 500_000)
    assert ticks >= 10  # the loop ran while the rest of the message came


async def _read_slowly(conn: Connection, theirs: socket.socket) -> tuple[object, int]:
    """Read a message whose first kilobyte has come, the rest 0.3 s later; count the
    loop's turns meanwhile."""
    message = framed(("ok", "y" * 500_000))
    theirs.sendall(message[:1000])

    def rest() -> None:
        time.sleep(0.3)
        theirs.sendall(message[1000:])

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.ensure_future(tick())
    assert await readable(conn.fileno(), 5) == DONE
    assert not whole(conn.fileno())
    threading.Thread(target=rest).start()
    value = await received(conn)
    ticking.cancel()
    return value, ticks


def test_a_wait_ends_at_its_deadline_or_when_its_client_goes() -> None:
    async def waits() -> list[str]:
        loop = asyncio.get_running_loop()
        never, gone = loop.create_future(), loop.create_future()
        late = await first_of(never, 0.05)
        loop.call_later(0.05, gone.set_result, None)
        left = await first_of(never, math.inf, gone)
        done = loop.create_future()
        loop.call_later(0.05, done.set_result, 1)
        answered = await first_of(done, 5, gone=loop.create_future())
        assert not never.done()  # neither is cancelled by the wait
        return [late, left, answered]

    assert asyncio.run(waits()) == [LATE, GONE, DONE]
