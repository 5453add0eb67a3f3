"""Attacks on the HTTP edge, measured: slowloris connections and clients that never read.

    python bench/attacks_edge.py [--slowloris 2000] [--non-readers 50] [--seconds 20]
                                 [--triples 60000] [-- SERVE OPTIONS...]

Serves the bundled release plus a generated graph (``--triples`` triples with 200-byte
literals, loaded with ``--also``; about 15 MB as N-Triples at the default size) on loopback,
warms one CONSTRUCT of that graph (the server keeps its answer), then for ``--seconds``
keeps ``--slowloris`` connections open that trickle request headers (one header line per
connection every second, reconnecting when the server closes one) and ``--non-readers``
connections, with a small receive buffer, that ask for a large answer and never read: 7 in
10 the kept CONSTRUCT answer (shared), 1 in 10 the same graph through the Graph Store
Protocol (never kept: one answer per client), 2 in 10 the N-Triples dump (a file, read in
pieces). Meanwhile a client (a plain socket) times ``GET /`` on a new connection every
50 ms (and for 5 s before the attack, for comparison). Reports the latency (p50, p99, max),
failures, the server's memory as the proportional set size (from
``/proc/PID/smaps_rollup``) of its process tree and of the server process alone (the
query workers grow while they make large answers: that is the query pool's bound), before
(both large answers asked once) and at most during the attack, and the load average
before and after. Writes bench/results/attacks_edge.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from harness import BIN, ROOT, free_port, median, serve, tree_pss_mb

GRAPH = "http://example.org/bench/big"
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"


def big_graph(path: Path, triples: int) -> Path:
    """Write ``triples`` N-Triples with 200-byte literals (a large answer to serve)."""
    filler = "x" * 200
    with path.open("w", encoding="utf-8") as out:
        for n in range(triples):
            out.write(f"<http://example.org/s/{n}> <http://example.org/p> \"{n} {filler}\" .\n")
    return path


def request_bytes(path: str, extra: str = "") -> bytes:
    """A GET request for ``path`` on one connection."""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/n-triples\r\n"
            f"{extra}\r\n").encode()


class Slowloris(threading.Thread):
    """Keeps ``count`` connections trickling request headers, reconnecting closed ones."""

    def __init__(self, port: int, count: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.port, self.count, self.deadline = port, count, deadline
        self.sockets: list[socket.socket | None] = [None] * count
        self.reconnects = 0
        self.open_counts: list[int] = []

    def _connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            sock.setblocking(False)
            sock.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            return sock
        except OSError:
            return None

    def run(self) -> None:
        for i in range(self.count):
            self.sockets[i] = self._connect()
        while time.monotonic() < self.deadline:
            tick = time.monotonic()
            alive = 0
            for i, sock in enumerate(self.sockets):
                if time.monotonic() > self.deadline:
                    break
                try:
                    if sock is None:
                        raise OSError
                    sock.recv(4096, socket.MSG_PEEK)
                    raise OSError  # an answer (408) or the end: the server closed it
                except BlockingIOError:
                    pass
                except OSError:
                    if sock is not None:
                        sock.close()
                    sock = self.sockets[i] = self._connect()
                    self.reconnects += 1
                    if sock is None:
                        continue
                try:
                    sock.send(b"X-Trickle: a\r\n")
                    alive += 1
                except OSError:
                    pass
            self.open_counts.append(alive)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))

    def close(self) -> None:
        for sock in self.sockets:
            if sock is not None:
                sock.close()


NON_READER_PATHS = (
    "/store?graph=" + quote(GRAPH),  # never kept: an answer of its own per client
    *["/sparql?query=" + quote(CONSTRUCT)] * 7,  # kept by the server: one answer, shared
    *["/dumps/pledge-graph.nt"] * 2,  # a file, read in pieces
)


def non_readers(port: int, count: int) -> list[socket.socket]:
    """Open ``count`` connections that ask for large answers and never read them."""
    opened = []
    for n in range(count):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(request_bytes(NON_READER_PATHS[n % len(NON_READER_PATHS)]))
        opened.append(sock)
    return opened


def probe(port: int, deadline: float) -> tuple[list[float], list[str]]:
    """Time ``GET /`` on a new connection (a plain socket: the client costs next to
    nothing) every 50 ms until ``deadline``: from connecting to the end of the answer."""
    latencies, failures = [], []
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(request)
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            if not answer.startswith(b"HTTP/1.1 200 "):
                failures.append(answer[:40].decode("latin-1"))
            else:
                latencies.append((time.perf_counter() - started) * 1000)
        except OSError as error:
            failures.append(type(error).__name__)
        time.sleep(0.05)
    return latencies, failures


def process_pss_mb(pid: int) -> float:
    """The proportional set size of the server process alone (not its query workers)."""
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return sum(int(line.split()[1]) for line in text.splitlines()
               if line.startswith("Pss:")) / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def attack(port: int, pid: int, args: argparse.Namespace) -> dict[str, object]:
    """Run the attack for ``args.seconds`` and return what it observed."""
    load_before = [round(x, 2) for x in os.getloadavg()]
    quiet, _ = probe(port, time.monotonic() + 5)
    before, main_before = tree_pss_mb(pid), process_pss_mb(pid)
    print(f"attack on server {pid} starts", file=sys.stderr, flush=True)
    deadline = time.monotonic() + args.seconds
    loris = Slowloris(port, args.slowloris, deadline)
    loris.start()
    time.sleep(2)
    readers = non_readers(port, args.non_readers)
    samples: list[float] = []
    main_samples: list[float] = []

    def sample() -> None:
        while time.monotonic() < deadline:
            samples.append(tree_pss_mb(pid))
            main_samples.append(process_pss_mb(pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    latencies, failures = probe(port, deadline)
    loris.join()
    sampler.join()
    loris.close()
    for sock in readers:
        sock.close()
    return {
        "quiet_p50_ms": round(median(quiet or [0.0]), 1),
        "quiet_p99_ms": round(percentile(quiet, 0.99), 1),
        "probes": len(latencies) + len(failures), "failed": len(failures),
        "failures": failures[:10],
        "p50_ms": round(median(latencies or [0.0]), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
        "slowloris_open_median": int(median(loris.open_counts or [0])),
        "slowloris_reconnects": loris.reconnects,
        "pss_before_mb": round(before, 1), "pss_max_mb": round(max(samples, default=0.0), 1),
        "server_process_pss_before_mb": round(main_before, 1),
        "server_process_pss_max_mb": round(max(main_samples, default=0.0), 1),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    """Serve, attack, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slowloris", type=int, default=2000)
    parser.add_argument("--non-readers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--triples", type=int, default=60000)
    parser.add_argument("serve_options", nargs="*", help="more `serve` options (after --)")
    args = parser.parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = Path(tempfile.mkdtemp(prefix="pledge-graph-attacks-"))
    extra = big_graph(work / "big.nt", args.triples)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv_ = [str(BIN / "pledge-graph"), "serve", "--data", str(ROOT / "data"),
             "--out", str(work / "dist"), "--host", "127.0.0.1", "--port", str(port),
             "--also", f"{GRAPH}={extra}", *args.serve_options]
    log = work / "serve.log"
    with serve(argv_, url + "/sparql?query=ASK%7B%7D", seconds=600, log=log) as server:
        with httpx.Client(timeout=120) as client:
            size = len(client.get(url + "/sparql", params={"query": CONSTRUCT},
                                  headers={"Accept": "application/n-triples"}).content)
            client.get(url + NON_READER_PATHS[0], headers={"Accept": "application/n-triples"})
            client.get(url + "/")
        result = {"slowloris": args.slowloris, "non_readers": args.non_readers,
                  "seconds": args.seconds, "answer_bytes": size,
                  "serve_options": args.serve_options, **attack(port, server.pid, args)}
    result["server_log_tail"] = log.read_text(errors="replace").splitlines()[-8:]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "attacks_edge.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
