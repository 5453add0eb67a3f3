"""A real browser (headless Chromium driven by selenium) on a real server: the landing page
and a pledge page; the pages keep to the server's Content-Security-Policy (the console shows
no violation). The query workbench has its own tests (test_workbench.py)."""

from __future__ import annotations

import pytest
from browser_support import chromium, csp_violations, needs_chromium, wait_for

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def test_landing_page_shows_the_size(server, browser):
    browser.get(server.url + "/")
    assert "Human Rights 75" in browser.title
    assert wait_for(browser, "#stat-pledges").text == "3"


def test_pledge_page_shows_its_text_and_links(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/id/pledge/japan-2023/1")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Japan, pledge 1 (December 2023)"
    assert "Japan" in browser.find_element(By.ID, "pledge-text").text
    links = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#actors a")}
    assert server.url + "/id/state/jpn" in links
    browser.find_element(By.CSS_SELECTOR, '#actors a[href="/id/state/jpn"]').click()
    assert wait_for(browser, "h1").text == "Japan"


def test_the_pages_keep_to_the_content_security_policy(server, browser):
    from selenium.webdriver.common.by import By

    csp_violations(browser)
    for path in ("/", "/id/pledge/japan-2023/1", "/dumps/", "/ontology/", "/sparql"):
        browser.get(server.url + path)
        wait_for(browser, "h1")
    wait_for(browser, ".yasqe_queryButton").click()
    wait_for(browser, ".yasr table.dataTable tbody tr")
    browser.find_element(By.CSS_SELECTOR, "#gallery a.open-example").click()
    assert csp_violations(browser) == []
    # the check sees a violation when there is one: an inline script is refused
    browser.execute_script("const s = document.createElement('script');"
                           "s.textContent = 'window.ran = 1'; document.body.appendChild(s);")
    assert browser.execute_script("return window.ran") is None
    assert any("script-src" in message for message in csp_violations(browser))
