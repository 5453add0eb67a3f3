"""The ``import`` command: pledge documents in, verbatim sources and curated records out.

Every document is read, parsed and merged with its curated record before anything is
written, so one bad document (or one broken record) stops the import with nothing changed.
Then each source is copied verbatim to ``sources/<slug>.<txt|docx|pdf>`` (a Word or PDF
source with the text read from it beside it, ``sources/<slug>.txt``) and its record written to
``records/<slug>.yaml``, with what the importer produced kept in ``records/.imported/`` for
the next three-way merge (docs/curation.md).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pledge_graph.build.parallel import available_cpus, start_worker
from pledge_graph.errors import InputError, PledgeGraphError
from pledge_graph.extract import extract_facts
from pledge_graph.ingest.document import Document, Notice, parse_document
from pledge_graph.ingest.fields import split_labels
from pledge_graph.ingest.formats import LOOKED_AT, document_text
from pledge_graph.ingest.inputs import read_input
from pledge_graph.rdf.concepts import known_labels as scheme_labels
from pledge_graph.rdf.vocab import slugify
from pledge_graph.records.curated import (
    Record,
    dump_record,
    imported_path,
    load_record,
    merge_records,
    parse_record,
    read_record_text,
    record_path,
)
from pledge_graph.records.files import holds

__all__ = [
    "DocumentReport",
    "ImportReport",
    "build_record",
    "default_jobs",
    "document_paths",
    "import_documents",
]


@dataclass(frozen=True)
class DocumentReport:
    """What the import did with one document."""

    slug: str
    source: Path
    record: Path
    pledges: int
    notices: tuple[Notice, ...]
    status: str  # created | updated | unchanged

    def summary(self) -> str:
        """One line for the user: slug, pledges, warnings and what changed."""
        plural = "" if self.pledges == 1 else "s"
        warnings = len(self.notices)
        return (f"{self.slug}: {self.pledges} pledge{plural}, "
                f"{warnings} warning{'' if warnings == 1 else 's'}, {self.status}")


@dataclass(frozen=True)
class ImportReport:
    """What the import did, document by document, in the order given."""

    documents: tuple[DocumentReport, ...] = field(default=())

    @property
    def notices(self) -> tuple[Notice, ...]:
        return tuple(n for d in self.documents for n in d.notices)


def build_record(document: Document, *, slug: str, source_sha256: str,
                 known_labels: Sequence[str], data_dir: Path, source_suffix: str = ".txt",
                 text_sha256: str | None = None) -> tuple[Record, list[Notice]]:
    """Return the record of a parsed document, and the notices a curator should see."""
    notices = list(document.notices)
    pledges = []
    for pledge in document.pledges:
        matched, unknown = split_labels(pledge.rights_holders_text or "", known_labels)
        for label in unknown:
            notices.append(Notice(document.file, pledge.rights_holders_line,
                                  f"pledge {pledge.number}: unknown rights-holder label "
                                  f"{label!r} (kept as written)"))
        if pledge.declared_words is not None and pledge.declared_words != pledge.computed_words:
            notices.append(Notice(document.file, pledge.line,
                                  f"pledge {pledge.number} declares {pledge.declared_words} "
                                  f"words but its text has {pledge.computed_words}"))
        pledges.append({
            "number": pledge.number,
            "line": pledge.line,
            "text": pledge.text,
            "declared_words": pledge.declared_words,
            "rights_holders": matched + unknown,
            "rights_holders_line": pledge.rights_holders_line,
            "facts": extract_facts(pledge.text, data_dir=data_dir,
                                   pledgers=[e.name for e in document.entities]),
        })
    record: Record = {
        "slug": slug,
        "source": f"sources/{slug}{source_suffix}",
        "source_sha256": source_sha256,
        # a Word or PDF source: the text read from it, kept beside it
        **({"text": f"sources/{slug}.txt", "text_sha256": text_sha256}
           if text_sha256 is not None else {}),
        "title": document.title,
        "month": document.month,
        "year": document.year,
        "language": document.language,
        "language_label": document.language_label,
        "pledge_type": document.pledge_type,
        "pledge_type_label": document.pledge_type_label,
        "entities": [{"name": e.name, "line": e.line} for e in document.entities],
        "pledges": pledges,
    }
    return record, notices


@dataclass(frozen=True)
class _Staged:
    """One document read, merged and staged: which of its three files change."""

    slug: str
    pledges: int
    notices: tuple[Notice, ...]
    existed: bool  # the curated record was there before
    targets: tuple[Path, ...]  # source (and the text read from it), imported copy, record
    changed: tuple[bool, ...]  # for each target


def _read_source(path: Path) -> bytes:
    return read_input(path, error=InputError, what="the document",
                      expected="a readable pledge document")


def _plan(path: Path, data_dir: Path, known_labels: Sequence[str]
          ) -> tuple[str, list[tuple[Path, bytes]], int, list[Notice], bool]:
    """Read, parse and merge one document without writing anything.

    Return its slug, the files to write in order (the verbatim source, for a Word or PDF
    document the text read from it, the imported record and the merged record) with their
    bytes, its number of pledges, its notices and whether a curated record exists.
    """
    data = _read_source(path)
    text = document_text(path, data)
    document = parse_document(text, file=path)
    slug = slugify(path.stem)
    suffix = path.suffix.lower()
    sources: list[tuple[Path, bytes]] = [(data_dir / "sources" / f"{slug}{suffix}", data)]
    text_sha256 = None
    if suffix != ".txt":
        text_bytes = text.encode("utf-8")
        sources.append((data_dir / "sources" / f"{slug}.txt", text_bytes))
        text_sha256 = hashlib.sha256(text_bytes).hexdigest()
    imported, notices = build_record(document, slug=slug,
                                     source_sha256=hashlib.sha256(data).hexdigest(),
                                     known_labels=known_labels, data_dir=data_dir,
                                     source_suffix=suffix, text_sha256=text_sha256)
    current = record_path(data_dir, slug)
    base = imported_path(data_dir, slug)
    imported_text = merged_text = dump_record(imported)
    existed = current.exists()
    if existed:
        current_text = read_record_text(current)
        # A record identical to the last import holds no edit: the new import replaces it.
        if not holds(base, current_text.encode("utf-8")):
            ours = load_record(current)
            last = load_record(base) if base.exists() else None
            merged = merge_records(last, ours, imported)
            if merged == ours:  # nothing new: keep the curator's file, comments and all
                merged_text = current_text
            else:
                merged_text = dump_record(merged)
                parse_record(merged_text, file=current)  # a merge of valid records stays valid
    files = [*sources, (base, imported_text.encode("utf-8")),
             (current, merged_text.encode("utf-8"))]
    return slug, files, len(imported["pledges"]), notices, existed


def _stage(path: Path, *, data_dir: Path, staging: Path,
           known_labels: Sequence[str]) -> _Staged:
    """Plan one document and write the files it changes under ``staging``, not in place."""
    slug, files, pledges, notices, existed = _plan(path, data_dir, known_labels)
    changed = []
    for number, (target, data) in enumerate(files):
        differs = not holds(target, data)
        if differs:
            # Only a curated record that is replaced is flushed to disk before it is moved
            # in place: every other file can be made again by importing again.
            sync = existed and number == len(files) - 1
            _write_new(staging / target.relative_to(data_dir), data, sync=sync)
        changed.append(differs)
    return _Staged(slug, pledges, tuple(notices), existed, tuple(t for t, _ in files),
                   tuple(changed))


def _write_new(path: Path, data: bytes, *, sync: bool) -> None:
    """Write a new file with plain system calls: an import writes three per document."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
        if sync:
            os.fsync(handle)
    finally:
        os.close(handle)


