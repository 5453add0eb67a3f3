"""Prepared descriptions: every resource's page, JSON-LD and Turtle, written once per
release beside the store, and answered from there.

N-Triples is the lookup index's own text, read and sent. The other formats take Python:
a pledge's page about 0.9 ms (its description, the labels of everything it links to, its
facts and evidence, the template), its JSON-LD about 0.4 ms (node objects, nesting,
compaction), its Turtle about 0.1 ms (the prefixes it uses, pyoxigraph's parsing and
writing). The release does not change while it is served, so ``serve`` has them written
once (:data:`PREPARED_FORMATS`), by
:mod:`pledge_graph.site.prepared` in a process of its own at the system's idle priority (it
takes only processor time no request wants), and answers from that file once it is
complete. Until then, and for anything it does not hold, the answer is made per request as
before: the file only ever saves time.

The file (``prepared.sqlite`` in the store's directory) holds each answer compressed with a
dictionary per format (text the answers share: a page's header and navigation, the JSON-LD
context, the prefixes), and names the release and the code that wrote it. Answers written
by other code (an upgrade, a changed template) or for another release are never served:
the server has them written again.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
import zlib
from contextlib import closing
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pledge_graph.build.release import Release

__all__ = ["PREPARED_FORMATS", "PREPARED_NAME", "PreparedDescriptions", "prepared_count",
           "renderer_digest", "start"]

PREPARED_NAME = "prepared.sqlite"
"""The file's name, inside the store's directory."""
PREPARED_FORMATS = ("html", "jsonld", "ttl")
"""The formats prepared (their keys, as in ``?format=``, and the file's columns): those a
browser, a JSON-LD client and most RDF clients ask for. Made per request, a Turtle answer
took about 440 us of processor time against 280 us for N-Triples, the index's own text:
first Turtle answers were 0.46x to 0.67x Oxigraph's DESCRIBE. RDF/XML is made per
request."""

_PACKAGE = Path(__file__).resolve().parent.parent
_LIBRARIES = ("jinja2", "markupsafe", "pyoxigraph", "pyld", "rdflib")
"""The libraries whose output is part of an answer (templates, escaping, terms, JSON-LD)."""
_START = """import os, sys
try:  # idle before its modules load: the server is starting too
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
except (AttributeError, OSError):
    os.nice(19)
from pledge_graph.site.prepared import main
sys.exit(main(sys.argv[1:]))
"""
_CHECK_EVERY = 1.0  # seconds between looks for a file that is missing or not yet usable


@lru_cache(maxsize=1)
def renderer_digest() -> str:
    """A digest of the code that writes descriptions: the package's modules and templates
    and the versions of the libraries that take part. Answers of other code are stale."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in (".py", ".html") and "__pycache__" not in path.parts:
            digest.update(f"\0{path.relative_to(_PACKAGE)}\0".encode())
            digest.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            digest.update(f"\0{name} {metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"\0{name} -".encode())
    return digest.hexdigest()


def _meta(db: sqlite3.Connection) -> dict[str, bytes]:
    return {name: value for name, value in db.execute("SELECT name, value FROM meta")}


def _open(path: Path) -> sqlite3.Connection:
    """The file, read-only (a missing one is an error, never made)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           check_same_thread=False)


def _current(meta: dict[str, bytes], release_digest: str) -> bool:
    return (meta.get("renderer") == renderer_digest().encode()
            and meta.get("release") == release_digest.encode()
            and all(f"dictionary {key}" in meta for key in PREPARED_FORMATS))


def prepared_count(directory: Path, release_digest: str) -> int | None:
    """How many resources the file in ``directory`` describes when it is complete and made
    by this code for this release; None otherwise (missing, stale or unreadable)."""
    try:
        with closing(_open(directory / PREPARED_NAME)) as db:
            if not _current(_meta(db), release_digest):
                return None
            return int(db.execute("SELECT count(*) FROM answers").fetchone()[0])
    except sqlite3.Error:
        return None


class PreparedDescriptions:
    """The prepared descriptions of one store directory, read once the file is there,
    complete, and made by this code for this release (looked for at most once a second
    until then).

    Read from the event loop's thread only (one connection, no lock)."""

    def __init__(self, directory: Path, release_digest: str) -> None:
        self.path = directory / PREPARED_NAME
        self.release_digest = release_digest
        self._db: sqlite3.Connection | None = None
        self._dictionaries: dict[str, bytes] = {}
        self._next_look = 0.0
        self._seen: tuple[int, int] | None = None  # the stale file looked at last

    def answer(self, iri: str, key: str) -> bytes | None:
        """The description of ``iri`` in the format ``key``, or None (not prepared, or no
        file yet)."""
        if key not in PREPARED_FORMATS:
            return None
        db = self._db if self._db is not None else self._look()
        if db is None:
            return None
        try:  # the key is one of PREPARED_FORMATS, the table's columns
            row = db.execute(f"SELECT {key} FROM answers WHERE iri = ?", (iri,)).fetchone()
            if row is None:
                return None
            return zlib.decompressobj(zdict=self._dictionaries[key]).decompress(row[0])
        except (sqlite3.Error, zlib.error):  # the file was replaced or damaged: look again
            self.close()
            return None

    @property
    def ready(self) -> bool:
        """Whether descriptions are answered from the file."""
        return (self._db if self._db is not None else self._look()) is not None

    def _look(self) -> sqlite3.Connection | None:
        now = time.monotonic()
        if now < self._next_look:
            return None
        self._next_look = now + _CHECK_EVERY
        try:
            stat = self.path.stat()
        except OSError:
            return None
        if (stat.st_ino, stat.st_mtime_ns) == self._seen:
            return None
        self._seen = (stat.st_ino, stat.st_mtime_ns)
        try:
            db = _open(self.path)
        except sqlite3.Error:
            return None
        try:
            meta = _meta(db)
        except sqlite3.Error:
            meta = {}
        if not _current(meta, self.release_digest):
            db.close()
            return None
        self._db = db
        self._dictionaries = {key: meta[f"dictionary {key}"] for key in PREPARED_FORMATS}
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db, self._seen = None, None


def start(directory: Path, release: Release, base: str) -> subprocess.Popen[bytes] | None:
    """Have the descriptions of the store in ``directory`` written, in a process of their
    own, unless they are already; return that process."""
    if prepared_count(directory, release.digest) is not None:
        return None
    argv = [sys.executable, "-c", _START, str(directory), str(release.directory), base,
            str(os.getpid())]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
