"""The charts' answers made batch by batch, and added up in the parent.

A chart's query counts or sums what a batch owns alone (pledges, facts, commitments),
grouped by what every batch describes alike (groups, kinds of actor, regions, recipients,
treaties). So each batch answers every chart's query over its own part of the graph (its
own triples, the shared resources it links to, the scheme and the ontology, cut to the
lines the queries can read, as :mod:`~pledge_graph.publish.charts` cuts the whole dump),
and the parent adds the batches' answers up with one more query per chart: the same
grouping, the sum of the batches' counts and sums, the same order. The answer is then the
one the chart's query gives over the whole release, with no store of the whole graph.

What would make the parts disagree with the whole is checked: a query whose answer is not
grouped counts and sums is refused when its plan is made; and when a batch read a shared
resource other than the release describes it (each batch gives a digest of the lines it
read about each resource it does not own), or an answer holds a blank node,
:meth:`ChartSums.answers` gives None and the build answers the charts from the whole dump.
What is not checked is the rule itself: a chart that counted shared resources (actors, not
pledges) would count them once per batch; the tests build a generated corpus in many
batches and compare every chart with its query's answer over the whole release.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from pledge_graph.publish.charts import chart_queries, query_iris
from pledge_graph.rdf.ntriples import RDF_TYPE, Triple

__all__ = ["ChartPart", "ChartParts", "ChartSums", "Plan", "plan"]

_AGGREGATE = re.compile(r"\((COUNT\s*\(\s*DISTINCT|SUM\s*\()\s*\?\w+\s*\)\s+AS\s+\?(\w+)\s*\)",
                        re.IGNORECASE)
_VARIABLE = re.compile(r"\?(\w+)")


@dataclass(frozen=True)
class Plan:
    """How one chart's answers over parts add up: its columns (in order), which of them are
    counts or sums, and its query's grouping and order, kept as written."""

    columns: tuple[str, ...]
    sums: frozenset[str]
    tail: str
    prologue: str = ""


def plan(query: str) -> Plan:
    """The plan of a chart's query: ``SELECT`` of grouped variables and of ``COUNT(DISTINCT
    ?x)`` or ``SUM(?x)`` only, then ``GROUP BY`` (and ``ORDER BY``) after the last brace."""
    head = query[query.index("SELECT") + len("SELECT"):query.index("WHERE")]
    tail = query[query.rindex("}") + 1:].strip()
    sums = [m.group(2) for m in _AGGREGATE.finditer(head)]
    keys = _VARIABLE.findall(_AGGREGATE.sub(" ", head))
    grouped = re.search(r"GROUP BY((?:\s+\?\w+)+)", tail)
    if "(" in _AGGREGATE.sub(" ", head) or not grouped or \
            set(_VARIABLE.findall(grouped.group(1))) != set(keys):
        raise ValueError(f"a chart's query must select grouped variables and COUNT(DISTINCT "
                         f"?x) or SUM(?x) only, grouped by those variables: {head.strip()}")
    columns = tuple(m.group(2) or m.group(3) for m in
                    re.finditer(_AGGREGATE.pattern + r"|\?(\w+)", head, re.IGNORECASE))
    return Plan(columns, frozenset(sums), tail, query[:query.index("SELECT")])


Row = tuple[str | None, ...]


@dataclass
class ChartPart:
    """One batch's answers (each chart's rows, terms in N-Triples syntax, None unbound) and
    the digest of what it read about each resource it does not own."""

    rows: dict[str, list[Row]]
    read: dict[str, bytes]


def _digests(lines: Iterable[Triple]) -> dict[str, bytes]:
    """Per subject, the digest of its (sorted, unique) lines."""
    by_subject: dict[str, list[Triple]] = {}
    for triple in set(lines):
        by_subject.setdefault(triple[0], []).append(triple)
    return {s: hashlib.blake2b("\n".join(" ".join(t) for t in sorted(ts)).encode(),
                               digest_size=16).digest() for s, ts in by_subject.items()}


