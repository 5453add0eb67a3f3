"""Content negotiation: one table of formats, one pure function over it.

Every answer the server negotiates (resource pages and descriptions, SPARQL results, the
service description, graphs) picks its format here. A ``format`` parameter (a short name
or a media type) overrides Accept; otherwise the Accept header's q-values decide, a more
specific range wins over a wildcard at equal q, and the server's order breaks ties. When
nothing fits, or the header cannot be read, :class:`Unacceptable` lists what would.

Why not a library: ``bench/negotiation_libraries.py`` gives werkzeug's ``MIMEAccept``
(3.1) and python-mimeparse (2.0) the same offers (each format's media type, then its
aliases) on the 34 Accept headers of tests/web/test_negotiation.py, 9 of which must be
refused (2026-12, load average 12.8). This module gives the expected answer on 34, werkzeug
on 32, mimeparse on 29:
neither lets an alias (``application/xhtml+xml`` for HTML) match only exactly, so
``application/*`` and ``text/html;q=0, */*;q=0.1`` get HTML instead of RDF, and mimeparse
also answers ``q=abc``, ``q=2`` and ``*/html`` instead of refusing them. Neither has the
``format`` parameter or the list of alternatives a 406 shows. Per call (a browser's header,
uncached) this module takes 104 us, werkzeug 980 us, mimeparse 397 us (medians of 5 runs);
the server remembers usual headers' answers anyway (``web.http.negotiated``), so speed does
not decide.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pledge_graph.sparql.results import (
    CSV,
    JSON_LD,
    N_TRIPLES,
    RDF_XML,
    SPARQL_JSON,
    SPARQL_XML,
    TSV,
    TURTLE,
)

__all__ = ["FORMATS", "Format", "Unacceptable", "negotiate", "parse_accept"]


@dataclass(frozen=True)
class Format:
    """One format: its key (``?format=``), media type, other accepted names and media types,
    the kinds of answer it can carry, and a file extension."""

    key: str
    media_type: str
    kinds: frozenset[str]
    names: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    extension: str = ""


def _f(key: str, media_type: str, kinds: str, names: str = "", aliases: str = "",
       extension: str = "") -> Format:
    return Format(key, media_type, frozenset(kinds.split()), tuple(names.split()),
                  tuple(aliases.split()), extension)


# Kinds: page (HTML), graph (RDF triples), solutions (SELECT), boolean (ASK).
# Order is the server's preference among formats of the same kind.
FORMATS: tuple[Format, ...] = (
    _f("html", "text/html", "page", "htm", "application/xhtml+xml", "html"),
    _f("ttl", TURTLE, "graph", "turtle", "application/turtle application/x-turtle",
       "ttl"),
    _f("jsonld", JSON_LD, "graph", "json-ld json",
       "application/x-json+ld application/json", "jsonld"),
    _f("nt", N_TRIPLES, "graph", "ntriples n-triples", "text/plain", "nt"),
    _f("rdf", RDF_XML, "graph", "rdfxml xml", "application/xml text/xml", "rdf"),
    _f("json", SPARQL_JSON, "solutions boolean", "srj",
       "application/json", "srj"),
    _f("xml", SPARQL_XML, "solutions boolean", "srx",
       "application/xml text/xml", "srx"),
    _f("csv", CSV, "solutions", "", "", "csv"),
    _f("tsv", TSV, "solutions", "", "", "tsv"),
)


class Unacceptable(ValueError):
    """No format of the wanted kinds fits the request; ``alternatives`` lists those that would."""

    def __init__(self, reason: str, alternatives: Sequence[Format]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.alternatives = tuple(alternatives)


_RANGE = re.compile(r"^([\w!#$%&'*+.^`|~-]+)/([\w!#$%&'*+.^`|~-]+)$")


def parse_accept(header: str) -> list[tuple[str, float]]:
    """Given an Accept header, return its (media range, q) pairs; ValueError if malformed."""
    ranges = []
    for part in header.split(","):
        if not part.strip():
            continue
        media, *params = (p.strip() for p in part.split(";"))
        if not _RANGE.match(media) or (media.startswith("*/") and media != "*/*"):
            raise ValueError(f"malformed media range {media!r}")
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    raise ValueError(f"malformed q-value {value!r}") from None
                if not 0 <= q <= 1:
                    raise ValueError(f"q-value out of range: {value}")
        ranges.append((media.lower(), q))
    return ranges


def negotiate(accept: str | None, kinds: Sequence[str], fmt: str | None = None) -> Format:
    """Given the Accept header, the kinds of answer on offer (in the server's order of
    preference) and an optional ``format`` parameter, return the format to answer in.

    Clients send the same few Accept headers again and again: the choice for a short one is
    kept (a bounded number of them), which saves a tenth of a small answer's time."""
    if accept is None or len(accept) <= _KEPT_ACCEPT:
        return _kept_choice(accept, tuple(kinds), fmt)
    return _choose(accept, kinds, fmt)


_KEPT_ACCEPT = 200
"""The longest Accept header whose choice is kept (browsers send about 130 characters)."""


@functools.lru_cache(maxsize=512)
def _kept_choice(accept: str | None, kinds: tuple[str, ...], fmt: str | None) -> Format:
    return _choose(accept, kinds, fmt)


def _choose(accept: str | None, kinds: Sequence[str], fmt: str | None) -> Format:
    offered = [f for kind in kinds for f in FORMATS if kind in f.kinds]
    offered = list(dict.fromkeys(offered))
    if fmt:
        wanted = fmt.strip().lower()
        for f in offered:
            if wanted in (f.key, f.media_type, *f.names, *f.aliases):
                return f
        raise Unacceptable(f"format {fmt!r} is not offered here", offered)
    if not accept or not accept.strip():
        return offered[0]
    try:
        ranges = parse_accept(accept)
    except ValueError as error:
        raise Unacceptable(f"cannot read the Accept header: {error}", offered) from None
    best: tuple[float, int, int] | None = None
    chosen = None
    for index, f in enumerate(offered):
        score = _score(f, ranges)
        if score is None:
            continue
        key = (score[0], score[1], -index)
        if score[0] > 0 and (best is None or key > best):
            best, chosen = key, f
    if chosen is None:
        raise Unacceptable(f"none of the offered media types is acceptable ({accept})", offered)
    return chosen


def _score(f: Format, ranges: list[tuple[str, float]]) -> tuple[float, int] | None:
    """Return (q, specificity) of the most specific range matching ``f``, None if none does.

    Aliases match only exactly; a ``type/*`` range matches the main media type."""
    types = (f.media_type, *f.aliases)
    found: tuple[float, int] | None = None
    for media, q in ranges:
        if media in types:
            specificity = 2 if media == f.media_type else 1
        elif media.endswith("/*") and f.media_type.startswith(media[:-1]):
            specificity = 0
        elif media == "*/*":
            specificity = -1
        else:
            continue
        if found is None or specificity > found[1] or (specificity == found[1] and q > found[0]):
            found = (q, specificity)
    return found
