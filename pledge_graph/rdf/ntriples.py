"""N-Triples text of the graph's terms: the form every stage after the records works in.

A term is its N-Triples text (``<iri>``, ``"text"``, ``"text"@en``, ``"5"^^<datatype>``) and a
triple is three such texts. Strings are cheap to make, hash, compare, sort and write, which
keeps mapping, validation and publishing linear and fast on large corpora; rdflib terms are
made only where a library needs them (pyshacl, tests). Graphs here have no blank nodes, and
literals keep UTF-8 and escape only what N-Triples requires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from pledge_graph.rdf.vocab import RDF, XSD

__all__ = [
    "RDF_TYPE",
    "XSD_STRING",
    "Terms",
    "Triple",
    "iri",
    "literal",
    "literal_parts",
    "nt_term",
    "rdflib_graph",
    "rdflib_term",
    "typed",
]

Triple = tuple[str, str, str]
"""A triple of N-Triples term texts."""

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')
XSD_STRING = str(XSD.string)
"""The IRI of xsd:string, the datatype of a plain literal."""
RDF_TYPE = f"<{RDF.type}>"
"""The N-Triples text of rdf:type."""
_UNESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
              "\\": "\\"}
_ESCAPED = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")


def _escape(char: re.Match[str]) -> str:
    c = char.group()
    return _ESCAPES.get(c) or f"\\u{ord(c):04X}"


def iri(value: str) -> str:
    """Return the N-Triples text of an IRI."""
    return f"<{value}>"


def literal(text: str, lang: str | None = None) -> str:
    """Return the N-Triples text of a plain (xsd:string) or language-tagged literal."""
    if _NEEDS_ESCAPE.search(text):
        text = _NEEDS_ESCAPE.sub(_escape, text)
    return f'"{text}"@{lang}' if lang else f'"{text}"'


def typed(lexical: object, datatype: str) -> str:
    """Return the N-Triples text of a literal of ``datatype`` (an IRI, without brackets)."""
    text = str(lexical)
    if _NEEDS_ESCAPE.search(text):
        text = _NEEDS_ESCAPE.sub(_escape, text)
    if datatype == XSD_STRING:
        return f'"{text}"'
    return f'"{text}"^^<{datatype}>'


class Terms:
    """The N-Triples texts of a namespace's terms: ``Terms(RDF).type``, ``Terms(pg)["Fact"]``."""

    def __init__(self, namespace: object) -> None:
        self._namespace = str(namespace)
        self._texts: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        text = self._texts.get(name)
        if text is None:
            text = self._texts[name] = f"<{self._namespace}{name}>"
        return text

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        text = self[name]
        setattr(self, name, text)  # later lookups find the attribute and skip this method
        return text


def nt_term(term: Node) -> str:
    """Return the N-Triples text of an rdflib IRI or literal (UTF-8, minimal escapes)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.language:
            return literal(str(term), term.language)
        if term.datatype is not None:
            return typed(str(term), str(term.datatype))
        return literal(str(term))
    raise TypeError(f"no blank nodes in the graph: {term!r}")


def _unescape(match: re.Match[str]) -> str:
    short, long, char = match.groups()
    if short or long:
        return chr(int(short or long, 16))
    return _UNESCAPES.get(char, "\\" + char)


def literal_parts(text: str) -> tuple[str, str | None, str | None]:
    """Split a literal's N-Triples text into (lexical form, language, datatype IRI)."""
    end = text.rindex('"')
    lexical = text[1:end]
    if "\\" in lexical:
        lexical = _ESCAPED.sub(_unescape, lexical)
    rest = text[end + 1:]
    if rest.startswith("@"):
        return lexical, rest[1:], None
    if rest.startswith("^^<"):
        return lexical, None, rest[3:-1]
    return lexical, None, None


def rdflib_term(text: str) -> Node:
    """Return the rdflib term of an N-Triples term text."""
    if text.startswith("<"):
        return URIRef(text[1:-1])
    lexical, lang, datatype = literal_parts(text)
    return Literal(lexical, lang=lang, datatype=URIRef(datatype) if datatype else None)


def rdflib_graph(triples: Iterable[Triple], graph: Graph | None = None) -> Graph:
    """Add ``triples`` to ``graph`` (a new one by default) as rdflib terms and return it."""
    graph = Graph() if graph is None else graph
    add = graph.add
    for s, p, o in triples:
        add((rdflib_term(s), rdflib_term(p), rdflib_term(o)))
    return graph