@dataclass
class ChartParts:
    """What a build's workers need to answer the charts over their batches: set up in the
    parent from the base and the release's ontology (Turtle)."""

    base: str
    ontology: str
    own: tuple[str, ...]
    """The subject prefixes a batch owns alone."""
    queries: dict[str, str] = field(init=False)
    plans: dict[str, Plan] = field(init=False)
    _named: frozenset[str] = field(init=False)
    _ontology: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.queries = chart_queries(self.base)
        self.plans = {name: plan(query) for name, query in self.queries.items()}
        self._named = frozenset(f"<{i}>" for q in self.queries.values() for i in query_iris(q))
        parsed = ox.parse(self.ontology.encode("utf-8"), format=ox.RdfFormat.TURTLE)
        self._ontology = _nt(self.read((str(t.subject), str(t.predicate), str(t.object))
                                       for t in parsed))

    def read(self, triples: Iterable[Triple]) -> list[Triple]:
        """The triples a chart's query can read: those whose predicate one names, and the
        ``rdf:type`` triples whose class one names."""
        named = self._named
        return [t for t in triples
                if (t[2] in named if t[1] == RDF_TYPE else t[1] in named)]

    def part(self, own: Iterable[Triple], shared: Iterable[Triple]) -> ChartPart:
        """Answer every chart over a batch: the triples it owns and the ones it shares
        (with the scheme)."""
        mine, theirs = self.read(own), self.read(shared)
        store = ox.Store()
        store.bulk_load(self._ontology + _nt(mine) + _nt(theirs), format=ox.RdfFormat.N_TRIPLES)
        rows = {}
        for name, query in self.queries.items():
            answer = store.query(query)
            assert isinstance(answer, ox.QuerySolutions)
            rows[name] = [tuple(_term(s[c]) for c in self.plans[name].columns) for s in answer]
        linked = {o for _, _, o in mine if o.startswith("<") and not o.startswith(self.own)}
        read = _digests(theirs)
        return ChartPart(rows, {s: read.get(s, b"") for s in linked | set(read)})


def _nt(triples: Iterable[Triple]) -> bytes:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples).encode("utf-8")


def _term(term: object) -> str | None:
    return None if term is None else str(term)


class ChartSums:
    """The batches' answers added up, in the parent, as they come."""

    def __init__(self, parts: ChartParts) -> None:
        self.parts = parts
        self.rows: dict[str, list[Row]] = {name: [] for name in parts.queries}
        self.read: dict[str, set[bytes]] = {}

    def add(self, part: ChartPart) -> None:
        for name, rows in part.rows.items():
            self.rows[name] += rows
        for subject, digest in part.read.items():
            self.read.setdefault(subject, set()).add(digest)

    def answers(self, shared: Iterable[Triple]) -> dict[str, ox.QuerySolutions] | None:
        """Each chart's answer, given the release's shared triples (with the scheme); None
        when a batch read a shared resource other than the release describes it."""
        release = _digests(self.parts.read(shared))
        if any(digests != {release.get(s, b"")} for s, digests in self.read.items()):
            return None
        if any(v is not None and v.startswith("_:") for rows in self.rows.values()
               for row in rows for v in row):
            return None  # a blank node means nothing outside its part
        store = ox.Store()
        out = {}
        for name, chart in self.parts.plans.items():
            answer = store.query(_sum_query(chart, self.rows[name]))
            assert isinstance(answer, ox.QuerySolutions)
            out[name] = answer
        return out


def _sum_query(chart: Plan, rows: Sequence[Row]) -> str:
    """The query adding up the parts' rows: their table, grouped and ordered as the chart's."""
    names = [f"?{c}__part" if c in chart.sums else f"?{c}" for c in chart.columns]
    values = "\n".join("(" + " ".join("UNDEF" if v is None else v for v in row) + ")"
                       for row in rows)
    select = " ".join(f"(SUM(?{c}__part) AS ?{c})" if c in chart.sums else f"?{c}"
                      for c in chart.columns)
    return (f"{chart.prologue}SELECT {select}\nWHERE {{ VALUES ({' '.join(names)}) {{\n{values}\n}} }}\n"
            f"{chart.tail}\n")
