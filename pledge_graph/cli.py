"""The ``pledge-graph`` command: a thin layer that parses arguments, calls one function of
the pipeline and prints its result. Domain errors are printed as they are (file, line,
what was expected) with exit status 1; no traceback.

Each command's module is imported only when the command runs, so ``--help`` and the
pipeline commands never load the web stack (``tests/test_imports.py``)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pledge_graph.errors import PledgeGraphError
from pledge_graph.paths import DATA_DIR, DEFAULT_BASE, DIST_DIR
from pledge_graph.web.limits import EdgeLimits, default_fronts, map_large_blocks

# A server maps its large blocks on their own from the start (see map_large_blocks): set
# once the modules it needs are loaded, glibc has by then raised its threshold and kept
# freed blocks in its heaps, which answers then reuse; fifty clients that never read a
# 5 MB answer then left the server 140-odd MB larger instead of under the 133 MB
# tests/web/test_security_edge.py allows. Other commands keep glibc's own choice.
if sys.argv[1:2] == ["serve"]:
    map_large_blocks()

__all__ = ["main"]


# ---------------------------------------------------------------------------------------------
# Argument types and options several commands share
# ---------------------------------------------------------------------------------------------


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


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


def _cap_jobs(args: argparse.Namespace) -> None:
    """Cap ``--jobs`` at the CPUs this process may use, with a note: more workers would
    only take memory and process slots."""
    from pledge_graph.build.parallel import available_cpus

    jobs, cpus = getattr(args, "jobs", None), available_cpus()
    if jobs is not None and jobs > cpus:
        print(f"pledge-graph: note: --jobs {jobs} capped at {cpus}, the CPUs this process "
              "may use", file=sys.stderr)
        args.jobs = cpus


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# import, validate, build: the pipeline
# ---------------------------------------------------------------------------------------------


def _import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE|DIR",
                   help="pledge documents (.txt, .docx, .pdf), or directories of them (recursively)")
    _add_common(p)
    p.add_argument("--jobs", type=_positive, default=None, metavar="N",
                   help="worker processes reading documents (default and most: one per CPU)")


def _import(args: argparse.Namespace) -> int:
    """Import the documents: warnings on stderr, a summary line per document on stdout."""
    from pledge_graph.records.importer import default_jobs, import_documents

    jobs = args.jobs if args.jobs is not None else default_jobs()
    report = import_documents(args.files, args.data, jobs=jobs)
    for document in report.documents:
        for notice in document.notices:
            print(f"pledge-graph: warning: {notice}", file=sys.stderr)
        print(document.summary())
    return 0


def _validate_options(p: argparse.ArgumentParser) -> None:
    _add_common(p, base=True)
    _add_checking(p)


def _validate(args: argparse.Namespace) -> int:
    """Check the records' graph against the shapes; violations are an error."""
    from pledge_graph.build.pipeline import check, validation_failed

    checked = check(args.data, args.base, progress=_stderr, validator=args.validator,
                    workers=args.jobs)
    if checked.warnings:
        _stderr(checked.warnings)
    if not checked.outcome.conforms:
        raise validation_failed(checked.outcome, None)
    print(f"conforms: {checked.submissions} submission(s), {checked.pledges} pledge(s), "
          f"{len(checked.outcome.warnings)} warning(s)")
    return 0


def _build_options(p: argparse.ArgumentParser) -> None:
    _add_common(p, out=True, base=True)
    _add_checking(p)


def _build(args: argparse.Namespace) -> int:
    """Build the release and say what was written."""
    from pledge_graph.build.pipeline import build

    result = build(args.data, args.out, args.base, progress=_stderr, validator=args.validator,
                   workers=args.jobs)
    if result.warnings:
        _stderr(result.warnings)
    print(f"built {result.out_dir}: version {result.version}, {result.submissions} "
          f"submission(s), {result.pledges} pledge(s), {result.triples} triples "
          f"in {result.seconds:.1f} s")
    return 0


# ---------------------------------------------------------------------------------------------
# serve
# ---------------------------------------------------------------------------------------------


def _serve_options(p: argparse.ArgumentParser) -> None:
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
    p.add_argument("--fronts", type=_positive, default=default_fronts(),
                   help="processes that answer HTTP, sharing the connections and the edge's "
                        "bounds; queries run in the first one's workers whichever receives "
                        "them (default: one per usable core, at most 2: %(default)s)")
    _query_places_options(p)
    _isolation_options(p)
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="where clients reach this server's root, for the URLs it publishes "
                        "(default: the listening address)")
    _edge_options(p)


