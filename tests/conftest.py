"""Fixtures the web tests share: each test module gets its own real server on loopback,
serving the bundled release, and an httpx client for it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from web_server import Server, isolation_unavailable

from pledge_graph.store import sandbox


def pytest_configure(config: pytest.Config) -> None:
    """Where query workers cannot be isolated from the network, the tests run them with it
    (the isolation tests are then skipped, saying why)."""
    if isolation_unavailable():
        os.environ[sandbox.ENV] = "allowed"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    server = Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
