"""The release's search index: built with the release, it finds pledges by words in any of
the six UN languages (accents, harakat and case folded; Chinese words of any length), takes
any user text without FTS5 syntax reaching the engine, and holds the facet values."""

from __future__ import annotations

import doctest
import json
import shutil
import sqlite3

import pyoxigraph as ox
import pytest
from pipeline_data import japan_data, synthetic, write_record
from web_server import bundled_release

from pledge_graph.build.pipeline import check
from pledge_graph.build.release import ensure_release, is_stale
from pledge_graph.publish import search_index
from pledge_graph.publish.search_index import (
    INDEX_FILE,
    PARTS_FILE,
    IndexWriter,
    fts_query,
    index_part,
    index_triples,
    search_words,
)

BASE = "https://example.org/pg/"
PG = BASE + "ontology/"
TEXTS = {
    "en": "We pledge to strengthen the rule of law and access to justice.",
    "fr": "Nous nous engageons à renforcer l'État de droit et l'accès à la justice.",
    "es": "Nos comprometemos a promover la educación en derechos humanos.",
    "ru": "Мы обязуемся укреплять права человека и верховенство ПРАВА.",
    "ar": "نَتَعَهَّدُ بِتَعْزِيزِ حُقُوقِ الإنسان وسيادة القانون",
    "zh": "我们承诺加强人权理事会的工作和法治。",
}


def triple(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o)


def pledge_triples() -> list[ox.Triple]:
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    out = []
    for number, (language, text) in enumerate(TEXTS.items(), start=1):
        pledge = f"{BASE}id/pledge/doc/{number}"
        out += [triple(pledge, rdf_type, ox.NamedNode(PG + "Pledge")),
                triple(pledge, PG + "pledgeText", ox.Literal(text, language=language)),
                triple(pledge, PG + "pledgeNumber", ox.Literal(str(number))),
                triple(pledge, PG + "submission", ox.NamedNode(f"{BASE}id/submission/doc")),
                triple(pledge, PG + "pledgedBy", ox.NamedNode(f"{BASE}id/state/s{number % 2}"))]
    fact = f"{BASE}id/fact/doc/2/funding"
    out += [triple(fact, rdf_type, ox.NamedNode(PG + "FundingCommitment")),
            triple(fact, PG + "statedIn", ox.NamedNode(f"{BASE}id/pledge/doc/2")),
            triple(fact, PG + "recipient", ox.NamedNode(f"{BASE}id/org/ohchr")),
            triple(f"{BASE}id/org/ohchr", "http://www.w3.org/2000/01/rdf-schema#label",
                   ox.Literal("OHCHR", language="en"))]
    return out


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = index_triples(pledge_triples(), tmp_path_factory.mktemp("index") / INDEX_FILE)
    db = sqlite3.connect(path)
    yield db
    db.close()


def found(db: sqlite3.Connection, text: str) -> set[str]:
    words = search_words(text)
    if not words:  # nothing to search: the list is not narrowed
        return set(TEXTS)
    rows = db.execute("SELECT language FROM pledge WHERE id IN (SELECT rowid FROM text_index "
                      "WHERE text_index MATCH ?)", (fts_query(words),))
    return {r[0] for r in rows}


@pytest.mark.parametrize(("search", "languages"), [
    ("justice", {"en", "fr"}),
    ("JUSTICE law", {"en"}),
    ("etat DROIT", {"fr"}),                 # accents and case folded
    ("educacion", {"es"}),
    ("права", {"ru"}),                      # Cyrillic case folded: ПРАВА too
    ("القانون", {"ar"}),
    ("حقوق", {"ar"}),                       # the text's harakat (حُقُوقِ) are folded away
    ("人权", {"zh"}),                        # a two-character Chinese word
    ("法治", {"zh"}),
    ("理事会", {"zh"}),
    ("人理", set()),                         # characters, but not next to each other
    ("streng", {"en"}),                     # the start of a word
    ("trengthen", set()),                   # not the middle of one
])
def test_search_finds_words_in_every_un_language(index, search, languages):
    assert found(index, search) == languages


@pytest.mark.parametrize("hostile", ['"', "*", "NEAR(justice law)", "(", ")", "justice OR law",
                                     "justice NOT law", '"justice', "^law", "law:", "{x}",
                                     "col:justice", "a\x00b", "-justice", "+law"])
def test_fts_syntax_in_a_search_is_only_text(index, hostile):
    found(index, hostile)  # no sqlite3.OperationalError: every word is a quoted string
    assert found(index, "law OR justice") == set()  # OR is a word here, not an operator
    assert found(index, "law AND rule") == {"en"}  # "and" is a word of the English text


