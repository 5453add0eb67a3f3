"""Serving: build the release if needed, load it, serve it over HTTP (``pledge-graph serve``).

The release is pinned first (``pledge_graph.store.pinned``): its files are linked into a snapshot
that a rebuild does not touch, and the server serves that snapshot whole until it stops.
The release and the ``--also`` files (``FILE``, or ``GRAPH=FILE`` to put a file of triples
in a named graph) are loaded into an on-disk pyoxigraph store kept in the snapshot
(``<snapshot>/.store/<key>``, the key a digest of all that is loaded), so a restart on the
same inputs opens it at once. Queries run in worker processes on the on-disk store
read-only, so a query past ``--timeout`` can be stopped (``pledge_graph.store.pool``); with
``--in-memory``, once a copy is loaded into memory in the background, on that copy. With
``--store URL`` the server answers from that SPARQL 1.1 store instead
(``pledge_graph.store.remote``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import pyoxigraph as ox

from pledge_graph.build.parallel import in_child
from pledge_graph.build.release import Release, ensure_release, read_release
from pledge_graph.errors import PledgeGraphError, StoreError
from pledge_graph.rdf.vocab import Iris
from pledge_graph.sparql.queries import example_triples, load_examples
from pledge_graph.store import sandbox
from pledge_graph.store.embedded import EmbeddedStore, Store
from pledge_graph.store.index import write_index
from pledge_graph.store.loading import default_graph_files, load_inputs
from pledge_graph.store.pinned import PinnedRelease, pin_release
from pledge_graph.store.pool import DEFAULT_TIMEOUT, DEFAULT_WORKERS, ProcessPool, prepare_workers
from pledge_graph.store.published import published_forms
from pledge_graph.web import prepared
from pledge_graph.web.app import QUERY_THREADS, Settings, create_app
from pledge_graph.web.cache import AnswerCache
from pledge_graph.web.fronts import EXAMPLES, STATISTICS, FrontPlan, Fronts, FrontServer
from pledge_graph.web.limits import (
    EdgeLimits,
    connection_cap,
    map_large_blocks,
    raise_file_limit,
)
from pledge_graph.web.pages import statistics
from pledge_graph.web.prepared import PreparedDescriptions
from pledge_graph.web.protocol import server_config
from pledge_graph.web.sparql import warm

__all__ = ["WARM_LIMIT", "Extra", "Say", "ServeOptions", "build_store", "cached_store",
           "parse_extra", "serve"]

_COMPLETE = "complete"
_LAYOUT = b"store and lookup index, 2"
"""Part of a served store's key: a store written before its index existed is not reused."""
WARM_LIMIT = 120.0
"""Seconds an example query may take when its answer is computed at start-up."""
_BACKLOG = 2048
"""Connections the kernel queues until they are accepted (as many as uvicorn's default;
the system's ``somaxconn`` caps it). With 128, a burst of a few hundred connections
overflowed the queue while they were accepted: the kernel dropped their first packets, and
their clients waited a second to try again."""
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
    """Load the release, the example queries and the ``--also`` files into ``directory``,
    and write the index of its default graph that lookups read beside it, with the
    literals as the release's files write them (descriptions carry those)."""
    store = EmbeddedStore(directory)
    with ThreadPoolExecutor(max_workers=1) as reading:  # while the store loads them
        forms = reading.submit(published_forms, default_graph_files(release_dir, also), extra)
        load_inputs(store, release_dir, iris, also, extra)
        write_index(store.native, directory, forms.result())


def cached_store(release: Release, iris: Iris, also: list[Extra],
                 extra: list[ox.Triple]) -> Path:
    """Return the store directory for these inputs, building it when it does not exist."""
    for _, path in also:
        if not path.is_file():
            raise StoreError("no such file", file=path, expected="an RDF file to load")
    key = hashlib.sha256(release.digest.encode())
    key.update(_LAYOUT)
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
        # built in a process of its own: the memory it takes is not kept for the server's
        # life (about 200 MiB on the 10k corpus)
        in_child(build_store, building, release.directory, iris, also, extra)
        (building / _COMPLETE).touch()
        building.rename(target)
    except OSError:
        if not (target / _COMPLETE).exists():
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


@dataclass(frozen=True)
class ServeOptions:
    """What ``pledge-graph serve`` is asked for: the release, where to listen, the store
    (``store_url``, or the embedded one with its query places and bounds), the edge's
    limits. See the command's ``--help`` for each."""

    data: Path
    out: Path
    base: str
    host: str
    port: int
    also: tuple[str, ...]
    store_url: str | None
    timeout: float | None
    access_log: bool
    cache_mb: int
    memory_mb: int
    queries: int
    long_queries: int
    queue: int
    queries_memory_mb: int
    in_memory: bool
    allow_service: tuple[str, ...]
    no_network_isolation: bool
    public_url: str | None
    edge: EdgeLimits
    fronts: int = 1
    prepare: bool = True


