"""Files handed to the pipeline, read as if each were an attack.

Documents, records and authority files come from people and tools the pipeline does not
control. Whatever is in them, reading one costs time and memory in proportion to its size
(never more than ``MAX_FILE_BYTES``), and what cannot be published is refused with the file,
the line and what was expected:

- only regular files are read (not a FIFO, a device or ``/dev/zero`` behind a symlink);
- text is UTF-8; the error names the line of the first byte that is not;
- characters that XML 1.0 forbids (C0 controls but tab, line feed and carriage return;
  lone surrogates; U+FFFE and U+FFFF) and DEL are refused, so nothing ill-formed reaches a
  dump or an answer;
- a path a record names is confined to the data directory, symlinks resolved.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from pledge_graph.errors import InputError

__all__ = [
    "FORBIDDEN_CHARACTERS",
    "MAX_FILE_BYTES",
    "check_characters",
    "confined",
    "decode_text",
    "forbidden_character",
    "read_input",
]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest input file read: far above any pledge document or record, far below memory."""

FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
"""Characters no input may hold: C0 controls but tab, line feed and carriage return, DEL,
lone surrogates, and the two non-characters XML 1.0 forbids."""


def read_input(path: str | Path, *, error: type[InputError], what: str,
               expected: str) -> bytes:
    """Return the bytes of the regular file at ``path`` (symlinks followed), at most
    ``MAX_FILE_BYTES`` of them; anything else raises ``error`` naming the file.

    ``what`` names the file in messages ("the document"); ``expected`` says what it should be.
    """
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as failure:
        raise error(f"cannot read {what}: {failure.strerror}", file=path,
                    expected=expected) from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{what} is not a regular file", file=path, expected=expected)
        if info.st_size > MAX_FILE_BYTES:
            raise error(f"{what} is larger than {MAX_FILE_BYTES // 2**20} MiB", file=path,
                        expected=f"{expected} of at most {MAX_FILE_BYTES // 2**20} MiB")
        chunks = []
        size = 0
        while chunk := os.read(handle, 1 << 20):
            size += len(chunk)
            if size > MAX_FILE_BYTES:  # grew while being read
                raise error(f"{what} is larger than {MAX_FILE_BYTES // 2**20} MiB",
                            file=path, expected=expected)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as failure:
        raise error(f"cannot read {what}: {failure.strerror}", file=path,
                    expected=expected) from None
    finally:
        os.close(handle)


def decode_text(data: bytes, *, file: str | Path, error: type[InputError], what: str,
                expected: str = "UTF-8 encoded text") -> str:
    """Return ``data`` decoded as UTF-8, refusing forbidden characters (see the module).

    >>> decode_text(b"caf\\xc3\\xa9", file="a.txt", error=InputError, what="the document")
    'café'
    >>> decode_text(b"one\\ntwo\\xff", file="a.txt", error=InputError, what="the document")
    Traceback (most recent call last):
    pledge_graph.errors.InputError: a.txt:2: the document is not UTF-8 text: byte 0xff cannot be decoded (expected UTF-8 encoded text)
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as failure:
        line = data.count(b"\n", 0, failure.start) + 1
        bad = data[failure.start:failure.start + 1].hex()
        raise error(f"{what} is not UTF-8 text: byte 0x{bad} cannot be decoded", file=file,
                    line=line, expected=expected) from None
    check_characters(text, file=file, error=error)
    return text


def forbidden_character(text: str) -> tuple[int, str] | None:
    """Return the offset and the code point ('U+0000') of the first forbidden character of
    ``text``, or None.

    >>> forbidden_character("fine\\ttext\\r\\n")
    >>> forbidden_character("bell\\x07")
    (4, 'U+0007')
    """
    found = FORBIDDEN_CHARACTERS.search(text)
    if found is None:
        return None
    return found.start(), f"U+{ord(found.group()):04X}"


def check_characters(text: str, *, file: str | Path, error: type[InputError],
                     first_line: int = 1) -> None:
    """Raise ``error`` at the line and column of the first forbidden character of ``text``,
    whose first line is line ``first_line`` of ``file``."""
    found = forbidden_character(text)
    if found is None:
        return
    offset, code = found
    line = text.count("\n", 0, offset) + first_line
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    raise error(f"control character {code} at column {column}", file=file, line=line,
                expected="printable text (tab, line breaks and characters XML allows); "
                         "remove the character")


def confined(data_dir: str | Path, relative: str) -> Path | None:
    """Return the file ``relative`` names inside ``data_dir``, symlinks resolved, or None
    when it is absolute or leads outside the data directory.

    >>> confined("/srv/data", "sources/a.txt") is not None
    True
    >>> confined("/srv/data", "../etc/passwd") is None, confined("/srv/data", "/etc/passwd")
    (True, None)
    """
    if not relative or "\0" in relative or Path(relative).is_absolute():
        return None
    root = Path(data_dir).resolve()
    try:
        target = (root / relative).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
    if root not in target.parents:
        return None
    return target
