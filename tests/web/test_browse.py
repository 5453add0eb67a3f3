"""Browse and search at /pledges on a real server and the bundled release: the facet counts
and search hits are the answers of SPARQL queries (written here, run on the server's
/sparql); pages split the list; the CSV holds the same pledges; the "Open as SPARQL" query
finds them too; every bad parameter answers 4xx and the server stays up."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import lxml.html
import pyoxigraph as ox
import pytest
from web_server import generated_release

from pledge_graph.publish.search_index import INDEX_FILE
from pledge_graph.web.browse import read_view
from pledge_graph.web.browse_query import parse_selection

BASE = "https://w3id.org/pledge-graph/"
PREFIXES = f"PREFIX pg: <{BASE}ontology/>\nPREFIX dct: <http://purl.org/dc/terms/>\n"
# what each facet means, as SPARQL: ?pledge has the value ?v
MEANING = {
    "actor": "?pledge pg:pledgedBy ?v .",
    "group": "?pledge pg:rightsHolderGroup ?v .",
    "commitment": "?f pg:statedIn ?pledge ; a ?v . "
                  "FILTER(?v IN (pg:FundingCommitment, pg:TreatyAction))",
    "recipient": "?f pg:statedIn ?pledge ; pg:recipient ?v .",
    "treaty": "?f pg:statedIn ?pledge ; pg:treaty ?v .",
    "country": "?pledge dct:spatial ?v .",
    "language": "?pledge pg:pledgeText ?t . BIND(LANG(?t) AS ?v)",
}
SELECTIONS = [
    {},
    {"group": "id/rights-holders/judges-lawyers-and-prosecutors"},
    {"q": "law"},
    {"q": "human rights"},
    {"group": "id/rights-holders/judges-lawyers-and-prosecutors", "q": "law"},
    {"actor": "id/state/jpn", "country": "id/state/sdn"},
    {"q": "zzzzz"},
]


def sparql_rows(http, query: str) -> list[dict[str, str]]:
    """Run ``query`` on the server's /sparql (or on an ``ox.Store``): its rows as text."""
    if isinstance(http, ox.Store):
        return [{v.value: (s[v].value if s[v] is not None else "") for v in answer.variables}
                for answer in [http.query(query)] for s in answer]
    answer = http.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


def oracle_where(selection: dict[str, str]) -> str:
    """The selection as SPARQL patterns, independently of the server's own query."""
    lines = []
    for n, (name, value) in enumerate(sorted(selection.items())):
        if name == "q":
            lines += [f'FILTER(CONTAINS(?text, "{w}"))' if re.search("[\u2e80-\U0002fa1f]", w)
                      else f'FILTER(REGEX(?text, "(^|[^\\\\p{{L}}\\\\p{{N}}]){w}", "i"))'
                      for w in value.split()]  # a CJK word anywhere, others at a word start
        else:
            term = f'"{value}"' if name == "language" else f"<{BASE}{value}>"
            meaning = MEANING[name].replace("?v", f"?sel{n}").replace("?f ", f"?f{n} ")
            lines.append(meaning.replace("?t ", f"?t{n} ").replace("?t)", f"?t{n})")
                         + f" FILTER(?sel{n} = {term})")
    return "?pledge a pg:Pledge ; pg:pledgeText ?text .\n" + "\n".join(lines)


def oracle_pledges(http, selection: dict[str, str]) -> set[str]:
    rows = sparql_rows(http, PREFIXES + "SELECT DISTINCT ?pledge WHERE {\n"
                       + oracle_where(selection) + "\n}")
    return {r["pledge"] for r in rows}


def oracle_counts(http, selection: dict[str, str], facet: str) -> dict[str, int]:
    rows = sparql_rows(http, PREFIXES + "SELECT ?v (COUNT(DISTINCT ?pledge) AS ?n) WHERE {\n"
                       + oracle_where(selection) + "\n" + MEANING[facet] + "\n} GROUP BY ?v")
    return {r["v"].removeprefix(BASE): int(r["n"]) for r in rows}


