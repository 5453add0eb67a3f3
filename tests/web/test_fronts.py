"""Several front processes on one port (``serve --fronts``), over real sockets to a real
server: connections are shared out, every front answers alike (queries, errors, refusals),
the edge's bounds and the query places hold for the server as a whole, and the fronts stop
with the server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from web_server import Server, bundled_release

PLEDGE = "/id/pledge/japan-2023/1"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
REQUEST_ID = re.compile(r"[0-9a-f]{16}")


def connections_held(pid: int, port: int) -> int:
    """Established TCP connections on ``port`` that process ``pid`` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:
                held += 1
    return held


def wait_until(check: object, limit: float = 20) -> None:
    deadline = time.monotonic() + limit
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def one_connection(server: Server) -> httpx.Client:
    """A client that keeps to one connection (so its requests go to one front)."""
    return server.client(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))


def strip_ids(text: str) -> str:
    return REQUEST_ID.sub("ID", text)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    server = Server("--fronts", "2", "--timeout", "2")
    server.wait_for("example queries answered", 120)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def port(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_connections_are_shared_out_between_the_fronts(server, port):
    (other,) = server.fronts()
    clients = [one_connection(server) for _ in range(6)]
    try:
        for client in clients:
            assert client.get(PLEDGE, headers={"Accept": "text/turtle"}).status_code == 200
        assert connections_held(server.process.pid, port) == 3
        assert connections_held(other, port) == 3
    finally:
        for client in clients:
            client.close()


def test_connections_made_as_soon_as_the_server_listens_are_shared_out_too():
    # no kept answers: nothing to wait for but the printed address
    server = Server("--fronts", "2", "--cache-mb", "0")
    port = int(server.url.rsplit(":", 1)[1])
    clients = [one_connection(server) for _ in range(6)]
    try:
        for client in clients:
            assert client.get(PLEDGE, headers={"Accept": "text/turtle"}).status_code == 200
        (other,) = server.fronts()
        assert connections_held(server.process.pid, port) == 3
        assert connections_held(other, port) == 3
    finally:
        for client in clients:
            client.close()
        server.stop()


@pytest.mark.parametrize(("request_args", "status"), [
    ({"params": {"query": "SELECT * WHERE { ?s ?p }"}}, 400),  # a syntax error
    ({"params": {"query": RUNAWAY}}, 503),  # past --timeout
    ({"params": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"}},
     403),  # a refused SERVICE call
    ({"params": {"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"},
      "headers": {"Accept": "text/csv"}}, 200),
    ({"params": {"query": "ASK { ?s ?p ?o }"},
      "headers": {"Accept": "application/sparql-results+xml"}}, 200),
])
def test_every_front_answers_a_query_alike(server, request_args, status):
    answers = []
    for _ in range(2):  # two connections: one on each front
        with one_connection(server) as client:
            answers.append(client.get("/sparql", **request_args))
    assert [a.status_code for a in answers] == [status, status], answers[0].text
    assert strip_ids(answers[0].text) == strip_ids(answers[1].text)
    assert answers[0].headers["content-type"] == answers[1].headers["content-type"]


def test_a_query_refused_for_a_full_queue_says_when_to_retry_from_every_front():
    server = Server("--fronts", "2", "--queries", "1", "--long-queries", "1", "--queue", "1",
                    "--timeout", "4")
    try:
        statuses: list[int] = []
        retry: list[str] = []

        def ask() -> None:
            with one_connection(server) as client:
                answer = client.get("/sparql", params={"query": RUNAWAY})
            statuses.append(answer.status_code)
            if answer.status_code == 503 and "retry-after" in answer.headers:
                retry.append(answer.headers["retry-after"])

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        # one scheduler for both fronts: two places and one waiting place for all eight
        assert len(statuses) == 8 and set(statuses) == {503}
        assert len(retry) >= 5 and all(value.isdigit() for value in retry)
    finally:
        server.stop()


def test_the_bound_on_connections_holds_for_the_server_as_a_whole():
    server = Server("--fronts", "2", "--max-connections", "8", "--keep-alive", "30")
    port = int(server.url.rsplit(":", 1)[1])
    try:
        wait_until(lambda: len(server.fronts()) == 1)
        (other,) = server.fronts()
        idle = []
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", port))
            idle.append(sock)
        time.sleep(1)
        held = connections_held(server.process.pid, port) + connections_held(other, port)
        assert held <= 8
        with server.client() as client:  # a newcomer evicts an idle one, on either front
            assert client.get("/").status_code == 200
            assert client.get("/").status_code == 200
        for sock in idle:
            sock.close()
    finally:
        server.stop()


def test_a_front_that_stops_leaves_its_share_to_the_others():
    server = Server("--fronts", "2")
    try:
        wait_until(lambda: len(server.fronts()) == 1)
        with one_connection(server) as client:  # both fronts answer before
            client.get("/")
        (other,) = server.fronts()
        os.kill(other, signal.SIGKILL)
        wait_until(lambda: other not in server.fronts())
        for _ in range(6):
            with one_connection(server) as client:
                assert client.get(PLEDGE, headers={"Accept": "text/turtle"}).status_code == 200
        assert "a front process has stopped" in server.stderr.read_text()
    finally:
        server.stop()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_fronts_stop_with_the_server(how):
    server = Server("--fronts", "2")
    try:
        wait_until(lambda: len(server.fronts()) == 1)
        (other,) = server.fronts()
        os.kill(server.process.pid, how)
        server.process.wait(20)

        def gone() -> bool:
            try:
                state = Path(f"/proc/{other}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                return True
            return state == "Z"

        wait_until(gone, 20)
    finally:
        server.stop()


def test_a_server_stopped_by_sigterm_ends_its_fronts_before_it_exits():
    """Its own cleanup runs (uvicorn raises SIGTERM again once it has shut down, which by
    default ended the process first): the other fronts are stopped and waited for."""
    server = Server("--fronts", "2")
    try:
        wait_until(lambda: len(server.fronts()) == 1)
        (other,) = server.fronts()
        os.kill(server.process.pid, signal.SIGTERM)
        status = server.process.wait(30)
        assert status == 128 + signal.SIGTERM, server.stderr.read_text()[-4000:]
        assert not Path(f"/proc/{other}").exists()
    finally:
        server.stop()


def test_one_front_has_no_other_processes():
    server = Server("--fronts", "1")
    try:
        with server.client() as client:
            assert client.get(PLEDGE, headers={"Accept": "text/turtle"}).status_code == 200
        assert server.fronts() == []
    finally:
        server.stop()


PAIRS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
"""A query no limit of a millisecond lets finish (a small example query, changed, sometimes
did on an idle machine)."""


def test_every_front_keeps_the_example_answers_made_once():
    from pledge_graph.sparql.queries import load_examples

    # queries time out at once; the example answers were made with the start-up's limit
    server = Server("--fronts", "2", "--timeout", "0.001")
    try:
        server.wait_for("example queries answered", 120)
        example = next(e for e in load_examples() if e.kind == "solutions")
        bodies = []
        for _ in range(2):  # one connection on each front
            with one_connection(server) as client:
                answer = client.get("/sparql", params={"query": example.text})
                assert answer.status_code == 200, answer.text
                bodies.append(answer.content)
                other = client.get("/sparql", params={"query": PAIRS})
                assert other.status_code == 503  # not kept: run, and stopped at its limit
        assert bodies[0] == bodies[1]
        assert "8 of 8 example queries answered and kept" in server.stdout.read_text()
    finally:
        server.stop()


def test_a_server_stopped_by_sigterm_while_it_starts_ends_at_once(tmp_path):
    """Before it serves (here while it builds the release it was pointed at), SIGTERM ends
    the start-up without waiting for it, with the same status, and the unfinished release
    is removed."""
    data, _ = bundled_release()
    out = tmp_path / "dist"
    log = tmp_path / "stderr.log"
    with open(log, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "pledge_graph.cli", "serve", "--data", str(data), "--out",
             str(out), "--host", "127.0.0.1", "--port", "0"],
            stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_until(lambda: any(tmp_path.glob(".dist.*.tmp")), 60)
        os.kill(process.pid, signal.SIGTERM)
        status = process.wait(30)
        assert status == 128 + signal.SIGTERM, log.read_text()[-4000:]
        assert not out.exists() and not any(tmp_path.glob(".dist.*.tmp"))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_large_queries_and_large_answers_cross_between_the_fronts_at_once(tmp_path):
    """Queries near the body limit go to the pool's process while answers of megabytes
    come back, through both fronts at once, and every one is answered whole. Such messages
    are read and written outside the event loops (a front reads replies in a thread of its
    own; the pool's process reads a long query, a worker's long reply, and sends a long
    answer, in threads), so no process waits on another that waits on it."""
    wide = "http://example.org/wide"
    path = tmp_path / "wide.nt"
    path.write_text("".join(f'<http://example.org/w/{n}> <http://example.org/p> "value {n}" .\n'
                            for n in range(60_000)), encoding="utf-8")
    server = Server("--fronts", "2", "--cache-mb", "0", "--also", f"{wide}={path}")
    try:
        padding = "# " + "x" * 400_000 + "\n"

        def ask(n: int) -> tuple[int, int]:
            query = f"{padding}CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{wide}> {{ ?s ?p ?o }} }}"
            with one_connection(server) as client:
                answer = client.post("/sparql", data={"query": f"{query} # {n}"},
                                     headers={"Accept": "application/n-triples"}, timeout=120)
            return answer.status_code, answer.text.count(" .\n")

        with ThreadPoolExecutor(max_workers=16) as pool:
            answered = list(pool.map(ask, range(16), timeout=180))
        assert answered == [(200, 60_000)] * 16  # connections go to the fronts in turn
    finally:
        server.stop()
