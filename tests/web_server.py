"""Test support for the serving tests: the bundled release, built once per test run, and
real ``pledge-graph serve`` processes on an ephemeral loopback port."""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pledge_graph.paths import DATA_DIR
from pledge_graph.store import sandbox

__all__ = ["W3C_GRAPHS", "Server", "bundled_release", "cli", "generated_data", "generated_release",
           "isolation_unavailable", "w3c_quads"]

W3C_GRAPHS = [f"http://kasei.us/2009/09/sparql/data/data{n}.rdf" for n in (1, 2, 3)]
GENERATOR = Path(__file__).parents[1] / "bench" / "generate.py"


def cli(*args: str | Path, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the ``pledge-graph`` command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "pledge_graph.cli", *map(str, args)],
                          capture_output=True, text=True, check=check, timeout=timeout)


@functools.cache
def bundled_release() -> tuple[Path, Path]:
    """Build the bundled pledges (a copy of data/) once; return (data dir, release dir)."""
    root = Path(tempfile.mkdtemp(prefix="pledge-graph-web-tests-"))
    atexit.register(shutil.rmtree, root, True)
    data = root / "data"
    shutil.copytree(DATA_DIR, data)
    for source in sorted((data / "sources").glob("*.txt")):
        if not (data / "records" / f"{source.stem}.yaml").exists():
            cli("import", source, "--data", data)
    cli("build", "--data", data, "--out", root / "dist")
    return data, root / "dist"


def generated_data(tmp: Path, pledges: int, seed: int) -> Path:
    """Generate ``pledges`` pledges in the six UN languages (``bench/generate.py``) and
    import them under ``tmp``; return the data dir."""
    subprocess.run([sys.executable, str(GENERATOR), "--pledges", str(pledges), "--seed",
                    str(seed), "--out", str(tmp / "corpus")],
                   check=True, capture_output=True, timeout=120)
    data = tmp / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    cli("import", tmp / "corpus", "--data", data, timeout=300)
    return data


def generated_release(tmp: Path, pledges: int, seed: int) -> tuple[Path, Path]:
    """:func:`generated_data`, built under ``tmp``; return (data dir, release dir)."""
    data = generated_data(tmp, pledges, seed)
    cli("build", "--data", data, "--out", tmp / "dist", timeout=300)
    return data, tmp / "dist"


def w3c_quads(directory: Path) -> Path:
    """Write the W3C protocol tests' graphs (data1..3.rdf as named graphs) as N-Quads."""
    path = directory / "w3c-protocol.nq"
    lines = [f"<{g}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
             f"<http://xmlns.com/foaf/0.1/Document> <{g}> .\n" for g in W3C_GRAPHS]
    path.write_text("".join(lines), encoding="utf-8")
    return path


@functools.cache
def isolation_unavailable() -> str | None:
    """Why query workers cannot be isolated from the network here (None when they can)."""
    return sandbox.available()


class Server:
    """A ``pledge-graph serve`` process on 127.0.0.1 with an ephemeral port (its query
    workers without a network, unless this system cannot isolate them)."""

    def __init__(self, *args: str | Path, log_dir: Path | None = None) -> None:
        data, release = bundled_release()
        if isolation_unavailable() and "--allow-service" not in args:
            args = (*args, "--no-network-isolation")
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="pledge-graph-serve-"))
        self.stdout = self.log_dir / "stdout.log"
        self.stderr = self.log_dir / "stderr.log"
        self.started = time.monotonic()
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pledge_graph.cli", "serve", "--data", str(data),
                 "--out", str(release), "--host", "127.0.0.1", "--port", "0", *map(str, args)],
                stdout=out, stderr=err, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = self._wait_for_url()
        self.ready = time.monotonic()

    def _wait_for_url(self, limit: float = 60) -> str:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            match = re.search(r"at (http://127\.0\.0\.1:\d+)/", self.stdout.read_text())
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.stderr.read_text()}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("serve did not print its URL in time")

    def wait_for(self, said: str, limit: float = 60) -> None:
        """Wait until the server prints ``said`` (it says when its in-memory copy is ready)."""
        deadline = time.monotonic() + limit
        while said not in self.stdout.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not say {said!r}: {self.stderr.read_text()}")
            time.sleep(0.05)

    def client(self, **kwargs: object) -> httpx.Client:
        """Return an httpx client for this server."""
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def fronts(self) -> list[int]:
        """The PIDs of the server's other front processes (``serve --fronts``), running."""
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                children = [int(n) for n in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                try:  # a front that has ended (a zombie) has no command line
                    command = Path(f"/proc/{child}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"pledge_graph.web.fronts" in command:
                    found.append(child)
        return found

    def stop(self) -> None:
        """Stop the server process (by its PID) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.log_dir, ignore_errors=True)


def descendants(pid: int) -> list[int]:
    """The PIDs of every process below ``pid`` (its children, theirs...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(
                int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def get(path: str, *headers: str) -> bytes:
    """A GET of ``path`` as raw bytes, with ``headers`` (lines), for a plain socket."""
    lines = "".join(f"{h}\r\n" for h in headers)
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}Connection: close\r\n\r\n".encode()


def stderr_lines(server: Server, text: str) -> list[str]:
    """The lines of the server's log that hold ``text``."""
    return [line for line in server.stderr.read_text().splitlines() if text in line]


def wait_for_log(server: Server, text: str, count: int = 1, limit: float = 20) -> list[str]:
    """:func:`stderr_lines` once there are ``count`` of them (or after ``limit`` seconds)."""
    deadline = time.monotonic() + limit
    while len(found := stderr_lines(server, text)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def fronts_pss_mb(server: Server) -> float:
    """Proportional set size of a server's front processes (the first and the others it
    started; not its query workers), in MiB."""
    total = 0.0
    for current in [server.process.pid, *server.fronts()]:
        try:
            text = Path(f"/proc/{current}/smaps_rollup").read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in text.splitlines()
                     if line.startswith("Pss:")) / 1024
    return total
