"""A killed build, at any point, leaves the previous release as it was; the next build
removes the temporary folders of dead builds and never one a running build is writing."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pipeline_data import japan_data

from pledge_graph.build.pipeline import build
from pledge_graph.build.staging import remove_stale, swap_in


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def start_build(data: Path, out: Path) -> subprocess.Popen[str]:
    """``pledge-graph build``, reading its progress (one line a batch) as it goes."""
    return subprocess.Popen([sys.executable, "-m", "pledge_graph.cli", "build", "--data",
                             str(data), "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_for(process: subprocess.Popen[str], prefix: str) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith(prefix):
            return
    pytest.fail(f"the build ended before {prefix!r}")


def end(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.communicate(timeout=60)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("staging")
    japan_data(root, extra=300)  # five batches: some seconds of building
    build(japan_data(root / "small"), root / "dist")
    return root


@pytest.fixture()
def corpus(template: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A corpus that takes a build some seconds, a small one, and the small one's release."""
    for name in ("data", "small", "dist"):
        shutil.copytree(template / name, tmp_path / name)
    return tmp_path / "data", tmp_path / "small" / "data", tmp_path / "dist"


@pytest.mark.parametrize("moment", ["", "mapped and checked batches: 3/",
                                    "writing the release"])
def test_a_build_killed_at_any_point_keeps_the_previous_release(
        corpus: tuple[Path, Path, Path], moment: str) -> None:
    data, small, out = corpus
    before = snapshot(out)
    process = start_build(data, out)
    try:
        if moment:
            wait_for(process, moment)
        else:
            while not leftovers(out) and process.poll() is None:
                time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            end(process)
    assert snapshot(out) == before
    assert leftovers(out), "the killed build left its folder"
    build(small, out)
    assert leftovers(out) == []


def test_the_folder_of_a_running_build_is_never_removed(
        corpus: tuple[Path, Path, Path]) -> None:
    data, small, out = corpus
    running = start_build(data, out)
    try:
        wait_for(running, "mapped and checked batches: 1/")
        running.send_signal(signal.SIGSTOP)  # it holds its folder, and writes nothing more
        (folder,) = leftovers(out)
        build(small, out)  # another build of the same release, meanwhile
        assert leftovers(out) == [folder]
        running.send_signal(signal.SIGCONT)
        running.communicate(timeout=300)
        assert running.returncode == 0
    finally:
        if running.poll() is None:
            running.send_signal(signal.SIGCONT)
            end(running)
    assert leftovers(out) == []
    assert '"submissions": 301' in (out / "manifest.json").read_text(encoding="utf-8")


def test_stale_folders_are_removed_and_locked_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    dead, alive = tmp_path / ".dist.dead.tmp", tmp_path / ".dist.alive.tmp"
    others = [tmp_path / ".dist.notes", tmp_path / ".distant.x.tmp", tmp_path / "dist.tmp"]
    for folder in (dead, alive, *others):
        folder.mkdir()
        (folder / "part.nt").write_text("x", encoding="utf-8")
    handle = os.open(alive, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a running build holds its folder
        assert remove_stale(out) == [dead]
        assert alive.exists() and all(folder.exists() for folder in others)
    finally:
        os.close(handle)
    assert remove_stale(out) == [alive]


def test_a_release_left_aside_by_a_killed_swap_is_put_back(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    aside = tmp_path / ".dist.abcd.tmp.previous"
    aside.mkdir()
    (aside / "manifest.json").write_text("{}", encoding="utf-8")
    remove_stale(out)
    assert (out / "manifest.json").read_text(encoding="utf-8") == "{}"
    assert not aside.exists()


def test_swap_puts_the_new_release_in_place_and_the_old_one_aside(tmp_path: Path) -> None:
    out, new = tmp_path / "dist", tmp_path / ".dist.new.tmp"
    for folder, text in ((out, "old"), (new, "new")):
        folder.mkdir()
        (folder / "manifest.json").write_text(text, encoding="utf-8")
    swap_in(new, out)
    assert (out / "manifest.json").read_text(encoding="utf-8") == "new"
    assert (new / "manifest.json").read_text(encoding="utf-8") == "old"
    fresh = tmp_path / ".dist.fresh.tmp"
    fresh.mkdir()
    swap_in(fresh, tmp_path / "first")  # no release yet: a plain rename
    assert (tmp_path / "first").is_dir() and not fresh.exists()
