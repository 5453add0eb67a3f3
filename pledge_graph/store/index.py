"""The triples around a term, read from an SQLite index of the store's default graph.

Dereferencing, one-subject queries, labels and a pledge's evidence are bounded reads: the
triples with one term as subject, or one IRI as object. pyoxigraph's pattern reads on the
on-disk store cost about 30 us to open and 8 us a triple (each term is looked up in the
store's string table), 330 us for a pledge's description on the 10k corpus; its in-memory
store reads them in 80 us, but costs 400 MiB. This index keeps each triple as N-Triples
text, keyed by subject and, for IRI and blank-node objects, by object, so a read is one
B-tree range with no string table: about 45 us for the same description, with the file in
the page cache rather than in the server's memory. SQLite is in Python's standard library
and is read by every thread through a connection of its own.

The index is written from the store once, beside it, when the server's store is built
(:func:`write_index`), and is exact by construction: the store's default graph, dumped by
pyoxigraph as N-Triples, one row a triple. Terms stay in the form pyoxigraph writes, and a
subject's triples in the order the store reads them, so an answer rebuilt from them is the
store's byte for byte.

A triple whose literal the release publishes in another form than the store's (its datatype,
:mod:`pledge_graph.store.published`) has a row in each form, marked: query answers read the
store's (:class:`TripleIndex`), descriptions the release's (:meth:`TripleIndex.published`).
"""

from __future__ import annotations

import copy
import itertools
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from pledge_graph.store.published import Published

__all__ = ["BOTH", "INDEX_NAME", "PUBLISHED", "STORED", "TripleIndex", "TripleTermFound",
           "index_rows", "write_index"]

INDEX_NAME = "lookup.sqlite"
"""The index's file name, inside the on-disk store's directory."""

_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE triples (s TEXT NOT NULL, n INTEGER NOT NULL, p TEXT NOT NULL, o TEXT NOT NULL,
                      v INTEGER NOT NULL, PRIMARY KEY (s, n)) WITHOUT ROWID;
CREATE TABLE links (o TEXT NOT NULL, p TEXT NOT NULL, s TEXT NOT NULL,
                    PRIMARY KEY (o, p, s)) WITHOUT ROWID;
