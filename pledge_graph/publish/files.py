"""Publish a release into a directory: dumps, vocabularies, VoID, DCAT, report and manifest.

The dumps are written part by part (:mod:`~pledge_graph.publish.chunks`): N-Triples lines
grouped by subject, Turtle blocks with the project's prefixes, JSON-LD node objects compacted
with the project's context, each also gzipped with a zero mtime; the same inputs give the same
bytes. VoID statistics are counted part by part too (:mod:`~pledge_graph.publish.stats`). Only ``void.ttl``, ``catalog.ttl`` and
``manifest.json`` carry the build time. The caller (``build``) decides where the directory is
and swaps it in atomically."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, Namespace, URIRef
from rdflib.term import Node

from pledge_graph.paths import ONTOLOGY_DIR, SHAPES_DIR
from pledge_graph.publish.chunks import DumpWriter
from pledge_graph.publish.jsonld import Compactor, load_context
from pledge_graph.publish.stats import LINK_TARGETS, GraphStats
from pledge_graph.publish.turtle import Names, turtle
from pledge_graph.rdf.vocab import (
    DCAT,
    DCTERMS,
    FOAF,
    OWL,
    RDF,
    SPDX,
    VOID,
    XSD,
    Iris,
    merged_text,
    prefixes,
)
from pledge_graph.validation.report import ValidationOutcome
from pledge_graph.validation.shapes import shapes_text

__all__ = [
    "DUMPS",
    "LICENSE",
    "MEDIA_TYPES",
    "dump_tools",
    "finish_release",
    "ontology_text",
    "open_dumps",
]

Meta = tuple[Node, Node, Node]
"""A triple of the release's metadata (VoID, DCAT), small enough to build from rdflib terms."""

DCAT3 = Namespace(str(DCAT))  # rdflib's DCAT predates DCAT 3's version terms
STEM = "pledge-graph"
DUMPS = (f"{STEM}.ttl", f"{STEM}.nt", f"{STEM}.jsonld")
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
IANA = "http://www.iana.org/assignments/media-types/"
MEDIA_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples",
               ".jsonld": "application/ld+json", ".gz": "application/gzip"}
FORMATS = {".ttl": "http://www.w3.org/ns/formats/Turtle",
           ".nt": "http://www.w3.org/ns/formats/N-Triples",
           ".jsonld": "http://www.w3.org/ns/formats/JSON-LD"}
TITLE = "Human Rights 75 pledges"
DESCRIPTION = ("The pledges made at the Human Rights 75 high-level event (December 2023) as "
               "linked data: each numbered pledge with its verbatim text, the document and "
               "actor it comes from, the rights-holder groups it serves and the commitments "
               "read from its text.")


def _write(directory: Path, name: str, data: bytes, *, gz: bool = False) -> None:
    (directory / name).write_bytes(data)
    if gz:
        (directory / f"{name}.gz").write_bytes(gzip.compress(data, compresslevel=6, mtime=0))


def _turtle(triples: Iterable[Meta], iris: Iris) -> bytes:
    return turtle(triples, prefixes(iris))


def ontology_text(base: str, ontology_dir: Path = ONTOLOGY_DIR) -> str:
    """The release's ``ontology.ttl``: every module of the ontology but the scheme."""
    modules = [p for p in sorted(ontology_dir.glob("*.ttl")) if p.name != "rights-holders.ttl"]
    return merged_text(modules, base)


def _vocabularies(directory: Path, base: str, ontology_dir: Path,
                  shapes_dir: Path) -> list[URIRef]:
    """Write ontology, scheme, shapes and context; return the shapes graphs' IRIs."""
    _write(directory, "ontology.ttl", ontology_text(base, ontology_dir).encode("utf-8"))
    scheme = ontology_dir / "rights-holders.ttl"
    if scheme.exists():
        _write(directory, "rights-holders.ttl", merged_text([scheme], base).encode("utf-8"))
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
# The dataset (VoID), from the statistics of its graph
# ---------------------------------------------------------------------------

def _local(iri: URIRef, iris: Iris) -> str:
    """A readable key for a partition IRI: the prefixed name with ':' as '-'."""
    best = ""
    for name, namespace in prefixes(iris).items():
        if iri.startswith(namespace) and len(namespace) > len(prefixes(iris).get(best, "")):
            best = name
    if not best:
        return hashlib.sha256(str(iri).encode()).hexdigest()[:12]
    return f"{best}-{iri[len(prefixes(iris)[best]):]}".replace("/", "-")


def _vocabularies_used(stats: GraphStats, iris: Iris) -> list[URIRef]:
    table = prefixes(iris)
    used = set()
    for term in [URIRef(t[1:-1]) for t in (*stats.classes, *stats.properties)]:
        match = max((ns for ns in table.values() if term.startswith(ns)), key=len, default=None)
        if match:
            used.add(URIRef(match))
    return sorted(used)


