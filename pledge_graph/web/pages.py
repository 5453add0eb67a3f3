"""HTML pages: the landing page, resource pages, the query workbench and the dumps listing.

Pages are rendered from jinja2 templates (``templates/``); scripts and style sheets are
served from ``/static``, the workbench's editor (YASGUI) from a copy vendored in the package
(``static/yasgui/``, written by ``scripts/fetch-yasgui.py``): nothing comes from another
site. Links to IRIs under the base point at this server's paths, so browsing stays on the
server that is running.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pledge_graph.rdf.vocab import DCTERMS, PROV, RDFS, SCHEMA, SKOS, prefixes

__all__ = [
    "DEFAULT_EXAMPLE",
    "PAGE_ROWS",
    "dumps_page",
    "landing",
    "ontology_page",
    "query_page",
    "resource_page",
    "statistics",
    "term_page",
    "view_terms",
    "workbench",
    "workbench_config",
]

DEFAULT_EXAMPLE = "pledges-by-actor"
"""The example query the workbench's editor opens with."""
PAGE_ROWS = 500
"""Rows a resource page shows per table; the rest is a query away (the RDF has all)."""

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), auto_reload=False)
"""Templates are read once: a served release's pages do not check the files' times."""
_SHORT_KEPT = 100_000
_SHORTS: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
_TABLES: dict[tuple[str, str, str], tuple[tuple[tuple[str, str], ...], dict[str, str]]] = {}
_DESCRIBE_QUERY = ("/sparql?query=" + quote("DESCRIBE <"), quote(">"))
_INVERSE_QUERY = ("/sparql?query=" + quote("SELECT ?s ?p WHERE { ?s ?p <"),
                  quote("> } ORDER BY ?p ?s"))


def _term_html(t: dict[str, Any]) -> Markup:
    """A term as a link (or a span) with its IRI or datatype as the hint: written here, not
    by a template macro, since a page shows hundreds (a macro call costs more than the page's
    other work). Pages show the same terms again and again (properties, classes, groups,
    countries): each one's HTML is written once and kept, for plain text only (``Markup``
    equals the same text as a key but is not escaped)."""
    key = (href, title, text) = (t.get("href", ""), t.get("title", ""), t.get("text", ""))
    if type(href) is not str or type(title) is not str or type(text) is not str:
        return _written_term(t)
    found = _TERMS.get(key)
    if found is None:
        if len(_TERMS) > _TERMS_KEPT:
            _TERMS.clear()
        found = _TERMS[key] = _written_term(t)
    return found


def _written_term(t: dict[str, Any]) -> Markup:
    if t.get("href"):
        return Markup(f'<a href="{escape(t["href"])}" title="{_field(t, "title")}">'
                      f'{_field(t, "text")}</a>')
    return Markup(f'<span title="{_field(t, "title")}">{_field(t, "text")}</span>')


def _field(t: dict[str, Any], key: str) -> Markup:
    return escape(t[key]) if key in t else Markup("")


def _table_rows(rows: list[tuple[dict[str, Any], ...]], *cells: str) -> Markup:
    """The rows of a table of terms, each cell in its element (``th`` or ``td``), a row a
    line: written here, not in a template loop, for the same reason as :func:`_term_html`."""
    return Markup("".join(
        "<tr>" + "".join(f"<{cell}>{_term_html(t)}</{cell}>" for cell, t in zip(cells, row))
        + "</tr>\n" for row in rows))


