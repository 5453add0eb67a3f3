"""First answers, repeated answers and memory, against Oxigraph server on the 10k corpus.

    python bench/run.py first [--runs 3] [--seconds 5]

First answers: every request names a different IRI (a wrk Lua script cycles through every
pledge IRI of the release), on a server that keeps no answers (``--cache-mb 0``), so each
request is described or looked up afresh (HTML, JSON-LD and Turtle read from the descriptions
the server prepared once for the release; the benchmark waits until it says they are ready,
and measures them again on a server with ``--no-prepared-descriptions``); Oxigraph
server (``serve-read-only``) gets the same IRIs as DESCRIBE and as the one-subject SELECT.
Repeated answers: the same request again and again, on the default server (answers kept).
Memory: the proportional set size (PSS) of the server's whole process tree at rest (ready,
example queries answered, descriptions prepared), its peak under the loads above and from
its start until ready, sampled twice a second, on the store on disk (the default) and on
the in-memory copy (``--in-memory``); Oxigraph server's resident memory beside it and the
stores' size on disk, with the lookup index and the prepared descriptions.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from harness import median, serve, tree_pss_mb, tree_rss_mb
from run import _get_lua, _measure, free_port, ours, oxigraph, release, wait_for_memory

from pledge_graph.store.index import INDEX_NAME
from pledge_graph.web.prepared import PREPARED_NAME

__all__ = ["bench_first", "pledge_iris"]

PLEDGE = "https://w3id.org/pledge-graph/ontology/Pledge"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
JSON = "application/sparql-results+json"
DEREF = {"turtle": "text/turtle", "json-ld": "application/ld+json",
         "n-triples": "application/n-triples", "html": "text/html"}
VARIANTS = {
    "on-disk": [],
    "in-memory": ["--in-memory"],
}
SHOWN = {"on-disk": "on disk", "in-memory": "in memory"}
"""The project's server configurations measured (each also with ``--cache-mb 0``)."""


def pledge_iris(work: Path) -> list[str]:
    """Every pledge IRI of a built release, in the dump's order."""
    dump = work / "dist" / "pledge-graph.nt"
    return [q.subject.value for q in ox.parse(path=str(dump), format=ox.RdfFormat.N_TRIPLES)
            if q.predicate.value == RDF_TYPE and q.object.value == PLEDGE]


def _select(iri: str) -> str:
    return f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"


def _query_paths(endpoint_path: str, queries: list[str]) -> list[str]:
    return [f"{endpoint_path}?query=" + urllib.parse.quote(q, safe="") for q in queries]


class Peak:
    """The largest memory figure of a process tree seen since :meth:`reset`, sampled twice
    a second in a thread (PSS for the project's tree, RSS for Oxigraph's one process)."""

    def __init__(self, pid: int, measure: object) -> None:
        self.pid, self.measure = pid, measure
        self.value = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.5):
            self.value = max(self.value, self.measure(self.pid))  # type: ignore[operator]

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.value


READY = "descriptions ready"
"""What `serve` says once every resource's page, JSON-LD and Turtle are prepared
(docs/serving.md)."""
PER_REQUEST = "pledge-graph on-disk uncached, made per request"
"""The server that makes every description when asked (`--no-prepared-descriptions`):
HTML, JSON-LD and Turtle, the formats otherwise prepared."""


@contextmanager
def _server(argv: list[str], ready: str, log: Path, said: list[str],
            meanwhile: list[float] | None = None) -> Iterator[int]:
    """A server, once it has said each of ``said``; the largest PSS of its process tree
    until then is appended to ``meanwhile`` (the descriptions being prepared)."""
    with serve(argv, ready, seconds=900, log=log) as server:
        peak = Peak(server.pid, tree_pss_mb) if meanwhile is not None else None
        for line in said:
            wait_for_memory(log, seconds=900, said=line)
        if peak is not None and meanwhile is not None:
            meanwhile.append(peak.stop())
        yield server.pid


def _prepared_line(log: Path) -> str:
    """What the server said of its prepared descriptions (how many, their size, how long)."""
    found = [line.split("pledge-graph: ", 1)[-1] for line in log.read_text().splitlines()
             if READY in line]
    return found[-1] if found else ""


def _loads(iris: list[str], base: str, runs: int, seconds: int, url: str,
           deref: bool, sparql: str) -> dict[str, dict[str, float]]:
    """The first-answer loads on one server: dereferencing in each format, then the
    one-subject lookup, every request a different IRI."""
    table = {}
    if deref:
        paths = [iri[len(base) - 1:] for iri in iris]
        for label, accept in DEREF.items():
            table[f"deref {label}"] = _measure(url, _get_lua(paths, accept), runs, seconds)
    else:
        describe = _query_paths(sparql, [f"DESCRIBE <{iri}>" for iri in iris])
        table["describe"] = _measure(url, _get_lua(describe, "text/turtle"), runs, seconds)
    lookups = _query_paths(sparql, [_select(iri) for iri in iris])
    table["lookup"] = _measure(url, _get_lua(lookups, JSON), runs, seconds)
    return table


