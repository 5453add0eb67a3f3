"""The table form of funding facts, shared by the money tables: ``F(...)`` writes the fields a
reader must take from a sentence, ``funding_of(sentence)`` gives the same fields of the facts
the extractor reads, so each row states the exact facts of its sentence: amount, currency,
recipient, approximation, bounds, the second reading of an ambiguous grouping, recurrence,
periods, total, doubts and the level a change starts from. A field not written is absent from the fact (or false, or null)."""

from __future__ import annotations

from typing import Any

from pledge_graph.extract import extract_facts

NR = ("recipient-not-named",)
AG = ("ambiguous-grouping",)
NC = ("currency-not-stated",)

Row = tuple[str, list[dict[str, Any]]]


def F(amount: str, currency: str | None = None, *, to: str | None = None,
      name: str | None = None, approx: bool = False, limit: str | None = None,
      high: str | None = None, other: str | None = None, every: str | None = None,
      periods: int | None = None, total: str | None = None, total_max: str | None = None,
      doubts: tuple[str, ...] = (), previous: str | None = None) -> dict[str, Any]:
    """One funding fact as a table row writes it."""
    return {"amount": amount, "currency": currency, "recipient": to, "recipient_name": name,
            "approximate": approx, "limit": limit, "amount_max": high, "amount_other": other,
            "recurrence": every, "periods": periods, "total": total, "total_max": total_max,
            "doubts": list(doubts), "previous_amount": previous}


def funding_of(sentence: str) -> list[dict[str, Any]]:
    """The funding facts read from ``sentence``, in the table's form; each quotes its words."""
    found = []
    for fact in extract_facts(sentence):
        if fact["kind"] != "funding":
            continue
        assert sentence[fact["start"]:fact["end"]] == fact["exact"]
        found.append({key: fact.get(key, [] if key == "doubts" else None)
                      for key in F("0")})
    return found