def _void(stats: GraphStats, iris: Iris, when: Literal, dumps: list[str],
          graph_triples: list[Meta]) -> list[Meta]:
    ds = iris.dataset()
    out: list[Meta] = list(graph_triples)
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
        (ds, VOID.distinctObjects, Literal(len(stats.objects), datatype=int_)),
        (ds, VOID.classes, Literal(len(stats.classes), datatype=int_)),
        (ds, VOID.properties, Literal(len(stats.properties), datatype=int_)),
    ]
    out += [(ds, VOID.dataDump, iris.dump(name)) for name in dumps]
    out += [(ds, VOID.feature, URIRef(FORMATS[Path(n).suffix])) for n in dumps if n in DUMPS]
    out += [(ds, VOID.vocabulary, v) for v in _vocabularies_used(stats, iris)]
    if stats.first_pledge:
        out.append((ds, VOID.exampleResource, URIRef(stats.first_pledge[1:-1])))
    classes = {URIRef(c[1:-1]): n for c, n in stats.classes.items() if c[0] == "<"}
    for cls, n in sorted(classes.items()):
        part = iris.partition("class", _local(cls, iris))
        out += [(ds, VOID.classPartition, part), (part, RDF.type, VOID.Dataset),
                (part, VOID["class"], cls), (part, VOID.entities, Literal(n, datatype=int_))]
    for prop, n in sorted((URIRef(p[1:-1]), n) for p, n in stats.properties.items()):
        part = iris.partition("property", _local(prop, iris))
        out += [(ds, VOID.propertyPartition, part), (part, RDF.type, VOID.Dataset),
                (part, VOID.property, prop), (part, VOID.triples, Literal(n, datatype=int_))]
    links = sorted(((k, URIRef(p[1:-1])), n) for (k, p), n in stats.links.items())
    for (slug, prop), n in links:
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

def _publisher(iris: Iris) -> tuple[URIRef, list[Meta]]:
    """The publisher is the project itself, named by the root of its namespace."""
    who = URIRef(iris.base)
    return who, [(who, RDF.type, FOAF.Organization),
                 (who, FOAF.name, Literal("pledge-graph project", lang="en"))]


def _checksum(subject: URIRef, sha: str) -> list[Meta]:
    node = URIRef(f"{subject}/sha256")
    return [(subject, SPDX.checksum, node), (node, RDF.type, SPDX.Checksum),
            (node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
            (node, SPDX.checksumValue, Literal(sha, datatype=XSD.hexBinary))]


def _catalog(iris: Iris, when: Literal, version: str, triples: int, shapes: list[URIRef],
             files: dict[str, dict[str, object]], dumps: list[str],
             publisher: tuple[URIRef, list[Meta]]) -> list[Meta]:
    ds, cat, sparql = iris.dataset(), iris.catalog(), iris.sparql()
    who, who_triples = publisher
    release = iris.dataset(version)
    out: list[Meta] = [
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


def open_dumps(directory: Path, base: str, ontology_dir: Path = ONTOLOGY_DIR) -> DumpWriter:
    """Start the three dumps of a release in ``directory``; parts are added in order."""
    return DumpWriter(directory, STEM, prefixes(Iris(base)), load_context(base, ontology_dir))


def dump_tools(base: str, ontology_dir: Path = ONTOLOGY_DIR) -> tuple[Names, Compactor]:
    """What a worker needs to serialise its part of the dumps under ``base``."""
    return Names(prefixes(Iris(base))), Compactor(load_context(base, ontology_dir))


def finish_release(directory: Path, dump_files: dict[str, dict[str, object]], stats: GraphStats,
                   outcome: ValidationOutcome, *, base: str, digest: str, build_time: str,
                   ontology_dir: Path = ONTOLOGY_DIR,
                   shapes_dir: Path = SHAPES_DIR) -> dict[str, object]:
    """Write the rest of the release around its finished dumps: vocabularies, the SHACL
    report, VoID, DCAT and the manifest; return the manifest."""
    iris = Iris(base)
    shapes = _vocabularies(directory, base, ontology_dir, shapes_dir)
    (directory / "validation-report.ttl").write_text(outcome.report_turtle(), encoding="utf-8")
    dumps = [name for stem in DUMPS for name in (stem, f"{stem}.gz")]
    files = {p.name: _file_info(p) for p in sorted(directory.iterdir()) if p.name not in dump_files}
    files.update(dump_files)
    version = digest[:12]
    when = Literal(build_time, datatype=XSD.dateTime, normalize=False)
    publisher = _publisher(iris)
    void = _void(stats, iris, when, dumps, publisher[1])
    _write(directory, "void.ttl", _turtle(void, iris))
    catalog = _catalog(iris, when, version, stats.triples, shapes, files, dumps, publisher)
    _write(directory, "catalog.ttl", _turtle(catalog, iris))
    for name in ("void.ttl", "catalog.ttl"):
        files[name] = _file_info(directory / name)
    listed = dict(sorted(files.items()))
    manifest: dict[str, object] = {
        "version": version, "digest": digest, "base": iris.base, "build_time": build_time,
        "triples": stats.triples,
        "pledges": stats.classes.get(f"<{iris.ontology.Pledge}>", 0),
        "submissions": stats.classes.get(f"<{iris.ontology.Submission}>", 0),
        "conforms": outcome.conforms, "warnings": len(outcome.warnings),
        "files": listed,
    }
    _write(directory, "manifest.json",
           (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return manifest
