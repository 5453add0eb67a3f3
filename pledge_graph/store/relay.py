"""Queries from other front processes, run by the one process that holds the query workers.

``serve`` answers HTTP in several front processes (``pledge_graph.web.fronts``) but keeps one
:class:`~pledge_graph.store.pool.ProcessPool`: its scheduler shares places between clients
(by address) and bounds the queue, the long queries and the memory of all queries at once,
and those bounds hold only if every query of a client passes through the same scheduler.
So a front that is not the pool's own sends each query over a socket pair to the pool's
process (:class:`RelayedPool`), which runs it there for the client the front names
(:class:`Relay`) and sends the answer or the error back. Everything else a front
asks of the store is bounded work (descriptions, one-subject lookups, labels, counts) and is
read from the front's own read-only view of the on-disk store, as the pool's process does.

A connection carries several queries at once (each with a number the answer comes back
with), so no query waits for another's answer. An answer's body follows its reply as raw
bytes, not pickled with it, so a large answer is not copied once more in each process on
its way. Both ends wait for answers in their event loops, not in a thread per query
(:mod:`pledge_graph.store.waits`): the pool's process reads the fronts' queries in its
event loop and runs each as a task; a front reads the replies in a thread of its own, so
that it always reads while its event loop may be sending a query, and the pool's process,
which sends a large answer from its event loop, is never left waiting on a front that waits
on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Unpack, cast

from pledge_graph.errors import PledgeGraphError, StoreError
from pledge_graph.store.embedded import (
    Answer,
    QueryOptions,
    ViewReads,
)
from pledge_graph.store.scheduler import client
from pledge_graph.store.waits import GONE, first_of, settle_once, wake, watch, whole

__all__ = ["Relay", "RelayedPool"]

_LOG = logging.getLogger("pledge_graph")
_QUERY, _READY, _CANCEL = "query", "ready", "cancel"
_LOOK_EVERY = 0.05
"""Seconds between looks at whether a relayed query's client has gone."""
_BODY = "body"
"""The status of a reply whose answer's body is the next message, as raw bytes."""
_LOST = "the process that runs queries has stopped"
_AT_ONCE = 64 * 1024
"""Bytes of an answer's body the pool's process sends a front from its event loop; a
longer one is sent from a thread."""


def _portable(error: BaseException) -> tuple[type[PledgeGraphError], tuple[Any, ...],
                                              dict[str, Any]]:
    """An error in a form that crosses the socket: its class, arguments and attributes (the
    domain errors' keyword-only fields, such as ``retry_after``, are attributes)."""
    if isinstance(error, PledgeGraphError):
        return type(error), error.args, dict(vars(error))
    return StoreError, ("the query failed",), {"message": "the query failed", "file": None,
                                               "line": None, "expected": None}


def _rebuilt(kind: type[PledgeGraphError], args: tuple[Any, ...],
             attributes: dict[str, Any]) -> PledgeGraphError:
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    vars(error).update(attributes)
    return error


