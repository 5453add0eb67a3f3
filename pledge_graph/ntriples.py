"""N-Triples text of the graph's terms: the one encoding every dump and report is sorted by.

Graphs here have no blank nodes, so a term is an IRI or a literal; literals keep UTF-8 and
escape only what N-Triples requires. IRI texts are cached, since a few IRIs (predicates,
classes, subjects) make up most terms.
"""

from __future__ import annotations

import re

from rdflib import Literal, URIRef
from rdflib.term import Node

from .vocab import XSD

__all__ = ["Triple", "nt_line", "nt_term"]

Triple = tuple[Node, Node, Node]


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')
_XSD_STRING = str(XSD.string)


def _escape(char: re.Match[str]) -> str:
    c = char.group()
    return _ESCAPES.get(c) or f"\\u{ord(c):04X}"


def nt_term(term: Node) -> str:
    """Return the N-Triples form of an IRI or literal (UTF-8, minimal escapes)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = _NEEDS_ESCAPE.sub(_escape, str(term))
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype is not None and str(term.datatype) != _XSD_STRING:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    raise TypeError(f"no blank nodes in the graph: {term!r}")


_IRI_TEXT: dict[str, str] = {}


def _iri_text(term: Node) -> str:
    text = _IRI_TEXT.get(term)  # type: ignore[call-overload]
    if text is None:
        if len(_IRI_TEXT) > 1_000_000:
            _IRI_TEXT.clear()
        text = _IRI_TEXT[term] = nt_term(term)  # type: ignore[index]
    return text


def nt_line(triple: Triple) -> str:
    """Return one N-Triples line (without the newline)."""
    s, p, o = triple
    obj = _iri_text(o) if type(o) is URIRef else nt_term(o)
    return f"{_iri_text(s)} {_iri_text(p)} {obj} ."
