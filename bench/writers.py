"""The project's own writers against the libraries that offer the same job, on one release.

pledge-graph writes its Turtle dump (``publish/turtle.py``), its JSON-LD dump
(``publish/jsonld.py``) and its curated records (``records/record_yaml.py``) with code of its
own. This measures each against the maintained libraries on the same input, in one run:

- Turtle: rdflib's and pyoxigraph's Turtle serialisers, on the release's graph;
- JSON-LD: rdflib's JSON-LD serialiser and pyld's compaction (``from_rdf`` then ``compact``)
  with the release's context, on the first ``--jsonld-triples`` triples (whole subjects);
- YAML: PyYAML's LibYAML dumper (CSafeDumper) with the project's options, on every record.

Each writer runs ``--repeat`` times; the report gives the median seconds, the ratio to the
project's writer and the load average, and says whether each library's output reads back as
the same graph (or the same records) and whether it is the same bytes on every run::

    python bench/generate.py --pledges 2000 --out /tmp/corpus
    pledge-graph import --data /tmp/data /tmp/corpus
    pledge-graph build --data /tmp/data --out /tmp/dist
    python bench/writers.py --release /tmp/dist --data /tmp/data

pyld is not a dependency of the project; without it that row is left out.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time
from collections.abc import Callable
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml
from rdflib import Graph

from pledge_graph.publish.jsonld import Compactor
from pledge_graph.publish.turtle import Names, turtle_header, turtle_rows
from pledge_graph.rdf.ntriples import Triple, rdflib_graph
from pledge_graph.records import record_yaml
from pledge_graph.records.curated import load_record, record_paths


def _rows(release: Path) -> list[Triple]:
    rows = []
    with (release / "pledge-graph.nt").open(encoding="utf-8") as lines:
        for line in lines:
            s, p, rest = line.split(" ", 2)
            rows.append((s, p, rest[:-3]))
    return sorted(rows)


def _time(write: Callable[[], Any], repeat: int) -> tuple[float, list[Any]]:
    seconds, outputs = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        outputs.append(write())
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), outputs


def _report(title: str, results: dict[str, tuple[float, list[Any]]],
            same: Callable[[Any], str]) -> None:
    print(f"\n{title}")
    base = next(iter(results.values()))[0]
    for name, (median, outputs) in results.items():
        stable = all(o == outputs[0] for o in outputs)
        print(f"  {name:34} {median:8.3f} s  {median / base:6.2f}x  "
              f"bytes stable: {'yes' if stable else 'no'}  {same(outputs[0])}")


def turtle(rows: list[Triple], prefixes: dict[str, str], nt: bytes, repeat: int) -> None:
    graph = rdflib_graph(rows)
    for prefix, namespace in prefixes.items():
        graph.bind(prefix, namespace)
    triples = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
    expected = set(triples)

    def reads_back(data: bytes) -> str:
        found = set(ox.parse(data, format=ox.RdfFormat.TURTLE))
        return "same graph" if found == expected else f"DIFFERENT graph ({len(found)} triples)"

    results = {
        "pledge-graph publish/turtle.py": _time(
            lambda: (turtle_header(prefixes) + turtle_rows(rows, Names(prefixes))).encode(),
            repeat),
        "pyoxigraph serialize (TURTLE)": _time(
            lambda: ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes),
            repeat),
        "rdflib serialize(format=turtle)": _time(
            lambda: graph.serialize(format="turtle", encoding="utf-8"), max(1, repeat // 2)),
    }
    _report(f"Turtle: {len(rows)} triples", results, reads_back)


def jsonld(rows: list[Triple], context: dict[str, Any], limit: int, repeat: int) -> None:
    part: list[Triple] = []
    for _, group in groupby(rows, key=itemgetter(0)):
        part += group
        if len(part) >= limit:
            break
    nt = "".join(f"{s} {p} {o} .\n" for s, p, o in part)
    graph = rdflib_graph(part)
    expected = set(graph)
    compactor = Compactor(context)

    def project() -> str:
        from pledge_graph.publish.jsonld import compact_rows
        nodes = compact_rows(part, compactor)
        return '{"@context": "c", "@graph": [\n' + ",\n".join(nodes) + "\n]}\n"

    def reads_back(text: str | bytes) -> str:
        document = json.loads(text)
        document["@context"] = context["@context"]
        found = set(Graph().parse(data=json.dumps(document), format="json-ld"))
        return "same graph" if found == expected else f"DIFFERENT graph ({len(found)} triples)"

    results: dict[str, tuple[float, list[Any]]] = {
        "pledge-graph publish/jsonld.py": _time(project, repeat),
        "rdflib serialize(format=json-ld)": _time(
            lambda: graph.serialize(format="json-ld", context=context["@context"],
                                    encoding="utf-8"), max(1, repeat // 2)),
    }
    try:
        from pyld import jsonld as pyld
    except ImportError:
        pyld = None
    if pyld is not None:
        results["pyld from_rdf + compact"] = _time(
            lambda: json.dumps(pyld.compact(pyld.from_rdf(nt, {"format": "application/n-quads"}),
                                            context), ensure_ascii=False),
            max(1, repeat // 2))
    _report(f"JSON-LD: {len(part)} triples", results, reads_back)


def records(data: Path, repeat: int) -> None:
    loaded = [load_record(path) for path in record_paths(data)]
    expected = [record_yaml.dump_record(r) for r in loaded]

    def libyaml() -> list[str]:
        out = []
        for record in loaded:
            record = copy.deepcopy(record)
            for pledge in record["pledges"]:
                pledge["text"] = record_yaml._Block(pledge["text"])
            out.append(yaml.dump(record, Dumper=record_yaml._Dumper, sort_keys=False,
                                 default_flow_style=False, **record_yaml._DUMP_OPTIONS))
        return out

    def safe_dump() -> list[str]:
        return [yaml.dump(r, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True,
                          width=100) for r in loaded]

    def same(texts: list[str]) -> str:
        if texts == expected:
            return "same text"
        back = [yaml.safe_load(t) for t in texts]
        return "same records, other text" if back == loaded else "DIFFERENT records"

    results = {
        "pledge-graph records/record_yaml.py": _time(
            lambda: [record_yaml.dump_record(r) for r in loaded], repeat),
        "PyYAML CSafeDumper, literal blocks": _time(libyaml, repeat),
        "PyYAML CSafeDumper (safe_dump)": _time(safe_dump, repeat),
    }
    _report(f"YAML: {len(loaded)} records", results, same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jsonld-triples", type=int, default=20_000)
    args = parser.parse_args()
    manifest = json.loads((args.release / "manifest.json").read_text(encoding="utf-8"))
    context = json.loads((args.release / "context.jsonld").read_text(encoding="utf-8"))
    from pledge_graph.rdf.vocab import Iris, prefixes
    table = prefixes(Iris(manifest["base"]))
    rows = _rows(args.release)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{os.cpu_count()} CPUs; repeats {args.repeat} (rdflib and pyld half as many)")
    records(args.data, args.repeat)
    turtle(rows, table, (args.release / "pledge-graph.nt").read_bytes(), args.repeat)
    jsonld(rows, context, args.jsonld_triples, args.repeat)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
