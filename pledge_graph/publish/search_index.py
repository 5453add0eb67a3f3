"""The release's browse and search index: ``search.sqlite``, written next to the dumps.

One SQLite file that the server reads, read-only, to list the pledges, count them by facet
and search their texts: a table of pledges in display order (submission, then number), a
table of (facet, value, pledge) rows, the labels of the values, and an FTS5 full-text index
of the texts. The facets are defined once, in :data:`FACETS`, with the SPARQL pattern each
one stands for, so that the server can show the query equal to every view.

A build makes the index as it makes the dumps, batch by batch: each worker reads its batch's
rows for what the index needs and makes its pledges' rows, texts normalised and facet values
found (:func:`index_part`); the parent keeps the parts in a scratch database as they come
and writes them into the index in display order (:class:`IndexWriter`), mostly while the
workers map later batches. The time is spread over the workers, no process holds more than
a batch of it in memory, and the file is the one a single pass over the whole graph writes
(:func:`index_triples`), byte for byte.

Full-text search (FTS5, ``unicode61 remove_diacritics 2``) covers the six UN languages:
texts and queries are normalised alike (:func:`normalise`: NFKC, case folded, combining
marks such as Arabic harakat and Latin accents removed) and every CJK character is made a
token of its own, so a Chinese word of any length is found as a phrase of its characters.
The ``trigram`` tokenizer was not chosen: it finds nothing shorter than three characters,
yet most Chinese words have two.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from pledge_graph.rdf.ntriples import Triple, literal_parts

__all__ = ["FACETS", "INDEX_FILE", "PARTS_FILE", "Facet", "IndexPart", "IndexWriter",
           "fts_query", "index_part", "index_triples", "normalise", "search_words"]

INDEX_FILE = "search.sqlite"
"""The index's file name in the release directory."""


@dataclass(frozen=True)
class Facet:
    """One way of narrowing the list: its parameter name, its title, and the SPARQL
    pattern relating ``?pledge`` to its value ``{v}`` (``{n}`` numbers the pattern's own
    variables, so several facets combine in one query)."""

    name: str
    title: str
    pattern: str
    restrict: str = ""
    """A further pattern a count over all values needs (the values that belong here)."""
    literal: bool = False
    """The values are literals (compared by FILTER), not IRIs."""


COMMITMENT_KINDS = ("FundingCommitment", "TreatyAction")
FACETS: tuple[Facet, ...] = (
    Facet("actor", "Pledging actor", "?pledge pg:pledgedBy {v} ."),
    Facet("group", "Rights-holder group", "?pledge pg:rightsHolderGroup {v} ."),
    Facet("commitment", "Kind of commitment", "?fact{n} pg:statedIn ?pledge ; a {v} .",
          restrict="VALUES {v} {{ " + " ".join(f"pg:{k}" for k in COMMITMENT_KINDS) + " }}"),
    Facet("recipient", "Recipient organisation",
          "?fact{n} pg:statedIn ?pledge ; pg:recipient {v} ."),
    Facet("treaty", "Treaty", "?fact{n} pg:statedIn ?pledge ; pg:treaty {v} ."),
    Facet("country", "Country named", "?pledge dct:spatial {v} ."),
    Facet("language", "Language of the text",
          "?pledge pg:pledgeText ?text{n} . BIND(LANG(?text{n}) AS {v})", literal=True),
)

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABELS = ("http://www.w3.org/2000/01/rdf-schema#label",
           "http://www.w3.org/2004/02/skos/core#prefLabel")
_DCT = "http://purl.org/dc/terms/"
_CJK = re.compile(r"([\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                  r"\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f])")
_WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 20
LANGUAGES = {"ar": "Arabic", "zh": "Chinese", "en": "English", "fr": "French", "ru": "Russian",
             "es": "Spanish"}
"""Names of the six UN languages, the labels of the language facet's values."""


