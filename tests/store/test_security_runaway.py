"""A flood of runaway queries cannot take the service: with fifty in flight, pages, dumps and
kept answers answer at once and a small query from the same client is answered within the
time limit; with runaways from other clients running, a small query is answered at once, on
the on-disk store (the default) as on the in-memory copy (``--in-memory``); waiting queries
are bounded (503 with Retry-After beyond the queue), one client's flood does not take
another client's place among the long-running queries, and a query whose client closes the
connection is stopped, running or waiting."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from web_server import Server, descendants, get, wait_for_log

from pledge_graph.rdf.vocab import Iris

IRIS = Iris()
SRJ = "application/sparql-results+json"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
STOPPED = "query stopped: its client closed the connection"
QUICK_S = 3.0  # broken: tens of seconds; fixed: well under a second
PAGES = [f"/id/pledge/japan-2023/{n}?format={fmt}" for n in (1, 2, 3)
         for fmt in ("html", "ttl", "jsonld", "nt", "rdf")]
DUMPS = ["/dumps/void.ttl", "/dumps/pledge-graph.nt.gz", "/dumps/catalog.ttl"]


def post(url: str, query: str, *, source: str = "127.0.0.1",
         timeout: float = 60) -> httpx.Response:
    """POST one query from a loopback source address (a client of its own to the server)."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=url, transport=transport, timeout=timeout) as client:
        return client.post("/sparql", data={"query": query}, headers={"Accept": SRJ})


def flood(pool: ThreadPoolExecutor, url: str, count: int, *, source: str = "127.0.0.1",
          ) -> list[Future[httpx.Response]]:
    """Send ``count`` runaway queries at once (distinct texts: none is answered from a
    kept answer)."""
    return [pool.submit(post, url, f"{RUNAWAY} # {source} {n}", source=source)
            for n in range(count)]


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def busy(response: httpx.Response) -> bool:
    """A 503 that asks the client to come back (the queue was full, or the query was
    stopped to leave its place to others)."""
    return response.status_code == 503 and int(response.headers.get("retry-after", 0)) > 0


def timed_out(response: httpx.Response, limit: float) -> bool:
    return response.status_code == 503 and f"longer than {limit:g} s" in response.text


@contextmanager
def running(*args: str, memory: bool = False) -> Iterator[Server]:
    """A server started with ``args``, once it has answered the example queries (and, with
    ``memory``, loaded its in-memory copy); stopped after."""
    server = Server(*args)
    try:
        if memory:
            server.wait_for("in-memory copy")
        server.wait_for("example queries answered")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def flooded() -> Iterator[Server]:
    with running() as server:
        yield server


def test_fifty_runaways_leave_pages_dumps_kept_answers_and_a_small_query_fast(flooded):
    kept = f"SELECT ?p ?o WHERE {{ <{IRIS.pledge('japan-2023', 1)}> ?p ?o }} LIMIT 7"
    assert post(flooded.url, kept).status_code == 200
    with ThreadPoolExecutor(50) as pool:
        runaways = flood(pool, flooded.url, 50)
        time.sleep(1.5)  # every runaway has arrived; the first ones run at low priority
        with flooded.client() as http:
            slow = []
            for path in PAGES + DUMPS + ["/", "/catalog", "/.well-known/void"]:
                response, took = timed(lambda path=path: http.get(path))
                assert response.status_code == 200, (path, response.text[:200])
                if took > QUICK_S:
                    slow.append((path, round(took, 1)))
            response, took = timed(lambda: post(flooded.url, kept))
            assert response.status_code == 200
            if took > QUICK_S:
                slow.append(("kept answer", round(took, 1)))
            assert not slow, slow
            for n in (1, 2, 3):
                small = f"SELECT ?p ?o WHERE {{ <{IRIS.pledge('japan-2023', n)}> ?p ?o }}"
                response, took = timed(lambda small=small: post(flooded.url, small))
                assert response.status_code == 200, response.text[:300]
                assert response.json()["results"]["bindings"]
                assert took < 10, took
        answers = [future.result() for future in runaways]
    assert all(busy(a) or timed_out(a, 10) for a in answers), {
        (a.status_code, a.text[:120]) for a in answers}


