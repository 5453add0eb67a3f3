"""The statistics of a release's graph (VoID), counted part by part.

Each batch of a build counts its own part in its worker process and the parent merges the
counts, so the graph is never held whole to describe it: parts do not share subjects.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from pledge_graph.rdf.ntriples import RDF_TYPE, Triple
from pledge_graph.rdf.vocab import UNBIS, WD, Iris

__all__ = ["LINK_TARGETS", "GraphStats"]

LINK_TARGETS = {"wikidata": (str(WD), "Wikidata"), "unbis": (str(UNBIS), "the UNBIS Thesaurus")}
"""The datasets the graph links to, counted as VoID linksets: key -> (namespace, name)."""


@dataclass
class GraphStats:
    """Counts for VoID, gathered part by part: parts must not share subjects.

    Distinct objects are kept as 16-byte digests, so that counting them across a large graph
    costs a fixed amount of memory per object rather than the object's text.
    """

    triples: int = 0
    subjects: int = 0
    entities: int = 0
    objects: set[bytes] = field(default_factory=set)
    classes: Counter[str] = field(default_factory=Counter)
    properties: Counter[str] = field(default_factory=Counter)
    links: Counter[tuple[str, str]] = field(default_factory=Counter)
    first_pledge: str | None = None

    def add(self, rows: Sequence[Triple], iris: Iris) -> None:
        """Count sorted, unique triples (N-Triples term texts) whose subjects no other part
        has."""
        if not rows:
            return
        space = f"<{iris.base}id/"
        pledges = f"<{iris.base}id/pledge/"
        self.triples += len(rows)
        subjects = [s for s, _ in groupby(rows, key=itemgetter(0))]
        self.subjects += len(subjects)
        mine = [s for s in subjects if s.startswith(space)]
        self.entities += len(mine)
        first = next((s for s in mine if s.startswith(pledges)), None)
        if first is not None and (self.first_pledge is None or first < self.first_pledge):
            self.first_pledge = first
        self.properties.update(map(itemgetter(1), rows))
        self.classes.update(o for _, p, o in rows if p == RDF_TYPE)
        for slug, namespace in LINK_TARGETS.items():
            target = f"<{namespace[0]}"
            self.links.update((slug, p) for _, p, o in rows if o.startswith(target))
        digest = hashlib.blake2b
        self.objects.update(digest(o.encode(), digest_size=16).digest()
                            for o in set(map(itemgetter(2), rows)))

    def merge(self, other: GraphStats) -> None:
        """Add the counts of another part."""
        self.triples += other.triples
        self.subjects += other.subjects
        self.entities += other.entities
        self.objects |= other.objects
        self.classes.update(other.classes)
        self.properties.update(other.properties)
        self.links.update(other.links)
        if other.first_pledge and (self.first_pledge is None
                                   or other.first_pledge < self.first_pledge):
            self.first_pledge = other.first_pledge