def normalise(text: str) -> str:
    """Return ``text`` as the index holds it: NFKC, case folded, without combining marks,
    each CJK character set apart as a word of its own.

    >>> normalise("Économie ET droits")
    'economie et droits'
    >>> normalise("人权理事会")
    ' 人  权  理  事  会 '
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _CJK.sub(r" \1 ", unicodedata.normalize("NFC", text))


def search_words(text: str) -> list[str]:
    """Split a search string into its words (letters and digits; all else separates).

    >>> search_words('"rule" OR law* NEAR(x')
    ['rule', 'OR', 'law', 'NEAR', 'x']
    """
    return _WORD.findall(text)


def fts_query(words: Iterable[str]) -> str:
    """The FTS5 query finding texts with every word (as a word prefix; a CJK word as its
    run of characters): each word is quoted, so no FTS5 syntax reaches the engine.

    >>> fts_query(["Rights", "人权"])
    '"rights"* AND " 人  权 "*'
    """
    return " AND ".join(f'"{normalise(w)}"*' for w in words)


def index_triples(triples: Iterable[ox.Triple | ox.Quad], path: Path) -> Path:
    """Write the index of the pledges in ``triples`` (a whole graph, in any order) to
    ``path``, replacing it: the one-part case of what a build does batch by batch."""
    rows = sorted({(str(t.subject), str(t.predicate), str(t.object)) for t in triples})
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        writer = IndexWriter(Path(scratch))
        writer.add(index_part(rows))
        os.replace(writer.close(), path)
    return path


@dataclass(frozen=True)
class IndexPart:
    """One batch's part of the index, made in its worker: its pledges' rows, each with its
    display-order key, normalised text and facet values, and the labels of its subjects."""

    pledges: list[tuple[str, str, str, str, str, str, str, str, str]]
    """(submission, number key, IRI, label, date, language, text, normalised texts, facet
    values as JSON), the columns of :data:`_PARTS_SCHEMA`'s ``part_pledge``."""
    labels: list[tuple[str, str | None, str]]
    """(IRI, language, label) of every labelled subject but facts and the part's pledges."""


