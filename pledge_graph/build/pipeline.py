"""Build a release: read the records, map them, validate the graph, publish, swap in atomically.

The new release is written into a temporary directory next to the output directory and
swapped in only when complete, so a failing or interrupted build, even one killed outright,
leaves the previous release as it was (:mod:`~pledge_graph.build.staging`).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import QuerySolutions

from pledge_graph.build.batches import (
    BATCH_RECORDS,
    PYSHACL_ALL_RECORDS,
    BatchResult,
    Context,
    check_shared,
    later_submissions,
    make_context,
    run_batches,
    shared_rows,
)
from pledge_graph.build.release import read_release
from pledge_graph.build.staging import staging_folder, swap_in
from pledge_graph.errors import BuildError, ValidationFailed
from pledge_graph.mapping.pledges import scheme_triples
from pledge_graph.paths import DEFAULT_BASE, ONTOLOGY_DIR, SHAPES_DIR
from pledge_graph.publish.chart_parts import ChartSums
from pledge_graph.publish.charts import write_charts
from pledge_graph.publish.chunks import serialise
from pledge_graph.publish.drawing import renderer
from pledge_graph.publish.files import dump_tools, finish_release, ontology_text, open_dumps
from pledge_graph.publish.search_index import IndexWriter, index_part
from pledge_graph.publish.stats import GraphStats
from pledge_graph.rdf.ntriples import Triple
from pledge_graph.rdf.vocab import Iris
from pledge_graph.records.curated import record_paths
from pledge_graph.validation.report import Finding, ValidationOutcome, finding_order
from pledge_graph.validation.shapes import shapes_graph

__all__ = [
    "BuildResult",
    "Checked",
    "build",
    "build_time",
    "check",
    "input_digest",
    "validation_failed",
]

Progress = Callable[[str], None]
INPUT_DIRS = ("sources", "records", "authorities")
PROGRESS_FROM = 50


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, for the command line and for callers such as the server."""

    out_dir: Path
    version: str
    digest: str
    triples: int
    submissions: int
    pledges: int
    warnings: str
    seconds: float


def input_digest(data_dir: Path, base: str, *, ontology_dir: Path = ONTOLOGY_DIR,
                 shapes_dir: Path = SHAPES_DIR) -> str:
    """Return the SHA-256 over every input file (and the base): equal inputs, equal release.

    A large corpus has tens of thousands of files and every build starts with this digest,
    so they are listed with ``os.walk`` on plain strings rather than with pathlib.
    """
    digest = hashlib.sha256(f"base {Iris(base).base}\n".encode())
    files = [(f"data/{name}", path) for d in INPUT_DIRS
             for name, path in _walk(str(data_dir), d)]
    files += [(f"ontology/{p.name}", str(p)) for p in ontology_dir.glob("*") if p.is_file()]
    files += [(f"shapes/{p.name}", str(p)) for p in shapes_dir.glob("*.ttl")]
    for name, path in sorted(files):
        digest.update(f"{name}\0{_file_sha256(path)}\n".encode())
    return digest.hexdigest()


def _walk(root: str, top: str) -> Iterator[tuple[str, str]]:
    """Yield (path relative to ``root`` with '/', path) of every file under ``root/top``,
    leaving out ``.imported`` folders (the importer's snapshots, not inputs)."""
    for folder, dirs, names in os.walk(os.path.join(root, top)):
        dirs[:] = [d for d in dirs if d != ".imported"]
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                yield f"{relative}/{name}", path


