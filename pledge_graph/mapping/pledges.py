"""Records -> RDF: turn the curated pledge records into the graph's triples.

Triples are tuples of N-Triples term texts (see :mod:`~pledge_graph.rdf.ntriples`), built
without an rdflib ``Graph`` so that mapping stays linear and cheap for large corpora. Every
node has an IRI minted by :class:`~pledge_graph.rdf.vocab.Iris`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pledge_graph.errors import RecordError
from pledge_graph.extract.organisations import load_organisations
from pledge_graph.extract.programmes import load_programmes
from pledge_graph.extract.treaties import load_treaties
from pledge_graph.ingest import safe_yaml
from pledge_graph.ingest.inputs import confined, read_input
from pledge_graph.mapping.actors import actor_terms
from pledge_graph.mapping.authorities import resolve_actor, states
from pledge_graph.mapping.commitments import fact_triples
from pledge_graph.rdf.concepts import concept_for_label, scheme_graph
from pledge_graph.rdf.ntriples import Terms, Triple, iri, literal, nt_term, typed
from pledge_graph.rdf.vocab import DCTERMS, PROV, RDF, RDFS, SPDX, VOID, XSD, Iris
from pledge_graph.records.curated import read_record_text

__all__ = [
    "UN_LANGUAGES",
    "LoadedRecord",
    "MappedSubmission",
    "Mapper",
    "Triple",
    "build_triples",
    "record_lines",
    "scheme_triples",
]


UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
LANGUAGE_BASE = "http://id.loc.gov/vocabulary/iso639-1/"
SOFTWARE_NAME = "pledge-graph"
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
# Reading records
# ---------------------------------------------------------------------------

def record_lines(path: Path) -> dict[tuple[Any, ...], int]:
    """Map key paths of a record (``("pledges", 0, "text")``) to 1-based YAML lines.

    Only needed to point at an error, so it is computed on demand, not for every record.
    """
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, key: tuple[Any, ...]) -> None:
        lines[key] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(v, key + (k.value,))
                lines[key + (k.value,)] = k.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, key + (i,))

    try:
        root, _ = safe_yaml.load(read_record_text(path), file=path, error=RecordError,
                                 expected="a record")
    except RecordError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


# ---------------------------------------------------------------------------
# Checking a record's fields
# ---------------------------------------------------------------------------

class _Fields:
    """Reads a record's fields, raising RecordError with file, line and expectation."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self._lines: dict[tuple[Any, ...], int] | None = None

    def fail(self, key: tuple[Any, ...], message: str, expected: str) -> RecordError:
        if self._lines is None:
            self._lines = record_lines(self.path)
        line = None
        for n in range(len(key), -1, -1):
            line = self._lines.get(key[:n])
            if line is not None:
                break
        return RecordError(message, file=self.path, line=line, expected=expected)

    def get(self, key: tuple[Any, ...], kind: type | tuple[type, ...], expected: str,
            *, optional: bool = False) -> Any:
        value: Any = self.data
        for part in key:
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and isinstance(part, int) and part < len(value):
                value = value[part]
            else:
                value = None
        if value is None and optional:
            return None
        if value is None:
            raise self.fail(key, f"missing field {'.'.join(map(str, key))!s}", expected)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(key, f"bad value {value!r} for {'.'.join(map(str, key))}", expected)
        return value

    def positive(self, key: tuple[Any, ...], *, optional: bool = False,
                 zero: bool = False) -> int | None:
        value = self.get(key, int, "a positive whole number", optional=optional)
        if value is not None and value < (0 if zero else 1):
            least = "0" if zero else "1"
            raise self.fail(key, f"bad number {value}", f"a whole number >= {least}")
        return value


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