class IndexWriter:
    """Writes ``search.sqlite`` into ``directory`` from the batches' parts, given in batch
    order.

    The parts are kept as they come in a scratch database beside the index, so the parent
    holds none of them in memory. Batches follow the records' file names and the list the
    submissions' IRIs, which nearly always agree: told with each part the least submission
    of the parts still to come, the writer puts in at once the pledges kept so far that come
    before it, and the index is mostly written while the workers map the later batches.
    Should a part bring a pledge that belongs before one already written, the index is
    written again from the scratch database when it is closed. Either way the statements
    are those of one pass over the whole graph in display order (pledge, text, facet values,
    pledge after pledge, then the labels), so the file's bytes do not depend on the batches.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / INDEX_FILE
        self.parts_path = directory / PARTS_FILE
        self._parts: sqlite3.Connection | None = None
        self._db: sqlite3.Connection | None = None
        self._last: tuple[str, str, str] | None = None  # the order key of the last written
        self._written = 0
        self._in_order = True
        self._named: set[str] = set()
        self._languages: set[str] = set()

    def add(self, part: IndexPart, *, before: str | None = None) -> None:
        """Keep one part; with ``before``, the least submission IRI of the parts still to
        come, write the pledges kept that come before it. (The files are opened on the
        first part, after a build's workers are forked.)"""
        parts, _ = self._open()
        if self._last is not None and any(row[:3] <= self._last for row in part.pledges):
            self._in_order = False
        parts.executemany("INSERT INTO part_pledge VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          part.pledges)
        parts.executemany("INSERT INTO part_label VALUES (?, ?, ?)", part.labels)
        if before is not None and self._in_order:
            self._write(before)

    def close(self) -> Path:
        """Write the pledges not yet written (all of them again if a part came out of
        order), the labels, and the full-text index optimised; remove the scratch database."""
        if not self._in_order and self._db is not None:
            self._db.close()  # the index is written again, from the start
            self._db, self._last, self._written, self._in_order = None, None, 0, True
            self._named.clear()
            self._languages.clear()
        self._write(None)
        _, db = self._open()
        db.executemany("INSERT INTO label VALUES (?, ?)",
                       [(iri, self._named_label(iri)) for iri in sorted(self._named)]
                       + [(code, LANGUAGES.get(code.split("-")[0].lower(), code))
                          for code in sorted(self._languages - self._named)])
        db.execute("INSERT INTO text_index(text_index) VALUES ('optimize')")
        db.commit()
        self.abort(keep_index=True)
        return self.path

    def abort(self, *, keep_index: bool = False) -> None:
        """Close the files and remove the scratch database (and, unless kept, the index)."""
        for db in (self._parts, self._db):
            if db is not None:
                db.close()
        self._parts = self._db = None
        self.parts_path.unlink(missing_ok=True)
        if not keep_index:
            self.path.unlink(missing_ok=True)

    def _open(self) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        if self._parts is None:
            self._parts = sqlite3.connect(self.parts_path)
            self._parts.executescript(_PARTS_SCHEMA)
        if self._db is None:
            self.path.unlink(missing_ok=True)
            self._db = sqlite3.connect(self.path)
            self._db.executescript(_SCHEMA)
        return self._parts, self._db

    def _write(self, before: str | None) -> None:
        """Insert the kept pledges after the last written (and, given ``before``, of a
        submission before it), in display order, with their texts and facet values."""
        parts, db = self._open()
        where = ["(submission, number, iri) > (?, ?, ?)"] if self._last else []
        if before is not None:
            where.append("submission < ?")
        rows = parts.execute(
            "SELECT submission, number, iri, label, date, language, text, body, facets "
            "FROM part_pledge " + (f"WHERE {' AND '.join(where)} " if where else "")
            + "ORDER BY submission, number, iri",
            [*(self._last or ()), *([before] if before is not None else [])])
        for submission, key, iri, label, date, language, text, body, facets in rows:
            self._written += 1
            number = self._written
            db.execute("INSERT INTO pledge VALUES (?, ?, ?, ?, ?, ?)",
                       (number, iri, label, date, language, text))
            db.execute("INSERT INTO text_index(rowid, body) VALUES (?, ?)", (number, body))
            values = json.loads(facets)
            db.executemany("INSERT OR IGNORE INTO facet VALUES (?, ?, ?)",
                           [(facet, value, number) for facet, value in values])
            self._named.update(value for facet, value in values if facet != "language")
            self._languages.update(value for facet, value in values if facet == "language")
            self._last = (submission, key, iri)

    def _named_label(self, iri: str) -> str:
        """The label of a facet value: of its labels in any part, else a pledge's own."""
        parts, db = self._open()
        labels = parts.execute("SELECT language, label FROM part_label WHERE iri = ?",
                               (iri,)).fetchall()
        if labels:
            return _label(iri, labels)
        pledge = db.execute("SELECT label FROM pledge WHERE iri = ?", (iri,)).fetchone()
        return str(pledge[0]) if pledge else _label(iri, [])


PARTS_FILE = ".search-parts.sqlite"
"""The scratch database of the parts, in the release directory while it is built."""

_PARTS_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE part_pledge(submission TEXT, number TEXT, iri TEXT, label TEXT, date TEXT,
                         language TEXT, text TEXT, body TEXT, facets TEXT);
CREATE INDEX part_order ON part_pledge(submission, number, iri);
CREATE TABLE part_label(iri TEXT, language TEXT, label TEXT);
CREATE INDEX part_labels ON part_label(iri);
"""
"""A scratch file: no journal, no waiting for the disk."""

_SCHEMA = """
CREATE TABLE pledge(id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, label TEXT,
                    date TEXT, language TEXT, text TEXT);
CREATE TABLE facet(facet TEXT NOT NULL, value TEXT NOT NULL, pledge INTEGER NOT NULL,
                   PRIMARY KEY (facet, value, pledge)) WITHOUT ROWID;
CREATE INDEX facet_by_pledge ON facet(pledge, facet, value);
CREATE TABLE label(iri TEXT PRIMARY KEY, label TEXT NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE text_index USING fts5(body, content='',
                                           tokenize='unicode61 remove_diacritics 2');
"""


_PG_WANTED = ("Pledge", "pledgeText", "pledgedBy", "rightsHolderGroup", "statedIn",
              "recipient", "treaty", "submission", "pledgeNumber")
_KEPT_TYPES = ("Pledge", *COMMITMENT_KINDS)


@dataclass
class _Graph:
    """The few triples the index needs, by subject IRI (objects as N-Triples terms)."""

    pledges: set[str]
    values: dict[str, dict[str, list[str]]]
    labels: dict[str, list[tuple[str | None, str]]]


def _value(term: str) -> str:
    """An N-Triples term's IRI or lexical form."""
    return term[1:-1] if term.startswith("<") else literal_parts(term)[0]


def _kind(predicate: str) -> str | None:
    """The name :func:`_read` keeps a predicate's objects under, or None."""
    iri = predicate[1:-1]
    if iri in _LABELS:
        return "label"
    if iri == _RDF_TYPE:
        return "type"
    local = re.split(r"[/#]", iri)[-1]
    return local if local in _PG_WANTED or iri in (_DCT + "spatial", _DCT + "issued") else None


def _read(rows: Iterable[Triple]) -> _Graph:
    """Keep from ``rows`` what the index needs: the types of pledges and of the facts a
    facet counts, their values, and the labels of all but facts and their evidence."""
    graph = _Graph(set(), defaultdict(lambda: defaultdict(list)), defaultdict(list))
    kinds: dict[str, str | None] = {}
    for s, p, o in rows:
        kind = kinds[p] if p in kinds else kinds.setdefault(p, _kind(p))
        if kind is None or not s.startswith("<") or o.startswith(("_:", "<<")):
            continue
        subject = s[1:-1]
        if kind == "label":
            if o.startswith('"') and "/id/fact/" not in subject:
                text, language, _ = literal_parts(o)
                graph.labels[subject].append((language and language.lower(), text))
        elif kind == "type":
            if _value(o).rsplit("/", 1)[-1] in _KEPT_TYPES:
                if _value(o).rsplit("/", 1)[-1] == "Pledge":
                    graph.pledges.add(subject)
                graph.values[subject]["type"].append(o)
        else:
            graph.values[subject][kind].append(o)
    return graph


def index_part(rows: Iterable[Triple]) -> IndexPart:
    """The part of the index of a batch's rows (sorted, as the dumps hold them).

    A batch owns its submissions, their pledges and the facts stated in them, so each
    pledge's row is made whole here; labels of values the batches share come in the
    part of the shared rows."""
    graph = _read(rows)
    facts: dict[str, list[str]] = defaultdict(list)
    for subject, props in graph.values.items():
        for pledge in props.get("statedIn", ()):
            facts[_value(pledge)].append(subject)
    pledges = []
    for iri in sorted(graph.pledges):
        props = graph.values[iri]
        texts = [literal_parts(t) for t in props.get("pledgeText", ()) if t.startswith('"')]
        language = (texts[0][1] or "").lower() if texts else ""
        values = _facet_values(graph, props, facts.get(iri, []), texts)
        pledges.append((*_order(props), iri, _label(iri, graph.labels.get(iri, [])),
                        _date(graph, props), language, texts[0][0] if texts else "",
                        normalise(" ".join(t[0] for t in texts)),
                        json.dumps(sorted(values), ensure_ascii=False)))
    labels = [(iri, language, text) for iri, found in sorted(graph.labels.items())
              if iri not in graph.pledges for language, text in found]
    return IndexPart(pledges, labels)


def _facet_values(graph: _Graph, props: dict[str, list[str]], facts: list[str],
                  texts: list[tuple[str, str | None, str | None]]) -> set[tuple[str, str]]:
    """The (facet, value) pairs of one pledge, as :data:`FACETS` define them."""
    rows = {("language", (language or "").lower()) for _, language, _ in texts}
    for facet, key in (("actor", "pledgedBy"), ("group", "rightsHolderGroup"),
                       ("country", "spatial")):
        rows |= {(facet, o[1:-1]) for o in props.get(key, ()) if o.startswith("<")}
    for fact in facts:
        fprops = graph.values[fact]
        rows |= {("commitment", _value(o)) for o in fprops.get("type", ())
                 if _value(o).rsplit("/", 1)[-1] in COMMITMENT_KINDS}
        for facet in ("recipient", "treaty"):
            rows |= {(facet, o[1:-1]) for o in fprops.get(facet, ()) if o.startswith("<")}
    return rows


def _order(props: dict[str, list[str]]) -> tuple[str, str]:
    """Display order: by submission, then pledge number (as a number; the key's text sorts
    as the number does), then IRI."""
    submission = next((_value(o) for o in props.get("submission", ())), "")
    number = next((_value(o) for o in props.get("pledgeNumber", ())), "0")
    digits = str(int(number)) if number.isdigit() else "0"
    return submission, f"{len(digits):06d}{digits}"


def _date(graph: _Graph, props: dict[str, list[str]]) -> str:
    """The pledge's date: its submission's ``dct:issued``."""
    for submission in props.get("submission", ()):
        for issued in graph.values.get(_value(submission), {}).get("issued", ()):
            return _value(issued)
    return ""


def _label(iri: str, labels: Sequence[tuple[str | None, str]]) -> str:
    """An English label, else any label, else the IRI's last part made readable
    (``.../ontology/FundingCommitment`` reads "Funding commitment")."""
    if labels:
        return min(labels, key=lambda lit: (lit[0] != "en", lit[0] or "", lit[1]))[1]
    tail = re.split(r"[/#]", iri.rstrip("/"))[-1]
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", tail).replace("-", " ")
    return words[:1].upper() + words[1:].lower()
