"""The query workbench (YASGUI at /sparql and /query) in a real browser (headless Chromium)
on a real server: it loads from this server alone, with no console error; it runs the
default query and shows its rows; the example gallery opens queries in the editor; the
results table sorts and pages; the URL carries the query, and a link fills the editor but
runs nothing and cannot change the endpoint; downloads come from the endpoint as CSV and
JSON; answers' non-web IRIs are not links; axe-core finds no serious accessibility issue."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from browser_support import (
    chromium,
    console_errors,
    csp_violations,
    needs_chromium,
    requested_urls,
    wait_for,
)
from web_server import bundled_release

from pledge_graph.rdf.vocab import Iris
from pledge_graph.sparql.queries import load_examples

pytestmark = needs_chromium

EXAMPLES = {q.name: q for q in load_examples()}
ACTIVE = ".tabPanel.active"


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def open_workbench(browser, url: str) -> None:
    """Open the workbench at ``url`` as a first-time visitor (no saved tabs)."""
    browser.get(url.split("#")[0].split("?")[0])
    browser.execute_script("window.localStorage.clear()")
    browser.get("about:blank")
    browser.get(url)
    wait_for(browser, ".yasqe .CodeMirror")


def editor_text(browser) -> str:
    return browser.execute_script("return workbench.getTab().getQuery()")


def run(browser) -> None:
    wait_for(browser, f"{ACTIVE} .yasqe_queryButton").click()
    wait_for(browser, f"{ACTIVE} .yasr_response_chip")


def table_rows(browser) -> list[list[str]]:
    """The results table's rows as shown (cells after the row number)."""
    from selenium.webdriver.common.by import By

    wait_for(browser, f"{ACTIVE} .yasr table.dataTable tbody tr")
    rows = browser.find_elements(By.CSS_SELECTOR, f"{ACTIVE} .yasr table.dataTable tbody tr")
    return [[td.text for td in row.find_elements(By.TAG_NAME, "td")][1:] for row in rows]


def table_links(browser) -> list[list[str | None]]:
    """The target of each cell's IRI link (None for a cell without one)."""
    return browser.execute_script(
        f"return [...document.querySelectorAll('{ACTIVE} .yasr table.dataTable tbody tr')]"
        ".map(tr => [...tr.querySelectorAll('td')].slice(1).map(td => "
        "(td.querySelector(':scope > div > span > a.iri') || {}).href || null))")


def endpoint_csv(http, query: str) -> list[list[str]]:
    answer = http.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200
    return list(csv.reader(io.StringIO(answer.text)))


def test_the_workbench_loads_from_this_server_alone_with_no_console_error(server, browser):
    requested_urls(browser)
    console_errors(browser)
    open_workbench(browser, server.url + "/sparql")
    run(browser)
    table_rows(browser)
    urls = requested_urls(browser)
    assert any(u.endswith("/static/yasgui/yasgui.min.js") for u in urls)
    assert {urlsplit(u).hostname for u in urls} == {"127.0.0.1"}, urls
    assert console_errors(browser) == []


def test_the_editor_opens_with_the_default_query_and_shows_its_rows(server, browser, http):
    open_workbench(browser, server.url + "/sparql")
    default = EXAMPLES["pledges-by-actor"].text
    assert editor_text(browser) == default
    run(browser)
    shown = table_rows(browser)
    header, *expected = endpoint_csv(http, default)
    assert header == ["actor", "name", "pledges", "submissions"]
    assert len(shown) == len(expected) > 0
    links = table_links(browser)
    for cells, hrefs, values in zip(shown, links, expected):
        assert all(value in (cell, href) or f'"{value}"' in cell
                   for cell, href, value in zip(cells, hrefs, values)), (cells, values)
    # IRIs are shown with the project's prefixes
    assert shown[0][0] == "id:state/jpn"
    assert links[0][0] == "https://w3id.org/pledge-graph/id/state/jpn"


def test_typing_a_project_prefix_adds_its_declaration(server, browser):
    from selenium.webdriver.common.by import By

    open_workbench(browser, server.url + "/sparql")
    browser.execute_script("workbench.getTab().setQuery('')")
    browser.find_element(By.CSS_SELECTOR, f"{ACTIVE} .CodeMirror").click()
    field = browser.find_element(By.CSS_SELECTOR, f"{ACTIVE} .CodeMirror textarea")
    field.send_keys("SELECT * WHERE { ?pledge a pg:Pledge ; pg:submission id:")
    text = browser.execute_script("return workbench.getTab().getYasqe().getValue()")
    iris = Iris()
    assert f"PREFIX pg: <{iris.ontology}>" in text.splitlines()
    assert f"PREFIX id: <{iris.base}id/>" in text.splitlines()


