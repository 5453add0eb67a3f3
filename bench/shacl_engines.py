"""SHACL engines side by side: the W3C test suite, and the project's shapes batch by batch.

    python bench/shacl_engines.py w3c SUITE        # SUITE: data-shapes-test-suite/tests[/core]
    python bench/shacl_engines.py project [--data DIR]... [--pledges N] [--runs 3]

``w3c`` runs every ``sht:Validate`` test under SUITE's manifest with each installed engine
and compares ``sh:conforms`` and the set of (focus node, path, constraint component,
severity) of the results with the expected report; an engine that raises on a test that
expects a report has refused it (a test that expects ``sht:Failure`` passes on an error).

``project`` checks the project's shapes with each engine on the shape fixtures of the tests,
then on the batches a build makes of the bundled data and of each ``--data`` directory (and,
with ``--pledges``, of a corpus that bench/generate.py writes and ``pledge-graph import``
reads, seed 1), batch by batch as the build does, with the shared resources last, and on
the same batches damaged as the tests damage them. Every engine's findings are compared,
field by field, with pyshacl's; the times are medians of ``--runs`` runs per batch, wall
and CPU (an engine may use threads; a build already runs one worker per CPU).

The engines are pyshacl (the reference), ``build`` (what the build checks every batch with:
``pledge_graph.validation.shacl_compiled``, given N-Triples terms as the build gives them, so W3C tests
with blank nodes are refused there) and whichever of ``shacl``, ``pyshacl-turbo``,
``shacl-rust`` and ``pyrudof`` are installed (the ``bench`` extra pins the versions
measured). With ``--pyshacl-every N``, pyshacl checks every N-th batch of a corpus and the
shared resources, and the engines are held against ``build`` on the other batches. Results
go to bench/results/shacl-engines-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from pledge_graph.build.batches import BATCH_RECORDS, Context, make_context, map_batch
from pledge_graph.build.pipeline import input_digest
from pledge_graph.mapping.pledges import build_triples, scheme_triples
from pledge_graph.paths import DATA_DIR, DEFAULT_BASE
from pledge_graph.publish.files import dump_tools
from pledge_graph.rdf.ntriples import Triple, iri, nt_term, rdflib_term
from pledge_graph.rdf.vocab import RDF, SH, XSD, Iris
from pledge_graph.validation import validate
from pledge_graph.validation.report import Finding
from pledge_graph.validation.shacl_compiled import compile_shapes
from pledge_graph.validation.shapes import shapes_graph, shapes_text

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"
Checker = Callable[[Sequence[Triple]], list[Finding]]
Key = tuple[str, str, str, str]  # focus, path, component, severity
SEVERITIES = {name: f"{SH}{name}" for name in ("Violation", "Warning", "Info")}


# ----------------------------------------------------------------------------------------
# Terms as each engine writes them, made comparable
# ----------------------------------------------------------------------------------------

def term(text: str | None) -> str:
    """An N-Triples term as rdflib (and so pyshacl) holds it; "" for none or a blank node."""
    if not text or text.startswith("_:"):
        return ""
    return nt_term(rdflib_term(text))


def simple_path(text: str | None) -> str:
    """A result path as the project's findings keep it: a predicate IRI, else ""."""
    if not text or not text.startswith("<") or text.count("<") != 1 or not text.endswith(">"):
        return ""
    return text


def nt_data(triples: Sequence[Triple]) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


def path_key(text: str) -> str:
    """A SPARQL property path compared loosely: without spaces, parentheses and brackets."""
    return "".join(c for c in text if c not in " ()<>\t\n")


