"""The facts a pledge's page highlights in its words: where each fact's Web Annotation
selectors point, its kinds and curation status (shown by :mod:`~pledge_graph.web.pledge_page`).

A store's description of a pledge names its facts (``pg:statedIn``) but not their selectors,
which belong to the facts: one bounded query fetches the facts' offsets, quotes, kinds and
curation statuses. Facts may overlap, so the text is cut at every fact's start and end and
each piece names the facts that cover it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from pledge_graph.rdf.vocab import DCTERMS, OA, PROV, RDF
from pledge_graph.sparql.results import SPARQL_JSON
from pledge_graph.store.lookup import Reader, literal_parts

__all__ = ["MOST_FACTS", "Fact", "Piece", "fetch_facts", "pieces", "pledge_date",
           "query_facts", "read_facts"]

MOST_FACTS = 1000
"""Facts shown for one pledge at most (the bundled pledges have a dozen at most)."""


@dataclass
class Fact:
    """One fact stated in a pledge and where its words are."""

    iri: str
    status: str
    start: int
    end: int
    exact: str | None = None
    kinds: list[str] = field(default_factory=list)
    number: int = 0

    prefix: str = ""
    suffix: str = ""

    def anchor(self, text: str) -> tuple[int, int] | None:
        """Where the fact's words are in ``text``: at its TextPositionSelector's offsets when
        the words there are its quote (or it has none); else, as the Web Annotation model
        advises, where its TextQuoteSelector's quote stands (with its prefix and suffix if
        they match, the occurrence nearest the offsets); None if neither finds them."""
        if 0 <= self.start < self.end <= len(text) and (
                self.exact is None or text[self.start:self.end] == self.exact):
            return self.start, self.end
        if not self.exact:
            return None
        found = [m.start() for m in re.finditer(re.escape(self.exact), text)]
        fitting = [at for at in found if text[:at].endswith(self.prefix)
                   and text[at + len(self.exact):].startswith(self.suffix)]
        if not (fitting or found):
            return None
        at = min(fitting or found, key=lambda at: (abs(at - self.start), at))
        return at, at + len(self.exact)


@dataclass
class Piece:
    """A run of the pledge text between two fact boundaries, and the facts covering it."""

    text: str
    start: int
    end: int
    facts: list[Fact]
    ends: list[Fact]
    """Facts whose words end with this piece (their reference mark follows it)."""


def fetch_facts(store: Any, iri: str, ontology: str) -> list[Fact]:
    """The facts stated in pledge ``iri`` with their selectors, in text order, numbered:
    read by pattern where the store offers reads (:func:`read_facts`), else queried."""
    reader = getattr(store, "reader", None)
    if reader is not None:
        return _numbered(read_facts(reader, iri, ontology))
    return _numbered(query_facts(store, iri, ontology))


def _numbered(facts: list[Fact]) -> list[Fact]:
    for number, fact in enumerate(facts, 1):
        fact.number = number
    return facts


def query_facts(store: Any, iri: str, ontology: str) -> list[Fact]:
    """The facts of :func:`fetch_facts` by SPARQL (the definition, and the way for a store
    that offers queries only).

    Two bounded queries, the facts with their offsets and the quotes of the pledge's
    targets, joined here: as one query with the quotes OPTIONAL, the engine (Oxigraph 0.5)
    reads every quote selector of the store for each pledge (0.1 s a page on 10k pledges,
    against under a millisecond for the two)."""
    sparql = f"""PREFIX oa: <{OA}> PREFIX pg: <{ontology}>
SELECT ?fact ?status ?start ?end ?target (GROUP_CONCAT(DISTINCT STR(?kind); SEPARATOR=" ") AS ?kinds)
WHERE {{
  ?fact pg:statedIn <{iri}> ; pg:curationStatus ?status ; pg:evidence ?target .
  ?target oa:hasSource <{iri}> ; oa:hasSelector ?position .
  ?position a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
  OPTIONAL {{ ?fact a ?kind FILTER(STRSTARTS(STR(?kind), STR(pg:)) && ?kind != pg:Fact) }}
}} GROUP BY ?fact ?status ?start ?end ?target ORDER BY ?start ?end ?fact LIMIT {MOST_FACTS}"""
    quotes = _quotes(store, iri)
    facts = []
    for row in _bindings(store, sparql):
        try:
            start, end = int(row["start"]["value"]), int(row["end"]["value"])
        except ValueError:
            continue  # not offsets: the fact is listed by its link elsewhere on the page
        for exact, prefix, suffix in quotes.get(row["target"]["value"], [(None, "", "")]):
            facts.append(Fact(iri=row["fact"]["value"], status=row["status"]["value"],
                              start=start, end=end, exact=exact, prefix=prefix, suffix=suffix,
                              kinds=sorted(row["kinds"]["value"].split()) if "kinds" in row
                              else []))
    return facts[:MOST_FACTS]


def _quotes(store: Any, iri: str) -> dict[str, list[tuple[str | None, str, str]]]:
    """The TextQuoteSelectors of the targets in pledge ``iri``: target to (exact, prefix,
    suffix), sorted."""
    sparql = f"""PREFIX oa: <{OA}>
