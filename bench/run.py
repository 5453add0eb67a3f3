"""Benchmarks: build time and memory against corpus size, query and dereferencing throughput
against Oxigraph server and rdflib-endpoint, and server start-up.

    python bench/run.py build [--sizes bundled,1k,10k,100k] [--runs 3]
    python bench/run.py queries [--runs 3] [--seconds 5]
    python bench/run.py deref [--runs 3] [--seconds 5]
    python bench/run.py startup [--runs 5]
    python bench/run.py first [--runs 3] [--seconds 5]   # first answers, memory (first.py)
    python bench/run.py site [--sizes 10k] [--runs 3] [--tmp /dev/shm]   # export-site against build
    python bench/run.py report        # docs/benchmarks.md and docs/bench-scaling.png

Each prints medians of several runs and the ratios measured in the same run, and writes
bench/results/<name>.json (not in git). Corpora come from bench/generate.py (seed 1).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import urllib.parse
from pathlib import Path

import httpx
from harness import BIN, ROOT, free_port, median, run_child, serve, wrk

from pledge_graph.sparql.lexer import query_form
from pledge_graph.store.loading import RELEASE_GRAPH_FILES

RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / "builds"
CORPORA = ROOT / "bench" / "corpora"
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
PROBE_LIMIT_S = 60.0  # a query slower than this alone counts as 0 req/s
SLOW_S = 10.0  # a query slower than this alone is measured by its probe only
ACCEPT = {"solutions": "application/sparql-results+json",
          "boolean": "application/sparql-results+json", "graph": "text/turtle"}

# The two queries of the reference figures in the project's engine notes.
REFERENCE_QUERIES = {
    "ref-analytic": """PREFIX pg: <https://w3id.org/pledge-graph/ontology/>
SELECT ?group (COUNT(?pledge) AS ?pledges) WHERE {
  ?pledge a pg:Pledge ; pg:rightsHolderGroup ?group .
} GROUP BY ?group ORDER BY DESC(?pledges)""",
    "ref-one-pledge": """SELECT ?p ?o WHERE {
  <https://w3id.org/pledge-graph/id/pledge/japan-2023/1> ?p ?o }""",
}

FLOOR = """import sys, pyoxigraph as ox
ox.serialize(ox.parse(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES),
             output=sys.argv[2], format=ox.RdfFormat.TURTLE)"""


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------


def corpus(size: str) -> Path:
    """Return the documents of a corpus size, generating the corpus when missing."""
    if size == "bundled":
        return ROOT / "data" / "sources"
    folder = CORPORA / size
    if not any(folder.glob("*.txt")):
        done = run_child([sys.executable, str(ROOT / "bench" / "generate.py"), "--pledges",
                          str(SIZES[size]), "--seed", "1", "--out", str(folder)])
        _check(done, "generate")
    return folder


def build_once(size: str) -> dict[str, float]:
    """Import and build one corpus into bench/builds/<size>; time each step and the floor."""
    work = WORK / size
    shutil.rmtree(work, ignore_errors=True)
    data = work / "data"
    shutil.copytree(ROOT / "data" / "authorities", data / "authorities")
    documents = corpus(size)
    files = len(list(documents.glob("*.txt")))
    imported = run_child([str(BIN / "pledge-graph"), "import", str(documents),
                          "--data", str(data)])
    _check(imported, "import")
    build = run_child([str(BIN / "pledge-graph"), "build", "--data", str(data),
                       "--out", str(work / "dist")])
    _check(build, "build")
    nt = work / "dist" / "pledge-graph.nt"
    floor = run_child([sys.executable, "-c", FLOOR, str(nt), str(work / "floor.ttl")])
    _check(floor, "floor")
    with nt.open("rb") as lines:
        triples = sum(1 for _ in lines)
    return {"documents": files, "triples": triples,
            "import_s": imported.seconds, "import_rss_mb": imported.max_rss_mb,
            "import_tree_mb": imported.tree_rss_mb,
            "build_s": build.seconds, "build_rss_mb": build.max_rss_mb,
            "build_tree_mb": build.tree_rss_mb,
            "total_s": imported.seconds + build.seconds,
            "peak_rss_mb": max(imported.max_rss_mb, build.max_rss_mb),
            "peak_tree_mb": max(imported.tree_rss_mb, build.tree_rss_mb),
            "floor_s": floor.seconds, "floor_rss_mb": floor.max_rss_mb}


