"""Dereferencing: every IRI minted under the base answers here, negotiated.

Policy: a resource IRI answers 200 with a description of the thing (HTML for browsers, RDF
by Accept or ``?format=``), with ``Content-Location`` naming the variant and ``Vary:
Accept``; there are no 303 redirects. The IRIs denote the things; serving their
description at the same URL is the common practice the slash namespace allows, and it
saves clients a round trip. RDF answers keep the published IRIs (``<base>...``); HTML pages
link to this server's paths so browsing stays local.

Also here: the read-only Graph Store Protocol at ``/store``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Hashable
from typing import Any
from weakref import WeakKeyDictionary

import pyoxigraph as ox
from pyld import jsonld
from pyld.context_resolver import ContextResolver
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pledge_graph.publish.jsonld import context_text, load_context
from pledge_graph.rdf.vocab import VOID, prefixes
from pledge_graph.sparql.results import N_TRIPLES, write_lines, write_triples
from pledge_graph.store.lookup import labels_in, owned_parts
from pledge_graph.web import evidence, ontology_docs, pages
from pledge_graph.web.cache import mark_cacheable
from pledge_graph.web.compaction import ContextCompaction, Unsupported, indented_json
from pledge_graph.web.http import alternates, error, etag, for_client, validated
from pledge_graph.web.negotiation import FORMATS, Format, negotiate

__all__ = [
    "FRAMED_MOST",
    "RDF_FORMATS",
    "RESOURCE_KINDS",
    "cache_key",
    "describe",
    "framed_jsonld",
    "framed_jsonld_at_once",
    "graph_store",
    "html_page",
    "linked_names",
    "project_context",
    "resource",
    "serialise_graph",
]

RDF_FORMATS = [f for f in FORMATS if "graph" in f.kinds]
RESOURCE_KINDS = ("page", "graph")
"""What a resource IRI answers with, in the server's order of preference."""
_NAMED_LINKS = 2000  # labels looked up for one page at most
_LABELS_KEPT = 100_000
_AT_ONCE = 256  # triples a description answered on the event loop may read
_kept_labels: WeakKeyDictionary[Any, dict[str, str | None]] = WeakKeyDictionary()


async def resource(request: Request) -> Response:
    """Answer a resource IRI (any path under the base) with its description."""
    settings = request.app.state.settings
    path = request.path_params["path"]
    fmt = negotiate(request.headers.get("accept"), RESOURCE_KINDS,
                    request.query_params.get("format"))
    iri = settings.iris.base + path
    local = "/" + path
    headers = {"Vary": "Accept", "Content-Location": f"{local}?format={fmt.key}"}
    if fmt.key == "html":
        headers["Link"] = alternates(local, RDF_FORMATS)
    tag = etag(settings.digest, iri, fmt.key)
    key = cache_key(settings, request.scope["path"], fmt)
    kept = settings.cache.get(key)
    if kept is not None:  # a conditional request for an answer already made
        return validated(request, kept.body, fmt.media_type, tag, settings.built, headers)
    # a small description in RDF is read and written at once, on the loop (a bounded step:
    # at most _AT_ONCE triples, JSON-LD by the kept compaction choices only); a page or a
    # larger description in a thread
    lines = describe_lines(settings, iri, _AT_ONCE) if fmt.key != "html" else None
    body = serialise_lines(lines, fmt, settings, iri) if lines else None
    if lines is None or (lines and body is None):
        body = await run_in_threadpool(_described, request, iri, fmt)
    if body is None:
        return error(404, f"404 Not Found: the graph says nothing about <{iri}>")
    mark_cacheable(request.scope, key)
    return validated(request, body, fmt.media_type, tag, settings.built, headers)


def _described(request: Request, iri: str, fmt: Format) -> bytes | None:
    """The description of ``iri`` written in ``fmt`` (None when the graph has none): one
    step in one thread, from the pattern reads to the bytes."""
    settings = request.app.state.settings
    triples = describe(settings, iri) or []
    if not triples:
        return None
    if fmt.key == "html":
        return html_page(request, iri, triples)
    return serialise_graph(triples, fmt, settings, iri)