def _commit(staged: _Staged, data_dir: Path, staging: Path,
            moved: frozenset[str]) -> DocumentReport:
    """Move one document's staged files in place: source, then the imported copy, then the
    record, each by an atomic rename (unless its folder was moved in place whole)."""
    for target, changed in zip(staged.targets, staged.changed, strict=True):
        relative = target.relative_to(data_dir)
        if changed and relative.parts[0] not in moved:
            os.replace(staging / relative, target)
    status = ("unchanged" if not staged.changed[-1]
              else "updated" if staged.existed else "created")
    return DocumentReport(staged.slug, staged.targets[0], staged.targets[-1], staged.pledges,
                          staged.notices, status)


def document_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Return the documents named by ``paths``: files as given, and for each directory the
    documents under it (``*.txt``, ``*.docx``, ``*.pdf``), recursively, in sorted order."""
    documents: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            documents.append(path)
            continue
        found = sorted(p for p in path.rglob("*") if p.is_file()
                       and p.suffix.lower() in LOOKED_AT and not p.name.startswith("~$"))
        if not found:
            raise InputError("the directory holds no pledge document", file=path,
                             expected="a directory of pledge documents (*.txt, *.docx, *.pdf)")
        documents.extend(found)
    return documents


def default_jobs() -> int:
    """The number of CPUs this process may run on: one worker process each."""
    return available_cpus()


# Fewer documents than this are imported in the importing process itself: starting
# workers costs more than they would save.
_PARALLEL_FROM = 32


def _staged_in_order(paths: list[Path], stage: Callable[[Path], _Staged],
                     jobs: int) -> Iterator[_Staged]:
    """Stage every document, in parallel worker processes when worth it; yield the results
    in document order, so the first error in that order is the one raised."""
    jobs = min(jobs, available_cpus())  # more workers than CPUs only cost memory
    if jobs <= 1 or len(paths) < _PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        yield from map(stage, paths)
        return
    # The first document is staged here, so that the workers, forked after it, share the
    # name matchers and tables it made instead of each making its own.
    yield stage(paths[0])
    chunk = max(1, min(32, (len(paths) - 1) // (jobs * 16)))
    # A worker that dies (killed, out of memory) breaks the pool with an error instead of
    # leaving the import waiting; after an error, documents not yet started are dropped.
    pool = ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork"),
                               initializer=start_worker, initargs=(os.getpid(),))
    try:
        yield from pool.map(stage, paths[1:], chunksize=chunk)
    except BrokenProcessPool:
        raise PledgeGraphError("a worker process reading the documents stopped (killed, or "
                               "out of memory); nothing was written",
                               expected="the import to be run again, or with --jobs 1") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def import_documents(paths: Sequence[str | Path], data_dir: str | Path, *,
                     known_labels: Sequence[str] | None = None,
                     jobs: int = 1) -> ImportReport:
    """Import pledge documents into ``data_dir``; all are checked before any is written.

    ``paths`` are documents or directories of documents (:func:`document_paths`).
    ``known_labels`` are the controlled rights-holder labels; by default those of the
    concept scheme (``pledge_graph.rdf.concepts``). ``jobs`` worker processes read the
    documents; the records written are the same whatever their number. What changes is
    staged in a hidden directory of ``data_dir`` and moved in place only when every
    document has been read, so an error anywhere leaves ``data_dir`` as it was.
    """
    data_dir = Path(data_dir)
    documents = document_paths(paths)
    labels = list(known_labels) if known_labels is not None else scheme_labels()
    seen: dict[str, Path] = {}
    clash: InputError | None = None
    for index, path in enumerate(documents):
        slug = slugify(path.stem)
        if slug in seen:
            # Raised where a one-by-one import would meet it: after the documents before it.
            clash = InputError(f"{path.name} and {seen[slug]} would both be imported as "
                               f"{slug!r}", file=path, expected="documents with distinct file names")
            documents = documents[:index]
            break
        seen[slug] = path
    created = [d for d in (data_dir, *data_dir.parents) if not d.exists()]
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=_made(data_dir)))
    try:
        for folder in ("sources", "records/.imported"):
            (staging / folder).mkdir(parents=True)
        stage = partial(_stage, data_dir=data_dir, staging=staging, known_labels=labels)
        staged = list(_staged_in_order(documents, stage, jobs))
        if clash is not None:
            raise clash
        # A folder the data directory does not have yet is moved in place whole, by one
        # rename (sources first, then the records with their imported copies).
        moved = frozenset(folder for folder in ("sources", "records")
                          if _move_if_new(staging / folder, data_dir / folder))
        (data_dir / "records" / ".imported").mkdir(parents=True, exist_ok=True)
        report = ImportReport(tuple(_commit(s, data_dir, staging, moved) for s in staged))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for made in created:  # innermost first
            _remove_if_empty(made)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return report


def _move_if_new(folder: Path, target: Path) -> bool:
    """Rename ``folder`` to ``target`` if there is nothing there yet; return True if moved."""
    if target.exists():
        return False
    try:
        os.rename(folder, target)
    except FileExistsError:  # made meanwhile: its files are moved one by one
        return False
    return True


def _made(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:
        pass

