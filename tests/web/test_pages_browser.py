"""The pages in a real browser (headless Chromium) on a real server: the landing page, a
pledge, an actor, a rights-holder concept, the statistics and the ontology load from this
server alone with no console error (the Content-Security-Policy refuses nothing they use),
the highlights and the charts are shown, and axe-core finds no serious or critical
accessibility violation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from browser_support import chromium, console_errors, needs_chromium, requested_urls, wait_for

from pledge_graph.rdf.vocab import Iris

pytestmark = needs_chromium

PAGES = {"landing": ("/", "#stat-pledges"),
         "actor": ("/id/state/jpn", "h1"),
         "concept": ("/id/rights-holders/migrants", "h1"),
         "stats": ("/stats", "section.chart img"),
         "pledge": ("/id/pledge/japan-2023/3", "mark.evidence"),
         "ontology": ("/ontology", "section.term"),
         "term": ("/ontology/Pledge", "section.term")}


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_loads_from_this_server_alone_with_no_console_error(server, browser, name):
    path, shown = PAGES[name]
    requested_urls(browser)
    console_errors(browser)
    browser.get(server.url + path)
    element = wait_for(browser, shown)
    assert element.is_displayed()
    urls = requested_urls(browser)
    assert any(u.endswith("/static/style.css") for u in urls)
    assert {urlsplit(u).hostname for u in urls} == {"127.0.0.1"}, urls
    assert console_errors(browser) == []


def test_the_charts_are_drawn_without_a_script(server, browser):
    """Every chart's SVG loads as an image (served as SVG, allowed by the policy), and the
    page holds no script at all."""
    from selenium.webdriver.common.by import By

    console_errors(browser)
    browser.get(server.url + "/stats")
    wait_for(browser, "section.chart img")
    images = browser.find_elements(By.CSS_SELECTOR, "section.chart img")
    assert len(images) >= 4
    for image in images:
        assert browser.execute_script("return arguments[0].complete && "
                                      "arguments[0].naturalWidth", image) > 0, image.get_attribute("src")
        assert image.get_attribute("alt")
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert console_errors(browser) == []


def test_a_highlight_opens_its_fact(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url + PAGES["pledge"][0])
    link = wait_for(browser, "mark.evidence a")
    fact = browser.find_element(By.CSS_SELECTOR, "mark.evidence").get_attribute("data-facts")
    link.click()
    wait_for(browser, "h1")
    assert browser.current_url == server.url + "/" + fact.split()[0][len(Iris().base):]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_axe_finds_no_serious_accessibility_violation(server, browser, name):
    axe_selenium_python = pytest.importorskip("axe_selenium_python")
    path, shown = PAGES[name]
    browser.get(server.url + path)
    wait_for(browser, shown)
    axe = axe_selenium_python.Axe(browser)
    axe.inject()
    found = axe.run()
    serious = [v for v in found["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], axe.report(serious)
