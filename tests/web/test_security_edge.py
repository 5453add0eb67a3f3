"""Attacks on the HTTP edge, over real sockets to a real ``pledge-graph serve`` on loopback:
slowloris connections, clients that never read large answers, hostile request lines and
headers, an evil Host header; and what the operator sees of it (one log line per event,
with the request id the client got)."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from web_server import Server, descendants, fronts_pss_mb, get, stderr_lines, wait_for_log

BIG = "http://example.org/big"
BIG_TRIPLES = 2_000
BIG_LITERAL = 2_500
"""The large graph: 5 MB in few triples, so each answer of it is quick to make (a tenth
of a second of a worker's time on the store on disk): fifty clients asking for it at once
are short queries, not a flood of long ones."""
PLEDGE = "https://w3id.org/pledge-graph/id/pledge/japan-2023/1"
LIMITS = ("--header-timeout", "2", "--body-timeout", "3", "--send-timeout", "3",
          "--keep-alive", "1", "--max-connections", "600", "--buffer-mb", "8",
          "--timeout", "3", "--memory-mb", "128")
SLOWLORIS = 2000
BUFFER_MB = 8
ANSWER_MB = 5
QUERY_PLACES = 4 + 4  # --queries and --long-queries, their defaults
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
REQUEST_ID = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with tight edge limits, a 5 MB graph (a large answer) and a triple linking
    a pledge to a ``javascript:`` IRI."""
    folder = tmp_path_factory.mktemp("edge")
    big = folder / "big.nt"
    filler = "x" * BIG_LITERAL
    big.write_text("".join(f'<http://example.org/s/{n}> <http://example.org/p> "{n} {filler}" .\n'
                           for n in range(BIG_TRIPLES)), encoding="utf-8")
    links = folder / "links.nt"
    links.write_text(f"<{PLEDGE}> <http://purl.org/dc/terms/references> <javascript:alert(1)> .\n",
                     encoding="utf-8")
    server = Server("--also", f"{BIG}={big}", links, *LIMITS)
    deadline = time.monotonic() + 120  # memory is measured once the example queries ran
    while "example queries answered" not in server.stdout.read_text():
        assert time.monotonic() < deadline, server.stdout.read_text()
        time.sleep(0.2)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def port(edge: Server) -> int:
    return int(edge.url.rsplit(":", 1)[1])


def exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Send ``data`` on a new connection; return what comes back until the server closes
    it or ``wait`` seconds pass."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


def statuses(answer: bytes) -> list[int]:
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]


