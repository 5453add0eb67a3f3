"""Attack: fifty runaway queries at once, from one address, against `pledge-graph serve` on
the 10k corpus; meanwhile, how fast a resource page, a dump, a kept answer and a small
query are answered, against the same probes on the quiet server.

    python bench/attacks_runaway.py [--size 10k] [--attackers 50] [--seconds 40]
                                    [--timeout 10] [--runaway QUERY]

Each attacker sends a runaway query (a cross join whose count runs past the time limit
without passing the memory limit), waits for the answer, and sends the next one, for the
whole phase. The probes run one after another from another thread: an uncached resource
page (HTML, a pledge not asked for before), a dump (`/dumps/void.ttl`), a kept answer (an
example query, answered at start-up) and a small query (`SELECT ?p ?o WHERE { <pledge> ?p
?o }`, a pledge not asked for before). Passes when the medians of pages, dumps and kept
answers under attack stay under 200 ms, and every small query is answered within the time
limit. The load average is read every second; memory is the proportional set size of the
server and all its processes. Writes bench/results/attacks_runaway.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from harness import BIN, free_port, median, serve, tree_pss_mb
from run import _save, example_queries, pledge_paths, release, wait_for_memory

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a a ?t . ?b a ?u . ?c a ?v }"
SMALL = "SELECT ?p ?o WHERE {{ <https://w3id.org/pledge-graph{path}> ?p ?o }}"
KEPT = "pledges-by-rights-holder"
SRJ = "application/sparql-results+json"
PROBES = ("page", "dump", "kept", "small")


@dataclass
class Phase:
    """What one phase observed: probe latencies, runaway outcomes, load and memory."""

    latencies_ms: dict[str, list[float]] = field(
        default_factory=lambda: {p: [] for p in PROBES})
    failed: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    load: list[float] = field(default_factory=list)
    pss_mb: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        table: dict[str, object] = {}
        for probe, values in self.latencies_ms.items():
            ordered = sorted(values) or [0.0]
            table[probe] = {"n": len(values), "median_ms": round(median(ordered), 1),
                            "p90_ms": round(ordered[int(len(ordered) * 0.9)], 1),
                            "max_ms": round(ordered[-1], 1)}
        return {"probes": table, "failed": self.failed[:10],
                "runaway_outcomes": dict(self.outcomes),
                "load_average_1m": {"mean": round(sum(self.load) / max(1, len(self.load)), 2),
                                    "max": max(self.load, default=0.0)},
                "pss_max_mb": round(max(self.pss_mb, default=0.0))}


def outcome(response: httpx.Response) -> str:
    """How a runaway ended, in a word."""
    text = response.text
    if response.status_code != 503:
        return f"HTTP {response.status_code}"
    if "longer than" in text:
        return "time limit"
    if "memory" in text:
        return "memory limit"
    if "queue" in text:
        return "queue full"
    if "long queries" in text:
        return "stopped for others"
    return "other 503"


async def attack(url: str, runaway: str, attackers: int, deadline: float,
                 phase: Phase) -> None:
    limits = httpx.Limits(max_connections=attackers + 1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        async def one(n: int) -> None:
            sent = 0
            while time.monotonic() < deadline:
                sent += 1
                try:
                    response = await client.post(
                        "/sparql", data={"query": f"{runaway} # {n}.{sent}"},
                        headers={"Accept": SRJ})
                    phase.outcomes[outcome(response)] += 1
                except httpx.HTTPError as error:
                    phase.outcomes[type(error).__name__] += 1

        await asyncio.gather(*(one(n) for n in range(attackers)))


def ask(client: httpx.Client, probe: str, path: str, kept: str) -> httpx.Response:
    """Send one probe: the page of ``path``, a dump, the kept answer, a small query."""
    if probe == "page":
        return client.get(path, headers={"Accept": "text/html"})
    if probe == "dump":
        return client.get("/dumps/void.ttl")
    query = kept if probe == "kept" else SMALL.format(path=path)
    return client.post("/sparql", data={"query": query}, headers={"Accept": SRJ})


def probe(url: str, paths: list[str], kept: str, deadline: float, phase: Phase,
          limit: float) -> None:
    """Probe page, dump, kept answer and small query in turn until ``deadline``."""
    with httpx.Client(base_url=url, timeout=120) as client:
        for path in paths:
            if time.monotonic() > deadline:
                break
            for name in PROBES:
                began = time.perf_counter()
                response = ask(client, name, path, kept)
                took = (time.perf_counter() - began) * 1000
                if response.status_code != 200 or (name == "small" and took > limit * 1000):
                    phase.failed.append(f"{name} {path}: {response.status_code} "
                                        f"{took:.0f} ms {response.text[:80]!r}")
                phase.latencies_ms[name].append(took)
            time.sleep(0.1)


def sample(pid: int, deadline: float, phase: Phase) -> None:
    while time.monotonic() < deadline:
        phase.load.append(os.getloadavg()[0])
        phase.pss_mb.append(tree_pss_mb(pid))
        time.sleep(1.0)


def run_phase(url: str, pid: int, paths: list[str], kept: str, args: argparse.Namespace,
              attackers: int) -> Phase:
    phase = Phase()
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=sample, args=(pid, deadline, phase))]
    if attackers:
        threads.append(threading.Thread(
            target=lambda: asyncio.run(attack(url, args.runaway, attackers, deadline, phase))))
    for thread in threads:
        thread.start()
    if attackers:
        time.sleep(min(3.0, args.seconds / 4))  # the attack is under way
    probe(url, paths, kept, deadline, phase, args.timeout)
    for thread in threads:
        thread.join()
    return phase


def main(argv: list[str] | None = None) -> int:
    """Start a server, probe it quiet, then under attack; print and save the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="10k")
    parser.add_argument("--attackers", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=10.0, help="the server's --timeout")
    parser.add_argument("--runaway", default=RUNAWAY)
    args = parser.parse_args(argv)
    work = release(args.size)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv_ = [str(BIN / "pledge-graph"), "serve", "--data", str(work / "data"),
             "--out", str(work / "dist"), "--host", "127.0.0.1", "--port", str(port),
             "--timeout", str(args.timeout)]
    paths = pledge_paths(work, 400)
    kept = example_queries()[KEPT]
    log = work / "attacks_runaway.log"
    with serve(argv_, url + "/sparql?query=ASK%7B%7D", seconds=600, log=log) as server:
        wait_for_memory(log)
        quiet = run_phase(url, server.pid, paths[:60], kept, args, 0)
        attacked = run_phase(url, server.pid, paths[60:], kept, args, args.attackers)
    result = {"size": args.size, "attackers": args.attackers, "seconds": args.seconds,
              "timeout_s": args.timeout, "runaway": args.runaway, "cpus": os.cpu_count(),
              "quiet": quiet.summary(), "attacked": attacked.summary()}
    _save("attacks_runaway", result)
    print(json.dumps(result, indent=2))
    probes = attacked.summary()["probes"]
    assert isinstance(probes, dict)
    ok = (not attacked.failed and all(probes[p]["median_ms"] < 200 for p in
                                      ("page", "dump", "kept"))
          and probes["small"]["max_ms"] < args.timeout * 1000)
    print("runaway attack:", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
