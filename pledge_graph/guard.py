"""What a SPARQL query asks for, read from its tokens without running it.

The endpoint must know a query's form before running it (to negotiate the answer's media
type) and must refuse SERVICE calls before the engine can make them. Both are read from a
tokenizer that skips comments, strings and IRIs, so ``"SERVICE"`` in a literal, ``# SERVICE``
in a comment or ``?service`` never count, and ``SeRvIcE`` always does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .store import QueryRefused

__all__ = ["QUERY_FORMS", "check_services", "query_form", "service_targets", "tokens"]

QUERY_FORMS = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
"""Query form keyword -> kind of answer."""

_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<name>[^\W\d][\w\-.]*:[\w\-.:%\\]*|:[\w\-.:%\\]*|[^\W\d][\w\-]*)
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokens(sparql: str) -> list[tuple[str, str]]:
    """Return the query's tokens as (kind, text) pairs, without comments and whitespace."""
    return [(m.lastgroup or "other", m.group())
            for m in _TOKEN.finditer(sparql) if m.lastgroup not in ("comment", "space")]


def query_form(sparql: str) -> str | None:
    """Return the kind of answer the query gives (``solutions``, ``boolean``, ``graph``), or
    None when the text does not start like a query (the engine then reports the error)."""
    toks = iter(tokens(sparql))
    for kind, text in toks:
        word = text.upper() if kind == "name" else ""
        if word == "BASE":
            next(toks, None)
        elif word == "PREFIX":
            next(toks, None)
            next(toks, None)
        else:
            return QUERY_FORMS.get(word)
    return None


def service_targets(sparql: str) -> list[str | None]:
    """Return the endpoint IRI of every SERVICE clause (None where it is a variable or
    cannot be resolved)."""
    toks = tokens(sparql)
    prefixes = _prefixes(toks)
    targets: list[str | None] = []
    for i, (kind, text) in enumerate(toks):
        if kind != "name" or text.upper() != "SERVICE":
            continue
        rest = toks[i + 1:i + 3]
        if rest and rest[0][0] == "name" and rest[0][1].upper() == "SILENT":
            rest = rest[1:]
        targets.append(_resolve(rest[0], prefixes) if rest else None)
    return targets


def check_services(sparql: str, allowed: Iterable[str] = ()) -> None:
    """Raise QueryRefused unless every SERVICE clause calls an allowed endpoint."""
    allowed = set(allowed)
    for target in service_targets(sparql):
        if target is None or target not in allowed:
            shown = f"<{target}>" if target else "a variable endpoint"
            what = ("this service makes no outbound requests" if not allowed
                    else "it calls only " + ", ".join(f"<{a}>" for a in sorted(allowed)))
            raise QueryRefused(f"SERVICE {shown} refused: {what}",
                               expected="a query without SERVICE clauses" if not allowed
                               else "SERVICE calls to the allowed endpoints")


def _prefixes(toks: list[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for i, (kind, text) in enumerate(toks[:-2]):
        if kind == "name" and text.upper() == "PREFIX" and toks[i + 2][0] == "iri":
            found[toks[i + 1][1].rstrip(":")] = toks[i + 2][1][1:-1]
    return found


def _resolve(token: tuple[str, str], prefixes: dict[str, str]) -> str | None:
    kind, text = token
    if kind == "iri":
        return text[1:-1]
    if kind == "name" and ":" in text:
        prefix, local = text.split(":", 1)
        if prefix in prefixes:
            return prefixes[prefix] + local
    return None