def render_path(graph: Graph, node: Node | None) -> str:
    """A SHACL path node of a report graph in SPARQL property path syntax."""
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if (node, RDF.first, None) in graph:
        return "(" + "/".join(render_path(graph, n) for n in Collection(graph, node)) + ")"
    for predicate, form in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "({})*"),
                            (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
        inner = graph.value(node, predicate)
        if inner is not None:
            return form.format(render_path(graph, inner))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(render_path(graph, n) for n in Collection(graph, alternatives)) + ")"
    return "_:"


def without_manifest(graph: Graph) -> Graph:
    """A test file's shapes without its manifest and expected report (SHACL terms that are
    no shapes, which an engine that refuses what it does not implement would refuse)."""
    drop = [o for o in graph.objects(None, URIRef(MF + "result"))]
    seen: set[Node] = set()
    while drop:
        node = drop.pop()
        if node in seen:
            continue
        seen.add(node)
        for _, p, o in list(graph.triples((node, None, None))):
            graph.remove((node, p, o))
            if isinstance(o, BNode):
                drop.append(o)
    for s, p, o in list(graph):
        if str(p).startswith((MF, SHT)) or str(o).startswith((MF, SHT)):
            graph.remove((s, p, o))
    return graph


def node_key(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return "_:"
    return nt_term(node)


def report_keys(graph: Graph, report: Node | None = None) -> tuple[bool, set[Key]]:
    """(conforms, result keys) of a sh:ValidationReport in an rdflib graph."""
    if report is None:
        report = next(graph.subjects(RDF.type, SH.ValidationReport))
    keys = set()
    for result in graph.objects(report, SH.result):
        keys.add((node_key(graph.value(result, SH.focusNode)),
                  path_key(render_path(graph, graph.value(result, SH.resultPath))),
                  str(graph.value(result, SH.sourceConstraintComponent)),
                  str(graph.value(result, SH.resultSeverity))))
    conforms = graph.value(report, SH.conforms)
    return bool(conforms.toPython()) if isinstance(conforms, Literal) else False, keys


def text_key(focus: str, path: str | None, component: str, severity: str) -> Key:
    """The key of a result whose terms an engine gives as N-Triples text."""
    focus = "_:" if focus.startswith("_:") else term(focus)
    return focus, path_key(path or ""), component.strip("<>"), severity.strip("<>")


# ----------------------------------------------------------------------------------------
# The engines
# ----------------------------------------------------------------------------------------

@dataclass
class Engine:
    """One SHACL engine: how to prepare the project's shapes, how to run a W3C test."""

    name: str
    version: str
    prepare: Callable[[str, Graph], Checker]
    w3c: Callable[[Path, Path], tuple[bool, set[Key]]]


def _pyshacl() -> Engine:
    def prepare(text: str, shapes: Graph) -> Checker:
        return lambda triples: validate.check_with_pyshacl(triples, shapes)

    def w3c(data: Path, shapes: Path) -> tuple[bool, set[Key]]:
        _, report, _ = pyshacl.validate(Graph().parse(data), shacl_graph=Graph().parse(shapes),
                                        inference="none")
        return report_keys(report)
    return Engine("pyshacl", pyshacl.__version__, prepare, w3c)


def _build() -> Engine:
    def prepare(text: str, shapes: Graph) -> Checker:
        return compile_shapes(shapes).check

    def w3c(data: Path, shapes: Path) -> tuple[bool, set[Key]]:
        compiled = compile_shapes(without_manifest(Graph().parse(shapes)))
        triples = [(node_key(s) if isinstance(s, BNode) else nt_term(s), nt_term(p),
                    nt_term(o)) for s, p, o in Graph().parse(data)]
        found = compiled.check(triples)
        return not found, {(f.focus, path_key(f.path), f.component, f.severity)
                           for f in found}
    return Engine("build", "pledge-graph", prepare, w3c)


def _shacl() -> Engine:
    import shacl

    def findings(report: Any) -> list[Finding]:
        return [Finding(r.severity_iri, term(r.focus_node), term(r.source_shape),
                        simple_path(r.path), term(r.value), r.message or "", r.component_iri)
                for r in report.results]

    def prepare(text: str, shapes: Graph) -> Checker:
        compiled = shacl.Shapes.from_turtle(text)
        return lambda triples: findings(compiled.validate_text(
            nt_data(triples), format="ntriples", allow_warnings=True))

    def w3c(data: Path, shapes: Path) -> tuple[bool, set[Key]]:
        report = shacl.Shapes.from_file(str(shapes)).validate_file(str(data))
        return report.conforms, {text_key(r.focus_node, r.path, r.component_iri,
                                          r.severity_iri) for r in report.results}
    return Engine("shacl", shacl.__version__, prepare, w3c)


def _pyshacl_turbo() -> Engine:
    import pyshacl_turbo

    def prepare(text: str, shapes: Graph) -> Checker:
        compiled = pyshacl_turbo.compile_shapes(text, shacl_graph_format="turtle")

        def check(triples: Sequence[Triple]) -> list[Finding]:
            _, report, _ = compiled.validate(nt_data(triples), data_graph_format="nt",
                                             allow_warnings=True)
            return validate._findings(report)
        return check

    def w3c(data: Path, shapes: Path) -> tuple[bool, set[Key]]:
        _, report, _ = pyshacl_turbo.validate(str(data), shacl_graph=str(shapes))
        return report_keys(report)
    return Engine("pyshacl-turbo", pyshacl_turbo.__version__, prepare, w3c)


def _shacl_rust() -> Engine:
    import shacl_rust

    def findings(report: dict[str, Any]) -> list[Finding]:
        return [Finding(r["severity"].strip("<>"), term(r["focusNode"]),
                        term(r.get("sourceShape")), simple_path(r.get("resultPath")),
                        term(r.get("value")), (r.get("messages") or [""])[-1],
                        r["sourceConstraintComponent"].strip("<>"))
                for r in report["results"]]

    def prepare(text: str, shapes: Graph) -> Checker:
        return lambda triples: findings(shacl_rust.validate(nt_data(triples), text,
                                                            data_format="nt"))

    def w3c(data: Path, shapes: Path) -> tuple[bool, set[Key]]:
        report = shacl_rust.validate_file(str(data), str(shapes))
        return report["conforms"], {text_key(r["focusNode"], r.get("resultPath"),
                                             r["sourceConstraintComponent"], r["severity"])
                                    for r in report["results"]}
    return Engine("shacl-rust", shacl_rust.__version__, prepare, w3c)


RUDOF_PREFIXES = {"xsd:": str(XSD), "rdf:": str(RDF)}


def _rudof_term(text: str | None) -> str:
    """pyrudof writes IRIs bare and some datatypes as prefixed names: made N-Triples."""
    if not text:
        return ""
    if text.startswith('"'):
        end = text.rindex('"')
        datatype = text[end + 1:]
        for prefix, namespace in RUDOF_PREFIXES.items():
            if datatype.startswith("^^" + prefix):
                return f"{text[:end + 1]}^^<{namespace}{datatype[2 + len(prefix):]}>"
        return text
    if text.startswith(("_:", "<")):
        return text
    return f"<{text}>"


def _rudof_severity(text: str) -> str:
    text = text.removeprefix("Severity(").removesuffix(")")
    return SEVERITIES.get(text, text)


def _pyrudof() -> Engine:
    import pyrudof

    def findings(report: Any) -> list[Finding]:
        out = []
        for r in report:
            out.append(Finding(_rudof_severity(r.severity), term(_rudof_term(r.focus_node)),
                               term(_rudof_term(r.source_shape)),
                               simple_path(_rudof_term(r.path)), term(_rudof_term(r.value)),
                               r.message, r.constraint_component))
        return out

    def prepare(text: str, shapes: Graph) -> Checker:
        session = pyrudof.Rudof(pyrudof.RudofConfig())
        session.read_shacl(text)

        def check(triples: Sequence[Triple]) -> list[Finding]:
            session.reset_data()
            session.read_data(nt_data(triples), format=pyrudof.RDFFormat.NTriples)
            return findings(session.validate_shacl())
        return check

    def w3c(data: Path, shapes: Path) -> tuple[bool, set[Key]]:
        session = pyrudof.Rudof(pyrudof.RudofConfig())
        session.read_data(str(data), base=data.as_uri())
        session.read_shacl(str(shapes), base=shapes.as_uri())
        report = session.validate_shacl()
        return report.conforms, {text_key(_rudof_term(r.focus_node), r.path,
                                          r.constraint_component, _rudof_severity(r.severity))
                                 for r in report}
    return Engine("pyrudof", pyrudof.__version__, prepare, w3c)


def engines(names: Sequence[str] | None = None) -> list[Engine]:
    """The installed engines, pyshacl first."""
    found = []
    for make in (_pyshacl, _build, _shacl, _pyshacl_turbo, _shacl_rust, _pyrudof):
        try:
            engine = make()
        except ImportError:
            continue
        if names is None or engine.name in names:
            found.append(engine)
    return found


# ----------------------------------------------------------------------------------------
# The W3C SHACL test suite
# ----------------------------------------------------------------------------------------

@dataclass
class W3CTest:
    name: str
    data: Path
    shapes: Path
    failure: bool  # the test expects the engine to fail
    conforms: bool
    keys: set[Key]


def w3c_tests(manifest: Path) -> Iterator[W3CTest]:
    """Every sht:Validate test under ``manifest``, following mf:include."""
    graph = Graph().parse(manifest, format="turtle")

    def mf(name: str) -> URIRef:
        return URIRef(MF + name)

    def sht(name: str) -> URIRef:
        return URIRef(SHT + name)
    for include in sorted(graph.objects(None, mf("include")), key=str):
        yield from w3c_tests(Path(str(include).removeprefix("file://")))
    for entries in graph.objects(None, mf("entries")):
        for test in Collection(graph, entries):
            if (test, RDF.type, sht("Validate")) not in graph:
                continue
            action = graph.value(test, mf("action"))
            result = graph.value(test, mf("result"))
            data = Path(str(graph.value(action, sht("dataGraph"))).removeprefix("file://"))
            shapes = Path(str(graph.value(action, sht("shapesGraph"))).removeprefix("file://"))
            name = str(test).removeprefix("file://")
            if result == sht("Failure"):
                yield W3CTest(name, data, shapes, True, False, set())
            else:
                conforms, keys = report_keys(graph, result)
                yield W3CTest(name, data, shapes, False, conforms, keys)


def run_w3c(suite: Path, chosen: list[Engine], verbose: bool) -> dict[str, Any]:
    root = suite.resolve()
    tests = list(w3c_tests(root / "manifest.ttl"))
    print(f"W3C SHACL tests under {suite}: {len(tests)}", flush=True)
    table: dict[str, Any] = {}
    for engine in chosen:
        counts = {"pass": 0, "fail": 0, "refused": 0}
        failed, refused = [], []
        started = time.perf_counter()
        for test in tests:
            name = os.path.relpath(test.name, root)
            try:
                conforms, keys = engine.w3c(test.data, test.shapes)
            except Exception as error:  # noqa: BLE001 - an engine's refusal takes many forms
                if test.failure:
                    counts["pass"] += 1
                else:
                    counts["refused"] += 1
                    refused.append(f"{name}: {type(error).__name__}: {str(error)[:120]}")
                continue
            if not test.failure and conforms == test.conforms and keys == test.keys:
                counts["pass"] += 1
            else:
                counts["fail"] += 1
                failed.append(name)
                if verbose:
                    print(f"  {engine.name} {name}: conforms {conforms} (expected "
                          f"{test.conforms}{', failure' if test.failure else ''})\n"
                          f"    expected only {sorted(test.keys - keys)[:3]}\n"
                          f"    engine only {sorted(keys - test.keys)[:3]}")
        seconds = time.perf_counter() - started
        table[engine.name] = {**counts, "version": engine.version, "seconds": seconds,
                              "failed": failed, "refused": refused}
        print(f"{engine.name:>14} {engine.version:>12}: {counts['pass']:3d} pass, "
              f"{counts['fail']:3d} fail, {counts['refused']:3d} refused  ({seconds:.1f} s)"
              + (f"; fails {', '.join(failed)}" if failed else ""), flush=True)
    return {"suite": str(suite), "tests": len(tests), "engines": table}


# ----------------------------------------------------------------------------------------
# The project's shapes, batch by batch as the build checks them
# ----------------------------------------------------------------------------------------

def context(data_dir: Path) -> Context:
    """The build's context for ``data_dir`` (as ``build.check`` makes it, writing nothing)."""
    iris = Iris(DEFAULT_BASE)
    names, compactor = dump_tools(DEFAULT_BASE)
    return make_context(iris, input_digest(data_dir, DEFAULT_BASE), data_dir,
                        shapes_graph(), scheme_triples(iris.base), names, compactor,
                        write=False, pyshacl_all=False)


@dataclass
class Batch:
    name: str
    pledges: int
    triples: list[Triple]


def build_batches(data_dir: Path) -> Iterator[Batch]:
    """The batches a build of ``data_dir`` checks, the shared resources last."""
    ctx = context(data_dir)
    paths = sorted((data_dir / "records").glob("*.yaml"))
    shared: set[Triple] = set()
    submissions: list[str] = []
    for index, start in enumerate(range(0, len(paths), BATCH_RECORDS)):
        batch = map_batch(ctx, paths[start:start + BATCH_RECORDS])
        shared |= batch.shared
        submissions += [sub.iri for sub in batch.submissions]
        yield Batch(f"batch {index}", sum(len(s.pledge_lines) for s in batch.submissions),
                    batch.data)
    shared.update(ctx.scheme)
    shared.update(build_triples(iri(ctx.iris.build(ctx.digest)), ctx.digest, ctx.iris,
                                submissions))
    yield Batch("shared", 0, sorted(shared))


WRONG = [f'"0"^^<{XSD}positiveInteger>', '"text"', '"text"@fr', f'"12"^^<{XSD}integer>',
         f'"1.5e3"^^<{XSD}double>', f'"x"^^<{XSD}hexBinary>', f'"2023-13"^^<{XSD}gYearMonth>']


def damaged(triples: Sequence[Triple], seed: int) -> list[Triple]:
    """Drop, retype, duplicate and redirect some triples (as tests/validation/test_shacl_compiled.py)."""
    rng = random.Random(seed)
    subjects = sorted({s for s, _, _ in triples})
    out: list[Triple] = []
    for s, p, o in triples:
        roll = rng.random()
        if roll < 0.06:
            continue
        if roll < 0.10:
            out.append((s, p, rng.choice([*WRONG, rng.choice(subjects)])))
            continue
        out.append((s, p, o))
        if roll < 0.13:
            out.append((s, p, rng.choice(subjects) if o[0] == "<"
                        else f'"7"^^<{XSD}nonNegativeInteger>'))
    return out


@dataclass
class Tally:
    """One engine on one set of batches."""

    batches: int = 0
    agreed: int = 0
    errors: int = 0
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    build_batches: int = 0
    build_agreed: int = 0
    """Batches pyshacl skipped, where the engine is compared with the build's fast path."""
    components: Counter[str] = field(default_factory=Counter)
    """Findings of one engine only, by constraint component ("pyshacl only" or "engine only")."""


def _timed(check: Checker, triples: Sequence[Triple], runs: int
           ) -> tuple[list[Finding], float, float]:
    walls, cpus = [], []
    found: list[Finding] = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        found = check(triples)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return found, statistics.median(walls), statistics.median(cpus)


def _difference(batch: str, reference: set[Finding], found: set[Finding]) -> str:
    ref_only, engine_only = sorted(reference - found), sorted(found - reference)
    return (f"{batch}: {len(ref_only)} pyshacl only, {len(engine_only)} engine only; e.g. "
            f"pyshacl {ref_only[:1]} engine {engine_only[:1]}")


def compare(what: str, batches: Iterator[Batch], checkers: dict[str, Checker], runs: int,
            timed: bool, every: int = 1) -> dict[str, Tally]:
    """Run every engine on every batch; compare with pyshacl's findings.

    pyshacl checks every ``every``-th batch (and the shared resources); on the others, each
    engine is compared with the build's own fast path (``build``) instead.
    """
    tallies = {name: Tally() for name in checkers}
    pledges = count = 0
    for index, batch in enumerate(batches):
        count += 1
        pledges += batch.pledges
        found: dict[str, set[Finding]] = {}
        for name, check in checkers.items():
            tally = tallies[name]
            if name == "pyshacl" and index % every and batch.name != "shared":
                continue
            try:
                result, wall, cpu = _timed(check, batch.triples,
                                           runs if timed and name != "pyshacl" else 1)
            except Exception as error:  # noqa: BLE001 - an engine's refusal takes many forms
                tally.errors += 1
                if len(tally.differences) < 3:
                    tally.differences.append(f"{batch.name}: {type(error).__name__}: "
                                             f"{str(error)[:160]}")
                continue
            found[name] = set(result)
            tally.wall.append(wall)
            tally.cpu.append(cpu)
        reference = found.get("pyshacl", found.get("build"))
        if reference is None:
            continue
        for name, got in found.items():
            tally = tallies[name]
            if "pyshacl" not in found:
                tally.build_batches += 1
                tally.build_agreed += got == reference
                continue
            tally.batches += 1
            if got == reference:
                tally.agreed += 1
                continue
            if len(tally.differences) < 3:
                tally.differences.append(_difference(batch.name, reference, got))
            for side, only in (("pyshacl only", reference - got),
                               ("engine only", got - reference)):
                tally.components.update(f"{f.component.rsplit('#', 1)[-1]} ({side})"
                                        for f in only)
    print(f"{what}: {count} batch(es), {pledges} pledges", flush=True)
    for name, tally in tallies.items():
        line = f"  {name:>14}: findings equal to pyshacl's on {tally.agreed}/{tally.batches}"
        if tally.build_batches and name not in ("pyshacl", "build"):
            line += (f" (to the build's on {tally.build_agreed}/{tally.build_batches} "
                     "more)")
        if tally.errors:
            line += f", {tally.errors} error(s)"
        if timed and tally.wall:
            line += (f"; per batch median {1000 * statistics.median(tally.wall):8.1f} ms wall "
                     f"{1000 * statistics.median(tally.cpu):8.1f} ms CPU; total "
                     f"{sum(tally.wall):7.2f} s wall {sum(tally.cpu):7.2f} s CPU")
        print(line, flush=True)
        if tally.components:
            print("      differing findings: " + ", ".join(
                f"{n} {c}" for c, n in tally.components.most_common()), flush=True)
        for difference in tally.differences:
            print(f"      {difference[:400]}", flush=True)
    return tallies


def fixtures() -> Iterator[Batch]:
    for path in sorted(FIXTURES.glob("*.ttl")):
        graph = Graph().parse(path)
        yield Batch(path.stem, 0, [(nt_term(s), nt_term(p), nt_term(o)) for s, p, o in graph])


def imported(pledges: int, work: Path) -> Path:
    """A generated corpus of ``pledges`` (seed 1), imported into a data directory."""
    corpus = ROOT / "bench" / "corpora" / (f"{pledges // 1000}k" if pledges % 1000 == 0
                                           else str(pledges))
    if not any(corpus.glob("*.txt")):
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--pledges",
                        str(pledges), "--seed", "1", "--out", str(corpus)], check=True)
    data = work / f"data-{pledges}"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    subprocess.run([str(Path(sys.executable).parent / "pledge-graph"), "import", str(corpus),
                    "--data", str(data)], check=True, stdout=subprocess.DEVNULL)
    return data


