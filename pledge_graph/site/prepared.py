"""Write every resource's prepared descriptions of a served store into its file.

Started by ``serve`` (:func:`pledge_graph.web.prepared.start`, at the idle priority) when
the store's descriptions are missing or stale: ``main([STORE_DIR, RELEASE_DIR, BASE,
PARENT_PID])``. Each is made by the server's own function (``resources.made_answer``) from
the store on disk, opened read-only, so it is what ``serve`` answers for the same request
byte for byte; they are written into a temporary file renamed into place when complete, so
the server never reads half a file. The process stops when the server does.

One process, remembering few labels, links and compact IRIs (:mod:`pledge_graph.web.memo`):
it reads each resource once, in path order. On the 10k corpus it takes about 90 MiB (PSS),
130 MiB at most, beside the server's 200; with the server's memos, 264 MiB; a worker per
CPU halved the time and took 436 MiB. Its resources are listed from the lookup index, not
by reading the whole store (which took 70 MiB more).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import zlib
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from pledge_graph.build.parallel import exit_on_signal, start_worker
from pledge_graph.build.release import read_release
from pledge_graph.rdf.vocab import Iris
from pledge_graph.site.documents import minted_iris, page_request
from pledge_graph.sparql.queries import load_examples
from pledge_graph.store import sandbox
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.web import memo, resources
from pledge_graph.web.app import Settings
from pledge_graph.web.negotiation import FORMATS
from pledge_graph.web.prepared import PREPARED_FORMATS, PREPARED_NAME, renderer_digest

__all__ = ["main", "prepare_descriptions"]

_CHUNK = 200  # resources written to the file at a time
_MEMO_ENTRIES = 5_000  # labels, links and compact IRIs remembered (web/memo.py)
_LARGEST = 2_000
"""Triples of the largest description prepared. The 24 larger ones of the 10k corpus (the
ontology's classes, the dataset, the build, OHCHR) took the writer from about 100 to 170
MiB while it wrote them; made per request, in a thread, they are kept once asked."""
_DICTIONARY_SAMPLE = 12  # resources whose descriptions make each format's dictionary
_DICTIONARY_BYTES = 32 * 1024  # zlib's largest window
_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
_TABLE = ("CREATE TABLE answers (iri TEXT NOT NULL UNIQUE, "
          + ", ".join(f"{key} BLOB NOT NULL" for key in PREPARED_FORMATS) + ")")
_INSERT = (f"INSERT INTO answers (iri, {', '.join(PREPARED_FORMATS)}) "
           f"VALUES (?{', ?' * len(PREPARED_FORMATS)})")
_FORMATS = [f for f in FORMATS if f.key in PREPARED_FORMATS]


def prepare_descriptions(directory: Path, release_dir: Path, base: str) -> tuple[int, Path]:
    """Write the prepared descriptions of every resource of the store in ``directory``;
    return how many resources and the file."""
    release = read_release(release_dir)
    memo.set_bound(_MEMO_ENTRIES)
    settings = Settings(store=EmbeddedStore(directory, read_only=True), iris=Iris(base),
                        release_dir=release_dir, digest=release.digest,
                        version=release.version, built=release.built,
                        examples=load_examples())
    served, unsafe = minted_iris(settings)
    names = sorted(served + unsafe)
    dictionaries = _dictionaries(settings, names)
    target = directory / PREPARED_NAME
    _remove_leftovers(directory)
    building = directory / f".{PREPARED_NAME}.{os.getpid()}"
    count = 0
    try:
        with closing(sqlite3.connect(building)) as db:
            db.executescript(_SCHEMA)
            db.execute(_TABLE)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("renderer", renderer_digest().encode()), ("release", release.digest.encode()),
                *((f"dictionary {key}", text) for key, text in dictionaries.items())])
            for start in range(0, len(names), _CHUNK):
                rows = _rows(settings, names[start:start + _CHUNK], dictionaries)
                db.executemany(_INSERT, rows)
                count += len(rows)
            db.commit()
        os.replace(building, target)
    finally:
        building.unlink(missing_ok=True)
    return count, target


def _remove_leftovers(directory: Path) -> None:
    """Remove the unfinished files of writers that were killed (named by their PID)."""
    for left in directory.glob(f".{PREPARED_NAME}.*"):
        pid = left.name.rpartition(".")[2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            left.unlink(missing_ok=True)
        except PermissionError:  # alive, someone else's
            pass


def _answers(settings: Settings, iri: str) -> dict[str, bytes]:
    """What ``serve`` answers for ``iri`` in each prepared format (empty for a 404, for a
    description of more than :data:`_LARGEST` triples and for the ontology's pages, which
    are made per request)."""
    # the ontology's pages are written from its documentation, which took the writer from
    # about 80 to 118 MiB in its last seconds, for about a hundred pages of 100,000
    if (resources.ontology_page_iri(settings, iri)
            or resources.describe_lines(settings, iri, _LARGEST) is None):
        return {}
    request = page_request(settings, "/" + iri[len(settings.iris.base):])
    found = {}
    for fmt in _FORMATS:
        body = resources.made_answer(request, iri, fmt)
        if body is None:
            return {}
        found[fmt.key] = body
    return found


def _dictionaries(settings: Settings, names: Sequence[str]) -> dict[str, bytes]:
    """Per format, text its answers share (a page's header and navigation, the JSON-LD
    context, the prefixes), from resources spread over the release: zlib then writes much
    of an answer as references into it."""
    step = max(1, len(names) // _DICTIONARY_SAMPLE)
    sample = [_answers(settings, name) for name in names[::step][:_DICTIONARY_SAMPLE]]
    return {key: b"".join(found.get(key, b"") for found in sample)[-_DICTIONARY_BYTES:]
            for key in PREPARED_FORMATS}


def _rows(settings: Settings, names: Sequence[str], dictionaries: dict[str, bytes]
          ) -> list[tuple[str | bytes, ...]]:
    """A row for each of ``names`` the graph describes: its IRI, then each format packed."""
    rows: list[tuple[str | bytes, ...]] = []
    for name in names:
        found = _answers(settings, name)
        if found:
            rows.append((name, *(_packed(found[key], dictionaries[key])
                                 for key in PREPARED_FORMATS)))
    return rows


def _packed(body: bytes, dictionary: bytes) -> bytes:
    packer = zlib.compressobj(6, zdict=dictionary)
    return packer.compress(body) + packer.flush()


def main(argv: Sequence[str]) -> int:
    """Write the descriptions as the server that started this process asks: without a network
    (as its query workers, whose policy it passes on), at idle priority, and ending with
    it; stopped, the unfinished file is removed."""
    directory, release_dir, base, parent = argv
    sandbox.enter()
    # the server stopped by a signal ends without stopping this process itself (uvicorn
    # raises the signal again once it has shut down): its death is a SIGTERM here too
    signal.signal(signal.SIGTERM, exit_on_signal)
    start_worker(int(parent), signal.SIGTERM)
    prepare_descriptions(Path(directory), Path(release_dir), base)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
