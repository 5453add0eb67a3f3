"""Map, check and serialise a batch of records: the unit of work of a build.

A build cuts the corpus into batches of consecutive records and gives each to a worker
process, which reads the records, maps them, checks the batch's graph against the shapes and
writes its part of every dump (see :mod:`~pledge_graph.publish.chunks`). A batch owns the subjects of
its submissions (the submission, its pledges, their facts and evidence); resources that several
batches may describe (actors, organisations, treaties, programmes, States) come back to the
parent as shared lines, which it merges, checks and writes once at the end.

Every shape looks at one submission at most, with the scheme and the resources it links to,
so checking batch by batch finds exactly what one check of the whole graph would.

Each batch is checked by the shapes compiled by the ``shacl`` engine
(:mod:`~pledge_graph.validation.shacl_compiled`). pyshacl, the reference implementation, checks the
shared resources, every batch of a corpus of up to ``PYSHACL_ALL_RECORDS`` records, and the
first batch of a larger one, unless the batch holds a submission of more than
``PYSHACL_MAX_PLEDGES`` pledges; wherever both run, their findings must be equal, or the
build stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from pledge_graph.build.parallel import in_workers, workers_for
from pledge_graph.mapping.pledges import LoadedRecord, MappedSubmission, Mapper, build_triples
from pledge_graph.publish.chart_parts import ChartPart, ChartParts
from pledge_graph.publish.chunks import DumpParts, serialise
from pledge_graph.publish.jsonld import Compactor
from pledge_graph.publish.search_index import IndexPart, index_part
from pledge_graph.publish.stats import GraphStats
from pledge_graph.publish.turtle import Names
from pledge_graph.rdf.ntriples import Triple, iri
from pledge_graph.rdf.vocab import Iris
from pledge_graph.records.curated import load_record
from pledge_graph.validation.report import Finding, display_path
from pledge_graph.validation.shacl_compiled import CompiledShapes, compile_shapes
from pledge_graph.validation.validate import validate_triples

__all__ = [
    "BATCH_RECORDS",
    "PYSHACL_ALL_RECORDS",
    "PYSHACL_MAX_PLEDGES",
    "BatchResult",
    "Context",
    "MappedBatch",
    "batch_paths",
    "check",
    "check_shared",
    "later_submissions",
    "local_prefixes",
    "make_context",
    "map_batch",
    "run_batches",
    "shared_rows",
]

BATCH_RECORDS = 64
"""Records per batch: about 200 pledges, small enough to spread over the workers evenly."""

PYSHACL_ALL_RECORDS = 256
"""Corpora of up to this many records (four batches) are checked by pyshacl throughout;
larger ones by the shacl engine's compiled shapes, with pyshacl on the first batch as well."""

PYSHACL_MAX_PLEDGES = 100
"""pyshacl checks a batch alongside the compiled shapes only when none of its submissions
has more pledges than this: rdflib plans the unique-pledge-number constraint as a join of
every pledge of a submission with every other, so one document of many pledges would cost
time in the square of their number."""

@dataclass(frozen=True)
class Context:
    """What every worker needs, set up once in the parent and inherited by the workers."""

    iris: Iris
    digest: str
    data_dir: Path
    shapes: Graph
    compiled: CompiledShapes
    scheme: list[Triple]
    names: Names
    compactor: Compactor
    write: bool
    pyshacl_all: bool
    validator: str = "both"
    charts: ChartParts | None = None
    """What the batches answer the charts with, when the dumps are written."""


@dataclass
class BatchResult:
    """What one batch gives back to the parent."""

    index: int
    records: list[tuple[str, Path]]
    submissions: list[str]
    pledges: int
    shared: set[Triple]
    stats: GraphStats
    parts: DumpParts | None
    findings: list[Finding]
    locations: dict[str, str]
    notes: list[str] = field(default_factory=list)
    checked_by: str = ""
    search: IndexPart | None = None
    """The batch's part of the search index (made when the dumps are written)."""
    charts: ChartPart | None = None
    """The charts' answers over the batch (made when the dumps are written)."""


_CONTEXT: Context | None = None


def local_prefixes(iris: Iris) -> tuple[str, ...]:
    """Subjects a submission's batch owns alone: its own IRIs and those under its pledges."""
    return tuple(f"<{iris.base}id/{kind}/" for kind in ("submission", "pledge", "fact"))


def _locations(subs: Sequence[MappedSubmission], foci: set[str]) -> dict[str, str]:
    """Name the record (and source line) of each focus node, for readable reports."""
    where: dict[str, str] = {}
    if not foci:
        return where
    for sub in subs:
        record = display_path(sub.record)
        for s, _, _ in sub.triples:
            if s in foci:
                where.setdefault(s, record)
        for pledge, line in sub.pledge_lines.items():
            if pledge in foci:
                where[pledge] = f"{record} ({sub.source}:{line})"
    return where


def check(ctx: Context, triples: Sequence[Triple], *, pyshacl: bool,
          what: str) -> tuple[list[Finding], str]:
    """Check ``triples`` with the build's engines (see
    :func:`~pledge_graph.validation.validate.validate_triples`)."""
    return validate_triples(triples, ctx.shapes, ctx.compiled, validator=ctx.validator,
                            pyshacl=pyshacl, what=what)


