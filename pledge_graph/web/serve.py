"""``pledge-graph serve``: build the release if needed, load it, serve it over HTTP.

The release and the ``--also`` files (``FILE``, or ``GRAPH=FILE`` to put a file of triples
in a named graph) are loaded into an on-disk pyoxigraph store kept next to the release
(``<release>/.store/<key>``, the key a digest of all that is loaded), so a restart on the
same inputs opens it at once, and a rebuild, which replaces the release directory, drops
it. Queries run in worker processes, first on the on-disk store read-only and, once a copy
is loaded into memory in the background, on that copy, so a query past ``--timeout`` can be
stopped (``pledge_graph.pool``). With ``--store URL`` the server answers from that SPARQL 1.1
store instead (``pledge_graph.remote``).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import re
import shutil
import socket
import sys
import tempfile
import threading
from pathlib import Path

import pyoxigraph as ox
import uvicorn

from .. import sandbox
from ..errors import PledgeGraphError, StoreError
from ..pool import DEFAULT_TIMEOUT, ProcessPool, prepare_workers
from ..queries import example_triples, load_examples
from ..release import Release, ensure_release, read_release
from ..store import EmbeddedStore, Store, load_inputs
from ..vocab import Iris
from .app import Settings, create_app
from .cache import AnswerCache
from .sparql import warm

__all__ = ["WARM_LIMIT", "Extra", "build_store", "cached_store", "parse_extra", "serve_command"]

_COMPLETE = "complete"
WARM_LIMIT = 120.0
"""Seconds an example query may take when its answer is computed at start-up."""
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"]+$")


Extra = tuple[str | None, Path]
"""An ``--also`` file and the named graph its triples go to (None: as the file says)."""


def parse_extra(value: str) -> Extra:
    """Read an ``--also`` value: ``FILE``, or ``GRAPH=FILE`` with an absolute graph IRI."""
    for at in [i for i, c in enumerate(value) if c == "="][::-1]:
        graph, path = value[:at], Path(value[at + 1:])
        if _ABSOLUTE_IRI.match(graph) and path.is_file():
            return graph, path
    return None, Path(value)


def build_store(directory: Path, release_dir: Path, iris: Iris, also: list[Extra],
                extra: list[ox.Triple]) -> None:
    """Load the release, the example queries and the ``--also`` files into ``directory``."""
    load_inputs(EmbeddedStore(directory), release_dir, iris, also, extra)


def cached_store(release: Release, iris: Iris, also: list[Extra],
                 extra: list[ox.Triple]) -> Path:
    """Return the store directory for these inputs, building it when it does not exist."""
    for _, path in also:
        if not path.is_file():
            raise StoreError("no such file", file=path, expected="an RDF file to load")
    key = hashlib.sha256(release.digest.encode())
    key.update(iris.base.encode())
    for graph, path in also:
        key.update(f"\0{graph}\0{path.resolve()}\0".encode())
        key.update(hashlib.sha256(path.read_bytes()).digest())
    for triple in extra:
        key.update(str(triple).encode())
    root = release.directory / ".store"
    target = root / key.hexdigest()[:32]
    if (target / _COMPLETE).exists():
        return target
    root.mkdir(exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=root))
    try:
        build_store(building, release.directory, iris, also, extra)
        (building / _COMPLETE).touch()
        building.rename(target)
    except OSError:
        if not (target / _COMPLETE).exists():
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def serve_command(args: argparse.Namespace) -> int:
    """Serve the release until interrupted; return the exit status."""
    policy = sandbox.prepare(allow_service=bool(args.allow_service), remote=bool(args.store),
                             no_isolation=args.no_network_isolation)
    print(f"pledge-graph: {policy}", file=sys.stderr if policy.startswith("WARNING") else None,
          flush=True)
    prepare_workers()
    iris = Iris(args.base)
    # a remote store answers from the release loaded into it: serve that one, never rebuild
    release = (read_release(args.out) if args.store
               else ensure_release(args.data, args.out, iris.base))
    examples = load_examples()
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    listener = _listen(args.host, args.port)
    store: Store | None = None
    try:
        if args.store:
            store = _remote(args.store, release.directory, timeout)
        else:
            also = [parse_extra(v) for v in args.also]
            extra = example_triples(examples, iris, str(iris.sparql()))
            path = cached_store(release, iris, also, extra)
            # the loader runs in the template process: a function of the store module, so
            # that process does not import the web stack
            loader = (functools.partial(load_inputs, release_dir=release.directory, iris=iris,
                                        also=also, extra_triples=extra)
                      if args.in_memory else None)
            store = ProcessPool(path, timeout=timeout, memory_mb=args.memory_mb, loader=loader)
        settings = Settings(store=store, iris=iris, release_dir=release.directory,
                            digest=release.digest, version=release.version,
                            built=release.built, examples=examples, timeout=timeout,
                            allow_service=tuple(args.allow_service or ()),
                            cache=AnswerCache(args.cache_mb * 1024 * 1024))
        if isinstance(store, ProcessPool):
            threading.Thread(target=_prepare, args=(store, settings, loader is not None),
                             daemon=True).start()
        host, port = listener.getsockname()[:2]
        print(f"pledge-graph: serving {release.directory} at http://{host}:{port}/ "
              f"(SPARQL endpoint http://{host}:{port}/sparql)", flush=True)
        config = uvicorn.Config(create_app(settings), log_level="info",
                                access_log=args.access_log)
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        if store is not None:
            store.close()
        listener.close()
    return 0


def _prepare(pool: ProcessPool, settings: Settings, in_memory: bool) -> None:
    """In the background: wait for the in-memory copy, then answer the example queries once
    (their answers are kept); say when each is done (benchmarks wait for these lines)."""
    if in_memory and pool.wait_in_memory(3600):
        print(f"pledge-graph: queries run on an in-memory copy of the store "
              f"({pool.template_mb:.0f} MiB)", flush=True)
    if settings.cache.max_bytes > 0:
        kept = warm(settings, max(WARM_LIMIT, settings.timeout))
        print(f"pledge-graph: {kept} of {len(settings.examples)} example queries answered "
              "and kept", flush=True)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise PledgeGraphError(f"cannot listen on {host}:{port}: {error.strerror}",
                         expected="a free port on a local address") from None
    listener.listen(128)
    return listener


def _remote(url: str, release_dir: Path, timeout: float) -> Store:
    from ..remote import open_remote  # the HTTP client is loaded only for remote stores

    return open_remote(url, release_dir, timeout=timeout)