def timed_get(url: str) -> float:
    """Seconds a normal client takes to get the landing page on a new connection."""
    started = time.monotonic()
    with httpx.Client(timeout=10) as client:
        assert client.get(url + "/").status_code == 200
    return time.monotonic() - started


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed (or answered) this non-blocking socket."""
    try:
        sock.recv(65536, socket.MSG_PEEK)
        return True  # an answer (408) or the end of the stream
    except BlockingIOError:
        return False
    except OSError:
        return True


# slowloris and the connection table


def test_slowloris_connections_are_closed_and_normal_clients_get_in(edge, port):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < SLOWLORIS + 200:
        pytest.skip(f"needs {SLOWLORIS + 200} file descriptors")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets = []
    try:
        for _ in range(SLOWLORIS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: 1\r\n")
            sock.setblocking(False)
            sockets.append(sock)
        # more connections than --max-connections are open or were: normal clients get in
        latencies = [timed_get(edge.url) for _ in range(5)]
        assert statistics.median(latencies) < 1.0, latencies
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for sock in sockets:  # trickling does not extend the deadline
                try:
                    sock.send(b"X-Trickle: 1\r\n")
                except OSError:
                    pass
            if all(closed_by_server(sock) for sock in sockets):
                break
            time.sleep(0.5)
        assert sum(closed_by_server(sock) for sock in sockets) == SLOWLORIS
    finally:
        for sock in sockets:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert wait_for_log(edge, "evicted: the connection table was full"), \
        stderr_lines(edge, "connection")
    assert wait_for_log(edge, "closed: no complete request headers within 2 s")
    assert timed_get(edge.url) < 5


def test_an_idle_connection_is_closed_after_the_keep_alive_time(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        started = time.monotonic()
        while sock.recv(65536):
            pass
        assert statuses(first) == [200] and time.monotonic() - started < 5


def test_a_request_body_that_trickles_is_refused_with_408(port):
    answer = exchange(port, b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                            b"application/sparql-query\r\nContent-Length: 100\r\n\r\nASK", 10)
    assert statuses(answer) == [408]


def test_a_body_that_keeps_coming_after_its_answer_is_cut_without_another_answer(port):
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\n\r\n")
        received, started = b"", time.monotonic()
        while time.monotonic() - started < 12:
            try:
                sock.sendall(b"x" * 1000)
                chunk = sock.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                chunk = None
            except OSError:
                break
            if chunk == b"":
                break
            received += chunk or b""
            time.sleep(0.2)
    assert statuses(received) == [405] and time.monotonic() - started < 10


# clients that do not read


def test_clients_that_read_large_answers_slowly_all_get_them(edge, port):
    # four answers of 5 MB, each its own, are more than the 8 MiB budget; the clients read
    # them at a steady pace slower than the server writes, so the server keeps waiting for
    # them: they are not dropped for it
    received: list[int] = []

    def read_steadily() -> None:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.connect(("127.0.0.1", port))
            sock.sendall(get("/store?graph=" + quote(BIG), "Accept: application/n-triples"))
            sock.settimeout(30)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
                time.sleep(0.01)
        head, _, body = answer.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head)
        received.append(len(body) if length and int(length[1]) == len(body) else -1)

    readers = [threading.Thread(target=read_steadily) for _ in range(4)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(90)
    assert len(received) == 4 and min(received) > 5_000_000
    assert stderr_lines(edge, "slow client") == []


def test_clients_that_never_read_large_answers_leave_memory_bounded(edge, port):
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BIG}> {{ ?s ?p ?o }} }}"
    paths = ["/store?graph=" + quote(BIG), "/sparql?query=" + quote(construct)]
    # the workers grow to their working size, and every front keeps the CONSTRUCT's answer:
    # connections are handed to the fronts in turn, so one after another reaches each front
    fronts = 1 + len(edge.fronts())
    for path in paths:
        for _ in range(2 * fronts):
            _fetch(edge.url + path)
    # the server process holds what is sent to clients; the query workers that make the
    # answers are bounded by the query pool's own limits (--memory-mb, --queries-memory-mb)
    before = fronts_pss_mb(edge)
    readers = []
    # 40 answers of 5 MB each (the graph store's are never kept) and 10 of a shared one:
    # 205 MB if the server kept one answer per client
    for n in range(50):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(get(paths[0] if n % 5 else paths[1], "Accept: application/n-triples"))
        readers.append(sock)
    peak = 0.0
    try:
        deadline = time.monotonic() + 120  # 40 answers of 5 MB: slow on a loaded machine
        while time.monotonic() < deadline and len(stderr_lines(edge, "slow client")) < 50:
            peak = max(peak, fronts_pss_mb(edge))
            time.sleep(0.2)
        latency = timed_get(edge.url)
    finally:
        for sock in readers:
            sock.close()
    dropped = stderr_lines(edge, "slow client")
    assert len(dropped) == 50
    assert any("did not read its answer for 3 s" in line for line in dropped)
    assert any("over the budget" in line for line in dropped)
    assert all(REQUEST_ID.match(line.split("request ")[1].split(":")[0]) for line in dropped)
    # the budget (shared by the fronts) and one answer spared above each front's share, plus
    # the answers being made (at most one per query place, each in up to three copies on its
    # way from the worker: the pipe's buffer, the bytes read, the body unpickled): not one
    # answer per client
    bound = BUFFER_MB + ANSWER_MB * (fronts + 3 * QUERY_PLACES)
    assert peak - before < bound, (before, peak)
    assert latency < 1.0


def _fetch(url: str) -> None:
    with httpx.Client(timeout=60) as client:
        answer = client.get(url, headers={"Accept": "application/n-triples"})
    assert answer.status_code == 200 and len(answer.content) > 5_000_000


# hostile requests


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: a\r\n" % n for n in range(200)) + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", 431),
    (b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, 400),
], ids=["200 fields", "100 KB field", "100 KB target", "unknown method", "CONNECT",
        "length and chunked", "TLS hello"])
def test_a_malformed_or_oversized_request_is_refused(port, request_bytes, status):
    answer = exchange(port, request_bytes)
    assert statuses(answer) == [status]
    assert b"x-content-type-options: nosniff" in answer and b"x-request-id: " in answer


@pytest.mark.parametrize("path", ["/%ff", "/%", "/id/%00", "/id/a%0d%0ab", "/sparql?query=%zz",
                                  "/sparql?query=ASK%7B%7D&format=%00", "/dumps/%2e%2e%2fetc",
                                  "/store?graph=%ff", "/id/pledge/japan-2023/1?format=%ff"])
def test_invalid_percent_encoding_is_a_client_error(edge, path):
    with edge.client() as client:
        assert 400 <= client.get(path).status_code < 500


@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D", "/id/pledge/japan-2023/1",
                                  "/.well-known/void"])
def test_a_very_long_accept_header_is_negotiated_at_once(edge, path):
    accept = ",".join(f"x-{n}/y;q=0.{n % 10}" for n in range(3500)) + ",*/*;q=0.1"
    assert 40_000 < len(accept) < 60_000
    with edge.client() as client:
        started = time.monotonic()
        answer = client.get(path, headers={"Accept": accept})
        assert time.monotonic() - started < 1.0
    assert answer.status_code == 200


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "DELETE", "PUT", "PATCH"])
def test_odd_methods_are_refused_without_a_server_error(port, method):
    for path in ("/", "/sparql", "/dumps/pledge-graph.nt", "/id/pledge/japan-2023/1"):
        answer = exchange(port, f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close"
                                "\r\nContent-Length: 0\r\n\r\n".encode())
        assert statuses(answer)[0] in (400, 403, 405), (method, path)


@pytest.mark.parametrize("ranges", [
    ",".join(["0-"] * 100), ",".join(f"{n}-{n}" for n in range(0, 4000, 2)),
    ",".join(["-1"] * 99), "0-99999999999999999999999", "99999999999999999999-",
    "-0", "x-y", "0-0" + ",0-0" * 50,
])
def test_absurd_ranges_on_a_dump_do_not_amplify_it(edge, ranges):
    with edge.client() as client:
        size = len(client.get("/dumps/pledge-graph.nt").content)
        answer = client.get("/dumps/pledge-graph.nt", headers={"Range": f"bytes={ranges}"})
    assert answer.status_code in (200, 206, 400, 416)
    assert len(answer.content) <= size + 100 * 200


@pytest.mark.parametrize("path", ["/", "/sparql", "/sparql?query=ASK%7B%7D", "/dumps/",
                                  "/dumps/pledge-graph.nt", "/.well-known/void", "/catalog",
                                  "/context.jsonld", "/store?default", "/static/workbench.js",
                                  "/id/pledge/japan-2023/1", "/nowhere"])
def test_head_answers_like_get_without_a_body(edge, path):
    with edge.client() as client:
        full = client.get(path)
        head = client.head(path)
    assert head.status_code == full.status_code
    assert head.content == b""
    if "content-length" in full.headers:
        assert head.headers["content-length"] == full.headers["content-length"]


def test_pipelined_requests_are_answered_in_order_and_a_deep_queue_is_cut(port):
    paths = [f"/dumps/{name}" for name in ("void.ttl", "catalog.ttl", "nowhere")] * 5
    answer = exchange(port, b"".join(get(p).replace(b"Connection: close\r\n", b"")
                                     for p in paths) + get("/static/style.css"))
    assert statuses(answer) == [200, 200, 404] * 5 + [200]
    ids = re.findall(rb"x-request-id: ([0-9a-f]+)", answer)
    assert len(set(ids)) == 16
    flood = exchange(port, get("/").replace(b"Connection: close\r\n", b"") * 200)
    assert len(statuses(flood)) < 200


def _answers(raw: bytes, methods: list[str]) -> list[tuple[int, bytes, bytes]]:
    """Cut answers that came one after another on a connection: (status, head, body) each,
    a body as long as its Content-Length (none for HEAD)."""
    out = []
    for method in methods:
        head, _, raw = raw.partition(b"\r\n\r\n")
        if not head:
            break
        length = int(re.search(rb"content-length: (\d+)", head).group(1))
        size = 0 if method == "HEAD" else length
        out.append((int(head[9:12]), head, raw[:size]))
        raw = raw[size:]
    assert raw == b"", "bytes after the last answer"
    return out


def test_kept_answers_between_others_keep_their_order(edge, port):
    """Kept answers are sent by the connection itself, before the application is entered;
    piped between requests the application answers, each still comes in its turn, whole,
    with its own request id, and one asked to close the connection closes it."""
    lookup = urlencode({"query": f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o }}"}).encode()
    post = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/csv\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
            % (len(lookup), lookup))
    turtle = get("/id/pledge/japan-2023/1", "Accept: text/turtle")
    keep = turtle.replace(b"Connection: close\r\n", b"")
    ask = get("/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
              "Accept: application/sparql-results+json").replace(b"Connection: close\r\n", b"")
    with edge.client() as client:  # answered once, and kept
        csv = client.post("/sparql", content=lookup, headers={
            "Accept": "text/csv", "Content-Type": "application/x-www-form-urlencoded"})
        text = client.get("/id/pledge/japan-2023/1", headers={"Accept": "text/turtle"})
    assert csv.status_code == text.status_code == 200
    methods = ["GET", "GET", "POST", "HEAD", "GET", "POST", "GET", "GET"]
    sent = [keep, ask, post, keep.replace(b"GET", b"HEAD", 1), ask, post, turtle, keep]
    got = _answers(exchange(port, b"".join(sent)), methods)
    assert [status for status, _, _ in got] == [200] * 7  # none after the one that closed
    bodies = [body for _, _, body in got]
    assert bodies[0] == bodies[6] == text.content and bodies[3] == b""
    assert bodies[2] == bodies[5] == csv.content
    assert json.loads(bodies[1]) == json.loads(bodies[4]) == {"head": {}, "boolean": True}
    assert b"content-length: %d" % len(text.content) in got[3][1]
    assert b"connection: close" in got[6][1] and b"connection: close" not in got[0][1]
    ids = {re.search(rb"x-request-id: ([0-9a-f]{16})", head).group(1) for _, head, _ in got}
    assert len(ids) == 7


def test_a_kept_lookup_posted_with_expect_100_continue_is_answered(port):
    """A client that waits for ``100 Continue`` before sending its body gets it, then the
    lookup's answer, kept or not (the connection does not wait for a body it must ask for)."""
    lookup = urlencode({"query": f"SELECT ?p ?o WHERE {{ <{PLEDGE}> ?p ?o }}"}).encode()
    heads = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/csv\r\nExpect: "
             b"100-continue\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: %d\r\n\r\n" % len(lookup))
    answers = []
    for _ in range(2):  # the second is kept
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(heads)
            assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n")
            sock.sendall(lookup)
            received = b""
            while not (found := re.search(rb"content-length: (\d+)\r\n.*?\r\n\r\n",
                                          received, re.DOTALL)) \
                    or len(received) < found.end() + int(found.group(1)):
                chunk = sock.recv(65536)
                assert chunk, received
                received += chunk
        answers.append(_answers(received, ["POST"])[0])
    assert [status for status, _, _ in answers] == [200, 200]
    assert answers[0][2] == answers[1][2] and f"<{PLEDGE}>".encode() not in answers[0][2]
    assert b"http://www.w3.org/1999/02/22-rdf-syntax-ns#type" in answers[0][2]


