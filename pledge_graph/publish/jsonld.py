"""JSON-LD dumps compacted with the project's context, written directly from the triples.

General JSON-LD compaction (pyld, rdflib) is slow on large graphs; since the graph has no
blank nodes and no lists, compaction reduces to choosing, for each triple, the term of the
context whose coercion fits the value, or else a compact IRI key with a full value object.
The result expands to exactly the input triples under JSON-LD 1.1. The context is embedded
in the document (see :func:`document_head`).

Measured against the libraries (``bench/writers.py``, the first 20,011 triples of the
generated 2,000-pledge corpus's release, with its context; median of 5 runs on 2 shared CPUs
at a load average of 5 to 8): this compactor takes 0.26 s, rdflib 7.6's JSON-LD serialiser
1.8 s (7x), pyld 3.3's ``from_rdf`` and ``compact`` 93 s (360x); all three give the same
graph back. It stays: the libraries cost 7 to 360 times as much for the same triples, and
the build writes the JSON-LD dump in parts, node objects per batch in worker processes,
which neither library offers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from pledge_graph.paths import DEFAULT_BASE, ONTOLOGY_DIR
from pledge_graph.rdf.ntriples import RDF_TYPE, XSD_STRING, literal_parts
from pledge_graph.rdf.vocab import Iris, prefixes, rebase_text

__all__ = ["DOCUMENT_TAIL", "Compactor", "compact_rows", "context_cut", "context_names",
           "context_text", "document_head", "load_context", "named_entries"]

_GEN_DELIMS = tuple(":/?#[]@")


def load_context(base: str = DEFAULT_BASE, ontology_dir: Path = ONTOLOGY_DIR) -> dict[str, Any]:
    """Return the context document (``{"@context": ...}``) rewritten to ``base``.

    Falls back to a context of the project's prefixes when ontology/context.jsonld is absent.
    """
    path = ontology_dir / "context.jsonld"
    if not path.exists():
        return {"@context": prefixes(Iris(base))}
    return json.loads(rebase_text(path.read_text(encoding="utf-8"), base))


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
        self._compact: dict[str, str] = {}
        self._rules: dict[tuple[str, tuple[bool, str | None, str | None]],
                          tuple[str, str, str | None]] = {}

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
        compact = self._compact.get(iri)
        if compact is None:
            if len(self._compact) > 50_000:
                self._compact.clear()
            compact = self._compact[iri] = self._compact_iri(iri)
        return compact

    def _compact_iri(self, iri: str) -> str:
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

    def entry(self, p: str, o: str) -> tuple[str, Any, str | None]:
        """Return (key, JSON value, language-map language or None) for one triple's p and o.

        ``p`` is an IRI and ``o`` an N-Triples term text. The choice depends only on ``p`` and
        the kind of ``o`` (IRI, language, datatype), so it is made once for each such pair.
        """
        if o[0] == "<":
            kind: tuple[bool, str | None, str | None] = (True, None, None)
            text = o[1:-1]
        else:
            text, language, datatype = literal_parts(o)
            kind = (False, language, datatype)
        rule = self._rules.get((p, kind))
        if rule is None:
            rule = self._rules[(p, kind)] = self._rule(p, kind)
        key, form, language = rule
        if form == "text":
            return key, text, language
        if form == "iri":
            return key, self.iri(text), None
        if form == "vocab":
            return key, self.vocab(text), None
        if form == "id":
            return key, {"@id": self.iri(text)}, None
        if form == "typed":
            return key, {"@value": text, "@type": self.vocab(kind[2] or "")}, None
        if kind[1]:
            return key, {"@value": text, "@language": kind[1]}, None
        return key, {"@value": text}, None

    def _rule(self, p: str, kind: tuple[bool, str | None, str | None]) -> tuple[str, str, str | None]:
        """Choose (key, form, language-map language) for objects of one kind under ``p``.

        The form is text (a plain JSON string), iri or vocab (a compacted IRI string), id
        (``{"@id"}``), typed (``{"@value", "@type"}``) or value (``{"@value"}``, with
        ``@language`` for a tagged literal).
        """
        candidates = self.props.get(p, ())
        is_iri, language, datatype = kind
        if is_iri:
            for term, spec in candidates:
                if spec.get("@type") == "@id":
                    return term, "iri", None
                if spec.get("@type") == "@vocab":
                    return term, "vocab", None
            return self.iri(p), "id", None
        if language:
            for term, spec in candidates:
                if spec.get("@container") == "@language":
                    return term, "text", language
                if spec.get("@language") == language and "@type" not in spec:
                    return term, "text", None
            return self.iri(p), "value", None
        if datatype is not None and datatype != XSD_STRING:
            for term, spec in candidates:
                if spec.get("@type") == datatype:
                    return term, "text", None
            return self.iri(p), "typed", None
        for term, spec in candidates:
            plain = "@type" not in spec and spec.get("@container") in (None, "@set")
            no_language = ("@language" in spec and spec["@language"] is None) or (
                "@language" not in spec and self.default_language is None)
            if plain and no_language:
                return term, "text", None
        return self.iri(p), "value", None

    def node(self, subject: str, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """Return the node object of one subject: IRIs in ``<>``, objects as N-Triples texts."""
        types: list[str] = []
        values: dict[str, list[Any]] = {}
        maps: dict[str, dict[str, list[str]]] = {}
        entry = self.entry
        for p, o in pairs:
            if p == RDF_TYPE and o[0] == "<":
                types.append(self.vocab(o[1:-1]))
                continue
            key, value, language = entry(p[1:-1], o)
            if language is not None:
                maps.setdefault(key, {}).setdefault(language, []).append(value)
            else:
                found = values.get(key)
                if found is None:
                    values[key] = [value]
                else:
                    found.append(value)
        node: dict[str, Any] = {"@id": self._compact_iri(subject[1:-1])}  # met once: no cache
        if types:
            node["@type"] = sorted(types) if len(types) > 1 else types[0]
        for key in sorted({*values, *maps}) if maps else sorted(values):
            if key in maps and key in values:
                raise ValueError(f"{key} used both as language map and as plain values")
            if key in maps:
                node[key] = {lang: _one(sorted(v)) for lang, v in sorted(maps[key].items())}
            else:
                node[key] = _one(values[key])
        return node


def _one(values: list[Any]) -> Any:
    """One value as itself, several in a stable order (strings before objects, each sorted)."""
    if len(values) == 1:
        return values[0]
    if all(isinstance(v, str) for v in values):
        return sorted(values)
    return sorted(values, key=_sort_key)


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def compact_rows(rows: Iterable[tuple[str, str, str]], compactor: Compactor) -> list[str]:
    """Return one JSON node object per subject of sorted triples of N-Triples term texts."""
    node, dumps = compactor.node, json.dumps
    return [dumps(node(subject, [(p, o) for _, p, o in group]), ensure_ascii=False)
            for subject, group in groupby(rows, key=itemgetter(0))]


def context_text(context: dict[str, Any]) -> str:
    """The ``@context`` object of a context document as JSON text, one term a line."""
    terms = ",\n".join(f"  {json.dumps(term)}: {json.dumps(definition, ensure_ascii=False)}"
                       for term, definition in context["@context"].items())
    return f"{{\n{terms}\n}}"


def context_cut(context: dict[str, Any], names: Collection[str]) -> dict[str, Any]:
    """The context document with its keywords (``@version``...) and the entries of
    ``names`` alone. Given :func:`context_names` of a document, every entry left out is one
    a reader of it never looks up, so it expands to the same triples; a resource's answer
    then carries a few hundred bytes of context rather than the whole (9 KB on the
    project's)."""
    return {"@context": {name: definition for name, definition in context["@context"].items()
                         if name in names or name.startswith("@")}}


def context_names(context: dict[str, Any], document: Any) -> frozenset[str]:
    """The context's terms and prefixes ``document`` names: a key, any string, or the part
    of one before a colon (a compact IRI, a coerced ``@id`` or ``@type`` value), and the
    terms those entries name in turn."""
    entries = context["@context"]
    used: set[str] = set()
    pending = [document]
    while pending:  # a walk of every key and string, the entries taken in included
        value = pending.pop()
        if isinstance(value, dict):
            names: Iterable[Any] = value
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
            continue
        else:
            names = (value,)
        for name in names:
            if type(name) is not str:
                continue
            for entry in (name, name.partition(":")[0]) if ":" in name else (name,):
                if entry in entries and entry not in used:
                    used.add(entry)
                    pending.append(entries[entry])
    return frozenset(used)


def named_entries(context: dict[str, Any], strings: Iterable[str]) -> frozenset[str]:
    """The context's terms and prefixes named by ``strings`` themselves (a key or string
    of a document, or the part of one before a colon), not yet those they name in turn
    (:func:`context_names` of the entries gives the rest)."""
    entries = context["@context"]
    return frozenset(entry for name in strings
                     for entry in ((name, name.partition(":")[0]) if ":" in name else (name,))
                     if entry in entries)


def document_head(context: dict[str, Any]) -> str:
    """The JSON-LD document up to its first node: the context embedded, then ``@graph``.

    Embedded, not referenced: a reader of the downloaded file (rdflib, pyld, jsonld.js) then
    needs no document loader and no network; the context is a few kilobytes, one term a line."""
    return f'{{"@context": {context_text(context)},\n"@graph": [\n'


DOCUMENT_TAIL = "\n]}\n"
