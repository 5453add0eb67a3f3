"""Example queries: ``queries/*.rq`` read with their header, published as data, runnable
from the command line.

Each file starts with comment lines naming it::

    # title: Pledges by rights-holder group
    # description: How many pledges serve each rights-holder group of the scheme.

The queries are published as ``sh:SPARQLExecutable`` resources (the convention of the SIB
``sparql-examples``), listed on the query page and run by ``pledge-graph query NAME|FILE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from pledge_graph.errors import InputError
from pledge_graph.paths import QUERIES_DIR
from pledge_graph.rdf.vocab import RDF, RDFS, SCHEMA, SH, Iris
from pledge_graph.sparql.lexer import query_form
from pledge_graph.sparql.results import Answer

__all__ = [
    "ExampleQuery",
    "answer_on_release",
    "example_triples",
    "find_query",
    "load_example",
    "load_examples",
]

_HEADER = re.compile(r"^#\s*(title|description)\s*:\s*(.*?)\s*$")
_PREDICATE = {"solutions": SH.select, "boolean": SH.ask, "graph": SH.construct}


@dataclass(frozen=True)
class ExampleQuery:
    """One example query: its name (file stem), title, description, text and answer kind."""

    name: str
    title: str
    description: str
    text: str
    kind: str
    path: Path


def load_example(path: Path) -> ExampleQuery:
    """Read one ``.rq`` file; its ``# title:`` and ``# description:`` header is required."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the query: {error}", file=path) from None
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            header[match.group(1)] = match.group(2)
    for field in ("title", "description"):
        if not header.get(field):
            raise InputError(f"the query has no {field}", file=path, line=1,
                             expected=f"a '# {field}: ...' comment line at the top")
    kind = query_form(text)
    if kind is None:
        first = next((n for n, content in enumerate(text.splitlines(), 1)
                      if content.strip() and not content.startswith("#")), 1)
        raise InputError("not a SPARQL query", file=path, line=first,
                         expected="SELECT, ASK, CONSTRUCT or DESCRIBE after the prologue")
    return ExampleQuery(path.stem, header["title"], header["description"], text, kind, path)


def load_examples(directory: Path = QUERIES_DIR) -> list[ExampleQuery]:
    """Read every ``*.rq`` of ``directory``, sorted by name."""
    return [load_example(p) for p in sorted(directory.glob("*.rq"))]


def find_query(name_or_file: str, directory: Path = QUERIES_DIR) -> ExampleQuery:
    """Return the example named ``name_or_file``, or the ``.rq`` file at that path."""
    path = Path(name_or_file)
    if path.suffix == ".rq" and path.exists():
        return load_example(path)
    candidate = directory / f"{name_or_file}.rq"
    if candidate.exists():
        return load_example(candidate)
    names = ", ".join(q.name for q in load_examples(directory)) or "none"
    raise InputError(f"no example query or .rq file named {name_or_file!r}", file=directory,
                     expected=f"one of: {names}")


def example_triples(examples: list[ExampleQuery], iris: Iris, endpoint: str) -> list[ox.Triple]:
    """Describe the examples as ``sh:SPARQLExecutable`` resources targeting ``endpoint``."""
    out = []
    for q in examples:
        node = ox.NamedNode(str(iris.example_query(q.name)))

        def add(p: object, o: ox.NamedNode | ox.Literal, node: ox.NamedNode = node) -> None:
            out.append(ox.Triple(node, ox.NamedNode(str(p)), o))

        add(RDF.type, ox.NamedNode(str(SH.SPARQLExecutable)))
        add(RDFS.label, ox.Literal(q.title, language="en"))
        add(RDFS.comment, ox.Literal(q.description, language="en"))
        add(_PREDICATE[q.kind], ox.Literal(q.text))
        add(SCHEMA.target, ox.NamedNode(endpoint))
    return out


def answer_on_release(example: ExampleQuery, data_dir: Path, out_dir: Path, base: str,
                      media_types: dict[str, str]) -> Answer:
    """Answer ``example`` on the release of ``data_dir`` in ``out_dir`` (built first when
    missing or stale), loaded with the example queries into a store in memory, in
    ``media_types[kind]`` for the query's kind."""
    from pledge_graph.build.release import ensure_release
    from pledge_graph.store.embedded import EmbeddedStore
    from pledge_graph.store.loading import load_release

    iris = Iris(base)
    release = ensure_release(data_dir, out_dir, iris.base)
    store = EmbeddedStore()
    examples = load_examples()
    load_release(store, release.directory, iris,
                 example_triples(examples, iris, str(iris.sparql())),
                 str(iris.example_query("")))
    return store.query(example.text, media_types=media_types)
