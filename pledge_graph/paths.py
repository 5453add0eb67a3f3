"""Where the project's own files live, and the defaults every stage shares."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CHARTS_INDEX",
    "DATA_DIR",
    "DEFAULT_BASE",
    "DIST_DIR",
    "ONTOLOGY_DIR",
    "PROJECT_ROOT",
    "QUERIES_DIR",
    "SHAPES_DIR",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
SHAPES_DIR = PROJECT_ROOT / "shapes"
QUERIES_DIR = PROJECT_ROOT / "queries"
DIST_DIR = PROJECT_ROOT / "dist"

# The namespace every IRI the project mints lives under. The ontology, scheme and shapes
# files are written with this base; a build with another ``--base`` rewrites them.
DEFAULT_BASE = "https://w3id.org/pledge-graph/"

# The release's index of its charts (written by ``publish.charts``, read by ``/stats``).
CHARTS_INDEX = "charts.json"