def test_query_is_the_workbench_too(server, browser, http):
    page = http.get("/query", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'id="workbench"' in page.text
    open_workbench(browser, server.url + "/query")
    assert editor_text(browser) == EXAMPLES["pledges-by-actor"].text


def test_the_gallery_lists_every_example_and_opens_it_in_the_editor(server, browser):
    from selenium.webdriver.common.by import By

    open_workbench(browser, server.url + "/sparql")
    items = browser.find_elements(By.CSS_SELECTOR, "#gallery li.example")
    assert [i.get_attribute("id") for i in items] == [f"example-{n}" for n in sorted(EXAMPLES)]
    example = EXAMPLES["pledges-by-rights-holder"]
    item = browser.find_element(By.ID, "example-pledges-by-rights-holder")
    assert example.description in item.text
    item.find_element(By.CSS_SELECTOR, "a.open-example").click()
    assert editor_text(browser) == example.text
    tabs = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".yasgui .tabsList .tab")]
    assert any(example.title in t for t in tabs)
    run(browser)
    assert len(table_rows(browser)) == 12


def test_the_url_carries_the_query(server, browser):
    from selenium.webdriver.common.by import By

    open_workbench(browser, server.url + "/sparql")
    browser.find_element(By.CSS_SELECTOR, "#example-treaty-pledges a.open-example").click()
    state = parse_qs(urlsplit(browser.current_url).fragment)
    assert state["query"] == [EXAMPLES["treaty-pledges"].text]
    # the link, opened by someone else, shows the same query
    link = browser.current_url
    open_workbench(browser, link)
    assert editor_text(browser) == EXAMPLES["treaty-pledges"].text


def test_the_table_sorts_and_pages(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_workbench(browser, server.url + "/sparql")
    browser.find_element(By.CSS_SELECTOR,
                         "#example-pledges-by-rights-holder a.open-example").click()
    run(browser)

    def counts() -> list[int]:
        return [int(re.match(r'"(\d+)"', cells[2]).group(1)) for cells in table_rows(browser)]

    assert counts()[0] == 2 and counts() != sorted(counts())
    header = browser.find_elements(By.CSS_SELECTOR, f"{ACTIVE} .yasr table.dataTable thead th")
    next(th for th in header if th.text == "pledges").click()
    redrawn(browser, lambda: counts() == sorted(counts()))
    assert counts() == sorted(counts())
    Select(browser.find_element(By.CSS_SELECTOR, f"{ACTIVE} select.tableSizer")
           ).select_by_value("10")
    redrawn(browser, lambda: len(table_rows(browser)) == 10)
    assert len(table_rows(browser)) == 10
    browser.find_element(By.CSS_SELECTOR, f"{ACTIVE} .dt-paging-button.next").click()
    redrawn(browser, lambda: len(table_rows(browser)) == 2)
    assert len(table_rows(browser)) == 2


def redrawn(browser, done, timeout: float = 10) -> None:
    """Wait (at most ``timeout`` s) until ``done()``: the table is redrawn after a click,
    not at once, and its old rows go stale meanwhile. The caller then asserts it."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)
                      ).until(lambda _: done())
    except TimeoutException:
        pass


def test_a_link_fills_the_editor_and_waits_on_this_endpoint(server, browser):
    """A link cannot make a visitor run a query, send it elsewhere, or add headers."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    link = (f"{server.url}/sparql#query={quote(query)}"
            "&endpoint=https%3A%2F%2Fexample.org%2Fsparql&headers=%7B%22X-Evil%22%3A%221%22%7D")
    requested_urls(browser)
    open_workbench(browser, link)
    assert editor_text(browser) == query
    time.sleep(1.5)  # a page that ran the query by itself would have asked by now
    assert [u for u in requested_urls(browser) if "/sparql" in u] == [server.url + "/sparql"] * 2
    assert browser.execute_script("return workbench.getTab().getEndpoint()") == (
        server.url + "/sparql")
    run(browser)
    assert [u for u in requested_urls(browser) if "/sparql" in u] == [server.url + "/sparql"]
    assert len(table_rows(browser)) == 1


