"""Content negotiation: ``pledge_graph.web.negotiation`` beside werkzeug's ``MIMEAccept`` and
python-mimeparse, on the answers the server must give and on time per call.

    python bench/negotiation_libraries.py [--calls 20000] [--runs 5]

Each library is given what the server offers for a kind of answer, in its order of
preference, every format's main media type followed by its aliases (an alias answers with
its format). The table is the negotiation tests' (``tests/web/test_negotiation.py``):
their Accept headers (browsers, Comunica, SPARQL clients, wildcards, q-values) and those
that must be refused (406); a library agrees on a row when it picks the same format, or
refuses where the server must. Time is the median over ``--runs`` runs of ``--calls`` calls with a browser's
header, uncached. Prints one line a library and the rows where it disagrees.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import mimeparse
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from pledge_graph.web.negotiation import FORMATS, Format, Unacceptable, negotiate

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RESOURCE = ("page", "graph")


def _table() -> list[tuple[tuple[str, ...], str, str | None]]:
    """The negotiation tests' rows that carry an Accept header and no ``format`` parameter
    (which no library reads): (kinds on offer, Accept, the format's key; None: 406)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))
    from test_negotiation import CASES, UNACCEPTABLE

    keys = {f.media_type: f.key for f in FORMATS}
    rows = [(kinds, accept, keys[expected]) for kinds, accept, fmt, expected in CASES
            if accept and fmt is None]
    return rows + [(kinds, accept, None) for kinds, accept, fmt in UNACCEPTABLE
                   if accept and fmt is None]


Negotiator = Callable[[str, Sequence[str]], str | None]


def _offered(kinds: Sequence[str]) -> tuple[list[str], dict[str, Format]]:
    """The media types on offer, main type then aliases, and the format each answers in."""
    formats = list(dict.fromkeys(f for kind in kinds for f in FORMATS if kind in f.kinds))
    answers: dict[str, Format] = {}
    for f in formats:
        for media_type in (f.media_type, *f.aliases):
            answers.setdefault(media_type, f)
    return list(answers), answers


def ours(accept: str, kinds: Sequence[str]) -> str | None:
    try:
        return negotiate(accept, kinds).key
    except Unacceptable:
        return None


def werkzeug(accept: str, kinds: Sequence[str]) -> str | None:
    types, answers = _offered(kinds)
    best = parse_accept_header(accept, MIMEAccept).best_match(types)
    return answers[best].key if best else None


def python_mimeparse(accept: str, kinds: Sequence[str]) -> str | None:
    types, answers = _offered(kinds)
    try:
        # mimeparse prefers the last of equal candidates: offer the server's order reversed
        best = mimeparse.best_match(types[::-1], accept)
    except (ValueError, mimeparse.MimeTypeParseException):
        return None
    return answers[best].key if best else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    table = _table()
    print(f"load average {os.getloadavg()[0]:.2f}; {len(table)} rows; "
          f"{args.calls} calls x {args.runs} runs")
    for name, negotiator in (("pledge_graph", ours), ("werkzeug", werkzeug),
                             ("python-mimeparse", python_mimeparse)):
        wrong = []
        for kinds, accept, expected in table:
            got = negotiator(accept, kinds)
            if got != expected:
                wrong.append(f"    {accept!r} ({'/'.join(kinds)}): {got}, not {expected}")
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            for _ in range(args.calls):
                negotiator(BROWSER, RESOURCE)
            times.append((time.perf_counter() - started) / args.calls * 1e6)
        print(f"{name:17} agrees on {len(table) - len(wrong)}/{len(table)}; "
              f"{statistics.median(times):.1f} us a call (median)")
        print("\n".join(wrong))


if __name__ == "__main__":
    main()
