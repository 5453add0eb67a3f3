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
from typing import Any, NamedTuple
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pledge_graph.build.release import read_release
from pledge_graph.errors import BuildError
from pledge_graph.rdf.vocab import DCTERMS, PROV, RDFS, SCHEMA, SKOS, prefixes
from pledge_graph.store.lookup import literal_parts
from pledge_graph.web.negotiation import FORMATS
from pledge_graph.web.page_terms import (
    Row,
    link_items,
    table_rows,
    term_html,
    view_terms,
)

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
_DESCRIBE_QUERY = ("/sparql?query=" + quote("DESCRIBE <"), quote(">"))
_INVERSE_QUERY = ("/sparql?query=" + quote("SELECT ?s ?p WHERE { ?s ?p <"),
                  quote("> } ORDER BY ?p ?s"))


_ENV.globals["term"] = term_html
_ENV.globals["table_rows"] = table_rows
_ENV.globals["link_items"] = link_items
_LABELS = {f"<{p}>" for p in (SKOS.prefLabel, RDFS.label, DCTERMS.title, SCHEMA.name)}
_BROWSE = (  # a link into /pledges when pledges link to a resource this way
    ("pledgedBy", "actor", "pledges it made"),
    ("rightsHolderGroup", "group", "pledges for this group"),
    ("recipient", "recipient", "pledges funding it"),
    ("treaty", "treaty", "pledges about this treaty"),
)
_SPATIAL = f"<{DCTERMS.spatial}>"
_PROVENANCE = {f"<{p}>" for p in (PROV.hadPrimarySource, PROV.wasGeneratedBy,
                                  PROV.wasDerivedFrom, DCTERMS.source)}


def statistics(settings: Any) -> dict[str, int]:
    """Count triples, pledges, submissions and actors in the store (cached per app). The
    data's triples are the release's own count (its manifest, as VoID states it) when it
    has one: the static site's store holds no graph per file to count them in."""
    if not settings.stats:
        pg = str(settings.iris.ontology)
        store = settings.store
        triples = _release_triples(settings.release_dir)
        if triples is None:
            data = str(settings.iris.dump("pledge-graph.nt"))
            triples = store.count(f"GRAPH <{data}> {{ ?s ?p ?o }}")
        settings.stats = {
            "triples": triples,
            "pledges": store.count(f"?x a <{pg}Pledge>"),
            "submissions": store.count(f"?x a <{pg}Submission>"),
            "actors": store.count(f"{{ SELECT DISTINCT ?a WHERE {{ ?x <{pg}pledgedBy> ?a }} }}"),
        }
    return settings.stats


def _release_triples(release_dir: Path | None) -> int | None:
    if release_dir is None:
        return None
    try:
        triples = read_release(release_dir).manifest.get("triples")
    except BuildError:
        return None
    return triples if isinstance(triples, int) and not isinstance(triples, bool) else None


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


def resource_page(request: Request, iri: str, rows: list[Row],
                  names: dict[str, str] | None = None, template: str = "resource.html",
                  *, tables: bool = True, **extra: object) -> bytes:
    """Render a resource's description (its triples as N-Triples text, :mod:`.page_terms`):
    labels, links both ways, sub-resources, provenance.

    ``names`` gives labels of the linked resources, shown instead of their IRIs; a
    ``template`` extending ``resource.html`` adds to the page with ``extra``, and one
    that shows the description its own way (the pledge's) asks for no ``tables`` (the
    description's tables and provenance list are then not made)."""
    settings = request.app.state.settings
    subject = f"<{iri}>"
    ordered = _sorted(rows)  # sorted once: the three parts keep its order
    outgoing = [t for t in ordered if t[0] == subject]
    incoming = [t for t in ordered if t[2] == subject and t[0] != subject]
    others = [t for t in ordered if t[0] != subject and t[2] != subject]
    anchors = _part_anchors(iri, others[:PAGE_ROWS])
    if anchors:  # the document's hash parts go by their fragment, where their rows are
        names = {**(names or {}), **{f"{iri}#{a}": f"#{a}" for a in anchors if a}}
    view = view_terms(settings, names or {})
    labels = sorted((o for _, p, o in outgoing if p in _LABELS and o[:1] == '"'),
                    key=_label_order)
    provenance = [t for t in outgoing if t[1] in _PROVENANCE]
    quoted = quote(iri)  # quoting works character by character: the constant parts are kept
    local = view.href(iri)
    return _ENV.get_template(template).render(
        iri=iri, local=local,
        title=literal_parts(labels[0])[0] if labels else view.short(iri),
        labels=[view.term(label) for label in labels],
        outgoing=[(view.html(p, named=False), view.html(o))
                  for _, p, o in outgoing[:PAGE_ROWS]] if tables else [],
        incoming=[(view.html(s), view.html(p, named=False))
                  for s, p, _ in incoming[:PAGE_ROWS]] if tables else [],
        others=[(view.html(s), view.html(p, named=False), view.html(o))
                for s, p, o in others[:PAGE_ROWS]] if tables else [],
        part_anchors=anchors,
        counts=_Counts(len(outgoing), len(incoming), len(others)),
        page_rows=PAGE_ROWS, inverse_link=_INVERSE_QUERY[0] + quoted + _INVERSE_QUERY[1],
        provenance=[(view.html(p, named=False), view.html(o))
                    for _, p, o in provenance] if tables else [],
        version=settings.version, digest=settings.digest,
        query_link=_DESCRIBE_QUERY[0] + quoted + _DESCRIBE_QUERY[1],
        **format_links(local), browse=browse_links(settings, iri, incoming), **extra,
    ).encode("utf-8")


