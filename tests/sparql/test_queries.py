"""Example queries: every queries/*.rq runs on the bundled release and gives what the
Japanese document says, and on a release of several documents gives what their records say;
headers are required; ``pledge-graph query`` prints the answer."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyoxigraph
import pytest
import yaml
from pipeline_data import japan_data, synthetic, write_record
from web_server import bundled_release, cli

from pledge_graph.errors import InputError
from pledge_graph.extract import extract_facts
from pledge_graph.mapping.commitments import fact_triples
from pledge_graph.paths import QUERIES_DIR
from pledge_graph.rdf.ntriples import nt_term
from pledge_graph.rdf.vocab import SH, WD, Iris
from pledge_graph.sparql.queries import example_triples, find_query, load_example, load_examples
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.loading import load_release

IRIS = Iris()
Rows = list[dict[str, str]]

# The twelve "Sector and Rights-holders" labels of the Japanese document (hr75.md), and
# which of its three pledges name each.
JAPAN_GROUPS = {
    "Children in vulnerable situations (abused, living on the street, institutionalized, "
    "indigenous, migrant children etc.)": {3},
    "Civil society": {3},
    "Human rights defenders & activists": {3},
    "Internally displaced persons": {3},
    "Judges, lawyers and prosecutors": {1, 3},
    "Law enforcement / police & prison officials": {3},
    "Migrants": {2},
    "Non-citizens": {2},
    "Persons affected by armed conflict": {3},
    "Refugees & asylum seekers": {3},
    "Vulnerable persons/groups": {3},
    "Women & girls": {3},
}


def _by_actor(rows: Rows) -> None:
    assert rows == [{"actor": str(IRIS.state("JPN")), "name": "Japan", "pledges": "3",
                     "submissions": "1"}]


def _by_rights_holder(rows: Rows) -> None:
    assert {r["label"]: int(r["pledges"]) for r in rows} == {
        label: len(numbers) for label, numbers in JAPAN_GROUPS.items()}
    assert rows[0]["label"] == "Judges, lawyers and prosecutors"


def _word_counts(rows: Rows) -> None:
    # the document declares (99 words), (84 words), (85 words); each is the text's length
    assert [(r["number"], r["declared"], r["computed"], r["agree"]) for r in rows] == [
        ("1", "99", "99", "true"), ("2", "84", "84", "true"), ("3", "85", "85", "true")]


def _scheme(rows: Rows) -> None:
    assert sorted(r["label"] for r in rows) == sorted(JAPAN_GROUPS)
    unbis = {r["label"]: set(r["unbis"].split()) for r in rows}
    # verified UNBIS ids (vocabularies.md): JUDGES, LAWYERS, PROSECUTORS; WOMEN, GIRLS
    assert {x.split(":")[1] for x in unbis["Judges, lawyers and prosecutors"]} == {
        "1003478", "1003654", "1005207"}
    assert {x.split(":")[1] for x in unbis["Women & girls"]} == {"1007029", "1002684"}
    assert not any(x.startswith("exactMatch:") for x in unbis["Women & girls"])


def _funding(rows: Rows) -> None:
    # pledge 3: "approximately 1 million USD to OHCHR"
    assert [(r["recipient"], r["currency"], float(r["total"]), r["commitments"],
             r["approximate"]) for r in rows] == [
        (str(IRIS.org("ohchr")), "USD", 1_000_000.0, "1", "1")]


def _countries(rows: Rows) -> None:
    # pledge 3 names Yemen and Sudan (verified Wikidata Q805, Q1049); Japan pledges, so
    # it is not a country the pledges are about
    assert {r["countryLabel"]: (r["wikidata"], r["pledges"]) for r in rows} == {
        "Sudan": (WD + "Q1049", "1"), "Yemen": (WD + "Q805", "1")}


def _organisations(rows: Rows) -> None:
    # pledge 1 names UNAFEI and JICA; pledge 3 gives money to OHCHR
    assert {r["organisation"]: (r["pledges"], r["fundingPledges"]) for r in rows} == {
        str(IRIS.org("unafei")): ("1", "0"), str(IRIS.org("jica")): ("1", "0"),
        str(IRIS.org("ohchr")): ("1", "1")}


def _treaties(rows: Rows) -> None:
    # Japan's three pledges ratify nothing
    assert rows == []


EXPECTED: dict[str, Callable[[Rows], None]] = {
    "funding-by-recipient": _funding,
    "pledges-by-country": _countries,
    "pledges-by-organisation": _organisations,
    "treaty-pledges": _treaties,
    "pledges-by-actor": _by_actor,
    "pledges-by-rights-holder": _by_rights_holder,
    "word-counts": _word_counts,
    "rights-holder-scheme": _scheme,
}


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    store = EmbeddedStore()
    load_release(store, bundled_release()[1], IRIS)
    return store


def _rows(body: bytes) -> Rows:
    data = json.loads(body)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


@pytest.mark.parametrize("example", load_examples(), ids=lambda q: q.name)
def test_every_example_query_gives_what_the_document_says(store, example):
    assert example.name in EXPECTED, f"queries/{example.name}.rq has no expected result here"
    answer = store.query(example.text, media_types={
        "solutions": "application/sparql-results+json",
        "boolean": "application/sparql-results+json", "graph": "application/n-triples"})
    EXPECTED[example.name](_rows(answer.body))


# ---------------------------------------------------------------------------
# Several documents: counts, ties and order as the records give them
# ---------------------------------------------------------------------------

# (slug, pledging State, its ISO alpha-3, number of pledges) besides Japan's document; Chile
# makes more than nine pledges so that pledge 10 must sort after pledge 9, not after 1
OTHERS = [("chile-2023", "Chile", "CHL", 11), ("yemen-2023-a", "Yemen", "YEM", 3),
          ("yemen-2023-b", "Yemen", "YEM", 2)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[EmbeddedStore, list[dict]]:
    """A release of Japan's document and three made-up ones; its store and its records."""
    root = tmp_path_factory.mktemp("corpus")
    data = japan_data(root)
    for slug, state, _, pledges in OTHERS:
        source, record = synthetic(slug, pledges, entity=state)
        write_record(data, record, source)
    cli("build", "--data", data, "--out", root / "dist")
    store = EmbeddedStore()
    load_release(store, root / "dist", IRIS)
    records = [yaml.safe_load(p.read_text(encoding="utf-8"))
               for p in sorted((data / "records").glob("*.yaml"))]
    return store, records


