"""The ``pledge-graph`` command: a thin layer that parses arguments, calls one function of
the pipeline and prints its result. Domain errors are printed as they are (file, line,
what was expected) with exit status 1; no traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pledge_graph.errors import PledgeGraphError
from pledge_graph.paths import DATA_DIR, DEFAULT_BASE, DIST_DIR
from pledge_graph.web.limits import add_options as add_edge_options

__all__ = ["main"]


def _add_common(p: argparse.ArgumentParser, *, out: bool = False, base: bool = False) -> None:
    p.add_argument("--data", type=Path, default=DATA_DIR, help="data directory (default: %(default)s)")
    if out:
        p.add_argument("--out", type=Path, default=DIST_DIR, help="release directory (default: %(default)s)")
    if base:
        p.add_argument("--base", default=DEFAULT_BASE, help="base IRI of minted IRIs (default: %(default)s)")


def _add_checking(p: argparse.ArgumentParser) -> None:
    p.add_argument("--validator", choices=["both", "pyshacl"], default="both",
                   help="both: the shacl engine on every batch, pyshacl alongside on small "
                        "corpora and the first batch of large ones (default); pyshacl: pyshacl "
                        "alone, slower on large corpora")
    p.add_argument("--jobs", type=_positive, default=None, metavar="N",
                   help="worker processes mapping and checking batches (default and most: "
                        "one per CPU)")


def _count(value: str) -> int:
    """A count of at least one (places for queries)."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"at least 1, not {value}")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pledge-graph", description=__doc__.split("\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="import pledge documents into curated YAML records")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE|DIR",
                   help="pledge documents (.txt, .docx, .pdf), or directories of them (recursively)")
    _add_common(p)
    p.add_argument("--jobs", type=_positive, default=None, metavar="N",
                   help="worker processes reading documents (default and most: one per CPU)")

    p = sub.add_parser("validate", help="check the records' graph against the SHACL shapes")
    _add_common(p, base=True)
    _add_checking(p)

    p = sub.add_parser("build", help="map, validate and publish the release (dumps, VoID, DCAT)")
    _add_common(p, out=True, base=True)
    _add_checking(p)

    p = sub.add_parser("serve", help="serve the release: SPARQL endpoint, resource pages, dumps")
    _add_common(p, out=True, base=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--also", nargs="*", default=[], metavar="[GRAPH=]FILE",
                   help="extra RDF files to load (N-Quads and TriG keep their graphs; "
                        "GRAPH=FILE loads a triples file into the named graph GRAPH)")
    p.add_argument("--store", default=None, metavar="URL",
                   help="answer from this SPARQL 1.1 store instead of the embedded one")
    p.add_argument("--timeout", type=float, default=None, help="per-query timeout in seconds")
    p.add_argument("--access-log", action="store_true", help="log one line per request")
    p.add_argument("--cache-mb", type=int, default=128,
                   help="megabytes of answers kept per release (0: none)")
    p.add_argument("--memory-mb", type=int, default=256,
                   help="megabytes one query may allocate in its worker (0: no limit)")
    p.add_argument("--queries", type=_count, default=4,
                   help="new queries that run at once (nice 2), on the in-memory copy "
                        "(default: %(default)s)")
    p.add_argument("--long-queries", type=_count, default=4,
                   help="queries past half a second of processor time that may go on at "
                        "once, at the lowest priority; the client holding the most gives one "
                        "up (default: %(default)s)")
    p.add_argument("--queue", type=_count, default=64,
                   help="queries that may wait for a place; more get 503 with Retry-After "
                        "(default: %(default)s)")
    p.add_argument("--queries-memory-mb", type=int, default=1024,
                   help="megabytes all running queries may allocate together; past it the "
                        "largest is stopped (0: no limit; default: %(default)s)")
    p.add_argument("--no-in-memory", dest="in_memory", action="store_false",
                   help="run queries on the on-disk store only (no in-memory copy)")
    p.add_argument("--allow-service", nargs="*", default=[], metavar="ENDPOINT",
                   help="endpoints SERVICE clauses may call (default: none); the query "
                        "workers then have a network, and the textual check is all that "
                        "keeps other calls out")
    p.add_argument("--no-network-isolation", action="store_true",
                   help="run query workers with the network where they cannot be given an "
                        "empty network namespace of their own (needs root or unprivileged "
                        "user namespaces); only the textual SERVICE check then stands "
                        "between a query and the network")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="where clients reach this server's root, for the URLs it publishes "
                        "(default: the listening address)")
    add_edge_options(p)

    p = sub.add_parser("query", help="run an example query (by name) or a .rq file on the release")
    p.add_argument("query", metavar="NAME|FILE")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _add_common(p, out=True, base=True)

    p = sub.add_parser("load", help="load the release into a SPARQL 1.1 store (Graph Store Protocol)")
    p.add_argument("--store", required=True, metavar="URL")
    p.add_argument("--user", help="user for the store's graph endpoint (or userinfo in the URL)")
    p.add_argument("--password", help="password for the store's graph endpoint")
    _add_common(p, out=True)
    return parser


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _cap_jobs(args: argparse.Namespace) -> None:
    """Cap ``--jobs`` at the CPUs this process may use, with a note: more workers would
    only take memory and process slots."""
    from pledge_graph.build.parallel import available_cpus

    jobs, cpus = getattr(args, "jobs", None), available_cpus()
    if jobs is not None and jobs > cpus:
        print(f"pledge-graph: note: --jobs {jobs} capped at {cpus}, the CPUs this process "
              "may use", file=sys.stderr)
        args.jobs = cpus


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    _cap_jobs(args)
    try:
        return _dispatch(args)
    except PledgeGraphError as error:
        print(f"pledge-graph: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pledge-graph: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    # Each command's module is imported only when used, so the pipeline commands never
    # load the web stack.
    if args.command == "import":
        from pledge_graph.records.importer import import_command
        return import_command(args)
    if args.command == "validate":
        from pledge_graph.build.pipeline import validate_command
        return validate_command(args)
    if args.command == "build":
        from pledge_graph.build.pipeline import build_command
        return build_command(args)
    if args.command == "serve":
        from pledge_graph.web.serve import serve_command
        return serve_command(args)
    if args.command == "query":
        from pledge_graph.sparql.queries import query_command
        return query_command(args)
    if args.command == "load":
        from pledge_graph.store.remote import load_command
        return load_command(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
