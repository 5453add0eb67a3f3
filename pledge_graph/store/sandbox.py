"""Query workers without a network: each runs in its own empty network namespace.

pyoxigraph runs SPARQL ``SERVICE`` clauses by itself (an HTTP request from inside the
engine) and offers no switch to turn them off, and it exposes no parsed query to check.
The textual check in :mod:`pledge_graph.sparql.guard` answers a clear 403, but a guarantee that
rests on reading the text the way the engine does is only as good as that reading. So the
processes that run client queries (the query workers and the in-memory template they are
forked from) first move into a network namespace of their own, which holds nothing but a
loopback interface that is down: whatever a query says, there is nothing to connect to.

The policy is chosen once, by the server, before the first worker starts
(:func:`prepare`), and reaches the workers through their environment:

- isolated (the default): the server refuses to start when this system cannot make a
  namespace (not root and no unprivileged user namespaces), unless the operator passes
  ``--no-network-isolation``;
- networked: with ``--allow-service ENDPOINT`` (the workers must reach those endpoints) or
  ``--no-network-isolation``. The textual SERVICE check is then the only line between a
  query and the network, and the server says so loudly at start.

Workers call :func:`enter` before they read anything; when the policy says isolated and the
namespace cannot be made, the worker exits before it answers a query (fail closed).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import socket
import struct
import subprocess
import sys

from pledge_graph.errors import PledgeGraphError

__all__ = ["ENV", "IsolationError", "available", "choose", "enter", "isolate", "prepare"]

ENV = "PLEDGE_GRAPH_QUERY_NETWORK"
"""Environment variable the workers read their policy from: ``isolated`` (or unset) or
``allowed``."""

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS = 0x8913
_IFF_UP = 0x1
_PROBE = "import pledge_graph.store.sandbox as s; s._probe()"


class IsolationError(PledgeGraphError):
    """This process could not be cut off from the network."""


def isolate() -> None:
    """Move this process into a new, empty network namespace and check that it is empty.

    As root one ``unshare(CLONE_NEWNET)`` does it; otherwise a user namespace is made in
    the same call, which gives the rights to make the network namespace. Threads keep the
    namespace they started in, so this must run before the process starts any thread.
    Raises IsolationError when the namespace cannot be made or is not empty."""
    if not sys.platform.startswith("linux"):
        raise IsolationError(f"network namespaces exist only on Linux, not {sys.platform}")
    threads = _threads()
    if threads != 1:
        raise IsolationError(f"the process already runs {threads} threads; they would keep "
                             "the network")
    libc = ctypes.CDLL(None, use_errno=True)
    flags = [_CLONE_NEWNET] if os.geteuid() == 0 else []
    flags.append(_CLONE_NEWUSER | _CLONE_NEWNET)
    problem = 0
    for flag in flags:
        if libc.unshare(flag) == 0:
            verify()
            return
        problem = ctypes.get_errno()
    raise IsolationError(f"cannot make a network namespace (unshare: {os.strerror(problem)})",
                         expected="root, or a system that allows unprivileged user namespaces")


def verify() -> None:
    """Raise IsolationError unless this process sees no interface but a loopback that is
    down, and a connection to 127.0.0.1 fails at once."""
    names = [name for _, name in socket.if_nameindex()]
    if names != ["lo"]:
        raise IsolationError(f"the network namespace is not empty: {', '.join(names)}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(probe.fileno(), _SIOCGIFFLAGS, request))[1]
    if flags & _IFF_UP:
        raise IsolationError("the loopback interface of the network namespace is up")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        code = probe.connect_ex(("127.0.0.1", 9))
    if code != errno.ENETUNREACH:
        raise IsolationError(f"a connection to 127.0.0.1 did not fail as unreachable "
                             f"({os.strerror(code) if code else 'it connected'})")


def enter() -> None:
    """Apply the server's policy to this worker process (see the module docstring)."""
    if os.environ.get(ENV, "isolated") != "allowed":
        isolate()


def available() -> str | None:
    """Return None when a process can be isolated here, or the reason it cannot (checked
    in a child process, so this process keeps its network).

    A process with one thread forks the child, which tries and ends at once (a fresh
    interpreter took 75 ms of the server's start); one with more threads starts a fresh
    interpreter, since a forked child could find a lock another thread held."""
    if _threads() != 1 or not hasattr(os, "fork"):
        done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                              timeout=30, check=False)
        if done.returncode == 0:
            return None
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "unknown reason"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: try, say why not, and end without running anything else
        os.close(read)
        code, why = 0, b""
        try:
            isolate()
        except BaseException as error:  # noqa: BLE001 - reported to the parent, whatever it is
            code, why = 1, (str(error) or type(error).__name__).encode(errors="replace")
        os.write(write, why[:4000])
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        why = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return None
    return why.decode(errors="replace").strip() or "unknown reason"


def choose(*, allowed: bool) -> None:
    """Set the workers' policy in this process's environment, which the process they are
    forked from copies when it starts (:func:`prepare` checks it can be kept)."""
    os.environ[ENV] = "allowed" if allowed else "isolated"


def prepare(*, allow_service: bool, no_isolation: bool, remote: bool = False) -> str:
    """Choose the workers' policy before the first one starts; return a line to log, which
    starts with ``WARNING`` when nothing but the textual SERVICE check keeps queries off the
    network (``remote``: queries run on an external store, which does as it is set up to).

    Raises IsolationError when isolation is wanted and impossible here."""
    if remote:
        return ("WARNING: queries run on an external store; only the textual SERVICE check "
                "keeps them from making outbound requests there")
    choose(allowed=allow_service or no_isolation)
    if allow_service or no_isolation:
        why = "--allow-service names endpoints" if allow_service else "--no-network-isolation"
        return (f"WARNING: query workers can reach the network ({why}); only the textual "
                "SERVICE check keeps a query from making outbound requests")
    reason = available()
    if reason is not None:
        raise IsolationError(
            f"query workers cannot be cut off from the network here: {reason}",
            expected="root or unprivileged user namespaces; or --no-network-isolation to "
                     "rely on the textual SERVICE check alone")
    return "query workers run without a network (an empty network namespace each)"


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def _probe() -> None:
    """Entry point of :func:`available`'s child: exit 0 when isolation works, else print why."""
    try:
        isolate()
    except IsolationError as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from None