@pytest.fixture(scope="module", params=[(), ("--in-memory",)], ids=["on-disk", "in-memory"])
def guarded(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A server with an 8 s limit, on the on-disk store or on the in-memory copy."""
    with running("--timeout", "8", *request.param, memory=bool(request.param)) as server:
        yield server


def test_runaways_of_other_clients_leave_a_small_query_its_place(guarded):
    # four runaways, twice as many as the workers kept ready, from two other clients
    with ThreadPoolExecutor(4) as pool:
        runaways = [future for source in ("127.0.0.2", "127.0.0.3")
                    for future in flood(pool, guarded.url, 2, source=source)]
        time.sleep(1.5)  # every runaway runs, long now, at the lowest priority
        assert not any(future.done() for future in runaways)
        took = []
        for n in range(3):
            small = (f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p a <{IRIS.ontology}Pledge> }} "
                     f"# not kept {n}")
            response, seconds = timed(lambda small=small: post(guarded.url, small))
            assert response.status_code == 200, response.text[:300]
            assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == 3
            took.append(seconds)
        answers = [future.result() for future in runaways]
    assert max(took) < QUICK_S, took
    assert all(timed_out(a, 8) for a in answers), {(a.status_code, a.text[:120])
                                                   for a in answers}


@pytest.fixture(scope="module")
def narrow() -> Iterator[Server]:
    """A server with one place for new queries, two for long ones, two in the queue, and
    a 3 s limit."""
    with running("--queries", "1", "--long-queries", "2", "--queue", "2", "--timeout", "3"
                 ) as server:
        yield server


def test_the_queue_is_bounded_and_refusals_say_when_to_come_back(narrow):
    with ThreadPoolExecutor(16) as pool:
        started = time.monotonic()
        answers = [future.result() for future in flood(pool, narrow.url, 16)]
        took = time.monotonic() - started
    assert all(busy(a) or timed_out(a, 3) for a in answers), {
        (a.status_code, a.text[:120]) for a in answers}
    refused = [a for a in answers if busy(a) and "queue" in a.text]
    assert len(refused) >= 3, [a.text for a in answers]
    assert took < 30


def test_one_clients_flood_does_not_take_anothers_long_running_place(narrow):
    with ThreadPoolExecutor(8) as pool:
        theirs = flood(pool, narrow.url, 6, source="127.0.0.2")
        time.sleep(1.0)
        mine = pool.submit(post, narrow.url, f"{RUNAWAY} # mine", source="127.0.0.3")
        flooding = [future.result() for future in theirs]
        own = mine.result()
    assert timed_out(own, 3), own.text
    assert all(busy(a) or timed_out(a, 3) for a in flooding)
    assert sum(busy(a) for a in flooding) >= 4, [a.text[:120] for a in flooding]


@pytest.fixture(scope="module")
def single() -> Iterator[Server]:
    """A server with one place for new queries, two for long ones and a 20 s limit."""
    with running("--queries", "1", "--long-queries", "2", "--timeout", "20") as server:
        yield server


def test_a_query_whose_client_goes_is_stopped_running_or_waiting(single):
    """A client that gives up (closes the connection) leaves no query running for no one:
    whether its query runs, has become long or waits for a place, it is stopped at once,
    on every front, and the workers are idle again."""
    port = int(single.url.rsplit(":", 1)[1])

    def send(n: int) -> socket.socket:
        """A runaway by POST, or by GET for even ``n``."""
        body = urlencode({"query": f"{RUNAWAY} # gone {n}"}).encode()
        sock = socket.create_connection(("127.0.0.1", port))
        if n % 2 == 0:
            sock.sendall(get(f"/sparql?{body.decode()}", f"Accept: {SRJ}"))
            return sock
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + SRJ.encode() +
                     b"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        return sock

    waiting = [send(1), send(2), send(3)]  # one runs, two wait for the place
    time.sleep(0.3)
    for sock in waiting:
        sock.close()
    wait_for_log(single, STOPPED, 3, limit=10)
    idle = _workers_cpu(single)
    long = [send(4), send(5)]  # each becomes long in turn, at the lowest priority
    time.sleep(1.5)
    assert _workers_cpu(single) - idle > 0.5  # they run
    for sock in long:
        sock.close()
    stopped = wait_for_log(single, STOPPED, 5, limit=10)
    assert len(stopped) == 5, single.stderr.read_text()[-3000:]
    assert all(": 499 query stopped: its client closed the connection " in line
               for line in stopped)
    assert {line.split()[3] for line in stopped} == {"GET", "POST"}
    assert sum("before the query started" in line for line in stopped[:3]) >= 1
    ran = [float(m[1]) for line in stopped[3:] if (m := re.search(r"after (\d+\.\d) s$", line))]
    assert ran and max(ran) >= 1.0, stopped  # the first of them had become long
    before = _workers_cpu(single)
    time.sleep(1.0)
    assert _workers_cpu(single) - before < 0.3  # no worker runs a query any more
    small = f"SELECT ?p ?o WHERE {{ <{IRIS.pledge('japan-2023', 2)}> ?p ?o }} # after"
    response, took = timed(lambda: post(single.url, small, source="127.0.0.5", timeout=30))
    assert response.status_code == 200 and took < QUICK_S, (response.status_code, took)


def _workers_cpu(server: Server) -> float:
    """Processor seconds used so far by the server's query workers (every descendant
    process but the fronts)."""
    fronts = {server.process.pid, *server.fronts()}
    ticks = 0
    for pid in descendants(server.process.pid):
        if pid in fronts:
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


WIDE = "http://example.org/wide"


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server holding a named graph of 95,000 triples: reading it whole takes a worker
    about half a second."""
    path = tmp_path_factory.mktemp("wide") / "wide.nt"
    path.write_text("".join(f'<http://example.org/w/{n}> <http://example.org/p> "value {n}" .\n'
                            for n in range(95_000)), encoding="utf-8")
    with running("--also", f"{WIDE}={path}") as server:
        yield server


