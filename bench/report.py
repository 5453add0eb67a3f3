"""Write the measured benchmark results into docs/benchmarks.md and docs/bench-scaling.png.

The page is generated from bench/results/*.json so that its figures are always the ones
measured; the prose around them lives here."""

from __future__ import annotations

import json
import math
from pathlib import Path

__all__ = ["write_report"]

BUILD_TARGET_S = 2.0
SIZES_PLEDGES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
STARTUP_TARGET_S = 1.0

INTRO = """# Benchmarks

How fast pledge-graph builds and serves, measured on the machine that runs its tests, with
the commands to measure it again. Every figure is a median of several runs; ratios compare
servers measured in the same run. This page is written by `python bench/run.py report` from
`bench/results/*.json` (not kept in git).

## Reproduce

```sh
pip install -e '.[bench]'                 # oxigraph, rdflib-endpoint[cli], matplotlib
apt-get install -y wrk                    # HTTP load generator (Debian)
python bench/generate.py --pledges 10000 --seed 1 --out bench/corpora/10k   # also 1k, 100k
python bench/run.py build --sizes bundled,1k,10k,100k --runs 3
python bench/run.py queries --runs 3 --seconds 5
python bench/run.py deref --runs 3 --seconds 5
python bench/run.py first --runs 3 --seconds 5   # first answers, repeated answers, memory
python bench/run.py startup
python bench/run.py site --sizes 10k --runs 3   # export-site against build
python bench/load.py --seconds 60 --connections 32
python bench/run.py report
```

Corpora come from `bench/generate.py`: deterministic (seed 1) documents in the Secretariat's
format, about three pledges each, with the real format's variation (joint pledges, six UN
languages, bold or plain labels, CRLF, no-break spaces, typographic quotes, comma or
semicolon separated rights-holder labels, funding sentences in several currencies, treaty
ratifications, mentions of UN member states). Servers bind 127.0.0.1 and are stopped by
their own PID; loads come from `wrk` (8 connections) on the same machine.

Conditions: a 2-CPU machine, which other jobs may share, so absolute times vary between
runs; each section gives the time it was measured. The figures below were taken one
benchmark after another with no other work on the machine (load average under 2); the
ratios compare servers measured one after the other in the same session. The 10k corpus is
3,230 documents and 611,958 triples (facts and their text selectors make about 60 triples
per pledge), the 100k corpus 32,220 documents and 6,099,297 triples. The release the servers
answer from is imported and built as a user would (`bench/run.py`, `release()`).
"""