def _query_places_options(p: argparse.ArgumentParser) -> None:
    """How many queries run at once, wait, and how much memory they may take."""
    p.add_argument("--memory-mb", type=int, default=256,
                   help="megabytes one query may allocate in its worker (0: no limit)")
    p.add_argument("--queries", type=_positive, default=4,
                   help="new queries that run at once (nice 2) (default: %(default)s)")
    p.add_argument("--long-queries", type=_positive, default=4,
                   help="queries past half a second of processor time that may go on at "
                        "once, at the lowest priority; the client holding the most gives one "
                        "up (default: %(default)s)")
    p.add_argument("--queue", type=_positive, default=64,
                   help="queries that may wait for a place; more get 503 with Retry-After "
                        "(default: %(default)s)")
    p.add_argument("--queries-memory-mb", type=int, default=1024,
                   help="megabytes all running queries may allocate together; past it the "
                        "largest is stopped (0: no limit; default: %(default)s)")
    p.add_argument("--in-memory", dest="in_memory", action="store_true", default=False,
                   help="also load a copy of the store into memory and run queries on it "
                        "once loaded: some aggregate queries run faster, for about four times "
                        "the memory (see docs/serving.md)")
    p.add_argument("--no-in-memory", dest="in_memory", action="store_false",
                   help="run queries on the on-disk store only (the default)")
    p.add_argument("--no-prepared-descriptions", dest="prepare", action="store_false",
                   help="make every description when it is asked for; by default each "
                        "resource's page, JSON-LD and Turtle are written once per release, in "
                        "the "
                        "background at idle priority, and answered from that file (see "
                        "docs/serving.md)")


def _isolation_options(p: argparse.ArgumentParser) -> None:
    """What network the query workers have."""
    p.add_argument("--allow-service", nargs="*", default=[], metavar="ENDPOINT",
                   help="endpoints SERVICE clauses may call (default: none); the query "
                        "workers then have a network, and the textual check is all that "
                        "keeps other calls out")
    p.add_argument("--no-network-isolation", action="store_true",
                   help="run query workers with the network where they cannot be given an "
                        "empty network namespace of their own (needs root or unprivileged "
                        "user namespaces); only the textual SERVICE check then stands "
                        "between a query and the network")


def _edge_options(p: argparse.ArgumentParser) -> None:
    """The HTTP edge's bounds (:class:`~pledge_graph.web.limits.EdgeLimits`, its defaults)."""
    d = EdgeLimits()
    p.add_argument("--header-timeout", type=float, default=d.header_timeout, metavar="S",
                   help="seconds a request's headers may take to arrive (default: %(default)s)")
    p.add_argument("--body-timeout", type=float, default=d.body_timeout, metavar="S",
                   help="seconds a request body may take after its headers "
                        "(default: %(default)s)")
    p.add_argument("--keep-alive", type=float, default=d.keep_alive, metavar="S",
                   help="seconds an idle connection stays open (default: %(default)s)")
    p.add_argument("--send-timeout", type=float, default=d.send_timeout, metavar="S",
                   help="seconds a client may leave its answer unread before it is "
                        "dropped (default: %(default)s)")
    p.add_argument("--max-connections", type=int, default=d.max_connections, metavar="N",
                   help="open connections at most; beyond, the longest-waiting is "
                        "closed (default: %(default)s, less if file descriptors are fewer)")
    p.add_argument("--buffer-mb", type=int, default=d.buffer_mb, metavar="MB",
                   help="megabytes held for slow clients at most (default: %(default)s)")


def _say(message: str) -> None:
    """Print one line of the server's news: warnings on stderr, the rest on stdout."""
    print(f"pledge-graph: {message}", file=sys.stderr if message.startswith("WARNING") else None,
          flush=True)


def _serve(args: argparse.Namespace) -> int:
    """Serve the release until interrupted."""
    from pledge_graph.store import processes, sandbox

    # the process workers are forked from loads its modules while this one loads the
    # server's (on two cores the first answer comes a third of a second sooner)
    if not args.store:
        sandbox.choose(allowed=bool(args.allow_service) or args.no_network_isolation)
        processes.prepare_workers()
    from pledge_graph.web.serve import ServeOptions, serve

    edge = EdgeLimits(header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                      keep_alive=args.keep_alive, send_timeout=args.send_timeout,
                      max_connections=args.max_connections, buffer_mb=args.buffer_mb)
    options = ServeOptions(
        data=args.data, out=args.out, base=args.base, host=args.host, port=args.port,
        also=tuple(args.also), store_url=args.store, timeout=args.timeout,
        access_log=args.access_log, cache_mb=args.cache_mb, memory_mb=args.memory_mb,
        queries=args.queries, long_queries=args.long_queries, queue=args.queue,
        queries_memory_mb=args.queries_memory_mb, in_memory=args.in_memory,
        allow_service=tuple(args.allow_service or ()),
        no_network_isolation=args.no_network_isolation, public_url=args.public_url, edge=edge,
        fronts=args.fronts, prepare=args.prepare)
    serve(options, _say)
    return 0


# ---------------------------------------------------------------------------------------------
# query, load
# ---------------------------------------------------------------------------------------------


def _query_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", metavar="NAME|FILE")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _add_common(p, out=True, base=True)