def _run(store: EmbeddedStore, name: str) -> Rows:
    answer = store.query(find_query(name, QUERIES_DIR).text,
                         media_types={"solutions": "application/sparql-results+json"})
    return _rows(answer.body)


# Switzerland's pledges: (sentence, what funding-by-recipient must make of it)
SWISS_MONEY = [
    ("Switzerland will give CHF 500'000 each year for three years to OHCHR.",
     "summed by its total, 1,500,000"),
    ("Switzerland will give CHF 1 million to OHCHR in 2024.", "summed once"),
    ("Switzerland will give approximately CHF 200,000 per year to OHCHR from 2024 to 2027.",
     "not summed: yearly, with no stated number of years"),
    ("Switzerland will give up to CHF 3 million to OHCHR.", "not summed: an upper bound only"),
    ("Switzerland will give between 1 and 2 million Swiss francs to OHCHR.",
     "summed at its lower bound"),
    ("Switzerland has contributed CHF 15 million to OHCHR since 2015.",
     "left out: money already given"),
    ("Switzerland will raise its contribution to UNICEF from CHF 1 million to CHF 1.5 million.",
     "the new level only"),
]


def test_funding_by_recipient_sums_each_commitment_once_by_its_whole_sum() -> None:
    store = EmbeddedStore()
    for number, (text, _) in enumerate(SWISS_MONEY, 1):
        pledge = nt_term(IRIS.pledge("switzerland-2023", number))
        lines = [f"{s} {p} {o} .\n" for fact in extract_facts(text)
                 for s, p, o in fact_triples(fact, pledge, "switzerland-2023", number, text,
                                             "en", IRIS, [nt_term(IRIS.state("CHE"))])]
        store.native.load("".join(lines).encode(), pyoxigraph.RdfFormat.N_TRIPLES)
    rows = _run(store, "funding-by-recipient")
    assert [(r["recipientLabel"], r["currency"], Decimal(r["total"]), r["commitments"],
             r["approximate"], r["notSummed"]) for r in rows] == [
        ("Office of the United Nations High Commissioner for Human Rights", "CHF",
         Decimal(3_500_000), "3", "0", "2"),
        ("United Nations Children's Fund", "CHF", Decimal(1_500_000), "1", "0", "0")]


def test_pledges_by_actor_counts_each_states_pledges_and_documents(corpus):
    store, records = corpus
    alpha3 = {"Japan": "JPN"} | {state: code for _, state, code, _ in OTHERS}
    expected: dict[tuple[str, str], tuple[int, int]] = {}
    for record in records:
        for entity in record["entities"]:
            key = (str(IRIS.state(alpha3[entity["name"]])), entity["name"])
            pledges, submissions = expected.get(key, (0, 0))
            expected[key] = (pledges + len(record["pledges"]), submissions + 1)
    rows = _run(store, "pledges-by-actor")
    assert {(r["actor"], r["name"]): (int(r["pledges"]), int(r["submissions"]))
            for r in rows} == expected
    # most pledges first: Chile (11), Yemen (3 + 2 in two documents), Japan (3)
    assert [r["name"] for r in rows] == ["Chile", "Yemen", "Japan"]


