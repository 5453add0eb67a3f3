"""Fixtures of the static-site tests: a client of a real ``pledge-graph serve`` (the shared
``server`` fixture), the answers every static answer is compared with."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from web_server import Server


@pytest.fixture(scope="module")
def served(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
