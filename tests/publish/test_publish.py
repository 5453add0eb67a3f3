"""The release: dumps that agree with each other and with independent parsers, VoID statistics
that match COUNT queries, a DCAT catalog that matches the files, and byte-identical rebuilds."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import re
import subprocess
import zlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from jsonld_readers import rdflib_graph
from pipeline_data import japan_data
from rdflib import Graph, Literal, Namespace, URIRef

from pledge_graph.build.pipeline import build
from pledge_graph.paths import DATA_DIR
from pledge_graph.publish.charts import CHARTS
from pledge_graph.publish.charts import INDEX as CHART_INDEX
from pledge_graph.publish.chunks import DumpWriter, serialise
from pledge_graph.publish.files import DUMPS
from pledge_graph.publish.jsonld import Compactor
from pledge_graph.publish.turtle import Names, turtle
from pledge_graph.rdf.ntriples import nt_term
from pledge_graph.rdf.vocab import (
    DCAT,
    DCTERMS,
    OWL,
    RDF,
    RDFS,
    SH,
    SKOS,
    SPDX,
    UNBIS,
    VOID,
    WD,
    XSD,
    Iris,
)

DCAT3 = Namespace(str(DCAT))
EPOCH = "1700000000"
IANA = "http://www.iana.org/assignments/media-types/"
LAYOUT = {
    "pledge-graph.ttl", "pledge-graph.ttl.gz", "pledge-graph.nt", "pledge-graph.nt.gz",
    "pledge-graph.jsonld", "pledge-graph.jsonld.gz", "ontology.ttl", "rights-holders.ttl",
    "shapes.ttl", "context.jsonld", "void.ttl", "catalog.ttl", "validation-report.ttl",
    "manifest.json", "search.sqlite", CHART_INDEX,
    *(f"chart-{chart.name}.{kind}" for chart in CHARTS for kind in ("svg", "csv", "vl.json")),
}


def release(tmp: Path, data: Path, name: str, epoch: str = EPOCH) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", epoch)
        return build(data, tmp / name).out_dir


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return japan_data(tmp_path_factory.mktemp("data"), extra=2)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Path:
    return release(tmp_path_factory.mktemp("out"), data, "dist")


def jsonld_graph(dist: Path) -> Graph:
    """Parse the JSON-LD dump as it is, offline: it embeds the release's context."""
    document = json.loads((dist / "pledge-graph.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == json.loads((dist / "context.jsonld").read_text())["@context"]
    return rdflib_graph((dist / "pledge-graph.jsonld").read_bytes())


def count(store: ox.Store, where: str) -> int:
    [row] = list(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"))
    return int(row["n"].value)


def distinct(store: ox.Store, var: str, where: str) -> int:
    [row] = list(store.query(f"SELECT (COUNT(DISTINCT {var}) AS ?n) WHERE {{ {where} }}"))
    return int(row["n"].value)


@pytest.fixture(scope="module")
def store(dist: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(dist / "pledge-graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    return store


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_has_the_documented_layout(dist: Path) -> None:
    assert {p.name for p in dist.iterdir()} == LAYOUT


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_turtle_ntriples_and_jsonld_dumps_are_isomorphic(dist: Path) -> None:
    nt = Graph().parse(dist / "pledge-graph.nt", format="nt")
    ttl = Graph().parse(dist / "pledge-graph.ttl", format="turtle")
    assert len(nt) > 500
    assert set(nt) == set(ttl)
    assert set(nt) == set(jsonld_graph(dist))


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_bundled_release_with_facts_is_isomorphic_in_every_syntax(tmp_path: Path) -> None:
    if not any((DATA_DIR / "records").glob("*.yaml")):
        pytest.skip("no bundled records yet")
    out = release(tmp_path, DATA_DIR, "bundled")
    nt = Graph().parse(out / "pledge-graph.nt", format="nt")
    assert set(nt) == set(Graph().parse(out / "pledge-graph.ttl", format="turtle"))
    assert set(nt) == set(jsonld_graph(out))
    done = subprocess.run(["serdi", "-i", "turtle", "pledge-graph.ttl"], cwd=out, check=False,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == len(nt), done.stderr


def test_jsonld_expands_with_an_independent_parser(dist: Path) -> None:
    quads = ox.parse(path=str(dist / "pledge-graph.jsonld"), format=ox.RdfFormat.JSON_LD)
    lines = {f"{q.subject} {q.predicate} {q.object} ." for q in quads}
    assert lines == set((dist / "pledge-graph.nt").read_text(encoding="utf-8").splitlines())


def test_ntriples_lines_are_unique_and_grouped_by_subject(dist: Path) -> None:
    lines = (dist / "pledge-graph.nt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(set(lines))
    runs = [subject for subject, _ in itertools.groupby(line.split(" ", 1)[0] for line in lines)]
    assert len(runs) == len(set(runs)), "each subject's lines are together"
    for _, group in itertools.groupby(lines, key=lambda line: line.split(" ", 1)[0]):
        block = list(group)
        assert block == sorted(block)
    assert not any(line.startswith("_:") or " _:" in line for line in lines)


def test_gzipped_dumps_are_single_gzip_members(dist: Path) -> None:
    for name in DUMPS:
        packed = (dist / f"{name}.gz").read_bytes()
        inflater = zlib.decompressobj(wbits=31)  # gzip, one member
        assert inflater.decompress(packed) == (dist / name).read_bytes()
        assert inflater.eof and inflater.unused_data == b""


def test_gzipped_dumps_hold_the_same_bytes_with_no_timestamp(dist: Path) -> None:
    for name in DUMPS:
        packed = (dist / f"{name}.gz").read_bytes()
        assert gzip.decompress(packed) == (dist / name).read_bytes()
        assert packed[4:8] == b"\0\0\0\0"  # MTIME field of the gzip header


@pytest.mark.parametrize("command", [
    ["rapper", "-q", "-i", "turtle", "-c", "pledge-graph.ttl"],
    ["rapper", "-q", "-i", "ntriples", "-c", "pledge-graph.nt"],
    ["rapper", "-q", "-i", "turtle", "-c", "void.ttl"],
    ["rapper", "-q", "-i", "turtle", "-c", "catalog.ttl"],
    ["rapper", "-q", "-i", "turtle", "-c", "ontology.ttl"],
    ["rapper", "-q", "-i", "turtle", "-c", "shapes.ttl"],
    ["rapper", "-q", "-i", "turtle", "-c", "validation-report.ttl"],
], ids=lambda c: c[-1])
def test_independent_parser_rapper_reads_every_turtle_file(dist: Path, command: list[str]) -> None:
    done = subprocess.run(command, cwd=dist, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_independent_parsers_count_the_same_triples(dist: Path) -> None:
    expected = len((dist / "pledge-graph.nt").read_text(encoding="utf-8").splitlines())
    for syntax, name in (("turtle", "pledge-graph.ttl"), ("ntriples", "pledge-graph.nt")):
        done = subprocess.run(["rapper", "-i", syntax, "-c", name], cwd=dist, check=False,
                              capture_output=True, text=True, timeout=60)
        assert re.search(rf"returned {expected} triples", done.stderr), done.stderr
        done = subprocess.run(["serdi", "-i", syntax, name], cwd=dist, check=False,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) == expected


def test_void_statistics_match_count_queries(dist: Path, store: ox.Store) -> None:
    void = Graph().parse(dist / "void.ttl")
    ds = Iris().dataset()
    space = str(void.value(ds, VOID.uriSpace))
    assert space == Iris().base + "id/"

    def stat(subject: URIRef, prop: URIRef) -> int:
        return int(void.value(subject, prop))  # type: ignore[arg-type]

    assert stat(ds, VOID.triples) == count(store, "?s ?p ?o")
    assert stat(ds, VOID.entities) == distinct(
        store, "?s", f'?s ?p ?o FILTER(STRSTARTS(STR(?s), "{space}"))')
    assert stat(ds, VOID.classes) == distinct(store, "?c", "?s a ?c")
    assert stat(ds, VOID.properties) == distinct(store, "?p", "?s ?p ?o")
    assert stat(ds, VOID.distinctSubjects) == distinct(store, "?s", "?s ?p ?o")
    # pyoxigraph stores xsd:positiveInteger "99" and xsd:integer "99" as one term, so the
    # distinct objects are counted on the RDF terms themselves.
    objects = {line.split(" ", 2)[2] for line in
               (dist / "pledge-graph.nt").read_text(encoding="utf-8").splitlines()}
    assert stat(ds, VOID.distinctObjects) == len(objects)
    classes = list(void.objects(ds, VOID.classPartition))
    assert len(classes) == stat(ds, VOID.classes)
    for part in classes:
        cls = void.value(part, VOID["class"])
        assert stat(part, VOID.entities) == distinct(store, "?s", f"?s a <{cls}>")
    properties = list(void.objects(ds, VOID.propertyPartition))
    assert len(properties) == stat(ds, VOID.properties)
    for part in properties:
        prop = void.value(part, VOID.property)
        assert stat(part, VOID.triples) == count(store, f"?s <{prop}> ?o")


def test_void_linksets_to_wikidata_and_unbis_match_counts(dist: Path, store: ox.Store) -> None:
    void = Graph().parse(dist / "void.ttl")
    targets = {}
    for linkset in void.subjects(RDF.type, VOID.Linkset):
        prop = void.value(linkset, VOID.linkPredicate)
        namespace = str(WD) if "wikidata" in str(linkset) else str(UNBIS)
        n = count(store, f'?s <{prop}> ?o FILTER(STRSTARTS(STR(?o), "{namespace}"))')
        assert int(void.value(linkset, VOID.triples)) == n > 0  # type: ignore[arg-type]
        targets[(namespace, prop)] = n
    assert (str(WD), OWL.sameAs) in targets
    assert any(ns == str(UNBIS) for ns, _ in targets)
    assert (str(UNBIS), SKOS.exactMatch) in targets or (str(UNBIS), SKOS.broadMatch) in targets


def test_void_describes_access_and_vocabularies(dist: Path) -> None:
    void = Graph().parse(dist / "void.ttl")
    iris, ds = Iris(), Iris().dataset()
    assert void.value(ds, VOID.sparqlEndpoint) == iris.sparql()
    assert set(void.objects(ds, VOID.dataDump)) == {
        iris.dump(n) for stem in DUMPS for n in (stem, f"{stem}.gz")}
    assert URIRef(str(iris.ontology)) in set(void.objects(ds, VOID.vocabulary))
    assert iris.pledge("japan-2023", 1) in set(void.objects(ds, VOID.exampleResource))
    assert void.value(ds, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    assert void.value(ds, DCTERMS.title) is not None
    assert void.value(ds, DCTERMS.publisher) is not None


def test_dcat_distributions_match_the_files(dist: Path) -> None:
    cat = Graph().parse(dist / "catalog.ttl")
    iris, ds = Iris(), Iris().dataset()
    distributions = list(cat.objects(ds, DCAT.distribution))
    assert len(distributions) == 6
    for d in distributions:
        url = str(cat.value(d, DCAT.downloadURL))
        assert url.startswith(iris.base + "dumps/")
        path = dist / url.rsplit("/", 1)[1]
        assert int(cat.value(d, DCAT.byteSize)) == path.stat().st_size  # type: ignore[arg-type]
        checksum = cat.value(d, SPDX.checksum)
        assert cat.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(cat.value(checksum, SPDX.checksumValue)) == sha256(path)
        inner = path.name.removesuffix(".gz").rsplit(".", 1)[1]
        media = {"ttl": "text/turtle", "nt": "application/n-triples",
                 "jsonld": "application/ld+json"}
        assert cat.value(d, DCAT.mediaType) == URIRef(IANA + media[inner])
        compressed = cat.value(d, DCAT.compressFormat)
        assert compressed == (URIRef(IANA + "application/gzip") if path.suffix == ".gz" else None)


def test_dcat_catalog_dataset_version_and_service(dist: Path) -> None:
    cat = Graph().parse(dist / "catalog.ttl")
    iris, ds = Iris(), Iris().dataset()
    manifest = json.loads((dist / "manifest.json").read_text())
    assert (iris.catalog(), RDF.type, DCAT.Catalog) in cat
    assert (iris.catalog(), DCAT.dataset, ds) in cat
    version = manifest["version"]
    assert str(cat.value(ds, DCAT3.version)) == version
    assert cat.value(ds, OWL.versionIRI) == iris.dataset(version)
    assert (ds, DCAT3.hasVersion, iris.dataset(version)) in cat
    assert cat.value(iris.sparql(), RDF.type) == DCAT.DataService
    assert cat.value(iris.sparql(), DCAT.endpointURL) == iris.sparql()
    assert cat.value(ds, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    shapes = Graph().parse(dist / "shapes.ttl")
    conforms = set(cat.objects(ds, DCTERMS.conformsTo))
    assert conforms and all((s, RDF.type, OWL.Ontology) in shapes for s in conforms)
    assert int(cat.value(ds, VOID.triples)) == manifest["triples"]  # type: ignore[arg-type]
    assert cat.value(ds, DCTERMS.modified) == Literal("2023-11-14T22:13:20Z", datatype=XSD.dateTime)


def test_manifest_lists_every_file_with_size_and_checksum(dist: Path) -> None:
    manifest = json.loads((dist / "manifest.json").read_text())
    assert set(manifest["files"]) == LAYOUT - {"manifest.json"}
    for name, info in manifest["files"].items():
        assert info == {"bytes": (dist / name).stat().st_size, "sha256": sha256(dist / name)}
    nt_lines = (dist / "pledge-graph.nt").read_text(encoding="utf-8").splitlines()
    assert manifest["triples"] == len(nt_lines)
    assert manifest["pledges"] == 9 and manifest["submissions"] == 3
    assert manifest["base"] == Iris().base and manifest["build_time"] == "2023-11-14T22:13:20Z"


def test_vocabulary_files_and_report(dist: Path) -> None:
    ontology = Graph().parse(dist / "ontology.ttl")
    assert (URIRef(Iris().base + "ontology"), RDF.type, OWL.Ontology) in ontology
    assert not list(ontology.subjects(RDF.type, SKOS.Concept))
    scheme = Graph().parse(dist / "rights-holders.ttl")
    assert (Iris().scheme(), RDF.type, SKOS.ConceptScheme) in scheme
    shapes = Graph().parse(dist / "shapes.ttl")
    assert (Iris().shapes["Pledge-number"], SH.targetClass, Iris().ontology.Pledge) in shapes
    report = Graph().parse(dist / "validation-report.ttl")
    node = report.value(None, RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(True)


def test_same_input_gives_byte_identical_release(tmp_path: Path, data: Path, dist: Path) -> None:
    again = release(tmp_path, data, "again")
    for name in sorted(LAYOUT):
        assert (again / name).read_bytes() == (dist / name).read_bytes(), name
    later = release(tmp_path, data, "later", epoch="1800000000")
    stamped = {"void.ttl", "catalog.ttl", "manifest.json"}
    for name in sorted(LAYOUT - stamped):
        assert (later / name).read_bytes() == (dist / name).read_bytes(), name
    for name in sorted(stamped):
        assert (later / name).read_bytes() != (dist / name).read_bytes(), name


def test_turtle_writer_round_trips_awkward_terms(tmp_path: Path) -> None:
    ex = "http://example.org/"
    tricky = [
        (URIRef(ex + "a"), RDF.type, URIRef(ex + "C")),
        (URIRef(ex + "a"), URIRef(ex + "p"), Literal('ends "quoted"^^<http://x/>')),
        (URIRef(ex + "a"), URIRef(ex + "p"), Literal("two\nlines\tand \\ back", lang="fr")),
        (URIRef(ex + "a"), URIRef(ex + "p"), Literal("7", datatype=XSD.positiveInteger)),
        (URIRef(ex + "a"), URIRef(ex + "p"), URIRef(ex + "path/with/slashes")),
        (RDF.type, RDFS.label, Literal("type")),
    ]
    data = turtle(tricky, {"ex": ex, "xsd": str(XSD), "rdfs": str(RDFS)})
    assert set(Graph().parse(data=data, format="turtle")) == set(tricky)
    (tmp_path / "t.ttl").write_bytes(data)
    done = subprocess.run(["serdi", "-i", "turtle", "t.ttl"], cwd=tmp_path, check=False,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == len(tricky), done.stderr


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_jsonld_compaction_keeps_every_term_under_a_tricky_context(tmp_path: Path) -> None:
    ex = "http://example.org/"
    context = {"@context": {
        "@language": "en", "ex": ex, "xsd": str(XSD),
        "name": {"@id": "ex:name"},
        "label": {"@id": "ex:label", "@container": "@language"},
        "count": {"@id": "ex:count", "@type": "xsd:integer"},
        "link": {"@id": "ex:link", "@type": "@id"},
        "kind": {"@id": "ex:kind", "@type": "@vocab"},
        "Thing": "ex:Thing",
    }}
    s = URIRef(ex + "s")
    triples = [
        (s, RDF.type, URIRef(ex + "Thing")), (s, RDF.type, URIRef(ex + "Other")),
        (s, URIRef(ex + "name"), Literal("plain")),
        (s, URIRef(ex + "name"), Literal("anglais", lang="en")),
        (s, URIRef(ex + "name"), Literal("français", lang="fr")),
        (s, URIRef(ex + "label"), Literal("no language")),
        (s, URIRef(ex + "label"), Literal("Etikett", lang="de")),
        (s, URIRef(ex + "count"), Literal("3", datatype=XSD.integer)),
        (s, URIRef(ex + "count"), Literal("3.5", datatype=XSD.decimal)),
        (s, URIRef(ex + "link"), URIRef(ex + "t")),
        (s, URIRef(ex + "link"), Literal("not an IRI")),
        (s, URIRef(ex + "kind"), URIRef(ex + "Thing")),
        (s, URIRef("http://other.example/p"), URIRef("http://other.example/o")),
    ]
    rows = sorted({(nt_term(a), nt_term(b), nt_term(c)) for a, b, c in triples})
    writer = DumpWriter(tmp_path, "t", {"ex": ex}, context)
    writer.add(serialise(rows, Names({"ex": ex}), Compactor(context)))  # as a build's batch
    writer.close()
    written = (tmp_path / "t.jsonld").read_bytes()
    document = json.loads(written)
    assert len(document["@graph"]) == 1 and document["@context"] == context["@context"]
    assert set(rdflib_graph(written)) == set(triples)


def test_void_linksets_are_subsets_of_the_dataset(dist: Path) -> None:
    void = Graph().parse(dist / "void.ttl")
    ds = Iris().dataset()
    linksets = set(void.subjects(RDF.type, VOID.Linkset))
    assert linksets and linksets <= set(void.objects(ds, VOID.subset))
    for linkset in linksets:
        assert void.value(linkset, VOID.subjectsTarget) == ds
        assert (linkset, VOID.subset, None) not in void
