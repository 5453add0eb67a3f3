"""Validate the mapped graph against the SHACL shapes (pyshacl), one batch of submissions at a time.

pyshacl on one big graph is slow, so the graph is cut into batches of whole submissions
(about 2000 pledges) with the scheme and the actors they use, and the shared resources
(actors, scheme, build) are checked once on their own: the cost stays linear, and batches
run in parallel worker processes. Every shape looks at one submission at most, so batching
finds exactly what one run over the whole graph would. The per-batch results are merged into
one standard SHACL report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from pledge_graph.build.parallel import in_workers, workers_for
from pledge_graph.mapping.pledges import MappedGraph, MappedSubmission
from pledge_graph.paths import DEFAULT_BASE, SHAPES_DIR
from pledge_graph.rdf.ntriples import Triple, nt_term, rdflib_graph
from pledge_graph.rdf.vocab import SH, Iris

__all__ = [
    "BATCH_PLEDGES",
    "Finding",
    "ValidationOutcome",
    "check_with_pyshacl",
    "display_path",
    "finding_order",
    "shapes_graph",
    "shapes_text",
    "validate_graph",
]

BATCH_PLEDGES = 2000


@dataclass(frozen=True, order=True)
class Finding:
    """One SHACL validation result, in a form that sorts and prints stably."""

    severity: str
    focus: str
    shape: str
    path: str
    value: str
    message: str
    component: str


@dataclass
class ValidationOutcome:
    """The merged result of validating every batch."""

    findings: list[Finding]
    locations: dict[str, str]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == str(SH.Violation)]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != str(SH.Violation)]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def report_turtle(self) -> str:
        """Return the standard SHACL report (sh:ValidationReport) as Turtle, byte-stable."""
        lines = [
            f"@prefix sh: <{SH}> .",
            "",
            "[] a sh:ValidationReport ;",
            f"    sh:conforms {'true' if self.conforms else 'false'}"
            + (" ;" if self.findings else " ."),
        ]
        for i, f in enumerate(self.findings):
            props = [("a", "sh:ValidationResult"),
                     ("sh:resultSeverity", f"<{f.severity}>"),
                     ("sh:focusNode", f.focus)]
            props += [(p, v) for p, v in (("sh:resultPath", f.path), ("sh:value", f.value),
                                          ("sh:sourceShape", f.shape)) if v]
            props += [("sh:sourceConstraintComponent", f"<{f.component}>"),
                      ("sh:resultMessage", nt_term(Literal(f.message)))]
            body = " ;\n        ".join(f"{p} {v}" for p, v in props)
            end = " ." if i == len(self.findings) - 1 else " ,"
            lead = "    sh:result [ " if i == 0 else "        [ "
            lines.append(f"{lead}{body}\n    ]{end}")
        return "\n".join(lines) + "\n"

    def readable(self, findings: Iterable[Finding] | None = None) -> str:
        """Return one line per finding, naming the record and source line it comes from."""
        out = []
        for f in self.findings if findings is None else findings:
            where = self.locations.get(f.focus, "")
            kind = "violation" if f.severity == str(SH.Violation) else "warning"
            shape = _short(f.shape)
            value = f" value {f.value}" if f.value else ""
            out.append(f"{where + ': ' if where else ''}{kind}: {f.message} "
                       f"[{shape}; {f.focus}{value}]")
        return "\n".join(out)


def _short(shape: str) -> str:
    if "/shapes/" in shape:
        return "pgs:" + shape.rsplit("/shapes/", 1)[1].rstrip(">")
    return shape


def shapes_text(base: str = DEFAULT_BASE, shapes_dir: Path = SHAPES_DIR) -> str:
    """Return all ``shapes/*.ttl`` concatenated, rewritten to ``base`` (a Turtle document)."""
    parts = []
    for path in sorted(shapes_dir.glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        if base != DEFAULT_BASE:
            text = text.replace(DEFAULT_BASE, Iris(base).base)
        parts.append(f"# ---- {path.name} ----\n\n{text.rstrip()}\n")
    return "\n".join(parts)


def shapes_graph(base: str = DEFAULT_BASE, shapes_dir: Path = SHAPES_DIR) -> Graph:
    """Return the merged shapes graph under ``base``."""
    graph = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        if base != DEFAULT_BASE:
            text = text.replace(DEFAULT_BASE, Iris(base).base)
        graph.parse(data=text, format="turtle", publicID=path.as_uri())
    return graph


_PREPARED: dict[str, Query] = {}


class _Data(Graph):
    """A data graph that parses each SPARQL constraint once, not once per focus node.

    pyshacl runs a SPARQL-based constraint as query text for every focus node; parsing that
    text dominates validation time, so prepared queries are kept by text.
    """

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(query_object, str):
            prepared = _PREPARED.get(query_object)
            if prepared is None:
                prepared = _PREPARED[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def _graph(parts: Iterable[Iterable[Triple]]) -> Graph:
    graph = _Data()
    for triples in parts:
        rdflib_graph(triples, graph)
    return graph


def _term(graph: Graph, node: Node, predicate: URIRef) -> str:
    value = graph.value(node, predicate)
    if value is None or not isinstance(value, (URIRef, Literal)):
        return ""
    return nt_term(value)


def _findings(results: Graph) -> list[Finding]:
    found = []
    for result in results.objects(None, SH.result):
        found.append(Finding(
            severity=str(results.value(result, SH.resultSeverity)),
            focus=_term(results, result, SH.focusNode),
            shape=_term(results, result, SH.sourceShape),
            path=_term(results, result, SH.resultPath),
            value=_term(results, result, SH.value),
            message=str(results.value(result, SH.resultMessage) or ""),
            component=str(results.value(result, SH.sourceConstraintComponent) or ""),
        ))
    return found


def _batches(submissions: Sequence[MappedSubmission], size: int) -> list[list[MappedSubmission]]:
    batches: list[list[MappedSubmission]] = [[]]
    count = 0
    for sub in submissions:
        if count >= size:
            batches.append([])
            count = 0
        batches[-1].append(sub)
        count += len(sub.pledge_lines)
    return [b for b in batches if b]


def _locations(graph: MappedGraph) -> dict[str, str]:
    """Name the record (and source line) each subject comes from, for readable reports."""
    where: dict[str, str] = {}
    for sub in graph.submissions:
        record = display_path(sub.record)
        for s, _, _ in sub.triples:
            where.setdefault(s, record)
        for pledge, line in sub.pledge_lines.items():
            where[pledge] = f"{record} ({sub.source}:{line})"
    return where


def display_path(path: Path) -> str:
    """A record's path as a report shows it: relative to the working directory when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _jobs(graph: MappedGraph, batch_pledges: int) -> list[list[Triple]]:
    """The shared resources first, then each batch with the scheme and the actors it uses."""
    jobs = [[t for part in (*graph.actors.values(), graph.scheme, graph.build) for t in part]]
    for subs in _batches(graph.submissions, batch_pledges):
        used = sorted({a for sub in subs for a in sub.actors if a in graph.actors})
        jobs.append([t for part in (*(s.triples for s in subs), graph.scheme,
                                    *(graph.actors[a] for a in used)) for t in part])
    return jobs


def check_with_pyshacl(triples: Iterable[Triple], shapes: Graph) -> list[Finding]:
    """Validate ``triples`` with pyshacl, the reference implementation of SHACL."""
    _, results, _ = pyshacl.validate(_graph([triples]), shacl_graph=shapes, inference="none",
                                     allow_warnings=True, inplace=True)
    return _findings(results)


_SHAPES: Graph | None = None


def _check_job(triples: list[Triple]) -> list[Finding]:
    assert _SHAPES is not None, "the shapes are set before the workers start"
    return check_with_pyshacl(triples, _SHAPES)


def validate_graph(graph: MappedGraph, base: str = DEFAULT_BASE, *,
                   shapes: Graph | None = None, batch_pledges: int | None = None,
                   workers: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ValidationOutcome:
    """Validate the graph batch by batch; return every finding (violations and warnings).

    Batches are independent, so with several of them they run in worker processes (one per
    two batches and CPU by default, ``workers=1`` to stay in this process).
    """
    global _SHAPES
    jobs = _jobs(graph, batch_pledges or BATCH_PLEDGES)
    count = workers_for(len(jobs), workers) if workers is not None else workers_for(
        len(jobs) // 2)
    findings: set[Finding] = set()
    _SHAPES = shapes if shapes is not None else shapes_graph(base)
    try:
        for done, found in enumerate(in_workers(_check_job, jobs, count, ordered=False), 1):
            findings.update(found)
            if progress:
                progress(done, len(jobs))
    finally:
        _SHAPES = None
    return ValidationOutcome(sorted(findings, key=finding_order), _locations(graph))


_SEVERITY_RANK = {str(SH.Violation): 0, str(SH.Warning): 1}


def finding_order(f: Finding) -> tuple[int, str, str, str, str]:
    """Violations first, then warnings (a fact the extractor doubts), then information."""
    return (_SEVERITY_RANK.get(f.severity, 2), f.focus, f.shape, f.path, f.value)