def test_the_describe_link_of_a_pledge_opens_in_the_workbench_and_waits(server, browser):
    from selenium.webdriver.common.by import By

    browser.execute_script("window.localStorage.clear()")
    browser.get(server.url + "/id/pledge/japan-2023/2")
    browser.find_element(By.ID, "query-link").click()
    wait_for(browser, ".yasqe .CodeMirror")
    assert editor_text(browser).startswith("DESCRIBE <")
    time.sleep(1.5)
    assert not browser.find_elements(By.CSS_SELECTOR, f"{ACTIVE} .yasr table.dataTable")
    run(browser)
    assert any("Technical Intern Training Program" in c for r in table_rows(browser) for c in r)


def test_downloads_come_from_the_endpoint_as_csv_and_json(server, browser, http):
    from selenium.webdriver.common.by import By

    open_workbench(browser, server.url + "/sparql")
    run(browser)
    shown = table_rows(browser)
    csv_link = wait_for(browser, "#download-csv")
    assert csv_link.is_displayed() and csv_link.get_attribute("download") == "results.csv"
    answer = http.get(csv_link.get_attribute("href"))
    assert answer.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(answer.text)))
    assert header == ["actor", "name", "pledges", "submissions"] and len(rows) == len(shown)
    answer = http.get(browser.find_element(By.ID, "download-json").get_attribute("href"))
    assert answer.headers["content-type"].startswith("application/sparql-results+json")
    assert len(json.loads(answer.text)["results"]["bindings"]) == len(shown)
    assert not browser.find_element(By.ID, "download-turtle").is_displayed()


def test_only_web_iris_in_an_answer_are_links(server, browser):
    from selenium.webdriver.common.by import By

    open_workbench(browser, server.url + "/sparql")
    query = ('SELECT ?iri WHERE { VALUES ?text { "javascript:alert(1)" '
             '"data:text/html,hello" "https://example.org/ok" } BIND(IRI(?text) AS ?iri) }')
    browser.execute_script("workbench.getTab().setQuery(arguments[0])", query)
    run(browser)
    shown = sorted(cells[0] for cells in table_rows(browser))
    assert shown == ["<data:text/html,hello>", "<https://example.org/ok>",
                     "<javascript:alert(1)>"]
    links = [a.get_attribute("href") for a in browser.find_elements(
        By.CSS_SELECTOR, f"{ACTIVE} .yasr table.dataTable a[href]")]
    assert links == ["https://example.org/ok"]


def test_the_page_names_the_release_that_answers(server, browser):
    raw = (bundled_release()[1] / "manifest.json").read_bytes()
    manifest = json.loads(raw)
    open_workbench(browser, server.url + "/sparql")
    assert wait_for(browser, "#release-digest").text == hashlib.sha256(raw).hexdigest()
    assert wait_for(browser, "#release-version").text == manifest["version"]


def test_the_workbench_keeps_to_the_content_security_policy(server, browser):
    csp_violations(browser)
    open_workbench(browser, server.url + "/sparql")
    run(browser)
    table_rows(browser)
    assert csp_violations(browser) == []
    # the policy allows the table's style sheet by its hash, not any inline style
    browser.execute_script("const s = document.createElement('style');"
                           "s.textContent = 'body { color: red }'; document.head.appendChild(s);")
    assert any("style-src" in message for message in csp_violations(browser))


def test_axe_finds_no_serious_accessibility_violation(server, browser):
    axe_selenium_python = pytest.importorskip("axe_selenium_python")
    open_workbench(browser, server.url + "/sparql")
    run(browser)
    table_rows(browser)
    axe = axe_selenium_python.Axe(browser)
    axe.inject()
    found = axe.run()
    serious = [v for v in found["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], axe.report(serious)


def test_a_chart_opens_its_query_and_the_workbench_gives_its_numbers(server, browser, http):
    """/stats' "Open as SPARQL" fills the editor with the chart's query; run, the table
    shows the chart's rows."""
    import lxml.html

    page = lxml.html.fromstring(http.get("/stats").text)
    section = page.xpath("//section[@id='pledges-by-group']")[0]
    link = section.xpath(".//a[text()='Open as SPARQL']")[0].get("href")
    query = section.xpath(".//pre/code")[0].text_content()
    shown = [[td.text_content() for td in tr.xpath("td")] for tr in section.xpath(".//tbody/tr")]
    open_workbench(browser, server.url + link)
    assert editor_text(browser) == query
    run(browser)
    # the table writes a literal quoted, with its language or type (a long one without);
    # the chart's table writes its value
    ran = [[re.sub(r'^"(.*)"(@[a-z-]+|\^\^xsd:integer)?$', r"\1", cell, flags=re.DOTALL)
            for cell in row[1:]] for row in table_rows(browser)]
    assert ran == [row[1:] for row in shown]