def _repeated(iri: str, base: str, runs: int, seconds: int, url: str, deref: bool,
              sparql: str) -> dict[str, dict[str, float]]:
    """The same request again and again (kept answers on the project's server)."""
    table = {}
    if deref:
        table["deref turtle"] = _measure(url, _get_lua([iri[len(base) - 1:]], "text/turtle"),
                                         runs, seconds)
    else:
        path = _query_paths(sparql, [f"DESCRIBE <{iri}>"])
        table["describe"] = _measure(url, _get_lua(path, "text/turtle"), runs, seconds)
    table["lookup"] = _measure(url, _get_lua(_query_paths(sparql, [_select(iri)]), JSON),
                               runs, seconds)
    return table


def _served_store(work: Path) -> Path:
    """The on-disk store `serve` made for the release (the newest, if several)."""
    return max(work.glob(".dist.served/*/.store/*"), key=lambda p: p.stat().st_mtime)


def _size_mb(path: Path, leaving: tuple[str, ...] = ()) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(f.stat().st_size for f in path.rglob("*")
               if f.is_file() and f.name not in leaving) / 2**20


def bench_first(runs: int, seconds: int) -> dict[str, object]:
    """Run every measurement of the module docstring; print and return them."""
    work = release("10k")
    base = json.loads((work / "dist" / "manifest.json").read_text())["base"]
    iris = pledge_iris(work)
    results: dict[str, object] = {"iris": len(iris), "load_average": [], "servers": {}}
    servers: dict[str, dict[str, object]] = results["servers"]  # type: ignore[assignment]
    for name, extra in VARIANTS.items():
        port = free_port()
        argv, endpoint = ours(work, port)
        for cached in (False, True):
            label = f"pledge-graph {name}" + ("" if cached else " uncached")
            log = work / f"first-{name}.log"
            flags = [*argv, *extra] + ([] if cached else ["--cache-mb", "0"])
            said = ["example queries answered"] if cached else (
                ["in-memory copy"] if extra else [])
            meanwhile: list[float] = []
            with _server(flags, endpoint + "?query=ASK%7B%7D", log, [*said, READY],
                         meanwhile) as pid:
                row: dict[str, object] = {"rest_pss_mb": tree_pss_mb(pid),
                                          "starting_peak_pss_mb": meanwhile[0]}
                peak = Peak(pid, tree_pss_mb)
                url = f"http://127.0.0.1:{port}"
                row["loads"] = (_repeated(iris[0], base, runs, seconds, url, True, "/sparql")
                                if cached else
                                _loads(iris, base, runs, seconds, url, True, "/sparql"))
                row["peak_pss_mb"] = peak.stop()
                row["store_mb"] = _size_mb(_served_store(work), leaving=(INDEX_NAME, PREPARED_NAME))
                row["index_mb"] = _size_mb(_served_store(work) / INDEX_NAME)
                row["prepared_mb"] = _size_mb(_served_store(work) / PREPARED_NAME)
                row["prepared"] = _prepared_line(log)
            servers[label] = row
            results["load_average"].append(os.getloadavg()[0])  # type: ignore[attr-defined]
            _print(label, row)
    port = free_port()
    argv, endpoint = ours(work, port)
    with _server([*argv, "--cache-mb", "0", "--no-prepared-descriptions"], endpoint + "?query=ASK%7B%7D",
                 work / "first-per-request.log", []) as pid:
        row = {"rest_pss_mb": tree_pss_mb(pid)}
        peak = Peak(pid, tree_pss_mb)
        paths = [iri[len(base) - 1:] for iri in iris]
        row["loads"] = {f"deref {key}": _measure(f"http://127.0.0.1:{port}",
                                                 _get_lua(paths, DEREF[key]), runs, seconds)
                        for key in ("html", "json-ld", "turtle")}
        row["peak_pss_mb"] = peak.stop()
        row["store_mb"] = _size_mb(_served_store(work), leaving=(INDEX_NAME, PREPARED_NAME))
    servers[PER_REQUEST] = row
    results["load_average"].append(os.getloadavg()[0])  # type: ignore[attr-defined]
    _print(PER_REQUEST, row)
    port = free_port()
    argv, endpoint = oxigraph(work, port)
    with _server(argv, endpoint + "?query=ASK%7B%7D", work / "first-oxigraph.log", []) as pid:
        url = f"http://127.0.0.1:{port}"
        row = {"rest_rss_mb": tree_rss_mb(pid)}
        peak = Peak(pid, tree_rss_mb)
        row["loads"] = _loads(iris, base, runs, seconds, url, False, "/query")
        row["repeated"] = _repeated(iris[0], base, runs, seconds, url, False, "/query")
        row["peak_rss_mb"] = peak.stop()
        row["store_mb"] = _size_mb(work / "oxigraph")
    servers["oxigraph"] = row
    results["load_average"].append(os.getloadavg()[0])  # type: ignore[attr-defined]
    _print("oxigraph", row)
    results["ratios"] = ratios(servers)
    results["median_load_average"] = median(results["load_average"])  # type: ignore[arg-type]
    for label, value in results["ratios"].items():  # type: ignore[attr-defined]
        print(f"first {label:>48}: {value:.2f}x Oxigraph")
    return results