def _summary(tallies: dict[str, Tally]) -> dict[str, Any]:
    return {name: {"batches": t.batches, "agreed": t.agreed, "errors": t.errors,
                   "build_batches": t.build_batches, "build_agreed": t.build_agreed,
                   "median_wall_ms": 1000 * statistics.median(t.wall) if t.wall else None,
                   "median_cpu_ms": 1000 * statistics.median(t.cpu) if t.cpu else None,
                   "total_wall_s": sum(t.wall), "total_cpu_s": sum(t.cpu),
                   "differences": t.differences, "components": dict(t.components)}
            for name, t in tallies.items()}


def run_project(data_dirs: list[Path], chosen: list[Engine], runs: int,
                damage: int, every: int) -> dict[str, Any]:
    text, shapes = shapes_text(), shapes_graph()
    checkers: dict[str, Checker] = {}
    prepared: dict[str, float] = {}
    for engine in chosen:
        started = time.perf_counter()
        checkers[engine.name] = engine.prepare(text, shapes)
        prepared[engine.name] = time.perf_counter() - started
    print("shapes prepared in " + ", ".join(f"{n} {1000 * s:.0f} ms"
                                            for n, s in prepared.items()), flush=True)
    out: dict[str, Any] = {"prepare_s": prepared}
    out["fixtures"] = _summary(compare(f"shape fixtures ({FIXTURES.relative_to(ROOT)})",
                                       fixtures(), checkers, 1, False))
    for data_dir in data_dirs:
        label = "bundled data" if data_dir == DATA_DIR else str(data_dir)
        batches = list(build_batches(data_dir))
        out[label] = _summary(compare(label, iter(batches), checkers, runs, True, every))
        for seed in range(1, damage + 1):
            hurt = (Batch(b.name, b.pledges, damaged(sorted(b.triples), seed)) for b in batches)
            out[f"{label}, damaged (seed {seed})"] = _summary(compare(
                f"{label}, damaged (seed {seed})", hurt, checkers, 1, False, every))
    return out


