"""The table of connections: who is evicted when it is full, who is dropped when the bytes
held for clients pass the budget, and that a shared answer counts once."""

from __future__ import annotations

import doctest
import itertools

import pytest

from pledge_graph.web import connections, limits, logs
from pledge_graph.web.connections import BUDGET, EVICTED, Connections, Peer


class Table:
    """A table with a clock that ticks once per event, and peers that record their end."""

    def __init__(self, max_connections: int = 10, max_bytes: int = 1000) -> None:
        ticks = itertools.count()
        self.table = Connections(max_connections, max_bytes, clock=lambda: float(next(ticks)))
        self.dropped: dict[str, str] = {}

    def peer(self, name: str) -> Peer:
        def drop(reason: str) -> None:
            self.dropped[name] = reason
            self.table.closed(peer)

        peer = Peer(self.table, drop)
        assert self.table.opened(peer)
        return peer


def test_a_full_table_evicts_the_connection_waiting_longest():
    t = Table(max_connections=3)
    idle, slow, busy = t.peer("idle"), t.peer("slow"), t.peer("busy")
    t.table.request_read(idle)  # it asked; now it waits again, from now
    t.table.waiting(idle)
    t.table.request_read(busy)  # its request is being answered: never evicted
    t.peer("new")
    assert t.dropped == {"slow": EVICTED}
    assert t.table.count == 3 and not slow.open


def test_a_table_full_of_requests_being_answered_refuses_a_new_connection():
    t = Table(max_connections=2)
    for name in ("a", "b"):
        t.table.request_read(t.peer(name))
    assert not t.table.opened(Peer(t.table, lambda reason: None))
    assert t.dropped == {} and t.table.count == 2


def test_a_stalled_client_can_be_evicted_when_no_connection_waits():
    t = Table(max_connections=2)
    stalled, busy = t.peer("stalled"), t.peer("busy")
    for peer in (stalled, busy):
        t.table.request_read(peer)
    t.table.stalled(stalled, 100)
    t.peer("new")
    assert t.dropped == {"stalled": EVICTED}


def test_bytes_of_incomplete_requests_count_until_the_request_is_read():
    t = Table(max_bytes=1000)
    first, second = t.peer("first"), t.peer("second")
    t.table.received(first, 600)
    t.table.received(second, 300)
    assert t.table.held == 900
    t.table.received(second, 300)  # over the budget: the one reading longest goes
    assert t.dropped == {"first": BUDGET} and t.table.held == 600
    t.table.request_read(second)
    assert t.table.held == 0


def test_a_shared_answer_counts_once_however_many_stalled_clients_send_it():
    t = Table(max_bytes=1000)
    answer = b"x" * 800
    peers = [t.peer(str(n)) for n in range(5)]
    for peer in peers:
        t.table.request_read(peer)
        peer.sending(answer)
        t.table.stalled(peer, 10)
    assert t.dropped == {} and t.table.held == 800 + 5 * 10
    for peer in peers:
        t.table.resumed(peer)
    assert t.table.held == 0


def test_over_the_budget_among_connections_holding_as_much_the_longest_stalled_goes():
    t = Table(max_bytes=1000)
    old, new = t.peer("old"), t.peer("new")
    for peer, size in ((old, 700), (new, 900)):
        t.table.request_read(peer)
        peer.sending(b"y" * size)
        t.table.stalled(peer, 0)
    assert t.dropped == {"old": BUDGET}
    assert t.table.held == 900


def test_an_answer_larger_than_the_budget_is_spared_and_the_others_make_room():
    t = Table(max_bytes=1000)
    small, huge = t.peer("small"), t.peer("huge")
    for peer, size in ((small, 300), (huge, 1500)):
        t.table.request_read(peer)
        peer.sending(b"h" * size)
        t.table.stalled(peer, 0)
    assert t.dropped == {"small": BUDGET} and t.table.held == 1500


def test_over_the_budget_the_clients_of_a_shared_answer_are_spared():
    t = Table(max_bytes=1000)
    shared = b"s" * 600
    first, second, own, new = (t.peer(name) for name in ("first", "second", "own", "new"))
    for peer, body in ((first, shared), (second, shared), (own, b"u" * 300), (new, b"v" * 300)):
        t.table.request_read(peer)
        peer.sending(body)
        t.table.stalled(peer, 0)
    assert t.dropped == {"own": BUDGET}  # dropping "first" would have freed nothing
    assert t.table.held == 900
    t.table.resumed(second)  # "first" sends the shared answer alone now: its drop frees it
    t.table.stalled(t.peer("big"), 500)
    assert t.dropped == {"own": BUDGET, "first": BUDGET}
    assert t.table.held == 800


def test_over_the_budget_the_connection_holding_the_most_goes_not_a_thousand_small_ones():
    t = Table(max_connections=2000, max_bytes=10_000)
    slow = [t.peer(f"slow-{n}") for n in range(1000)]
    for peer in slow:
        t.table.received(peer, 5)  # requests trickling in, a few bytes each
    large = t.peer("large")
    t.table.request_read(large)
    large.sending(b"l" * 8000)
    t.table.stalled(large, 100)
    t.table.stalled(t.peer("trigger"), 2000)
    assert t.dropped == {"large": BUDGET}
    assert t.table.held == 1000 * 5 + 2000


def test_a_closed_connection_gives_back_everything_it_held():
    t = Table()
    peer = t.peer("a")
    t.table.received(peer, 50)
    peer.sending(b"z" * 200)
    t.table.stalled(peer, 20)
    assert t.table.held == 270
    t.table.closed(peer)
    t.table.closed(peer)
    assert t.table.held == 0 and t.table.count == 0


@pytest.mark.parametrize("module", [connections, limits, logs])
def test_the_examples_in_the_docstrings_hold(module):
    assert doctest.testmod(module).failed == 0
