"""Time the pipeline on the inputs an attacker would choose: many pledges in one document,
one long pledge text of each shape the fact extractors once took quadratic time on, and
documents and records made to be expensive. Not part of the test run.

    python bench/inputs.py [--pledges 1000] [--text-kb 800] [--timeout 120] [--only NAME]

Every figure is the wall time of a child process (``pledge-graph`` or one extraction) in
seconds, with its CPU time after a slash; a child that runs out of ``--timeout`` shows as
``>N``. Linear work grows as its input: the last column is the growth from the smallest
size to the largest (in CPU time), next to the growth of the input.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

# One pledge's text, by shape: a unit repeated to the size asked for.
TEXTS: dict[str, str] = {
    "natural": ("Japan will contribute USD 1 million to OHCHR in 2024 to support the National "
                "Human Rights Commission (NHRC). Japan will ratify the OPCAT and sign the "
                "CPED. "),
    "sums in one sentence": "USD 1 million to OHCHR and Kenya, ",
    "sums without currency": "contribute 1,000,000 to ",
    "countries and bodies": "Kenya and OHCHR and UNICEF and Uganda, ",
    "unknown bodies": "the National Safety Commission of Jamaica, ",
    "quoted programmes": 'its "Safe Roads For All" initiative, ',
    "named programmes": "the National Road Safety Programme (NRSP), ",
    "treaty mentions": "ratify the CAT and the OPCAT, ",
    "its Optional Protocol": "the CRC and its Optional Protocol, ",
    "capitalised words": "Aaa Bbb ",
    "spaced digits": "1 000 ",
    "spaces": " ",
}
TEXT_TAILS = {"capitalised words": "x Agency Programme", "spaces": "x Agency",
              "spaced digits": "x"}

HEADER = ("Pledge submitted by Japan to the Human Rights 75 Secretariat\nDecember 2023\n\n"
          "Original language of submission: English\n\nType of pledge: {kind}\n\n"
          "Pledging entity: {entity}\n\n")
# One document, by shape: (type of pledge, pledging entity, body), for a size in characters.
DOCUMENTS: dict[str, Callable[[int], tuple[str, str, str]]] = {
    "indented line": lambda n: ("Single (by one state/actor)", "Japan",
                                "PLEDGE NUMBER 1: Japan will act.\n" + " " * n + "x\n"),
    "spaces before a word count": lambda n: (
        "Single (by one state/actor)", "Japan", "PLEDGE NUMBER 1: Japan will act."
        + " " * n + "(3 words)\n"),
    "many entities": lambda n: (
        "Joint (by several states/actors)",
        ", ".join(["Korea", "Republic of", "Saint Kitts", "Nevis"] * (n // 40)),
        "PLEDGE NUMBER 1: We will act.\n"),
    "many rights-holder labels": lambda n: (
        "Single (by one state/actor)", "Japan", "PLEDGE NUMBER 1: Japan will act.\n\n"
        "Sector and Rights-holders: " + ", ".join(f"group {i}" for i in range(n // 10))
        + "\n"),
    "spaced rights-holder line": lambda n: (
        "Single (by one state/actor)", "Japan", "PLEDGE NUMBER 1: Japan will act.\n\n"
        "Sector and Rights-holders: Migrants" + " " * n + "x\n"),
}


MEMORY = 3 * 2**30  # address space of a child: an alias bomb must not take the machine


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(command: Sequence[str | Path], timeout: float) -> tuple[float, float, bool]:
    """Run a child; return its wall and CPU seconds and whether it finished in time (or
    the two times the child printed last, if it printed them)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        done = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                              timeout=timeout, check=False, preexec_fn=_limit_memory)
        finished = True
        if done.returncode not in (0, 1):
            sys.exit(f"{command}: exit {done.returncode}\n{done.stderr[-2000:]}")
    except subprocess.TimeoutExpired:
        finished = False
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if finished and done.stdout.startswith("timed "):
        wall, cpu = map(float, done.stdout.split()[1:3])
    return wall, cpu, finished


def shown(wall: float, cpu: float, finished: bool, timeout: float) -> str:
    return f"{wall:6.2f}/{cpu:6.2f}" if finished else f"{'>' + str(int(timeout)):>13}"


def cli(*args: str | Path) -> list[str | Path]:
    return [sys.executable, "-m", "pledge_graph.cli", *args]


def data_dir(work: Path) -> Path:
    """A data directory with the bundled authorities and no records."""
    data = work / "data"
    shutil.copytree(DATA / "authorities", data / "authorities")
    return data


