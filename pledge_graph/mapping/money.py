"""The RDF of a funding fact's money: its amount (a value, bounds, or the two readings of an
ambiguous grouping), how often it is given and over how many periods, the total that makes,
the level a change starts from ("increase from X to Y"), and the reader's doubts (terms in ontology/commitments.ttl).

A doubt is published only while the fact is as the extractor read it (status
``extracted``): a curator who confirms or corrects the fact has settled it. While the
grouping of an amount is in doubt, neither reading is published as its value: both are
``pg:possibleValue``, so that no sum of ``schema:value`` counts a figure the text does not
state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import Literal

from pledge_graph.errors import RecordError
from pledge_graph.rdf.ntriples import Terms, Triple, literal, nt_term, typed
from pledge_graph.rdf.vocab import RDF, SCHEMA, XSD

__all__ = ["DOUBTS", "FREQUENCIES", "money_triples"]

_RDF, _SCHEMA = Terms(RDF), Terms(SCHEMA)
_POSITIVE = str(XSD.positiveInteger)

FREQUENCIES = {"year": "Yearly", "quarter": "Quarterly", "month": "Monthly"}
"""The ``recurrence`` of a funding fact and the pg:Frequency it maps to."""

DOUBTS = {"ambiguous-grouping": "AmbiguousGrouping", "recipient-not-named": "RecipientNotNamed",
          "currency-not-stated": "CurrencyNotStated"}
"""The ``doubts`` of a funding fact and the pg:Doubt each maps to."""

Fail = Callable[[str, str], RecordError]


def money_triples(fact: dict[str, Any], subject: str, pg: Terms,
                  fail: Fail) -> Iterator[Triple]:
    """Yield the triples of the fact's amount, recurrence, total and doubts; ``fail(message,
    expected)`` makes the error for a malformed field."""
    doubts = _doubts(fact, fail) if fact.get("status", "extracted") == "extracted" else []
    stem = subject[:-1]
    amount = f"{stem}#amount>"  # part of the fact's document
    currency = fact.get("currency")
    if currency is not None and (not isinstance(currency, str)
                                 or not re.fullmatch(r"[A-Z]{3}", currency)):
        raise fail(f"bad currency {currency!r}", "an ISO 4217 code such as USD")
    yield subject, _SCHEMA.amount, amount
    if "ambiguous-grouping" in doubts:
        yield amount, _RDF.type, _SCHEMA.MonetaryAmount
        if currency is not None:
            yield amount, _SCHEMA.currency, literal(currency)
        for key in ("amount", "amount_other"):
            if fact.get(key) is not None:
                yield amount, pg.possibleValue, decimal_term(decimal(fact[key], key, fail))
    else:
        yield from _monetary(amount, currency, fact.get("limit"), fact, "amount", fail)
    recurrence = fact.get("recurrence")
    if recurrence is not None:
        if recurrence not in FREQUENCIES:
            raise fail(f"bad recurrence {recurrence!r}", " | ".join(FREQUENCIES))
        yield subject, pg.recurrence, pg[FREQUENCIES[recurrence]]
    periods = fact.get("periods")
    if periods is not None:
        if not isinstance(periods, int) or isinstance(periods, bool) or periods < 1:
            raise fail(f"bad periods {periods!r}", "the number of periods, e.g. 3")
        yield subject, pg.periodCount, typed(periods, _POSITIVE)
    if fact.get("total") is not None and "ambiguous-grouping" not in doubts:
        total = f"{stem}/total>"
        yield subject, pg.total, total
        yield from _monetary(total, currency, fact.get("limit"), fact, "total", fail)
    if fact.get("previous_amount") is not None:  # "increase from X to Y": X, as context
        previous = f"{stem}/previous>"
        yield subject, pg.previousAmount, previous
        yield from _monetary(previous, currency, None, fact, "previous_amount", fail)
    for doubt in doubts:
        yield subject, pg.doubt, pg[DOUBTS[doubt]]


def _monetary(node: str, currency: str | None, limit: object, fact: dict[str, Any], key: str,
              fail: Fail) -> Iterator[Triple]:
    yield node, _RDF.type, _SCHEMA.MonetaryAmount
    if currency is not None:
        yield node, _SCHEMA.currency, literal(currency)
    value = decimal(fact.get(key), key, fail)
    if limit == "range":
        yield node, _SCHEMA.minValue, decimal_term(value)
        high = decimal(fact.get(f"{key}_max"), f"{key}_max", fail)
        yield node, _SCHEMA.maxValue, decimal_term(high)
    elif limit in ("minimum", "maximum"):
        prop = _SCHEMA.minValue if limit == "minimum" else _SCHEMA.maxValue
        yield node, prop, decimal_term(value)
    elif limit is None:
        yield node, _SCHEMA.value, decimal_term(value)
    else:
        raise fail(f"bad limit {limit!r}", "minimum | maximum | range | null")


def _doubts(fact: dict[str, Any], fail: Fail) -> list[str]:
    doubts = fact.get("doubts") or []
    if not isinstance(doubts, list) or any(d not in DOUBTS for d in doubts):
        raise fail(f"bad doubts {doubts!r}", "a list of " + " | ".join(DOUBTS))
    return doubts


def decimal(value: object, key: str, fail: Fail) -> Decimal:
    """The positive decimal of a field, or the error ``fail`` makes."""
    try:
        number = Decimal(str(value).replace(",", "")) if value is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0:
        raise fail(f"bad {key} {value!r}", f"{key} as a positive decimal, e.g. \"1000000\"")
    return number


def decimal_term(value: Decimal) -> str:
    """xsd:decimal in rdflib's canonical lexical form (no exponent), as the graph always had."""
    return nt_term(Literal(value, datatype=XSD.decimal))
