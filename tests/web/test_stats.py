"""Statistics at /stats on a real server: every chart's numbers (its table, its CSV, the
bars of its SVG) are the answer of the SPARQL query the page shows, run on the server's
/sparql, on the bundled release and on a generated corpus; the page needs no script, its
images are SVG files served from the release, and "Open as SPARQL" opens that very query."""

from __future__ import annotations

import csv
import io
import json
import shutil
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import lxml.html
import pytest
from chart_support import SVG, bar_texts, drawn_bars
from web_server import Server, bundled_release, generated_release

from pledge_graph.publish.charts import CHARTS, INDEX, MAX_BARS


def sparql_csv(http, query: str) -> bytes:
    answer = http.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    return answer.content


def sections(http) -> list[lxml.html.HtmlElement]:
    page = http.get("/stats", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(page.text).xpath("//section[@class='chart']")


def check_chart(http, section: lxml.html.HtmlElement) -> list[dict[str, str]]:
    """The chart's numbers, each way the page gives them, against the SPARQL answer to its
    query over HTTP; return the answer's rows."""
    query = section.xpath(".//pre/code")[0].text_content()
    answer = sparql_csv(http, query)
    rows = list(csv.DictReader(io.StringIO(answer.decode("utf-8"))))
    links = {a.text_content().strip(): a.get("href") for a in section.xpath(".//p[@class='chart-links']/a")}
    download = http.get(links["Download CSV"])
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.content == answer
    opened = urlsplit(links["Open as SPARQL"])
    assert opened.path == "/query" and parse_qs(opened.query)["query"] == [query]
    assert http.get(links["Open as SPARQL"]).status_code == 200
    table = section.xpath(".//table")[0]
    header = [th.text_content() for th in table.xpath("thead/tr/th")]
    body = [[td.text_content() for td in tr.xpath("td")] for tr in table.xpath("tbody/tr")]
    assert header == (list(rows[0]) if rows else header)
    assert body == [[row[h] for h in header] for row in rows]
    image = section.xpath(".//img")
    svg = http.get(links["SVG"])
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    root = ElementTree.fromstring(svg.content)
    assert root.find(f"{SVG}title").text == section.xpath("h2")[0].text_content()
    if rows:
        assert image and image[0].get("src") == links["SVG"]
        assert image[0].get("alt") == root.find(f"{SVG}desc").text
    spec = http.get(links["Vega-Lite specification"])
    assert spec.status_code == 200 and spec.json()["title"] == root.find(f"{SVG}title").text
    chart = next(c for c in CHARTS if c.name == section.get("id"))
    keys = [k for k in (chart.category, chart.stack, chart.panel) if k]
    answered = {tuple(row[k] for k in keys): row for row in rows}
    drawn = [answered[tuple(d[k] for k in keys)] for d in spec.json()["data"]["values"]]
    assert len(drawn) == min(len(rows), MAX_BARS) or chart.panel
    # every bar drawn says one row of the answer, its number as the answer has it
    assert drawn_bars(root) == bar_texts(chart, drawn)
    return rows


def test_the_page_shows_every_chart_with_the_sparql_answer(http):
    found = sections(http)
    assert [s.get("id") for s in found] == [c.name for c in CHARTS]
    answers = {s.get("id"): check_chart(http, s) for s in found}
    assert answers["pledges-by-group"] and answers["pledges-by-region"]
    assert answers["funding-by-recipient"][0]["currency"] == "USD"


def test_the_page_needs_no_script_and_keeps_to_the_policy(http):
    page = http.get("/stats")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "img-src 'self'" in policy
    tree = lxml.html.fromstring(page.text)
    assert tree.xpath("//script | //*[@style]") == []
    assert tree.xpath("//style") == []


def test_the_landing_page_links_to_the_statistics(http):
    landing = lxml.html.fromstring(http.get("/", headers={"Accept": "text/html"}).text)
    assert "/stats" in [a.get("href") for a in landing.xpath("//main//a")]


def test_a_release_without_charts_answers_503_and_the_server_stays_up(tmp_path):
    """A release built before there were charts (no charts.json, nor in its manifest)."""
    older = tmp_path / "dist"
    shutil.copytree(bundled_release()[1], older)
    (older / INDEX).unlink()
    manifest = json.loads((older / "manifest.json").read_text())
    del manifest["files"][INDEX]
    (older / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    server = Server("--out", older)
    try:
        with server.client() as client:
            answer = client.get("/stats")
            assert answer.status_code == 503 and "no charts" in answer.text
            assert client.get("/").status_code == 200
    finally:
        server.stop()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A server on a release of 150 generated pledges in the six UN languages."""
    data, dist = generated_release(tmp_path_factory.mktemp("generated-stats"), 150, seed=5)
    server = Server("--data", data, "--out", dist)
    with server.client() as client:
        yield client
    server.stop()


def test_on_a_generated_corpus_the_charts_are_the_sparql_answers(generated):
    found = sections(generated)
    answers = {s.get("id"): check_chart(generated, s) for s in found}
    assert all(answers.values()), [name for name, rows in answers.items() if not rows]
    kinds = {row["label"] for row in answers["pledges-by-actor-kind"]}
    assert "State" in kinds and len(kinds) > 1
    assert len({row["currency"] for row in answers["funding-by-recipient"]}) > 1
