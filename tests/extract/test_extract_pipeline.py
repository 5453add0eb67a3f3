"""What pledges commit to, through the real pipeline: Japan's document (and a synthetic one in
the same format) imported with the real importer, curated the way a curator edits a record,
re-imported, built into a release and queried with pyoxigraph."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml

from pledge_graph.build.pipeline import build
from pledge_graph.paths import DATA_DIR, PROJECT_ROOT, QUERIES_DIR
from pledge_graph.records.importer import import_documents

JAPAN = DATA_DIR / "sources" / "japan-2023.txt"
CHILE = Path(__file__).parents[1] / "fixtures" / "extract" / "synthetic-chile-2023.txt"
PG = "https://w3id.org/pledge-graph/ontology/"
ID = "https://w3id.org/pledge-graph/id/"
PREFIXES = f"""
PREFIX pg: <{PG}>
PREFIX schema: <http://schema.org/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


def record(data: Path, slug: str) -> dict[str, Any]:
    return yaml.safe_load((data / "records" / f"{slug}.yaml").read_text(encoding="utf-8"))


def facts_of(data: Path, slug: str) -> dict[int, dict[str, dict[str, Any]]]:
    return {p["number"]: {f["id"]: f for f in p["facts"]} for p in record(data, slug)["pledges"]}