SELECT ?target ?exact ?prefix ?suffix WHERE {{
  ?target oa:hasSource <{iri}> ; oa:hasSelector ?quote .
  ?quote a oa:TextQuoteSelector ; oa:exact ?exact
  OPTIONAL {{ ?quote oa:prefix ?prefix }} OPTIONAL {{ ?quote oa:suffix ?suffix }}
}} ORDER BY ?target ?exact ?prefix ?suffix"""
    found: dict[str, list[tuple[str | None, str, str]]] = {}
    for row in _bindings(store, sparql):
        found.setdefault(row["target"]["value"], []).append(
            (row["exact"]["value"], row["prefix"]["value"] if "prefix" in row else "",
             row["suffix"]["value"] if "suffix" in row else ""))
    return found


def _bindings(store: Any, sparql: str) -> list[dict[str, dict[str, str]]]:
    answer = store.query(sparql, media_types={"solutions": SPARQL_JSON})
    rows: list[dict[str, dict[str, str]]] = json.loads(answer.body)["results"]["bindings"]
    return rows


def read_facts(read: Reader, iri: str, ontology: str) -> list[Fact]:
    """The facts of :func:`query_facts` read by pattern, the query's rows built alike: one
    per fact, status, text position and quote (none when the evidence has no quote)."""
    pledge, rows = f"<{iri}>", set[tuple[Any, ...]]()
    for fact, _ in read.incoming(pledge, f"<{ontology}statedIn>", MOST_FACTS * 10):
        out = read.outgoing(fact)
        statuses = [o for p, o in out if p == f"<{ontology}curationStatus>"]
        kinds = tuple(sorted({o[1:-1] for p, o in out if p == _TYPE and o.startswith(
            f"<{ontology}") and o != f"<{ontology}Fact>"}))
        for target in [o for p, o in out if p == f"<{ontology}evidence>"]:
            held = read.outgoing(target)
            if (_SOURCE, pledge) not in held:
                continue
            positions, quotes = _selectors(read, [o for p, o in held if p == _SELECTOR])
            rows.update((fact[1:-1], status[1:-1], *at, *quote, kinds) for status in statuses
                        for at in positions for quote in quotes or [_NO_QUOTE])
    facts = []
    for fact, status, start, end, exact, prefix, suffix, kinds in sorted(rows, key=_text_order):
        try:
            begin, finish = int(start), int(end)
        except ValueError:
            continue
        facts.append(Fact(iri=fact, status=status, start=begin, end=finish, exact=exact,
                          prefix=prefix, suffix=suffix, kinds=list(kinds)))
    return facts[:MOST_FACTS]


_NO_QUOTE: tuple[str | None, str, str] = (None, "", "")
_TYPE, _SOURCE, _SELECTOR = f"<{RDF.type}>", f"<{OA}hasSource>", f"<{OA}hasSelector>"


def _selectors(read: Reader, selectors: list[str]
               ) -> tuple[list[tuple[str, str]], list[tuple[str | None, str, str]]]:
    """The text positions (start, end) and quotes (exact, prefix, suffix) of selectors."""
    positions: list[tuple[str, str]] = []
    quotes: list[tuple[str | None, str, str]] = []
    for selector in selectors:
        said: dict[str, list[str]] = {}
        for p, o in read.outgoing(selector):
            said.setdefault(p, []).append(literal_parts(o)[0] if o.startswith('"') else o)
        kinds = said.get(_TYPE, [])
        if f"<{OA}TextPositionSelector>" in kinds:
            positions += [(s, e) for s in said.get(f"<{OA}start>", [])
                          for e in said.get(f"<{OA}end>", [])]
        if f"<{OA}TextQuoteSelector>" in kinds:
            quotes += [(x, p, s) for x in said.get(f"<{OA}exact>", [])
                       for p in said.get(f"<{OA}prefix>", [""])
                       for s in said.get(f"<{OA}suffix>", [""])]
    return positions, quotes


def _text_order(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The query's order: by start and end (as numbers, where they are), then fact."""
    def number(text: str) -> tuple[int, int | str]:
        return (0, int(text)) if re.fullmatch(r"[+-]?\d+", text) else (1, text)
    return number(row[2]), number(row[3]), row[0], tuple(str(v) for v in row[1:])


def pieces(text: str, facts: list[Fact]) -> list[Piece]:
    """Cut ``text`` at the start and end of every fact's words (:meth:`Fact.anchor`); each
    piece lists the facts covering it."""
    spans = {f.number: f.anchor(text) for f in facts}
    located = [(f, span) for f in facts if (span := spans[f.number]) is not None]
    cuts = sorted({0, len(text), *(at for _, span in located for at in span)})
    out = []
    for start, end in pairwise(cuts):
        covering = sorted(((span[1] - span[0], f.number), f) for f, span in located
                          if span[0] <= start and end <= span[1])  # the narrowest first
        out.append(Piece(text=text[start:end], start=start, end=end,
                         facts=[f for _, f in covering],
                         ends=[f for f, span in located if span[1] == end]))
    return out


def pledge_date(store: Any, iri: str, sources: list[str] | None = None) -> str:
    """When the pledge was made: its submission's ``dct:issued`` (empty if not stated).
    ``sources``: the pledge's ``prov:hadPrimarySource`` terms (N-Triples text), when its
    description is at hand (a read less)."""
    reader = getattr(store, "reader", None)
    if reader is not None:
        if sources is None:
            sources = [doc for _, doc in reader.outgoing(f"<{iri}>",
                                                         f"<{PROV.hadPrimarySource}>")]
        issued = [literal_parts(o)[0] for doc in sources
                  for _, o in reader.outgoing(doc, f"<{DCTERMS.issued}>") if o.startswith('"')]
        return min(issued, default="")
    sparql = (f"SELECT ?issued WHERE {{ <{iri}> <{PROV.hadPrimarySource}> ?doc . "
              f"?doc <{DCTERMS.issued}> ?issued }} ORDER BY ?issued LIMIT 1")
    rows = json.loads(store.query(sparql, media_types={"solutions": SPARQL_JSON}).body)
    bindings = rows["results"]["bindings"]
    return bindings[0]["issued"]["value"] if bindings else ""
