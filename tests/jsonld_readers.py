"""Independent JSON-LD readers, run with the network closed: rdflib's parser, pyld's toRdf and
jsonld.js's toRDF (node, installed into .test-node/ by scripts/test.sh), each giving an rdflib
graph to compare with the Turtle.

"Offline" is proved, not assumed: while a reader runs, an audit hook refuses every name lookup,
connection and URL opened by this process (rdflib fetches a remote context with urllib), and
pyld and jsonld.js are given a document loader that refuses every document.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from rdflib import Graph

__all__ = ["READERS", "NetworkRefused", "jsonld_js_graph", "no_network", "pyld_graph",
           "rdflib_graph", "refuse_documents"]

TESTS = Path(__file__).resolve().parent
NODE_MODULES = TESTS.parent / ".test-node" / "node_modules"

_NETWORK_EVENTS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.connect",
                   "socket.sendto", "urllib.Request"}
_closed = threading.local()
_hooked = False


class NetworkRefused(RuntimeError):
    """A reader tried to reach the network while it was closed."""


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in _NETWORK_EVENTS and getattr(_closed, "on", False):
        raise NetworkRefused(f"network closed: {event}{args!r}")


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Refuse, in this thread, every name lookup, connection and URL request."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # audit hooks cannot be removed: it stays, idle when open
        _hooked = True
    _closed.on = True
    try:
        yield
    finally:
        _closed.on = False


def refuse_documents(url: str, options: Any = None) -> Any:
    """pyld's document loader for offline reading: no document is loaded, from anywhere."""
    raise NetworkRefused(f"document loader called for {url}")


def rdflib_graph(data: bytes | str) -> Graph:
    """The graph rdflib reads from a JSON-LD document, offline."""
    with no_network():
        return Graph().parse(data=data, format="json-ld")


def pyld_graph(data: bytes | str) -> Graph:
    """The graph pyld reads from a JSON-LD document (toRdf as N-Quads), offline."""
    with no_network():
        nquads = jsonld.to_rdf(json.loads(data), {"format": "application/n-quads",
                                                   "documentLoader": refuse_documents})
    return Graph().parse(data=nquads, format="nt")


def jsonld_js_graph(data: bytes | str) -> Graph:
    """The graph jsonld.js reads from a JSON-LD document (toRDF as N-Quads), offline."""
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "jsonld").is_dir():
        pytest.skip(f"jsonld.js is not installed in {NODE_MODULES} (scripts/test.sh installs it)")
    done = subprocess.run([node, str(TESTS / "jsonld_to_rdf.js")], check=False, timeout=120,
                          input=data.encode("utf-8") if isinstance(data, str) else data,
                          capture_output=True, env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return Graph().parse(data=done.stdout.decode("utf-8"), format="nt")


READERS = {"rdflib": rdflib_graph, "pyld": pyld_graph, "jsonld.js": jsonld_js_graph}
"""Every reader, by name, for tests parametrised over them."""