def _entity_names(fields: _Fields) -> list[str]:
    entities = fields.get(("entities",), list, "a list of pledging entities, each with a name")
    if not entities:
        raise fields.fail(("entities",), "no pledging entity", "at least one entity with a name")
    return [fields.get(("entities", i, "name"), str, "the entity's name as written")
            for i in range(len(entities))]


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
        fields = _Fields(record.path, record.data)
        slug = fields.get(("slug",), str, "the source file's slug, e.g. japan-2023")
        if not _SLUG.match(slug):
            raise fields.fail(("slug",), f"bad slug {slug!r}", "lower-case letters, digits and '-'")
        names = _entity_names(fields)
        actor_iris = []
        for name in names:
            if name not in self._actor_by_name:
                node, triples = _actor_parts(name, self.iris, self.data_dir, self.notes)
                self._actor_by_name[name] = node
                self.actors.setdefault(node, triples)
            actor_iris.append(self._actor_by_name[name])
        return self._map(fields, slug, names, actor_iris)

    def _map(self, fields: _Fields, slug: str, names: list[str],
             actor_iris: list[str]) -> MappedSubmission:
        iris, ont, build_iri, dataset = self.iris, self._pg, self.build_iri, self._dataset
        sub = iri(iris.submission(slug))
        title = fields.get(("title",), str, "the document's title")
        month = fields.positive(("month",))
        if month is None or month > 12:
            raise fields.fail(("month",), f"bad month {month}", "a month number 1..12")
        year = fields.positive(("year",))
        assert year is not None
        language = fields.get(("language",), str, "an ISO 639-1 code of a UN language")
        if language not in UN_LANGUAGES:
            raise fields.fail(("language",), f"bad language {language!r}",
                              "one of " + " ".join(UN_LANGUAGES))
        kind = fields.get(("pledge_type",), str, "single or joint")
        if kind not in ("single", "joint"):
            raise fields.fail(("pledge_type",), f"bad pledge type {kind!r}", "single or joint")
        source = fields.get(("source",), str, "the source file, relative to the data directory")
        sha = fields.get(("source_sha256",), str, "the SHA-256 of the source, 64 hex digits")
        if not _SHA256.match(sha):
            raise fields.fail(("source_sha256",), f"bad checksum {sha!r}",
                              "64 lower-case hex digits")
        _check_source(fields, self.data_dir, source, sha)
        when = f"{MONTHS[month - 1]} {year}"
        who = (" and ".join(names) if len(names) < 3
               else ", ".join(names[:-1]) + " and " + names[-1])
        checksum = f"{sub[:-1]}/sha256>"
        out: list[Triple] = [
            (sub, _RDF.type, ont.Submission),
            (sub, _DCT.title, literal(title)),
            (sub, _RDFS.label, literal(f"{who}, pledge document ({when})", "en")),
            (sub, _DCT.issued, typed(f"{year:04d}-{month:02d}", _GYM)),
            (sub, _DCT.language, iri(LANGUAGE_BASE + language)),
            (sub, ont.pledgeType, ont.SinglePledge if kind == "single" else ont.JointPledge),
            (sub, _DCT.source, literal(source)),
            (sub, _SPDX.checksum, checksum),
            (sub, _PROV.wasGeneratedBy, build_iri),
            (sub, _VOID.inDataset, dataset),
            (checksum, _RDF.type, _SPDX.Checksum),
            (checksum, _SPDX.algorithm, _SPDX.checksumAlgorithm_sha256),
            (checksum, _SPDX.checksumValue, typed(sha, _HEX)),
        ]
        out.extend((sub, ont.pledgedBy, actor) for actor in actor_iris)
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
            pledge = iri(iris.pledge(slug, number))
            line = fields.positive(("pledges", i, "line"))
            assert line is not None
            lines[pledge] = line
            text = fields.get(("pledges", i, "text"), str, "the pledge's verbatim text")
            declared = fields.positive(("pledges", i, "declared_words"), optional=True,
                                       zero=True)
            out += [
                (pledge, _RDF.type, ont.Pledge),
                (pledge, _RDFS.label, literal(f"{who}, pledge {number} ({when})", "en")),
                (pledge, ont.pledgeNumber, typed(number, _PINT)),
                (pledge, ont.pledgeText, literal(text, language)),
                (pledge, ont.computedWordCount, typed(len(text.split()), _NNI)),
                (pledge, ont.sourceLine, typed(line, _PINT)),
                (pledge, ont.submission, sub),
                (pledge, _PROV.hadPrimarySource, sub),
                (pledge, _PROV.wasGeneratedBy, build_iri),
                (pledge, _VOID.inDataset, dataset),
                (sub, ont.pledge, pledge),
            ]
            out.extend((pledge, ont.pledgedBy, actor) for actor in actor_iris)
            if declared is not None:
                out.append((pledge, ont.declaredWordCount, typed(declared, _NNI)))
            holders = fields.get(("pledges", i, "rights_holders"), list,
                                 "a list of rights-holder labels", optional=True) or []
            for j, label in enumerate(holders):
                if not isinstance(label, str):
                    raise fields.fail(("pledges", i, "rights_holders", j),
                                      f"bad rights-holder label {label!r}", "a label as text")
                concept = concept_for_label(label, iris.base)
                if concept is None:
                    out.append((pledge, ont.rightsHolderLabel, literal(label)))
                else:
                    out.append((pledge, ont.rightsHolderGroup, iri(concept)))
            facts = fields.get(("pledges", i, "facts"), list, "a list of facts",
                               optional=True) or []
            for fact in facts:
                if isinstance(fact, dict) and fact.get("status") != "rejected":
                    out.extend(fact_triples(fact, pledge, slug, number, text, language, iris,
                                            actor_iris, data_dir=self.data_dir))
        return MappedSubmission(slug, sub, fields.path, source, out, lines, actor_iris)


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


def _check_source(fields: _Fields, data_dir: Path, source: str, sha: str) -> None:
    """The checksum published for a submission must be that of the verbatim source we hold,
    which lies in the data directory: a record cannot make the build read or publish any
    other file (symlinks are resolved before the check)."""
    path = confined(data_dir, source)
    if path is None:
        raise fields.fail(("source",), f"the source {source!r} lies outside the data directory",
                          "a path relative to the data directory, e.g. sources/<slug>.txt")
    try:
        data = read_input(path, error=RecordError, what="the source file",
                          expected="an existing file under the data directory")
    except RecordError as error:
        raise fields.fail(("source",), f"source file {path}: {error.message}",
                          "an existing file under the data directory") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha:
        raise fields.fail(("source_sha256",), f"source_sha256 does not match {path} ({actual})",
                          "the SHA-256 of the verbatim source; re-import the document")
