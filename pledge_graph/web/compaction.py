"""JSON-LD compaction of a resource's node tree with the project's context, at the speed of
a dictionary lookup, giving the very bytes pyld gives.

A resource's JSON-LD (:func:`pledge_graph.web.framing.framed_jsonld`) is its nested node
tree compacted with the project's context. pyld's compaction spends nearly all its time
choosing, again for every value, the term or compact IRI of each property (its inverse
context walk and its loop over every term for a prefix): about 5,000 triples a second. Those
choices depend on the property and on the *shape* of the value (a language, a datatype, a
node, a list of such), not on the value itself, so here pyld makes each choice once, through
its own functions on the same processed context, and the answer is kept; only the parts
that do depend on the value are done per value: the ``@value`` put into the form pyld chose,
and the compact IRI of an ``@id`` (prefix:suffix, chosen as pyld chooses it).

The walk over the tree mirrors pyld's compaction for what framing gives (node objects with
``@id``, ``@type``, properties, ``@list``, ``@reverse`` and ``@included``, values and node
references); a context with what the walk does not mirror (scoped contexts, reverse terms,
``@set``, ``@list``, ``@index`` or other containers than ``@language``, ``@nest``, keyword
aliases, ``@vocab``, ``@base``, compact-IRI terms) or a tree with anything else raises
:class:`Unsupported`, and pyld compacts it as before. pyld stays the reference: the tests
compare the two, byte for byte, on every resource of the bundled release and of a generated
corpus.

Measured against pyld 3.3 (``python bench/run.py site``, ``bench/export_site.py``: the
JSON-LD of an evenly spaced sample of 2,009 resources of the generated 10k-pledge release,
in CPU time, median of 3, load average 4 to 6 on the shared 2-CPU machine): 0.20 ms a
resource with the kept choices, 1.35 ms with pyld's compaction (7x), the same bytes; on every
third resource of that release (32,810, under load 8) the same bytes for all, none left to
pyld. pyld stays: it processes the context (the kept choices are its own, made on its
processed context), it turns the triples into node objects, it compacts whatever this walk
does not mirror, and it is the reference the tests hold the bytes to.
"""

from __future__ import annotations

import json
from typing import Any

from pyld import jsonld

from pledge_graph.web.memo import keep

__all__ = ["ContextCompaction", "Unsupported", "indented_json"]

_VALUE = "\x00value"
_IRI = "urn:x-pledge-graph:compaction-placeholder"


class Unsupported(Exception):
    """The tree or the context holds something this compaction does not mirror."""