def _link_items(rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> Markup:
    """A list's items of (property, value) terms: the value, then the property in small
    (as :func:`_table_rows`, written here)."""
    return Markup("".join(f"<li>{_term_html(o)} <small>({_term_html(p)})</small></li>"
                          for p, o in rows))


_TERMS_KEPT = 100_000
_TERMS: dict[tuple[Any, ...], Markup] = {}
_ENV.globals["term"] = _term_html
_ENV.globals["table_rows"] = _table_rows
_ENV.globals["link_items"] = _link_items
_LABELS = [str(p) for p in (SKOS.prefLabel, RDFS.label, DCTERMS.title, SCHEMA.name)]
_BROWSE = (  # a link into /pledges when pledges link to a resource this way
    ("pledgedBy", "actor", "pledges it made"),
    ("rightsHolderGroup", "group", "pledges for this group"),
    ("recipient", "recipient", "pledges funding it"),
    ("treaty", "treaty", "pledges about this treaty"),
)
_SPATIAL = str(DCTERMS.spatial)
_PROVENANCE = [str(p) for p in (PROV.hadPrimarySource, PROV.wasGeneratedBy, PROV.wasDerivedFrom,
                                DCTERMS.source)]


def statistics(settings: Any) -> dict[str, int]:
    """Count triples, pledges, submissions and actors in the store (cached per app)."""
    if not settings.stats:
        pg = str(settings.iris.ontology)
        data = str(settings.iris.dump("pledge-graph.nt"))
        store = settings.store
        settings.stats = {
            "triples": store.count(f"GRAPH <{data}> {{ ?s ?p ?o }}"),
            "pledges": store.count(f"?x a <{pg}Pledge>"),
            "submissions": store.count(f"?x a <{pg}Submission>"),
            "actors": store.count(f"{{ SELECT DISTINCT ?a WHERE {{ ?x <{pg}pledgedBy> ?a }} }}"),
        }
    return settings.stats


async def landing(request: Request) -> Response:
    """The landing page: what the dataset is, how big, how to query and download it."""
    settings = request.app.state.settings
    stats = await run_in_threadpool(statistics, settings)
    return _render(request, "landing.html", stats=stats, examples=settings.examples,
                   base=settings.iris.base, origin=_origin(request))


def query_page(request: Request, query: str | None) -> Response:
    """The query workbench (YASGUI on /sparql), with the example queries as a gallery;
    ``query`` fills the form shown to browsers without JavaScript."""
    settings = request.app.state.settings
    return _render(request, "query.html", query=query or "", examples=settings.examples,
                   config=workbench_config(settings), version=settings.version,
                   digest=settings.digest, built=settings.built.isoformat(),
                   headers={"Vary": "Accept"})


async def workbench(request: Request) -> Response:
    """``/query``: the workbench, for a browser that asks for it by name."""
    return query_page(request, request.query_params.get("query"))


def workbench_config(settings: Any) -> dict[str, object]:
    """What the workbench's script needs, given to it as JSON in the page: the endpoint
    (this server's, by path), the project's prefixes, the query the editor opens with and
    the example queries."""
    examples = settings.examples
    default = next((q for q in examples if q.name == DEFAULT_EXAMPLE),
                   examples[0] if examples else None)
    return {
        "endpoint": "/sparql",
        "prefixes": prefixes(settings.iris),
        "defaultQuery": default.text if default else "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
        "examples": {q.name: {"title": q.title, "text": q.text} for q in examples},
        "release": settings.digest,
    }


def dumps_page(request: Request, files: list[Path]) -> Response:
    """List the release's files with their sizes."""
    rows = [{"name": p.name, "size": p.stat().st_size} for p in files]
    return _render(request, "dumps.html", files=rows)


def resource_page(request: Request, iri: str, triples: list[ox.Triple],
                  names: dict[str, str] | None = None, template: str = "resource.html",
                  *, rows: bool = True, **extra: object) -> bytes:
    """Render a resource's description: labels, links both ways, sub-resources, provenance.

    ``names`` gives labels of the linked resources, shown instead of their IRIs; a
    ``template`` extending ``resource.html`` adds to the page with ``extra``, and one
    that shows the description its own way (the pledge's) asks for no ``rows`` (the
    description's tables and provenance list are then not made)."""
    settings = request.app.state.settings
    view = view_terms(settings, names or {})
    subject = ox.NamedNode(iri)
    ordered = _sorted(triples)  # sorted once: the three parts keep its order
    outgoing = [t for t in ordered if t.subject == subject]
    incoming = [t for t in ordered if t.object == subject and t.subject != subject]
    others = [t for t in ordered if t.subject != subject and t.object != subject]
    labels = sorted((t.object for t in outgoing
                     if t.predicate.value in _LABELS and isinstance(t.object, ox.Literal)),
                    key=_label_order)
    provenance = [t for t in outgoing if t.predicate.value in _PROVENANCE]
    quoted = quote(iri)  # quoting works character by character: the constant parts are kept
    local = view.href(iri)
    return _ENV.get_template(template).render(
        iri=iri, local=local,
        title=labels[0].value if labels else view.short(iri),
        labels=[view.term(t) for t in labels],
        outgoing=[(view.term(t.predicate, named=False), view.term(t.object))
                  for t in outgoing[:PAGE_ROWS]] if rows else [],
        incoming=[(view.term(t.subject), view.term(t.predicate, named=False))
                  for t in incoming[:PAGE_ROWS]] if rows else [],
        others=[(view.term(t.subject), view.term(t.predicate, named=False), view.term(t.object))
                for t in others[:PAGE_ROWS]] if rows else [],
        counts={"outgoing": len(outgoing), "incoming": len(incoming), "others": len(others)},
        page_rows=PAGE_ROWS, inverse_link=_INVERSE_QUERY[0] + quoted + _INVERSE_QUERY[1],
        provenance=[(view.term(t.predicate, named=False), view.term(t.object))
                    for t in provenance] if rows else [],
        version=settings.version, digest=settings.digest,
        query_link=_DESCRIBE_QUERY[0] + quoted + _DESCRIBE_QUERY[1],
        formats=_FORMATS, browse=browse_links(settings, iri, incoming), **extra,
    ).encode("utf-8")


def browse_links(settings: Any, iri: str, incoming: list[ox.Triple]) -> list[tuple[str, str]]:
    """Links into the pledge list narrowed to this resource, for each way pledges or their
    facts link to it (an actor's pledges, a group's, an organisation's funding...)."""
    base, ontology = settings.iris.base, str(settings.iris.ontology)
    if not iri.startswith(base):
        return []
    used = {t.predicate.value for t in incoming}
    if not used:
        return []
    value = quote(iri[len(base):], safe="/")
    links = [(title, f"/pledges?{facet}={value}") for name, facet, title in _BROWSE
             if ontology + name in used]
    if _SPATIAL in used:
        links.append(("pledges naming this country", f"/pledges?country={value}"))
    return links


def view_terms(settings: Any, names: dict[str, str]) -> ViewTerms:
    """What turns this server's RDF terms into links and names on a page."""
    iris = settings.iris
    key = (iris.base, str(iris.ontology), str(iris.shapes))  # all the prefix table reads
    kept = _TABLES.get(key)
    if kept is None:
        table = tuple(sorted(prefixes(iris).items(), key=lambda kv: -len(kv[1])))
        kept = _TABLES[key] = (table, _SHORTS.setdefault(table, {}))
    return ViewTerms(iris.base, kept[0], names, kept[1])


class ViewTerms:
    """Turns RDF terms into what a template shows: text, a link, a hint."""

    def __init__(self, base: str, table: tuple[tuple[str, str], ...], names: dict[str, str],
                 shorts: dict[str, str]) -> None:
        """``table``: the prefixes, longest namespace first; ``shorts``: the short forms
        kept for that table (pages name the same few thousand IRIs again and again)."""
        self.base = base
        self.table = table
        self.names = names
        self._short = shorts

    def href(self, iri: str) -> str:
        """The link to ``iri``: a local path under the base, the IRI itself if it is a web
        address, none ("") for any other scheme (``javascript:``, ``data:``...)."""
        if iri.startswith(self.base):
            return "/" + iri[len(self.base):]
        return iri if iri.lower().startswith(("http://", "https://")) else ""

    def short(self, iri: str) -> str:
        found = self._short.get(iri)
        if found is None:
            if len(self._short) > _SHORT_KEPT:
                self._short.clear()
            found = self._short[iri] = self._shorten(iri)
        return found

    def _shorten(self, iri: str) -> str:
        for prefix, ns in self.table:
            local = iri[len(ns):]
            if iri.startswith(ns) and local and "/" not in local and "#" not in local:
                return f"{prefix}:{local}"
        return iri

    def term(self, term: object, *, named: bool = True) -> dict[str, str]:
        if isinstance(term, ox.NamedNode):
            value = term.value  # each read of it makes a new string
            name = self.names.get(value) if named else None
            return {"text": name or self.short(value), "href": self.href(value),
                    "title": value}
        if isinstance(term, ox.Literal):
            hint = f"@{term.language}" if term.language else self.short(term.datatype.value)
            return {"text": term.value, "href": "", "title": hint}
        return {"text": str(term), "href": "", "title": ""}


def _label_order(label: ox.Literal) -> tuple[int, str, str]:
    """English labels first, then untagged ones, then the other languages."""
    language = label.language or ""
    return (0 if language == "en" else 1 if not language else 2, language, label.value)


def _sorted(triples: list[ox.Triple]) -> list[ox.Triple]:
    """By subject, predicate and object as N-Triples terms: the order of the triples' text
    (``S P O``), as no subject's text is the start of another's followed by more than a
    space (IRIs end with ``>``, blank node labels hold no space); one string a triple."""
    return sorted(triples, key=str)


def _origin(request: Request) -> str:
    """The server's public origin, from its settings (never from the request's Host)."""
    return str(request.app.state.settings.public_url).rstrip("/")


def _render(request: Request, template: str, headers: dict[str, str] | None = None,
            **context: object) -> Response:
    html = _ENV.get_template(template).render(request_path=request.scope["path"], **context)
    return HTMLResponse(html, headers=headers)


def ontology_page(request: Request, docs: Any, names: dict[str, str]) -> bytes:
    """The ontology's documentation: every class and property, what the shapes require,
    an example of each class (``docs`` from :mod:`~pledge_graph.web.ontology_docs`)."""
    settings = request.app.state.settings
    local = "/" + docs.iri[len(settings.iris.base):]
    return _ENV.get_template("ontology.html").render(
        docs=docs, ref=_term_refs(settings, docs, names, in_page=True), local=local,
        formats=_FORMATS, request_path=request.scope["path"]).encode("utf-8")


def term_page(request: Request, iri: str, triples: list[ox.Triple], names: dict[str, str],
              docs: Any) -> bytes:
    """An ontology term's page: its documentation, then its description as a resource."""
    settings = request.app.state.settings
    return resource_page(request, iri, triples, names, "term.html", doc_term=docs.term(iri),
                         docs=docs, ref=_term_refs(settings, docs, names, in_page=False))


def _term_refs(settings: Any, docs: Any, names: dict[str, str], *,
               in_page: bool) -> Callable[[str], dict[str, str]]:
    """How the documentation names and links an IRI: a term of the ontology by its prefixed
    name (to its section on the ontology page, or to its own page), anything else by its
    label or prefixed name."""
    view = view_terms(settings, names)

    def ref(iri: str) -> dict[str, str]:
        page = view.href(iri)
        term = docs.term(iri)
        if term is not None:
            href = f"#{term.name}" if in_page else f"/ontology#{term.name}"
            return {"text": view.short(iri), "href": href, "title": iri, "page": page}
        return {"text": names.get(iri) or view.short(iri), "href": page, "title": iri,
                "page": page}

    return ref


_FORMATS = [("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"), ("RDF/XML", "rdf")]
