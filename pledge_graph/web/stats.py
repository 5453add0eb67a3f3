"""``/stats``: the release's charts, each with its numbers as a table and as CSV, its alt
text and the SPARQL query it was drawn from.

The charts are drawn when the release is built (:mod:`pledge_graph.publish.charts`), so the
page only reads ``charts.json`` from the served release and points at its files under
``/dumps/``: the SVGs are images (``<img>``), so the page needs no script and keeps to the
pages' Content-Security-Policy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from pledge_graph.paths import CHARTS_INDEX
from pledge_graph.web.browse import render
from pledge_graph.web.http import error

__all__ = ["read_charts", "statistics_page"]


def read_charts(release_dir: Path | None) -> list[dict[str, Any]] | None:
    """The charts ``charts.json`` lists (None when the release has none), each with the
    link that opens its query in the workbench."""
    path = (release_dir or Path("/nonexistent")) / CHARTS_INDEX
    if not path.is_file():
        return None
    charts: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["charts"]
    for chart in charts:
        chart["sparql"] = "/query?query=" + quote(chart["query"])
    return charts


async def statistics_page(request: Request) -> Response:
    """The statistics page; 503 for a release built before it had charts."""
    settings = request.app.state.settings
    charts = await anyio.to_thread.run_sync(read_charts, settings.release_dir)
    if charts is None:
        return error(503, "503 Service Unavailable: this release has no charts; rebuild it "
                     "with `pledge-graph build`")
    base = settings.iris.base

    def local(iri: str) -> str:
        return "/" + iri[len(base):] if iri.startswith(base) else iri
    return render(request, "stats.html", charts=charts, local=local,
                  version=settings.version)