def page(http, path: str, params) -> lxml.html.HtmlElement:
    answer = http.get(path, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(answer.text)


def csv_pledges(http, params) -> list[dict[str, str]]:
    answer = http.get("/pledges.csv", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: urlencode(s) or "all")
def test_total_and_list_are_the_sparql_answer(http, selection):
    doc = page(http, "/pledges", {**selection, "size": "100"})
    expected = oracle_pledges(http, selection)
    assert int(doc.get_element_by_id("total").text) == len(expected)
    listed = {a.get("href") for a in doc.xpath('.//li[@class="pledge"]/a')}
    assert listed == {"/" + iri.removeprefix(BASE) for iri in expected}
    assert {row["pledge"] for row in csv_pledges(http, selection)} == expected


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: urlencode(s) or "all")
@pytest.mark.parametrize("facet", sorted(MEANING))
def test_facet_counts_are_the_sparql_counts(http, selection, facet):
    expected = oracle_counts(http, selection, facet)
    index = page(http, f"/pledges/by/{facet}", selection)
    shown = {}
    for row in index.xpath('.//table[@class="facet-index"]/tbody/tr'):
        link = row.xpath('.//a')[0].get("href")
        value = parse_qs(urlsplit(link).query)[facet][-1]
        shown[value] = int(row.xpath('.//td[@class="count"]')[0].text)
    assert shown == expected
    on_list = page(http, "/pledges", selection).xpath(f'.//section[@id="facet-{facet}"]//li')
    for item in on_list:
        assert expected[item.xpath('.//a')[0].get("data-value")] == int(
            item.xpath('.//span[@class="count"]')[0].text)


def test_a_facet_link_opens_the_list_narrowed_to_its_count(http):
    doc = page(http, "/pledges/by/group", {})
    for row in doc.xpath('.//table[@class="facet-index"]/tbody/tr'):
        link, count = row.xpath('.//a')[0].get("href"), int(row.xpath('.//td[@class="count"]')[0].text)
        narrowed = lxml.html.fromstring(http.get(link).text)
        assert int(narrowed.get_element_by_id("total").text) == count


@pytest.mark.parametrize(("resource", "facet"), [
    ("id/state/jpn", "actor"), ("id/state/sdn", "country"),
    ("id/rights-holders/judges-lawyers-and-prosecutors", "group"), ("id/org/ohchr", "recipient")])
def test_a_resource_page_links_into_the_list_narrowed_to_it(http, resource, facet):
    doc = page(http, "/" + resource, {})
    links = [a.get("href") for a in doc.xpath('.//p[@class="browse-links"]/a')]
    wanted = f"/pledges?{facet}={resource}"
    assert wanted in links
    narrowed = lxml.html.fromstring(http.get(wanted).text)
    assert int(narrowed.get_element_by_id("total").text) == len(
        oracle_pledges(http, {facet: resource})) > 0


def test_a_page_nothing_pledged_links_to_has_no_list_link(http):
    doc = page(http, "/ontology/Pledge", {})
    assert doc.xpath('.//p[@class="browse-links"]') == []


def test_pages_split_the_list_in_order(http):
    everything = [row["pledge"] for row in csv_pledges(http, {})]
    assert len(everything) >= 3
    seen = []
    for number in range(1, len(everything) + 1):
        doc = page(http, "/pledges", {"size": "1", "page": str(number)})
        seen += [BASE + a.get("href")[1:] for a in doc.xpath('.//li[@class="pledge"]/a')]
        nexts = doc.xpath('.//a[@rel="next"]')
        assert bool(nexts) == (number < len(everything))
    assert seen == everything
    past = http.get("/pledges", params={"size": "1", "page": str(len(everything) + 1)})
    assert past.status_code == 400 and "past the end" in past.text


def test_csv_rows_match_the_sparql_answer(http):
    rows = csv_pledges(http, {"q": "law"})
    answer = sparql_rows(http, PREFIXES + "SELECT ?pledge ?text ?actor ?date WHERE {\n"
                         + oracle_where({"q": "law"}) + "\n?pledge pg:pledgedBy ?actor ; "
                         "pg:submission/dct:issued ?date }")
    assert {(r["pledge"], r["text"], r["actors"], r["date"]) for r in rows} == {
        (r["pledge"], r["text"], r["actor"], r["date"]) for r in answer}


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: urlencode(s) or "all")
def test_open_as_sparql_finds_the_same_pledges_in_the_same_order(http, selection):
    doc = page(http, "/pledges", selection)
    link = urlsplit(doc.get_element_by_id("sparql").get("href"))
    assert link.path == "/query"
    query = parse_qs(link.query)["query"][0]
    found = [r["pledge"] for r in sparql_rows(http, query)]
    assert found == [r["pledge"] for r in csv_pledges(http, selection)]
    workbench = http.get("/query", params={"query": query}, headers={"Accept": "text/html"})
    assert workbench.status_code == 200