CREATE TEMP TABLE staged (s TEXT, n INTEGER, p TEXT, o TEXT, v INTEGER);
"""
_BATCH = 50_000
BOTH, STORED, PUBLISHED = 0, 1, 2
"""A row's ``v``: the triple as the store and the release write it, as the store writes it
only (the release writes its literal otherwise), as the release writes it only."""


def write_index(store: ox.Store, directory: Path, published: Published | None = None) -> Path | None:
    """Write the index of ``store``'s default graph into ``directory`` and return its
    path; None when the graph holds a triple term (RDF 1.2), which the index does not
    keep (its lookups then read the store). ``published``: the release's forms of the
    literals the store writes otherwise, kept beside them."""
    dump = directory / "default-graph.nt.tmp"
    target = directory / INDEX_NAME
    building = directory / (INDEX_NAME + ".tmp")
    try:
        store.dump(str(dump), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        building.unlink(missing_ok=True)
        with sqlite3.connect(building) as db:
            db.executescript(_SCHEMA)
            with dump.open(encoding="utf-8") as lines:
                rows = index_rows(lines, published or {})
                while batch := [row for _, row in zip(range(_BATCH), rows, strict=False)]:
                    db.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?)", batch)
            # in key order, the table's pages are written full, once (the dump is in the
            # store's order, not the text's)
            db.execute("INSERT INTO triples SELECT * FROM staged ORDER BY s, n")
            db.execute("DROP TABLE staged")
            db.execute("INSERT INTO links SELECT o, p, s FROM triples "
                       "WHERE substr(o, 1, 1) != '\"' ORDER BY o, p, s")
        db.close()
        os.replace(building, target)
        return target
    except TripleTermFound:
        return None
    finally:
        dump.unlink(missing_ok=True)
        building.unlink(missing_ok=True)


class TripleTermFound(Exception):
    """A line of the dump holds a triple term."""


def index_rows(lines: Iterable[str], published: Published
               ) -> Iterator[tuple[str, int, str, str, int]]:
    """Subject, number, predicate, object and form of each line of a pyoxigraph N-Triples
    dump: ``S P O .``, single spaces, no space inside an IRI or a blank node label
    (N-Triples escapes the rest); a literal published otherwise is followed by its
    published forms. The store writes a subject's triples in the order its queries read
    them, and the numbers keep that order. A triple term raises :class:`TripleTermFound`."""
    number = 0
    for line in lines:
        subject, predicate, rest = line.split(" ", 2)
        if subject.startswith("<<") or rest.startswith("<<"):
            raise TripleTermFound
        obj = rest[:-3] if rest[-1] == "\n" else rest[:-2]
        typed = obj[0] == '"' and obj[-1] == ">"
        forms = published.get((subject, predicate, obj)) if typed else None
        if forms is None:
            yield subject, number, predicate, obj, BOTH
            number += 1
            continue
        yield subject, number, predicate, obj, BOTH if obj in forms else STORED
        for form in forms:
            if form != obj:
                number += 1
                yield subject, number, predicate, form, PUBLISHED
        number += 1


_MANY = 500
"""Subjects named in one read at most (SQLite's limit on a statement's parameters is far
above it)."""


class TripleIndex:
    """Reads of the index: terms in and out as N-Triples text, literals as the store
    writes them (query answers read these)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._hidden = PUBLISHED
        self._connect()  # fail here, not at the first request, if the file is unreadable

    def published(self) -> TripleIndex:
        """The same reads, literals as the release writes them (descriptions read these),
        on the same connections."""
        view = copy.copy(self)
        view._hidden = STORED
        return view

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True,
                                 check_same_thread=False)
            self._local.db = db
        return db

    def iris(self) -> set[str]:
        """Every IRI that is a subject or an object of the graph."""
        db = self._connect()
        return {term[1:-1] for (term,) in itertools.chain(
            db.execute("SELECT DISTINCT s FROM triples"),
            db.execute("SELECT DISTINCT o FROM links")) if term[0] == "<"}

    def outgoing(self, subject: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]:
        """(predicate, object) of the triples with ``subject``, at most ``most`` (-1: all)."""
        if predicate is None:
            return self._connect().execute(
                "SELECT p, o FROM triples WHERE s = ? AND v != ? ORDER BY n LIMIT ?",
                (subject, self._hidden, most)).fetchall()
        return [(predicate, o) for (o,) in self._connect().execute(
            "SELECT o FROM triples WHERE s = ? AND p = ? AND v != ? ORDER BY n LIMIT ?",
            (subject, predicate, self._hidden, most))]

    def values(self, subjects: Sequence[str], predicates: Sequence[str]
               ) -> list[tuple[str, str, str]]:
        """(subject, predicate, object) of the triples of any of ``subjects`` with any of
        ``predicates``: a page's labels in one read rather than one per link and property."""
        db, found = self._connect(), []
        for start in range(0, len(subjects), _MANY):
            part = subjects[start:start + _MANY]
            found += db.execute(
                f"SELECT s, p, o FROM triples WHERE s IN ({','.join('?' * len(part))}) "
                f"AND p IN ({','.join('?' * len(predicates))}) AND v != ? ORDER BY s, n",
                (*part, *predicates, self._hidden)).fetchall()
        return found

    def incoming(self, obj: str, predicate: str | None = None,
                 most: int = -1) -> list[tuple[str, str]]:
        """(subject, predicate) of the triples with the IRI or blank node ``obj`` as
        object, at most ``most`` (-1: all)."""
        if predicate is None:
            return self._connect().execute(
                "SELECT s, p FROM links WHERE o = ? LIMIT ?", (obj, most)).fetchall()
        return [(s, predicate) for (s,) in self._connect().execute(
            "SELECT s FROM links WHERE o = ? AND p = ? LIMIT ?", (obj, predicate, most))]