def pledges_per_document(pledges: int, timeout: float, work: Path) -> None:
    print(f"\n{pledges} pledges, import and validate (wall/cpu s)")
    times = {}
    for label, one in (("in one document", True), ("spread over documents", False)):
        folder = work / f"documents-{one}"
        generate = [sys.executable, ROOT / "bench" / "generate.py", "--pledges", str(pledges),
                    "--seed", "1", "--out", folder] + (["--one-document"] if one else [])
        subprocess.run([str(c) for c in generate], check=True, capture_output=True)
        data = data_dir(work / f"data-{one}")
        imported = run(cli("import", folder, "--data", data), timeout)
        checked = run(cli("validate", "--data", data), timeout)
        times[one] = checked[0] if checked[2] else float("inf")
        documents = len(list(folder.glob("*.txt")))
        print(f"  {label:24s} ({documents:4d}) import {shown(*imported, timeout)}"
              f"   validate {shown(*checked, timeout)}")
    print(f"  validate, one document / spread: {times[True] / times[False]:.2f}")


def one_pledge_text(sizes: list[int], timeout: float, only: str | None) -> None:
    print("\none pledge text, extract_facts alone (wall/cpu s) at "
          + ", ".join(f"{s // 1000} kB" for s in sizes))
    for name in TEXTS:
        if only and only not in name:
            continue
        cells, cpus = [], []
        for size in sizes:
            wall, cpu, finished = run([sys.executable, __file__, "--child-text", name,
                                       str(size)], timeout)
            cells.append(shown(wall, cpu, finished, timeout))
            cpus.append(cpu if finished else float("inf"))
            if not finished:
                cells += ["-" * 13] * (len(sizes) - len(cells))
                break
        growth = cpus[-1] / max(cpus[0], 1e-3) if len(cpus) == len(sizes) else float("inf")
        print(f"  {name:24s} " + " ".join(cells)
              + f"   x{growth:.1f} for x{sizes[-1] // sizes[0]}")


def hostile_documents(sizes: list[int], timeout: float, work: Path) -> None:
    print("\none document, import (wall/cpu s) at "
          + ", ".join(f"{s // 1000} kB" for s in sizes))
    for name, shape in DOCUMENTS.items():
        cells = []
        for size in sizes:
            kind, entity, body = shape(size)
            folder = work / f"doc-{len(cells)}-{abs(hash(name))}"
            folder.mkdir()
            document = folder / "hostile-2023.txt"
            document.write_text(HEADER.format(kind=kind, entity=entity) + body,
                                encoding="utf-8")
            cells.append(shown(*run(cli("import", document, "--data", data_dir(folder)),
                                    timeout), timeout))
        print(f"  {name:28s} " + " ".join(cells))


def hostile_records(timeout: float, work: Path) -> None:
    print("\nrecords, validate (wall/cpu s): refused with file and line")
    bombs = {
        "alias bomb": "\n".join(["bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]"]
                                + [f"bomb{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 10) + "]"
                                   for i in range(1, 10)]) + "\n",
        "recursive alias": "loop: &l [*l]\n",
        "5,000-digit integer": "big: " + "9" * 5000 + "\n",
    }
    for name, extra in bombs.items():
        data = work / f"records-{abs(hash(name))}"
        shutil.copytree(DATA, data)
        record = data / "records" / "japan-2023.yaml"
        record.write_text(record.read_text(encoding="utf-8") + extra, encoding="utf-8")
        print(f"  {name:28s} {shown(*run(cli('validate', '--data', data), timeout), timeout)}")


def child_text(name: str, size: int) -> None:
    """Extract the facts of one text of the shape ``name`` (in a child process)."""
    from pledge_graph.extract import extract_facts

    unit = TEXTS[name]
    text = (unit * (size // len(unit) + 1))[:size] + TEXT_TAILS.get(name, "")
    extract_facts("Japan will give USD 1 million to OHCHR.", pledgers=["Japan"])  # warm up
    wall, cpu = time.perf_counter(), time.process_time()
    extract_facts(text, pledgers=["Japan"])
    print(f"timed {time.perf_counter() - wall} {time.process_time() - cpu}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pledges", type=int, default=1000)
    parser.add_argument("--text-kb", type=int, default=800)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--only", help="run only the texts whose name holds this")
    parser.add_argument("--child-text", nargs=2, metavar=("NAME", "SIZE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_text:
        child_text(args.child_text[0], int(args.child_text[1]))
        return 0
    sizes = [args.text_kb * 1000 // 8, args.text_kb * 1000 // 4, args.text_kb * 1000 // 2,
             args.text_kb * 1000]
    with tempfile.TemporaryDirectory(prefix="bench-inputs-") as work:
        if not args.only:
            pledges_per_document(args.pledges, args.timeout, Path(work))
        one_pledge_text(sizes, args.timeout, args.only)
        if not args.only:
            hostile_documents([sizes[1], sizes[3]], args.timeout, Path(work))
            hostile_records(args.timeout, Path(work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