# what every answer carries


@pytest.mark.parametrize("path", ["/", "/sparql", "/dumps/pledge-graph.nt", "/static/workbench.js",
                                  "/id/pledge/japan-2023/1", "/id/pledge/japan-2023/1?format=ttl",
                                  "/nowhere", "/sparql?query=nonsense"])
def test_every_answer_carries_the_security_headers_and_its_own_request_id(edge, path):
    with edge.client() as client:
        answers = [client.get(path, headers={"X-Request-Id": "chosen-by-client"})
                   for _ in range(2)]  # the second may be a kept answer, replayed
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        policy = answer.headers["content-security-policy"]
        for directive in ("default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
                          "form-action 'self'", "object-src 'none'"):
            assert directive in policy
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert REQUEST_ID.match(answer.headers["x-request-id"])
        assert "X-Request-Id" in answer.headers["access-control-expose-headers"]
    assert answers[0].headers["x-request-id"] != answers[1].headers["x-request-id"]


def test_a_javascript_iri_is_not_a_link_on_a_resource_page(edge):
    with edge.client() as client:
        page = client.get("/id/pledge/japan-2023/1", headers={"Accept": "text/html"}).text
    assert "javascript:alert(1)" in page and 'href="javascript:' not in page


# the Host header


EVIL_HOSTS = ["evil.example", "evil.example:8443", "evil.example%2Fzzz", "[::1]:1"]
PATHS = ["/", "/sparql", "/sparql/", "/dumps/", "/dumps/void.ttl", "/dumps/nowhere", "/catalog",
         "/.well-known/void", "/store?default", "/id/pledge/japan-2023/1", "/ontology/",
         "/id/pledge/japan-2023/1?format=ttl", "/nowhere", "/static/workbench.js",
         "/sparql?query=" + quote("SELECT ?x WHERE { BIND(<relative> AS ?x) }"),
         "/sparql?query=" + quote("DESCRIBE <relative>")]


