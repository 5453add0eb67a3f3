"""The temporary folder a release is written into, and the swap that puts it in place.

A build writes its release into ``.<out>.<random>.tmp`` next to the output directory and
swaps it in only when complete. Whatever stops a build, even SIGKILL, leaves the previous
release in place, and the next build removes the folders dead builds left behind:

- each build holds an exclusive ``flock`` on its folder for as long as it runs (the kernel
  drops it when the process and the workers it forked are gone), so a folder whose lock can
  be taken belongs to no running build, and one whose lock cannot is never touched;
- folders are made and cleaned up under a lock on the parent directory, so a new folder is
  locked before any other build can look at it;
- the swap exchanges the two directories in one step (``renameat2(RENAME_EXCHANGE)`` on
  Linux), so the output directory is never missing; where that is not available, the old
  release is renamed aside first, and a build killed between the two renames has it put
  back by the next one.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pledge_graph.errors import BuildError

__all__ = ["remove_stale", "staging_folder", "swap_in"]

_PREVIOUS = ".previous"  # suffix of an old release renamed aside by the two-step swap


@contextmanager
def staging_folder(out: Path) -> Iterator[Path]:
    """Make and lock a new temporary folder next to ``out`` (after removing those of dead
    builds); yield it, and remove it (unless swapped in) when the block ends."""
    with _locked(out.parent):
        remove_stale(out)
        folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        handle = _lock(folder, wait=True)
    try:
        folder.chmod(0o755)  # a release is for reading by everyone, like the files in it
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(handle)


def remove_stale(out: Path) -> list[Path]:
    """Remove the temporary folders that builds of ``out`` left when they died; return them.

    An old release renamed aside by a killed two-step swap is put back in place of a
    missing ``out`` instead of being removed.
    """
    removed = []
    for folder in sorted(out.parent.glob(f".{out.name}.*.tmp*")):
        if not folder.name.endswith((".tmp", ".tmp" + _PREVIOUS)) or folder.is_symlink():
            continue
        try:
            handle = _lock(folder, wait=False)
        except OSError:
            continue  # a running build's (locked), or not a folder a build made
        try:
            if folder.name.endswith(_PREVIOUS) and not out.exists():
                os.rename(folder, out)
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(handle)
    return removed


def swap_in(new: Path, out: Path) -> None:
    """Put the folder ``new`` in place of ``out`` atomically; the old release, if any, ends
    up at ``new`` (to be removed by the caller)."""
    with _locked(out.parent):  # no build cleans up while an old release is aside
        _swap(new, out)


def _swap(new: Path, out: Path) -> None:
    if out.exists() and _exchange(new, out):
        return
    old = None
    if out.exists():
        old = new.parent / f"{new.name}{_PREVIOUS}"
        os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError as error:
        if old is not None:
            os.rename(old, out)
        raise BuildError(f"cannot move the new release into place: {error}", file=out) from None
    if old is not None:
        os.rename(old, new)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    handle = _lock(directory, wait=True)
    try:
        yield
    finally:
        os.close(handle)


def _lock(directory: Path, *, wait: bool) -> int:
    """Open ``directory`` and take an exclusive flock on it; return the descriptor, which
    holds the lock until it is closed. Raises BlockingIOError if it is held and not
    ``wait``."""
    handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(handle)
        raise
    return handle


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(new: Path, out: Path) -> bool:
    """Exchange two directories in one step; return False where the system cannot."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(out),
                       _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # a file system or kernel without the exchange
    raise BuildError(f"cannot move the new release into place: {os.strerror(code)}", file=out)