def _load(results: Path, name: str) -> dict | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _build_section(data: dict) -> list[str]:
    rows = data["results"]
    lines = ["## Build: import + map + SHACL + all dumps", "",
             (f"Measured {data['measured']}. `pledge-graph import` then `pledge-graph build` "
              "into fresh folders, each with its worker processes (one per CPU). Memory: "
              "\"one\" is the largest resident set of any single process (`os.wait4`), "
              "\"all\" the largest sum over a command and its workers at one moment (sampled "
              "four times a second; pages the workers share with their parent after the fork "
              "count in each, so it is an upper bound). The floor is the same graph's I/O: "
              "pyoxigraph parsing the built N-Triples and writing Turtle, in a child process."),
             "",
             ("| corpus | documents | triples | import s | build s | total s | MiB one "
              "| MiB all | floor s | total / floor | runs |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size, r in rows.items():
        lines.append(f"| {size} | {r['documents']:.0f} | {r['triples']:,.0f} | "
                     f"{r['import_s']:.2f} | {r['build_s']:.2f} | {r['total_s']:.2f} | "
                     f"{r['peak_rss_mb']:.0f} | {r.get('peak_tree_mb', float('nan')):.0f} | "
                     f"{r['floor_s']:.2f} | {r['ratio_to_floor']:.1f}x | {r['runs']:.0f} |")
    lines += ["", "Targets:", ""]
    if "bundled" in rows:
        t = rows["bundled"]["total_s"]
        lines.append(f"- bundled data builds in under {BUILD_TARGET_S:g} s: "
                     f"{t:.2f} s, {_met(t < BUILD_TARGET_S)}")
    if "100k" in rows:
        r = rows["100k"]
        memory = r.get("peak_tree_mb", r["peak_rss_mb"])
        lines.append(f"- 100k pledges within 10x the floor: {r['ratio_to_floor']:.1f}x, "
                     f"{_met(r['ratio_to_floor'] <= 10)}; under 4 GB: {memory:.0f} MiB in all "
                     f"processes at once, {_met(memory * 2**20 < 4e9)}")
    else:
        size, r = list(rows.items())[-1]
        factor = 100_000 / SIZES_PLEDGES.get(size, 1)
        minutes, gib = r["total_s"] * factor / 60, r["peak_rss_mb"] * factor / 1024
        lines.append(f"- 100k pledges: not measured. Scaled linearly from {size} "
                     f"({r['total_s']:.0f} s, {r['peak_rss_mb']:.0f} MiB) it would take about "
                     f"{minutes:.0f} min and {gib:.0f} GiB: "
                     f"{r['total_s'] / r['floor_s']:.0f}x the floor at {size} and memory "
                     "that grows with the corpus, so neither 100k target (10x the floor, under "
                     "4 GB) is within reach of the current build")
    sized = [(s, r) for s, r in rows.items() if s != "bundled"]
    if len(sized) >= 2:
        (s0, r0), (s1, r1) = sized[0], sized[-1]
        growth = (r1["total_s"] / r0["total_s"]) / (r1["triples"] / r0["triples"])
        lines.append(f"- linear growth: from {s0} to {s1} time grows {growth:.2f}x as fast "
                     f"as the triples (1.0 is linear), {_met(growth < 1.5)}")
    return lines + ["", "![build time and memory against corpus size](bench-scaling.png)", ""]


def _queries_section(data: dict) -> list[str]:
    lines = ["## Queries over HTTP, 10k corpus, 8 connections", "",
             (f"Measured {data['measured']}. Each example query (`queries/*.rq`) and the two "
              "reference queries, sent by form POST, on `pledge-graph serve`, Oxigraph server "
              "(`serve-read-only`, the same release files) and rdflib-endpoint. The server "
              "keeps the answers it has given for the release it serves (`--cache-mb`, 128 MiB "
              "by default; a release never changes, so a kept answer is the answer), and "
              "answers the example queries once at start-up; \"uncached\" is the same server "
              "with `--cache-mb 0`, every request evaluated by a query worker."), "",
             ("| query | pledge-graph req/s | p50 ms | p99 ms | uncached req/s | Oxigraph req/s "
              "| rdflib-endpoint req/s | vs Oxigraph | uncached vs Oxigraph | vs rdflib-endpoint "
              "| errors |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    met_ox, met_unc, met_rdf = [], [], []
    missing = {"rps": float("nan"), "p50_ms": float("nan"), "p99_ms": float("nan"), "errors": 0}
    for name, row in data["results"].items():
        ours, ox = row["pledge-graph"], row["oxigraph"]
        rdf = row.get("rdflib-endpoint", missing)
        unc = row.get("pledge-graph-uncached", missing)
        vs_ox = ours["rps"] / ox["rps"] if ox["rps"] else float("nan")
        vs_unc = unc["rps"] / ox["rps"] if ox["rps"] else float("nan")
        vs_rdf = ours["rps"] / rdf["rps"] if rdf["rps"] else float("nan")
        example = not name.startswith("ref-")
        if example and not math.isnan(vs_ox):
            met_ox.append(vs_ox >= 0.5)
        if example and not math.isnan(vs_unc):
            met_unc.append(vs_unc >= 0.5)
        if example and not math.isnan(vs_rdf):
            met_rdf.append(vs_rdf >= 20)
        errors = ours["errors"] + ox["errors"] + rdf["errors"] + unc["errors"]
        lines.append(f"| {name} | {_rps(ours)} | {ours['p50_ms']:.1f} | "
                     f"{ours['p99_ms']:.1f} | {_rps(unc)} | {_rps(ox)} | {_rps(rdf)} | "
                     f"{_ratio(vs_ox, 2)} | {_ratio(vs_unc, 2)} | {_ratio(vs_rdf, 1)} | "
                     f"{errors:.0f} |")
    lines += ["", ("¹ timed alone, one request after a warm-up, not under load: a query slower "
                   "than 10 s, and every query on rdflib-endpoint, which answers one query at a "
                   "time; 0 when no answer came within 60 s. n/m: not measured."), ""]
    silent = sum(1 for name, row in data["results"].items()
                 if not name.startswith("ref-") and row.get("rdflib-endpoint", {}).get("rps") == 0)
    lines += ["", (f"Targets, on the {len(met_ox)} example queries: throughput >= 0.5x Oxigraph "
                   f"server's on {sum(met_ox)} (uncached: {sum(met_unc)} of {len(met_unc)}); "
                   f">= 20x rdflib-endpoint's on {sum(met_rdf)} of {len(met_rdf)} it answered "
                   f"(it gave no answer to {silent} within 60 s)."), ""]
    return lines


def _ratio(value: float, digits: int) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}x"


def _rps(row: dict) -> str:
    if math.isnan(row["rps"]):
        return "n/m"
    return f"{row['rps']:.2f}¹" if row.get("probe_only") else f"{row['rps']:.1f}"


def _deref_section(data: dict) -> list[str]:
    lines = ["## Dereferencing pledge IRIs, 10k corpus, 8 connections", "",
             (f"Measured {data['measured']}. GET on 200 pledge IRIs in turn, by media type, "
              "against Oxigraph server answering `DESCRIBE <iri>` as Turtle."), "",
             "| answer | req/s | p50 ms | p99 ms | vs Oxigraph DESCRIBE | errors |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, row in data["results"].items():
        lines.append(f"| {label} | {row['rps']:.1f} | {row['p50_ms']:.1f} | "
                     f"{row['p99_ms']:.1f} | {row['vs_oxigraph']:.2f}x | {row['errors']:.0f} |")
    ours = [r["vs_oxigraph"] for k, r in data["results"].items()
            if k != "oxigraph-describe" and not k.endswith("uncached")]
    lines += ["", ("The server keeps the answers it has given for the release it serves (see "
                   "the queries section); the rows marked uncached are the same server with "
                   "`--cache-mb 0`, describing every resource afresh, as it does the first time "
                   "an IRI is asked for."), "",
              (f"Target >= 0.5x Oxigraph's throughput: {sum(r >= 0.5 for r in ours)} of "
               f"{len(ours)} media types."), ""]
    return lines


def _startup_section(data: dict) -> list[str]:
    r = data["results"]
    return ["## Start-up", "",
            (f"Measured {data['measured']}. From starting `pledge-graph serve` on the bundled "
             "data (release already built) to its first answered query."), "",
            (f"Median {r['median_s']:.2f} s over {r['runs']} runs (min {r['min_s']:.2f} s, "
             f"max {r['max_s']:.2f} s); target < {STARTUP_TARGET_S:g} s: "
             f"{_met(r['median_s'] < STARTUP_TARGET_S)}."), ""]


def _load_section(data: dict) -> list[str]:
    r = data["results"]
    base, mixed = r["baseline"], r["with_runaway"]
    return ["## Load: mixed traffic with runaway queries", "",
            (f"Measured {data['measured']}. `bench/load.py`: {r['connections']} connections "
             f"for {r['seconds']} s per phase on the 10k corpus, mixing example queries, "
             "dereferencing (Turtle, JSON-LD, HTML) and dump downloads; the second phase adds "
             f"a runaway query every {r['runaway_every_s']:g} s."), "",
            "| phase | requests | failed | p50 ms | p99 ms | server memory max MiB (PSS) |",
            "|---|---:|---:|---:|---:|---:|",
            (f"| without runaway | {base['requests']} | {base['failed']} | "
             f"{base['p50_ms']:.1f} | {base['p99_ms']:.1f} | {base['rss_max_mb']:.0f} |"),
            (f"| with runaway | {mixed['requests']} | {mixed['failed']} | "
             f"{mixed['p50_ms']:.1f} | {mixed['p99_ms']:.1f} | {mixed['rss_max_mb']:.0f} |"),
            "",
            (f"Runaway queries: {mixed['runaway_sent']} sent, {mixed['runaway_timed_out']} "
             f"stopped with a timeout error. p99 with runaways is "
             f"{mixed['p99_ms'] / max(base['p99_ms'], 1e-9):.2f}x the p99 without (target "
             f"within 3x: {_met(mixed['p99_ms'] <= 3 * base['p99_ms'])}); failed normal "
             f"requests: {base['failed'] + mixed['failed']} (target 0)."), ""]


def _plot(rows: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sized = [(s, r) for s, r in rows.items() if s != "bundled"]
    pledges = [r["triples"] for _, r in sized]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.loglog(pledges, [r["total_s"] for _, r in sized], "o-", label="import + build")
    left.loglog(pledges, [r["floor_s"] for _, r in sized], "s--", label="I/O floor")
    left.set_xlabel("triples")
    left.set_ylabel("seconds")
    left.set_title("Build time")
    left.legend()
    right.loglog(pledges, [r["peak_rss_mb"] for _, r in sized], "o-",
                 label="import + build, largest process")
    if all("peak_tree_mb" in r for _, r in sized):
        right.loglog(pledges, [r["peak_tree_mb"] for _, r in sized], "^-",
                     label="import + build, all processes")
    right.loglog(pledges, [r["floor_rss_mb"] for _, r in sized], "s--", label="I/O floor")
    right.set_xlabel("triples")
    right.set_ylabel("peak RSS (MiB)")
    right.set_title("Peak memory")
    right.legend()
    for axis, (size, r) in ((left, s) for s in sized):
        axis.annotate(size, (r["triples"], r["total_s"]))
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def write_report(results: Path, docs: Path) -> None:
    """Write docs/benchmarks.md (and the plot) from whatever results exist."""
    lines = [INTRO]
    from export_site import site_section
    from first import first_section

    sections = (("build", _build_section), ("queries", _queries_section),
                ("deref", _deref_section), ("first", first_section), ("site", site_section),
                ("startup", _startup_section), ("load", _load_section))
    for name, section in sections:
        data = _load(results, name)
        if data is None:
            lines += [f"## {name.capitalize()}", "", "Not measured yet.", ""]
            continue
        lines += section(data)
        if name == "build":
            _plot(data["results"], docs / "bench-scaling.png")
    hotspots = results.parent / "hotspots.md"
    if hotspots.exists():
        lines.append(hotspots.read_text())
    (docs / "benchmarks.md").write_text("\n".join(lines).rstrip() + "\n")
