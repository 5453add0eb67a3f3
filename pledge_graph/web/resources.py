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

from collections.abc import Hashable
from typing import Any
from weakref import WeakKeyDictionary

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pledge_graph.rdf.vocab import PROV, RDF, VOID, moved_part, prefixes
from pledge_graph.sparql.results import N_TRIPLES, write_lines, write_triples
from pledge_graph.store.lookup import labels_in, owned_parts
from pledge_graph.web import evidence, ontology_docs, pages, pledge_page
from pledge_graph.web.cache import mark_cacheable
from pledge_graph.web.framing import framed_jsonld, framed_jsonld_at_once, project_context
from pledge_graph.web.http import (
    alternates,
    error,
    etag,
    query_for_client,
    validated,
)
from pledge_graph.web.memo import keep_all
from pledge_graph.web.negotiation import FORMATS, Format, negotiate
from pledge_graph.web.node_objects import parse_lines
from pledge_graph.web.page_terms import Row, iri_value, is_iri, split_lines, view_terms

__all__ = [
    "RDF_FORMATS",
    "RESOURCE_KINDS",
    "cache_key",
    "describe",
    "graph_store",
    "html_page",
    "linked_names",
    "made_answer",
    "ontology_page_iri",
    "resource",
    "serialise_graph",
]

RDF_FORMATS = [f for f in FORMATS if "graph" in f.kinds]
RESOURCE_KINDS = ("page", "graph")
"""What a resource IRI answers with, in the server's order of preference."""
_NAMED_LINKS = 2000  # labels looked up for one page at most
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
    # written once for the release (web/prepared.py), once that is done
    body = (settings.prepared.answer(iri, fmt.key) if settings.prepared is not None
            else None)
    if body is None:
        body, later = _at_once(request, iri, fmt)
        if later:
            body = await run_in_threadpool(_described, request, iri, fmt)
    if body is None:
        return await _moved(request, iri) or error(
            404, f"404 Not Found: the graph says nothing about <{iri}>")
    mark_cacheable(request.scope, key)
    return validated(request, body, fmt.media_type, tag, settings.built, headers)


async def _moved(request: Request, iri: str) -> Response | None:
    """301 to the hash IRI that replaced ``iri`` (a fact's part minted with a slash, see
    :func:`~pledge_graph.rdf.vocab.moved_part`) when the graph describes it, else None.
    The query string is kept: ``?format=`` still chooses the format."""
    settings = request.app.state.settings
    moved = moved_part(iri)
    if moved is None:
        return None
    lines = settings.store.description_lines(moved, _AT_ONCE)
    if lines is None:  # not read at once (a remote store): in a thread
        lines = await run_in_threadpool(settings.store.description_lines, moved)
    if not lines:
        return None
    document, _, part = moved[len(settings.iris.base):].rpartition("#")
    query = request.url.query
    location = f"/{document}{'?' + query if query else ''}#{part}"
    return error(301, f"301 Moved Permanently: <{iri}> is now <{moved}>, "
                      f"part of its fact's description", headers={"Location": location})


def _page_at_once(settings: Any, iri: str) -> bool:
    """Whether the page of ``iri`` is made from pattern reads only: the store reads its
    own index (a remote one is asked queries), and it is no ontology page (whose examples
    are found by a query). A page in a thread would wait for the interpreter's lock
    behind the event loop: one front made 201 pledge pages a second so, 549 on the loop."""
    return (getattr(settings.store, "reader", None) is not None
            and not ontology_page_iri(settings, iri))


def ontology_page_iri(settings: Any, iri: str) -> bool:
    """Whether ``iri`` is the ontology or under its namespace: its page may be written from
    the ontology's documentation (:mod:`.ontology_docs`) rather than its description."""
    ontology = str(settings.iris.ontology)
    return iri == settings.iris.base + "ontology" or iri.startswith(ontology)


def _at_once(request: Request, iri: str, fmt: Format) -> tuple[bytes | None, bool]:
    """(the answer, None for 404; whether it is to be made in a thread instead).

    A small description is read and written at once, on the loop (a bounded step: at most
    _AT_ONCE triples, JSON-LD by the kept compaction choices only, a page of pattern reads
    only); a larger one, or a page that may need a query, in a thread."""
    settings = request.app.state.settings
    if fmt.key == "html" and not _page_at_once(settings, iri):
        return None, True
    lines = describe_lines(settings, iri, _AT_ONCE)
    if not lines:
        return None, lines is None
    body = html_page(request, iri, lines) if fmt.key == "html" else \
        serialise_lines(lines, fmt, settings, iri)
    return body, body is None


