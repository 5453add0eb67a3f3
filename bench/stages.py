"""Scaling of two pipeline stages on their own, in CPU time so that other work on a shared
machine does not count: fact extraction (per pledge, and against text length) and SHACL
validation of the commitments shapes (against the number of facts).

    python bench/stages.py [--runs 5]

Prints medians of several runs and the ratios that show linear growth; writes
bench/results/stages.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pyshacl import validate
from rdflib import Graph

from pledge_graph.extract import extract_facts
from pledge_graph.mapping.commitments import fact_triples
from pledge_graph.paths import SHAPES_DIR
from pledge_graph.rdf.ntriples import literal, nt_term, rdflib_graph
from pledge_graph.rdf.vocab import RDF, Iris
from pledge_graph.validation.shacl_compiled import compile_shapes

RESULTS = Path(__file__).resolve().parent / "results"
IRIS = Iris()
SENTENCES = [
    ("Japan decided to additionally provide approximately 1 million USD to OHCHR from the "
     "supplementary budget of Fiscal Year 2023."),
    "Chile will ratify the OPCAT and give USD 1 million to OHCHR from its regular budget.",
    "Germany pledges EUR 2 million to UNHCR for refugees in Sudan over 2024-2026.",
    "We will accede to the Convention on the Rights of Persons with Disabilities.",
    "The Government will train 500 officials and reach one million people by 2030.",
    "The rule of law is the foundation for protecting human rights and human dignity.",
    "We will continue to cooperate with OHCHR in various ways to promote human rights.",
    "Training of judges, lawyers and prosecutors in Yemen and Sudan will be strengthened.",
]


def _corpus(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(SENTENCES, k=rng.randint(4, 7))) for _ in range(count)]


def _cpu(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.process_time()
        action()
        times.append(time.process_time() - started)
    return statistics.median(times)


def extraction(runs: int) -> dict[str, float]:
    """CPU seconds per 100,000 pledges, and the cost of a 40-times longer text."""
    texts = _corpus(4000, seed=75)
    extract_facts(texts[0])  # the authorities are read once per process
    per_text = _cpu(lambda: [extract_facts(t) for t in texts], runs) / len(texts)
    short = " ".join(_corpus(1, seed=1))
    long = " ".join([short] * 40)
    forty_short = _cpu(lambda: [extract_facts(short) for _ in range(40)], runs)
    one_long = _cpu(lambda: extract_facts(long), runs)
    return {"cpu_s_per_100k_pledges": per_text * 100_000,
            "long_text_over_same_length_in_pieces": one_long / forty_short}


def validation(runs: int) -> dict[str, float]:
    """CPU seconds for pyshacl and the compiled shapes to check 20 and 80 pledges' facts;
    linear growth gives ratios near 4."""
    shapes = Graph().parse(SHAPES_DIR / "commitments.ttl")
    compiled = compile_shapes(shapes)
    text = SENTENCES[1]
    facts = extract_facts(text, pledgers=["Chile"])
    chile = nt_term(IRIS.state("chl"))

    def triples_of(count: int) -> list[tuple[str, str, str]]:
        out = []
        for n in range(1, count + 1):
            pledge = nt_term(IRIS.pledge("bench-2023", n))
            out.append((pledge, nt_term(RDF.type), nt_term(IRIS.ontology.Pledge)))
            out.append((pledge, nt_term(IRIS.ontology.pledgeText), literal(text, "en")))
            for fact in facts:
                out += fact_triples(fact, pledge, "bench-2023", n, text, "en", IRIS, [chile])
        return out

    small, large = triples_of(20), triples_of(80)
    check = {"shacl_graph": shapes, "inference": "none", "allow_warnings": True}
    t_small = _cpu(lambda: validate(rdflib_graph(small), **check), runs)
    t_large = _cpu(lambda: validate(rdflib_graph(large), **check), runs)
    c_small = _cpu(lambda: compiled.check(small), runs)
    c_large = _cpu(lambda: compiled.check(large), runs)
    return {"cpu_s_20_pledges": t_small, "cpu_s_80_pledges": t_large,
            "ratio_80_over_20": t_large / t_small,
            "compiled_cpu_s_20_pledges": c_small, "compiled_cpu_s_80_pledges": c_large,
            "compiled_ratio_80_over_20": c_large / c_small}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    result = {"extraction": extraction(runs), "validation": validation(runs)}
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "stages.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
