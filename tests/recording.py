"""Test support: an HTTP listener on 127.0.0.1 that records every connection made to it.

It stands for whatever a SERVICE clause could reach (an internal service, a port to scan).
It answers like a SPARQL endpoint, with a marker text in its answer, so a test can tell
whether anything it sent ever came back: a path starting ``/fail`` gets a 500 whose body is
the marker, any other path a one-row result holding it."""

from __future__ import annotations

import json
import socket
import threading
from types import TracebackType
from typing import Self

__all__ = ["MARKER", "Recorder"]

MARKER = "REMOTE-TEXT-7f3c"
"""Text the listener puts in every answer; it must never appear in the server's."""

_ROWS = json.dumps({"head": {"vars": ["remote"]}, "results": {"bindings": [
    {"remote": {"type": "literal", "value": MARKER}}]}}).encode()


class Recorder:
    """A listening socket on an ephemeral loopback port and the request lines it received."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def seen(self, token: str = "") -> list[str]:
        """Return the request lines received (those holding ``token``, when given)."""
        with self._lock:
            return [line for line in self.requests if token in line]

    def close(self) -> None:
        """Stop listening."""
        self._socket.close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                line = self._read_head(connection)
                with self._lock:
                    self.requests.append(line or "(no request line)")
                failing = " /fail" in line
                body = f"{MARKER} failing".encode() if failing else _ROWS
                head = (f"HTTP/1.1 {'500 Internal Server Error' if failing else '200 OK'}\r\n"
                        f"Content-Type: "
                        f"{'text/plain' if failing else 'application/sparql-results+json'}\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
                try:
                    connection.sendall(head.encode() + body)
                except OSError:
                    pass

    @staticmethod
    def _read_head(connection: socket.socket) -> str:
        """Read a request (its body too, so that closing does not reset the connection);
        return its first line."""
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65_536:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < min(length, 1_000_000):
                chunk = connection.recv(65_536)
                if not chunk:
                    break
                body += chunk
        except (OSError, ValueError):
            pass
        return data.split(b"\r\n", 1)[0].decode("latin-1")