def made_answer(request: Request, iri: str, fmt: Format) -> bytes | None:
    """The body :func:`resource` answers for ``iri`` in ``fmt`` when it makes it (None for
    404), all in this thread: what the prepared descriptions hold."""
    body, later = _at_once(request, iri, fmt)
    return _described(request, iri, fmt) if later else body


def _described(request: Request, iri: str, fmt: Format) -> bytes | None:
    """The description of ``iri`` written in ``fmt`` (None when the graph has none): one
    step in one thread, from the pattern reads to the bytes."""
    settings = request.app.state.settings
    if fmt.key == "html":
        lines = describe_lines(settings, iri)
        return html_page(request, iri, lines) if lines else None
    triples = describe(settings, iri) or []
    if not triples:
        return None
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
    answer = await query_for_client(request, settings.store.graph, name, fmt.media_type)
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


def serialise_lines(lines: list[str], fmt: Format, settings: Any, iri: str) -> bytes | None:
    """A description of ``iri`` read as N-Triples lines, written at once: N-Triples as read
    (the store's own writing), Turtle with the prefixes its IRIs use, JSON-LD when
    :func:`framed_jsonld` can write it without waiting (else None)."""
    if fmt.media_type == N_TRIPLES:
        return "".join(lines).encode()
    if fmt.media_type == "application/ld+json":
        return framed_jsonld_at_once(lines, iri, project_context(settings))
    return write_lines(lines, fmt.media_type, prefixes(settings.iris))


def html_page(request: Request, iri: str, lines: list[str]) -> bytes:
    """A resource's page, from its description's N-Triples lines: a pledge's with its
    evidence, an ontology's or a term's documentation, any other resource's description."""
    settings = request.app.state.settings
    rows = split_lines(lines)
    names = linked_names(settings, iri, rows)
    ontology, node = str(settings.iris.ontology), f"<{iri}>"
    if f"{node} <{RDF.type}> <{ontology}Pledge> .\n" in lines:
        facts = evidence.fetch_facts(settings.store, iri, ontology)
        names.update(kept_labels(settings, sorted({i for f in facts
                                                   for i in (f.status, *f.kinds)})))
        source = f"<{PROV.hadPrimarySource}>"
        issued = evidence.pledge_date(settings.store, iri, [o for s, p, o in rows
                                                            if p == source and s == node])
        view = view_terms(settings, names)
        return pages.resource_page(request, iri, rows, names, "pledge.html", tables=False,
                                   **pledge_page.pledge_view(iri, rows, facts, issued,
                                                             settings, view))
    if ontology_page_iri(settings, iri):
        docs = ontology_docs.documentation(settings)
        whole = iri in (docs.iri, ontology)  # the ontology, or its namespace (void:vocabulary)
        if whole or docs.term(iri) is not None:
            names.update(settings.store.labels(docs.examples()))
            if whole:
                return pages.ontology_page(request, docs, names)
            return pages.term_page(request, iri, rows, names, docs)
    return pages.resource_page(request, iri, rows, names)


def linked_names(settings: Any, iri: str, rows: list[Row]) -> dict[str, str]:
    """Return labels for the resources a page links to, so it shows names, not IRIs
    (``rows``: the description as N-Triples text).

    Pages link to the same few hundred resources again and again (groups, countries,
    classes), and the release does not change while it is served: each IRI's label, or
    its lack of one, is looked up once and kept (:mod:`.memo`)."""
    node = f"<{iri}>"
    linked = sorted({iri_value(term) for row in rows for term in (row[0], row[2])
                     if term != node and is_iri(term)})[:_NAMED_LINKS]
    # the description holds every triple of the parts it owns (``iri/...`` linked with it)
    owned = set(owned_parts(iri, rows))
    names = labels_in(rows, owned)
    names.update(kept_labels(settings, [name for name in linked if name not in owned]))
    return {name: names[name] for name in linked if name in names}


def kept_labels(settings: Any, iris: list[str]) -> dict[str, str]:
    """The labels of ``iris`` that have one, each looked up once and kept (see
    :func:`linked_names`)."""
    kept = _kept_labels.setdefault(settings.store, {})
    missing = [name for name in iris if name not in kept]
    found = settings.store.labels(missing) if missing else {}
    labels = {name: label for name in iris
              if (label := found[name] if name in found else kept.get(name))}
    if missing:  # remembered once answered: making room may forget the others
        keep_all(kept, [(name, found.get(name)) for name in missing])
    return labels


def keep_labels(settings: Any, labelled: dict[str, str]) -> None:
    """Remember the labels of ``labelled`` before pages are written for every resource,
    as :func:`kept_labels` would, a few at a time."""
    items: list[tuple[str, str | None]] = list(labelled.items())
    keep_all(_kept_labels.setdefault(settings.store, {}), items)


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
