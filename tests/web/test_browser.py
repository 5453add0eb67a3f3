"""A real browser (headless Chromium driven by selenium) on a real server: the landing page,
a pledge page, and an example query run from the query page; the pages keep to the server's
Content-Security-Policy (the console shows no violation); a query in a link waits for the
user; an answer's non-web IRIs are not links."""

from __future__ import annotations

import shutil
import tempfile
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="pledge-graph-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(browser, css: str, timeout: float = 20):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_landing_page_shows_the_size(server, browser):
    browser.get(server.url + "/")
    assert "Human Rights 75" in browser.title
    assert wait_for(browser, "#stat-pledges").text == "3"


def test_pledge_page_shows_its_text_and_links(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/id/pledge/japan-2023/1")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Japan, pledge 1 (December 2023)"
    links = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#outgoing a")}
    assert server.url + "/id/state/jpn" in links
    browser.find_element(By.CSS_SELECTOR, '#outgoing a[href="/id/state/jpn"]').click()
    assert wait_for(browser, "h1").text == "Japan"


def test_query_page_runs_an_example_and_shows_a_table(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server.url + "/sparql")
    Select(browser.find_element(By.ID, "example")).select_by_value("pledges-by-rights-holder")
    assert "rightsHolderGroup" in browser.find_element(By.ID, "query").get_attribute("value")
    browser.find_element(By.ID, "run").click()
    table = wait_for(browser, "#results-table")
    rows = table.find_elements(By.TAG_NAME, "tr")
    assert [th.text for th in rows[0].find_elements(By.TAG_NAME, "th")] == [
        "group", "label", "pledges"]
    assert len(rows) == 1 + 12
    first = [td.text for td in rows[1].find_elements(By.TAG_NAME, "td")]
    assert first[1:] == ["Judges, lawyers and prosecutors", "2"]


def test_describe_link_of_a_pledge_fills_the_query_page_and_runs_when_asked(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/id/pledge/japan-2023/2")
    browser.find_element(By.ID, "query-link").click()
    assert wait_for(browser, "#query").get_attribute("value").startswith("DESCRIBE")
    time.sleep(1.5)  # a page that ran the query by itself would show its answer by now
    assert not browser.find_elements(By.CSS_SELECTOR, "#results-graph")
    assert browser.find_element(By.ID, "status").text == ""
    browser.find_element(By.ID, "run").click()
    graph = wait_for(browser, "#results-graph")
    assert "Technical Intern Training Program" in graph.text


def test_only_web_iris_in_an_answer_are_links(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/sparql")
    query = ('SELECT ?iri WHERE { VALUES ?text { "javascript:alert(1)" '
             '"data:text/html,hello" "https://example.org/ok" } BIND(IRI(?text) AS ?iri) }')
    field = browser.find_element(By.ID, "query")
    field.clear()
    field.send_keys(query)
    browser.find_element(By.ID, "run").click()
    cells = wait_for(browser, "#results-table").find_elements(By.TAG_NAME, "td")
    assert sorted(c.text for c in cells) == [
        "data:text/html,hello", "https://example.org/ok", "javascript:alert(1)"]
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR,
                                                                    "#results-table a")]
    assert links == ["https://example.org/ok"]


def csp_violations(browser) -> list[str]:
    """The console's Content-Security-Policy messages since the last call."""
    return [entry["message"] for entry in browser.get_log("browser")
            if "Content Security Policy" in entry["message"]]


def test_the_pages_keep_to_the_content_security_policy(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    csp_violations(browser)
    for path in ("/", "/id/pledge/japan-2023/1", "/dumps/", "/ontology/", "/sparql"):
        browser.get(server.url + path)
        wait_for(browser, "h1")
    Select(browser.find_element(By.ID, "example")).select_by_value("pledges-by-rights-holder")
    browser.find_element(By.ID, "run").click()
    wait_for(browser, "#results-table")
    assert csp_violations(browser) == []
    # the check sees a violation when there is one: an inline script is refused
    browser.execute_script("const s = document.createElement('script');"
                           "s.textContent = 'window.ran = 1'; document.body.appendChild(s);")
    assert browser.execute_script("return window.ran") is None
    assert any("script-src" in message for message in csp_violations(browser))
