"""Test support for the browser tests: headless Chromium driven by selenium, offline (no
background networking, no component updates), with its console and network logs kept."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest

__all__ = ["CHROMIUM", "DRIVER", "chromium", "console_errors", "csp_violations", "needs_chromium",
           "requested_urls", "wait_for"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")

_NETWORK_SCHEMES = ("http", "https", "ws", "wss", "ftp")


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium in a fresh profile, its console and network logs recorded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="pledge-graph-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(browser: Any, css: str, timeout: float = 20) -> Any:
    """The first element matching ``css``, once there is one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def csp_violations(browser: Any) -> list[str]:
    """The console's Content-Security-Policy messages since the last read of the console."""
    return [entry["message"] for entry in browser.get_log("browser")
            if "Content Security Policy" in entry["message"]]


def console_errors(browser: Any) -> list[str]:
    """The console's errors (CSP violations, failed loads, exceptions) since the last read."""
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE"]


def requested_urls(browser: Any) -> list[str]:
    """Every network request the browser sent since the last read of its performance log
    (requests for ``data:``, ``blob:`` and the browser's own ``chrome:`` pages excluded)."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            params = message["params"]
            url = params["request"]["url"] if "request" in params else params["url"]
            if urlsplit(url).scheme in _NETWORK_SCHEMES:
                urls.append(url)
    return urls