def cache_key(settings: Any, path: str, fmt: Format) -> Hashable:
    """The key a resource's answer in one format is kept under: release, path, format."""
    return (settings.digest, "resource", path, fmt.key)


async def graph_store(request: Request) -> Response:
    """Read-only Graph Store Protocol: GET ``?graph=IRI`` or ``?default``; writes get 405."""
    settings = request.app.state.settings
    if request.method not in ("GET", "HEAD"):
        return error(405, f"405 Method Not Allowed: the graph store is read-only; "
                     f"{request.method} is refused", {"Allow": "GET, HEAD"})
    params = request.query_params
    graphs = params.getlist("graph")
    if ("default" in params) == bool(graphs) or len(graphs) > 1:
        return error(400, "400 Bad Request: name one graph: ?graph=IRI or ?default")
    fmt = negotiate(request.headers.get("accept"), ("graph",), params.get("format"))
    name = graphs[0] if graphs else None
    answer = await for_client(request, settings.store.graph, name, fmt.media_type)
    if answer is None:
        return error(404, f"404 Not Found: no graph <{name}> in this store")
    tag = etag(settings.digest, "graph", name or "", fmt.key)
    return validated(request, answer.body, fmt.media_type, tag, settings.built,
                     {"Vary": "Accept"})


def describe(settings: Any, iri: str, budget: int | None = None) -> list[ox.Triple] | None:
    """Return the triples describing ``iri`` (empty when unknown), with void:inDataset; with
    a ``budget``, None unless the store reads them at once within it."""
    lines = describe_lines(settings, iri, budget)
    return None if lines is None else parse_lines(lines)


def describe_lines(settings: Any, iri: str, budget: int | None = None) -> list[str] | None:
    """The triples of :func:`describe` as N-Triples lines, as the store reads them."""
    lines = settings.store.description_lines(iri, budget)
    if lines:
        link = f"<{iri}> <{VOID.inDataset}> <{settings.iris.dataset()}> .\n"
        if link not in lines:
            lines.append(link)
    return lines


