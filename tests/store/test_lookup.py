"""Bounded lookups by pattern reads: a resource's description holds the triples of the
store's SPARQL definition of it on every term of the bundled release, with the literals as
the release's files write them where the store knows them (its lookup index, or the forms
given to it); the one-subject query is answered as the engine answers it and recognised
exactly (anything else goes to the query workers)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest
from web_server import bundled_release

from pledge_graph.rdf.vocab import Iris
from pledge_graph.sparql.queries import example_triples, load_examples
from pledge_graph.sparql.results import SOLUTION_TYPES
from pledge_graph.store.embedded import EmbeddedStore, ResultTooLarge, SparqlMethods
from pledge_graph.store.index import INDEX_NAME, TripleIndex, write_index
from pledge_graph.store.loading import default_graph_files, load_inputs
from pledge_graph.store.lookup import StoreReader, every_label, one_subject, one_subject_query
from pledge_graph.store.pool import ProcessPool
from pledge_graph.store.published import PublishedReader, published_forms
from pledge_graph.web.serve import build_store

IRIS = Iris()
PLEDGE = str(IRIS.pledge("japan-2023", 1))
JSON = {"solutions": "application/sparql-results+json"}


EXTRA = example_triples(load_examples(), IRIS, str(IRIS.sparql()))


@pytest.fixture(scope="module", params=["indexed", "pattern reads"])
def on_disk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled release's store on disk, with the lookup index the server writes beside
    it (lookups read the index), or without it (lookups read the store)."""
    path = tmp_path_factory.mktemp("store")
    if request.param == "indexed":
        build_store(path, bundled_release()[1], IRIS, [], EXTRA)
        assert (path / INDEX_NAME).is_file()
    else:
        load_inputs(EmbeddedStore(path), bundled_release()[1], IRIS, extra_triples=EXTRA)
    return path


@pytest.fixture(scope="module")
def published() -> set[str]:
    """The release's triples without blank nodes, as its files write them (and the example
    queries' triples), as N-Triples lines."""
    files = default_graph_files(bundled_release()[1])
    triples = [q.triple for path in files for q in ox.parse(path=str(path))] + EXTRA
    return {str(t) for t in triples if not _blank(t)}


def _blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _canonical(triples: list[ox.Triple]) -> set[str]:
    """The triples as N-Triples lines; both read the same store, so blank nodes keep the
    store's names and compare as they are."""
    return {str(t) for t in triples}