def bench_build(sizes: list[str], runs: int) -> dict[str, dict[str, float]]:
    """Median of ``runs`` end-to-end builds of each corpus."""
    table = {}
    for size in sizes:
        n = runs
        samples = [build_once(size) for _ in range(n)]
        row = {key: median([s[key] for s in samples]) for key in samples[0]}
        row["runs"] = n
        row["ratio_to_floor"] = row["total_s"] / row["floor_s"]
        table[size] = row
        print(f"build {size:>7}: {row['total_s']:7.2f} s (import {row['import_s']:.2f} + build "
              f"{row['build_s']:.2f}), peak {row['peak_rss_mb']:.0f} MiB in one process, "
              f"{row['peak_tree_mb']:.0f} MiB in all, "
              f"{row['triples']:.0f} triples; floor {row['floor_s']:.2f} s "
              f"-> {row['ratio_to_floor']:.1f}x", flush=True)
    return table


# ---------------------------------------------------------------------------------------------
# Servers on one release
# ---------------------------------------------------------------------------------------------


def release(size: str = "10k") -> Path:
    """Return bench/builds/<size> with a release to serve, imported and built when missing.

    Its manifest is then touched so that `serve` does not take it for stale."""
    work = WORK / size
    manifest = work / "dist" / "manifest.json"
    if not manifest.exists():
        shutil.rmtree(work, ignore_errors=True)
        data = work / "data"
        shutil.copytree(ROOT / "data" / "authorities", data / "authorities")
        _check(run_child([str(BIN / "pledge-graph"), "import", str(corpus(size)),
                          "--data", str(data)]), "import")
        _check(run_child([str(BIN / "pledge-graph"), "build", "--data", str(data),
                          "--out", str(work / "dist")]), "build")
    manifest.touch()
    return work


def ours(work: Path, port: int) -> tuple[list[str], str]:
    """The project's server on a built release; its SPARQL endpoint."""
    argv = [str(BIN / "pledge-graph"), "serve", "--data", str(work / "data"),
            "--out", str(work / "dist"), "--host", "127.0.0.1", "--port", str(port)]
    return argv, f"http://127.0.0.1:{port}/sparql"


def oxigraph(work: Path, port: int) -> tuple[list[str], str]:
    """Oxigraph server, read-only, on the same release files loaded into its default graph."""
    location = work / "oxigraph"
    if not location.exists():
        files = [str(work / "dist" / n) for n in RELEASE_GRAPH_FILES
                 if (work / "dist" / n).exists()]
        for name in files:
            _check(run_child([str(BIN / "oxigraph"), "load", "--location", str(location),
                              "--file", name]), "oxigraph load")
    argv = [str(BIN / "oxigraph"), "serve-read-only", "--location", str(location),
            "--bind", f"127.0.0.1:{port}"]
    return argv, f"http://127.0.0.1:{port}/query"


