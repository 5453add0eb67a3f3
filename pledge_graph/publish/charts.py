"""The release's charts: counts asked of the release by SPARQL, drawn as SVG when it is built.

Each chart of :data:`CHARTS` is one SPARQL query and a Vega-Lite specification of how to
draw its answer. When a release is built, the query runs over the release's own graph (the
N-Triples dump, with the ontology for the labels of its terms, in the default graph as the
endpoint has them), so a chart's numbers are the endpoint's answer to the very query the
statistics page shows. For each chart the release holds ``chart-<name>.csv`` (the answer in
the SPARQL 1.1 CSV results format), ``chart-<name>.vl.json`` (the specification with its
data) and ``chart-<name>.svg`` (drawn by vl-convert, which bundles Vega-Lite and fetches
nothing), and ``charts.json`` lists them all with their titles, alt texts and queries.

Only the dump's lines a query can read are loaded: those whose predicate the chart queries
name, ``rdf:type`` lines only where they name the class too. So the queries name every
predicate they follow and every class they match (no variable in a predicate's place, a
class variable only among named classes, as ``VALUES`` gives them); the tests hold each
chart's numbers equal to the same query's answer over HTTP on the whole release.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from pledge_graph.mapping.authorities import ACTOR_KINDS
from pledge_graph.paths import CHARTS_INDEX, QUERIES_DIR
from pledge_graph.publish.drawing import VEGA_LITE, draw

__all__ = ["CHARTS", "INDEX", "M49_REGIONS", "Chart", "alt_text", "chart_queries",
           "query_iris", "write_charts"]

INDEX = CHARTS_INDEX
"""The file listing the charts, in the release directory."""
MAX_BARS = 30
"""Bars a chart draws (per panel); its table and CSV hold every row."""
M49_REGIONS = {"002": "Africa", "019": "Americas", "142": "Asia", "150": "Europe",
               "009": "Oceania"}
"""The UN M49 regions (standard country or area codes for statistical use)."""

_RDF_TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_PREFIXES = """PREFIX pg:     <{base}ontology/>
PREFIX rdfs:   <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
"""


def _example_body(name: str) -> str:
    """An example query's text (queries/NAME.rq) without its comments and prefixes: a chart
    that shows one adds up what the published query adds up, the same way."""
    text = (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.lstrip().startswith(("#", "PREFIX ")))


@dataclass(frozen=True)
class Chart:
    """One chart: the query (``{base}`` is the release's base) and what to draw from its
    answer: bars of ``value`` per ``category``, split into panels by ``panel`` or stacked
    by ``stack``."""

    name: str
    title: str
    about: str
    """What is counted or summed, said on the page beside the chart."""
    query: str
    category: str
    value: str
    value_title: str
    panel: str | None = None
    stack: str | None = None


_KINDS = " ".join(f"pg:{name}" for name in ACTOR_KINDS.values())
_REGIONS = " ".join(f'("{code}" "{name}")' for code, name in M49_REGIONS.items())

CHARTS: tuple[Chart, ...] = (
    Chart("pledges-by-group", "Pledges per rights-holder group",
          "How many pledges name each rights-holder group of the concept scheme. A pledge "
          "usually serves several groups, so the bars add up to more than the pledges.",
          """SELECT ?group ?label (COUNT(DISTINCT ?pledge) AS ?pledges)
WHERE {
  ?pledge a pg:Pledge ; pg:rightsHolderGroup ?group .
  ?group skos:prefLabel ?label .
  FILTER(langMatches(lang(?label), "en"))
}
GROUP BY ?group ?label
ORDER BY DESC(?pledges) ?label ?group
""", "label", "pledges", "Pledges"),
    Chart("pledges-by-actor-kind", "Pledges per kind of pledging actor",
          "How many pledges were made by States and by each kind of non-State actor. A joint "
          "pledge counts once for each kind among its actors.",
          f"""SELECT ?kind ?label (COUNT(DISTINCT ?pledge) AS ?pledges)
WHERE {{
  VALUES ?kind {{ {_KINDS} }}
  ?pledge a pg:Pledge ; pg:pledgedBy ?actor .
  ?actor a ?kind .
  ?kind rdfs:label ?label .
  FILTER(langMatches(lang(?label), "en"))
}}
GROUP BY ?kind ?label
ORDER BY DESC(?pledges) ?label ?kind
""", "label", "pledges", "Pledges"),
    Chart("pledges-by-region", "Pledges per region of the pledging State",
          "How many pledges were made by States of each UN M49 region (pg:m49Region, given "
          "only where it was checked). Pledges by States whose region the graph does not "
          "record, and by non-State actors, have bars of their own; a joint pledge counts "
          "once for each region among its actors.",
          f"""SELECT ?region ?code (COUNT(DISTINCT ?pledge) AS ?pledges)
WHERE {{
  ?pledge a pg:Pledge ; pg:pledgedBy ?actor .
  OPTIONAL {{
    ?actor pg:m49Region ?code .
    OPTIONAL {{ VALUES (?code ?name) {{ {_REGIONS} }} }}
  }}
  OPTIONAL {{ ?actor a pg:State . BIND(true AS ?state) }}
  BIND(COALESCE(?name, CONCAT("M49 region ", ?code),
                IF(BOUND(?state), "State, region not recorded", "Not a State")) AS ?region)
}}
GROUP BY ?region ?code
ORDER BY DESC(?pledges) ?region
""", "region", "pledges", "Pledges"),
    Chart("funding-by-recipient", "Funding pledged per recipient and currency",
          "The sums of the funding commitments to each recipient, per currency, as the "
          "example query funding-by-recipient adds them: each commitment once, by its whole "
          "sum (a recurring one by its stated total; at least and ranges at their lower "
          "bound); sums it cannot add (a yearly sum with no number of years, an up-to sum, "
          "digits that read two ways) are counted under notSummed, money already given is "
          "left out, and no currency is converted into another. A recipient that is no "
          "known organisation is listed under the name the pledge gives.",
          _example_body("funding-by-recipient"), "recipientLabel", "total", "Amount pledged",
          panel="currency"),
    Chart("treaty-actions", "Treaty actions per treaty",
          "How many treaty actions (ratification, accession, signature, withdrawal of a "
          "reservation) the pledges commit to, per treaty and kind of action; a pledge only "
          "to consider the step counts too.",
          """SELECT ?treaty ?treatyLabel ?action ?actionLabel (COUNT(DISTINCT ?fact) AS ?actions)
WHERE {
  ?fact a pg:TreatyAction ; pg:treaty ?treaty ; pg:actionType ?action .
  ?treaty rdfs:label ?treatyLabel .
  FILTER(langMatches(lang(?treatyLabel), "en") || lang(?treatyLabel) = "")
  ?action rdfs:label ?actionLabel .
  FILTER(langMatches(lang(?actionLabel), "en"))
}
GROUP BY ?treaty ?treatyLabel ?action ?actionLabel
ORDER BY ?treatyLabel ?actionLabel ?treaty ?action
""", "treatyLabel", "actions", "Treaty actions", stack="actionLabel"),
)


def chart_queries(base: str) -> dict[str, str]:
    """Each chart's SPARQL query, with the prefixes of ``base``."""
    return {c.name: _PREFIXES.format(base=base) + c.query for c in CHARTS}


def write_charts(directory: Path, base: str, ontology: str, dump: str = "pledge-graph.nt", *,
                 answers: Mapping[str, ox.QuerySolutions] | None = None,
                 drawer: subprocess.Popen[str] | None = None) -> tuple[list[str], str | None]:
    """Write every chart's files into the release in ``directory``; return their names, and
    why the charts were not drawn when they could not be (their other files are written).

    The answers are the ones given (each chart's query's answer over the release, as a
    build adds them up from its batches: :mod:`~pledge_graph.publish.chart_parts`), or else
    each query's answer over the release's N-Triples dump and ``ontology`` (its Turtle).
    ``drawer`` is a drawing child started beforehand (:func:`~.drawing.renderer`).
    """
    queries = chart_queries(base)
    if answers is None:
        store = _store(directory / dump, ontology, queries.values())
        answers = {name: _solutions(store.query(query)) for name, query in queries.items()}
    listed, names = [], [INDEX]
    for chart in CHARTS:
        answer = answers[chart.name]
        columns = [v.value for v in answer.variables]
        table = answer.serialize(format=ox.QueryResultsFormat.CSV) or b""
        rows = list(csv.DictReader(io.StringIO(table.decode("utf-8"))))
        spec = _spec(chart, rows)
        files = {kind: f"chart-{chart.name}.{kind}" for kind in ("csv", "vl.json")}
        (directory / files["csv"]).write_bytes(table)
        (directory / files["vl.json"]).write_text(_json(spec), encoding="utf-8")
        listed.append({"name": chart.name, "title": chart.title, "about": chart.about,
                       "alt": spec["description"], "query": queries[chart.name],
                       "columns": columns, "rows": rows, "files": files, "spec": spec})
    drawn = draw([{"spec": c.pop("spec"), "title": c["title"], "description": c["alt"]}
                  for c in listed], drawer)
    if isinstance(drawn, list):
        for entry, svg in zip(listed, drawn, strict=True):
            entry["files"]["svg"] = f"chart-{entry['name']}.svg"
            (directory / entry["files"]["svg"]).write_text(svg, encoding="utf-8")
            entry["width"], entry["height"] = _size(svg)
    for entry in listed:
        names += entry["files"].values()
    (directory / INDEX).write_text(_json({"charts": listed}), encoding="utf-8")
    problem = None if isinstance(drawn, list) else (
        f"charts published without their drawings (tables, CSV and Vega-Lite files only): "
        f"{drawn}")
    return sorted(names), problem


def _solutions(answer: object) -> ox.QuerySolutions:
    assert isinstance(answer, ox.QuerySolutions)
    return answer


def _json(value: object) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _store(dump: Path, ontology: str, queries: Iterable[str]) -> ox.Store:
    """An in-memory store of the ontology and the dump's lines the queries can read."""
    named = {f"<{iri}>".encode() for query in queries for iri in query_iris(query)}
    store = ox.Store()
    with open(dump, "rb") as source:
        kept = b"".join(_lines(source, named))
    store.bulk_load(kept, format=ox.RdfFormat.N_TRIPLES)
    store.bulk_load(ontology.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return store


def query_iris(query: str) -> set[str]:
    """Every IRI a query names, written in full or as a prefixed name."""
    declared = dict(re.findall(r"PREFIX\s+([\w-]*):\s*<([^>]*)>", query))
    full = set(re.findall(r"<([^<>\s]*)>", query))
    names = {declared[p] + local for p, local in
             re.findall(r"(?<![\w<?])([A-Za-z][\w-]*):([A-Za-z_][\w-]*)", query)
             if p in declared}
    return full | names


def _lines(lines: Iterable[bytes], named: set[bytes]) -> Iterator[bytes]:
    """The N-Triples lines whose predicate is in ``named`` (IRIs written ``<...>``), and the
    ``rdf:type`` lines whose class is."""
    for line in lines:
        words = line.split(b" ", 3)
        if len(words) < 3:
            continue
        if words[1] == _RDF_TYPE:
            if words[2] in named:
                yield line
        elif words[1] in named:
            yield line


def _number(text: str) -> float:
    try:
        return float(Decimal(text))
    except (InvalidOperation, ValueError):
        return 0.0


def _spec(chart: Chart, rows: list[dict[str, str]]) -> dict[str, Any]:
    """The Vega-Lite specification of a chart over ``rows`` (at most :data:`MAX_BARS` bars
    a panel, the largest)."""
    shown = _shown(chart, rows)
    data = [{**row, chart.value: _number(row[chart.value])} for row in shown]
    encoding: dict[str, Any] = {
        "y": {"field": chart.category, "type": "nominal", "title": None,
              "sort": {"field": chart.value, "op": "sum", "order": "descending"},
              "axis": {"labelLimit": 400}},
        "x": {"field": chart.value, "type": "quantitative", "title": chart.value_title,
              "axis": {"format": "~s", "tickCount": 5} if chart.panel
              else _count_axis(chart, shown)},
        "tooltip": [{"field": f} for f in (chart.category, chart.stack, chart.panel, chart.value)
                    if f],
    }
    if chart.stack:
        encoding["color"] = {"field": chart.stack, "type": "nominal", "title": None,
                             "legend": {"orient": "bottom"}}
    spec: dict[str, Any] = {
        "$schema": f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE.split('.')[0]}.json",
        "title": chart.title, "description": alt_text(chart, rows),
        "data": {"values": data}, "width": 480,
        # a browser's sans-serif may be wider than the one the labels were measured with
        "padding": {"left": 40, "top": 5, "right": 5, "bottom": 5},
        "config": {"font": "sans-serif", "view": {"stroke": None}},
    }
    if chart.panel:
        encoding["y"]["sort"] = None
        spec["facet"] = {"row": {"field": chart.panel, "type": "nominal", "title": None,
                                 "header": {"labelAngle": 0, "labelAlign": "left",
                                            "labelFontWeight": "bold"}}}
        spec["spec"] = {"mark": "bar", "encoding": encoding, "width": 480}
        spec["resolve"] = {"scale": {"x": "independent", "y": "independent"}}
        del spec["width"]
    else:
        spec.update({"mark": "bar", "encoding": encoding})
    return spec


def _totals(chart: Chart, rows: list[dict[str, str]]) -> dict[str, float]:
    """The length of each bar (the sum of its stacked parts)."""
    totals: dict[str, float] = {}
    for row in rows:
        key = row[chart.category]
        totals[key] = totals.get(key, 0.0) + _number(row[chart.value])
    return totals


def _count_axis(chart: Chart, rows: list[dict[str, str]]) -> dict[str, object]:
    """An axis of counts: whole numbers only, however few."""
    longest = max(_totals(chart, rows).values(), default=1)
    return {"format": ",d", "tickCount": int(min(longest, 10))}


def _shown(chart: Chart, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows a chart draws: the largest bars of each panel."""
    panels: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        panels.setdefault(row[chart.panel] if chart.panel else "", []).append(row)
    out = []
    for panel in panels.values():
        totals = _totals(chart, panel)
        top = set(sorted(totals, key=lambda k: (-totals[k], k))[:MAX_BARS])
        out += [row for row in panel if row[chart.category] in top]
    return out


def alt_text(chart: Chart, rows: list[dict[str, str]]) -> str:
    """A chart said in words: what it shows and its largest values (the table has all)."""
    if not rows:
        return f"{chart.title}: bar chart with no bars; this release has nothing to count."
    parts = []
    for row in rows[:10]:
        what = row[chart.category]
        if chart.panel:
            what += f" ({row[chart.panel]})"
        if chart.stack:
            what += f", {row[chart.stack]}"
        parts.append(f"{what}: {row[chart.value]}")
    more = f"; and {len(rows) - 10} more rows, listed in the table" if len(rows) > 10 else ""
    shown = f" (the {MAX_BARS} largest bars of each panel are drawn)" if len(rows) > MAX_BARS \
        else ""
    return (f"{chart.title}, a bar chart of {chart.value_title.lower()}{shown}. "
            + "; ".join(parts) + more + ".")


def _size(svg: str) -> tuple[int, int]:
    """The width and height an SVG's root element gives."""
    root = svg[:svg.index(">")]
    sizes = [re.search(rf'\b{name}="(\d+)', root) for name in ("width", "height")]
    width, height = (int(m.group(1)) if m else 0 for m in sizes)
    return width, height