Say = Callable[[str], None]
"""Where the server says what it does (a line at a time: the network policy, the address it
serves at, the in-memory copy and the example answers once ready)."""


def serve(options: ServeOptions, say: Say) -> None:
    """Serve the release until interrupted."""
    stop = _Stop()
    signal.signal(signal.SIGTERM, stop)
    say(sandbox.prepare(allow_service=bool(options.allow_service),
                        remote=bool(options.store_url),
                        no_isolation=options.no_network_isolation))
    prepare_workers()
    iris = Iris(options.base)
    pinned = _pinned(options, iris)
    release = pinned.release
    examples = load_examples()
    timeout = options.timeout if options.timeout is not None else DEFAULT_TIMEOUT
    listener = _listen(options.host, options.port)
    store: Store | None = None
    others: Fronts | None = None
    preparing = _Preparing()
    try:
        if options.store_url:
            store = _remote(options.store_url, release.directory, timeout)
        else:
            also = [parse_extra(v) for v in options.also]
            extra = example_triples(examples, iris, str(iris.sparql()))
            path = cached_store(release, iris, also, extra)
            # the loader runs in the template process: a function of the store module, so
            # that process does not import the web stack
            loader = (functools.partial(load_inputs, release_dir=release.directory, iris=iris,
                                        also=also, extra_triples=extra)
                      if options.in_memory else None)
            store = ProcessPool(path, timeout=timeout, memory_mb=options.memory_mb,
                                loader=loader, **_places(options))
        fronts = options.fronts if isinstance(store, ProcessPool) else 1
        cache_bytes = options.cache_mb * 1024 * 1024 // fronts
        settings = Settings(store=store, iris=iris, release_dir=release.directory,
                            digest=release.digest, version=release.version,
                            built=release.built, examples=examples, timeout=timeout,
                            allow_service=options.allow_service,
                            cache=AnswerCache(cache_bytes),
                            public_url=_public_url(options.public_url, listener),
                            query_threads=_query_threads(options))
        if isinstance(store, ProcessPool) and options.prepare:
            settings.prepared = PreparedDescriptions(store.path, release.digest)
        cap = _edge_cap(options)
        if isinstance(store, ProcessPool):
            others = _other_fronts(fronts - 1, store, settings, options, cap, cache_bytes)
            described = (functools.partial(preparing.run, store.path, release, iris.base, say)
                         if settings.prepared is not None else None)
            threading.Thread(target=_prepare, args=(store, settings, loader is not None, say,
                                                    others, described), daemon=True).start()
        config = server_config(create_app(settings), options.edge, cap,
                               access_log=options.access_log, share=fronts)
        server = FrontServer(config, listener=listener,
                             others=others.handoffs if others else None,
                             on_start=others.listen if others else None)
        stop.server = server
        host, port = listener.getsockname()[:2]
        say(f"serving {release.directory} at http://{host}:{port}/ "
            f"(SPARQL endpoint http://{host}:{port}/sparql)")
        server.run()
    finally:
        preparing.stop()
        if others is not None:
            others.close()
        if store is not None:
            store.close()
        listener.close()
        pinned.close()
    if stop.signum:
        raise SystemExit(128 + stop.signum)


class _Stop:
    """SIGTERM's handler. Before the server exists it ends the start-up at once (the
    cleanup in ``finally`` runs); from then on it only asks the server to stop, which it
    does between requests, and :func:`serve` ends once its cleanup is done. No exception
    is raised in the middle of the server's own code, and uvicorn, which handles SIGTERM
    itself while it runs and raises it again once it has stopped, finds this handler."""

    def __init__(self) -> None:
        self.server: FrontServer | None = None
        self.signum = 0

    def __call__(self, signum: int, frame: object) -> None:
        self.signum = signum
        if self.server is None:
            raise SystemExit(128 + signum)
        self.server.should_exit = True