class ContextCompaction:
    """pyld's compaction of framed node trees under one processed context, its choices kept."""

    def __init__(self, active_ctx: dict[str, Any], options: dict[str, Any]) -> None:
        self.proc = jsonld.JsonLdProcessor()
        self.ctx = active_ctx
        self.options = options
        mappings: dict[str, Any] = active_ctx["mappings"]
        self.supported = "@vocab" not in active_ctx and "@base" not in active_ctx and all(
            ":" not in term and not term.startswith("@") and definition is not None
            and not definition.get("reverse") and "@context" not in definition
            and "@nest" not in definition and "@index" not in definition
            and set(definition.get("@container") or ()) <= {"@language"}
            and not jsonld._is_keyword(definition.get("@id"))
            for term, definition in mappings.items())
        self.prefixes = [(definition["@id"], term) for term, definition in mappings.items()
                         if definition and definition.get("@id") and definition.get("_prefix")]
        self.term_ids = {definition["@id"] for definition in mappings.values()
                         if definition and definition.get("@id")}
        self.terms = set(mappings)
        self.containers = {term: set(definition.get("@container") or ())
                           for term, definition in mappings.items() if definition}
        self.types = {term: definition.get("@type") for term, definition in mappings.items()
                      if definition}
        self._keys: dict[tuple[Any, ...], str] = {}
        self._values: dict[tuple[Any, ...], Any] = {}
        self._vocab: dict[str, str] = {}
        self._ids: dict[str, str] = {}

    def compact(self, tree: dict[str, Any]) -> dict[str, Any]:
        """The compacted top node, as ``jsonld.compact(tree, context, skipExpansion)``
        gives it, without its ``@context``; raises :class:`Unsupported` when not mirrored."""
        if not self.supported:
            raise Unsupported("the context")
        return self._node(tree, reverse=False)

    def _node(self, node: dict[str, Any], reverse: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in sorted(node):
            values = node[key]
            if key == "@id":
                if reverse:
                    raise Unsupported("@id in @reverse")
                out["@id"] = self._id(values)
            elif key == "@type":
                if reverse or not values:
                    raise Unsupported("@type")
                types = [self._vocab_iri(t) for t in values]
                out["@type"] = types[0] if len(types) == 1 else types
            elif key == "@reverse":
                if reverse:
                    raise Unsupported("nested @reverse")
                block = self._node(values, reverse=True)
                if block:
                    out["@reverse"] = block
            elif key == "@included" or not key.startswith("@"):
                if not isinstance(values, list) or not values:
                    raise Unsupported(key)
                for value in values:
                    self._add(out, key, value, reverse)
            else:
                raise Unsupported(key)
        return out

    def _add(self, out: dict[str, Any], prop: str, value: Any, reverse: bool) -> None:
        """Add one expanded value of ``prop`` as pyld does (its term, its container)."""
        key = self._key(prop, value, reverse)
        if "@list" in value:
            if len(value) != 1:
                raise Unsupported("@list with more")
            compacted: Any = {"@list": [self._item(key, item) for item in value["@list"]]}
        else:
            compacted = self._item(key, value)
        container = self.containers.get(key, set())
        if "@language" in container:
            if "@list" in value:
                raise Unsupported("a list in a language map")
            if isinstance(compacted, dict) and "@value" in compacted:
                compacted = compacted["@value"]
            _add_value(out.setdefault(key, {}), value.get("@language") or "@none", compacted)
        else:
            _add_value(out, key, compacted)

    def _item(self, key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            raise Unsupported("not an object")
        if "@value" in value:
            return self._value(key, value)
        if "@list" in value:
            raise Unsupported("a list in a list")
        if set(value) == {"@id"}:
            return self._reference(key, value["@id"])
        if "@id" in value and not isinstance(value["@id"], str):
            raise Unsupported("@id")
        return self._node(value, reverse=False)

    def _key(self, prop: str, value: Any, reverse: bool) -> str:
        """The term or compact IRI of ``prop`` for a value of this shape (pyld's choice)."""
        shape = (prop, reverse, self._shape(value))
        key = self._keys.get(shape)
        if key is None:
            key = self._keys[shape] = self.proc._compact_iri(self.ctx, prop, value, vocab=True,
                                                             reverse=reverse)
            if key.startswith("@") and key != prop:
                raise Unsupported("keyword alias")
        return key

    def _shape(self, value: Any) -> tuple[Any, ...]:
        """What pyld's term selection reads of a value: its keys and its language or
        datatype; of a node, whether it has an @id and whether that @id is a term's; of
        a list, its items'."""
        if not isinstance(value, dict):
            raise Unsupported("not an object")
        if "@value" in value:
            if not isinstance(value["@value"], str):
                raise Unsupported("a native value")
            return ("value", *sorted((k, v) for k, v in value.items() if k != "@value"))
        if "@list" in value:
            return ("list", *(self._shape(item) for item in value["@list"]))
        node_id = value.get("@id")
        return ("node", "@id" in value, node_id if node_id in self.term_ids else None,
                "@index" in value, "@graph" in value, "@preserve" in value)

    def _value(self, key: str, value: dict[str, Any]) -> Any:
        """A value object in the form pyld gives it under ``key``, its ``@value`` put in."""
        shape = (key, self._shape(value))
        form = self._values.get(shape)
        if form is None:
            form = self._values[shape] = self.proc._compact_value(
                self.ctx, key, {**value, "@value": _VALUE}, self.options)
        if form == _VALUE:
            return value["@value"]
        if not isinstance(form, dict):
            raise Unsupported("a value form")
        return {k: value["@value"] if v == _VALUE else v for k, v in form.items()}

    def _reference(self, key: str, iri: str) -> Any:
        """A node reference under ``key``: its compact IRI, alone or as ``{"@id"}``."""
        form = self._values.get((key, "@id"))
        if form is None:
            form = self._values[(key, "@id")] = self.proc._compact_value(
                self.ctx, key, {"@id": _IRI}, self.options)
        compacted = self._vocab_iri(iri) if self.types.get(key) == "@vocab" else self._id(iri)
        if form == _IRI:
            return compacted
        if not isinstance(form, dict) or list(form.values()) != [_IRI]:
            raise Unsupported("a reference form")
        return {next(iter(form)): compacted}

    def _vocab_iri(self, iri: str) -> str:
        found = self._vocab.get(iri)
        if found is None:
            found = keep(self._vocab, iri, self.proc._compact_iri(self.ctx, iri, vocab=True))
        return found

    def _id(self, iri: str) -> str:
        """A node's IRI as pyld compacts an @id (no vocabulary, no base): the shortest
        prefix:suffix of a prefix term, the first in order among equals, or the IRI."""
        if not isinstance(iri, str):
            raise Unsupported("@id")
        found = self._ids.get(iri)
        if found is not None:
            return found
        candidate = None
        for namespace, term in self.prefixes:
            if namespace != iri and iri.startswith(namespace):
                curie = f"{term}:{iri[len(namespace):]}"
                if curie not in self.terms and (
                        candidate is None or (len(curie), curie) < (len(candidate), candidate)):
                    candidate = curie
        if candidate is None:
            if any(iri.startswith(term + ":") for _, term in self.prefixes):
                raise Unsupported("an IRI read as a compact IRI")
            candidate = iri
        keep(self._ids, iri, candidate)
        return candidate


def _add_value(out: dict[str, Any], key: str, value: Any) -> None:
    """pyld's ``add_value`` with its defaults: one value alone, more as an array."""
    if key not in out:
        out[key] = value
    elif isinstance(out[key], list):
        out[key].append(value)
    else:
        out[key] = [out[key], value]


_STRING = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C one


def indented_json(value: Any, strings: set[str] | None = None) -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=False)`` writes it: the same
    text in less time (``json`` indents in Python, one generator per level). ``strings``
    gets every key and string written (what a document names: the context entries it needs
    are read from them, with no second walk of the document)."""
    parts: list[str] = []
    _indented(value, "\n", parts, set() if strings is None else strings)
    return "".join(parts)


def _indented(value: Any, newline: str, parts: list[str], strings: set[str]) -> None:
    """Append ``value`` as JSON, ``newline`` the line break and indentation it is at."""
    if isinstance(value, str):
        strings.add(value)
        parts.append(_STRING(value))
        return
    if not isinstance(value, (dict, list)):
        parts.append(json.dumps(value))
        return
    is_object = isinstance(value, dict)
    if not value:
        parts.append("{}" if is_object else "[]")
        return
    inner = newline + "  "
    separator = "{" if is_object else "["
    pairs = value.items() if isinstance(value, dict) else (("", item) for item in value)
    for key, item in pairs:
        if not isinstance(key, str):
            raise TypeError("keys are strings")
        if is_object:
            strings.add(key)
            parts.append(f"{separator}{inner}{_STRING(key)}: ")
        else:
            parts.append(separator + inner)
        _indented(item, inner, parts, strings)
        separator = ","
    parts.append(newline + ("}" if is_object else "]"))
