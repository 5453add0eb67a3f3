"""Write every resource's HTML page of a served store into its prepared-pages file.

Started by ``serve`` (:func:`pledge_graph.web.prepared.start`, at the idle priority) when
the store's pages are missing or stale: ``main([STORE_DIR, RELEASE_DIR, BASE, PARENT_PID])``.
The pages are made by the server's own functions from the store on disk, opened read-only
by each worker, so each is the page ``serve`` makes for the same request byte for byte;
they are written into a temporary file renamed into place when complete, so the server
never reads half a file. The process and its workers stop when the server does.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

from pledge_graph.build.parallel import in_workers, start_worker, workers_for
from pledge_graph.build.release import read_release
from pledge_graph.rdf.vocab import Iris
from pledge_graph.site.documents import minted_iris, page_request
from pledge_graph.sparql.queries import load_examples
from pledge_graph.store import sandbox
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.web import resources
from pledge_graph.web.app import Settings
from pledge_graph.web.prepared import PAGES_NAME, renderer_digest

__all__ = ["prepare_pages"]

_CHUNK = 200  # pages a job: small enough to share the work evenly between workers
_DICTIONARY_PAGES = 12  # pages whose text makes the compression dictionary
_DICTIONARY_BYTES = 32 * 1024  # zlib's largest window
_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE pages (iri TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
"""


def prepare_pages(directory: Path, release_dir: Path, base: str,
                  jobs: int | None = None) -> tuple[int, Path]:
    """Write the pages of every resource of the store in ``directory``; return how many
    and the file."""
    global _JOB
    release = read_release(release_dir)
    _JOB = (directory, release_dir, base)
    settings = _settings()
    served, unsafe = minted_iris(settings)
    names = sorted(served + unsafe)
    dictionary = _dictionary(settings, names)
    target = directory / PAGES_NAME
    _remove_leftovers(directory)
    building = directory / f".{PAGES_NAME}.{os.getpid()}"
    count = 0
    try:
        with sqlite3.connect(building) as db:
            db.executescript(_SCHEMA)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("renderer", renderer_digest().encode()), ("release", release.digest.encode()),
                ("dictionary", dictionary)])
            chunks = [(names[i:i + _CHUNK], dictionary) for i in range(0, len(names), _CHUNK)]
            for rows in in_workers(_write_chunk, chunks, workers_for(len(chunks), jobs),
                                   ordered=False):
                db.executemany("INSERT INTO pages VALUES (?, ?)", rows)
                count += len(rows)
        db.close()
        os.replace(building, target)
    finally:
        building.unlink(missing_ok=True)
    return count, target


def _remove_leftovers(directory: Path) -> None:
    """Remove the unfinished files of writers that were killed (named by their PID)."""
    for left in directory.glob(f".{PAGES_NAME}.*"):
        pid = left.name.rpartition(".")[2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            left.unlink(missing_ok=True)
        except PermissionError:  # alive, someone else's
            pass


_JOB: tuple[Path, Path, str] | None = None
"""The store, release and base the workers read: set before they are forked."""
_OPENED: tuple[int, Settings] | None = None


def _settings() -> Settings:
    """This process's view of the store, as the server's (each process opens its own: a
    store and its index are not to be shared across a fork)."""
    global _OPENED
    if _OPENED is None or _OPENED[0] != os.getpid():
        assert _JOB is not None
        directory, release_dir, base = _JOB
        release = read_release(release_dir)
        store = EmbeddedStore(directory, read_only=True)
        _OPENED = (os.getpid(), Settings(
            store=store, iris=Iris(base), release_dir=release_dir, digest=release.digest,
            version=release.version, built=release.built, examples=load_examples()))
    return _OPENED[1]


def page(settings: Settings, iri: str) -> bytes | None:
    """The page ``serve`` answers for ``iri``, or None when the graph says nothing of it."""
    lines = resources.describe_lines(settings, iri)
    if not lines:
        return None
    local = "/" + iri[len(settings.iris.base):]
    return resources.html_page(page_request(settings, local), iri, lines)


def _dictionary(settings: Settings, names: Sequence[str]) -> bytes:
    """Text pages share (header, navigation, table markup), from pages spread over the
    release: zlib then writes most of a page as references into it."""
    step = max(1, len(names) // _DICTIONARY_PAGES)
    text = b"".join(body for name in names[::step][:_DICTIONARY_PAGES]
                    if (body := page(settings, name)) is not None)
    return text[-_DICTIONARY_BYTES:]


def _write_chunk(job: tuple[Sequence[str], bytes]) -> list[tuple[str, bytes]]:
    names, dictionary = job
    settings = _settings()
    rows = []
    for name in names:
        body = page(settings, name)
        if body is not None:
            packer = zlib.compressobj(6, zdict=dictionary)
            rows.append((name, packer.compress(body) + packer.flush()))
    return rows


def main(argv: Sequence[str]) -> int:
    """Write the pages as the server that started this process asks: without a network
    (as its query workers, whose policy it passes on), at idle priority, and ending with
    it; stopped, the unfinished file is removed."""
    directory, release_dir, base, parent = argv
    sandbox.enter()
    start_worker(int(parent))
    signal.signal(signal.SIGTERM, _stop)
    prepare_pages(Path(directory), Path(release_dir), base)
    return 0


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
