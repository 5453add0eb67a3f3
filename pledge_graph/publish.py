"""Publish a release into a directory: dumps, vocabularies, VoID, DCAT, report and manifest.

The dumps are a pure function of the graph: N-Triples as sorted lines, Turtle written by
pyoxigraph from those lines, JSON-LD compacted here from the project's context, each also
gzipped with a zero mtime. Only ``void.ttl``, ``catalog.ttl`` and ``manifest.json`` carry the
build time. The caller (``build``) decides where the directory is and swaps it in atomically.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, Namespace, URIRef

from .jsonld import compact_lines, load_context
from .ntriples import Triple, nt_line, nt_term
from .paths import DEFAULT_BASE, ONTOLOGY_DIR, SHAPES_DIR
from .turtle import turtle, turtle_lines
from .validate import ValidationOutcome, shapes_text
from .vocab import (
    DCAT,
    DCTERMS,
    FOAF,
    OWL,
    RDF,
    SPDX,
    UNBIS,
    VOID,
    WD,
    XSD,
    Iris,
    prefixes,
)

__all__ = [
    "DUMPS",
    "LICENSE",
    "MEDIA_TYPES",
    "Release",
    "publish",
    "rebase_text",
]

DCAT3 = Namespace(str(DCAT))  # rdflib's DCAT predates DCAT 3's version terms
STEM = "pledge-graph"
_TYPE = str(RDF.type)
DUMPS = (f"{STEM}.ttl", f"{STEM}.nt", f"{STEM}.jsonld")
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
IANA = "http://www.iana.org/assignments/media-types/"
MEDIA_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples",
               ".jsonld": "application/ld+json", ".gz": "application/gzip"}
FORMATS = {".ttl": "http://www.w3.org/ns/formats/Turtle",
           ".nt": "http://www.w3.org/ns/formats/N-Triples",
           ".jsonld": "http://www.w3.org/ns/formats/JSON-LD"}
LINK_TARGETS = {"wikidata": (str(WD), "Wikidata"), "unbis": (str(UNBIS), "the UNBIS Thesaurus")}
TITLE = "Human Rights 75 pledges"
DESCRIPTION = ("The pledges made at the Human Rights 75 high-level event (December 2023) as "
               "linked data: each numbered pledge with its verbatim text, the document and "
               "actor it comes from, the rights-holder groups it serves and the commitments "
               "read from its text.")


@dataclass(frozen=True)
class Release:
    """What a publish wrote: the version, counts and each file's size and SHA-256."""

    version: str
    digest: str
    base: str
    build_time: str
    triples: int
    files: dict[str, dict[str, object]]


def rebase_text(text: str, base: str) -> str:
    """Rewrite a project file written under the default base to ``base``."""
    return text if base == DEFAULT_BASE else text.replace(DEFAULT_BASE, Iris(base).base)


def _write(directory: Path, name: str, data: bytes, *, gz: bool = False) -> None:
    (directory / name).write_bytes(data)
    if gz:
        (directory / f"{name}.gz").write_bytes(gzip.compress(data, compresslevel=6, mtime=0))


def _turtle(triples: Iterable[Triple], iris: Iris) -> bytes:
    return turtle(triples, prefixes(iris))


def _merged(paths: Iterable[Path], base: str) -> bytes:
    parts = [f"# ---- {p.name} ----\n\n"
             f"{rebase_text(p.read_text(encoding='utf-8'), base).rstrip()}\n" for p in paths]
    return "\n".join(parts).encode("utf-8")


