"""A release pinned for as long as a server serves it.

A rebuild replaces the release directory whole (``pledge_graph.build.pipeline``), so a server that
read the release's files by path would serve the new dumps beside the old store's answers,
and lose the store it keeps inside the old directory. Before serving, :func:`pin_release`
links the release's files (hard links; copies where a link is refused) into a snapshot
beside it, ``<out>/../.<out-name>.served/<digest>/``, which no rebuild touches; the server
serves that snapshot (its store included) until it stops, and a restart pins the release
then current.

Each server holds a shared lock on its snapshot; a snapshot no server holds is removed by
the next server that starts beside it, so old releases do not pile up. Snapshots are made
and removed under one exclusive lock on the folder that holds them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pledge_graph.build.release import Release, read_release
from pledge_graph.errors import BuildError

__all__ = ["PinnedRelease", "pin_release"]

_MANIFEST = "manifest.json"
_HELD = ".lock"
_COMPLETE = ".complete"
_ATTEMPTS = 5


class _Replaced(Exception):
    """The release directory was replaced while it was being linked; read it again."""


class PinnedRelease:
    """A release snapshot this process serves; :meth:`close` lets it be removed."""

    def __init__(self, release: Release, held: int) -> None:
        self.release = release
        self._held = held

    def close(self) -> None:
        """Give up the snapshot (it is removed when the next server starts beside it)."""
        if self._held >= 0:
            os.close(self._held)
            self._held = -1


def pin_release(out: Path) -> PinnedRelease:
    """Snapshot the release in ``out`` (or reuse the snapshot of the same release), hold it
    for this process, remove the snapshots nobody holds, and return the pinned release."""
    out = Path(os.path.abspath(out))
    root = out.parent / f".{out.name}.served"
    try:
        root.mkdir(exist_ok=True)
    except OSError as error:
        raise BuildError(f"cannot keep the served release beside it: {error.strerror}",
                         file=root, expected="a writable folder next to the release") from None
    with _exclusive(root / _HELD):
        snapshot = _snapshot_with_retries(out, root)
        held = os.open(snapshot / _HELD, os.O_RDONLY)
        fcntl.flock(held, fcntl.LOCK_SH)
        _remove_unheld(root, keep=snapshot)
    try:
        return PinnedRelease(read_release(snapshot), held)
    except BuildError:
        os.close(held)
        raise


def _snapshot_with_retries(out: Path, root: Path) -> Path:
    for _ in range(_ATTEMPTS):
        try:
            return _snapshot(out, root)
        except _Replaced:
            continue
    raise BuildError("the release kept being replaced while it was read", file=out,
                     expected="a release that is not rebuilt over and over")


def _snapshot(out: Path, root: Path) -> Path:
    """Link every file of the release into a new snapshot, or return the existing one.

    The files are read through one open handle on the directory, so they all come from the
    same release even if a rebuild moves it away meanwhile; a file that vanishes (the old
    release being deleted) or a manifest that does not list what was linked means the
    release was replaced: :class:`_Replaced`."""
    try:
        directory = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        raise _Replaced from None
    try:
        try:
            manifest = _read(directory, _MANIFEST)
        except FileNotFoundError:
            raise _Replaced from None
        target = root / hashlib.sha256(manifest).hexdigest()[:32]
        if (target / _COMPLETE).exists():
            return target
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
        try:
            for name in os.listdir(directory):
                if not name.startswith("."):
                    _link(directory, name, building)
            missing = _unlike_manifest(manifest, building)
            if missing is not None:
                if _moved(out, directory):
                    raise _Replaced
                raise BuildError("the release lacks a file its manifest lists, or holds it "
                                 "with another size", file=out / missing,
                                 expected="a release as `pledge-graph build` writes it")
            (building / _HELD).touch()
            (building / _COMPLETE).touch()
            building.chmod(0o755)
            os.rename(building, target)
        finally:
            shutil.rmtree(building, ignore_errors=True)
        return target
    finally:
        os.close(directory)


def _moved(out: Path, directory: int) -> bool:
    """Whether ``out`` is no longer the directory open as ``directory`` (a rebuild)."""
    try:
        now, opened = os.stat(out), os.fstat(directory)
    except FileNotFoundError:
        return True
    return (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino)


def _read(directory: int, name: str) -> bytes:
    fd = os.open(name, os.O_RDONLY, dir_fd=directory)
    with os.fdopen(fd, "rb") as file:
        return file.read()


def _link(directory: int, name: str, into: Path) -> None:
    """Hard-link one regular file of the release into ``into`` (copy it where a link is
    refused: another file system, or a file the server's user does not own)."""
    try:
        if not stat.S_ISREG(os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode):
            return
        os.link(name, into / name, src_dir_fd=directory, follow_symlinks=False)
    except FileNotFoundError:
        raise _Replaced from None
    except OSError:
        try:
            source = os.open(name, os.O_RDONLY, dir_fd=directory)
        except FileNotFoundError:
            raise _Replaced from None
        with os.fdopen(source, "rb") as reading, open(into / name, "wb") as writing:
            shutil.copyfileobj(reading, writing, 1 << 20)


def _unlike_manifest(manifest: bytes, snapshot: Path) -> str | None:
    """Return a file the manifest lists that the snapshot lacks or holds with another size
    (None when every one is there as listed)."""
    try:
        files = json.loads(manifest).get("files", {})
    except (ValueError, AttributeError):
        return None  # not a manifest the build wrote: read_release reports it
    for name, entry in files.items():
        size = entry.get("bytes") if isinstance(entry, dict) else None
        path = snapshot / name
        if not path.is_file() or (size is not None and path.stat().st_size != size):
            return str(name)
    return None


def _remove_unheld(root: Path, keep: Path) -> None:
    """Remove the snapshots no running server holds (and leftovers of interrupted ones)."""
    for entry in root.iterdir():
        if entry == keep or not entry.is_dir():
            continue
        if entry.name.startswith(".building-"):
            shutil.rmtree(entry, ignore_errors=True)  # only made under the lock we hold
            continue
        try:
            held = os.open(entry / _HELD, os.O_RDONLY)
        except FileNotFoundError:
            shutil.rmtree(entry, ignore_errors=True)
            continue
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(entry, ignore_errors=True)
        except BlockingIOError:
            pass  # a running server serves it
        finally:
            os.close(held)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
