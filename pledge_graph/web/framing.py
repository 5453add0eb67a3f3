"""A resource's JSON-LD: the resource as the top node, what it owns nested where first
linked, what links to it under ``@reverse``, compacted with the project's context, which is
embedded so that the answer reads alone: the entries it is read with, not the whole.

pyld turns the triples into node objects and compacts them, with a document loader that
serves only the given context and refuses every other document; its compaction choices are
kept (:mod:`pledge_graph.web.compaction`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import pyoxigraph as ox
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from pledge_graph.publish.jsonld import (
    context_cut,
    context_names,
    context_text,
    load_context,
    named_entries,
)
from pledge_graph.web.compaction import ContextCompaction, Unsupported, indented_json
from pledge_graph.web.memo import keep
from pledge_graph.web.node_objects import from_lines, from_triples, parse_lines

__all__ = ["FRAMED_MOST", "framed_jsonld", "framed_jsonld_at_once", "project_context"]


def project_context(settings: Any) -> dict[str, Any]:
    """The served release's context document (``{"@context": ...}``), read once a release."""
    key = (settings.digest, settings.iris.base)
    context = _CONTEXTS.get(key)
    if context is None:
        path = settings.release_dir / "context.jsonld" if settings.release_dir else None
        if path is not None and path.is_file():
            context = json.loads(path.read_text(encoding="utf-8"))
        else:
            context = load_context(settings.iris.base)
        _CONTEXTS.clear()  # one release is served at a time
        _CONTEXTS[key] = context
    return context


_CONTEXTS: dict[tuple[str, str], dict[str, Any]] = {}


FRAMED_MOST = 2000
"""Descriptions of more triples (a class on a large corpus: every instance's rdf:type) are
framed but not compacted: pyld compacts about 5,000 triples a second on this machine."""


def framed_jsonld(triples: list[ox.Triple], iri: str, context: dict[str, Any],
                  most: int = FRAMED_MOST, *, reference: bool = False) -> bytes:
    """Return the JSON-LD of a resource: ``iri`` as the top node, compacted with ``context``,
    which is embedded so that the answer reads alone, with no document loader. Past ``most``
    triples the same nesting is written in expanded form (full IRIs, no context).

    The top node holds its own properties, with the nodes described alongside it (owned
    sub-resources, blank nodes, lists) nested where first linked; what links to it follows
    under ``@reverse``, each linking node once, by its IRI or nested when described; anything
    else described goes in ``@included``. JSON-LD framing would repeat, inside every linking
    node, the link back to the top; the nesting here states each triple once. pyld turns the
    triples into node objects (lists included) and compacts them, with a document loader that
    serves only the given context and refuses every other document; its choices are kept
    (:mod:`pledge_graph.web.compaction`: the same bytes, about seven times sooner), or with
    ``reference`` not (what the tests compare the kept choices with)."""
    answer = _framed(triples, iri, context, most, reference, wait=True)
    assert answer is not None
    return answer


def framed_jsonld_at_once(lines: list[str], iri: str,
                          context: dict[str, Any]) -> bytes | None:
    """:func:`framed_jsonld`'s answer for a description read as N-Triples lines, or None
    when making it could wait (another thread holds pyld, or pyld itself is needed): on the
    event loop, the caller then writes it in a thread."""
    nodes = from_lines(lines)
    if nodes is None:
        return _framed(parse_lines(lines), iri, context, FRAMED_MOST, False, wait=False)
    return _nested(nodes, len(lines), iri, context, FRAMED_MOST, False, wait=False)


def _framed(triples: list[ox.Triple], iri: str, context: dict[str, Any], most: int,
            reference: bool, *, wait: bool) -> bytes | None:
    nodes = None if reference else from_triples(triples)
    if nodes is None:  # pyld's own, the reference the tests compare with
        nodes = {node["@id"]: node for node in jsonld.from_rdf(_dataset(triples))}
    return _nested(nodes, len(triples), iri, context, most, reference, wait=wait)