BAD = [
    {"actor": "id/state/nowhere"},
    {"language": "xx"},
    {"group": "<script>"},
    {"page": "99"},
    {"page": "0"},
    {"page": "-1"},
    {"page": "1e3"},
    {"page": "9" * 400},
    {"size": "100000"},
    {"nonsense": "1"},
    {"q": "x" * 10240},
    {"q": " ".join(["w"] * 50)},
]


@pytest.mark.parametrize("params", BAD, ids=lambda p: urlencode(p)[:40])
def test_bad_parameters_answer_400_saying_why(http, params):
    past_the_end = params == {"page": "99"}  # the CSV has every row: no page is past its end
    for path in ("/pledges",) if past_the_end else ("/pledges", "/pledges.csv"):
        answer = http.get(path, params=params)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.text.startswith("400 Bad Request: ")
    assert http.get("/pledges").status_code == 200


@pytest.mark.parametrize("search", ['"', "*", "NEAR", "NEAR(law human)", "(", ")", '"law',
                                    "law*", "law OR rights", "-law", "^law", "law:rights",
                                    "\x00", "%", "\\", "{law}", "'; DROP TABLE pledge; --"])
def test_fts_syntax_in_a_search_finds_text_never_an_error(http, search):
    answer = http.get("/pledges", params={"q": search})
    assert answer.status_code == 200, answer.text
    total = int(lxml.html.fromstring(answer.text).get_element_by_id("total").text)
    words = re.findall(r"[^\W_]+", search)  # letters and digits: all else separates
    assert total == len(oracle_pledges(http, {"q": " ".join(words)} if words else {}))


def test_an_unknown_facet_index_is_404(http):
    assert http.get("/pledges/by/nothing").status_code == 404
    assert http.get("/pledges").status_code == 200


GENERATED_SELECTIONS = [
    {}, {"q": "rights"}, {"language": "fr"}, {"q": "人权"}, {"q": "الإنسان"}, {"q": "правам"},
    {"q": "protección"}, {"commitment": "ontology/FundingCommitment", "language": "en"},
    {"group": "id/rights-holders/women-and-girls", "q": "human rights"},
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A release of 150 generated pledges in the six UN languages, and its graph loaded
    into an in-memory store."""
    _, dist = generated_release(tmp_path_factory.mktemp("generated"), 150, seed=3)
    store = ox.Store()
    store.bulk_load(path=str(dist / "pledge-graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    return dist / INDEX_FILE, store


@pytest.mark.parametrize("selection", GENERATED_SELECTIONS, ids=lambda s: urlencode(s) or "all")
def test_on_a_generated_corpus_counts_are_the_sparql_counts(generated, selection):
    index, store = generated
    view = read_view(index, parse_selection(list(selection.items()), BASE))
    assert view.total == len(oracle_pledges(store, selection))
    assert len({language for language, _, _ in view.counts["language"]}) == (
        6 if not selection else len(view.counts["language"]))
    for facet in MEANING:
        shown = {value.removeprefix(BASE): n for value, _, n in view.counts[facet]}
        assert shown == oracle_counts(store, selection, facet), facet


@pytest.mark.parametrize("raw", ["q=%ff%fe%fd", "actor=%00", "%ff=1", "q=%", "page=%EF%BC%91",
                                 "size=%D9%A3", "&&&=&", "group=" + "x" * 5000,
                                 "language=" + "%22" * 100, "q=law&" + "actor=a&" * 2000])
def test_malformed_query_strings_answer_4xx_or_a_page(http, raw):
    answer = http.get(f"/pledges?{raw}")
    assert answer.status_code in (200, 400), answer.text
    assert http.get("/pledges").status_code == 200