def _as_stored(triples: list[ox.Triple]) -> set[str]:
    """The triples as a store writes them (``"1"^^xsd:positiveInteger`` as xsd:integer),
    blank nodes keeping their names."""
    scratch = ox.Store()
    scratch.extend([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
    return {str(q.triple) for q in scratch}


def _check_every_description(store: EmbeddedStore, published: set[str] | None) -> None:
    """Each term's description holds the triples of the SPARQL definition, each once: as
    the store writes them (``published`` None), or with the literals as the release writes
    them (``published``: the release's lines, which hold every triple without a blank node)."""
    terms = {q.subject.value for q in store.native.quads_for_pattern(None, None, None)
             if isinstance(q.subject, ox.NamedNode)}
    terms |= {q.object.value for q in store.native.quads_for_pattern(None, None, None)
              if isinstance(q.object, ox.NamedNode)}
    assert len(terms) > 300
    sparql = SparqlMethods.description  # the definition: a CONSTRUCT parsed back
    with_blank_nodes = rewritten = 0
    for iri in sorted(terms):
        fast = store.description(iri)
        defined = _canonical(sparql(store, iri))
        assert len(fast) == len(set(fast)), iri
        if published is None:
            assert _canonical(fast) == defined, iri
        else:
            assert _as_stored(fast) == defined, iri
            assert {str(t) for t in fast if not _blank(t)} <= published, iri
            rewritten += _canonical(fast) != defined
        with_blank_nodes += any(isinstance(t.subject, ox.BlankNode) for t in fast)
    assert with_blank_nodes > 0  # the ontology's and shapes' lists were walked
    assert published is None or rewritten > 10  # pledges, selectors, the catalog's sizes
    assert store.description(str(IRIS.pledge("nowhere-1999", 1))) == []


def test_description_is_the_sparql_definition_on_every_term(on_disk, published):
    """From the index, with the release's literals; from the store, as it writes them."""
    indexed = (on_disk / INDEX_NAME).is_file()
    _check_every_description(EmbeddedStore(on_disk, read_only=True),
                             published if indexed else None)


def test_a_store_given_the_release_forms_describes_with_them(published):
    """In memory, as export-site reads the release, with the forms read from its files."""
    store = EmbeddedStore()
    load_inputs(store, bundled_release()[1], IRIS, extra_triples=EXTRA)
    store.describe_as_published(published_forms(default_graph_files(bundled_release()[1]),
                                                EXTRA))
    _check_every_description(store, published)


def test_the_stores_own_reads_read_as_the_index_on_disk(tmp_path):
    """Every read of every IRI of the bundled release, both ways (the store's literals and
    the release's), in the same order: a description export-site reads from the store in
    memory is the one ``serve`` reads from its index, byte for byte."""
    forms = published_forms(default_graph_files(bundled_release()[1]), EXTRA)
    store = EmbeddedStore()
    load_inputs(store, bundled_release()[1], IRIS, extra_triples=EXTRA)
    assert write_index(store.native, tmp_path, forms) is not None
    index = TripleIndex(tmp_path / INDEX_NAME)
    iris = sorted(index.iris())
    assert iris == sorted({t.value for q in store.native.quads_for_pattern(
        None, None, None, ox.DefaultGraph()) for t in (q.subject, q.object)
        if isinstance(t, ox.NamedNode)})
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    mine = StoreReader(store.native)
    differ = 0
    for one, other in ((mine, index), (PublishedReader(mine, forms), index.published())):
        for iri in iris:
            term = f"<{iri}>"
            assert one.outgoing(term) == other.outgoing(term), iri
            assert one.outgoing(term, label, 1) == other.outgoing(term, label, 1), iri
            assert one.incoming(term) == other.incoming(term), iri
            at_most = one.incoming(term, most=2)  # which two is the reader's choice
            assert len(at_most) == len(other.incoming(term, most=2))
            assert set(at_most) <= set(other.incoming(term)), iri
        terms = [f"<{iri}>" for iri in iris]
        # in any order: a caller chooses among them (the best label)
        assert sorted(one.values(terms, [label])) == sorted(other.values(terms, [label]))
        differ += one.outgoing(f"<{PLEDGE}>") != mine.outgoing(f"<{PLEDGE}>")
    assert differ == 1  # the pledge's number: xsd:positiveInteger as published
    assert mine.outgoing("<http://example.org/nothing>") == []
    assert mine.incoming("<http://example.org/nothing>") == []


def test_the_pool_describes_and_looks_up_in_its_own_process(on_disk):
    pool = ProcessPool(on_disk, workers=1)
    try:
        fast = pool.description(PLEDGE)
        assert {t.subject.value for t in fast} >= {PLEDGE}
        answer = pool.subject_query(one_subject(f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o }}"),
                                    JSON)
        queried = pool.query(f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o }}", media_types=JSON)
        assert answer == queried
        assert answer.count == len([t for t in fast if t.subject.value == PLEDGE])
    finally:
        pool.close()


@pytest.mark.parametrize("media_type", SOLUTION_TYPES)
def test_one_subject_answers_are_the_engines_on_every_subject(on_disk, media_type):
    """Read by one pattern lookup, the answer is the very bytes a query worker gives."""
    pool = ProcessPool(on_disk, workers=1)
    view = EmbeddedStore(on_disk, read_only=True)
    subjects = sorted({q.subject.value for q in view.native.quads_for_pattern(None, None, None)
                       if isinstance(q.subject, ox.NamedNode)})
    media_types = {"solutions": media_type}
    try:
        for iri in subjects[::7] + [PLEDGE, "http://example.org/nothing"]:
            query = f"SELECT ?pred ?value WHERE {{ <{iri}> ?pred ?value }}"
            assert pool.subject_query(one_subject(query), media_types) == \
                pool.query(query, media_types=media_types), iri
    finally:
        pool.close()


def test_one_subject_answers_keep_the_result_cap(on_disk):
    store = EmbeddedStore(on_disk, read_only=True, limit=5)
    with pytest.raises(ResultTooLarge):
        store.subject_query(one_subject(f"SELECT ?p ?o {{ <{PLEDGE}> ?p ?o }}"), JSON)


@pytest.mark.parametrize("query", [
    f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o }}",
    f"select ?p ?o where {{<{PLEDGE}> ?p ?o .}}",
    f"  SELECT $pred $obj {{\n  <{PLEDGE}>\t$pred $obj\n}}\n",
])
def test_one_subject_queries_are_recognised(query):
    found = one_subject(query)
    assert found is not None and found[0] == PLEDGE
    assert one_subject(one_subject_query(found)) == found