def _vocabularies(directory: Path, base: str, ontology_dir: Path,
                  shapes_dir: Path) -> list[URIRef]:
    """Write ontology, scheme, shapes and context; return the shapes graphs' IRIs."""
    modules = [p for p in sorted(ontology_dir.glob("*.ttl")) if p.name != "rights-holders.ttl"]
    _write(directory, "ontology.ttl", _merged(modules, base))
    scheme = ontology_dir / "rights-holders.ttl"
    if scheme.exists():
        _write(directory, "rights-holders.ttl", _merged([scheme], base))
    shapes = shapes_text(base, shapes_dir).encode("utf-8")
    _write(directory, "shapes.ttl", shapes)
    context = load_context(base, ontology_dir)
    _write(directory, "context.jsonld",
           (json.dumps(context, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    graph = ox.parse(shapes, format=ox.RdfFormat.TURTLE)
    return sorted(URIRef(t.subject.value) for t in graph
                  if t.predicate.value == str(RDF.type) and t.object.value == str(OWL.Ontology)
                  and isinstance(t.subject, ox.NamedNode))


# ---------------------------------------------------------------------------
# Statistics (VoID)
# ---------------------------------------------------------------------------

@dataclass
class _Stats:
    triples: int
    entities: int
    subjects: int
    objects: int
    classes: Counter[URIRef]
    properties: Counter[URIRef]
    links: Counter[tuple[str, URIRef]]
    examples: list[URIRef]


def _stats(triples: Iterable[Triple], iris: Iris) -> _Stats:
    space = iris.base + "id/"
    subjects: set[str] = set()
    objects: set[str] = set()
    classes: Counter[URIRef] = Counter()
    properties: Counter[URIRef] = Counter()
    links: Counter[tuple[str, URIRef]] = Counter()
    count = 0
    targets = [(slug, namespace) for slug, (namespace, _) in LINK_TARGETS.items()]
    for s, p, o in triples:
        count += 1
        subjects.add(s)  # type: ignore[arg-type]
        objects.add(nt_term(o))
        properties[p] += 1  # type: ignore[index]
        if str.__eq__(p, _TYPE):  # type: ignore[operator]  # a plain str comparison is fast
            classes[o] += 1  # type: ignore[index]
        elif isinstance(o, URIRef):
            for slug, namespace in targets:
                if o.startswith(namespace):
                    links[(slug, p)] += 1  # type: ignore[index]
    entities = sum(1 for s in subjects if s.startswith(space))
    firsts = sorted(s for s in subjects if s.startswith(space + "pledge/"))[:1]
    return _Stats(count, entities, len(subjects), len(objects), classes, properties, links,
                  [URIRef(x) for x in firsts])


def _local(iri: URIRef, iris: Iris) -> str:
    """A readable key for a partition IRI: the prefixed name with ':' as '-'."""
    best = ""
    for name, namespace in prefixes(iris).items():
        if iri.startswith(namespace) and len(namespace) > len(prefixes(iris).get(best, "")):
            best = name
    if not best:
        return hashlib.sha256(str(iri).encode()).hexdigest()[:12]
    return f"{best}-{iri[len(prefixes(iris)[best]):]}".replace("/", "-")


def _vocabularies_used(stats: _Stats, iris: Iris) -> list[URIRef]:
    table = prefixes(iris)
    used = set()
    for term in [*stats.classes, *stats.properties]:
        match = max((ns for ns in table.values() if term.startswith(ns)), key=len, default=None)
        if match:
            used.add(URIRef(match))
    return sorted(used)


def _void(stats: _Stats, iris: Iris, when: Literal, dumps: list[str],
          graph_triples: list[Triple]) -> list[Triple]:
    ds = iris.dataset()
    out: list[Triple] = list(graph_triples)
    int_ = XSD.integer
    out += [
        (ds, RDF.type, VOID.Dataset),
        (ds, DCTERMS.title, Literal(TITLE, lang="en")),
        (ds, DCTERMS.description, Literal(DESCRIPTION, lang="en")),
        (ds, DCTERMS.license, LICENSE),
        (ds, DCTERMS.publisher, URIRef(iris.base)),
        (ds, DCTERMS.issued, when),
        (ds, DCTERMS.modified, when),
        (ds, VOID.sparqlEndpoint, iris.sparql()),
        (ds, VOID.uriSpace, Literal(iris.base + "id/")),
        (ds, VOID.triples, Literal(stats.triples, datatype=int_)),
        (ds, VOID.entities, Literal(stats.entities, datatype=int_)),
        (ds, VOID.distinctSubjects, Literal(stats.subjects, datatype=int_)),
        (ds, VOID.distinctObjects, Literal(stats.objects, datatype=int_)),
        (ds, VOID.classes, Literal(len(stats.classes), datatype=int_)),
        (ds, VOID.properties, Literal(len(stats.properties), datatype=int_)),
    ]
    out += [(ds, VOID.dataDump, iris.dump(name)) for name in dumps]
    out += [(ds, VOID.feature, URIRef(FORMATS[Path(n).suffix])) for n in dumps if n in DUMPS]
    out += [(ds, VOID.vocabulary, v) for v in _vocabularies_used(stats, iris)]
    out += [(ds, VOID.exampleResource, e) for e in stats.examples]
    for cls, _ in sorted(stats.classes.items()):
        part = iris.partition("class", _local(cls, iris))
        out += [(ds, VOID.classPartition, part), (part, RDF.type, VOID.Dataset),
                (part, VOID["class"], cls),
                (part, VOID.entities, Literal(stats.classes[cls], datatype=int_))]
    for prop, n in sorted(stats.properties.items()):
        part = iris.partition("property", _local(prop, iris))
        out += [(ds, VOID.propertyPartition, part), (part, RDF.type, VOID.Dataset),
                (part, VOID.property, prop), (part, VOID.triples, Literal(n, datatype=int_))]
    for (slug, prop), n in sorted(stats.links.items()):
        linkset = iris.linkset(f"{slug}-{_local(prop, iris)}")
        name = LINK_TARGETS[slug][1]
        curie = _local(prop, iris).replace("-", ":", 1)
        out += [(linkset, RDF.type, VOID.Linkset), (ds, VOID.subset, linkset),
                (linkset, DCTERMS.title, Literal(f"Links to {name} by {curie}", lang="en")),
                (linkset, VOID.subjectsTarget, ds), (linkset, VOID.linkPredicate, prop),
                (linkset, VOID.triples, Literal(n, datatype=int_))]
    return out


# ---------------------------------------------------------------------------
# Catalog (DCAT 3)
# ---------------------------------------------------------------------------

def _publisher(iris: Iris) -> tuple[URIRef, list[Triple]]:
    """The publisher is the project itself, named by the root of its namespace."""
    who = URIRef(iris.base)
    return who, [(who, RDF.type, FOAF.Organization),
                 (who, FOAF.name, Literal("pledge-graph project", lang="en"))]


def _checksum(subject: URIRef, sha: str) -> list[Triple]:
    node = URIRef(f"{subject}/sha256")
    return [(subject, SPDX.checksum, node), (node, RDF.type, SPDX.Checksum),
            (node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
            (node, SPDX.checksumValue, Literal(sha, datatype=XSD.hexBinary))]


def _catalog(iris: Iris, when: Literal, version: str, triples: int, shapes: list[URIRef],
             files: dict[str, dict[str, object]], dumps: list[str],
             publisher: tuple[URIRef, list[Triple]]) -> list[Triple]:
    ds, cat, sparql = iris.dataset(), iris.catalog(), iris.sparql()
    who, who_triples = publisher
    release = iris.dataset(version)
    out: list[Triple] = [
        *who_triples,
        (cat, RDF.type, DCAT.Catalog),
        (cat, DCTERMS.title, Literal(f"{TITLE}: data catalog", lang="en")),
        (cat, DCTERMS.description, Literal(DESCRIPTION, lang="en")),
        (cat, DCTERMS.publisher, who), (cat, DCTERMS.license, LICENSE),
        (cat, DCTERMS.issued, when), (cat, DCTERMS.modified, when),
        (cat, DCAT.dataset, ds), (cat, DCAT.service, sparql),
        (ds, RDF.type, DCAT.Dataset),
        (ds, DCTERMS.title, Literal(TITLE, lang="en")),
        (ds, DCTERMS.description, Literal(DESCRIPTION, lang="en")),
        (ds, DCTERMS.publisher, who), (ds, DCTERMS.license, LICENSE),
        (ds, DCTERMS.issued, when), (ds, DCTERMS.modified, when),
        (ds, DCAT3.version, Literal(version)),
        (ds, OWL.versionIRI, release), (ds, DCAT3.hasVersion, release),
        (ds, VOID.triples, Literal(triples, datatype=XSD.integer)),
        (release, RDF.type, DCAT.Dataset),
        (release, DCTERMS.title, Literal(f"{TITLE}, release {version}", lang="en")),
        (release, DCAT3.version, Literal(version)),
        (release, DCAT3.isVersionOf, ds),
        (release, DCTERMS.issued, when),
        (sparql, RDF.type, DCAT.DataService),
        (sparql, DCTERMS.title, Literal(f"{TITLE}: SPARQL endpoint", lang="en")),
        (sparql, DCAT.endpointURL, sparql), (sparql, DCAT.servesDataset, ds),
        (sparql, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")),
        (sparql, DCTERMS.license, LICENSE),
    ]
    out += [(ds, DCTERMS.conformsTo, s) for s in shapes]
    for name in dumps:
        dist, info = iris.distribution(name), files[name]
        suffixes = Path(name).suffixes
        inner = suffixes[-2] if suffixes[-1] == ".gz" else suffixes[-1]
        out += [
            (ds, DCAT.distribution, dist), (release, DCAT.distribution, dist),
            (dist, RDF.type, DCAT.Distribution),
            (dist, DCTERMS.title, Literal(f"{TITLE} ({name})", lang="en")),
            (dist, DCAT.downloadURL, iris.dump(name)), (dist, DCAT.accessURL, iris.dump(name)),
            (dist, DCAT.mediaType, URIRef(IANA + MEDIA_TYPES[inner])),
            (dist, DCAT.byteSize, Literal(info["bytes"], datatype=XSD.nonNegativeInteger)),
            (dist, DCTERMS.license, LICENSE), (dist, DCTERMS.issued, when),
            *_checksum(dist, str(info["sha256"])),
        ]
        if suffixes[-1] == ".gz":
            out.append((dist, DCAT.compressFormat, URIRef(IANA + MEDIA_TYPES[".gz"])))
    return out


def _file_info(path: Path) -> dict[str, object]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def publish(triples: Iterable[Triple], outcome: ValidationOutcome, directory: Path, *,
            base: str, digest: str, build_time: str,
            ontology_dir: Path = ONTOLOGY_DIR, shapes_dir: Path = SHAPES_DIR) -> Release:
    """Write the whole release into ``directory`` (which must exist and be empty)."""
    iris = Iris(base)
    by_line = {nt_line(t): t for t in triples}  # one triple per RDF term, however it was built
    lines = sorted(by_line)
    unique = list(by_line.values())
    nt = "".join(line + "\n" for line in lines).encode("utf-8")
    _write(directory, f"{STEM}.nt", nt, gz=True)
    _write(directory, f"{STEM}.ttl", turtle_lines(lines, prefixes(iris)), gz=True)
    context_iri = iris.base + "context.jsonld"
    context = load_context(base, ontology_dir)
    _write(directory, f"{STEM}.jsonld", compact_lines(unique, context, context_iri), gz=True)
    shapes = _vocabularies(directory, base, ontology_dir, shapes_dir)
    (directory / "validation-report.ttl").write_text(outcome.report_turtle(), encoding="utf-8")
    dumps = [name for stem in DUMPS for name in (stem, f"{stem}.gz")]
    files = {p.name: _file_info(p) for p in sorted(directory.iterdir())}
    version = digest[:12]
    when = Literal(build_time, datatype=XSD.dateTime, normalize=False)
    stats = _stats(unique, iris)
    publisher = _publisher(iris)
    void = _void(stats, iris, when, dumps, publisher[1])
    _write(directory, "void.ttl", _turtle(void, iris))
    catalog = _catalog(iris, when, version, stats.triples, shapes, files, dumps, publisher)
    _write(directory, "catalog.ttl", _turtle(catalog, iris))
    for name in ("void.ttl", "catalog.ttl"):
        files[name] = _file_info(directory / name)
    listed = dict(sorted(files.items()))
    manifest = {
        "version": version, "digest": digest, "base": iris.base, "build_time": build_time,
        "triples": stats.triples,
        "pledges": stats.classes.get(iris.ontology.Pledge, 0),
        "submissions": stats.classes.get(iris.ontology.Submission, 0),
        "conforms": outcome.conforms, "warnings": len(outcome.warnings),
        "files": listed,
    }
    _write(directory, "manifest.json",
           (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return Release(version, digest, iris.base, build_time, stats.triples, listed)

