"""Test support for the external-store tests: the real stores on loopback, each started and
stopped by its own PID, a release built by the real CLI, and the CLI itself.

Oxigraph server comes with the test extras (the `oxigraph` package); Virtuoso Open Source is
the Debian package `virtuoso-opensource`, run through scripts/virtuoso.sh."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from pledge_graph.paths import DATA_DIR, PROJECT_ROOT

__all__ = ["BIN", "build_release", "cli", "free_port", "graph_iri", "run_oxigraph",
           "run_virtuoso", "serve", "stop", "wait_for"]

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
