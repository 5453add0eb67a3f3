"""Load test on loopback: many connections mixing example queries, dereferencing and dump
downloads against `pledge-graph serve` on the 10k corpus, first without and then with a
runaway query every few seconds.

    python bench/load.py [--seconds 60] [--connections 32] [--runaway-every 10] [--timeout 5]

Passes when no normal request fails, every runaway query ends in the server's timeout
error, and the p99 latency of normal requests with runaways is within 3x the p99 without.
The server's memory is sampled twice a second as the proportional set size of it and all its
descendants (the query workers share the system's page cache of the on-disk store, or with
``--in-memory`` the in-memory copy of the graph with the process they are forked from; PSS
counts shared pages once). The phases start once the server says it has answered the
example queries. Writes bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field

import httpx
from harness import BIN, free_port, median, serve, tree_pss_mb
from run import (
    _save,
    example_queries,
    pledge_paths,
    release,
    wait_for_descriptions,
    wait_for_memory,
)

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
DEREF_TYPES = ("text/turtle", "application/ld+json", "text/html")
DUMPS = ("pledge-graph.ttl.gz", "void.ttl", "catalog.ttl")


@dataclass
class Phase:
    """What one phase of the load observed."""

    latencies_ms: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    runaway_sent: int = 0
    runaway_timed_out: int = 0
    runaway_other: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies_ms) or [0.0]
        return {
            "requests": len(self.latencies_ms) + len(self.failed),
            "failed": len(self.failed),
            "failures": self.failed[:10],
            "p50_ms": median(ordered),
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            "rss_max_mb": max(self.rss_mb, default=0.0),
            "rss_first_mb": self.rss_mb[0] if self.rss_mb else 0.0,
            "rss_last_mb": self.rss_mb[-1] if self.rss_mb else 0.0,
            "runaway_sent": self.runaway_sent,
            "runaway_timed_out": self.runaway_timed_out,
            "runaway_other": self.runaway_other[:5],
        }


def _requests(paths: list[str]) -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    """The normal requests: (method, path, headers, form) in a fixed, shuffled order: each
    example query once, 200 pledges in three media types, dump downloads (about 4 %, 92 %
    and 3 % of the requests)."""
    mix: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
    for query in example_queries().values():
        accept = "text/turtle" if "CONSTRUCT" in query or "DESCRIBE" in query \
            else "application/sparql-results+json"
        mix.append(("POST", "/sparql", {"Accept": accept}, {"query": query}))
    for i, path in enumerate(paths):
        mix.append(("GET", path, {"Accept": DEREF_TYPES[i % 3]}, {}))
    mix += [("GET", f"/dumps/{name}", {}, {}) for name in DUMPS] * 2
    random.Random(1).shuffle(mix)
    return mix


async def _worker(client: httpx.AsyncClient, mix: list, start: int, deadline: float,
                  phase: Phase) -> None:
    i = start
    while time.monotonic() < deadline:
        method, path, headers, form = mix[i % len(mix)]
        i += 1
        began = time.perf_counter()
        try:
            response = await client.request(method, path, headers=headers, data=form or None)
            await response.aread()
            ok = response.status_code < 400
            what = f"{method} {path} -> {response.status_code} {response.text[:90]!r}"
        except httpx.HTTPError as error:
            ok, what = False, f"{method} {path} -> {type(error).__name__}"
        if ok:
            phase.latencies_ms.append((time.perf_counter() - began) * 1000)
        else:
            phase.failed.append(what)


async def _runaways(client: httpx.AsyncClient, every: float, deadline: float,
                    phase: Phase) -> None:
    while time.monotonic() + every < deadline:
        await asyncio.sleep(every)
        phase.runaway_sent += 1
        try:
            response = await client.post("/sparql", data={"query": RUNAWAY},
                                         headers={"Accept": "application/sparql-results+json"})
            if response.status_code == 503 and "limit" in response.text:
                phase.runaway_timed_out += 1
            else:
                phase.runaway_other.append(f"{response.status_code} {response.text[:120]}")
        except httpx.HTTPError as error:
            phase.runaway_other.append(type(error).__name__)


async def _sample(pid: int, deadline: float, phase: Phase) -> None:
    while time.monotonic() < deadline:
        phase.rss_mb.append(tree_pss_mb(pid))
        await asyncio.sleep(0.5)


async def _phase(url: str, pid: int, mix: list, args: argparse.Namespace,
                 runaway: bool) -> Phase:
    phase = Phase()
    deadline = time.monotonic() + args.seconds
    limits = httpx.Limits(max_connections=args.connections + 1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        tasks = [_worker(client, mix, n * 7, deadline, phase) for n in range(args.connections)]
        tasks.append(_sample(pid, deadline, phase))
        if runaway:
            tasks.append(_runaways(client, args.runaway_every, deadline, phase))
        await asyncio.gather(*tasks)
    return phase


def main(argv: list[str] | None = None) -> int:
    """Run both phases against one server; print and save the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runaway-every", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=5.0, help="the server's --timeout")
    args = parser.parse_args(argv)
    work = release("10k")
    port = free_port()
    argv_ = [str(BIN / "pledge-graph"), "serve", "--data", str(work / "data"),
             "--out", str(work / "dist"), "--host", "127.0.0.1", "--port", str(port),
             "--timeout", str(args.timeout)]
    url = f"http://127.0.0.1:{port}"
    mix = _requests(pledge_paths(work))
    log = work / "load.log"
    with serve(argv_, url + "/sparql?query=ASK%7B%7D", seconds=600, log=log) as server:
        wait_for_memory(log)
        wait_for_descriptions(log)
        baseline = asyncio.run(_phase(url, server.pid, mix, args, runaway=False))
        mixed = asyncio.run(_phase(url, server.pid, mix, args, runaway=True))
    result = {"seconds": args.seconds, "connections": args.connections,
              "runaway_every_s": args.runaway_every, "timeout_s": args.timeout,
              "baseline": baseline.summary(), "with_runaway": mixed.summary()}
    _save("load", result)
    print(json.dumps(result, indent=2))
    base, run = result["baseline"], result["with_runaway"]
    ok = (base["failed"] == 0 and run["failed"] == 0
          and run["runaway_timed_out"] == run["runaway_sent"] > 0
          and run["p99_ms"] <= 3 * base["p99_ms"])
    print("load test:", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
