"""Browse and search the pledges: ``/pledges`` (a paged list narrowed by facets and a
search), ``/pledges.csv`` (the same selection, every row) and ``/pledges/by/{facet}`` (every
value of a facet, each linking into the list).

Every answer is read from the release's index (``search.sqlite``, see
:mod:`pledge_graph.publish.search_index`), opened read-only in a worker thread, with a
bounded page size and a time limit; pages are plain HTML with GET forms and links, and each
names the SPARQL query equal to it, opened in the workbench by "Open as SPARQL".
"""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pledge_graph.publish.search_index import FACETS, INDEX_FILE, fts_query
from pledge_graph.web.browse_query import (
    BY_NAME,
    BadParameter,
    Selection,
    count_query,
    list_query,
    parse_selection,
)
from pledge_graph.web.http import error

__all__ = ["CSV_ROWS", "EXCERPT", "View", "by_facet", "pledges", "pledges_csv", "read_view"]

EXCERPT = 300
"""Characters of a pledge's text the list shows."""
CSV_ROWS = 100_000
"""Rows a CSV download may have."""
TIME_LIMIT = 5.0
"""Seconds one read of the index may take."""
SHOWN_VALUES = 15
"""Values each facet shows on the list page; the rest are on its index page."""

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]))


@dataclass
class View:
    """What a selection finds: how many pledges, one page (or all) of them, and the counts
    of every facet's values among them (value, label, count)."""

    total: int
    rows: list[dict[str, Any]]
    counts: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def read_view(path: Path, selection: Selection, *, every_row: bool = False) -> View:
    """Read the selection's pledges and facet counts (with ``every_row``: every pledge, no
    counts) from the index at ``path``; raise :class:`BadParameter` for a facet value the
    index does not have or a page past the end."""
    db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    deadline = time.monotonic() + TIME_LIMIT
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        return _read(db, selection, every_row)
    finally:
        db.close()