def test_a_graph_store_read_whose_client_goes_is_stopped(wide):
    """The Graph Store's reads are queries too: one whose client closes the connection is
    stopped, not run to its end for no one."""
    port = int(wide.url.rsplit(":", 1)[1])
    with wide.client() as client:  # the graph is served whole to a client that stays
        whole = client.get("/store", params={"graph": WIDE},
                           headers={"Accept": "application/n-triples"})
    assert whole.status_code == 200 and whole.text.count("\n") == 95_000
    for _ in range(2):  # one connection after another: each front
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(get(f"/store?graph={quote(WIDE, safe='')}",
                             "Accept: application/n-triples"))
            time.sleep(0.1)
    stopped = wait_for_log(wide, STOPPED, 2, limit=10)
    assert len(stopped) == 2, wide.stderr.read_text()[-3000:]
    assert all(" GET /store: 499 query stopped: its client closed the connection " in line
               for line in stopped), stopped


def test_clients_that_leave_at_every_moment_leave_every_place_free():
    """Clients that close their connections at every moment of a query's life (before its
    body is whole, while it waits for a place, runs, has become long or is being answered),
    through both fronts, then wait for nothing: afterwards every place is free again. As
    many small queries as there are places, from as many clients, are answered at once,
    and no worker is left running."""
    with running("--queries", "2", "--long-queries", "1", "--queue", "8",
                 "--timeout", "3") as server:
        port = int(server.url.rsplit(":", 1)[1])
        queries = [RUNAWAY, f"SELECT ?p ?o WHERE {{ <{IRIS.pledge('japan-2023', 1)}> ?p ?o }}",
                   "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"]

        def leave(n: int) -> None:
            body = urlencode({"query": f"{queries[n % 3]} # churn {n}"}).encode()
            head = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + SRJ.encode()
                    + b"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(head + (body if n % 5 else body[:10]))
                time.sleep((n * 37 % 100) / 100 * 0.6)  # 0 to 0.6 s, spread out

        with ThreadPoolExecutor(max_workers=40) as pool:
            list(pool.map(leave, range(80)))
        time.sleep(3.5)  # past the time limit: whatever still ran has been stopped
        before = _workers_cpu(server)
        time.sleep(1.0)
        assert _workers_cpu(server) - before < 0.3  # no worker runs a query any more
        small = [f"ASK {{ <{IRIS.pledge('japan-2023', 2)}> ?p ?o }} # after {n}"
                 for n in range(2)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            answered = list(pool.map(
                lambda n: timed(lambda: post(server.url, small[n], source=f"127.0.0.{20 + n}",
                                             timeout=30)), range(2)))
        assert [r.status_code for r, _ in answered] == [200, 200]
        assert max(took for _, took in answered) < QUICK_S, answered
