"""Extraction keeps up with large registries: time grows with the text, not with the number of
names in the authorities, and 100,000 pledges take well under a minute.

Times are the process's CPU time, so that other work on a shared machine does not count."""

from __future__ import annotations

import random
import time

from test_extract_money import CASES as MONEY
from test_extract_treaties import CASES as TREATIES

from pledge_graph.extract import extract_facts

FILLER = [
    "The rule of law is the foundation for protecting human rights and human dignity.",
    "Japan uses a tailor-made approach considering each country's social and cultural values.",
    "We will continue to cooperate with OHCHR in various ways to promote human rights.",
    "The Government will work on formulating a renewed program aimed at inclusion.",
    "Training of judges, lawyers and prosecutors in Yemen and Sudan will be strengthened.",
]


def corpus(count: int, seed: int) -> list[str]:
    """Pledges of four to seven sentences drawn from the test tables and plain prose."""
    rng = random.Random(seed)
    sentences = [s for s, _ in MONEY] + [s for s, _ in TREATIES] + FILLER * 10
    return [" ".join(rng.choices(sentences, k=rng.randint(4, 7))) for _ in range(count)]


def test_a_hundred_thousand_pledges_extract_in_well_under_a_minute() -> None:
    texts = corpus(4000, seed=75)
    extract_facts(texts[0])  # authorities are read once per process
    started = time.process_time()
    facts = sum(len(extract_facts(text)) for text in texts)
    elapsed = time.process_time() - started
    assert facts > len(texts)
    assert elapsed / len(texts) * 100_000 < 60, f"{elapsed:.2f} s for {len(texts)} pledges"


def test_time_grows_linearly_with_text_length() -> None:
    short = " ".join(corpus(1, seed=1))
    long = " ".join([short] * 40)
    extract_facts(short)
    started = time.process_time()
    for _ in range(40):
        extract_facts(short)
    per_short = time.process_time() - started
    started = time.process_time()
    extract_facts(long)
    per_long = time.process_time() - started
    assert per_long < 3 * per_short