@pytest.mark.parametrize("host", EVIL_HOSTS)
def test_the_host_header_is_never_reflected(port, host):
    for path in PATHS:
        for accept in ("text/html", "text/turtle", "*/*", "application/x-nothing"):
            answer = exchange(port, get(path, f"Accept: {accept}").replace(
                b"Host: 127.0.0.1", f"Host: {host}".encode()) + b"", 5)
            assert statuses(answer), (path, accept)
            assert b"evil" not in answer.lower() and b"[::1]" not in answer, (path, accept)


def test_forwarded_headers_are_not_reflected(port):
    for path in PATHS[:4]:
        answer = exchange(port, get(path, "X-Forwarded-Host: evil.example",
                                    "X-Forwarded-Proto: evil", "Forwarded: host=evil.example"))
        assert statuses(answer) and b"evil" not in answer


def test_the_service_description_names_the_listening_address(edge):
    with edge.client() as client:
        description = client.get("/sparql", headers={"Host": "evil.example",
                                                     "Accept": "application/n-triples"}).text
    assert f"<{edge.url}/sparql>" in description


# what the operator sees


def test_a_refused_service_call_is_logged_with_the_request_id(edge):
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    with edge.client() as client:
        answer = client.get("/sparql", params={"query": query})
    assert answer.status_code == 403
    line = wait_for_log(edge, answer.headers["x-request-id"])
    assert len(line) == 1 and "403 query refused" in line[0]


