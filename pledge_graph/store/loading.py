"""Loading what a server serves into an embedded store.

How a release is laid out in a store (see :func:`load_release`):

- the default graph holds everything the release publishes (the data dump, the ontology,
  the shapes, VoID, the DCAT catalog, the example queries), merged;
- each published file is also a named graph, named by its download IRI
  (``<base>dumps/<file>``), so ``GRAPH ?g`` tells where a triple comes from;
- extra files (``serve --also``): N-Quads and TriG keep their named graphs, triples files
  go to the default graph.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pledge_graph.errors import QuerySyntaxError, StoreError
from pledge_graph.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from pledge_graph.rdf.vocab import Iris

__all__ = ["RELEASE_GRAPH_FILES", "default_graph_files", "load_file", "load_inputs",
           "load_release"]

RELEASE_GRAPH_FILES = (
    "pledge-graph.nt",
    "ontology.ttl",
    "rights-holders.ttl",
    "shapes.ttl",
    "void.ttl",
    "catalog.ttl",
)
"""The release files loaded into the store (the data dump once, as N-Triples)."""


def load_release(store: EmbeddedStore, release_dir: Path, iris: Iris,
                 extra_triples: Iterable[ox.Triple] = (), extra_graph: str | None = None,
                 *, named: Container[str] = RELEASE_GRAPH_FILES) -> int:
    """Load a release directory into ``store`` (layout in the module docstring); return the
    number of files loaded. ``extra_triples`` (e.g. the example queries) go to the default
    graph and to ``extra_graph``. Only the files in ``named`` get a graph of their own: a job
    that never queries the data dump's graph (the static site) loads in half the time."""
    loaded = 0
    for name in RELEASE_GRAPH_FILES:
        path = release_dir / name
        if not path.exists():
            continue
        if name in named:
            load_file(store, path, to_graph=str(iris.dump(name)))
        load_file(store, path)
        loaded += 1
    if loaded == 0:
        raise StoreError("the release holds none of the files the store loads",
                         file=release_dir, expected=", ".join(RELEASE_GRAPH_FILES))
    triples = list(extra_triples)
    if triples:
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        if extra_graph:
            quads += [ox.Quad(t.subject, t.predicate, t.object, _node(extra_graph))
                      for t in triples]
        store.native.extend(quads)
    store.flush()
    return loaded


def load_inputs(store: EmbeddedStore, release_dir: Path, iris: Iris,
                also: Sequence[tuple[str | None, Path]] = (),
                extra_triples: Sequence[ox.Triple] = (), *,
                named: Container[str] = RELEASE_GRAPH_FILES) -> None:
    """Load what a server serves: the release, ``extra_triples`` (the example queries, also
    into their own graph) and the ``--also`` files (each into its graph, or as it says);
    only the release files in ``named`` in a graph of their own (see :func:`load_release`)."""
    load_release(store, release_dir, iris, extra_triples, str(iris.example_query("")),
                 named=named)
    for graph, path in also:
        load_file(store, path, to_graph=graph)
    store.flush()


def default_graph_files(release_dir: Path,
                        also: Sequence[tuple[str | None, Path]] = ()) -> list[Path]:
    """The files whose triples :func:`load_inputs` puts in the default graph, in the order
    it loads them: the release's, then the ``--also`` files not given a graph (of an
    N-Quads or TriG file, the triples it puts in no graph)."""
    files = [release_dir / name for name in RELEASE_GRAPH_FILES if (release_dir / name).exists()]
    return files + [path for graph, path in also if graph is None]


def load_file(store: EmbeddedStore, path: Path, *, to_graph: str | None = None) -> None:
    """Bulk-load one RDF file (format from its extension). Quads keep their graphs; triples
    go to ``to_graph`` or the default graph."""
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise StoreError("unknown RDF file extension", file=path,
                         expected=".nt, .nq, .ttl, .trig, .rdf, .jsonld")
    if to_graph and fmt.supports_datasets:
        raise StoreError(f"a {fmt.name} file names its own graphs", file=path,
                         expected="GRAPH=FILE only for a file of triples")
    target = _node(to_graph) if to_graph else None
    try:
        store.native.bulk_load(path=str(path), format=fmt, to_graph=target)
    except SyntaxError as error:
        line = getattr(error, "lineno", None)
        raise StoreError(f"not valid {fmt.name}: {error}", file=path, line=line,
                         expected=f"a {fmt.name} document") from None
    except OSError as error:
        raise StoreError(f"cannot load: {error}", file=path) from None


def _node(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        raise QuerySyntaxError(f"not an absolute IRI: {iri!r}", expected="a graph IRI") from None