def _query(args: argparse.Namespace) -> int:
    """Run an example or a file on the release; print the answer (a table by default)."""
    from pledge_graph.rdf.vocab import Iris, prefixes
    from pledge_graph.sparql.queries import answer_on_release, find_query
    from pledge_graph.sparql.results import CSV, JSON_LD, SPARQL_JSON, TURTLE

    example = find_query(args.query)
    answer = answer_on_release(example, args.data, args.out, args.base, media_types={
        "solutions": CSV if args.format == "csv" else SPARQL_JSON, "boolean": SPARQL_JSON,
        "graph": JSON_LD if args.format == "json" else TURTLE})
    if args.format == "table" and answer.kind != "graph":
        print(_table(answer.body, prefixes(Iris(args.base))))
    else:
        sys.stdout.write(answer.body.decode("utf-8"))
        if not answer.body.endswith(b"\n"):
            print()
    return 0


def _table(body: bytes, table: dict[str, str]) -> str:
    """Render SPARQL JSON results as an aligned text table, IRIs shortened by ``table``
    (prefix -> namespace)."""
    data = json.loads(body)
    if "boolean" in data:
        return "true" if data["boolean"] else "false"
    names = data["head"]["vars"]
    rows = [[_short(b.get(v), table) for v in names] for b in data["results"]["bindings"]]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _short(binding: dict[str, str] | None, table: dict[str, str]) -> str:
    if binding is None:
        return ""
    value = binding["value"]
    if binding["type"] == "uri":
        for prefix, ns in table.items():
            if value.startswith(ns) and re.fullmatch(r"[\w\-]*", value[len(ns):]):
                return f"{prefix}:{value[len(ns):]}"
        return f"<{value}>"
    return value


def _load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", required=True, metavar="URL")
    p.add_argument("--user", help="user for the store's graph endpoint (or userinfo in the URL)")
    p.add_argument("--password", help="password for the store's graph endpoint")
    _add_common(p, out=True)


def _load(args: argparse.Namespace) -> int:
    """Load the release in ``--out`` into the store at ``--store``."""
    from pledge_graph.store.remote import find_endpoints, load_release

    endpoints = find_endpoints(args.store, user=args.user, password=args.password)
    report = load_release(Path(args.out), endpoints)
    print(f"loaded {report.triples} triples into <{report.graph}> "
          f"at {endpoints.graph_store} ({endpoints.engine}) in {report.seconds:.2f} s")
    return 0


# ---------------------------------------------------------------------------------------------
# export-site
# ---------------------------------------------------------------------------------------------


def _export_site_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("site", type=Path, metavar="OUT", help="folder to write the site into")
    p.add_argument("--port", type=int, default=8080,
                   help="loopback port of OUT/nginx.conf (default: %(default)s)")
    p.add_argument("--sparql", default="127.0.0.1:8000", metavar="HOST:PORT",
                   help="the `pledge-graph serve` that answers /sparql and /store "
                        "(default: %(default)s)")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="where the site is reached, for the landing page "
                        "(default: http://127.0.0.1:PORT/)")
    p.add_argument("--jobs", type=_positive, default=None, metavar="N",
                   help="worker processes writing resources (default and most: one per CPU)")
    _add_common(p, out=True, base=True)


def _export_site(args: argparse.Namespace) -> int:
    """Write the release (built first when stale) as a static site with its configuration."""
    from pledge_graph.site.export import SiteOptions, export_release

    options = SiteOptions(port=args.port, sparql=args.sparql, public_url=args.public_url,
                          jobs=args.jobs)
    release, written = export_release(args.data, args.out, args.base, args.site, options)
    print(f"exported {release.directory} to {args.site}: {written} resources; try it with "
          f"`nginx -p {args.site} -c nginx.conf` (http://127.0.0.1:{args.port}/)")
    return 0


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Command:
    """One command: its help line, what adds its options, and what runs it."""

    help: str
    options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


_COMMANDS = {
    "import": _Command("import pledge documents into curated YAML records",
                       _import_options, _import),
    "validate": _Command("check the records' graph against the SHACL shapes",
                         _validate_options, _validate),
    "build": _Command("map, validate and publish the release (dumps, VoID, DCAT)",
                      _build_options, _build),
    "serve": _Command("serve the release: SPARQL endpoint, resource pages, dumps",
                      _serve_options, _serve),
    "query": _Command("run an example query (by name) or a .rq file on the release",
                      _query_options, _query),
    "load": _Command("load the release into a SPARQL 1.1 store (Graph Store Protocol)",
                     _load_options, _load),
    "export-site": _Command("write the release as a static site with nginx and Apache "
                            "configuration", _export_site_options, _export_site),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pledge-graph", description=__doc__.split("\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, command in _COMMANDS.items():
        command.options(sub.add_parser(name, help=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    _cap_jobs(args)
    try:
        return _COMMANDS[args.command].run(args)
    except PledgeGraphError as error:
        print(f"pledge-graph: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pledge-graph: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
