"""Records -> RDF: turn the curated pledge records into the graph's triples.

Triples are tuples of N-Triples term texts (see :mod:`~pledge_graph.rdf.ntriples`), built
without an rdflib ``Graph`` so that mapping stays linear and cheap for large corpora. Every
node has an IRI minted by :class:`~pledge_graph.rdf.vocab.Iris`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pledge_graph.extract.organisations import load_organisations
from pledge_graph.extract.programmes import load_programmes
from pledge_graph.extract.treaties import load_treaties
from pledge_graph.mapping.actors import actor_terms
from pledge_graph.mapping.authorities import resolve_actor, states
from pledge_graph.mapping.commitments import fact_triples
from pledge_graph.mapping.record_fields import (
    Fields,
    Head,
    entity_names,
    read_head,
    read_source_text,
)
from pledge_graph.rdf.concepts import concept_for_label, scheme_graph
from pledge_graph.rdf.ntriples import Terms, Triple, iri, literal, nt_term, typed
from pledge_graph.rdf.vocab import DCTERMS, PROV, RDF, RDFS, SPDX, VOID, XSD, Iris

__all__ = [
    "LoadedRecord",
    "MappedSubmission",
    "Mapper",
    "Triple",
    "build_triples",
    "scheme_triples",
]


LANGUAGE_BASE = "http://id.loc.gov/vocabulary/iso639-1/"
SOFTWARE_NAME = "pledge-graph"
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class LoadedRecord:
    """A record as read from ``records/<slug>.yaml``: its file and its plain data."""

    path: Path
    data: dict[str, Any]


@dataclass
class MappedSubmission:
    """The triples of one submission (document, checksum, pledges, facts) and their origin."""

    slug: str
    iri: str
    record: Path
    source: str
    triples: list[Triple]
    pledge_lines: dict[str, int]
    actors: list[str]


# ---------------------------------------------------------------------------
# Mapping
# ---------------------------------------------------------------------------

_RDF, _RDFS, _DCT, _PROV, _SPDX, _VOID = (Terms(ns) for ns in (RDF, RDFS, DCTERMS, PROV,
                                                                SPDX, VOID))
_PINT, _NNI, _GYM = str(XSD.positiveInteger), str(XSD.nonNegativeInteger), str(XSD.gYearMonth)
_HEX = str(XSD.hexBinary)


def _actor_parts(name: str, iris: Iris, data_dir: Path,
                 notes: list[str]) -> tuple[str, list[Triple]]:
    """Return the IRI of the State or actor a name refers to, and the actor's own triples."""
    actor = resolve_actor(name, data_dir)
    if actor.warning:
        notes.append(actor.warning)
    return iri(actor.iri(iris)), actor_terms(actor, iris)