def store_of(dist: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(dist / "pledge-graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    return store


def select(store: ox.Store, query: str) -> list[tuple[str | None, ...]]:
    return [tuple(None if v is None else v.value for v in row)
            for row in store.query(PREFIXES + query)]


@pytest.fixture(scope="module")
def japan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ox.Store]:
    root = tmp_path_factory.mktemp("japan")
    import_documents([JAPAN], root / "data")
    build(root / "data", root / "dist")
    return root / "data", store_of(root / "dist")


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    root = tmp_path_factory.mktemp("two")
    import_documents([JAPAN, CHILE], root / "data")
    build(root / "data", root / "dist")
    return store_of(root / "dist")


# ---------------------------------------------------------------------------
# Japan: exactly what its pledges commit to
# ---------------------------------------------------------------------------

def test_japan_facts_are_exactly_the_commitments_of_its_words(japan: tuple[Path, ox.Store]) -> None:
    data, _ = japan
    assert {n: sorted(f) for n, f in facts_of(data, "japan-2023").items()} == {
        1: ["org-jica", "org-unafei", "programme-justice-affairs-diplomacy"],
        2: ["programme-ssws", "programme-titp"],
        3: ["country-sdn", "country-yem", "funding-usd-1000000", "org-ohchr"],
    }


def test_japan_funding_commitment(japan: tuple[Path, ox.Store]) -> None:
    data, _ = japan
    fact = facts_of(data, "japan-2023")[3]["funding-usd-1000000"]
    assert {k: fact[k] for k in ("amount", "currency", "approximate", "recipient",
                                 "fiscal_year", "budget_source", "commitment")} == {
        "amount": "1000000", "currency": "USD", "approximate": True, "recipient": "ohchr",
        "fiscal_year": 2023, "budget_source": "supplementary budget", "commitment": "firm"}


def test_every_span_cut_from_the_pledge_text_is_its_quote(japan: tuple[Path, ox.Store]) -> None:
    data, _ = japan
    for pledge in record(data, "japan-2023")["pledges"]:
        for fact in pledge["facts"]:
            assert pledge["text"][fact["start"]:fact["end"]] == fact["exact"]


def test_published_funding_links_funder_recipient_and_wikidata(
        japan: tuple[Path, ox.Store]) -> None:
    _, store = japan
    rows = select(store, """
        SELECT ?funder ?recipient ?wd ?value ?currency ?approx ?fy ?budget ?kind WHERE {
          ?g a pg:FundingCommitment ; schema:funder ?funder ; pg:recipient ?recipient ;
             schema:amount ?a ; pg:approximate ?approx ; pg:fiscalYear ?fy ;
             pg:budgetSource ?budget ; pg:commitmentKind ?kind .
          ?a schema:value ?value ; schema:currency ?currency .
          ?recipient owl:sameAs ?wd .
        }""")
    assert rows == [(ID + "state/jpn", ID + "org/ohchr", "http://www.wikidata.org/entity/Q656812",
                     "1000000", "USD", "true", "2023", "supplementary budget",
                     PG + "FirmCommitment")]


def test_published_countries_are_states_linked_to_wikidata(japan: tuple[Path, ox.Store]) -> None:
    _, store = japan
    rows = select(store, """
        SELECT ?state ?wd WHERE {
          ?m a pg:CountryMention ; pg:refersTo ?state . ?state owl:sameAs ?wd .
        } ORDER BY ?state""")
    assert rows == [(ID + "state/sdn", "http://www.wikidata.org/entity/Q1049"),
                    (ID + "state/yem", "http://www.wikidata.org/entity/Q805")]


def test_published_evidence_matches_the_pledge_text(japan: tuple[Path, ox.Store]) -> None:
    _, store = japan
    rows = select(store, """
        SELECT ?text ?exact ?start ?end WHERE {
          ?f pg:evidence ?t . ?t oa:hasSource ?p ; oa:hasSelector ?q, ?pos .
          ?q oa:exact ?exact . ?pos oa:start ?start ; oa:end ?end . ?p pg:pledgeText ?text .
        }""")
    assert len(rows) == 9
    for text, exact, start, end in rows:
        assert text is not None and text[int(start):int(end)] == exact


# ---------------------------------------------------------------------------
# Curation survives re-import; rejected facts never come back
# ---------------------------------------------------------------------------

def test_curator_decisions_survive_reimport_and_rejected_facts_are_not_published(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    import_documents([JAPAN], data)
    path = data / "records" / "japan-2023.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    first, third = content["pledges"][0], content["pledges"][2]
    for fact in third["facts"]:
        if fact["id"] == "funding-usd-1000000":
            fact.update(status="corrected", amount="1100000", approximate=False)
        if fact["id"] == "country-yem":
            fact["status"] = "confirmed"
    for fact in first["facts"]:
        if fact["id"] == "org-jica":
            fact["status"] = "rejected"
    first["facts"].append({"id": "org-judicial-institutions", "kind": "organisation",
                           "status": "added", "exact": "judicial institutions",
                           "organisation": None, "name": "judicial institutions"})
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")

    import_documents([JAPAN], data)
    facts = facts_of(data, "japan-2023")
    assert facts[3]["funding-usd-1000000"]["status"] == "corrected"
    assert facts[3]["funding-usd-1000000"]["amount"] == "1100000"
    assert facts[3]["country-yem"]["status"] == "confirmed"
    assert facts[1]["org-jica"]["status"] == "rejected"
    assert facts[1]["org-judicial-institutions"]["status"] == "added"

    build(data, tmp_path / "dist")
    store = store_of(tmp_path / "dist")
    fact = ID + "fact/japan-2023/"
    assert select(store, f"""
        SELECT ?value ?status ?approx WHERE {{
          <{fact}3/funding-usd-1000000> schema:amount/schema:value ?value ;
            pg:curationStatus ?status ; pg:approximate ?approx }}""") == [
        ("1100000", PG + "Corrected", "false")]
    assert select(store, f"SELECT ?s WHERE {{ <{fact}3/country-yem> pg:curationStatus ?s }}") == [
        (PG + "Confirmed",)]
    assert not store.query(PREFIXES + f"ASK {{ <{fact}1/org-jica> ?p ?o }}")
    assert not store.query(PREFIXES + f"ASK {{ ?s ?p <{fact}1/org-jica> }}")
    assert not store.query(PREFIXES + f"ASK {{ <{fact}1/org-jica#target> ?p ?o }}")
    text = record(data, "japan-2023")["pledges"][0]["text"]
    start = text.index("judicial institutions")
    assert select(store, f"""
        SELECT ?start ?status WHERE {{
          <{fact}1/org-judicial-institutions> pg:curationStatus ?status ;
            pg:evidence/oa:hasSelector/oa:start ?start }}""") == [(str(start), PG + "Added")]


def test_fact_that_quotes_words_not_in_the_pledge_stops_the_build(tmp_path: Path) -> None:
    data = tmp_path / "data"
    import_documents([JAPAN], data)
    path = data / "records" / "japan-2023.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    content["pledges"][1]["facts"].append({"id": "org-x", "kind": "organisation",
                                           "status": "added", "exact": "words nowhere",
                                           "organisation": None, "name": "X"})
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pledge_graph.cli", "build", "--data", str(data),
         "--out", str(tmp_path / "dist")],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, row in enumerate(lines, 1) if row.strip() == "- id: org-x")
    assert f"records/japan-2023.yaml:{line}:" in done.stderr
    assert "org-x" in done.stderr and "words nowhere" in done.stderr
    assert not (tmp_path / "dist").exists()