def _read(db: sqlite3.Connection, selection: Selection, every_row: bool) -> View:
    conditions, args = [], []
    for name, value in selection.filters:
        if db.execute("SELECT 1 FROM facet WHERE facet = ? AND value = ? LIMIT 1",
                      (name, value)).fetchone() is None:
            raise BadParameter(f"{name}={selection.key(value)[:200]!r} is no value of the "
                               f"facet {name!r} in this release; see /pledges/by/{name}")
        conditions.append("id IN (SELECT pledge FROM facet WHERE facet = ? AND value = ?)")
        args += [name, value]
    if selection.words:
        conditions.append("id IN (SELECT rowid FROM text_index WHERE text_index MATCH ?)")
        args.append(fts_query(selection.words))
    hits = f"WITH hit(id) AS (SELECT id FROM pledge WHERE {' AND '.join(conditions) or '1'}) "
    total = db.execute(hits + "SELECT count(*) FROM hit", args).fetchone()[0]
    pages = max(1, -(-total // selection.size))
    if not every_row and selection.page > pages:
        raise BadParameter(f"page {selection.page} is past the end: {total} pledge(s) make "
                           f"{pages} page(s) of {selection.size}")
    limit, offset = ((CSV_ROWS, 0) if every_row
                     else (selection.size, (selection.page - 1) * selection.size))
    rows = [dict(zip(("id", "iri", "label", "date", "language", "text"), r, strict=True))
            for r in db.execute(hits + "SELECT p.id, iri, p.label, date, language, text "
                                "FROM pledge p JOIN hit USING (id) ORDER BY id LIMIT ? OFFSET ?",
                                [*args, limit, offset])]
    actors: dict[int, list[tuple[str, str]]] = {}
    marks = ",".join("?" * len(rows))
    for pledge, value, label in db.execute(
            "SELECT pledge, value, coalesce(label, value) FROM facet LEFT JOIN label ON "
            f"label.iri = value WHERE facet = 'actor' AND pledge IN ({marks}) "
            "ORDER BY pledge, value", [r["id"] for r in rows]):
        actors.setdefault(pledge, []).append((value, label))
    for row in rows:
        row["actors"] = actors.get(row["id"], [])
    counts: dict[str, list[tuple[str, str, int]]] = {f.name: [] for f in FACETS}
    for name, value, label, count in [] if every_row else db.execute(
            hits + "SELECT facet, value, coalesce(label, value), count(*) FROM facet "
            "JOIN hit ON facet.pledge = hit.id LEFT JOIN label ON label.iri = value "
            "GROUP BY facet, value ORDER BY facet, count(*) DESC, 3, value", args):
        counts[name].append((value, label, count))
    labels = dict(db.execute(
        f"SELECT iri, label FROM label WHERE iri IN ({','.join('?' * len(selection.filters))})",
        [v for _, v in selection.filters]).fetchall())
    return View(total, rows, counts, labels)


async def _view(request: Request, *, every_row: bool = False) -> tuple[Selection, View]:
    """Parse the request's selection and read it, in a worker thread."""
    settings = request.app.state.settings
    path = (settings.release_dir or Path("/nonexistent")) / INDEX_FILE
    if not path.is_file():
        raise _NoIndex()
    selection = parse_selection(request.query_params.multi_items(), settings.iris.base)
    view = await anyio.to_thread.run_sync(lambda: read_view(path, selection,
                                                            every_row=every_row))
    return selection, view


class _NoIndex(Exception):
    """The release has no search index (built before there was one)."""


async def _answer(request: Request, make: Any) -> Response:
    """Run ``make`` and map a bad parameter to 400, a missing index to 503 and a read over
    its time limit to 503."""
    try:
        return await make()
    except BadParameter as problem:
        return error(400, f"400 Bad Request: {problem}")
    except _NoIndex:
        return error(503, "503 Service Unavailable: this release has no search index; "
                     "rebuild it with `pledge-graph build`")
    except sqlite3.OperationalError as problem:
        if "interrupted" in str(problem):
            return error(503, "503 Service Unavailable: the search took too long; narrow it")
        raise


def _link(path: str, params: list[tuple[str, str]]) -> str:
    return path + ("?" + urlencode(params) if params else "")


def _workbench(query: str) -> str:
    return "/query?query=" + quote(query)


async def pledges(request: Request) -> Response:
    """``/pledges``: one page of the selection, its facets with counts, and links to the
    same selection as CSV and as a SPARQL query."""
    async def make() -> Response:
        selection, view = await _view(request)
        pages = max(1, -(-view.total // selection.size))
        facets = [{"facet": f, "options": view.counts[f.name][:SHOWN_VALUES],
                   "more": len(view.counts[f.name]) > SHOWN_VALUES,
                   "sparql": _workbench(count_query(selection, f))} for f in FACETS]
        chosen = [{"facet": BY_NAME[n], "label": view.labels.get(v, v),
                   "drop": _link("/pledges", selection.params(drop=(n, v)))}
                  for n, v in selection.filters]
        return render(
            request, "pledges.html", selection=selection, view=view, facets=facets,
            chosen=chosen, pages=pages, excerpt=EXCERPT,
            add=lambda name, value: _link("/pledges", selection.params(add=(name, value))),
            page_link=lambda n: _link("/pledges", selection.params(page=n)),
            csv_link=_link("/pledges.csv", selection.params(page=1)),
            sparql_link=_workbench(list_query(selection)), local=_local(request))
    return await _answer(request, make)


async def pledges_csv(request: Request) -> Response:
    """``/pledges.csv``: every pledge of the selection, one row each."""
    async def make() -> Response:
        _, view = await _view(request, every_row=True)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["pledge", "label", "actors", "actor_labels", "date", "language", "text"])
        for row in view.rows:
            writer.writerow([row["iri"], row["label"], " ".join(a for a, _ in row["actors"]),
                             " | ".join(label for _, label in row["actors"]), row["date"],
                             row["language"], row["text"]])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": 'attachment; filename="pledges.csv"'})
    return await _answer(request, make)


async def by_facet(request: Request) -> Response:
    """``/pledges/by/{facet}``: every value of a facet with its count, each a link into
    the list narrowed to it."""
    name = request.path_params["facet"]
    if name not in BY_NAME:
        return error(404, f"404 Not Found: no facet {name[:80]!r}; the facets are "
                     f"{', '.join(BY_NAME)}")

    async def make() -> Response:
        selection, view = await _view(request)
        facet = BY_NAME[name]
        return render(request, "facet.html", facet=facet, values=view.counts[name],
                      add=lambda value: _link("/pledges", selection.params(add=(name, value))),
                      sparql_link=_workbench(count_query(selection, facet)),
                      local=_local(request))
    return await _answer(request, make)


def render(request: Request, template: str, **context: object) -> Response:
    """Render a page of the browser (the same templates as the other pages)."""
    return HTMLResponse(_ENV.get_template(template).render(
        request_path=request.scope["path"], **context))


def _local(request: Request) -> Any:
    """Turn an IRI under the base into this server's path (other IRIs stay as they are)."""
    base = request.app.state.settings.iris.base

    def local(iri: str) -> str:
        return "/" + iri[len(base):] if iri.startswith(base) else iri
    return local
