"""The documents of the static site, written as files by the server's own code.

Layout under ``www/`` (the web-server configuration maps the public paths onto it):

    resources/PATH.KEY   the resource ``<base>PATH`` in the format KEY (``html``, ``ttl``,
                         ``jsonld``, ``nt``, ``rdf``); a ``PATH`` ending in ``/`` gives
                         ``PATH%.KEY`` (``ontology/%.ttl``: no resource path has a ``%``)
    meta/void.KEY, meta/catalog.KEY, meta/context.jsonld
    pages/index.html     the landing page        pages/dumps.html  the dumps listing
    dumps/FILE           every file of the release, byte for byte (linked, where it can be)
    static/FILE          the pages' style sheet and script

Representation files never sit at a public path themselves, so a request for
``/id/pledge/x.ttl`` is a 404, as it is on ``serve``. Every file's modification time is
the release's build time: the web server's ``Last-Modified`` is the one ``serve`` sends.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request

from pledge_graph.errors import BuildError
from pledge_graph.sparql.results import JSON_LD, N_TRIPLES
from pledge_graph.store.index import TripleIndex
from pledge_graph.web import dumps, pages, resources, stats
from pledge_graph.web.app import STATIC_DIR, Settings
from pledge_graph.web.negotiation import FORMATS, Format
from pledge_graph.web.node_objects import parse_lines

__all__ = [
    "RESOURCE_FORMATS",
    "ROUTES",
    "canonical_blank_nodes",
    "documented_iris",
    "minted_iris",
    "page_request",
    "resource_documents",
    "write_resources",
    "write_site_documents",
]

RESOURCE_FORMATS: tuple[Format, ...] = tuple(
    f for kind in resources.RESOURCE_KINDS for f in FORMATS if kind in f.kinds)
"""The formats of a resource, in the server's order of preference."""

ROUTES = ("", "sparql", "sparql/", "query", "store", "dumps/", ".well-known/void", "catalog",
          "context.jsonld")
"""Paths under the base that the server answers with a route of its own, not as a
resource (as ``pledge_graph.web.app`` routes them; ``dumps/*`` and ``static/*`` too)."""

_SAFE_PATH = re.compile(r"^(?:[A-Za-z0-9_~!$&'()*+,;=:@-][A-Za-z0-9._~!$&'()*+,;=:@-]*/?)+$")
"""A path a file may stand for: segments of unreserved characters not starting with a dot
(no ``..``, no hidden files), no percent escapes (a web server decodes them before it looks
for the file, as ``serve`` does before it looks for the IRI)."""


def minted_iris(settings: Settings) -> tuple[list[str], list[str]]:
    """Return (the IRIs under the base the graph says something about and the site serves
    as resources, sorted; those it cannot write as files). A hash IRI is no resource of
    its own: it is described in its document's description (a fact's evidence)."""
    base = settings.iris.base
    index = getattr(settings.store, "reader", None)
    if isinstance(index, TripleIndex):  # the IRIs it keeps, read at once
        return _served(base, {iri for iri in index.iris() if iri.startswith(base)})
    terms = set()  # each term once, then its text (10k corpus: 0.50 s, not 0.64 for each)
    store = settings.store.native  # type: ignore[attr-defined]
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        terms.add(quad.subject)
        terms.add(quad.object)
    return _served(base, {term.value for term in terms
                          if isinstance(term, ox.NamedNode) and term.value.startswith(base)})


def documented_iris(settings: Settings, graphs: Iterable[str]) -> list[str]:
    """The IRIs of :func:`minted_iris` that are subjects in the named ``graphs`` (the
    ontology's and the shapes' files): a few hundred, listed at once, where listing every
    resource reads the whole store."""
    base, store = settings.iris.base, settings.store.native  # type: ignore[attr-defined]
    found = {q.subject.value for graph in graphs
             for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
             if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(base)}
    return _served(base, found)[0]


def _served(base: str, iris: set[str]) -> tuple[list[str], list[str]]:
    """(The IRIs of ``iris``, all under ``base``, the site writes, sorted; those it cannot
    write as files)."""
    found = {p for iri in iris if "#" not in (p := iri[len(base):])}  # parts: with theirs
    routed = {p for p in found if p in ROUTES or p.startswith(("dumps/", "static/"))}
    unsafe = sorted(p for p in found - routed if not _SAFE_PATH.match(p))
    served = sorted(found - routed - set(unsafe))
    return [base + p for p in served], [base + p for p in unsafe]


