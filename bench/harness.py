"""What the benchmarks share: timed child processes, servers on loopback, wrk runs.

Every server is started directly (no shell) on 127.0.0.1 and stopped by its own PID; every
child's peak memory is read from its own rusage (``os.wait4``), not from the process group.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = [
    "BIN",
    "ROOT",
    "Child",
    "Server",
    "free_port",
    "median",
    "run_child",
    "serve",
    "tree_pids",
    "tree_pss_mb",
    "tree_rss_mb",
    "wrk",
]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Child:
    """A finished child process: wall time, peak resident memory, exit status, stderr."""

    seconds: float
    max_rss_mb: float
    returncode: int
    stderr: str
    tree_rss_mb: float = 0.0


@dataclass(frozen=True)
class Server:
    """A running server: its PID and the URL it answers on."""

    pid: int
    url: str


def median(values: Sequence[float]) -> float:
    """Return the median (the benchmarks report medians of several runs)."""
    return float(statistics.median(values))


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_child(argv: Sequence[str], *, cwd: Path | None = None) -> Child:
    """Run one command to its end; return its wall time and peak memory.

    ``max_rss_mb`` is the largest resident set of the command or any one of its descendants
    (``wait4``); ``tree_rss_mb`` is the largest sum over the command and all its worker
    processes at once, sampled four times a second (pages shared after a fork count in each
    process, so the sum is an upper bound).
    """
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.25):
                peak[0] = max(peak[0], tree_rss_mb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        done.set()
        sampler.join()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    own = usage.ru_maxrss / 1024
    return Child(seconds, own, process.returncode, stderr, max(peak[0], own))


def tree_pids(pid: int) -> list[int]:
    """Return a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def _summed(pid: int, path: str, field: str) -> float:
    """Sum a ``/proc/PID/<path>`` field (in kB) over a process tree, in MiB."""
    total = 0.0
    for current in tree_pids(pid):
        try:
            for line in Path(f"/proc/{current}/{path}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def tree_rss_mb(pid: int) -> float:
    """Return the resident memory of a process and all its descendants, in MiB (pages
    shared after a fork count in each process)."""
    return _summed(pid, "status", "VmRSS:")


def tree_pss_mb(pid: int) -> float:
    """Return the proportional set size of a process and all its descendants, in MiB: each
    shared page counts once over the processes that share it."""
    return _summed(pid, "smaps_rollup", "Pss:")


@contextmanager
def serve(argv: Sequence[str], ready: str, *, seconds: float = 120,
          log: Path | None = None) -> Iterator[Server]:
    """Start a server, wait until ``ready`` answers (any HTTP status), stop it by PID."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {process.returncode} (log: {log})")
            try:
                httpx.get(ready, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[0]} did not answer at {ready}") from None
                time.sleep(0.05)
        yield Server(process.pid, ready)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        if log:
            out.close()  # type: ignore[union-attr]


_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(url: str, lua: str, *, connections: int = 8, seconds: int = 5,
        timeout: int = 60) -> dict[str, float]:
    """Load ``url`` with wrk driven by a Lua script; return requests/s, p50 and p99 in ms,
    and the count of failed requests (non-2xx/3xx answers and socket errors)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        done = subprocess.run(
            ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
             f"--timeout={timeout}s", "--latency", "-s", script.name, url],
            capture_output=True, text=True, check=True, timeout=seconds + timeout + 30)
    finally:
        os.unlink(script.name)
    text = done.stdout
    latency = {m[0]: float(m[1]) * _UNITS[m[2]] for m in _LATENCY.findall(text)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        text)
    errors = int(non2xx[1]) if non2xx else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    requests = re.search(r"(\d+) requests in", text)
    return {
        "rps": float(rps[1]) if rps else 0.0,
        "p50_ms": latency.get("50", 0.0),
        "p99_ms": latency.get("99", 0.0),
        "errors": errors,
        "requests": int(requests[1]) if requests else 0,
    }
