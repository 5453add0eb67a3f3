"""/pledges in a real browser (headless Chromium, JavaScript off as far as the page goes:
it has no script): a visitor applies two facets and a search by clicking and typing, and
the counts shown equal the server's SPARQL answers; the page loads from this server alone
with no console error; axe-core finds no serious accessibility issue."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from browser_support import chromium, console_errors, needs_chromium, requested_urls, wait_for

pytestmark = needs_chromium

BASE = "https://w3id.org/pledge-graph/"
PREFIXES = f"PREFIX pg: <{BASE}ontology/>\nPREFIX dct: <http://purl.org/dc/terms/>\n"


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def sparql_count(http, where: str) -> int:
    query = (PREFIXES + "SELECT (COUNT(DISTINCT ?pledge) AS ?n) WHERE {\n"
             "?pledge a pg:Pledge ; pg:pledgeText ?text .\n" + where + "\n}")
    answer = http.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    return int(next(csv.DictReader(io.StringIO(answer.text)))["n"])


def total(browser) -> int:
    return int(wait_for(browser, "#total").text)


def click_value(browser, facet: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    links = browser.find_elements(By.CSS_SELECTOR, f"#facet-{facet} li a")
    link = next(a for a in links if a.text == text)
    shown = int(link.find_element(By.XPATH, "following-sibling::span").text)
    link.click()
    wait_for(browser, "#total")
    assert total(browser) == shown


def test_two_facets_and_a_search_give_the_sparql_counts(server, browser, http):
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/pledges")
    requested_urls(browser)
    assert total(browser) == sparql_count(http, "")
    click_value(browser, "actor", "Japan")
    actor = f"?pledge pg:pledgedBy <{BASE}id/state/jpn> ."
    assert total(browser) == sparql_count(http, actor)
    click_value(browser, "group", "Judges, lawyers and prosecutors")
    group = f"?pledge pg:rightsHolderGroup <{BASE}id/rights-holders/judges-lawyers-and-prosecutors> ."
    assert total(browser) == sparql_count(http, actor + group)
    box = browser.find_element(By.ID, "q")
    box.send_keys("foundation")
    box.submit()
    wait_for(browser, "#total")
    search = 'FILTER(REGEX(?text, "(^|[^\\\\p{L}\\\\p{N}])foundation", "i"))'
    expected = sparql_count(http, actor + group + search)
    assert total(browser) == expected == 1
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.pledge")) == expected
    for facet, value in (("group", "Judges, lawyers and prosecutors"),):
        counts = {a.text: int(a.find_element(By.XPATH, "following-sibling::span").text)
                  for a in browser.find_elements(By.CSS_SELECTOR, f"#facet-{facet} li a")}
        assert counts[value] == expected
    origin = urlsplit(server.url).netloc
    assert all(urlsplit(u).netloc == origin for u in requested_urls(browser))
    assert console_errors(browser) == []


def test_axe_finds_no_serious_accessibility_violation(server, browser):
    axe_selenium_python = pytest.importorskip("axe_selenium_python")
    browser.get(server.url + "/pledges?q=rights")
    wait_for(browser, "#total")
    axe = axe_selenium_python.Axe(browser)
    axe.inject()
    found = axe.run()
    serious = [v for v in found["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], axe.report(serious)