def resource_documents(settings: Settings, iri: str) -> dict[str, bytes]:
    """Return the resource's description in each format (key to bytes), as ``serve``
    answers ``GET <iri>``; empty when the graph says nothing about it.

    The description is read once as N-Triples lines, as ``serve`` reads it, and parsed
    once: the page, N-Triples and JSON-LD are written from the lines, Turtle and RDF/XML
    from the triples. A description with blank nodes is written with their canonical
    labels (:func:`canonical_blank_nodes`)."""
    lines = resources.describe_lines(settings, iri)
    if not lines:
        return {}
    triples = parse_lines(lines)
    if any(line.startswith("_:") or " _:" in line for line in lines):
        triples = canonical_blank_nodes(triples)
        lines = [f"{t} .\n" for t in triples]
    local = "/" + iri[len(settings.iris.base):]
    out = {}
    for fmt in RESOURCE_FORMATS:
        if fmt.key == "html":
            out[fmt.key] = resources.html_page(page_request(settings, local), iri, lines)
        elif fmt.media_type in (N_TRIPLES, JSON_LD):
            out[fmt.key] = (resources.serialise_lines(lines, fmt, settings, iri)
                            or resources.serialise_graph(triples, fmt, settings, iri))
        else:
            out[fmt.key] = resources.serialise_graph(triples, fmt, settings, iri)
    return out


def canonical_blank_nodes(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Give the blank nodes of a description (OWL and SHACL lists) labels that depend on
    the description alone, and sort it: a store labels them at random each time it loads,
    and the same release must give the same bytes. Each label is a digest of what the node
    says and of what is said of it, refined round by round with its neighbours' labels
    until no more nodes are told apart; nodes never told apart are interchangeable."""
    nodes = sorted({term for t in triples for term in (t.subject, t.object)
                    if isinstance(term, ox.BlankNode)}, key=str)
    if not nodes:
        return triples
    said: dict[Any, list[ox.Triple]] = {node: [] for node in nodes}
    said_of: dict[Any, list[ox.Triple]] = {node: [] for node in nodes}
    for t in triples:
        if t.subject in said:
            said[t.subject].append(t)
        if t.object in said_of:
            said_of[t.object].append(t)
    labels = {node: "" for node in nodes}
    for _ in range(len(nodes) + 1):
        refined = {node: _signature(node, said[node], said_of[node], labels) for node in nodes}
        settled = len(set(refined.values())) == len(set(labels.values()))
        labels = refined
        if settled:
            break
    seen: dict[str, int] = {}
    named = {}
    for node in sorted(nodes, key=lambda n: labels[n]):
        seen[labels[node]] = seen.get(labels[node], -1) + 1
        named[node] = ox.BlankNode(f"b{labels[node][:24]}{seen[labels[node]]}")

    def rename(term: Any) -> Any:
        return named.get(term, term) if isinstance(term, ox.BlankNode) else term

    return sorted((ox.Triple(rename(t.subject), t.predicate, rename(t.object))
                   for t in triples), key=str)


def _signature(node: ox.BlankNode, said: list[ox.Triple], said_of: list[ox.Triple],
               labels: dict[Any, str]) -> str:
    """The digest of ``node``'s label and what it says (``said``) and what is said of it
    (``said_of``), its neighbours by their labels."""
    def name(term: Any) -> str:
        return "_:" + labels[term] if isinstance(term, ox.BlankNode) else str(term)

    text = "\n".join([labels[node], *sorted(f"{t.predicate} {name(t.object)}" for t in said),
                      "<-", *sorted(f"{name(t.subject)} {t.predicate}" for t in said_of)])
    return hashlib.sha256(text.encode()).hexdigest()


def write_resources(settings: Settings, www: Path, iris: Iterable[str]) -> int:
    """Write every representation of each of ``iris`` under ``www/resources``; return how
    many resources were written."""
    root = str(www / "resources")
    base = settings.iris.base
    stamp = _stamp(settings)
    count = 0
    folders = _Folders()
    try:
        for iri in iris:
            documents = resource_documents(settings, iri)
            folder, _, name = f"{root}/{iri[len(base):]}".rpartition("/")
            into = folders.open(folder, iri)
            for key, body in documents.items():
                _write(f"{name or '%'}.{key}", body, stamp, into)
            count += 1
    finally:
        folders.close()
    return count


class _Folders:
    """The folders resources are written into, each made once and kept open: a file is
    then opened by its name in its folder's descriptor, so the kernel does not walk the
    whole path again for each of a resource's five files (resources come in path order,
    so a folder's files are written together)."""

    KEPT = 64  # folders kept open at most

    def __init__(self) -> None:
        self.open_folders: dict[str, int] = {}
        self.made: set[str] = set()

    def open(self, folder: str, iri: str) -> int:
        """The descriptor of ``folder`` (made when missing), where ``iri``'s files go."""
        found = self.open_folders.get(folder)
        if found is None:
            if len(self.open_folders) >= self.KEPT:
                self.close()
            if folder not in self.made:
                parent = folder.rpartition("/")[0]
                _make_folder(folder, iri, parent_made=parent in self.made)
                self.made.update((parent, folder))
            found = self.open_folders[folder] = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        return found

    def close(self) -> None:
        for descriptor in self.open_folders.values():
            os.close(descriptor)
        self.open_folders.clear()


def write_site_documents(settings: Settings, www: Path) -> None:
    """Write the landing page, the statistics page, the dumps and their listing, VoID, DCAT,
    the context and the static files, each as ``serve`` answers it."""
    release = settings.release_dir
    assert release is not None
    stamp = _stamp(settings)
    files = dumps.release_files(release)
    for folder in ("pages", "meta", "dumps", "static"):
        (www / folder).mkdir(parents=True, exist_ok=True)
    landing = asyncio.run(pages.landing(page_request(settings, "/")))  # type: ignore[arg-type]
    _write(www / "pages" / "index.html", bytes(landing.body), stamp)
    listing = pages.dumps_page(page_request(settings, "/dumps/"), files)
    _write(www / "pages" / "dumps.html", bytes(listing.body), stamp)
    charts = asyncio.run(stats.statistics_page(page_request(settings, "/stats")))  # type: ignore[arg-type]
    if charts.status_code == 200:  # a release built before it had charts has none
        _write(www / "pages" / "stats.html", bytes(charts.body), stamp)
    for path in files:
        _release_file(path, www / "dumps" / path.name)
    if (release / "context.jsonld").is_file():
        _release_file(release / "context.jsonld", www / "meta" / "context.jsonld")
    for name in ("void", "catalog"):
        source = release / f"{name}.ttl"
        if not source.is_file():
            continue
        for fmt in resources.RDF_FORMATS:
            _write(www / "meta" / f"{name}.{fmt.key}",
                   dumps.file_graph(source, fmt.media_type), stamp)
    shutil.copytree(STATIC_DIR, www / "static", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))


