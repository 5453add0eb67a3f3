"""JSON-LD dumps compacted with the project's context, written directly from the triples.

General JSON-LD compaction (pyld, rdflib) is slow on large graphs; since the graph has no
blank nodes and no lists, compaction reduces to choosing, for each triple, the term of the
context whose coercion fits the value, or else a compact IRI key with a full value object.
The result expands to exactly the input triples under JSON-LD 1.1.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from .ntriples import Triple
from .paths import DEFAULT_BASE, ONTOLOGY_DIR
from .vocab import RDF, XSD, Iris, prefixes

__all__ = ["Compactor", "compact_lines", "load_context"]

_GEN_DELIMS = tuple(":/?#[]@")
_XSD_STRING = str(XSD.string)
_TYPE = str(RDF.type)


def load_context(base: str = DEFAULT_BASE, ontology_dir: Path = ONTOLOGY_DIR) -> dict[str, Any]:
    """Return the context document (``{"@context": ...}``) rewritten to ``base``.

    Falls back to a context of the project's prefixes when ontology/context.jsonld is absent.
    """
    path = ontology_dir / "context.jsonld"
    if not path.exists():
        return {"@context": prefixes(Iris(base))}
    text = path.read_text(encoding="utf-8")
    if base != DEFAULT_BASE:
        text = text.replace(DEFAULT_BASE, Iris(base).base)
    return json.loads(text)


class Compactor:
    """Chooses keys and value forms for triples under one context."""

    def __init__(self, context: dict[str, Any]) -> None:
        defs = context["@context"]
        self.default_language = defs.get("@language")
        raw = {k: v for k, v in defs.items() if not k.startswith("@")}
        self.terms = set(raw)
        self._raw = raw
        self.prefixes: list[tuple[str, str]] = []
        self.type_terms: dict[str, str] = {}
        self.props: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for term, definition in sorted(raw.items()):
            if definition is None:
                continue
            if isinstance(definition, str):
                iri = self._expand(definition)
                if iri.endswith(_GEN_DELIMS):
                    self.prefixes.append((iri, term))
                self.type_terms.setdefault(iri, term)
                self.props[iri].append((term, {}))
                continue
            if "@reverse" in definition or "@id" not in definition:
                continue
            iri = self._expand(definition["@id"])
            if definition.get("@prefix") is True:
                self.prefixes.append((iri, term))
            if set(definition) == {"@id"}:
                self.type_terms.setdefault(iri, term)
            container = definition.get("@container")
            if container in (None, "@set", "@language"):
                spec = dict(definition)
                if "@type" in spec and spec["@type"] not in ("@id", "@vocab"):
                    spec["@type"] = self._expand(spec["@type"])
                self.props[iri].append((term, spec))
        self.prefixes.sort(key=lambda item: -len(item[0]))

    def _expand(self, value: str) -> str:
        if ":" in value and not value.startswith("@"):
            prefix, rest = value.split(":", 1)
            target = self._raw.get(prefix)
            if isinstance(target, str) and not rest.startswith("//"):
                return self._expand(target) + rest
            if isinstance(target, dict) and "@id" in target and not rest.startswith("//"):
                return self._expand(target["@id"]) + rest
        return value

    def iri(self, iri: str) -> str:
        """Return a compact IRI (prefix:suffix) that expands back to ``iri``, or ``iri``."""
        for namespace, name in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                suffix = iri[len(namespace):]
                compact = f"{name}:{suffix}"
                if not suffix.startswith("//") and compact not in self.terms:
                    return compact
        return iri

    def vocab(self, iri: str) -> str:
        """Return the term naming ``iri`` (vocabulary-relative position), or a compact IRI."""
        return self.type_terms.get(iri) or self.iri(iri)

    def entry(self, p: URIRef, o: Any) -> tuple[str, Any, str | None]:
        """Return (key, JSON value, language-map language or None) for one triple's p and o."""
        candidates = self.props.get(str(p), ())
        if isinstance(o, URIRef):
            for term, spec in candidates:
                if spec.get("@type") == "@id":
                    return term, self.iri(str(o)), None
                if spec.get("@type") == "@vocab":
                    return term, self.vocab(str(o)), None
            return self.iri(str(p)), {"@id": self.iri(str(o))}, None
        assert isinstance(o, Literal)
        text = str(o)
        if o.language:
            for term, spec in candidates:
                if spec.get("@container") == "@language":
                    return term, text, o.language
                if spec.get("@language") == o.language and "@type" not in spec:
                    return term, text, None
            return self.iri(str(p)), {"@value": text, "@language": o.language}, None
        datatype = str(o.datatype) if o.datatype is not None else _XSD_STRING
        if datatype != _XSD_STRING:
            for term, spec in candidates:
                if spec.get("@type") == datatype:
                    return term, text, None
            return self.iri(str(p)), {"@value": text, "@type": self.vocab(datatype)}, None
        for term, spec in candidates:
            plain = "@type" not in spec and spec.get("@container") in (None, "@set")
            no_language = ("@language" in spec and spec["@language"] is None) or (
                "@language" not in spec and self.default_language is None)
            if plain and no_language:
                return term, text, None
        return self.iri(str(p)), {"@value": text}, None

    def node(self, subject: URIRef, pairs: Iterable[tuple[URIRef, Any]]) -> dict[str, Any]:
        """Return the node object of one subject."""
        types: list[str] = []
        values: dict[str, list[Any]] = defaultdict(list)
        maps: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for p, o in pairs:
            if str.__eq__(p, _TYPE) and isinstance(o, URIRef):
                types.append(self.vocab(str(o)))
                continue
            key, value, language = self.entry(p, o)
            if language is not None:
                maps[key][language].append(value)
            else:
                values[key].append(value)
        node: dict[str, Any] = {"@id": self.iri(str(subject))}
        if types:
            node["@type"] = sorted(types) if len(types) > 1 else types[0]
        for key in sorted({*values, *maps}):
            if key in maps and key in values:
                raise ValueError(f"{key} used both as language map and as plain values")
            if key in maps:
                node[key] = {lang: _one(sorted(v)) for lang, v in sorted(maps[key].items())}
            else:
                node[key] = _one(sorted(values[key], key=_sort_key))
        return node


def _one(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def compact_lines(triples: Iterable[Triple], context: dict[str, Any], context_iri: str) -> bytes:
    """Return the JSON-LD document of the graph: one node object per line, sorted by subject."""
    compactor = Compactor(context)
    by_subject: dict[URIRef, list[tuple[URIRef, Any]]] = defaultdict(list)
    for s, p, o in triples:
        by_subject[s].append((p, o))  # type: ignore[index,arg-type]
    nodes = [json.dumps(compactor.node(s, by_subject[s]), ensure_ascii=False)
             for s in sorted(by_subject, key=str)]
    head = json.dumps({"@context": context_iri})[:-1]
    return (head + ', "@graph": [\n' + ",\n".join(nodes) + "\n]}\n").encode("utf-8")