@dataclass
class MappedBatch:
    """A batch's records mapped: the triples it owns, those it shares, what it checks."""

    submissions: list[MappedSubmission]
    local: set[Triple]
    shared: set[Triple]
    notes: list[str]
    data: list[Triple]
    """What the shapes check: the batch's own and shared triples with the scheme."""


def map_batch(ctx: Context, paths: Sequence[Path]) -> MappedBatch:
    """Read and map the records of one batch (also what the benchmarks of the engines check)."""
    mapper = Mapper(ctx.iris, ctx.digest, ctx.data_dir)
    own = local_prefixes(ctx.iris)
    subs = [mapper.submission(LoadedRecord(path, load_record(path))) for path in paths]
    local: set[Triple] = set()
    shared: set[Triple] = set()
    for sub in subs:
        for triple in sub.triples:
            (local if triple[0].startswith(own) else shared).add(triple)
    for triples in mapper.actors.values():
        shared.update(triples)
    return MappedBatch(subs, local, shared, mapper.notes, [*local, *shared, *ctx.scheme])


def _process(index: int, paths: Sequence[Path]) -> BatchResult:
    ctx = _CONTEXT
    assert ctx is not None, "the build's context is set before the workers start"
    batch = map_batch(ctx, paths)
    subs = batch.submissions
    pledges = sum(len(sub.pledge_lines) for sub in subs)
    largest = max((len(sub.pledge_lines) for sub in subs), default=0)
    use_pyshacl = (ctx.pyshacl_all or index == 0) and largest <= PYSHACL_MAX_PLEDGES
    findings, checked_by = check(ctx, batch.data, pyshacl=use_pyshacl,
                                 what=f"the batch of {paths[0]} to {paths[-1]}")
    rows = sorted(batch.local)  # as N-Triples lines sort: every IRI text ends with its only '>'
    stats = GraphStats()
    stats.add(rows, ctx.iris)
    parts = serialise(rows, ctx.names, ctx.compactor) if ctx.write else None
    charts = ctx.charts.part(rows, [*batch.shared, *ctx.scheme]) if ctx.charts else None
    return BatchResult(
        index, [(sub.slug, sub.record) for sub in subs], [sub.iri for sub in subs], pledges,
        batch.shared, stats, parts, findings,
        _locations(subs, {f.focus for f in findings}), batch.notes, checked_by,
        index_part(rows) if ctx.write else None, charts)


def _process_job(job: tuple[int, list[Path]]) -> BatchResult:
    return _process(*job)


def batch_paths(paths: Sequence[Path], batch_records: int = BATCH_RECORDS) -> list[list[Path]]:
    """Cut the sorted record paths into the build's batches of consecutive records."""
    return [list(paths[start:start + batch_records])
            for start in range(0, len(paths), batch_records)]


def later_submissions(iris: Iris, paths: Sequence[Path],
                      batch_records: int = BATCH_RECORDS) -> list[str | None]:
    """For each batch, the least submission IRI of the batches after it (None for the last):
    the search index takes the pledges listed before it as soon as the batch is in."""
    least = [min(str(iris.submission(path.stem)) for path in batch)
             for batch in batch_paths(paths, batch_records)]
    later: list[str | None] = [None] * len(least)
    for i in range(len(least) - 2, -1, -1):
        after = later[i + 1]
        later[i] = least[i + 1] if after is None else min(least[i + 1], after)
    return later


def run_batches(ctx: Context, paths: Sequence[Path], *, workers: int | None = None,
                batch_records: int = BATCH_RECORDS,
                progress: Callable[[int, int], None] | None = None) -> Iterator[BatchResult]:
    """Yield the result of every batch of ``paths``, in order, computed in worker processes."""
    global _CONTEXT
    jobs = list(enumerate(batch_paths(paths, batch_records)))
    Mapper(ctx.iris, ctx.digest, ctx.data_dir).prepare()  # loaded once, shared by the fork
    _CONTEXT = ctx
    try:
        for result in in_workers(_process_job, jobs, workers_for(len(jobs), workers)):
            if progress:
                progress(result.index + 1, len(jobs))
            yield result
    finally:
        _CONTEXT = None


def shared_rows(ctx: Context, shared: set[Triple], submissions: Sequence[str]) -> list[Triple]:
    """The resources the batches share, with the scheme and the build activity that used
    every submission: sorted, checked and written once, after the batches."""
    rows = set(shared)
    rows.update(ctx.scheme)
    rows.update(build_triples(iri(ctx.iris.build(ctx.digest)), ctx.digest, ctx.iris, submissions))
    return sorted(rows)


def check_shared(ctx: Context, rows: Sequence[Triple]) -> tuple[list[Finding], str]:
    """Check the resources batches share (with the scheme and the build) with both engines."""
    return check(ctx, rows, pyshacl=True, what="the shared resources")


def make_context(iris: Iris, digest: str, data_dir: Path, shapes: Graph, scheme: list[Triple],
                 names: Names, compactor: Compactor, *, write: bool, pyshacl_all: bool,
                 validator: str = "both", ontology: str | None = None) -> Context:
    """Compile the shapes and gather what the workers share; given the ``ontology`` (the
    release's Turtle), the batches answer the charts too."""
    charts = None if ontology is None else ChartParts(iris.base, ontology, local_prefixes(iris))
    return Context(iris, digest, data_dir, shapes, compile_shapes(shapes), scheme, names,
                   compactor, write, pyshacl_all, validator, charts)