class Mapper:
    """Maps records one at a time, remembering the actors met so far (shared by submissions).

    The build maps batches of records in worker processes, each with its own Mapper, and
    merges what they share (:mod:`~pledge_graph.build.batches`).
    """

    def __init__(self, iris: Iris, digest: str, data_dir: Path) -> None:
        self.iris = iris
        self.data_dir = data_dir
        self.build_iri = iri(iris.build(digest))
        self.actors: dict[str, list[Triple]] = {}
        self.notes: list[str] = []
        self._actor_by_name: dict[str, str] = {}
        self._pg = Terms(iris.ontology)
        self._dataset = iri(iris.dataset())

    def prepare(self) -> None:
        """Load the authority files and the scheme now rather than at the first record.

        A build calls this before it starts its worker processes, which then share what was
        loaded instead of each loading it again.
        """
        load_organisations(self.data_dir)
        load_treaties(self.data_dir)
        load_programmes(self.data_dir)
        states(self.data_dir)
        resolve_actor("Japan", self.data_dir)
        concept_for_label("Women and girls", self.iris.base)

    def submission(self, record: LoadedRecord) -> MappedSubmission:
        """Map one record; raises RecordError naming its file and line when it is malformed."""
        fields = Fields(record.path, record.data)
        slug = fields.get(("slug",), str, "the source file's slug, e.g. japan-2023")
        if not _SLUG.match(slug):
            raise fields.fail(("slug",), f"bad slug {slug!r}", "lower-case letters, digits and '-'")
        names = entity_names(fields)
        actor_iris = []
        for name in names:
            if name not in self._actor_by_name:
                node, triples = _actor_parts(name, self.iris, self.data_dir, self.notes)
                self._actor_by_name[name] = node
                self.actors.setdefault(node, triples)
            actor_iris.append(self._actor_by_name[name])
        return self._map(fields, slug, names, actor_iris)

    def _map(self, fields: Fields, slug: str, names: list[str],
             actor_iris: list[str]) -> MappedSubmission:
        head = read_head(fields, self.data_dir)
        who = (" and ".join(names) if len(names) < 3
               else ", ".join(names[:-1]) + " and " + names[-1])
        said = _Said(slug, iri(self.iris.submission(slug)), who,
                     f"{MONTHS[head.month - 1]} {head.year}", head.language, actor_iris)
        out = self._document(head, said) + self._source_text(fields, said.submission)
        pledges = fields.get(("pledges",), list, "a list of pledges")
        if not pledges:
            raise fields.fail(("pledges",), "no pledges", "at least one pledge")
        lines: dict[str, int] = {}
        numbers: set[int] = set()
        for i in range(len(pledges)):
            number = fields.positive(("pledges", i, "number"))
            assert number is not None
            if number in numbers:
                raise fields.fail(("pledges", i, "number"), f"pledge number {number} repeated",
                                  "numbers unique within the record")
            numbers.add(number)
            pledge = iri(self.iris.pledge(slug, number))
            line = fields.positive(("pledges", i, "line"))
            assert line is not None
            lines[pledge] = line
            out += self._pledge(fields, said, i, number, pledge, line)
        return MappedSubmission(slug, said.submission, fields.path, head.source, out, lines,
                                actor_iris)

    def _document(self, head: Head, said: _Said) -> list[Triple]:
        """The submission's own triples: the document, its checksum and its actors."""
        ont, sub = self._pg, said.submission
        checksum = f"{sub[:-1]}/sha256>"
        single = head.kind == "single"
        return [
            (sub, _RDF.type, ont.Submission),
            (sub, _DCT.title, literal(head.title)),
            (sub, _RDFS.label, literal(f"{said.who}, pledge document ({said.when})", "en")),
            (sub, _DCT.issued, typed(f"{head.year:04d}-{head.month:02d}", _GYM)),
            (sub, _DCT.language, iri(LANGUAGE_BASE + head.language)),
            (sub, ont.pledgeType, ont.SinglePledge if single else ont.JointPledge),
            (sub, _DCT.source, literal(head.source)),
            (sub, _SPDX.checksum, checksum),
            (sub, _PROV.wasGeneratedBy, self.build_iri),
            (sub, _VOID.inDataset, self._dataset),
            (checksum, _RDF.type, _SPDX.Checksum),
            (checksum, _SPDX.algorithm, _SPDX.checksumAlgorithm_sha256),
            (checksum, _SPDX.checksumValue, typed(head.sha256, _HEX)),
            *((sub, ont.pledgedBy, actor) for actor in said.actors),
        ]

    def _source_text(self, fields: Fields, sub: str) -> list[Triple]:
        """For a Word or PDF source, the text read from it and that text's checksum."""
        read = read_source_text(fields, self.data_dir)
        if read is None:
            return []
        text, sha = read
        checksum = f"{sub[:-1]}/text-sha256>"
        return [(sub, self._pg.sourceText, literal(text)),
                (sub, self._pg.sourceTextChecksum, checksum),
                (checksum, _RDF.type, _SPDX.Checksum),
                (checksum, _SPDX.algorithm, _SPDX.checksumAlgorithm_sha256),
                (checksum, _SPDX.checksumValue, typed(sha, _HEX))]

    def _pledge(self, fields: Fields, said: _Said, i: int, number: int, pledge: str,
                line: int) -> list[Triple]:
        """The triples of pledge ``i`` of the record: its text, rights-holders and facts."""
        ont, sub = self._pg, said.submission
        text = fields.get(("pledges", i, "text"), str, "the pledge's verbatim text")
        declared = fields.positive(("pledges", i, "declared_words"), optional=True, zero=True)
        out: list[Triple] = [
            (pledge, _RDF.type, ont.Pledge),
            (pledge, _RDFS.label, literal(f"{said.who}, pledge {number} ({said.when})", "en")),
            (pledge, ont.pledgeNumber, typed(number, _PINT)),
            (pledge, ont.pledgeText, literal(text, said.language)),
            (pledge, ont.computedWordCount, typed(len(text.split()), _NNI)),
            (pledge, ont.sourceLine, typed(line, _PINT)),
            (pledge, ont.submission, sub),
            (pledge, _PROV.hadPrimarySource, sub),
            (pledge, _PROV.wasGeneratedBy, self.build_iri),
            (pledge, _VOID.inDataset, self._dataset),
            (sub, ont.pledge, pledge),
            *((pledge, ont.pledgedBy, actor) for actor in said.actors),
        ]
        if declared is not None:
            out.append((pledge, ont.declaredWordCount, typed(declared, _NNI)))
        holders = fields.get(("pledges", i, "rights_holders"), list,
                             "a list of rights-holder labels", optional=True) or []
        for j, label in enumerate(holders):
            if not isinstance(label, str):
                raise fields.fail(("pledges", i, "rights_holders", j),
                                  f"bad rights-holder label {label!r}", "a label as text")
            concept = concept_for_label(label, self.iris.base)
            if concept is None:
                out.append((pledge, ont.rightsHolderLabel, literal(label)))
            else:
                out.append((pledge, ont.rightsHolderGroup, iri(concept)))
        facts = fields.get(("pledges", i, "facts"), list, "a list of facts", optional=True) or []
        for fact in facts:
            if isinstance(fact, dict) and fact.get("status") != "rejected":
                out.extend(fact_triples(fact, pledge, said.slug, number, text, said.language,
                                        self.iris, said.actors, data_dir=self.data_dir))
        return out


@dataclass(frozen=True)
class _Said:
    """What every triple of a submission repeats: who said it, when, in which language."""

    slug: str
    submission: str
    who: str
    when: str
    language: str
    actors: list[str]


def scheme_triples(base: str) -> list[Triple]:
    """The rights-holder concept scheme's triples under ``base``."""
    return [(nt_term(s), nt_term(p), nt_term(o)) for s, p, o in scheme_graph(base)]


def build_triples(build_iri: str, digest: str, iris: Iris,
                  submissions: Iterable[str]) -> list[Triple]:
    """The build activity (prov:Activity) that used every submission, and its software."""
    software = iri(iris.software(SOFTWARE_NAME))
    return [
        (build_iri, _RDF.type, _PROV.Activity),
        (build_iri, _RDFS.label, literal(f"Build {digest[:12]} of the pledge graph", "en")),
        (build_iri, _PROV.wasAssociatedWith, software),
        *[(build_iri, _PROV.used, sub) for sub in submissions],
        (software, _RDF.type, _PROV.SoftwareAgent),
        (software, _RDFS.label, literal(SOFTWARE_NAME)),
    ]