def ratios(servers: dict[str, dict[str, object]]) -> dict[str, float]:
    """Each measured request's throughput over Oxigraph's for the same request."""
    oxi = servers["oxigraph"]
    first, again = oxi["loads"], oxi["repeated"]
    found = {}
    for label, row in servers.items():
        if label == "oxigraph":
            continue
        reference = again if "uncached" not in label else first
        for load, figures in row["loads"].items():  # type: ignore[attr-defined]
            peer = reference["describe" if load.startswith("deref") else "lookup"]
            found[f"{label}: {load}"] = figures["rps"] / max(peer["rps"], 1e-9)
    return found


def _print(label: str, row: dict[str, object]) -> None:
    for load, figures in row["loads"].items():  # type: ignore[attr-defined]
        print(f"first {label:>32} {load:>16}: {figures['rps']:9.1f} req/s, p50 "
              f"{figures['p50_ms']:.1f} ms, {figures['errors']:.0f} errors", flush=True)
    memory = {k: round(v, 1) for k, v in row.items() if k.endswith("_mb")}
    print(f"first {label:>32} memory: {memory}", flush=True)



FIRST_TARGET = 0.5
REPEATED_TARGET = 1.0
REST_TARGET_MB, LOAD_TARGET_MB = 300, 512
INTRO = """Measured {measured}, load average {load:.1f} (median of the one-minute figure after
each server's loads; the 2-CPU machine was shared with other work, so absolute figures are
low and noisy, and only the ratios within this run compare). `python bench/run.py first`:
every request names a different IRI (a wrk Lua script cycles through all {iris:,} pledge
IRIs) on `pledge-graph serve --cache-mb 0`, so no answer is kept and each is read afresh, as
the first answer for an IRI is (HTML, JSON-LD and Turtle from the descriptions prepared once
per release, the rest made per request); Oxigraph server (`serve-read-only`) answers the same IRIs as
`DESCRIBE` (Turtle) and as the one-subject `SELECT ?p ?o WHERE {{ <iri> ?p ?o }}`. "on
disk" is the default server (queries on the on-disk store), "in memory" is `--in-memory`
(queries on an in-memory copy once loaded); in both, dereferencing, the one-subject lookup
and a pledge page's facts are answered in the server process by pattern reads on the
lookup index written beside the on-disk store (`store/index.py`)."""
PREPARED = """HTML, JSON-LD and Turtle are answered from the descriptions `serve` prepares
once per release, in the background at idle priority (docs/serving.md); the server said:
`{said}`. With every description made when asked for (`--no-prepared-descriptions`, on
disk, same run): HTML {html:,.0f} req/s, {html_ratio:.2f}x Oxigraph's DESCRIBE; JSON-LD
{jsonld:,.0f} req/s, {jsonld_ratio:.2f}x; Turtle {turtle:,.0f} req/s, {turtle_ratio:.2f}x."""
REPEATED = """Repeated answers: the same request again and again on the server that keeps
its answers (the default, `--cache-mb 128`)."""
MEMORY = """Memory: the proportional set size (PSS: a page shared by several processes
counts in equal parts in each) summed over the server and all its worker processes, at rest
(ready and its descriptions prepared; for the server that keeps answers, after it has
answered the example queries), its peak during the loads above (sampled twice a second) and
its peak from the start until it was ready (the descriptions being prepared, when they were
not yet); Oxigraph server's resident set (one process); the stores' size on disk, and the
lookup index's and the prepared descriptions' beside the project's."""
FIRST_ROWS = {"deref turtle": "GET an IRI as Turtle (DESCRIBE on Oxigraph)",
              "deref json-ld": "GET an IRI as JSON-LD", "deref n-triples": "GET an IRI as N-Triples",
              "deref html": "GET an IRI as HTML", "lookup": "one-subject SELECT"}
REPEATED_ROWS = {"deref turtle": "GET an IRI as Turtle", "lookup": "one-subject SELECT"}