def _release_file(source: Path, target: Path) -> None:
    """Put a file of the release into the site, dated as it is: a hard link where both are
    on one filesystem (a build never changes a release's files: it writes a new folder and
    swaps it in), so the dumps (240 MB on the 10k corpus) are not written again; else a
    copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        os.utime(target, ns=(source.stat().st_mtime_ns,) * 2)


def page_request(settings: Settings, path: str) -> Request:
    """A GET of ``path`` on an app holding ``settings``: what the page functions read."""
    app = SimpleNamespace(state=SimpleNamespace(settings=settings))
    return Request({"type": "http", "method": "GET", "path": path, "root_path": "",
                    "query_string": b"", "headers": [], "app": app})


def _stamp(settings: Settings) -> int:
    return int(settings.built.timestamp()) * 1_000_000_000


def _make_folder(folder: str, iri: str, *, parent_made: bool) -> None:
    """Make ``folder``, and its parents unless ``parent_made`` (one call, not one a level)."""
    try:
        if not parent_made:
            os.makedirs(folder, exist_ok=True)
            return
        try:
            os.mkdir(folder)
        except FileExistsError:  # made by another worker, or a file there
            if not os.path.isdir(folder):
                raise
    except (FileExistsError, NotADirectoryError):
        raise BuildError(f"the IRI <{iri}> needs a folder where another resource's file is",
                         file=Path(folder), expected="IRIs that are not file names of "
                         "another IRI's representations") from None


def _write(path: Path | str, body: bytes, stamp: int, folder: int | None = None) -> None:
    """Write a file (``path`` in the folder of the descriptor ``folder`` if given) and give
    it the release's time, through its descriptor: a site has five files a resource, and
    this takes a third of the time of pathlib's write and a utime."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666, dir_fd=folder)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view):]
        os.utime(fd, ns=(stamp, stamp))
    finally:
        os.close(fd)