def _file_sha256(path: str) -> str:
    """The SHA-256 of a file, read in blocks: an input may be large, memory is not."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def build_time() -> str:
    """Return the build time (UTC, seconds): SOURCE_DATE_EPOCH when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    except ValueError:
        raise BuildError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number",
                         expected="seconds since 1970-01-01 UTC") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _steps(progress: Progress | None, what: str,
           minimum: int = PROGRESS_FROM) -> Callable[[int, int], None] | None:
    """Report every tenth of a step of at least ``minimum`` items on ``progress``."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        if total >= minimum and (done == total or done % max(total // 10, 1) == 0):
            progress(f"{what}: {done}/{total}")
    return report


@dataclass
class Checked:
    """What mapping and checking every record gave: the outcome, counts and the dumps."""

    outcome: ValidationOutcome
    stats: GraphStats
    digest: str
    submissions: int
    pledges: int
    notes: list[str]
    dump_files: dict[str, dict[str, object]]
    engines: Counter[str]
    charts: dict[str, QuerySolutions] | None = None
    """The charts' answers, added up from the batches (when the dumps were written and
    every batch read the shared resources as the release describes them)."""

    @property
    def warnings(self) -> str:
        return "\n".join([*self.notes, self.outcome.readable(self.outcome.warnings)]).strip()


class _Outputs:
    """What the batches' results are written into: the dumps, the search index and the
    charts' sums."""

    def __init__(self, ctx: Context, directory: Path, base: str, ontology_dir: Path,
                 later: list[str | None]) -> None:
        self.ctx, self.later = ctx, later
        self.charts = ChartSums(ctx.charts) if ctx.charts is not None else None
        self.writer = open_dumps(directory, base, ontology_dir)
        self.index = IndexWriter(directory)

    def add(self, result: BatchResult) -> None:
        if result.parts is not None:
            self.writer.add(result.parts)
        if result.search is not None:
            self.index.add(result.search, before=self.later[result.index])
        if self.charts is not None and result.charts is not None:
            self.charts.add(result.charts)

    def close(self, rows: list[Triple],
              ) -> tuple[dict[str, dict[str, object]], dict[str, QuerySolutions] | None]:
        """Add the shared ``rows`` and finish: the dumps' files, the charts' answers."""
        self.writer.add(serialise(rows, self.ctx.names, self.ctx.compactor))
        files = self.writer.close()
        self.index.add(index_part(rows))
        self.index.close()
        return files, self.charts.answers(rows) if self.charts is not None else None

    def abort(self) -> None:
        self.writer.abort()
        self.index.abort()


def check(data_dir: Path, base: str = DEFAULT_BASE, *, progress: Progress | None = None,
          ontology_dir: Path = ONTOLOGY_DIR, shapes_dir: Path = SHAPES_DIR,
          dumps_to: Path | None = None, validator: str = "both",
          workers: int | None = None, batch_records: int = BATCH_RECORDS) -> Checked:
    """Map and check every record of ``data_dir`` batch by batch, in worker processes.

    With ``dumps_to``, each batch also writes its part of the dumps there, and of the search
    index (:class:`~pledge_graph.publish.search_index.IndexWriter`), so that the graph is
    never held whole in memory. ``validator`` is "both" (the compiled shapes, with pyshacl
    alongside where :mod:`~pledge_graph.build.batches` says) or "pyshacl" (pyshacl alone).
    Whatever ``batch_records`` and ``workers`` are, the findings are the same.
    """
    data_dir = Path(data_dir)
    paths = record_paths(data_dir)
    if not paths:
        raise BuildError("no pledge records", file=data_dir / "records",
                         expected="records/<slug>.yaml files, written by `pledge-graph import`")
    digest = input_digest(data_dir, base, ontology_dir=ontology_dir, shapes_dir=shapes_dir)
    iris = Iris(base)
    names, compactor = dump_tools(base, ontology_dir)
    ontology = ontology_text(base, ontology_dir) if dumps_to is not None else None
    ctx = make_context(iris, digest, data_dir, shapes_graph(base, shapes_dir),
                       scheme_triples(iris.base), names, compactor, write=dumps_to is not None,
                       pyshacl_all=len(paths) <= PYSHACL_ALL_RECORDS, validator=validator,
                       ontology=ontology)
    out = _Outputs(ctx, dumps_to, base, ontology_dir,
                   later_submissions(iris, paths, batch_records)) if dumps_to else None
    stats = GraphStats()
    findings: set[Finding] = set()
    locations: dict[str, str] = {}
    shared: set[Triple] = set()
    notes: dict[str, None] = {}
    submissions: list[str] = []
    pledges = 0
    engines: Counter[str] = Counter()
    try:
        for result in run_batches(ctx, paths, workers=workers, batch_records=batch_records,
                                  progress=_steps(progress, "mapped and checked batches", 3)):
            if out is not None:
                out.add(result)
            stats.merge(result.stats)
            findings.update(result.findings)
            locations.update(result.locations)
            shared |= result.shared
            notes.update(dict.fromkeys(result.notes))
            submissions += result.submissions
            pledges += result.pledges
            engines[result.checked_by] += 1
        rows = shared_rows(ctx, shared, submissions)
        found, checked_by = check_shared(ctx, rows)
        findings.update(found)
        engines[checked_by] += 1
        stats.add(rows, iris)
        files, answers = out.close(rows) if out is not None else ({}, None)
    except BaseException:
        if out is not None:
            out.abort()
        raise
    outcome = ValidationOutcome(sorted(findings, key=finding_order), locations)
    return Checked(outcome, stats, digest, len(submissions), pledges, list(notes), files, engines,
                   answers)