def _part_anchors(iri: str, rows: list[Row]) -> list[str]:
    """For each row of the parts table, the fragment of its subject when it is a hash part
    of ``iri`` (``<iri#quote>``) and its first row, else "": ``/fact#quote`` then leads to
    the quote's rows. Empty when no row has one."""
    hashed, seen = f"<{iri}#", set()
    anchors = []
    for s, _, _ in rows:
        fragment = s[len(hashed):-1] if s.startswith(hashed) else ""
        anchors.append("" if fragment in seen else fragment)
        seen.add(fragment)
    return anchors if any(anchors) else []


def browse_links(settings: Any, iri: str, incoming: list[Row]) -> list[tuple[str, str]]:
    """Links into the pledge list narrowed to this resource, for each way pledges or their
    facts link to it (an actor's pledges, a group's, an organisation's funding...)."""
    base, ontology = settings.iris.base, str(settings.iris.ontology)
    if not iri.startswith(base):
        return []
    used = {p for _, p, _ in incoming}
    if not used:
        return []
    value = quote(iri[len(base):], safe="/")
    links = [(title, f"/pledges?{facet}={value}") for name, facet, title in _BROWSE
             if f"<{ontology}{name}>" in used]
    if _SPATIAL in used:
        links.append(("pledges naming this country", f"/pledges?country={value}"))
    return links


def _label_order(label: str) -> tuple[int, str, str]:
    """English labels first, then untagged ones, then the other languages (``label``: a
    literal's N-Triples text)."""
    value, language, _ = literal_parts(label)
    language = language or ""
    return (0 if language == "en" else 1 if not language else 2, language, value)


def _sorted(rows: list[Row]) -> list[Row]:
    """By the triples' N-Triples text (``S P O``): as no subject's text is the start of
    another's followed by more than a space (IRIs end with ``>``, blank node labels hold no
    space), by subject, then predicate, then object."""
    return sorted(rows, key=" ".join)


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
        **format_links(local), request_path=request.scope["path"]).encode("utf-8")


def term_page(request: Request, iri: str, rows: list[Row], names: dict[str, str],
              docs: Any) -> bytes:
    """An ontology term's page: its documentation, then its description as a resource."""
    settings = request.app.state.settings
    return resource_page(request, iri, rows, names, "term.html", doc_term=docs.term(iri),
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


_FORMATS = (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"), ("RDF/XML", "rdf"))
_MEDIA_TYPES = {f.key: f.media_type for f in FORMATS}
_ALTERNATE = "".join(f'\n<link rel="alternate" type="{_MEDIA_TYPES[key]}" '
                     f'href="{{0}}?format={key}" title="{name}">' for name, key in _FORMATS) + "\n"
_AS_DATA = " · ".join(f'<a href="{{0}}?format={key}">{name}</a>' for name, key in _FORMATS)


class _Counts(NamedTuple):
    """The rows of a page's three tables (attributes: the template reads them without
    the failed attribute lookup a dictionary's keys cost Jinja)."""

    outgoing: int
    incoming: int
    others: int


def format_links(local: str) -> dict[str, Markup]:
    """A page's links to its data formats: ``alternates`` for its head, ``format_links``
    for its text. Written here rather than by two loops of the template, which took a
    third of the time of a small resource's page."""
    href = escape(local)
    return {"alternates": Markup(_ALTERNATE.format(href)),
            "format_links": Markup(_AS_DATA.format(href))}
