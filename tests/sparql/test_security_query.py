"""Hostile queries against real ``pledge-graph serve`` processes on loopback: SERVICE calls
that must never leave the server, remote text that must never come back, texts that must
not stall other requests, and nesting that must not crash a worker.

A recording listener on 127.0.0.1 stands for what a SERVICE clause could reach. The fuzzed
SERVICE variants are run three ways: by the engine alone in this process (no guard, a
network: which of them would connect), through a server whose workers have a network
(the textual guard alone must refuse every one that would), and through a server whose
workers are isolated (nothing ever connects).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from recording import MARKER, Recorder
from web_server import Server, isolation_unavailable

from pledge_graph.errors import QueryRefused
from pledge_graph.sparql.guard import check_services

SPARQL_QUERY = {"Content-Type": "application/sparql-query"}


# --- fuzzed SERVICE clauses -----------------------------------------------------------------

KEYWORDS = ["SERVICE ", "service ", "SeRvIcE", "SERVICE SILENT ", "service\tsilent\n",
            "SERVICESILENT", "SERVICE # a comment ' \"\n", "\\u0053ERVICE "]
CONTEXTS = [  # text before the clause, inside the group, and what the suffix must close
    ("", ""),
    ("?s ?p ?o . ", ""),
    ("?s ?p ?o ", ""),
    ("?s a:p a:x\\' . ", " # '"),
    ("BIND(<http://x/\\u0041'> AS ?x) ", " # '"),
    ("?s <http://x/#a> ?o . ", ""),
    ("FILTER(?s <x:a&&'b> ') ", " #'"),
    ("FILTER(?s <x:a#> '''\n) ", "\n#'''"),
    ("?s ?p 'a\\'b' . ", ""),
    ('?s ?p "a\\"b" . ', ""),
    ("?s ?p '''x''y''' . ", ""),
    ('?s ?p """x""y""" . ', ""),
    ("# a comment ' \" <\n", ""),
    ("{ ?s ?p ?o } ", ""),
    ("OPTIONAL { ?s ?p ?o } ", ""),
    ("GRAPH ?g { ?s ?p ?o } ", ""),
    ("MINUS { ?s ?p ?o } ", ""),
    ("?s ?p true", ""),
    ("?s ?p 1e5", ""),
    ("?s ?p a:a.b.", ""),
    ("VALUES ?z { 'SERVICE <x:y> {' } ", ""),
]
PROLOGUE = "PREFIX a: <http://x/> PREFIX x: <http://x/> PREFIX e: <{url}/> "


def targets(url: str, n: int) -> list[tuple[str, str]]:
    """The ways to name endpoint ``url/v{n}/``: (text before the clause, the target).
    Oxigraph 0.5 runs no SERVICE whose endpoint is a variable, but the guard refuses them."""
    path = f"v{n}/"
    return [
        ("", f"<{url}/{path}>"),
        ("", f"<\\u0068ttp://127.0.0.1:{url.rsplit(':', 1)[1]}/{path}>"),
        ("", f"e:v{n}\\/"),
        ("", f"<{url}/\\u0076{n}/>"),
        (f"BIND(<{url}/{path}> AS ?t) ", "?t"),
        (f"VALUES ?t {{ <{url}/{path}> }} ", "?t"),
    ]


def variants(url: str, count: int = 320, seed: int = 1) -> list[str]:
    """Return ``count`` queries, each with one SERVICE clause to ``url/v<index>/`` dressed in
    one way of writing the keyword, the target, the text around it and the nesting."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        keyword = KEYWORDS[n % len(KEYWORDS)]
        before, closer = CONTEXTS[(n // len(KEYWORDS)) % len(CONTEXTS)]
        binding, target = rng.choice(targets(url, n))
        depth = rng.choice([0, 0, 1, 3])
        body = f"{before}{binding}{keyword}{target} {{ ?s ?p ?o }}{closer}\n"
        body = "{ " * depth + body + "}\n" * depth
        form = rng.choice(["SELECT * WHERE {{ {} }}", "ASK {{ {} }}", "SELECT ?s {{ {} }}"])
        found.append(PROLOGUE.format(url=url) + form.format(body))
    return found


BENIGN = [  # the word where it is no clause: never refused (URL: the listener's)
    "SELECT * WHERE { ?s ?p 'SERVICE <URL/b0/> { ?s ?p ?o }' }",
    'SELECT * WHERE { ?s ?p """\nSERVICE <URL/b1/> { }\n""" }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <URL/b2/> { ?s ?p ?o }",
    "SELECT ?service WHERE { ?service ?p <URL/b3/SERVICE> }",
    "PREFIX service: <URL/b4/> SELECT * WHERE { ?s service:p ?o }",
    ("PREFIX schema: <http://schema.org/> SELECT * WHERE { ?s a schema:Service . "
    "?s ?p '<URL/b5/> {' }"),
]


def connected(listener: Recorder) -> set[int]:
    """The variant numbers the listener was called for."""
    return {int(m[1]) for line in listener.seen() for m in re.finditer(r"/v(\d+)/", line)}


@pytest.fixture(scope="module")
def listener() -> Iterator[Recorder]:
    with Recorder() as recorder:
        yield recorder


@pytest.fixture(scope="module")
def networked(listener: Recorder) -> Iterator[Server]:
    """A server whose workers have a network: it may call two endpoints of the listener."""
    server = Server("--allow-service", f"{listener.url}/allowed", f"{listener.url}/fail")
    yield server
    server.stop()


def refused(query: str) -> bool:
    try:
        check_services(query)
    except QueryRefused:
        return True
    return False


def test_the_guard_alone_refuses_every_variant_the_engine_would_run(listener):
    queries = variants(listener.url)
    store = ox.Store()  # data every context's pattern matches, so each clause is reached
    node, p = ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p")
    double = ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")
    for value in (ox.NamedNode("http://x/x'"), ox.NamedNode("http://x/a.b"), ox.Literal("a'b"),
                  ox.Literal('a"b'), ox.Literal("x''y"), ox.Literal('x""y'), ox.Literal(True),
                  ox.Literal("1e5", datatype=double)):
        store.add(ox.Quad(node, p, value, ox.DefaultGraph()))
    store.add(ox.Quad(node, ox.NamedNode("http://x/#a"), node, ox.DefaultGraph()))
    store.add(ox.Quad(node, p, node, node))
    for query in queries:  # the engine alone, here, with a network and no guard
        try:
            result = store.query(query)
            if not isinstance(result, ox.QueryBoolean):
                list(result)
        except (SyntaxError, OSError, ValueError, RuntimeError):
            pass
    would = connected(listener)
    assert len(would) > len(queries) // 4, "the fuzz should make many live SERVICE calls"
    missed = [queries[n] for n in sorted(would) if not refused(queries[n])]
    assert missed == []
    assert [q for q in BENIGN if refused(q.replace("URL", listener.url))] == []


def test_the_guard_alone_keeps_networked_workers_from_every_variant(networked, listener):
    before = connected(listener)
    with networked.client() as client:
        for query in variants(listener.url, seed=2):
            answer = client.post("/sparql", content=query, headers=SPARQL_QUERY)
            assert answer.status_code in (400, 403), (query, answer.text)
            assert MARKER not in answer.text
    assert connected(listener) == before


def test_an_allowed_endpoint_failing_gives_no_remote_text(networked, listener):
    with networked.client() as client:
        ok = client.post("/sparql", headers=SPARQL_QUERY, content=(
            f"SELECT ?remote {{ SERVICE <{listener.url}/allowed> {{ ?remote ?p ?o }} }}"))
        assert ok.status_code == 200 and MARKER in ok.text  # its data, as asked
        for path in ("/fail", "/fail"):
            answer = client.post("/sparql", headers=SPARQL_QUERY,
                                 content=f"ASK {{ SERVICE <{listener.url}{path}> {{ ?s ?p ?o }} }}")
            assert answer.status_code == 500
            # the engine's words (which quote the endpoint) are logged, never answered
            assert MARKER not in answer.text and "logged as request" in answer.text
    assert listener.seen("/fail")


@pytest.fixture(scope="module")
def isolated(server: Server) -> Server:
    reason = isolation_unavailable()
    if reason:
        pytest.skip(f"query workers cannot be isolated here: {reason}")
    return server


def test_nothing_leaves_an_isolated_server(isolated, listener):
    before = connected(listener)
    bypasses = [  # the two that went through the old tokenizer, as reported
        (f"PREFIX a: <http://x/> SELECT * WHERE {{ ?s a:p a:x\\' . "
        f"SERVICE <{listener.url}/v9001/> {{ ?s ?p ?o }} # '\n}}"),
        (f"SELECT * WHERE {{ BIND(<http://x/\\u0041'> AS ?x) "
        f"SERVICE <{listener.url}/v9002/> {{ ?s ?p ?o }} # '\n}}"),
    ]
    with isolated.client() as client:
        for query in bypasses:
            answer = client.post("/sparql", content=query, headers=SPARQL_QUERY)
            assert answer.status_code == 403 and "SERVICE" in answer.text
        for query in variants(listener.url, seed=3):
            answer = client.get("/sparql", params={"query": query})
            assert answer.status_code in (400, 403) and MARKER not in answer.text
    assert connected(listener) == before


def test_the_server_runs_queries_in_another_network_namespace(isolated):
    """Every query worker is in a network namespace of its own. The server replaces some
    workers (those that answered the example queries, once they have), and a worker just
    forked enters its namespace as its first step, before it reads anything: so the
    workers are looked at until some are running and none is in ours, for at most 10 s."""
    ours = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 10
    while True:
        workers = _descendants(isolated.process.pid, below=1)  # not the fork server
        outside = []
        for pid in workers:
            try:
                if os.readlink(f"/proc/{pid}/ns/net") == ours:
                    outside.append(pid)
            except OSError:  # ended meanwhile
                continue
        if workers and not outside:
            break
        assert time.monotonic() < deadline, (workers, outside)
        time.sleep(0.05)


def _descendants(pid: int, below: int) -> list[int]:
    """The processes under ``pid`` deeper than ``below`` levels."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, level = [], [pid]
    for depth in range(1, 6):
        level = [child for parent in level for child in children.get(parent, [])]
        if depth > below:
            found += level
    return found


# --- texts that stalled every route -----------------------------------------------------------

STALLING = {
    "dots": "a." * 499_000,
    "prefixed dots": "a:a." * 249_000,
    "quotes": "'" * 999_000,
    "escaped long strings": "'''\\'" * 199_000,
    "open string": "ASK { ?s ?p '" + "a" * 998_000,
    "service words": "service." * 124_000,
    "codepoint escapes": "\\u0041" * 166_000,
    "prefixes": "PREFIX p: <http://example.org/> " * 30_000 + "SELECT * {}",
}


@pytest.mark.parametrize("name", list(STALLING))
def test_a_hostile_text_does_not_stall_other_requests(http, name):
    http.get("/")  # the landing page's figures are computed once
    body = STALLING[name].encode()
    done: list[int] = []
    attack = threading.Thread(target=lambda: done.append(httpx.post(
        str(http.base_url) + "/sparql", content=body, headers=SPARQL_QUERY,
        timeout=60).status_code))
    url = "/sparql?query=" + "a." * 4_000  # an 8 kB GET of the same kind, alongside
    attack.start()
    slowest = 0.0
    while attack.is_alive():
        started = time.perf_counter()
        assert http.get("/").status_code == 200
        slowest = max(slowest, time.perf_counter() - started)
        http.get(url)
    attack.join()
    assert done and done[0] < 500
    assert slowest < 1.0, f"GET / took {slowest:.2f} s while the text was read"


# --- nesting --------------------------------------------------------------------------------

DEEP = [
    "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000,
    "SELECT * WHERE { BIND(" + "STR(" * 2_000 + "1" + ")" * 2_000 + " AS ?x) }",
    "SELECT * WHERE { ?s <p:p> " + "[ <p:p> " * 1_000 + "1" + " ]" * 1_000 + " }",
    "ASK { FILTER(" + "!" * 50_000 + "true) }",
    "ASK { FILTER(" + "1+" * 20_000 + "1) }",
    "SELECT * WHERE { " + " UNION ".join(["{}"] * 10_000) + " }",
]


def test_deep_nesting_is_a_bad_request_and_the_workers_live_on(http):
    for query in DEEP:
        answer = http.post("/sparql", content=query, headers=SPARQL_QUERY)
        assert answer.status_code == 400, answer.text[:200]
        assert "this service allows" in answer.text
    assert http.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
