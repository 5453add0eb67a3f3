"""Hostile query texts against a real server: does one request stall the others?

    python bench/attacks_query.py [--families dots,squotes,...] [--limit 60]

For each family of adversarial text (the checks on a query must be linear in its length),
one 1 MB POST and one 8 kB GET are sent while ``GET /`` is asked every 20 ms; the table
gives each attack's status and time, and the median and largest ``GET /`` latency while it
was being handled. The worst POST and the worst GET are then sent together and ``GET /``
is measured again. The load average is printed with each figure (the machine is shared).
Results go to bench/results/attacks_query.json (not in git).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from harness import BIN, ROOT, free_port, run_child, serve

RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / "builds" / "attacks"
POST_BYTES = 999_000  # under the server's 1 MB body cap
GET_BYTES = 8_000
HEAD = "SELECT * WHERE { ?s ?p "

FAMILIES: dict[str, Callable[[int], str]] = {
    "dots": lambda n: "a." * (n // 2),
    "pname-dots": lambda n: "a:a." * (n // 4),
    "squotes": lambda n: "'" * n,
    "dquotes": lambda n: '"' * n,
    "angles": lambda n: "<" * n,
    "backslashes": lambda n: "\\" * n,
    "escaped-long": lambda n: "'''\\'" * (n // 5),
    "open-string": lambda n: HEAD + "'" + "a" * (n - len(HEAD) - 1),
    "open-iri": lambda n: HEAD + "<" + "a" * (n - len(HEAD) - 1),
    "prefixes": lambda n: "PREFIX p: <http://example.org/> " * (n // 33) + "SELECT * {}",
    "service-words": lambda n: "service." * (n // 8),
    "escapes": lambda n: "\\u0041" * (n // 6),
    "braces": lambda n: "SELECT * WHERE " + "{" * (n // 2) + "}" * (n // 2),
    "bangs": lambda n: "ASK { FILTER(" + "!" * (n - 20) + "true) }",
}


def release() -> tuple[Path, Path]:
    """Build the bundled pledges once into bench/builds/attacks; return (data, release)."""
    data, dist = WORK / "data", WORK / "dist"
    if not (dist / "manifest.json").exists():
        shutil.rmtree(WORK, ignore_errors=True)
        shutil.copytree(ROOT / "data", data)
        for source in sorted((data / "sources").glob("*.txt")):
            if not (data / "records" / f"{source.stem}.yaml").exists():
                run_child([str(BIN / "pledge-graph"), "import", str(source), "--data", str(data)])
        child = run_child([str(BIN / "pledge-graph"), "build", "--data", str(data),
                           "--out", str(dist)])
        if child.returncode:
            raise SystemExit(f"build failed: {child.stderr}")
    (dist / "manifest.json").touch()
    return data, dist


def attack(url: str, method: str, text: str, limit: float) -> dict[str, object]:
    """Send one hostile query; return its status (or the error) and how long it took."""
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=limit) as client:
            if method == "POST":
                response = client.post(url + "/sparql", content=text.encode(),
                                       headers={"Content-Type": "application/sparql-query"})
            else:
                response = client.get(url + "/sparql", params={"query": text})
        status: object = response.status_code
    except httpx.HTTPError as error:
        status = type(error).__name__
    return {"status": status, "seconds": round(time.perf_counter() - started, 3)}


def while_handled(url: str, attacks: list[tuple[str, str]], limit: float) -> dict[str, object]:
    """Send ``attacks`` (method, text) at once; meanwhile time ``GET /`` every 20 ms."""
    results: list[dict[str, object]] = [{} for _ in attacks]
    threads = [threading.Thread(target=lambda i=i, a=a: results[i].update(
        attack(url, a[0], a[1], limit))) for i, a in enumerate(attacks)]
    latencies: list[float] = []
    with httpx.Client(timeout=limit) as client:
        for thread in threads:
            thread.start()
        time.sleep(0.05)
        while any(t.is_alive() for t in threads):
            started = time.perf_counter()
            try:
                client.get(url + "/")
                latencies.append(time.perf_counter() - started)
            except httpx.HTTPError:
                latencies.append(limit)
            time.sleep(0.02)
    for thread in threads:
        thread.join()
    return {
        "attacks": results,
        "landing_median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "landing_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "landing_samples": len(latencies),
        "load_average": round(os.getloadavg()[0], 2),
    }


def quiet(url: str, samples: int = 100) -> dict[str, float]:
    """Time ``GET /`` with no attack, for the same machine load (the baseline)."""
    latencies = []
    with httpx.Client(timeout=60) as client:
        for _ in range(samples):
            started = time.perf_counter()
            client.get(url + "/")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
    return {"landing_median_ms": round(statistics.median(latencies) * 1000, 1),
            "landing_max_ms": round(max(latencies) * 1000, 1),
            "load_average": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    """Run the attacks against a fresh server; print a table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--runs", type=int, default=5,
                        help="times the worst POST and GET are sent together")
    parser.add_argument("--limit", type=float, default=60.0,
                        help="seconds an attack (and a GET /) may take before it counts as lost")
    args = parser.parse_args(argv)
    data, dist = release()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv_serve = [str(BIN / "pledge-graph"), "serve", "--data", str(data), "--out", str(dist),
                  "--host", "127.0.0.1", "--port", str(port)]
    table: dict[str, object] = {}
    with serve(argv_serve, url + "/", seconds=120, log=WORK / "serve.log"):
        httpx.get(url + "/", timeout=60)
        table["quiet"] = base = quiet(url)
        print(f"no attack: GET / median {base['landing_median_ms']} ms, max "
              f"{base['landing_max_ms']} ms (load {base['load_average']})", flush=True)
        worst: dict[str, tuple[float, str]] = {"POST": (-1.0, ""), "GET": (-1.0, "")}
        for name in args.families.split(","):
            for method, size in (("POST", POST_BYTES), ("GET", GET_BYTES)):
                row = while_handled(url, [(method, FAMILIES[name](size))], args.limit)
                table[f"{name} {method}"] = row
                done = row["attacks"][0]  # type: ignore[index]
                print(f"{name:>14} {method:4} {done['status']!s:>16} "
                      f"{done['seconds']:7.2f} s   GET / median {row['landing_median_ms']} ms, "
                      f"max {row['landing_max_ms']} ms (load {row['load_average']})", flush=True)
                if float(row["landing_max_ms"] or 0) > worst[method][0]:  # type: ignore[arg-type]
                    worst[method] = (float(row["landing_max_ms"] or 0), name)  # type: ignore[arg-type]
        both = [(method, FAMILIES[worst[method][1]](size))
                for method, size in (("POST", POST_BYTES), ("GET", GET_BYTES))]
        rows = [while_handled(url, both, args.limit) for _ in range(args.runs)]
        landing = [r["landing_median_ms"] for r in rows]
        table["worst together"] = {"post": worst["POST"][1], "get": worst["GET"][1], "runs": rows}
        print(f"worst POST ({worst['POST'][1]}) and worst GET ({worst['GET'][1]}) together, "
              f"{args.runs} runs: GET / median of medians {statistics.median(landing)} ms, "  # type: ignore[type-var]
              f"max {max(r['landing_max_ms'] for r in rows)} ms "  # type: ignore[type-var]
              f"(load {os.getloadavg()[0]:.2f})")
        table["quiet after"] = base = quiet(url)
        print(f"no attack: GET / median {base['landing_median_ms']} ms, max "
              f"{base['landing_max_ms']} ms (load {base['load_average']})", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "attacks_query.json").write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
