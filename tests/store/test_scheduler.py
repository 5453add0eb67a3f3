"""The scheduler's places and queue, on their own: new queries start while places are free,
long ones move aside, a client's share of long places holds, the queue is bounded and
shared between clients, and a query waiting in an event loop is woken or leaves the queue
as one waiting in a thread does."""

from __future__ import annotations

import asyncio
import functools
import threading
import time

import pytest

from pledge_graph.errors import Overloaded, QueryCancelled
from pledge_graph.store.scheduler import Scheduler, Ticket
from pledge_graph.store.waits import wake


def running(tickets: list[Ticket]) -> list[str]:
    return [t.state for t in tickets]


def test_queries_start_while_places_are_free_and_wait_beyond() -> None:
    places = Scheduler(fresh=2, long=2, queue=8, retry_after=10)
    tickets = [places.admit("a") for _ in range(3)]
    assert running(tickets) == ["fresh", "fresh", "waiting"]
    places.leave(tickets[0])
    assert tickets[2].state == "fresh" and tickets[2].granted.is_set()


def test_a_long_query_frees_its_place_for_the_next() -> None:
    places = Scheduler(fresh=1, long=2, queue=8, retry_after=10)
    first, second = places.admit("a"), places.admit("a")
    assert places.lengthen(first) is None
    assert first.long and second.state == "fresh"


def test_the_newest_waiting_query_of_the_least_served_client_starts_next() -> None:
    places = Scheduler(fresh=2, long=0, queue=8, retry_after=10)
    first, second = places.admit("a"), places.admit("a")
    older, newer, other = places.admit("a"), places.admit("a"), places.admit("b")
    places.leave(first)
    assert other.state == "fresh"  # b runs nothing, a runs one
    places.leave(second)
    assert newer.state == "fresh" and older.state == "waiting"


def test_a_client_keeps_its_share_of_long_places() -> None:
    places = Scheduler(fresh=4, long=2, queue=8, retry_after=10)
    a1, a2, a3 = (places.admit("a") for _ in range(3))
    assert places.lengthen(a1) is None and places.lengthen(a2) is None
    assert places.lengthen(a3) is a3  # a holds every long place: its new long one stops
    b = places.admit("b")
    displaced = places.lengthen(b)
    assert displaced in (a1, a2) and displaced.state == "over" and b.long
    a4 = places.admit("a")
    assert places.lengthen(a4) is a4  # one each now: neither gives way


def test_a_full_queue_refuses_unless_another_client_holds_more_of_it() -> None:
    places = Scheduler(fresh=1, long=0, queue=2, retry_after=7)
    places.admit("a")
    first, second = places.admit("a"), places.admit("a")
    with pytest.raises(Overloaded) as refused:
        places.admit("a")
    assert refused.value.retry_after == 7 and "queue" in refused.value.message
    mine = places.admit("b")
    assert mine.state == "waiting"
    assert first.refused is not None and first.granted.is_set()  # a's oldest gave way
    assert second.state == "waiting"
    with pytest.raises(Overloaded):
        places.wait(first, 0)


def test_waiting_past_the_limit_leaves_the_queue() -> None:
    places = Scheduler(fresh=1, long=0, queue=2, retry_after=3)
    places.admit("a")
    waiting = places.admit("a")
    with pytest.raises(Overloaded, match="stayed taken"):
        places.wait(waiting, 0.01)
    assert waiting.state == "over"
    assert places.admit("a").state == "waiting"


def test_a_query_waiting_in_an_event_loop_starts_when_another_thread_frees_a_place() -> None:
    places = Scheduler(fresh=1, long=0, queue=2, retry_after=3)
    running_one = places.admit("a")

    async def wait() -> Ticket:
        loop = asyncio.get_running_loop()
        granted = loop.create_future()
        ticket = places.admit("b", functools.partial(wake, loop, granted, None))
        assert ticket.state == "waiting"
        threading.Timer(0.05, places.leave, args=(running_one,)).start()
        await places.wait_async(ticket, 5, granted)
        return ticket

    started = time.monotonic()
    ticket = asyncio.run(wait())
    assert ticket.state == "fresh" and time.monotonic() - started < 2


@pytest.mark.parametrize(("how", "error", "said"), [
    ("late", Overloaded, "stayed taken"),
    ("gone", QueryCancelled, "closed the connection before the query started"),
    ("displaced", Overloaded, "held more of its places"),
])
def test_a_query_waiting_in_an_event_loop_leaves_the_queue_with_its_error(
        how: str, error: type[Exception], said: str) -> None:
    places = Scheduler(fresh=1, long=0, queue=2, retry_after=3)
    places.admit("a")

    async def wait() -> Ticket:
        loop = asyncio.get_running_loop()
        granted, gone = loop.create_future(), loop.create_future()
        ticket = places.admit("a", functools.partial(wake, loop, granted, None))
        if how == "gone":
            loop.call_later(0.05, gone.set_result, None)
        elif how == "displaced":  # the queue fills: "a" holds more of it than "b"
            places.admit("a")
            places.admit("b")
        with pytest.raises(error, match=said):
            await places.wait_async(ticket, 0.2 if how == "late" else 5, granted, gone)
        return ticket

    assert asyncio.run(wait()).state == "over"
    if how != "displaced":  # its place in the queue is free again (else "b" took it)
        assert places.admit("c").state == "waiting"
