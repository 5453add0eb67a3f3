"""Query workers without a network (pledge_graph.store.sandbox): each runs in an empty network
namespace, so no query text can make them connect anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from recording import Recorder

from pledge_graph.errors import QuerySyntaxError, StoreError
from pledge_graph.store import sandbox
from pledge_graph.store.embedded import ENGINE_FAILED, EmbeddedStore
from pledge_graph.store.pool import ProcessPool

UNAVAILABLE = sandbox.available()
needs_isolation = pytest.mark.skipif(UNAVAILABLE is not None,
                                     reason=f"no network namespaces here: {UNAVAILABLE}")
JSON = {"solutions": "application/sparql-results+json"}
NODE = ox.NamedNode("http://example.org/a")


def run(code: str) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter (isolating this one would cut the tests off)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)


@needs_isolation
def test_an_isolated_process_sees_only_a_loopback_that_is_down():
    done = run("import socket\nfrom pledge_graph.store import sandbox\nsandbox.isolate()\n"
               "print(socket.if_nameindex())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[(1, 'lo')]"


@needs_isolation
def test_an_isolated_engine_reaches_nothing_whatever_the_query_says():
    with Recorder() as listener:
        done = run("import pyoxigraph as ox\nfrom pledge_graph.store import sandbox\n"
                   "sandbox.isolate()\ntry:\n"
                   f"    list(ox.Store().query('SELECT * {{ SERVICE <{listener.url}/x> "
                   "{ ?s ?p ?o } }'))\n"
                   "except OSError as error:\n    print('refused:', error)")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("refused:")
        assert listener.seen() == []


def test_a_process_with_threads_is_not_isolated():
    done = run("import threading, time\nfrom pledge_graph.store import sandbox\n"
               "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n"
               "try:\n    sandbox.isolate()\nexcept sandbox.IsolationError as error:\n"
               "    print(error)")
    assert "threads" in done.stdout


@pytest.mark.parametrize("threads", [1, 2])
def test_the_probe_says_why_a_process_cannot_be_isolated(threads):
    """Whether the probe forks (one thread) or starts an interpreter (more), a refusal comes
    back with its reason; here the forked child refuses as the patched function says."""
    done = run("import threading, time\nfrom pledge_graph.store import sandbox\n"
               "def refuse():\n    raise sandbox.IsolationError('no namespaces here')\n"
               "sandbox.isolate = refuse\n"
               f"for _ in range({threads} - 1):\n"
               "    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n"
               "print(repr(sandbox.available()))")
    assert done.returncode == 0, done.stderr
    expected = "'no namespaces here'" if threads == 1 else repr(UNAVAILABLE)
    assert done.stdout.strip() == expected


@needs_isolation
def test_the_probe_leaves_the_server_its_network():
    done = run("import socket\nfrom pledge_graph.store import sandbox\n"
               "listener = socket.create_server(('127.0.0.1', 0))\n"
               "print(sandbox.available())\n"
               "socket.create_connection(listener.getsockname(), timeout=2).close()\n"
               "print('connected')")
    assert done.stdout.split() == ["None", "connected"], done.stderr


def test_the_policy_is_chosen_before_the_workers_start(monkeypatch):
    monkeypatch.delenv(sandbox.ENV, raising=False)
    assert sandbox.prepare(allow_service=True, no_isolation=False).startswith("WARNING")
    assert os.environ[sandbox.ENV] == "allowed"
    assert "network" in sandbox.prepare(allow_service=False, no_isolation=True)
    assert "external store" in sandbox.prepare(allow_service=False, no_isolation=False,
                                               remote=True)
    if UNAVAILABLE is None:
        assert "without a network" in sandbox.prepare(allow_service=False, no_isolation=False)
        assert os.environ[sandbox.ENV] == "isolated"
    else:
        with pytest.raises(sandbox.IsolationError, match="--no-network-isolation"):
            sandbox.prepare(allow_service=False, no_isolation=False)


def _store(path: Path) -> Path:
    store = EmbeddedStore(path)
    store.native.add(ox.Quad(NODE, NODE, ox.Literal("1"), ox.DefaultGraph()))
    store.flush()
    return path


def _fill(store: EmbeddedStore) -> None:
    store.native.add(ox.Quad(NODE, NODE, ox.Literal("1"), ox.DefaultGraph()))


@needs_isolation
@pytest.mark.parametrize("in_memory", [False, True])
def test_pool_workers_run_in_their_own_network_namespace(tmp_path, in_memory):
    pool = ProcessPool(_store(tmp_path / "store"), workers=1,
                       loader=_fill if in_memory else None)
    try:
        if in_memory:
            assert pool.wait_in_memory(60)
        with Recorder() as listener:
            query = f"SELECT * WHERE {{ SERVICE <{listener.url}/pool> {{ ?s ?p ?o }} }}"
            with pytest.raises(StoreError) as refused:
                pool.query(query, media_types=JSON)
            assert str(refused.value) == ENGINE_FAILED
            assert listener.seen() == []
        ours = os.readlink("/proc/self/ns/net")
        assert all(os.readlink(f"/proc/{pid}/ns/net") != ours for pid in pool.worker_pids())
        assert pool.query("ASK { ?s ?p ?o }", media_types={"boolean": JSON["solutions"]})
    finally:
        pool.close()


HOSTILE_IRIS = [
    "http://example.org/a> } SERVICE <http://127.0.0.1:9/> { <x:y",
    "http://example.org/a b",
    "http://example.org/{a}",
    "not an iri",
]


def test_lookups_in_the_serving_process_take_only_valid_iris(tmp_path):
    # resource descriptions run in the server's own process (it has a network), from a
    # fixed query with one IRI in it: an IRI that is not valid never reaches the engine
    pool = ProcessPool(_store(tmp_path / "store"), workers=1)
    try:
        for iri in HOSTILE_IRIS:
            with pytest.raises(QuerySyntaxError, match="not an absolute IRI"):
                pool.resource(iri, "application/n-triples")
            with pytest.raises(QuerySyntaxError, match="not an absolute IRI"):
                pool.labels([iri])
        assert pool.resource("http://example.org/SERVICE", "application/n-triples").count == 0
    finally:
        pool.close()
