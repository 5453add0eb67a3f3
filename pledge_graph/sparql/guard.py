"""SERVICE clauses found in a query's text, so the endpoint can refuse them before it runs.

The query workers have no network (:mod:`pledge_graph.store.sandbox`), so this check is not what
keeps a query from making outbound requests; it gives a clear 403 instead of an engine
error, and it is the only line for a remote store (``serve --store``) or when
``--allow-service`` gives the workers a network.

It fails closed. Every place where the word SERVICE (any case) may stand as a token, in
every reading of the text (:func:`pledge_graph.sparql.lexer.readings`), is read as the start of a
``SERVICE [SILENT] target {`` clause, with a reading of each part that accepts at least
what the engine accepts; a clause whose end cannot be found within
:data:`CLAUSE_WINDOW` characters counts as a call to an unknown endpoint. The word inside a
string or a comment is not a token, unless an IRI before it holds ``'`` or ``#`` and follows
something a less-than sign could compare (were its ``<`` one, the string or comment would
begin elsewhere), or a quote before it opens no well-formed string; from there on every
occurrence is read as a clause. More than
:data:`MAX_SERVICE_WORDS` occurrences to read is refused outright, so the work stays
linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pledge_graph.errors import QueryRefused
from pledge_graph.sparql.lexer import (
    Scanner,
    absolute_iri,
    find_all,
    prefixes,
    prologue_end,
    readings,
    skip_space,
    unescape_iri,
)

__all__ = ["CLAUSE_WINDOW", "MAX_SERVICE_WORDS", "check_services", "service_targets"]

CLAUSE_WINDOW = 8_192
"""Characters from the word SERVICE within which its clause must reach its ``{``."""

MAX_SERVICE_WORDS = 64
"""Occurrences of the word SERVICE that are read as possible clauses before the query is
refused as a whole."""

_SCANNER = Scanner("service")
_SILENT = re.compile(r"(?i:silent)")
_OPERAND_NEXT = set("{.;,([|/^!=&*+")
"""Characters after which ``<`` can only open an IRI."""
_RUN = re.compile(r"(?:\\\S|[^\s{}<>\"'#\\])*+")
"""A variable or a prefixed name, read generously (up to a space, a brace, an angle
bracket, a quote or a comment)."""
_CUT = ("", -1)
"""What :meth:`_Reading._target` gives when the window ends inside the clause."""


class _TooMany(Exception):
    """More occurrences of the word than :data:`MAX_SERVICE_WORDS`."""


def service_targets(sparql: str) -> list[str | None]:
    """Return the endpoint of every SERVICE clause the text may hold, in every reading:
    the IRI, or None where it is a variable, a relative IRI, an undeclared prefix, or
    cannot be read.

    >>> service_targets("SELECT * { SERVICE <http://example.org/sparql> { } }")
    ['http://example.org/sparql']
    >>> service_targets("SELECT * { ?s ?p 'SERVICE <http://example.org/> { }' }")
    []
    """
    try:
        return list(_targets(sparql))
    except _TooMany:
        return [None]


def check_services(sparql: str, allowed: Iterable[str] = ()) -> None:
    """Raise QueryRefused unless every SERVICE clause calls an allowed endpoint."""
    allowed = set(allowed)
    try:
        for target in _targets(sparql):
            if target is None or target not in allowed:
                raise _refusal(target, allowed)
    except _TooMany:
        raise QueryRefused(
            f"the query holds the word SERVICE more than {MAX_SERVICE_WORDS} times where it "
            "may be a clause; it was not run", expected="fewer SERVICE-like words") from None


def _refusal(target: str | None, allowed: set[str]) -> QueryRefused:
    shown = f"<{target}>" if target else "to an endpoint that cannot be read from the text"
    what = ("this service makes no outbound requests" if not allowed
            else "it calls only " + ", ".join(f"<{a}>" for a in sorted(allowed)))
    return QueryRefused(f"SERVICE {shown} refused: {what}",
                        expected="a query without SERVICE clauses" if not allowed
                        else "SERVICE calls to the allowed endpoints")


def _targets(sparql: str) -> Iterator[str | None]:
    for text in readings(sparql):
        if "service" in text.casefold():
            yield from _Reading(text).targets()


class _Reading:
    """One reading of the text, scanned once from the start (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.text = text + "\n"  # the scanner reads a token only with a character after it
        self.end = len(text)
        self.read = 0
        self._prefixes: dict[str, str] | None = None
        self._prologue: int | None = None

    def targets(self) -> Iterator[str | None]:
        text, scanner, end = self.text, _SCANNER, self.end
        for glued in find_all(scanner.glued, text):
            yield from self._clause(glued + 4 if text[glued] in "tT" else glued + 5)
        pos, strict = 0, False
        while pos < end:
            pos = scanner.skip(text, pos, strict)
            if pos >= end:
                return
            if scanner.find.match(text, pos):
                if not scanner.continues(text, pos):
                    yield from self._clause(pos)
                name = scanner.name.match(text, pos)
                pos = name.end() if name else pos + 1
                continue
            number = scanner.number.match(text, pos)
            if number:
                pos = number.end()
                continue
            unit = scanner.unit.match(text, pos)
            if unit is None:
                if text[pos] == "<":  # a less-than sign
                    pos += 1
                    continue
                yield from self._every(pos, end)  # a quote that opens no string: nothing
                return  # after it can be read with certainty
            if unit.lastgroup == "iri" and self._ambiguous(pos, unit.group()):
                strict = True
                yield from self._every(pos, unit.end())
            elif strict and unit.lastgroup != "iri":
                yield from self._every(pos, unit.end())
            pos = unit.end()

    def _ambiguous(self, at: int, iri: str) -> bool:
        """Tell whether the IRI at ``at`` might be read as code: it holds ``'`` or ``#`` and
        its ``<`` may be a less-than sign (it is neither in the prologue nor after an
        operator or an opening bracket, after which only an operand can follow)."""
        if "'" not in iri and "#" not in iri:
            return False
        if self._prologue is None:
            self._prologue = prologue_end(self.text)
        if at < self._prologue:
            return False
        before = self.text[max(0, at - 256):at].rstrip(" \t\r\n")
        return not before or before[-1] not in _OPERAND_NEXT

    def _every(self, start: int, stop: int) -> Iterator[str | None]:
        """Read every occurrence of the word between ``start`` and ``stop`` as a clause."""
        for found in find_all(_SCANNER.find, self.text, start, stop):
            yield from self._clause(found)

    def _clause(self, at: int) -> Iterator[str | None]:
        """Yield the endpoint of the clause the word at ``at`` may start: its IRI, or None
        when the IRI cannot be told or the clause runs past :data:`CLAUSE_WINDOW`."""
        self.read += 1
        if self.read > MAX_SERVICE_WORDS:
            raise _TooMany
        text = self.text
        window = min(self.end, at + CLAUSE_WINDOW)
        begin = skip_space(text, at + len("service"), window)
        starts = [begin]
        silent = _SILENT.match(text, begin, window)
        if silent:
            starts.append(skip_space(text, silent.end(), window))
        for start in starts:
            target = self._target(start, window)
            if target is _CUT:
                yield None
            elif target is not None:
                raw, after = target
                brace = skip_space(text, after, window)
                if brace < window and text[brace] == "{":
                    yield self._resolve(raw)
                elif brace >= window < self.end:
                    yield None

    def _target(self, at: int, window: int) -> tuple[str, int] | None:
        """Return the endpoint's text at ``at`` and where it ends, read generously: an IRI
        up to its ``>``, a variable, or a name holding a colon; None where none is, and
        :data:`_CUT` when the window ends first."""
        text = self.text
        if at >= window:
            return _CUT if window < self.end else None
        if text[at] == "<":
            close = text.find(">", at + 1, window)
            if close < 0:
                return _CUT if window < self.end else None
            return text[at:close + 1], close + 1
        run = _RUN.match(text, at, window)
        end = run.end() if run else at
        if end >= window and window < self.end:
            return _CUT
        raw = text[at:end]
        if raw[:1] in ("?", "$") and len(raw) > 1 or ":" in raw:
            return raw, end
        return None

    def _resolve(self, raw: str) -> str | None:
        """Return the IRI an endpoint's text names, when it can be told from the text."""
        if raw.startswith("<"):
            iri = unescape_iri(raw[1:-1])
            return iri if absolute_iri(iri) else None
        if raw[0] in "?$":
            return None
        if self._prefixes is None:
            self._prefixes = prefixes(self.text)
        prefix, _, local = raw.partition(":")
        base = self._prefixes.get(prefix)
        if base is None or not absolute_iri(base):
            return None
        return base + local.replace("\\", "")
