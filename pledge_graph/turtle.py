"""A small, deterministic Turtle writer for graphs without blank nodes.

Subjects, predicates and objects come out sorted, ``rdf:type`` first, with the project's
prefixes wherever the local name needs no escaping: the same graph always gives the same
bytes, and the output parses with any Turtle parser.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.term import Node

from .mapping import Triple, nt_term
from .vocab import RDF

__all__ = ["turtle"]

_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


class _Names:
    def __init__(self, prefixes: dict[str, str]) -> None:
        self.table = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self.cache: dict[Node, str] = {}

    def __call__(self, term: Node) -> str:
        text = self.cache.get(term)
        if text is None:
            text = self.cache[term] = self._render(term)
        return text

    def _render(self, term: Node) -> str:
        if isinstance(term, URIRef):
            for name, namespace in self.table:
                if term.startswith(namespace) and _LOCAL.match(term[len(namespace):]):
                    return f"{name}:{term[len(namespace):]}"
            return f"<{term}>"
        if isinstance(term, Literal) and term.datatype is not None and not term.language:
            text = nt_term(term)
            head, _, _ = text.rpartition("^^")
            return f"{head}^^{self(URIRef(term.datatype))}" if head else text
        return nt_term(term)


def turtle(triples: Iterable[Triple], prefixes: dict[str, str]) -> bytes:
    """Return the Turtle document of ``triples`` with ``prefixes`` declared."""
    name = _Names(prefixes)
    by_subject: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for s, p, o in triples:
        by_subject[s][p].add(o)
    out = [f"@prefix {k}: <{v}> .\n" for k, v in sorted(prefixes.items())]
    for s in sorted(by_subject, key=nt_term):
        preds = by_subject[s]
        order = sorted(preds, key=lambda p: (p != RDF.type, nt_term(p)))
        parts = []
        for p in order:
            objects = ", ".join(sorted(name(o) for o in preds[p]))
            parts.append(f"{'a' if p == RDF.type else name(p)} {objects}")
        out.append(f"\n{name(s)}\n    " + " ;\n    ".join(parts) + " .\n")
    return "".join(out).encode("utf-8")
