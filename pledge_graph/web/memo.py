"""The bound on what the page and JSON-LD writers remember between requests.

Pages and JSON-LD name the same terms again and again (properties, classes, groups,
countries), so what is worked out for one IRI is kept for the next request: its label, its
short form, its link's HTML, its compact IRI. Each memo holds at most a bound of entries
and empties itself when a new one would pass it: a rare recount costs less than keeping an
eviction order on every hit.

A server keeps 100,000 entries a memo. The writer of prepared descriptions reads each
resource once, in path order, where only the last pledge's terms and the common ones come
back, and keeps few (:func:`set_bound`): its memory then stays near its start.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["keep", "keep_all", "set_bound"]

K = TypeVar("K")
V = TypeVar("V")

_bound = 100_000


def set_bound(entries: int) -> None:
    """Hold at most ``entries`` in each memo of this process from now on."""
    global _bound
    _bound = max(1, entries)


def keep(memo: dict[K, V], key: K, value: V) -> V:
    """Remember ``value`` under ``key`` (emptying ``memo`` first when it is full); return it."""
    if len(memo) >= _bound:
        memo.clear()
    memo[key] = value
    return value


def keep_all(memo: dict[K, V], items: list[tuple[K, V]]) -> None:
    """Remember ``items`` (emptying ``memo`` first when they would pass the bound; no more
    than the bound of them)."""
    if len(memo) + len(items) > _bound:
        memo.clear()
    memo.update(items[:_bound])
