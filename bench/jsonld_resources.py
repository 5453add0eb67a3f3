"""What a resource's JSON-LD costs to write: the served form (the resource as the top node,
compacted by pyld with the project's context) against pyoxigraph's expanded JSON-LD (the
form served before) and rdflib's JSON-LD serialiser with the same context, on every resource
of a release (every IRI under the base that is a subject or object in the dump, and the
ontology's terms), described by the store as the server describes it.

    python bench/jsonld_resources.py --release dist [--repeat 5] [--sample 300]

Prints JSON: for each writer the median milliseconds per resource (each resource's median of
``--repeat`` runs), the slowest resource, the ratio to pyoxigraph, the answer sizes and the
load average before and after. ``--sample N`` measures N resources evenly spaced by IRI and
the largest description, for corpora too large to measure whole. Answers are written once per resource and release and then
kept (docs/serving.md, "Kept answers"), so this is the cost of a first request.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.web.framing import framed_jsonld

_NT = "application/n-triples"


def resources(release: Path, base: str) -> list[str]:
    found: set[str] = set()
    for name in ("pledge-graph.nt", "ontology.ttl"):
        for quad in ox.parse(path=str(release / name)):
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(base):
                    found.add(term.value.split("#")[0])
    return sorted(found)


def writers(context: dict[str, Any]) -> dict[str, Any]:
    def rdflib_compact(triples: list[ox.Triple], iri: str) -> bytes:
        graph = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                              format="nt")
        return graph.serialize(format="json-ld", context=context["@context"]).encode()

    return {
        "pyld-framed (served)": lambda triples, iri: framed_jsonld(triples, iri, context),
        "pyoxigraph-expanded": lambda triples, iri: ox.serialize(
            triples, format=ox.RdfFormat.JSON_LD),
        "rdflib-compacted": rdflib_compact,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, required=True, help="a built release folder")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sample", type=int, default=0, help="resources measured (0: all)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's ConjunctiveGraph notice
    manifest = json.loads((args.release / "manifest.json").read_text(encoding="utf-8"))
    context = json.loads((args.release / "context.jsonld").read_text(encoding="utf-8"))
    store = EmbeddedStore()
    store.native.load(path=str(args.release / "pledge-graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    store.native.load(path=str(args.release / "ontology.ttl"), format=ox.RdfFormat.TURTLE)
    described = []
    for iri in resources(args.release, manifest["base"]):
        body = store.resource(iri, _NT).body
        triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
        if triples:
            described.append((iri, triples))
    if args.sample and len(described) > args.sample:
        largest = max(described, key=lambda item: len(item[1]))
        step = len(described) / args.sample
        described = [described[int(i * step)] for i in range(args.sample)]
        described += [largest] if largest not in described else []
    load_before = [round(x, 2) for x in os.getloadavg()]
    report: dict[str, Any] = {"release": str(args.release), "resources": len(described),
                              "triples_median": statistics.median(len(t) for _, t in described),
                              "triples_most": max(len(t) for _, t in described)}
    for name, write in writers(context).items():
        times, sizes = [], []
        for iri, triples in described:
            runs = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                body = write(triples, iri)
                runs.append((time.perf_counter() - start) * 1000)
            times.append(statistics.median(runs))
            sizes.append(len(body))
        report[name] = {"median_ms": round(statistics.median(times), 2),
                        "slowest_ms": round(max(times), 1),
                        "median_bytes": int(statistics.median(sizes)), "most_bytes": max(sizes)}
    oxigraph = report["pyoxigraph-expanded"]["median_ms"]
    for name in writers(context):
        report[name]["ratio_to_pyoxigraph"] = round(report[name]["median_ms"] / oxigraph, 1)
    report["load_average_before"] = load_before
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