def test_facet_values_are_indexed_with_labels(index):
    rows = set(index.execute("SELECT facet, value, pledge FROM facet"))
    assert ("recipient", f"{BASE}id/org/ohchr", 2) in rows
    assert ("commitment", PG + "FundingCommitment", 2) in rows
    assert ("language", "zh", 6) in rows
    assert {r for r in rows if r[0] == "actor"} == {
        ("actor", f"{BASE}id/state/s{n % 2}", n) for n in range(1, 7)}
    labels = dict(index.execute("SELECT iri, label FROM label"))
    assert labels[f"{BASE}id/org/ohchr"] == "OHCHR"
    assert labels["ar"] == "Arabic"
    assert labels[PG + "FundingCommitment"] == "Funding commitment"


def test_the_build_writes_the_index_into_the_release_and_lists_it():
    release = bundled_release()[1]
    manifest = (release / "manifest.json").read_text(encoding="utf-8")
    assert INDEX_FILE in manifest
    db = sqlite3.connect(f"{(release / INDEX_FILE).as_uri()}?mode=ro", uri=True)
    try:
        count = db.execute("SELECT count(*) FROM pledge").fetchone()[0]
    finally:
        db.close()
    pledge_lines = (release / "pledge-graph.nt").read_text(encoding="utf-8").count(
        "<https://w3id.org/pledge-graph/ontology/pledgeText>")
    assert count == pledge_lines > 0
    assert not (release / PARTS_FILE).exists()  # the build's scratch file is gone
    assert PARTS_FILE not in manifest


def test_the_index_made_batch_by_batch_is_the_one_of_the_whole_graph(tmp_path):
    """Batches cut the records in file-name order; the list shows the pledges by submission
    IRI, then number: "yemen-1.yaml" comes before "yemen.yaml", but yemen's pledges before
    yemen-1's, and yemen's pledge 10 after its pledge 9."""
    data = japan_data(tmp_path)
    for slug, pledges in (("yemen-1", 2), ("yemen", 11)):
        write_record(data, *reversed(synthetic(slug, pledges)))
    out = tmp_path / "release"
    out.mkdir()
    assert check(data, dumps_to=out, batch_records=1, workers=2).outcome.conforms
    index = out / INDEX_FILE
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no scratch left
    whole = index_triples(ox.parse(path=out / "pledge-graph.nt",
                                   format=ox.RdfFormat.N_TRIPLES), tmp_path / INDEX_FILE)
    assert index.read_bytes() == whole.read_bytes()
    db = sqlite3.connect(index)
    try:
        listed = [iri.split("/id/pledge/")[1] for (iri,) in
                  db.execute("SELECT iri FROM pledge ORDER BY id")]
    finally:
        db.close()
    assert listed == ([f"japan-2023/{n}" for n in range(1, 4)]
                      + [f"yemen/{n}" for n in range(1, 12)]
                      + [f"yemen-1/{n}" for n in range(1, 3)])


def test_indexing_the_same_triples_twice_gives_the_same_bytes(tmp_path):
    first = index_triples(pledge_triples(), tmp_path / "a.sqlite").read_bytes()
    second = index_triples(list(reversed(pledge_triples())), tmp_path / "b.sqlite").read_bytes()
    assert first == second


def test_a_part_that_comes_out_of_order_gets_the_same_index(tmp_path):
    """Told that no later part lists a pledge before submission "~", the writer writes the
    first part's pledges at once; a later part with pledges before them has it start again."""
    rows = sorted((str(t.subject), str(t.predicate), str(t.object)) for t in pledge_triples())
    late = tuple(f"<{BASE}id/pledge/doc/{n}>" for n in (4, 5, 6))
    writer = IndexWriter(tmp_path)
    writer.add(index_part([r for r in rows if r[0] in late]), before="~")
    assert (tmp_path / PARTS_FILE).exists()
    writer.add(index_part([r for r in rows if r[0] not in late]))
    index = writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [INDEX_FILE]
    whole = index_triples(pledge_triples(), tmp_path / "whole.sqlite")
    assert index.read_bytes() == whole.read_bytes()


def test_docstring_examples():
    assert doctest.testmod(search_index).failed == 0


def test_a_release_built_before_the_index_is_stale_and_rebuilt(tmp_path):
    data, release = bundled_release()
    base = json.loads((release / "manifest.json").read_text())["base"]
    assert not is_stale(release, data, base)
    old = tmp_path / "old"
    shutil.copytree(release, old)
    (old / INDEX_FILE).unlink()
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["files"][INDEX_FILE]
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert is_stale(old, data, base)
    ensure_release(data, old, base)
    assert (old / INDEX_FILE).is_file()