def _nested(nodes: dict[str, dict[str, Any]], size: int, iri: str, context: dict[str, Any],
            most: int, reference: bool, *, wait: bool) -> bytes | None:
    """The node objects of a description of ``size`` triples nested under ``iri`` and
    compacted (past ``most`` triples, expanded)."""
    top = nodes.pop(iri, {"@id": iri})
    reverse: dict[str, list[dict[str, Any]]] = {}
    for node_id, node in nodes.items():
        for prop in [k for k in node if not k.startswith("@")]:
            kept = [v for v in node[prop] if v.get("@id") != iri]
            if len(kept) < len(node[prop]):
                reverse.setdefault(prop, []).append({"@id": node_id})
                if kept:
                    node[prop] = kept
                else:
                    del node[prop]
    nest = _Nesting(nodes, top, reverse)
    tree = nest.node(top)
    if reverse:
        tree["@reverse"] = {prop: [nest.value(v, linking=True) for v in sorted(values, key=_by_id)]
                            for prop, values in sorted(reverse.items())}
    included = [nest.node(node) for node_id, node in sorted(nodes.items())
                if node_id not in nest.placed and len(node) > 1]
    if included:
        tree["@included"] = included
    if size > most:
        return _answer_text(tree, None, reference)
    local = _local(context)
    if not _PYLD.acquire(blocking=wait):  # pyld's caches are shared, not made for threads
        return None
    try:
        try:
            if reference:
                raise Unsupported("pyld asked for")
            compacted = local.compaction().compact(tree)
        except Unsupported:  # pyld itself, for what the kept choices do not mirror
            if not wait:
                return None
            compacted = jsonld.compact(tree, local.name, {"documentLoader": local.load,
                                                          "skipExpansion": True})
    finally:
        _PYLD.release()
    return _answer_text(compacted, local, reference)


def _dataset(triples: list[ox.Triple]) -> dict[str, list[dict[str, Any]]]:
    """The triples as pyld's RDF dataset (its from_rdf input), in the default graph."""
    return {"@default": [{"subject": _term(t.subject), "predicate": _term(t.predicate),
                          "object": _term(t.object)} for t in triples]}


def _term(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "IRI", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "blank node", "value": f"_:{term.value}"}
    if term.language:
        return {"type": "literal", "value": term.value, "language": term.language}
    return {"type": "literal", "value": term.value, "datatype": term.datatype.value}


def _by_id(value: dict[str, Any]) -> str:
    return str(value.get("@id", ""))