def rdflib_endpoint(work: Path, port: int) -> tuple[list[str], str]:
    """rdflib-endpoint on the same release files (it serves its endpoint at /)."""
    files = [str(work / "dist" / n) for n in RELEASE_GRAPH_FILES if (work / "dist" / n).exists()]
    argv = [str(BIN / "rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port", str(port),
            *files]
    return argv, f"http://127.0.0.1:{port}/"


def ours_uncached(work: Path, port: int) -> tuple[list[str], str]:
    """The project's server keeping no answers: every request runs its query."""
    argv, endpoint = ours(work, port)
    return [*argv, "--cache-mb", "0"], endpoint


def ours_in_memory(work: Path, port: int) -> tuple[list[str], str]:
    """The project's server keeping no answers, its queries on the in-memory copy."""
    argv, endpoint = ours_uncached(work, port)
    return [*argv, "--in-memory"], endpoint


SERVERS = {"pledge-graph": ours, "oxigraph": oxigraph, "rdflib-endpoint": rdflib_endpoint,
           "pledge-graph-uncached": ours_uncached, "pledge-graph-in-memory": ours_in_memory}
COMPARED = ("pledge-graph", "oxigraph", "rdflib-endpoint")
SERIAL = {"rdflib-endpoint"}
"""Servers that answer one query at a time (the GIL): timed alone, as load only queues."""


def example_queries() -> dict[str, str]:
    """The published example queries (queries/*.rq) and the two reference queries."""
    found = {p.stem: p.read_text(encoding="utf-8")
             for p in sorted((ROOT / "queries").glob("*.rq"))}
    return {**found, **REFERENCE_QUERIES}


def _post_lua(query: str) -> str:
    body = "query=" + urllib.parse.quote(query, safe="")
    accept = ACCEPT[query_form(query) or "solutions"]
    return (f'wrk.method = "POST"\nwrk.body = "{body}"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f'wrk.headers["Accept"] = "{accept}"\n')


def _get_lua(paths: list[str], accept: str) -> str:
    listed = ",\n".join(json.dumps(p) for p in paths)
    return (f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            f'  return wrk.format("GET", paths[i], {{Accept = "{accept}"}})\nend\n')


def _probe(endpoint: str, query: str) -> float:
    """Seconds one query takes alone (after a warm-up unless it is slow), or inf past
    PROBE_LIMIT_S. A 503 (the server still busy with an earlier load) is retried."""
    accept = ACCEPT[query_form(query) or "solutions"]
    took = float("inf")
    for attempt in range(6):
        started = time.perf_counter()
        try:
            response = httpx.post(endpoint, data={"query": query}, headers={"Accept": accept},
                                  timeout=PROBE_LIMIT_S)
        except httpx.TimeoutException:
            return float("inf")
        if response.status_code == 503 and attempt < 5:
            time.sleep(3)
            continue
        if response.status_code != 200:
            return float("inf")
        previous, took = took, time.perf_counter() - started
        if took > SLOW_S or previous != float("inf"):
            break
    return took


def _measure(url: str, lua: str, runs: int, seconds: int, alone_s: float = 0.0, *,
             serial: bool = False) -> dict[str, float]:
    """wrk runs at 8 connections; a query slower than a window's share gets one long run
    (so that many requests complete in it); one slower than SLOW_S, or on a serial server,
    only its probe."""
    if alone_s > SLOW_S or serial:
        took = alone_s if alone_s != float("inf") else PROBE_LIMIT_S
        rps = 0.0 if alone_s == float("inf") else 1 / took
        return {"rps": rps, "p50_ms": took * 1000, "p99_ms": took * 1000, "errors": 0,
                "probe_only": 1}
    if alone_s * 8 * 4 > seconds:
        runs, seconds = 1, min(60, max(seconds, int(alone_s * 8 * 4) + 1))
    samples = [wrk(url, lua, connections=8, seconds=seconds) for _ in range(runs)]
    row = {key: median([s[key] for s in samples]) for key in ("rps", "p50_ms", "p99_ms")}
    row["errors"] = sum(s["errors"] for s in samples)
    row["seconds"] = seconds * runs
    return row


def wait_for_memory(log: Path, seconds: float = 300, said: str = "example queries answered"
                    ) -> None:
    """Wait until `pledge-graph serve` says it has answered the example queries once (it
    keeps their answers), or says ``said`` (``in-memory copy``: its queries run on it)."""
    deadline = time.monotonic() + seconds
    while said not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not say {said!r} (log: {log})")
        time.sleep(0.2)


def wait_for_descriptions(log: Path) -> None:
    """Wait until `pledge-graph serve` says its descriptions are prepared (written once per
    release, in the background): the server is measured at its steady state, not while
    that runs beside it."""
    wait_for_memory(log, seconds=900, said="descriptions ready")


def bench_queries(runs: int, seconds: int,
                  servers: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """Throughput and latency of every example query on each server, 8 connections."""
    work = release("10k")
    queries = example_queries()
    earlier = RESULTS / "queries.json"
    table = json.loads(earlier.read_text())["results"] if earlier.exists() else {}
    for name in queries:
        table.setdefault(name, {}).pop("ratios", None)
    for server in servers:
        port = free_port()
        argv, endpoint = SERVERS[server](work, port)
        ready = endpoint + ("&" if "?" in endpoint else "?") + "query=ASK%7B%7D"
        with serve(argv, ready, seconds=900, log=work / f"{server}.log"):
            if server in ("pledge-graph", "pledge-graph-in-memory"):
                wait_for_memory(work / f"{server}.log", said="example queries answered"
                                if server == "pledge-graph" else "in-memory copy")
            if server.startswith("pledge-graph"):
                wait_for_descriptions(work / f"{server}.log")
            for name, query in queries.items():
                alone = _probe(endpoint, query)
                row = _measure(endpoint, _post_lua(query), runs, seconds, alone,
                               serial=server in SERIAL)
                table[name][server] = row
                print(f"query {name:>24} {server:>15}: {row['rps']:9.2f} req/s, p50 "
                      f"{row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms, "
                      f"{row['errors']:.0f} errors", flush=True)
    for name, row in table.items():
        if not all(s in row for s in COMPARED):
            continue
        mine = row["pledge-graph"]["rps"]
        row["ratios"] = {"vs_oxigraph": mine / max(row["oxigraph"]["rps"], 1e-9),
                         "vs_rdflib_endpoint": mine / max(row["rdflib-endpoint"]["rps"], 1e-9)}
        for server, key in (("pledge-graph-uncached", "uncached_vs_oxigraph"),
                            ("pledge-graph-in-memory", "in_memory_vs_oxigraph")):
            if server in row:
                row["ratios"][key] = row[server]["rps"] / max(row["oxigraph"]["rps"], 1e-9)
        print(f"query {name:>24}: {row['ratios']['vs_oxigraph']:.2f}x Oxigraph, "
              f"{row['ratios']['vs_rdflib_endpoint']:.1f}x rdflib-endpoint")
    return table


def pledge_paths(work: Path, count: int = 200) -> list[str]:
    """Paths of pledge IRIs of a built release (number 1 of the first documents)."""
    slugs = sorted(p.stem for p in (work / "data" / "records").glob("*.yaml"))[:count]
    return [f"/id/pledge/{slug}/1" for slug in slugs]


def bench_deref(runs: int, seconds: int) -> dict[str, dict[str, float]]:
    """Dereferencing pledge IRIs (Turtle, JSON-LD, HTML) against Oxigraph's DESCRIBE."""
    work = release("10k")
    base = json.loads((work / "dist" / "manifest.json").read_text())["base"].rstrip("/")
    paths = pledge_paths(work)
    table: dict[str, dict[str, float]] = {}
    for server, suffix in ((ours, ""), (ours_uncached, " uncached")):
        port = free_port()
        argv, endpoint = server(work, port)
        with serve(argv, endpoint + "?query=ASK%7B%7D", seconds=600, log=work / "deref.log"):
            if not suffix:
                wait_for_memory(work / "deref.log")
            wait_for_descriptions(work / "deref.log")
            for label, accept in (("turtle", "text/turtle"), ("json-ld", "application/ld+json"),
                                  ("html", "text/html")):
                table[label + suffix] = _measure(f"http://127.0.0.1:{port}",
                                                 _get_lua(paths, accept), runs, seconds)
    port = free_port()
    argv, endpoint = oxigraph(work, port)
    describe = ["/query?query=" + urllib.parse.quote(f"DESCRIBE <{base}{p}>", safe="")
                for p in paths]
    with serve(argv, endpoint + "?query=ASK%7B%7D", seconds=600):
        table["oxigraph-describe"] = _measure(f"http://127.0.0.1:{port}",
                                              _get_lua(describe, "text/turtle"), runs, seconds)
    reference = table["oxigraph-describe"]["rps"]
    for label, row in table.items():
        row["vs_oxigraph"] = row["rps"] / max(reference, 1e-9)
        print(f"deref {label:>18}: {row['rps']:9.1f} req/s, p50 {row['p50_ms']:.1f} ms, "
              f"p99 {row['p99_ms']:.1f} ms, {row['errors']:.0f} errors, "
              f"{row['vs_oxigraph']:.2f}x Oxigraph DESCRIBE", flush=True)
    return table


def bench_startup(runs: int) -> dict[str, float]:
    """Seconds from starting `pledge-graph serve` (bundled data, built) to a first answer."""
    build_once("bundled")
    work = release("bundled")
    samples = []
    for _ in range(runs):
        port = free_port()
        argv, endpoint = ours(work, port)
        started = time.perf_counter()
        with serve(argv, endpoint + "?query=ASK%7B%7D", seconds=60):
            answered = time.perf_counter() - started
            response = httpx.get(endpoint, params={"query": "ASK {}"},
                                 headers={"Accept": ACCEPT["boolean"]})
            assert response.status_code == 200, response.text
        samples.append(answered)
    row = {"median_s": median(samples), "min_s": min(samples), "max_s": max(samples),
           "runs": runs}
    print(f"start-up: {row['median_s']:.2f} s median ({row['min_s']:.2f}-{row['max_s']:.2f})")
    return row


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _check(child: object, what: str) -> None:
    if child.returncode != 0:  # type: ignore[attr-defined]
        raise SystemExit(f"{what} failed:\n{child.stderr[-3000:]}")  # type: ignore[attr-defined]


def _save(name: str, data: object) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": data}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")


def _missing_tools(benchmark: str) -> str | None:
    """What a load benchmark needs and this machine lacks, said before any corpus is made."""
    if benchmark not in ("queries", "deref", "first"):
        return None
    if shutil.which("wrk") is None:
        return "wrk, the HTTP load generator, is not installed (Debian: apt-get install wrk)"
    if not (BIN / "oxigraph").exists():
        return (f"Oxigraph server is not installed in {BIN} "
                "(pip install -e '.[bench]' installs it)")
    return None


def main(argv: list[str] | None = None) -> int:
    """Run one benchmark (or the report) and save its results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("benchmark", choices=["build", "queries", "deref", "startup", "first",
                                              "site", "report"])
    parser.add_argument("--sizes", default="bundled,1k,10k,100k")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--servers", default=",".join(SERVERS), help="servers to query")
    parser.add_argument("--tmp", type=Path, default=None,
                        help="site: the folder the runs write in (default: the system's "
                             "temporary folder; /dev/shm measures the software alone)")
    args = parser.parse_args(argv)
    missing = _missing_tools(args.benchmark)
    if missing:
        parser.exit(2, f"bench/run.py {args.benchmark}: {missing}\n")
    if args.benchmark == "build":
        earlier = RESULTS / "build.json"
        table = json.loads(earlier.read_text())["results"] if earlier.exists() else {}
        table.update(bench_build(args.sizes.split(","), args.runs))
        order = ["bundled", *SIZES]
        _save("build", dict(sorted(table.items(), key=lambda item: order.index(item[0]))))
    elif args.benchmark == "queries":
        _save("queries", bench_queries(args.runs, args.seconds, args.servers.split(",")))
    elif args.benchmark == "deref":
        _save("deref", bench_deref(args.runs, args.seconds))
    elif args.benchmark == "first":
        from first import bench_first
        _save("first", bench_first(args.runs, args.seconds))
    elif args.benchmark == "site":
        from export_site import bench_site
        _save("site", bench_site(args.sizes.split(","), args.runs, args.tmp))
    elif args.benchmark == "startup":
        _save("startup", bench_startup(max(args.runs, 5)))
    else:
        from report import write_report
        write_report(RESULTS, ROOT / "docs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