def parse_lines(lines: list[str]) -> list[ox.Triple]:
    """N-Triples lines as triples."""
    return [q.triple for q in ox.parse("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)]


def serialise_lines(lines: list[str], fmt: Format, settings: Any, iri: str) -> bytes | None:
    """A description of ``iri`` read as N-Triples lines, written at once: N-Triples as read
    (the store's own writing), Turtle with the prefixes its IRIs use, JSON-LD when
    :func:`framed_jsonld` can write it without waiting (else None)."""
    if fmt.media_type == N_TRIPLES:
        return "".join(lines).encode()
    if fmt.media_type == "application/ld+json":
        return framed_jsonld_at_once(parse_lines(lines), iri, project_context(settings))
    return write_lines(lines, fmt.media_type, prefixes(settings.iris))


def html_page(request: Request, iri: str, triples: list[ox.Triple]) -> bytes:
    """A resource's page: a pledge's with its evidence, an ontology's or a term's
    documentation, any other resource's description."""
    settings = request.app.state.settings
    names = linked_names(settings, iri, triples)
    ontology = str(settings.iris.ontology)
    if evidence.is_pledge(triples, iri, ontology):
        facts = evidence.fetch_facts(settings.store, iri, ontology)
        names.update(settings.store.labels(sorted({i for f in facts
                                                   for i in (f.status, *f.kinds)})))
        issued = evidence.pledge_date(settings.store, iri)
        view = pages.view_terms(settings, names)
        return pages.resource_page(request, iri, triples, names, "pledge.html",
                                   **evidence.pledge_view(iri, triples, facts, issued,
                                                          settings, view))
    if iri == settings.iris.base + "ontology" or iri.startswith(ontology):
        docs = ontology_docs.documentation(settings)
        whole = iri in (docs.iri, ontology)  # the ontology, or its namespace (void:vocabulary)
        if whole or docs.term(iri) is not None:
            names.update(settings.store.labels(docs.examples()))
            if whole:
                return pages.ontology_page(request, docs, names)
            return pages.term_page(request, iri, triples, names, docs)
    return pages.resource_page(request, iri, triples, names)


def linked_names(settings: Any, iri: str, triples: list[ox.Triple]) -> dict[str, str]:
    """Return labels for the resources a page links to, so it shows names, not IRIs.

    Pages link to the same few hundred resources again and again (groups, countries,
    classes), and the release does not change while it is served: each IRI's label, or
    its lack of one, is looked up once and kept (up to :data:`_LABELS_KEPT` IRIs)."""
    linked = sorted({term.value for t in triples for term in (t.subject, t.object)
                     if isinstance(term, ox.NamedNode) and term.value != iri})[:_NAMED_LINKS]
    # the description holds every triple of the parts it owns (``iri/...`` linked with it)
    owned = {part.value for part in owned_parts(iri, triples)}
    found = labels_in(triples, owned)
    kept = _kept_labels.setdefault(settings.store, {})
    missing = [name for name in linked if name not in kept and name not in owned]
    if missing:
        found.update(settings.store.labels(missing))
    names = {name: label for name in linked
             if (label := found[name] if name in found else kept.get(name))}
    if len(kept) + len(missing) > _LABELS_KEPT:
        kept.clear()
    kept.update((name, found.get(name)) for name in missing)
    return names


def serialise_graph(triples: list[ox.Triple], fmt: Format, settings: Any,
                    iri: str | None = None) -> bytes:
    """Serialise triples in an RDF format, Turtle with the project's prefixes.

    JSON-LD describing ``iri`` is that resource as the top node, compacted with the project's
    context (see :func:`framed_jsonld`). Literals keep their exact lexical form in every
    format (pyld keeps them as written; rdflib's compaction rewrites some, e.g. ``Z`` as
    ``+00:00`` in dateTimes), so every format carries the very same triples."""
    if iri is not None and fmt.media_type == "application/ld+json":
        return framed_jsonld(triples, iri, project_context(settings))
    return write_triples(triples, fmt.media_type, prefixes(settings.iris))


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


def framed_jsonld_at_once(triples: list[ox.Triple], iri: str,
                          context: dict[str, Any]) -> bytes | None:
    """:func:`framed_jsonld`'s answer, or None when making it could wait (another thread
    holds pyld, or pyld itself is needed): on the event loop, the caller then writes it in
    a thread."""
    return _framed(triples, iri, context, FRAMED_MOST, False, wait=False)


def _framed(triples: list[ox.Triple], iri: str, context: dict[str, Any], most: int,
            reference: bool, *, wait: bool) -> bytes | None:
    nodes = {node["@id"]: node for node in jsonld.from_rdf(_dataset(triples))}
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
    if len(triples) > most:
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
    return _answer_text(compacted, local.text, reference)


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


def _answer_text(node: dict[str, Any], context_json: str | None,
                 reference: bool = False) -> bytes:
    """The node as indented JSON: the context (one term a line) if any, ``@id``, ``@type``,
    the properties by name, then ``@reverse`` and ``@included``; written by
    :func:`~pledge_graph.web.compaction.indented_json` (``json.dumps`` with ``reference``:
    the same text)."""
    head = [k for k in ("@id", "@type") if k in node]
    tail = [k for k in ("@reverse", "@included") if k in node]
    order = head + sorted(k for k in node if k not in {*head, *tail, "@context"}) + tail
    ordered = {k: node[k] for k in order}
    if reference:
        body = json.dumps(ordered, indent=2, ensure_ascii=False)
    else:
        body = indented_json(ordered)
    if context_json is None:
        return f"{body}\n".encode()
    return f'{{"@context": {context_json},\n{body[2:]}\n'.encode()