class _Preparing:
    """The process writing the release's descriptions (:mod:`.prepared`), when it has to."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.stopped = False
        self._lock = threading.Lock()

    def run(self, directory: Path, release: Release, base: str, say: Say) -> None:
        """Start it unless they are written already; say when they are ready."""
        started = time.monotonic()
        with self._lock:  # not started once the server stops
            if self.stopped:
                return
            self.process = prepared.start(directory, release, base)
        if self.process is not None and self.process.wait() != 0:
            if not self.stopped:
                say(f"WARNING: the descriptions could not be prepared (exit status "
                    f"{self.process.returncode}); each is made when asked for")
            return
        count = prepared.prepared_count(directory, release.digest)
        if count is not None:
            took = time.monotonic() - started
            size = (directory / prepared.PREPARED_NAME).stat().st_size / 2**20
            say(f"{count} descriptions ready ({size:.1f} MiB" + (
                f", prepared in {took:.0f} s)" if self.process is not None else ")"))

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # it removes its unfinished file
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _pinned(options: ServeOptions, iris: Iris) -> PinnedRelease:
    """The release to serve, built first when missing or stale, and pinned while it is
    served: a rebuild beside the running server leaves what it serves whole."""
    # a remote store answers from the release loaded into it: serve that one, never rebuild
    if options.store_url:
        read_release(options.out)
    else:
        in_child(ensure_release, options.data, options.out, iris.base)  # as the store
    return pin_release(options.out)


def _places(options: ServeOptions) -> dict[str, int]:
    """The pool's places for queries, its queue and its memory for all queries at once."""
    return {"queries": options.queries, "long_queries": options.long_queries,
            "queue": options.queue, "memory_total_mb": options.queries_memory_mb}


def _query_threads(options: ServeOptions) -> int:
    """Threads for store calls that may wait: one per place and per queue place, and a few
    for the calls that are refused at once when the queue is full."""
    if options.store_url:
        return QUERY_THREADS
    return options.queries + options.long_queries + DEFAULT_WORKERS + options.queue + 8


def _prepare(pool: ProcessPool, settings: Settings, in_memory: bool, say: Say,
             others: Fronts, described: Callable[[], None] | None) -> None:
    """In the background: count what the landing page shows (from the server's own view of
    the store, opened on the way), wait for the in-memory copy if there is to be one, then
    answer the example queries once (their answers are kept, by every front), then have the
    descriptions prepared; say when each is done (benchmarks wait for these lines)."""
    others.tell(STATISTICS, statistics(settings))
    if in_memory and pool.wait_in_memory(3600):
        say(f"queries run on an in-memory copy of the store ({pool.template_mb:.0f} MiB)")
    if settings.cache.max_bytes > 0:
        answered = warm(settings, max(WARM_LIMIT, settings.timeout))
        others.tell(EXAMPLES, answered)
        kept = min([len(answered), *others.wait_ready(WARM_LIMIT)])
        pool.renew_idle()  # the workers that answered them keep the heap they grew
        say(f"{kept} of {len(settings.examples)} example queries answered and kept")
    if described is not None:
        described()


def _other_fronts(count: int, pool: ProcessPool, settings: Settings, options: ServeOptions,
                  cap: int, cache_bytes: int) -> Fronts:
    """Start the other front processes; their queries run in ``pool``."""
    plan = FrontPlan(store=pool.path, result_limit=pool.limit, base=settings.iris.base,
                     release_dir=cast(Path, settings.release_dir), digest=settings.digest,
                     version=settings.version, built=settings.built, timeout=settings.timeout,
                     allow_service=settings.allow_service, cache_bytes=cache_bytes,
                     public_url=settings.public_url, query_threads=settings.query_threads,
                     edge=options.edge, max_connections=cap, share=count + 1,
                     access_log=options.access_log,
                     warm_limit=max(WARM_LIMIT, settings.timeout),
                     prepared=settings.prepared is not None)
    return Fronts(count, plan, pool.query_async)


def _edge_cap(options: ServeOptions) -> int:
    """The most connections the server keeps open. The open-file limit is raised first, as
    each connection takes a file descriptor, and large blocks are mapped on their own, so
    that the memory of answers no longer held goes back to the system."""
    map_large_blocks()
    return connection_cap(options.edge, raise_file_limit())


def _public_url(asked: str | None, listener: socket.socket) -> str:
    """Where clients reach this server: ``--public-url``, else the listening address."""
    if asked:
        parts = urlsplit(asked)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
                or parts.fragment or parts.path not in ("", "/"):
            raise PledgeGraphError(f"not a server root URL: {asked!r}",
                                   expected="http(s)://HOST[:PORT]/")
        return f"{parts.scheme}://{parts.netloc}/"
    host, port = listener.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/"


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
    listener.listen(_BACKLOG)
    return listener


def _remote(url: str, release_dir: Path, timeout: float) -> Store:
    from pledge_graph.store.remote import (
        open_remote,  # the HTTP client is loaded only for remote stores
    )

    return open_remote(url, release_dir, timeout=timeout)
