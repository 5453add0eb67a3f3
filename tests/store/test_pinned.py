"""Pinning a release: a snapshot of its files beside it, held while served, removed once
no server holds it; a damaged release is refused with the file it lacks."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from web_server import bundled_release

from pledge_graph.errors import BuildError
from pledge_graph.store.pinned import pin_release


@pytest.fixture
def out(tmp_path: Path) -> Path:
    shutil.copytree(bundled_release()[1], tmp_path / "dist")
    return tmp_path / "dist"


def rebuilt(out: Path) -> None:
    """Replace the release as a build does: a new directory renamed into place."""
    new = out.parent / "new"
    shutil.copytree(out, new)
    manifest = json.loads((new / "manifest.json").read_text())
    manifest["version"] = "rebuilt"
    (new / "manifest.json").write_text(json.dumps(manifest))
    os.rename(out, out.parent / "old")
    os.rename(new, out)
    shutil.rmtree(out.parent / "old")


def snapshots(out: Path) -> list[str]:
    return sorted(p.name for p in (out.parent / ".dist.served").iterdir()
                  if p.is_dir() and not p.name.startswith("."))


def test_the_snapshot_links_every_file_of_the_release(out: Path) -> None:
    pinned = pin_release(out)
    try:
        served = pinned.release.directory
        assert served.parent == out.parent / ".dist.served"
        names = sorted(p.name for p in out.iterdir())
        assert sorted(p.name for p in served.iterdir() if not p.name.startswith(".")) == names
        for name in names:
            assert (served / name).stat().st_ino == (out / name).stat().st_ino
        again = pin_release(out)
        assert again.release.directory == served
        again.close()
    finally:
        pinned.close()


def test_a_rebuild_leaves_the_held_snapshot_and_the_next_start_removes_it(out: Path) -> None:
    first = pin_release(out)
    before = (first.release.directory / "pledge-graph.nt").read_bytes()
    rebuilt(out)
    second = pin_release(out)
    try:
        assert second.release.version == "rebuilt"
        assert len(snapshots(out)) == 2
        assert (first.release.directory / "pledge-graph.nt").read_bytes() == before
    finally:
        first.close()
        second.close()
    third = pin_release(out)
    try:
        assert snapshots(out) == [third.release.directory.name]
        assert third.release.version == "rebuilt"
    finally:
        third.close()


def test_a_release_lacking_a_listed_file_is_refused_with_its_name(out: Path) -> None:
    (out / "void.ttl").unlink()
    with pytest.raises(BuildError) as refused:
        pin_release(out)
    assert "void.ttl" in str(refused.value) and "manifest" in str(refused.value)
