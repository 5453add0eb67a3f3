"""Fixtures the web tests share: each test module gets its own real server on loopback,
serving the bundled release, and an httpx client for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from web_server import Server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    server = Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