# ---------------------------------------------------------------------------
# The example queries, on Japan's document and an unseen one in the same format
# ---------------------------------------------------------------------------

def run_example(store: ox.Store, name: str) -> list[tuple[str | None, ...]]:
    text = (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")
    return [tuple(None if v is None else v.value for v in row) for row in store.query(text)]


def test_unseen_document_yields_its_treaties_money_and_countries(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copy(CHILE, tmp_path / CHILE.name)
    import_documents([tmp_path / CHILE.name], data)
    facts = facts_of(data, "synthetic-chile-2023")
    assert sorted(facts[1]) == ["org-committee-against-torture", "treaty-accede-icmw",
                                "treaty-ratify-op-crc-ic"]
    assert facts[1]["treaty-accede-icmw"]["consider"] is True
    money = {i: (f["amount"], f["currency"], f["recipient"], f.get("recipient_name"))
             for i, f in facts[2].items() if f["kind"] == "funding"}
    assert money == {"funding-usd-500000": ("500000", "USD", "ohchr", None),
                     "funding-clp-200000000": ("200000000", "CLP", None,
                                               "National Human Rights Institute")}
    assert sorted(facts[3]) == ["country-arg", "country-bol", "country-per", "org-undp"]


def test_query_funding_by_recipient(two: ox.Store) -> None:
    assert run_example(two, "funding-by-recipient") == [
        (None, "National Human Rights Institute", "CLP", "200000000", "1", "1", "0"),
        (ID + "org/ohchr", "Office of the United Nations High Commissioner for Human Rights",
         "USD", "1500000", "2", "1", "0"),
    ]


def test_query_treaty_pledges(two: ox.Store) -> None:
    rows = [(t, a, actor, p, c)
            for t, _, a, _, actor, _, p, c in run_example(two, "treaty-pledges")]
    chile = ID + "state/chl"
    assert rows == [
        (ID + "treaty/icmw", PG + "Accession", chile, ID + "pledge/synthetic-chile-2023/1", "true"),
        (ID + "treaty/op-crc-ic", PG + "Ratification", chile,
         ID + "pledge/synthetic-chile-2023/1", "false"),
    ]


def test_query_pledges_by_country(two: ox.Store) -> None:
    rows = [(c.rsplit("/", 1)[1], wd, n) for c, _, wd, n in run_example(two, "pledges-by-country")]
    assert sorted(rows) == [("arg", None, "1"), ("bol", None, "1"), ("per", None, "1"),
                            ("sdn", "http://www.wikidata.org/entity/Q1049", "1"),
                            ("yem", "http://www.wikidata.org/entity/Q805", "1")]


def test_query_pledges_by_organisation(two: ox.Store) -> None:
    rows = {(org.rsplit("/", 1)[1] if org else label): (n, funded)
            for org, label, n, funded in run_example(two, "pledges-by-organisation")}
    assert rows == {"ohchr": ("2", "2"), "jica": ("1", "0"), "unafei": ("1", "0"),
                    "undp": ("1", "0"), "special-procedures": ("1", "0"),
                    "committee-against-torture": ("1", "0"),
                    "National Human Rights Institute": ("1", "0")}