def validation_failed(outcome: ValidationOutcome, report: Path | None) -> ValidationFailed:
    """The error of a graph that violates the shapes (the report's path, when written)."""
    violations = outcome.violations
    where = f"; the SHACL report is in {report}" if report else ""
    readable = outcome.readable(violations)
    return ValidationFailed(
        f"the graph violates the shapes (shapes/*.ttl): {len(violations)} violation(s){where}"
        f"\n{readable}", report=readable)


def _check_out_dir(out: Path) -> None:
    """Refuse to replace anything that is not a release: nothing already there is lost."""
    if out.exists() and (not out.is_dir()
                         or (any(out.iterdir()) and not (out / "manifest.json").exists())):
        raise BuildError("the output exists and is not a release", file=out,
                         expected="a missing or empty directory, or an earlier release")


def build(data_dir: Path, out_dir: Path, base: str = DEFAULT_BASE, *,
          progress: Progress | None = None, ontology_dir: Path = ONTOLOGY_DIR,
          shapes_dir: Path = SHAPES_DIR, validator: str = "both",
          workers: int | None = None, batch_records: int = BATCH_RECORDS) -> BuildResult:
    """Build the release of ``data_dir`` into ``out_dir`` under ``base``, atomically.

    ``ontology_dir`` and ``shapes_dir`` default to the project's own files; ``validator``,
    ``workers`` and ``batch_records`` are those of :func:`check`.
    """
    started = time.monotonic()
    out = Path(out_dir).absolute()
    _check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    failed_report = out.parent / f"{out.name}.failed-validation-report.ttl"
    with staging_folder(out) as tmp, renderer() as drawer:
        checked = check(data_dir, base, progress=progress, ontology_dir=ontology_dir,
                        shapes_dir=shapes_dir, dumps_to=tmp, validator=validator,
                        workers=workers, batch_records=batch_records)
        if not checked.outcome.conforms:
            failed_report.write_text(checked.outcome.report_turtle(), encoding="utf-8")
            raise validation_failed(checked.outcome, failed_report)
        if progress and checked.submissions >= PROGRESS_FROM:
            progress("writing the release")
        _, undrawn = write_charts(tmp, base, ontology_text(base, ontology_dir),
                                  answers=checked.charts, drawer=drawer)
        if undrawn:
            checked.notes.append(undrawn)
        finish_release(tmp, checked.dump_files, checked.stats, checked.outcome,
                                 base=base, digest=checked.digest, build_time=build_time(),
                                 ontology_dir=ontology_dir, shapes_dir=shapes_dir)
        swap_in(tmp, out)
    failed_report.unlink(missing_ok=True)
    release = read_release(out)
    return BuildResult(out, release.version, checked.digest, checked.stats.triples,
                       checked.submissions, checked.pledges, checked.warnings,
                       time.monotonic() - started)

