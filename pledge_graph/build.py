"""Build a release: read the records, map them, validate the graph, publish, swap in atomically.

The new release is written into a temporary directory next to the output directory and
renamed over it only when complete, so a failing or interrupted build leaves the previous
release as it was.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import BuildError, ValidationFailed
from .mapping import MappedGraph, load_records, map_records
from .paths import DEFAULT_BASE, ONTOLOGY_DIR, SHAPES_DIR
from .publish import publish
from .validate import ValidationOutcome, shapes_graph, validate_graph
from .vocab import Iris

__all__ = [
    "BuildResult",
    "build",
    "build_command",
    "build_time",
    "check",
    "input_digest",
    "validate_command",
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
    """Return the SHA-256 over every input file (and the base): equal inputs, equal release."""
    digest = hashlib.sha256(f"base {Iris(base).base}\n".encode())
    files = [(f"data/{p.relative_to(data_dir).as_posix()}", p)
             for d in INPUT_DIRS for p in (data_dir / d).rglob("*")
             if p.is_file() and ".imported" not in p.relative_to(data_dir).parts]
    files += [(f"ontology/{p.name}", p) for p in ontology_dir.glob("*") if p.is_file()]
    files += [(f"shapes/{p.name}", p) for p in shapes_dir.glob("*.ttl")]
    for name, path in sorted(files):
        digest.update(f"{name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
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


def check(data_dir: Path, base: str = DEFAULT_BASE, *, progress: Progress | None = None,
          ontology_dir: Path = ONTOLOGY_DIR,
          shapes_dir: Path = SHAPES_DIR) -> tuple[MappedGraph, ValidationOutcome, str]:
    """Map and validate the records of ``data_dir``; return the graph, outcome and digest."""
    data_dir = Path(data_dir)
    records = load_records(data_dir)
    if not records:
        raise BuildError("no pledge records", file=data_dir / "records",
                         expected="records/<slug>.yaml files, written by `pledge-graph import`")
    digest = input_digest(data_dir, base, ontology_dir=ontology_dir, shapes_dir=shapes_dir)
    graph = map_records(records, Iris(base), digest, data_dir,
                        progress=_steps(progress, "mapped submissions"))
    outcome = validate_graph(graph, base, shapes=shapes_graph(base, shapes_dir),
                             progress=_steps(progress, "validated batches", 3))
    return graph, outcome, digest


def _failed(outcome: ValidationOutcome, report: Path | None) -> ValidationFailed:
    violations = outcome.violations
    where = f"; the SHACL report is in {report}" if report else ""
    readable = outcome.readable(violations)
    return ValidationFailed(
        f"the graph violates the shapes (shapes/*.ttl): {len(violations)} violation(s){where}"
        f"\n{readable}", report=readable)


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` in place of ``out``; ``out`` survives until ``new`` is in place."""
    old = None
    if out.exists():
        old = out.parent / f"{new.name}.previous"
        os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError as error:
        if old is not None:
            os.rename(old, out)
        raise BuildError(f"cannot move the new release into place: {error}", file=out) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _check_out_dir(out: Path) -> None:
    """Refuse to replace anything that is not a release: nothing already there is lost."""
    if out.exists() and (not out.is_dir()
                         or (any(out.iterdir()) and not (out / "manifest.json").exists())):
        raise BuildError("the output exists and is not a release", file=out,
                         expected="a missing or empty directory, or an earlier release")


def build(data_dir: Path, out_dir: Path, base: str = DEFAULT_BASE, *,
          progress: Progress | None = None, ontology_dir: Path = ONTOLOGY_DIR,
          shapes_dir: Path = SHAPES_DIR) -> BuildResult:
    """Build the release of ``data_dir`` into ``out_dir`` under ``base``, atomically.

    ``ontology_dir`` and ``shapes_dir`` default to the project's own files.
    """
    started = time.monotonic()
    out = Path(out_dir).absolute()
    _check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    failed_report = out.parent / f"{out.name}.failed-validation-report.ttl"
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    tmp.chmod(0o755)  # a release is for reading by everyone, like the files in it
    try:
        graph, outcome, digest = check(data_dir, base, progress=progress,
                                       ontology_dir=ontology_dir, shapes_dir=shapes_dir)
        if not outcome.conforms:
            failed_report.write_text(outcome.report_turtle(), encoding="utf-8")
            raise _failed(outcome, failed_report)
        if progress and len(graph.submissions) >= PROGRESS_FROM:
            progress("writing the release")
        release = publish(graph.triples(), outcome, tmp, base=base, digest=digest,
                          build_time=build_time(), ontology_dir=ontology_dir,
                          shapes_dir=shapes_dir)
        _swap(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed_report.unlink(missing_ok=True)
    pledges = sum(len(s.pledge_lines) for s in graph.submissions)
    warnings = "\n".join([*graph.notes, outcome.readable(outcome.warnings)]).strip()
    return BuildResult(out, release.version, digest, release.triples, len(graph.submissions),
                       pledges, warnings, time.monotonic() - started)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_command(args: argparse.Namespace) -> int:
    """``pledge-graph build``: build the release and say what was written."""
    result = build(args.data, args.out, args.base, progress=_stderr)
    if result.warnings:
        _stderr(result.warnings)
    print(f"built {result.out_dir}: version {result.version}, {result.submissions} "
          f"submission(s), {result.pledges} pledge(s), {result.triples} triples "
          f"in {result.seconds:.1f} s")
    return 0


def validate_command(args: argparse.Namespace) -> int:
    """``pledge-graph validate``: check the records' graph against the shapes."""
    graph, outcome, _ = check(args.data, args.base, progress=_stderr)
    warnings = "\n".join([*graph.notes, outcome.readable(outcome.warnings)]).strip()
    if warnings:
        _stderr(warnings)
    if not outcome.conforms:
        raise _failed(outcome, None)
    pledges = sum(len(s.pledge_lines) for s in graph.submissions)
    print(f"conforms: {len(graph.submissions)} submission(s), {pledges} pledge(s), "
          f"{len(outcome.warnings)} warning(s)")
    return 0