class Relay:
    """The pool's end of one front's connection: runs the queries the front sends with
    ``query`` (the pool's :meth:`~pledge_graph.store.pool.ProcessPool.query_async`), each
    for the client the front names, as a task of the server's event loop (:meth:`listen`),
    and tells the front what the server has counted once (:meth:`tell`). ``on_ready`` is
    called with the number of example answers the front has kept, once it has."""

    def __init__(self, conn: Connection, query: Callable[..., Awaitable[Answer]],
                 on_ready: Callable[[int], None]) -> None:
        self._conn = conn
        self._query = query
        self._on_ready = on_ready
        self._send = threading.Lock()
        self._gone: dict[int, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """Answer the front's queries in ``loop`` (the server's) until the front goes."""
        watch(loop, self._conn.fileno(), self._readable, loop)

    def _readable(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read the front's next message: at once when it has come whole, else in a thread
        (the loop does not wait for a front sending a long query)."""
        fd = self._conn.fileno()
        if whole(fd):
            self._received(loop, self._recv())
            return
        loop.remove_reader(fd)
        reading = loop.run_in_executor(None, self._recv)
        reading.add_done_callback(lambda read: self._received(loop, read.result(), again=True))

    def _recv(self) -> Any:
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            return None

    def _received(self, loop: asyncio.AbstractEventLoop, message: Any,
                  again: bool = False) -> None:
        """Act on one message from the front (None: it has gone, and so have its clients);
        ``again``: watch for the next."""
        if message is None:
            if not again:
                loop.remove_reader(self._conn.fileno())
            for gone in self._gone.values():
                settle_once(gone, None)
            return
        if again:
            watch(loop, self._conn.fileno(), self._readable, loop)
        if message[0] == _READY:
            self._on_ready(message[1])
        elif message[0] == _CANCEL:
            left = self._gone.get(message[1])
            if left is not None:  # else answered already
                settle_once(left, None)
        else:
            self._gone[message[1]] = loop.create_future()
            task = loop.create_task(self._run(*message[1:]))
            self._tasks.add(task)  # the loop keeps weak references to its tasks only
            task.add_done_callback(self._tasks.discard)

    def tell(self, name: str, value: object) -> None:
        """Send the front a value the server computed once (the landing page's counts)."""
        self._reply((name, value))

    async def _run(self, number: int, who: str, sparql: str, options: dict[str, Any]) -> None:
        client.set(who)
        try:
            answer = await self._query(sparql, gone=self._gone[number], **options)
        except Exception as error:  # noqa: BLE001 - every failure goes back to the front
            if not isinstance(error, PledgeGraphError):  # the front sees a plain StoreError
                _LOG.error("a relayed query failed: unexpected %s: %s",
                           type(error).__name__, error)
            self._respond((number, "error", _portable(error)))
            return
        finally:
            self._gone.pop(number, None)
        self._respond((number, _BODY, replace(answer, body=b"")), answer.body)

    def _respond(self, reply: tuple[Any, ...], body: bytes | None = None) -> None:
        """Send a reply from the event loop when it is short and no other is being sent;
        else from a thread, so that the loop does not wait on the front reading it."""
        if len(body or b"") <= _AT_ONCE and self._send.acquire(blocking=False):
            try:
                self._send_reply(reply, body)
            finally:
                self._send.release()
            return
        asyncio.get_running_loop().run_in_executor(None, self._reply, reply, body)

    def _reply(self, reply: tuple[Any, ...], body: bytes | None = None) -> None:
        with self._send:
            self._send_reply(reply, body)

    def _send_reply(self, reply: tuple[Any, ...], body: bytes | None) -> None:
        try:
            self._conn.send(reply)
            if body is not None:
                self._conn.send_bytes(body)
        except OSError:
            pass  # the front has gone; its clients are gone with it


def _answer(status: str, value: Any) -> Answer:
    """A reply as the answer, or the error it carries."""
    if status == "ok":
        return cast(Answer, value)
    raise _rebuilt(*value)


class _InLoop:
    """A reply awaited in an event loop, given by the thread that receives replies."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()

    def done(self) -> bool:
        return self.future.done()

    def set_result(self, result: object) -> None:
        wake(self.loop, self.future, result)


class RelayedPool(ViewReads):
    """A :class:`~pledge_graph.store.embedded.Store` for a front without the pool: queries
    go to the pool's process over ``conn``; bounded reads come from this process's own
    read-only view of the store at ``path``."""

    def __init__(self, path: Path, conn: Connection, *, limit: int) -> None:
        self.path, self.limit = path, limit
        self._conn = conn
        self._send = threading.Lock()
        self._numbers = itertools.count()
        self._waiting: dict[int, Future[Any] | _InLoop] = {}
        self._lost = False
        self._told: dict[str, object] = {}
        self._heard = threading.Condition()
        # replies are received in a thread of their own, never in the event loop: the
        # pool's process may be sending a large answer to this front while this front
        # sends it a query, and a loop busy sending could then not read
        threading.Thread(target=self._receive, daemon=True, name="relay").start()

    def query(self, sparql: str, *, media_types: dict[str, str],
              **options: Unpack[QueryOptions]) -> Answer:
        """Run the query in the pool's process for the client
        :data:`pledge_graph.store.scheduler.client` names; raise what the pool raises."""
        number = next(self._numbers)
        waiting: Future[Any] = Future()
        cancel = options.pop("cancel", None)  # told the pool's process by a message
        with self._asking(number, waiting):
            self._ask(number, sparql, media_types, options)
            status, value = self._result(waiting, number, cancel)
        return _answer(status, value)

    async def query_async(self, sparql: str, *, media_types: dict[str, str],
                          gone: asyncio.Future[Any] | None = None,
                          **options: Unpack[QueryOptions]) -> Answer:
        """:meth:`query`, waiting for the answer in the running event loop rather than in a
        thread (see :mod:`pledge_graph.store.waits`); once ``gone`` is done, the pool's
        process is told to stop the query (its reply, the error, still comes)."""
        number = next(self._numbers)
        answered = _InLoop(asyncio.get_running_loop())
        with self._asking(number, answered):
            self._ask(number, sparql, media_types, options)
            if await first_of(answered.future, math.inf, gone) == GONE:
                self._cancel(number)
            status, value = await answered.future
        return _answer(status, value)

    @contextlib.contextmanager
    def _asking(self, number: int, waiting: Future[Any] | _InLoop) -> Iterator[None]:
        """While query ``number`` waits for its reply, given to ``waiting``."""
        self._waiting[number] = waiting
        try:
            yield
        except OSError:
            raise StoreError(_LOST) from None
        finally:
            self._waiting.pop(number, None)

    def _ask(self, number: int, sparql: str, media_types: dict[str, str],
             options: QueryOptions) -> None:
        with self._send:
            if self._lost:
                raise StoreError(_LOST)
            self._conn.send((_QUERY, number, client.get(), sparql,
                             {"media_types": media_types, **options}))

    def _cancel(self, number: int) -> None:
        with self._send:
            if not self._lost:
                self._conn.send((_CANCEL, number))

    def _result(self, waiting: Future[Any], number: int,
                cancel: threading.Event | None) -> Any:
        """The reply to query ``number``; once ``cancel`` is set, the pool's process is
        told to stop the query (its reply, the error, still comes)."""
        if cancel is None:
            return waiting.result()
        while True:
            try:
                return waiting.result(timeout=_LOOK_EVERY)
            except TimeoutError:
                if cancel.is_set():
                    self._cancel(number)
                    return waiting.result()

    def ready(self, kept: int) -> None:
        """Tell the pool's process that this front has kept ``kept`` example answers."""
        with self._send:
            self._conn.send((_READY, kept))

    def told(self, name: str, timeout: float) -> object | None:
        """What the pool's process has told this front as ``name``, waiting up to
        ``timeout`` seconds for it (None if it has not)."""
        with self._heard:
            self._heard.wait_for(lambda: name in self._told or self._lost, timeout)
            return self._told.get(name)

    def close(self) -> None:
        """Stop sending queries; those waiting get an error."""
        self._conn.close()

    def _receive(self) -> None:
        while True:
            try:
                message = self._conn.recv()
                if not isinstance(message[0], str) and message[1] == _BODY:
                    number, _, value = message  # the body follows, read into one bytes object
                    message = (number, "ok", replace(value, body=self._conn.recv_bytes()))
            except (EOFError, OSError):
                break
            if isinstance(message[0], str):  # told, not answered
                with self._heard:
                    self._told[message[0]] = message[1]
                    self._heard.notify_all()
                continue
            number, status, value = message
            waiting = self._waiting.get(number)
            if waiting is not None:
                waiting.set_result((status, value))
        self._lose()

    def _lose(self) -> None:
        """The pool's process has gone: every query waiting, and every later one, fails."""
        with self._send:
            self._lost = True
        with self._heard:
            self._heard.notify_all()
        for waiting in list(self._waiting.values()):
            if not waiting.done():
                waiting.set_result(("error", _portable(StoreError(_LOST))))