def _text(value: dict[str, Any]) -> str:
    """A stable order of values, whatever order the store gives the triples in."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class _Nesting:
    """Places each described node once: a node linking to the top under ``@reverse``, any
    other inside the first value that links to it."""

    def __init__(self, nodes: dict[str, dict[str, Any]], top: dict[str, Any],
                 reverse: dict[str, list[dict[str, Any]]]) -> None:
        self.nodes = nodes
        self.placed = {top["@id"]}
        self.linking = {value["@id"] for values in reverse.values() for value in values}
        self.uses: dict[str, int] = {}
        for values in (*reverse.values(), *(v for node in (top, *nodes.values())
                                            for k, v in node.items() if not k.startswith("@"))):
            self._count(values)

    def _count(self, values: list[dict[str, Any]]) -> None:
        for value in values:
            if "@list" in value:
                self._count(value["@list"])
            elif "@id" in value:
                self.uses[value["@id"]] = self.uses.get(value["@id"], 0) + 1

    def node(self, node: dict[str, Any]) -> dict[str, Any]:
        """The node with its values nested; a blank node used once loses its label."""
        self.placed.add(node["@id"])
        out = {k: v for k, v in node.items()
               if k != "@id" or not (v.startswith("_:") and self.uses.get(v, 0) <= 1)}
        if "@type" in node:
            out["@type"] = sorted(node["@type"])
        for prop in sorted(k for k in node if not k.startswith("@")):
            values = node[prop]
            out[prop] = [self.value(v) for v in
                         (sorted(values, key=_text) if len(values) > 1 else values)]
        return out

    def value(self, value: dict[str, Any], linking: bool = False) -> dict[str, Any]:
        """A value as given, a list with its items nested, or a described node in place
        (a node linking to the top only where ``linking``, in the ``@reverse`` block)."""
        if "@list" in value:
            return {"@list": [self.value(item) for item in value["@list"]]}
        ref = value.get("@id")
        node = self.nodes.get(ref) if ref is not None else None
        if node is None or ref in self.placed or len(node) == 1 or (
                ref in self.linking and not linking):
            return value
        return self.node(node)


class _LocalContext:
    """The context handed to pyld by a document loader under a name made from its text, so
    pyld processes it once and keeps it (its cache is keyed by the name); the loader gives
    this one document and refuses any other: nothing is ever fetched."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context
        self.text = context_text(context)
        self.name = "urn:sha256:" + hashlib.sha256(self.text.encode()).hexdigest()
        self._compaction: ContextCompaction | None = None
        self._texts: dict[frozenset[str], str] = {}
        self._named: dict[frozenset[str], str] = {}

    def text_for(self, document: dict[str, Any]) -> str:
        """The context as ``document`` embeds it: the entries it is read with
        (:func:`context_cut`), one term a line; kept for each set of entries, as resources of
        one kind name the same terms."""
        return self._text(context_names(self.context, document))

    def text_named(self, strings: set[str]) -> str:
        """:meth:`text_for` a document whose keys and strings are ``strings`` (gathered as
        it was written): kept for the entries they name themselves, the rest read from
        those entries once."""
        named = named_entries(self.context, strings)
        found = self._named.get(named)
        if found is None:
            entries = self.context["@context"]
            names = named | context_names(self.context, [entries[name] for name in named])
            found = keep(self._named, named, self._text(names))
        return found

    def _text(self, names: frozenset[str]) -> str:
        found = self._texts.get(names)
        if found is None:
            found = keep(self._texts, names, context_text(context_cut(self.context, names)))
        return found

    def compaction(self) -> ContextCompaction:
        """pyld's compaction with this context, its choices kept (made once)."""
        if self._compaction is None:
            options = {"base": "", "compactArrays": True, "graph": False, "skipExpansion": True,
                       "activeCtx": False, "documentLoader": self.load, "link": False,
                       "contextResolver": ContextResolver({}, self.load),
                       "extractAllScripts": False, "processingMode": "json-ld-1.1"}
            processor = jsonld.JsonLdProcessor()
            active = processor.process_context(processor._get_initial_context(options),
                                               self.name, options)
            self._compaction = ContextCompaction(active, options)
        return self._compaction

    def load(self, url: str, options: Any = None) -> dict[str, Any]:
        if url != self.name:
            raise jsonld.JsonLdError(f"remote document refused: {url}", "jsonld.LoadDocumentError",
                                     {"url": url}, code="loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": self.context, "tag": "static"}


_LOCAL: list[_LocalContext] = []
_PYLD = threading.Lock()


def _local(context: dict[str, Any]) -> _LocalContext:
    """The local context of ``context``, made once (one release, one context, is served)."""
    if not _LOCAL or _LOCAL[-1].context is not context:
        _LOCAL[:] = [_LocalContext(context)]
    return _LOCAL[-1]


def _answer_text(node: dict[str, Any], local: _LocalContext | None,
                 reference: bool = False) -> bytes:
    """The node as indented JSON: the context (one term a line) if any, ``@id``, ``@type``,
    the properties by name, then ``@reverse`` and ``@included``; written by
    :func:`~pledge_graph.web.compaction.indented_json` (``json.dumps`` with ``reference``:
    the same text), which gathers the strings the context's entries are chosen by."""
    head = [k for k in ("@id", "@type") if k in node]
    tail = [k for k in ("@reverse", "@included") if k in node]
    order = head + sorted(k for k in node if k not in {*head, *tail, "@context"}) + tail
    ordered = {k: node[k] for k in order}
    strings: set[str] = set()
    if reference:
        body = json.dumps(ordered, indent=2, ensure_ascii=False)
    else:
        body = indented_json(ordered, strings)
    if local is None:
        return f"{body}\n".encode()
    if reference or "@context" in node:  # pyld's answer names its context: walked whole
        context_json = local.text_for(node)
    else:
        context_json = local.text_named(strings)
    return f'{{"@context": {context_json},\n{body[2:]}\n'.encode()
