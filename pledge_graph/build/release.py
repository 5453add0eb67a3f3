"""The release a server or a query runs on: built when missing or stale, described by its
manifest.

A release is stale when the input digest its manifest records differs from the digest of
the current inputs (the data directory, the ontology, the shapes and the base IRI, see
``pledge_graph.build.pipeline.input_digest``); it is then rebuilt before it is served.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pledge_graph.errors import BuildError
from pledge_graph.paths import ONTOLOGY_DIR, SHAPES_DIR

__all__ = ["Release", "ensure_release", "is_stale", "read_release"]


@dataclass(frozen=True)
class Release:
    """A built release: its directory, the digest of its manifest (which names every file's
    checksum, so it changes whenever the release does: the base of ETags), its build time
    and its manifest."""

    directory: Path
    digest: str
    built: datetime
    manifest: dict[str, object]

    @property
    def version(self) -> str:
        """The release's version, or its short digest when the manifest names none."""
        return str(self.manifest.get("version") or self.digest[:12])


def read_release(directory: Path) -> Release:
    """Read ``manifest.json`` of a release directory."""
    path = directory / "manifest.json"
    try:
        raw = path.read_bytes()
        manifest = json.loads(raw)
    except FileNotFoundError:
        raise BuildError("no release here", file=path,
                         expected="a release written by `pledge-graph build`") from None
    except (OSError, ValueError) as error:
        raise BuildError(f"cannot read the manifest: {error}", file=path,
                         expected="the JSON manifest of a release") from None
    if not isinstance(manifest, dict):
        raise BuildError("the manifest is not a JSON object", file=path, line=1,
                         expected="a JSON object")
    try:
        built = datetime.strptime(str(manifest["build_time"]), "%Y-%m-%dT%H:%M:%SZ")
        built = built.replace(tzinfo=UTC)
    except (KeyError, ValueError):
        built = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    return Release(directory, hashlib.sha256(raw).hexdigest(), built, manifest)


def is_stale(directory: Path, data_dir: Path, base: str) -> bool:
    """Return True when the release is missing, has no search index or was built from
    other inputs.

    When no input file is newer than the manifest and the base is the same, the release is
    current without hashing the inputs (which needs the build stage, slow to import)."""
    path = directory / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        built = path.stat().st_mtime
    except (OSError, ValueError):
        return True
    if not isinstance(manifest, dict):
        return True
    files = manifest.get("files")
    if not isinstance(files, dict) or "search.sqlite" not in files:
        return True  # built before releases had their search index
    if manifest.get("base") == base and _newest(data_dir, ONTOLOGY_DIR, SHAPES_DIR) <= built:
        return False
    from pledge_graph.build.pipeline import input_digest

    return manifest.get("digest") != input_digest(data_dir, base)


def ensure_release(data_dir: Path, out_dir: Path, base: str) -> Release:
    """Return the release in ``out_dir``, building it first when it is missing or stale."""
    if is_stale(out_dir, data_dir, base):
        from pledge_graph.build.pipeline import build

        build(data_dir, out_dir, base)
    return read_release(out_dir)


def _newest(*directories: Path) -> float:
    times = [p.stat().st_mtime for d in directories if d.exists()
             for p in d.rglob("*") if p.is_file()]
    return max(times, default=0.0)
