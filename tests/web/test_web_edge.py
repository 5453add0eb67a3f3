"""The edge layer in process: an unexpected exception or a store failure is one logged line
and a 500 that names the request id and nothing else; client text in a log line cannot
forge another line; a large body goes out in pieces."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from pledge_graph.errors import StoreError
from pledge_graph.web.app import Settings, create_app
from pledge_graph.web.edge import EdgeLayer


class BrokenStore:
    """A store whose every call fails: unexpectedly (counts) or as a store error (graphs)."""

    def count(self, pattern: str = "") -> int:
        raise RuntimeError("boom in /srv/secret/module.py")

    def graphs(self) -> list[str]:
        raise StoreError("cannot read the store", file="/srv/secret/store")

    def close(self) -> None:
        pass


def call(app, path: str) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path, headers={"Accept": "text/turtle"})
    return asyncio.run(run())


@pytest.fixture
def app():
    return create_app(Settings(store=BrokenStore()))  # type: ignore[arg-type]


@pytest.mark.parametrize(("path", "logged"), [
    ("/", "unexpected RuntimeError: boom in /srv/secret/module.py at "),
    ("/sparql", "store error: /srv/secret/store: cannot read the store"),
])
def test_a_failure_is_a_500_with_the_request_id_and_one_log_line(app, caplog, path, logged):
    with caplog.at_level(logging.INFO, logger="pledge_graph.web"):
        answer = call(app, path)
    rid = answer.headers["x-request-id"]
    assert answer.status_code == 500
    assert answer.text == ("500 Internal Server Error: the server could not answer this "
                           f"request; it is logged as request {rid}\n")
    assert answer.headers["x-content-type-options"] == "nosniff"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and rid in lines[0] and logged in lines[0]


def test_an_exception_outside_the_application_is_answered_too(caplog):
    async def failing(scope, receive, send):
        raise ValueError("secret\nvalue")

    with caplog.at_level(logging.INFO, logger="pledge_graph.web"):
        answer = call(EdgeLayer(failing), "/a%0d%0aINFO:%20forged")
    assert answer.status_code == 500 and "secret" not in answer.text
    [line] = [r.getMessage() for r in caplog.records]
    assert "\n" not in line and "\r" not in line
    assert "/a\\r\\nINFO: forged" in line and "secret\\nvalue" in line


def test_a_large_body_goes_out_in_pieces():
    body = bytes(range(256)) * 1000
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def record(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    asyncio.run(EdgeLayer(app, chunk_bytes=65536)(scope, None, record))
    pieces = [m for m in sent if m["type"] == "http.response.body"]
    assert [len(m["body"]) for m in pieces] == [65536] * 3 + [256000 - 3 * 65536]
    assert [m["more_body"] for m in pieces] == [True, True, True, False]
    assert b"".join(bytes(m["body"]) for m in pieces) == body
