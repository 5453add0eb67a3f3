"""Browse and search: one view of ``/pledges`` read from the release's index
(``search.sqlite``) beside the same view asked of the store in SPARQL (the list query and
one count query per facet, as "Open as SPARQL" shows them), on one release.

    python bench/generate.py --pledges 2000 --seed 1 --out CORPUS
    pledge-graph import CORPUS --data DATA && pledge-graph build --data DATA --out DIST
    python bench/browse_search.py DIST [--runs 9]

For each selection: the number of pledges and whether the index and SPARQL agree on it
and on every facet's counts (they differ only where the index folds accents that REGEX
keeps: ``législation`` also finds "legislation"), then the median time of each over
``--runs`` runs and their ratio; last, the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from pledge_graph.publish.search_index import FACETS, INDEX_FILE
from pledge_graph.web.browse import View, read_view
from pledge_graph.web.browse_query import Selection, count_query, list_query, parse_selection

SELECTIONS = [
    [],
    [("q", "rights")],
    [("q", "human rights"), ("language", "en")],
    [("language", "fr")],
    [("commitment", "ontology/FundingCommitment")],
    [("group", "id/rights-holders/women-and-girls"), ("q", "education")],
    [("q", "人权")],
    [("q", "الإنسان")],
    [("q", "правам")],
    [("q", "protección")],
    [("q", "législation")],
]


def by_sparql(store: ox.Store, selection: Selection) -> tuple[int, dict[str, dict[str, int]]]:
    """The selection's total and facet counts, asked of the store."""
    rows = list(store.query(list_query(selection)))  # type: ignore[arg-type]
    counts = {}
    for facet in FACETS:
        answer = store.query(count_query(selection, facet))
        counts[facet.name] = {s["value"].value: int(s["count"].value)  # type: ignore[union-attr,index]
                              for s in answer}  # type: ignore[union-attr]
    return len(rows), counts


def by_index(view: View) -> tuple[int, dict[str, dict[str, int]]]:
    return view.total, {name: {v: n for v, _, n in values}
                        for name, values in view.counts.items()}


def median_seconds(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    base = json.loads((args.release / "manifest.json").read_text())["base"]
    index = args.release / INDEX_FILE
    store = ox.Store()
    store.bulk_load(path=str(args.release / "pledge-graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    print(f"{'selection':<60} {'pledges':>7} agree {'index ms':>9} {'SPARQL ms':>9} ratio")
    for params in SELECTIONS:
        selection = parse_selection(params, base)
        agree = by_index(read_view(index, selection)) == by_sparql(store, selection)
        fast = median_seconds(functools.partial(read_view, index, selection), args.runs)
        slow = median_seconds(functools.partial(by_sparql, store, selection), args.runs)
        label = "&".join(f"{k}={v}" for k, v in params) or "(all)"
        total = read_view(index, selection).total
        print(f"{label:<60} {total:>7} {'yes' if agree else 'NO':>5} "
              f"{fast * 1000:>9.1f} {slow * 1000:>9.1f} {slow / fast:>5.1f}x")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
