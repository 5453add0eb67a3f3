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
with), so a front's query threads never wait for one another's answers. An answer's body
follows its reply as raw bytes, not pickled with it, so a large answer is not copied once
more in each process on its way.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Unpack

from pledge_graph.errors import PledgeGraphError, StoreError
from pledge_graph.store.embedded import (
    Answer,
    QueryOptions,
    ViewReads,
)
from pledge_graph.store.scheduler import client

__all__ = ["Relay", "RelayedPool"]

_LOG = logging.getLogger("pledge_graph")
_QUERY, _READY, _CANCEL = "query", "ready", "cancel"
_LOOK_EVERY = 0.05
"""Seconds between looks at whether a relayed query's client has gone."""
_BODY = "body"
"""The status of a reply whose answer's body is the next message, as raw bytes."""
_LOST = "the process that runs queries has stopped"


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
    ``query`` (the pool's), each in a thread for the client the front names, and tells the
    front what the server has counted once (:meth:`tell`). ``on_ready`` is called with the
    number of example answers the front has kept, once it has."""

    def __init__(self, conn: Connection, query: Callable[..., Answer], threads: int,
                 on_ready: Callable[[int], None]) -> None:
        self._conn = conn
        self._query = query
        self._threads = threads
        self._on_ready = on_ready
        self._send = threading.Lock()
        self._cancels: dict[int, threading.Event] = {}

    def serve(self) -> None:
        """Answer the front's queries until it goes."""
        with ThreadPoolExecutor(max_workers=self._threads,
                                thread_name_prefix="relay") as running:
            while True:
                try:
                    message = self._conn.recv()
                except (EOFError, OSError):
                    return
                if message[0] == _READY:
                    self._on_ready(message[1])
                elif message[0] == _CANCEL:
                    cancel = self._cancels.get(message[1])
                    if cancel is not None:  # else answered already
                        cancel.set()
                else:
                    self._cancels[message[1]] = threading.Event()
                    running.submit(self._run, *message[1:])

    def tell(self, name: str, value: object) -> None:
        """Send the front a value the server computed once (the landing page's counts)."""
        self._reply((name, value))

    def _run(self, number: int, who: str, sparql: str, options: dict[str, Any]) -> None:
        client.set(who)
        cancel = self._cancels[number]
        try:
            answer = self._query(sparql, cancel=cancel, **options)
        except Exception as error:  # noqa: BLE001 - every failure goes back to the front
            if not isinstance(error, PledgeGraphError):  # the front sees a plain StoreError
                _LOG.error("a relayed query failed: unexpected %s: %s",
                           type(error).__name__, error)
            self._reply((number, "error", _portable(error)))
            return
        finally:
            self._cancels.pop(number, None)
        self._reply((number, _BODY, replace(answer, body=b"")), answer.body)

    def _reply(self, reply: tuple[Any, ...], body: bytes | None = None) -> None:
        try:
            with self._send:
                self._conn.send(reply)
                if body is not None:
                    self._conn.send_bytes(body)
        except OSError:
            pass  # the front has gone; its clients are gone with it


class RelayedPool(ViewReads):
    """A :class:`~pledge_graph.store.embedded.Store` for a front without the pool: queries
    go to the pool's process over ``conn``; bounded reads come from this process's own
    read-only view of the store at ``path``."""

    def __init__(self, path: Path, conn: Connection, *, limit: int) -> None:
        self.path, self.limit = path, limit
        self._conn = conn
        self._send = threading.Lock()
        self._numbers = itertools.count()
        self._waiting: dict[int, Future[Any]] = {}
        self._lost = False
        self._told: dict[str, object] = {}
        self._heard = threading.Condition()
        threading.Thread(target=self._receive, daemon=True, name="relay").start()

    def query(self, sparql: str, *, media_types: dict[str, str],
              **options: Unpack[QueryOptions]) -> Answer:
        """Run the query in the pool's process for the client
        :data:`pledge_graph.store.scheduler.client` names; raise what the pool raises."""
        number = next(self._numbers)
        waiting: Future[Any] = Future()
        self._waiting[number] = waiting
        cancel = options.pop("cancel", None)  # told the pool's process by a message
        try:
            with self._send:
                if self._lost:
                    raise StoreError(_LOST)
                self._conn.send((_QUERY, number, client.get(), sparql,
                                 {"media_types": media_types, **options}))
            status, value = self._result(waiting, number, cancel)
        except OSError:
            raise StoreError(_LOST) from None
        finally:
            self._waiting.pop(number, None)
        if status == "ok":
            return value
        raise _rebuilt(*value)

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
                    with self._send:
                        if not self._lost:
                            self._conn.send((_CANCEL, number))
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
            except (EOFError, OSError):
                break
            if isinstance(message[0], str):  # told, not answered
                with self._heard:
                    self._told[message[0]] = message[1]
                    self._heard.notify_all()
                continue
            number, status, value = message
            if status == _BODY:  # the body follows, read straight into one bytes object
                status, value = "ok", replace(value, body=self._conn.recv_bytes())
            waiting = self._waiting.get(number)
            if waiting is not None:
                waiting.set_result((status, value))
        with self._send:
            self._lost = True
        with self._heard:
            self._heard.notify_all()
        for waiting in list(self._waiting.values()):
            if not waiting.done():
                waiting.set_result(("error", _portable(StoreError(_LOST))))
