"""Prepared pages: every resource's HTML page, written once per release beside the store.

A page is the costliest first answer: its description, the labels of everything it links
to, a pledge's facts and evidence, and the template, about 0.9 ms of Python a pledge where
its Turtle takes a quarter of that. The release does not change while it is served, so
``serve`` has every page written once, by :mod:`pledge_graph.site.pages` in a process of
its own at the system's idle priority (it takes only processor time no request wants), and
answers a page from that file once it is complete. Until then, and for any page it does
not hold, the page is made per request as before: the file only ever saves time.

The file (``pages.sqlite`` in the store's directory) holds each page compressed with a
dictionary of pages (the shared header, navigation and table markup compress to a few
bytes), and names the release and the code that wrote it. Pages written by other code (an
upgrade, a changed template) or for another release are never served: the server has them
written again.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
import zlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

__all__ = ["PAGES_NAME", "PreparedPages", "prepared_count", "renderer_digest", "start"]

PAGES_NAME = "pages.sqlite"
"""The file's name, inside the store's directory."""

_PACKAGE = Path(__file__).resolve().parent.parent
_LIBRARIES = ("jinja2", "markupsafe", "pyoxigraph", "rdflib")
"""The libraries whose output is part of a page (templates, escaping, terms, the ontology)."""
_START = """import os, sys
try:  # idle before its modules load: the server is starting too
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
except (AttributeError, OSError):
    os.nice(19)
from pledge_graph.site.pages import main
sys.exit(main(sys.argv[1:]))
"""
_CHECK_EVERY = 1.0  # seconds between looks for a file that is missing or not yet usable


@lru_cache(maxsize=1)
def renderer_digest() -> str:
    """A digest of the code that writes pages: the package's modules and templates and
    the versions of the libraries that take part. Pages written by other code are stale."""
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


def prepared_count(directory: Path, release_digest: str) -> int | None:
    """How many pages the file in ``directory`` holds when it is complete and made by this
    code for this release; None otherwise (missing, stale or unreadable)."""
    try:
        with _open(directory / PAGES_NAME) as db:
            meta = _meta(db)
            if not _current(meta, release_digest):
                return None
            return int(db.execute("SELECT count(*) FROM pages").fetchone()[0])
    except sqlite3.Error:
        return None


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise sqlite3.OperationalError(f"no file {path}")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           check_same_thread=False)


def _current(meta: dict[str, bytes], release_digest: str) -> bool:
    return (meta.get("renderer") == renderer_digest().encode()
            and meta.get("release") == release_digest.encode() and "dictionary" in meta)


class PreparedPages:
    """The prepared pages of one store directory, read once the file is there, complete,
    and made by this code for this release (looked for at most once a second until then).

    Read from the event loop's thread only (one connection, no lock)."""

    def __init__(self, directory: Path, release_digest: str) -> None:
        self.path = directory / PAGES_NAME
        self.release_digest = release_digest
        self._db: sqlite3.Connection | None = None
        self._dictionary = b""
        self._next_look = 0.0
        self._seen: tuple[int, int] | None = None  # the stale file looked at last

    def page(self, iri: str) -> bytes | None:
        """The prepared page of ``iri``, or None (not prepared, or no file yet)."""
        db = self._db if self._db is not None else self._look()
        if db is None:
            return None
        try:
            row = db.execute("SELECT body FROM pages WHERE iri = ?", (iri,)).fetchone()
            if row is None:
                return None
            return zlib.decompressobj(zdict=self._dictionary).decompress(row[0])
        except (sqlite3.Error, zlib.error):  # the file was replaced or damaged: look again
            self.close()
            return None

    @property
    def ready(self) -> bool:
        """Whether pages are answered from the file."""
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
            meta = _meta(db)
        except sqlite3.Error:
            return None
        if not _current(meta, self.release_digest):
            db.close()
            return None
        self._db, self._dictionary = db, meta["dictionary"]
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db, self._seen = None, None


def start(directory: Path, release_dir: Path, base: str) -> subprocess.Popen[bytes] | None:
    """Have the pages of the store in ``directory`` written, in a process of their own
    (its workers forked from it), unless they are already; return that process."""
    from pledge_graph.build.release import read_release

    if prepared_count(directory, read_release(release_dir).digest) is not None:
        return None
    argv = [sys.executable, "-c", _START, str(directory), str(release_dir), base,
            str(os.getpid())]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