def test_a_query_timeout_is_logged_and_answered_with_the_request_id(edge):
    with edge.client() as client:
        answer = client.get("/sparql", params={"query": RUNAWAY})
    rid = answer.headers["x-request-id"]
    assert answer.status_code == 503 and rid in answer.text
    line = wait_for_log(edge, rid)
    assert len(line) == 1 and "503 query stopped at its time limit" in line[0]


def test_a_query_over_the_memory_limit_is_logged(edge):
    # the sort holds every pair of a large literal and a term: past 128 MiB within a second,
    # on the store on disk as on the in-memory copy, well before the 3 s limit
    query = (f"SELECT ?o ?c WHERE {{ GRAPH <{BIG}> {{ ?s ?p ?o }} ?a ?b ?c }} "
             "ORDER BY ?c ?o")
    with edge.client() as client:
        answer = client.get("/sparql", params={"query": query})
    assert answer.status_code == 503
    line = wait_for_log(edge, answer.headers["x-request-id"])
    assert len(line) == 1 and "memory limit" in line[0]


def test_a_worker_that_dies_gives_a_logged_500_without_detail(edge):
    answers: list[httpx.Response] = []

    def run() -> None:
        with edge.client() as client:
            answers.append(client.get("/sparql", params={"query": RUNAWAY + " LIMIT 1"}))

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.3)
    os.kill(_busiest(edge.process.pid), signal.SIGKILL)  # the worker running the query
    thread.join(30)
    answer = answers[0]
    rid = answer.headers["x-request-id"]
    assert answer.status_code == 500
    assert answer.text == ("500 Internal Server Error: the server could not answer this "
                           f"request; it is logged as request {rid}\n")
    line = wait_for_log(edge, rid)
    assert len(line) == 1 and "500 store error" in line[0]


def _busiest(server_pid: int) -> int:
    """The descendant of ``server_pid`` using the most CPU over a second."""
    pids = descendants(server_pid)

    def cpu() -> dict[int, int]:
        used = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[pid] = int(fields[11]) + int(fields[12])
        return used

    first = cpu()
    time.sleep(1.0)
    second = cpu()
    return max(second, key=lambda pid: second[pid] - first.get(pid, 0))


def test_no_traceback_reached_the_log(edge):
    text = edge.stderr.read_text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text
