"""Test support for the external-store tests: the real stores on loopback, each started and
stopped by its own PID, a release built by the real CLI, the CLI itself, and comparisons
that allow for what engines may differ in.

Oxigraph server comes with the test extras (the `oxigraph` package); Virtuoso Open Source is
the Debian package `virtuoso-opensource`, run through scripts/virtuoso.sh."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
from rdflib import XSD, Graph, Literal

from pledge_graph.paths import DATA_DIR, PROJECT_ROOT

__all__ = ["BIN", "BLANK_LABEL", "build_release", "cli", "csv_rows", "free_port", "graph_iri",
           "integers_as_xsd_integer", "parse_graph", "query_endpoint", "relabelled",
           "release_copy", "run_oxigraph", "run_virtuoso", "serve", "sparql_json", "stop",
           "triple_lines", "wait_for"]

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``pledge-graph`` as a user would, by its installed script."""
    return subprocess.run([str(BIN / "pledge-graph"), *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 30,
             log: Path | None = None) -> None:
    """Return once something answers at ``url``; fail if ``process`` exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text() if log else ""
            raise RuntimeError(f"{process.args} exited with {process.returncode}: {said}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a process this module started, by its PID."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


def build_release(root: Path) -> Path:
    """Import the bundled pledge documents and build them into a release under ``root``."""
    data = root / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    sources = sorted((DATA_DIR / "sources").glob("*.txt"))
    for step in (["import", *map(str, sources), "--data", str(data)],
                 ["build", "--data", str(data), "--out", str(root / "dist")]):
        done = cli(*step)
        assert done.returncode == 0, done.stderr
    return root / "dist"


def graph_iri(release: Path) -> str:
    """The release's graph IRI in a store, ``<base>dataset/<version>``."""
    manifest = json.loads((release / "manifest.json").read_text())
    return f"{manifest['base']}dataset/{manifest['version']}"


def release_copy(release: Path, to: Path, name: str) -> Path:
    """Copy the release to ``to`` under its version plus ``name``, so that it loads into a
    graph of its own (a store holds one graph per release version)."""
    shutil.copytree(release, to)
    manifest = json.loads((to / "manifest.json").read_text())
    suffix = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
    manifest["version"] = f"{manifest['version']}-{suffix}"
    (to / "manifest.json").write_text(json.dumps(manifest))
    return to


def query_endpoint(store_url: str) -> str:
    """The query endpoint of a store URL, written out here to check the loader's discovery."""
    plain = store_url.replace("dba:dba@", "")
    return plain + ("/sparql" if "dba:dba@" in store_url else "/query")


def sparql_json(endpoint: str, query: str) -> dict:
    """Ask an endpoint directly, for SPARQL JSON results."""
    response = httpx.post(endpoint, data={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    response.raise_for_status()
    return response.json()


def run_oxigraph(folder: Path) -> Iterator[str]:
    """Run an Oxigraph server on a free loopback port, its store in ``folder``; yield its URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "oxigraph"), "serve", "--location", str(folder),
         "--bind", f"127.0.0.1:{port}", "--timeout-s", "10"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/", process)
        yield url
    finally:
        stop(process)


def run_virtuoso(folder: Path) -> Iterator[str]:
    """Run a private Virtuoso instance on free loopback ports, its database in ``folder``;
    yield its URL with the fresh database's credentials (dba, dba)."""
    script = PROJECT_ROOT / "scripts" / "virtuoso.sh"
    http_port = free_port()
    started = subprocess.run(
        ["bash", str(script), "start", str(folder), str(free_port()), str(http_port)],
        capture_output=True, text=True, timeout=120, check=False)
    try:
        assert started.returncode == 0, started.stderr
        yield f"http://dba:dba@127.0.0.1:{http_port}"
    finally:
        subprocess.run(["bash", str(script), "stop", str(folder)], timeout=60, check=False)


def serve(release: Path, *extra: str) -> Iterator[str]:
    """Run ``pledge-graph serve`` on the release on a free loopback port; yield its URL."""
    port = free_port()
    log = release.parent / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "pledge-graph"), "serve", "--data", str(release.parent / "data"),
             "--out", str(release), "--host", "127.0.0.1", "--port", str(port), *extra],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/sparql?query=ASK%7B%7D", process, seconds=60, log=log)
        yield url
    finally:
        stop(process)


# ---------------------------------------------------------------------------------------------
# Comparing answers across engines
# ---------------------------------------------------------------------------------------------


def integers_as_xsd_integer(graph: Graph) -> Graph:
    """Oxigraph (embedded and server) stores every xsd:integer subtype as xsd:integer;
    Virtuoso keeps the dump's datatype. Compare the two on Oxigraph's form."""
    result = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype in _INTEGER_TYPES:
            o = Literal(str(o), datatype=XSD.integer)
        result.add((s, p, o))
    return result


_INTEGER_TYPES = {XSD[t] for t in (
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


# a blank node label in SPARQL JSON or XML results, RDF/XML, or any other format (_:label)
BLANK_LABEL = re.compile(rb'(?<="bnode","value":")[^"]+|(?<=<bnode>)[^<]+'
                         rb'|(?<=rdf:nodeID=")[^"]+|(?<=_:)[A-Za-z0-9_]+')


def relabelled(body: bytes) -> bytes:
    """``body`` with its blank node labels renamed b0, b1... in order of first appearance:
    each store chooses its own labels for each answer."""
    names: dict[bytes, bytes] = {}
    return BLANK_LABEL.sub(lambda m: names.setdefault(m.group(), b"b%d" % len(names)), body)


def triple_lines(body: bytes, media_type: str) -> list[bytes]:
    """A graph's triples as sorted N-Triples lines, blank nodes relabelled."""
    triples = ox.parse(body, format=ox.RdfFormat.from_media_type(media_type))
    return sorted(relabelled(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)).splitlines())


def parse_graph(body: bytes, media_type: str) -> Graph:
    """Parse an answer with pyoxigraph (rdflib's JSON-LD parser warns on its own API)."""
    triples = ox.parse(body, format=ox.RdfFormat.from_media_type(media_type))
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                         format="nt")


def csv_rows(text: str) -> list[tuple[str, ...]]:
    """CSV rows, sorted, each cell's space-separated values sorted (SPARQL leaves the order
    of GROUP_CONCAT to the engine), and booleans as 1 and 0 (Virtuoso gives the value of a
    boolean expression as an integer)."""
    booleans = {"true": "1", "false": "0"}
    return sorted(tuple(" ".join(sorted(booleans.get(cell, cell).split(" "))) for cell in row)
                  for row in csv.reader(io.StringIO(text)))
