"""Write every resource's prepared descriptions of a served store into its file.

Started by ``serve`` (:func:`pledge_graph.web.prepared.start`, at the idle priority) when
the store's descriptions are missing or stale: ``main([STORE_DIR, RELEASE_DIR, BASE,
PARENT_PID])``. Each is made by the server's own function (``resources.made_answer``) from
the store on disk, opened read-only by each worker, so it is what ``serve`` answers for the
same request byte for byte; they are written into a temporary file renamed into place when
complete, so the server never reads half a file. The process and its workers stop when the
server does.
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
from pledge_graph.web.negotiation import FORMATS
from pledge_graph.web.prepared import PREPARED_FORMATS, PREPARED_NAME, renderer_digest

__all__ = ["main", "prepare_descriptions"]

_CHUNK = 200  # resources a job: small enough to share the work evenly between workers
_DICTIONARY_SAMPLE = 12  # resources whose descriptions make each format's dictionary
_DICTIONARY_BYTES = 32 * 1024  # zlib's largest window
_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
_TABLE = ("CREATE TABLE answers (iri TEXT NOT NULL UNIQUE, "
          + ", ".join(f"{key} BLOB NOT NULL" for key in PREPARED_FORMATS) + ")")


_FORMATS = [f for f in FORMATS if f.key in PREPARED_FORMATS]


def prepare_descriptions(directory: Path, release_dir: Path, base: str,
                         jobs: int | None = None) -> tuple[int, Path]:
    """Write the prepared descriptions of every resource of the store in ``directory``;
    return how many resources and the file."""
    global _JOB
    release = read_release(release_dir)
    _JOB = (directory, release_dir, base)
    settings = _settings()
    served, unsafe = minted_iris(settings)
    names = sorted(served + unsafe)
    dictionaries = _dictionaries(settings, names)
    target = directory / PREPARED_NAME
    _remove_leftovers(directory)
    building = directory / f".{PREPARED_NAME}.{os.getpid()}"
    count = 0
    try:
        with sqlite3.connect(building) as db:
            db.executescript(_SCHEMA)
            db.execute(_TABLE)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("renderer", renderer_digest().encode()), ("release", release.digest.encode()),
                *((f"dictionary {key}", text) for key, text in dictionaries.items())])
            chunks = [(names[i:i + _CHUNK], dictionaries)
                      for i in range(0, len(names), _CHUNK)]
            for rows in in_workers(_write_chunk, chunks, workers_for(len(chunks), jobs),
                                   ordered=False):
                db.executemany(f"INSERT INTO answers (iri, {', '.join(PREPARED_FORMATS)}) "
                               f"VALUES (?{', ?' * len(PREPARED_FORMATS)})", rows)
                count += len(rows)
        db.close()
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


def _answers(settings: Settings, iri: str) -> dict[str, bytes]:
    """What ``serve`` answers for ``iri`` in each prepared format (empty for a 404)."""
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


def _write_chunk(job: tuple[Sequence[str], dict[str, bytes]]) -> list[tuple[str | bytes, ...]]:
    """A row for each resource the graph describes: its IRI, then each format packed."""
    names, dictionaries = job
    settings = _settings()
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
    (as its query workers, whose policy it passes on), at idle priority, in this one
    process, and ending with it; stopped, the unfinished file is removed.

    One process: the server's caches of terms, labels and IRIs fill to their bounds in each
    writer (on the 10k corpus one took 270 MiB at most, beside the server's 250; a worker
    per CPU halved the time and took 436 MiB)."""
    directory, release_dir, base, parent = argv
    sandbox.enter()
    start_worker(int(parent))
    signal.signal(signal.SIGTERM, _stop)
    prepare_descriptions(Path(directory), Path(release_dir), base, jobs=1)
    return 0


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
