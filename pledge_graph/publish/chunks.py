"""The dumps written in parts: each batch of submissions serialises its own part of every dump
(N-Triples, Turtle, JSON-LD, and their gzip streams) in a worker process, and the parent joins
the parts in batch order.

Joining is cheap because every part is independent: a batch's subjects belong to it alone, so
its Turtle blocks and JSON-LD node objects stand on their own, and each part's deflate stream
is ended with a sync flush, so the parts concatenate into one gzip member (the parent adds the
header, a final empty block and the CRC-32 and length of the whole). A joined file is a single
ordinary gzip stream, byte-identical whatever the number of workers.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pledge_graph.publish.jsonld import DOCUMENT_TAIL, Compactor, compact_rows, document_head
from pledge_graph.publish.turtle import Names, turtle_header, turtle_rows
from pledge_graph.rdf.ntriples import Triple

__all__ = ["GZIP_LEVEL", "DumpParts", "DumpWriter", "serialise"]

GZIP_LEVEL = 3
"""zlib level of the gzip dumps: about 3x as fast to write as level 6, for files about 1.25x
as large (N-Triples: 6 % of its size instead of 4.7 %)."""
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0


def _deflate(data: bytes) -> bytes:
    """A raw deflate stream of ``data`` that later streams may follow (sync flush, not final)."""
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True)
class DumpParts:
    """One batch's part of each dump: ``{suffix: (bytes, deflated bytes)}``.

    Turtle and JSON-LD parts hold only blocks and node objects; the writer adds the prefixes,
    the document head and the separators between parts.
    """

    parts: dict[str, tuple[bytes, bytes]]
    nodes: int

    @property
    def empty(self) -> bool:
        return self.nodes == 0


def serialise(rows: Sequence[Triple], names: Names, compactor: Compactor) -> DumpParts:
    """Serialise sorted, unique triples (whole subjects) as parts of each dump."""
    nt = "".join([f"{s} {p} {o} .\n" for s, p, o in rows]).encode("utf-8")
    ttl = turtle_rows(rows, names).encode("utf-8")
    nodes = compact_rows(rows, compactor)
    jsonld = ",\n".join(nodes).encode("utf-8")
    parts = {suffix: (data, _deflate(data))
             for suffix, data in ((".nt", nt), (".ttl", ttl), (".jsonld", jsonld))}
    return DumpParts(parts, len(nodes))


class _Output:
    """One dump file and its gzip twin, with the SHA-256 and size of each as written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.gz_path = path.with_name(path.name + ".gz")
        self.raw: IO[bytes] = path.open("wb")
        self.gz: IO[bytes] = self.gz_path.open("wb")
        self.raw_sha, self.gz_sha = hashlib.sha256(), hashlib.sha256()
        self.crc = 0
        self.size = 0
        self.gz_size = 0
        self._gz_write(_GZIP_HEADER)

    def _gz_write(self, data: bytes) -> None:
        self.gz.write(data)
        self.gz_sha.update(data)
        self.gz_size += len(data)

    def write(self, data: bytes, deflated: bytes | None = None) -> None:
        """Append ``data``; ``deflated`` is its sync-flushed raw deflate stream when known."""
        if not data:
            return
        self.raw.write(data)
        self.raw_sha.update(data)
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self._gz_write(deflated if deflated is not None else _deflate(data))

    def close(self) -> dict[str, dict[str, Any]]:
        final = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
        self._gz_write(final + struct.pack("<II", self.crc, self.size & 0xFFFFFFFF))
        self.raw.close()
        self.gz.close()
        return {self.path.name: {"bytes": self.size, "sha256": self.raw_sha.hexdigest()},
                self.gz_path.name: {"bytes": self.gz_size, "sha256": self.gz_sha.hexdigest()}}


class DumpWriter:
    """Writes ``<stem>.nt``, ``.ttl`` and ``.jsonld`` (and ``.gz`` of each) from parts in order.

    ``context`` is the context document the parts were compacted with; the JSON-LD dump
    embeds it, so the file reads alone."""

    def __init__(self, directory: Path, stem: str, prefixes: dict[str, str],
                 context: dict[str, Any]) -> None:
        self.outputs = {suffix: _Output(directory / f"{stem}{suffix}")
                        for suffix in (".nt", ".ttl", ".jsonld")}
        self.outputs[".ttl"].write(turtle_header(prefixes).encode("utf-8"))
        self.outputs[".jsonld"].write(document_head(context).encode("utf-8"))
        self._nodes = 0

    def add(self, parts: DumpParts) -> None:
        """Append one batch's parts to every dump."""
        if parts.empty:
            return
        for suffix, (data, deflated) in parts.parts.items():
            if suffix == ".jsonld" and self._nodes:
                self.outputs[suffix].write(b",\n")
            self.outputs[suffix].write(data, deflated)
        self._nodes += parts.nodes

    def close(self) -> dict[str, dict[str, Any]]:
        """Finish every file; return each file's size and SHA-256, by file name."""
        self.outputs[".jsonld"].write(DOCUMENT_TAIL.encode("utf-8"))
        files: dict[str, dict[str, Any]] = {}
        for output in self.outputs.values():
            files.update(output.close())
        return files

    def abort(self) -> None:
        """Close the files without finishing them (the caller discards the directory)."""
        for output in self.outputs.values():
            output.raw.close()
            output.gz.close()
