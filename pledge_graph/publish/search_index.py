"""The release's browse and search index: ``search.sqlite``, written next to the dumps.

Given the release's triples (read from its N-Triples dump), write one SQLite file that
the server reads, read-only, to list the pledges, count them by facet and search their
texts: a table of pledges in display order (submission, then number), a table of
(facet, value, pledge) rows, the labels of the values, and an FTS5 full-text index of the
texts. The facets are defined once, in :data:`FACETS`, with the SPARQL pattern each one
stands for, so that the server can show the query equal to every view.

Full-text search (FTS5, ``unicode61 remove_diacritics 2``) covers the six UN languages:
texts and queries are normalised alike (:func:`normalise`: NFKC, case folded, combining
marks such as Arabic harakat and Latin accents removed) and every CJK character is made a
token of its own, so a Chinese word of any length is found as a phrase of its characters.
The ``trigram`` tokenizer was not chosen: it finds nothing shorter than three characters,
yet most Chinese words have two.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

__all__ = ["FACETS", "INDEX_FILE", "Facet", "fts_query", "index_triples", "normalise",
           "search_words", "write_search_index"]

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


def write_search_index(directory: Path, dump: str = "pledge-graph.nt") -> Path:
    """Index the release in ``directory`` from its N-Triples dump; return the index's path.

    Only the dump's lines whose predicate the index reads are parsed: on a 100k-pledge
    release that is a fraction of its 6 million lines, and the time and memory of the
    index stay a small part of the build's."""
    with open(directory / dump, "rb") as source:
        kept = b"".join(_wanted_lines(source))
    return index_triples(ox.parse(kept, ox.RdfFormat.N_TRIPLES), directory / INDEX_FILE)


def _wanted_lines(lines: Iterable[bytes]) -> Iterator[bytes]:
    """The N-Triples lines whose predicate :func:`_read` keeps (a subject, an IRI or a blank
    node label, holds no space, so the predicate is the line's second word)."""
    keep: dict[bytes, str] = {}  # predicate -> "label", "type", "value" or ""
    types = tuple(f"/{kind}>".encode() for kind in _KEPT_TYPES)
    for line in lines:
        words = line.split(b" ", 2)
        if len(words) < 3:
            continue
        kind = keep.get(words[1])
        if kind is None:
            iri = words[1][1:-1].decode("utf-8", "replace")
            kind = keep[words[1]] = (
                "label" if iri in _LABELS else "type" if iri == _RDF_TYPE
                else "value" if (re.split(r"[/#]", iri)[-1] in _PG_WANTED
                                 or iri in (_DCT + "spatial", _DCT + "issued")) else "")
        if (kind == "value" or (kind == "label" and b"/id/fact/" not in words[0])
                or (kind == "type" and words[2].split(b" ", 1)[0].endswith(types))):
            yield line


