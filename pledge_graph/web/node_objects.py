"""A description's node objects, as pyld's ``from_rdf`` makes them, for the common case.

A description is mostly IRIs and plain or typed literals, for which ``from_rdf`` makes one
value object per triple. These functions make the same node objects (by ``@id``, sorted as
``from_rdf`` sorts them) from pyoxigraph triples or straight from the N-Triples lines the
lookup index reads, and give None for what pyld converts further: an RDF list, a JSON
literal, a literal with a base direction, a quoted triple. The caller then asks pyld.

Measured in process on the 10k corpus (2026-12-05, 2,000 pledges of about 22 triples):
pyld's ``from_rdf`` and the dataset it reads take 75 us a pledge; :func:`from_triples`
28 to 62 us; parsing the lines into triples first costs 66 us more, which
:func:`from_lines` does without. ``tests/web/test_web_jsonld.py`` holds every resource's
answer, by either way, equal to pyld's own on two releases.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from pledge_graph.store.lookup import literal_parts

__all__ = ["from_lines", "from_triples", "parse_lines"]

Nodes = dict[str, dict[str, Any]]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_TYPE, _RDF_NIL, _RDF_JSON = f"{_RDF}type", f"{_RDF}nil", f"{_RDF}JSON"
_LIST_TERMS = frozenset((f"{_RDF}first", f"{_RDF}rest"))
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def parse_lines(lines: list[str]) -> list[ox.Triple]:
    """N-Triples lines as triples."""
    return [q.triple for q in ox.parse("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)]


def from_triples(triples: list[ox.Triple]) -> Nodes | None:
    """The node objects of ``triples``, or None (see the module)."""
    nodes: Nodes = {}
    for triple in triples:
        subject, predicate, value = triple.subject, triple.predicate.value, triple.object
        if type(subject) is ox.NamedNode:
            key = subject.value
        elif type(subject) is ox.BlankNode:
            key = f"_:{subject.value}"
        else:
            return None
        if type(value) is ox.Literal:
            if getattr(value, "direction", None):
                return None
            item = _literal(value.value, value.language, value.datatype.value)
            if item is None:
                return None
        elif type(value) is ox.NamedNode or type(value) is ox.BlankNode:
            target = value.value if type(value) is ox.NamedNode else f"_:{value.value}"
            if not _add_link(nodes, key, predicate, target):
                return None
            continue
        else:
            return None
        _add(nodes, key, predicate, item)
    return dict(sorted(nodes.items()))


def from_lines(lines: list[str]) -> Nodes | None:
    """The node objects of a description given as N-Triples lines (``S P O .``, as the
    lookup index writes them), or None (see the module)."""
    nodes: Nodes = {}
    for line in lines:
        first = line.find(" ")
        second = line.find(" ", first + 1)
        if first < 0 or second < 0 or not line.endswith(" .\n"):
            return None
        subject, predicate, value = line[:first], line[first + 1:second], line[second + 1:-3]
        key = _node(subject)
        if key is None or not predicate.startswith("<") or "\\" in predicate:
            return None
        predicate = predicate[1:-1]
        if value.startswith('"'):
            lexical, language, datatype = literal_parts(value)
            if language is not None and "--" in language:  # a base direction
                return None
            item = _literal(lexical, language or "", datatype or _XSD_STRING)
            if item is None:
                return None
            _add(nodes, key, predicate, item)
            continue
        target = _node(value)
        if target is None or not _add_link(nodes, key, predicate, target):
            return None
    return dict(sorted(nodes.items()))


def _node(text: str) -> str | None:
    """An IRI's or a blank node's ``@id`` from its N-Triples text (None for a quoted
    triple, or an IRI written with escapes)."""
    if text.startswith("<") and not text.startswith("<<") and "\\" not in text:
        return text[1:-1]
    if text.startswith("_:"):
        return text
    return None


def _literal(lexical: str, language: str | None, datatype: str) -> dict[str, Any] | None:
    if language:
        return {"@value": lexical, "@language": language}
    if datatype == _XSD_STRING:
        return {"@value": lexical}
    if datatype == _RDF_JSON:
        return None
    return {"@value": lexical, "@type": datatype}


def _add_link(nodes: Nodes, key: str, predicate: str, target: str) -> bool:
    """Add a link to another node (a type under ``@type``); False for a list's links."""
    if predicate in _LIST_TERMS or target == _RDF_NIL:
        return False
    if predicate == _RDF_TYPE:
        node = nodes.get(key)
        if node is None:
            node = nodes[key] = {"@id": key}
        node.setdefault("@type", []).append(target)
        return True
    _add(nodes, key, predicate, {"@id": target})
    return True


def _add(nodes: Nodes, key: str, predicate: str, item: dict[str, Any]) -> None:
    node = nodes.get(key)
    if node is None:
        node = nodes[key] = {"@id": key}
    values = node.get(predicate)
    if values is None:
        node[predicate] = [item]
    else:
        values.append(item)