def test_pledges_by_rights_holder_counts_every_document(corpus):
    store, records = corpus
    expected: dict[str, int] = {}
    for record in records:
        for pledge in record["pledges"]:
            for label in pledge["rights_holders"]:
                expected[label] = expected.get(label, 0) + 1
    rows = _run(store, "pledges-by-rights-holder")
    assert {r["label"]: int(r["pledges"]) for r in rows} == expected
    # most served first; groups serving as many pledges in the order of their labels
    order = [(-int(r["pledges"]), r["label"]) for r in rows]
    assert order == sorted(order)


def test_word_counts_list_documents_in_order_and_pledges_by_number(corpus):
    store, records = corpus
    expected = [(str(IRIS.pledge(record["slug"], pledge["number"])), str(pledge["number"]),
                 str(pledge["declared_words"]), str(len(pledge["text"].split())))
                for record in sorted(records, key=lambda r: str(IRIS.submission(r["slug"])))
                for pledge in sorted(record["pledges"], key=lambda p: p["number"])]
    rows = _run(store, "word-counts")
    assert [(r["pledge"], r["number"], r["declared"], r["computed"]) for r in rows] == expected
    assert {r["agree"] for r in rows} == {"true"}


def test_examples_are_published_as_sparql_executables():
    examples = load_examples()
    triples = example_triples(examples, IRIS, str(IRIS.sparql()))
    by_name = {str(IRIS.example_query(q.name)): q for q in examples}
    selects = {t.subject.value: t.object.value for t in triples
               if t.predicate.value == str(SH.select)}
    assert selects == {iri: q.text for iri, q in by_name.items() if q.kind == "solutions"}
    targets = {t.object.value for t in triples if t.predicate.value.endswith("target")}
    assert targets == {str(IRIS.sparql())}


def test_a_query_without_its_header_is_refused_with_file_and_line(tmp_path):
    path = tmp_path / "nameless.rq"
    path.write_text("# description: no title\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_example(path)
    assert f"{path}:1" in str(caught.value) and "# title:" in str(caught.value)


def test_an_unknown_name_lists_the_examples():
    with pytest.raises(InputError, match="word-counts"):
        find_query("no-such-query", QUERIES_DIR)


def _cli_query(*args: str | Path) -> str:
    data, release = bundled_release()
    return cli("query", *args, "--data", data, "--out", release).stdout


def test_command_line_prints_a_table():
    lines = _cli_query("pledges-by-actor").splitlines()
    assert lines[0].split() == ["actor", "name", "pledges", "submissions"]
    assert lines[2].split()[1:] == ["Japan", "3", "1"]


def test_command_line_prints_csv_and_json():
    rows = list(csv.DictReader(io.StringIO(_cli_query("word-counts", "--format", "csv"))))
    assert [r["declared"] for r in rows] == ["99", "84", "85"]
    data = json.loads(_cli_query("pledges-by-rights-holder", "--format", "json"))
    assert len(data["results"]["bindings"]) == len(JAPAN_GROUPS)


def test_command_line_runs_a_file(tmp_path):
    path = tmp_path / "count.rq"
    path.write_text("# title: Count\n# description: Pledges\n"
                    "SELECT (COUNT(*) AS ?n) WHERE { ?p a "
                    f"<{IRIS.ontology}Pledge> }}\n", encoding="utf-8")
    assert _cli_query(path, "--format", "csv").splitlines() == ["n", "3"]


def test_command_line_reports_a_bad_query_without_a_traceback(tmp_path):
    path = tmp_path / "bad.rq"
    path.write_text("# title: Bad\n# description: broken\nSELECT * WHERE {\n", encoding="utf-8")
    data, release = bundled_release()
    result = cli("query", path, "--data", data, "--out", release, check=False)
    assert result.returncode == 1
    assert "not valid SPARQL" in result.stderr and "Traceback" not in result.stderr


def test_command_line_builds_a_missing_release(tmp_path):
    data, _ = bundled_release()
    out = tmp_path / "dist"
    result = cli("query", "word-counts", "--format", "csv", "--data", data, "--out", out)
    assert (out / "manifest.json").exists()
    assert [r["computed"] for r in csv.DictReader(io.StringIO(result.stdout))] == [
        "99", "84", "85"]


def test_pledges_by_actor_names_an_actor_known_only_from_its_document(tmp_path: Path) -> None:
    data = japan_data(tmp_path)
    source, record = synthetic("network-2023", 2, entity="Peace and Justice Network")
    write_record(data, record, source)
    cli("build", "--data", data, "--out", tmp_path / "dist")
    store = EmbeddedStore()
    load_release(store, tmp_path / "dist", IRIS)
    names = {r.get("name"): int(r["pledges"]) for r in _run(store, "pledges-by-actor")}
    assert names == {"Japan": 3, "Peace and Justice Network": 2}
