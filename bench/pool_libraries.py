"""A runaway query: ``pledge_graph.store.pool.ProcessPool`` beside the process pools of the
standard library and loky, on how soon the next query is answered.

    python bench/pool_libraries.py [--runs 3] [--size 200]

pyoxigraph cannot interrupt a query, so a query past its time limit can only be ended by
ending its process. Each pool gets one worker and the same on-disk store (``--size``
literals); it runs a query that counts a three-way cross product (``--size`` cubed rows,
seconds of work) with a limit of one second, then a one-row query. For each pool the
script prints when the caller got its error (the limit) and how long the one-row query
took after that: a pool that cannot stop the runaway's process makes the next query wait
for the runaway to end. Medians over ``--runs`` runs, with the load average.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import loky
import pyoxigraph as ox

from pledge_graph.errors import QueryTimeout
from pledge_graph.store import sandbox
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.pool import ProcessPool

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ONE_ROW = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
JSON = {"solutions": "application/sparql-results+json"}
LIMIT = 1.0

Trial = Callable[[Path], tuple[float, float]]
"""Runs the runaway then the one-row query; returns (seconds to the error, seconds the
one-row query took after it)."""


def run_query(path: str, sparql: str) -> bytes:
    """What a library's worker runs: open the store read-only and answer one query."""
    return EmbeddedStore(Path(path), read_only=True).query(sparql, media_types=JSON).body


def _futures(submit: Callable[[str], concurrent.futures.Future[bytes]]) -> tuple[float, float]:
    started = time.perf_counter()
    try:
        submit(RUNAWAY).result(timeout=LIMIT)
    except concurrent.futures.TimeoutError:
        pass  # the future cannot be cancelled once running: its worker goes on
    failed = time.perf_counter()
    submit(ONE_ROW).result()
    return failed - started, time.perf_counter() - failed


def standard_futures(path: Path) -> tuple[float, float]:
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        pool.submit(run_query, str(path), ONE_ROW).result()  # the worker is started
        return _futures(lambda q: pool.submit(run_query, str(path), q))


def loky_executor(path: Path) -> tuple[float, float]:
    pool = loky.get_reusable_executor(max_workers=1)
    pool.submit(run_query, str(path), ONE_ROW).result()
    try:
        return _futures(lambda q: pool.submit(run_query, str(path), q))
    finally:
        pool.shutdown(wait=True)


def multiprocessing_pool(path: Path) -> tuple[float, float]:
    with multiprocessing.get_context("forkserver").Pool(1) as pool:
        pool.apply(run_query, (str(path), ONE_ROW))
        started = time.perf_counter()
        try:
            pool.apply_async(run_query, (str(path), RUNAWAY)).get(timeout=LIMIT)
        except multiprocessing.TimeoutError:
            pass
        failed = time.perf_counter()
        pool.apply(run_query, (str(path), ONE_ROW))
        return failed - started, time.perf_counter() - failed


def process_pool(path: Path) -> tuple[float, float]:
    pool = ProcessPool(path, workers=1, timeout=LIMIT)
    try:
        pool.query(ONE_ROW, media_types=JSON)
        started = time.perf_counter()
        try:
            pool.query(RUNAWAY, media_types=JSON)
        except QueryTimeout:
            pass
        failed = time.perf_counter()
        pool.query(ONE_ROW, media_types=JSON)
        return failed - started, time.perf_counter() - failed
    finally:
        pool.close()


def _store(directory: Path, size: int) -> Path:
    path = directory / "store"
    store = ox.Store(str(path))
    p = ox.NamedNode("http://example.org/p")
    store.extend([ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), p, ox.Literal(i),
                          ox.DefaultGraph()) for i in range(size)])
    store.flush()
    del store
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=200)
    args = parser.parse_args()
    if sandbox.available() is not None:  # compared here: stopping a query, not isolation
        os.environ[sandbox.ENV] = "allowed"
    trials: dict[str, Trial] = {
        "ProcessPool": process_pool,
        "concurrent.futures": standard_futures,
        "loky": loky_executor,
        "multiprocessing.Pool": multiprocessing_pool,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = _store(Path(tmp), args.size)
        alone = time.perf_counter()
        run_query(str(path), RUNAWAY)
        print(f"load average {os.getloadavg()[0]:.2f}; the runaway alone: "
              f"{time.perf_counter() - alone:.1f} s; limit {LIMIT:g} s; {args.runs} runs")
        for name, trial in trials.items():
            results = [trial(path) for _ in range(args.runs)]
            error = statistics.median(r[0] for r in results)
            after = statistics.median(r[1] for r in results)
            print(f"{name:21} error after {error:.2f} s; next query answered {after:.3f} s "
                  "later (medians)")


if __name__ == "__main__":
    main()
