"""Writing the data directory's files: atomically, and only when their bytes change.

The importer rewrites records and their snapshots on every run; a file whose bytes are
already right is left alone (its time stamp too), and any other is replaced through a
temporary file and a rename, so a crash leaves the old file or the new one, never half.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["holds", "write_atomic", "write_if_changed"]


def write_atomic(path: str | Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: all or nothing.

    ``sync`` flushes the data to disk before the rename, so a power cut cannot leave an
    empty file in place of the old one; files that can be made again may skip it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if sync:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_if_changed(path: str | Path, data: bytes, *, sync: bool = True) -> bool:
    """Write ``data`` atomically unless the file already holds it; return True if written."""
    if holds(path, data):
        return False
    write_atomic(path, data, sync=sync)
    return True


def holds(path: str | Path, data: bytes) -> bool:
    """Return True if the file at ``path`` holds exactly ``data``; its size is checked first."""
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as stream:
            return stream.read() == data
    except FileNotFoundError:
        return False
