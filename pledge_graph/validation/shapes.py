"""The SHACL shapes (``shapes/*.ttl``), read under the release's base IRI."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from pledge_graph.paths import DEFAULT_BASE, SHAPES_DIR
from pledge_graph.rdf.vocab import merged_text, rebase_text

__all__ = ["shapes_graph", "shapes_text"]


def shapes_text(base: str = DEFAULT_BASE, shapes_dir: Path = SHAPES_DIR) -> str:
    """Return all ``shapes/*.ttl`` concatenated, rewritten to ``base`` (a Turtle document)."""
    return merged_text(sorted(shapes_dir.glob("*.ttl")), base)


def shapes_graph(base: str = DEFAULT_BASE, shapes_dir: Path = SHAPES_DIR) -> Graph:
    """Return the merged shapes graph under ``base``."""
    graph = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        text = rebase_text(path.read_text(encoding="utf-8"), base)
        graph.parse(data=text, format="turtle", publicID=path.as_uri())
    return graph