@pytest.mark.parametrize("query", [
    f"SELECT ?o ?p WHERE {{ <{PLEDGE}> ?p ?o }}",  # columns in another order
    f"SELECT ?p ?p WHERE {{ <{PLEDGE}> ?p ?p }}",
    f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o }} LIMIT 1",
    f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o . ?o ?p ?x }}",
    f"SELECT ?p ?o WHERE {{ SERVICE <{PLEDGE}> {{ <{PLEDGE}> ?p ?o }} }}",
    "SELECT ?p ?o WHERE { <pledge/1> ?p ?o }",  # relative: resolved against the base
    "SELECT ?p ?o WHERE { <http://example.org/a b> ?p ?o }",
    "SELECT ?p ?o WHERE { <http://example.org/a> ?p ?o } } SELECT",
    "PREFIX pg: <http://example.org/> SELECT ?p ?o WHERE { pg:a ?p ?o }",
    "SELECT * WHERE { <http://example.org/a> ?p ?o }",
    "SELECT ?p ?o WHERE { <http://example.org/a> ?p ?o } # comment",
    "SELECT ?p ?o WHERE { <http://example.org/\\u0041> ?p ?o }",
])
def test_other_queries_are_not_recognised(query):
    assert one_subject(query) is None



def test_budgeted_reads_answer_small_lookups_and_leave_large_ones(on_disk):
    """Under a budget a lookup or description is answered whole, or not at all (None: the
    server then reads it in a thread, without the budget)."""
    store = EmbeddedStore(on_disk, read_only=True)
    found = one_subject(f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o }}")
    whole = store.subject_query(found, JSON)
    assert whole is not None and whole.count > 3
    assert store.subject_query(found, JSON, whole.count) == whole
    assert store.subject_query(found, JSON, whole.count - 1) is None
    described = store.description(PLEDGE)
    assert described is not None
    assert store.description(PLEDGE, len(described) + 10) == described
    assert store.description(PLEDGE, 3) is None
    assert SparqlMethods.subject_query(store, found, JSON, 1000) is None  # a query: no budget


def test_labels_equal_the_sparql_definition_on_every_term(on_disk):
    """Read by pattern (from the index, or the store), a label is the one the SPARQL
    definition picks: skos:prefLabel, rdfs:label, dct:title, English or untagged, least."""
    store = EmbeddedStore(on_disk, read_only=True)
    terms = sorted({q.subject.value for q in store.native.quads_for_pattern(None, None, None)
                    if isinstance(q.subject, ox.NamedNode)})
    fast = store.labels(terms)
    assert len(fast) > 100
    assert fast == SparqlMethods.labels(store, terms)
    assert every_label(store.native) == fast  # the export's, read in one pass


@pytest.mark.parametrize("on_disk", ["indexed"], indirect=True)
def test_the_index_holds_exactly_the_default_graph(on_disk, published):
    """Every triple of the default graph is in the index once, in the store's N-Triples
    form, and each triple of the release's files in theirs (a row in each form where they
    differ); named graphs are not (lookups read the default graph only)."""
    index = on_disk / INDEX_NAME
    store = ox.Store.read_only(str(on_disk))
    expected = sorted(str(q.triple) for q in store.quads_for_pattern(None, None, None,
                                                                     ox.DefaultGraph()))
    with sqlite3.connect(index) as db:
        rows = sorted(f"{s} {p} {o}" for s, p, o in db.execute(
            "SELECT s, p, o FROM triples WHERE v != 2"))
        as_published = [f"{s} {p} {o}" for s, p, o in db.execute(
            "SELECT s, p, o FROM triples WHERE v != 1")]
        assert db.execute("SELECT count(*) FROM (SELECT DISTINCT s, p, o FROM triples)").fetchone()[0] == \
            db.execute("SELECT count(*) FROM triples").fetchone()[0]
        links = db.execute("SELECT count(*) FROM links").fetchone()[0]
    assert rows == expected
    assert len(as_published) == len(set(as_published)) == len(expected)
    parsed = ox.parse("".join(f"{line} .\n" for line in as_published).encode(),
                      format=ox.RdfFormat.N_TRIPLES)
    assert {str(q.triple) for q in parsed if not _blank(q.triple)} == published
    assert sum(line.endswith("#positiveInteger>") for line in as_published) >= 6
    assert links == sum(line.split(" ", 2)[2].startswith(("<", "_:")) for line in expected)
    assert len(store) > len(expected)  # the example queries' graph is not in it


def test_a_graph_with_a_triple_term_is_read_from_the_store(tmp_path):
    """RDF 1.2 triple terms have no row in the index: none is written, and lookups read
    the store itself."""
    store = ox.Store(str(tmp_path))
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    store.add(ox.Quad(s, p, ox.Triple(s, p, ox.Literal("o"))))
    store.add(ox.Quad(s, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                      ox.Literal("a thing", language="en")))
    assert write_index(store, tmp_path) is None
    assert not (tmp_path / INDEX_NAME).exists()
    del store
    view = EmbeddedStore(tmp_path, read_only=True)
    assert view.labels([s.value]) == {s.value: "a thing"}
