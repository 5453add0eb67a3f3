"""Facts a pledge commits to, read from its words: funding, treaty actions, organisations,
countries and programmes, each with the span of text it was read from.

Every fact is a record dict (docs/model.md, "Facts") with a stable ``id`` made of its kind
and a normalised key, so that a curator's decision about it survives re-import:

    funding-<currency>-<amount>     funding-usd-1000000 (funding-<amount> without currency;
                                    a range's lower bound, an ambiguous grouping's first
                                    reading)
    treaty-<action>-<treaty>        treaty-ratify-opcat
    org-<slug>                      org-ohchr; org-<slug of the name> for unknown bodies
    country-<alpha3>                country-yem
    programme-<slug>                programme-titp

A name found several times in a pledge gives one fact, at its first mention; a second sum
with the same currency and amount gets ``-2`` appended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pledge_graph.extract.facts import extract_facts

__all__ = ["extract_facts"]


def __getattr__(name: str) -> Any:
    """``extract_facts`` is loaded when first asked for: a build imports the authority
    readers of this package, and should not compile the patterns of sums of money, verbs in
    the past and the like, which only reading a pledge's text needs."""
    if name == "extract_facts":
        from pledge_graph.extract.facts import extract_facts

        return extract_facts
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
