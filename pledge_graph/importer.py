"""The ``import`` command: pledge documents in, verbatim sources and curated records out.

Every document is read, parsed and merged with its curated record before anything is
written, so one bad document (or one broken record) stops the import with nothing changed.
Then each source is copied verbatim to ``sources/<slug>.txt`` and its record written to
``records/<slug>.yaml``, with what the importer produced kept in ``records/.imported/`` for
the next three-way merge (docs/curation.md).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .concepts import known_labels as scheme_labels
from .errors import InputError
from .extract import extract_facts
from .ingest import Document, Notice, decode_source, parse_document, split_labels
from .records import (
    Record,
    dump_record,
    imported_path,
    load_record,
    merge_records,
    parse_record,
    record_path,
    write_if_changed,
)
from .vocab import slugify

__all__ = ["DocumentReport", "ImportReport", "build_record", "import_command", "import_documents"]


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
                 known_labels: Sequence[str], data_dir: Path) -> tuple[Record, list[Notice]]:
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
        "source": f"sources/{slug}.txt",
        "source_sha256": source_sha256,
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


@dataclass
class _Plan:
    """One document, read and merged, waiting to be written."""

    slug: str
    path: Path
    data: bytes
    imported: bytes
    merged: bytes
    pledges: int
    notices: list[Notice]


def _read_source(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the document: {error.strerror}", file=path,
                         expected="a readable pledge document") from None


def _plan(path: Path, data_dir: Path, known_labels: Sequence[str]) -> _Plan:
    """Read, parse and merge one document without writing anything."""
    data = _read_source(path)
    document = parse_document(decode_source(data, file=path), file=path)
    slug = slugify(path.stem)
    imported, notices = build_record(document, slug=slug,
                                     source_sha256=hashlib.sha256(data).hexdigest(),
                                     known_labels=known_labels, data_dir=data_dir)
    current = record_path(data_dir, slug)
    base = imported_path(data_dir, slug)
    imported_text = merged_text = dump_record(imported)
    if current.exists():
        ours = load_record(current)
        # A record identical to the last import holds no edit: the new import replaces it.
        if not base.exists() or base.read_bytes() != current.read_bytes():
            last = load_record(base) if base.exists() else None
            merged = merge_records(last, ours, imported)
            if merged == ours:  # nothing new: keep the curator's file, comments and all
                merged_text = current.read_text(encoding="utf-8")
            else:
                merged_text = dump_record(merged)
                parse_record(merged_text, file=current)  # a merge of valid records stays valid
    return _Plan(slug, path, data, imported_text.encode("utf-8"), merged_text.encode("utf-8"),
                 len(imported["pledges"]), notices)


def _write(plan: _Plan, data_dir: Path) -> DocumentReport:
    """Write one planned document: source, then the imported copy, then the record."""
    source = Path(data_dir) / "sources" / f"{plan.slug}.txt"
    # Only a curated record that is replaced is flushed to disk before the rename: every
    # other file can be made again by importing the document again.
    write_if_changed(source, plan.data, sync=False)
    current = record_path(data_dir, plan.slug)
    existed = current.exists()
    write_if_changed(imported_path(data_dir, plan.slug), plan.imported, sync=False)
    changed = write_if_changed(current, plan.merged, sync=existed)
    status = "unchanged" if not changed else "updated" if existed else "created"
    return DocumentReport(plan.slug, source, current, plan.pledges, tuple(plan.notices), status)


def import_documents(paths: Sequence[str | Path], data_dir: str | Path, *,
                     known_labels: Sequence[str] | None = None) -> ImportReport:
    """Import pledge documents into ``data_dir``; all are checked before any is written.

    ``known_labels`` are the controlled rights-holder labels; by default those of the
    concept scheme (``pledge_graph.concepts``).
    """
    data_dir = Path(data_dir)
    labels = list(known_labels) if known_labels is not None else scheme_labels()
    plans: list[_Plan] = []
    seen: dict[str, Path] = {}
    for path in map(Path, paths):
        slug = slugify(path.stem)
        if slug in seen:
            raise InputError(f"{path.name} and {seen[slug]} would both be imported as {slug!r}",
                             file=path, expected="documents with distinct file names")
        seen[slug] = path
        plans.append(_plan(path, data_dir, labels))
    return ImportReport(tuple(_write(plan, data_dir) for plan in plans))


def import_command(args: argparse.Namespace) -> int:
    """Run ``pledge-graph import FILE... [--data DIR]``: warnings on stderr, summary on stdout."""
    report = import_documents(args.files, args.data)
    for document in report.documents:
        for notice in document.notices:
            print(f"pledge-graph: warning: {notice}", file=sys.stderr)
        print(document.summary())
    return 0