def index_triples(triples: Iterable[ox.Triple | ox.Quad], path: Path) -> Path:
    """Write the index of the pledges in ``triples`` to ``path`` (replacing it)."""
    graph = _read(triples)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        _fill(db, graph)
        db.execute("INSERT INTO text_index(text_index) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()
    return path


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


@dataclass
class _Graph:
    """The few triples the index needs, by subject."""

    pledges: set[str]
    values: dict[str, dict[str, list[ox.NamedNode | ox.Literal]]]
    labels: dict[str, list[ox.Literal]]


_KEPT_TYPES = ("Pledge", *COMMITMENT_KINDS)


def _read(triples: Iterable[ox.Triple | ox.Quad]) -> _Graph:
    """Keep from ``triples`` what the index needs (the graph is never held whole): the
    types of pledges and of the facts a facet counts, and no label of a fact or of its
    evidence, which no page of the list shows."""
    graph = _Graph(set(), defaultdict(lambda: defaultdict(list)), defaultdict(list))
    wanted: dict[str, str | None] = {}  # predicate -> the name the index keeps it under
    for t in triples:
        p, s, o = t.predicate.value, t.subject, t.object
        if not isinstance(s, ox.NamedNode) or isinstance(o, (ox.BlankNode, ox.Triple)):
            continue
        if p in _LABELS:
            if isinstance(o, ox.Literal) and "/id/fact/" not in s.value:
                graph.labels[s.value].append(o)
        elif p == _RDF_TYPE:
            kind = o.value.rsplit("/", 1)[-1]
            if kind in _KEPT_TYPES:
                if kind == "Pledge":
                    graph.pledges.add(s.value)
                graph.values[s.value]["type"].append(o)
        else:
            if p not in wanted:
                local = re.split(r"[/#]", p)[-1]
                wanted[p] = local if (local in _PG_WANTED or p in (
                    _DCT + "spatial", _DCT + "issued")) else None
            name = wanted[p]
            if name is not None:
                graph.values[s.value][name].append(o)
    return graph


def _fill(db: sqlite3.Connection, graph: _Graph) -> None:
    """Insert the pledges (in display order), their facet values, labels and texts."""
    facts: dict[str, list[str]] = defaultdict(list)
    for subject, props in graph.values.items():
        for pledge in props.get("statedIn", ()):
            facts[pledge.value].append(subject)
    order = sorted(graph.pledges, key=lambda iri: _order(graph, iri))
    named: set[str] = set()
    languages: set[str] = set()
    for number, iri in enumerate(order, start=1):
        props = graph.values[iri]
        texts = [t for t in props.get("pledgeText", ()) if isinstance(t, ox.Literal)]
        text = texts[0].value if texts else ""
        language = texts[0].language or "" if texts else ""
        date = _date(graph, props)
        db.execute("INSERT INTO pledge VALUES (?, ?, ?, ?, ?, ?)",
                   (number, iri, _label(graph, iri), date, language, text))
        db.execute("INSERT INTO text_index(rowid, body) VALUES (?, ?)",
                   (number, normalise(" ".join(t.value for t in texts))))
        rows = _facet_values(graph, props, facts.get(iri, []), texts)
        db.executemany("INSERT OR IGNORE INTO facet VALUES (?, ?, ?)",
                       [(facet, value, number) for facet, value in sorted(rows)])
        named.update(value for facet, value in rows if facet != "language")
        languages.update(value for facet, value in rows if facet == "language")
    db.executemany("INSERT INTO label VALUES (?, ?)",
                   [(iri, _label(graph, iri)) for iri in sorted(named)]
                   + [(code, LANGUAGES.get(code.split("-")[0].lower(), code))
                      for code in sorted(languages - named)])


def _facet_values(graph: _Graph, props: dict[str, list[ox.NamedNode | ox.Literal]],
                  facts: list[str], texts: list[ox.Literal]) -> set[tuple[str, str]]:
    """The (facet, value) pairs of one pledge, as :data:`FACETS` define them."""
    rows = {("language", t.language or "") for t in texts}
    for facet, key in (("actor", "pledgedBy"), ("group", "rightsHolderGroup"),
                       ("country", "spatial")):
        rows |= {(facet, o.value) for o in props.get(key, ()) if isinstance(o, ox.NamedNode)}
    for fact in facts:
        fprops = graph.values[fact]
        rows |= {("commitment", o.value) for o in fprops.get("type", ())
                 if o.value.rsplit("/", 1)[-1] in COMMITMENT_KINDS}
        for facet in ("recipient", "treaty"):
            rows |= {(facet, o.value) for o in fprops.get(facet, ())
                     if isinstance(o, ox.NamedNode)}
    return rows


def _order(graph: _Graph, iri: str) -> tuple[str, int, str]:
    """Display order: by submission, then pledge number (as a number), then IRI."""
    props = graph.values[iri]
    submission = next((o.value for o in props.get("submission", ())), "")
    number = next((o.value for o in props.get("pledgeNumber", ())), "0")
    return submission, int(number) if number.isdigit() else 0, iri


def _date(graph: _Graph, props: dict[str, list[ox.NamedNode | ox.Literal]]) -> str:
    """The pledge's date: its submission's ``dct:issued``."""
    for submission in props.get("submission", ()):
        for issued in graph.values.get(submission.value, {}).get("issued", ()):
            return issued.value
    return ""


def _label(graph: _Graph, iri: str) -> str:
    """An English label, else any label, else the IRI's last part made readable
    (``.../ontology/FundingCommitment`` reads "Funding commitment")."""
    labels = sorted(graph.labels.get(iri, ()),
                    key=lambda lit: (lit.language != "en", lit.language or "", lit.value))
    if labels:
        return labels[0].value
    tail = re.split(r"[/#]", iri.rstrip("/"))[-1]
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", tail).replace("-", " ")
    return words[:1].upper() + words[1:].lower()