def _table(title: str, rows: dict[str, str], servers: dict, ratio: dict, variants: list[str],
           suffix: str, peer: dict) -> list[str]:
    """A table of req/s for each variant of the project's server beside Oxigraph's."""
    shown = [SHOWN[v] for v in variants]
    lines = [f"| {title} | " + " | ".join(f"pledge-graph {v} req/s" for v in shown)
             + " | Oxigraph req/s | " + " | ".join(f"{v} vs Oxigraph" for v in shown) + " |",
             "|---|" + "---:|" * (1 + 2 * len(variants))]
    for load, label in rows.items():
        reference = peer["describe" if load.startswith("deref") else "lookup"]["rps"]
        figures = [servers[f"pledge-graph {v}{suffix}"]["loads"][load]["rps"] for v in variants]
        ratios = [ratio[f"pledge-graph {v}{suffix}: {load}"] for v in variants]
        lines.append(f"| {label} | " + " | ".join(f"{f:,.0f}" for f in figures)
                     + f" | {reference:,.0f} | " + " | ".join(f"{r:.2f}x" for r in ratios) + " |")
    return lines


def first_section(data: dict) -> list[str]:
    """The report's section for ``run.py first`` (docs/benchmarks.md)."""
    found = data["results"]
    servers, ratio = found["servers"], found["ratios"]
    variants = [v for v in VARIANTS if f"pledge-graph {v} uncached" in servers]
    oxi = servers["oxigraph"]
    lines = ["## First answers, repeated answers and memory, 10k corpus, 8 connections", "",
             INTRO.format(measured=data["measured"], load=found["median_load_average"],
                          iris=found["iris"]), ""]
    lines += _table("request, every one different", FIRST_ROWS, servers, ratio, variants,
                    " uncached", oxi["loads"])
    if PER_REQUEST in servers:
        made = servers[PER_REQUEST]["loads"]
        said = servers.get("pledge-graph on-disk uncached", {}).get("prepared", "")
        lines += ["", PREPARED.format(
            said=said or "(not said)", html=made["deref html"]["rps"],
            html_ratio=ratio[f"{PER_REQUEST}: deref html"], jsonld=made["deref json-ld"]["rps"],
            jsonld_ratio=ratio[f"{PER_REQUEST}: deref json-ld"],
            turtle=made["deref turtle"]["rps"], turtle_ratio=ratio[f"{PER_REQUEST}: deref turtle"])]
    lines += ["", REPEATED, ""]
    lines += _table("request, the same each time", REPEATED_ROWS, servers, ratio, variants,
                    "", oxi["repeated"])
    lines += ["", MEMORY, "", ("| server | at rest MiB | under load MiB | from start until ready "
              "MiB | store on disk MiB | lookup index MiB | prepared MiB |"),
              "|---|---:|---:|---:|---:|---:|---:|"]
    for label, row in servers.items():
        kind = "RSS" if label == "oxigraph" else "PSS"
        rest, peak = row.get("rest_pss_mb", row.get("rest_rss_mb")), \
            row.get("peak_pss_mb", row.get("peak_rss_mb"))
        index = f"{row['index_mb']:.0f}" if "index_mb" in row else "–"
        made = f"{row['prepared_mb']:.0f}" if "prepared_mb" in row else "–"
        starting = (f"{row['starting_peak_pss_mb']:.0f}" if "starting_peak_pss_mb" in row
                    else "–")
        lines.append(f"| {label} ({kind}) | {rest:.0f} | {peak:.0f} | {starting} "
                     f"| {row['store_mb']:.0f} | {index} | {made} |")
    return [*lines, "", *_targets(servers, ratio, variants), ""]


def _targets(servers: dict, ratio: dict, variants: list[str]) -> list[str]:
    lines = ["Targets:", ""]
    for v in variants:
        first = [r for k, r in ratio.items() if k.startswith(f"pledge-graph {v} uncached:")]
        again = [r for k, r in ratio.items() if k.startswith(f"pledge-graph {v}:")]
        rows = [servers[f"pledge-graph {v}{s}"] for s in ("", " uncached")]
        rest = max(row["rest_pss_mb"] for row in rows)
        peak = max(row["peak_pss_mb"] for row in rows)
        lines.append(
            f"- {SHOWN[v]}: first answers >= {FIRST_TARGET}x Oxigraph on "
            f"{sum(r >= FIRST_TARGET for r in first)} of {len(first)}; repeated answers >= "
            f"{REPEATED_TARGET:g}x on {sum(r >= REPEATED_TARGET for r in again)} of "
            f"{len(again)}; PSS at rest {rest:.0f} MiB (target {REST_TARGET_MB}: "
            f"{'met' if rest <= REST_TARGET_MB else 'not met'}), under load {peak:.0f} MiB "
            f"(target {LOAD_TARGET_MB}: {'met' if peak <= LOAD_TARGET_MB else 'not met'})")
    return lines
