"""``pledge-graph serve``: build the release if needed, load it, serve it over HTTP.

The release is bulk-loaded into a fresh on-disk pyoxigraph store in a temporary directory
(removed on exit); queries then run in worker processes that open it read-only, so a
query past ``--timeout`` can be stopped. With ``--store URL`` the server answers from that
SPARQL 1.1 store instead (``pledge_graph.remote``).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
from pathlib import Path

import uvicorn

from ..errors import PledgeGraphError, StoreError
from ..pool import DEFAULT_TIMEOUT, ProcessPool
from ..queries import example_triples, load_examples
from ..release import ensure_release
from ..store import EmbeddedStore, Store, load_file, load_release
from ..vocab import Iris
from .app import Settings, create_app

__all__ = ["build_store", "serve_command"]


def build_store(directory: Path, release_dir: Path, iris: Iris, also: list[Path],
                extra: list) -> None:
    """Load the release, the example queries and the ``--also`` files into ``directory``."""
    store = EmbeddedStore(directory)
    load_release(store, release_dir, iris, extra, str(iris.example_query("")))
    for path in also:
        if not path.is_file():
            raise StoreError("no such file", file=path, expected="an RDF file to load")
        load_file(store, path)
    store.flush()


def serve_command(args: argparse.Namespace) -> int:
    """Serve the release until interrupted; return the exit status."""
    iris = Iris(args.base)
    release = ensure_release(args.data, args.out, iris.base)
    examples = load_examples()
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    listener = _listen(args.host, args.port)
    workdir = Path(tempfile.mkdtemp(prefix="pledge-graph-store-"))
    store: Store | None = None
    try:
        if args.store:
            store = _remote(args.store, release.directory, timeout)
        else:
            build_store(workdir, release.directory, iris, list(args.also),
                        example_triples(examples, iris, str(iris.sparql())))
            store = ProcessPool(workdir, timeout=timeout)
        settings = Settings(store=store, iris=iris, release_dir=release.directory,
                            digest=release.digest, version=release.version,
                            built=release.built, examples=examples, timeout=timeout,
                            allow_service=tuple(args.allow_service or ()))
        host, port = listener.getsockname()[:2]
        print(f"pledge-graph: serving {release.directory} at http://{host}:{port}/ "
              f"(SPARQL endpoint http://{host}:{port}/sparql)", flush=True)
        config = uvicorn.Config(create_app(settings), log_level="info", access_log=True)
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        if store is not None:
            store.close()
        listener.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


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
