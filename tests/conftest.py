"""Fixtures the web tests share: each test module gets its own real server on loopback,
serving the bundled release, and an httpx client for it; or the bundled release in a store
in memory, for what pages make of its descriptions."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from web_server import Server, bundled_release, isolation_unavailable

from pledge_graph.rdf.vocab import Iris
from pledge_graph.store import sandbox
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.loading import load_release


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


@pytest.fixture(scope="module")
def bundled_store() -> EmbeddedStore:
    store = EmbeddedStore()
    load_release(store, bundled_release()[1], Iris())
    return store