def _save(name: str, data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data["load_average"] = os.getloadavg()
    data["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / f"shacl-engines-{name}.json").write_text(json.dumps(data, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["w3c", "project"])
    parser.add_argument("suite", nargs="?", type=Path,
                        help="w3c: the test suite's folder with manifest.ttl")
    parser.add_argument("--engines", help="comma-separated engine names (default: all)")
    parser.add_argument("--data", type=Path, action="append", default=[],
                        help="project: an imported data directory (repeatable)")
    parser.add_argument("--pledges", type=int, action="append", default=[],
                        help="project: generate and import a corpus of this many pledges")
    parser.add_argument("--runs", type=int, default=3, help="project: timed runs per batch")
    parser.add_argument("--damage", type=int, default=0,
                        help="project: also check each corpus damaged with seeds 1..N")
    parser.add_argument("--pyshacl-every", type=int, default=1, metavar="N",
                        help="project: pyshacl checks every N-th batch of a corpus (and the "
                        "shared resources); the others are held against the build's fast path")
    parser.add_argument("--verbose", action="store_true", help="w3c: show each failure")
    args = parser.parse_args(argv)
    names = args.engines.split(",") if args.engines else None
    if names is not None:
        names += [name for name in ("pyshacl", "build") if name not in names]
    chosen = engines(names)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; engines "
          + ", ".join(f"{e.name} {e.version}" for e in chosen), flush=True)
    if args.what == "w3c":
        if args.suite is None or not (args.suite / "manifest.ttl").exists():
            parser.error("w3c needs the suite's folder (with manifest.ttl)")
        _save(f"w3c-{args.suite.resolve().name}", run_w3c(args.suite, chosen, args.verbose))
        return 0
    with tempfile.TemporaryDirectory(prefix="shacl-engines.") as tmp:
        data_dirs = [DATA_DIR, *args.data]
        data_dirs += [imported(n, Path(tmp)) for n in args.pledges]
        _save("project", run_project(data_dirs, chosen, args.runs, args.damage,
                                     args.pyshacl_every))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
