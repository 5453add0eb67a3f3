"""A record's fields as the mapping reads them: each checked, and a bad one reported as a
:class:`~pledge_graph.errors.RecordError` with the record's file and the field's line."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pledge_graph.errors import RecordError
from pledge_graph.ingest import safe_yaml
from pledge_graph.ingest.document import UN_LANGUAGES
from pledge_graph.ingest.inputs import confined, read_input
from pledge_graph.records.curated import read_record_text

__all__ = ["Fields", "Head", "entity_names", "read_head", "read_source_text", "record_lines"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------------------
# Reading records
# ---------------------------------------------------------------------------

def record_lines(path: Path) -> dict[tuple[Any, ...], int]:
    """Map key paths of a record (``("pledges", 0, "text")``) to 1-based YAML lines.

    Only needed to point at an error, so it is computed on demand, not for every record.
    """
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, key: tuple[Any, ...]) -> None:
        lines[key] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(v, key + (k.value,))
                lines[key + (k.value,)] = k.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, key + (i,))

    try:
        root, _ = safe_yaml.load(read_record_text(path), file=path, error=RecordError,
                                 expected="a record")
    except RecordError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


# ---------------------------------------------------------------------------
# Checking a record's fields
# ---------------------------------------------------------------------------

class Fields:
    """Reads a record's fields, raising RecordError with file, line and expectation."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self._lines: dict[tuple[Any, ...], int] | None = None

    def fail(self, key: tuple[Any, ...], message: str, expected: str) -> RecordError:
        if self._lines is None:
            self._lines = record_lines(self.path)
        line = None
        for n in range(len(key), -1, -1):
            line = self._lines.get(key[:n])
            if line is not None:
                break
        return RecordError(message, file=self.path, line=line, expected=expected)

    def get(self, key: tuple[Any, ...], kind: type | tuple[type, ...], expected: str,
            *, optional: bool = False) -> Any:
        value: Any = self.data
        for part in key:
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and isinstance(part, int) and part < len(value):
                value = value[part]
            else:
                value = None
        if value is None and optional:
            return None
        if value is None:
            raise self.fail(key, f"missing field {'.'.join(map(str, key))!s}", expected)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(key, f"bad value {value!r} for {'.'.join(map(str, key))}", expected)
        return value

    def positive(self, key: tuple[Any, ...], *, optional: bool = False,
                 zero: bool = False) -> int | None:
        value = self.get(key, int, "a positive whole number", optional=optional)
        if value is not None and value < (0 if zero else 1):
            least = "0" if zero else "1"
            raise self.fail(key, f"bad number {value}", f"a whole number >= {least}")
        return value


def entity_names(fields: Fields) -> list[str]:
    entities = fields.get(("entities",), list, "a list of pledging entities, each with a name")
    if not entities:
        raise fields.fail(("entities",), "no pledging entity", "at least one entity with a name")
    return [fields.get(("entities", i, "name"), str, "the entity's name as written")
            for i in range(len(entities))]


@dataclass(frozen=True)
class Head:
    """A record's fields about the document as a whole, checked."""

    title: str
    month: int
    year: int
    language: str
    kind: str
    source: str
    sha256: str


def read_head(fields: Fields, data_dir: Path) -> Head:
    """Read and check the document's fields; the source must be the one the record names."""
    title = fields.get(("title",), str, "the document's title")
    month = fields.positive(("month",))
    if month is None or month > 12:
        raise fields.fail(("month",), f"bad month {month}", "a month number 1..12")
    year = fields.positive(("year",))
    assert year is not None
    language = fields.get(("language",), str, "an ISO 639-1 code of a UN language")
    if language not in UN_LANGUAGES:
        raise fields.fail(("language",), f"bad language {language!r}",
                          "one of " + " ".join(UN_LANGUAGES))
    kind = fields.get(("pledge_type",), str, "single or joint")
    if kind not in ("single", "joint"):
        raise fields.fail(("pledge_type",), f"bad pledge type {kind!r}", "single or joint")
    source = fields.get(("source",), str, "the source file, relative to the data directory")
    sha = fields.get(("source_sha256",), str, "the SHA-256 of the source, 64 hex digits")
    if not _SHA256.match(sha):
        raise fields.fail(("source_sha256",), f"bad checksum {sha!r}", "64 lower-case hex digits")
    _check_source(fields, data_dir, source, sha)
    return Head(title, month, year, language, kind, source, sha)


def read_source_text(fields: Fields, data_dir: Path) -> tuple[str, str] | None:
    """For a Word or PDF source, the text read from it and that text's checksum, checked
    against the file held beside the source like the source itself; None for a text source."""
    text = fields.get(("text",), str, "the text read from the source", optional=True)
    if text is None:
        return None
    sha = fields.get(("text_sha256",), str, "the SHA-256 of the text, 64 hex digits")
    if not _SHA256.match(sha):
        raise fields.fail(("text_sha256",), f"bad checksum {sha!r}", "64 lower-case hex digits")
    _check_source(fields, data_dir, text, sha, keys=("text", "text_sha256"))
    return text, sha


def _check_source(fields: Fields, data_dir: Path, source: str, sha: str,
                  keys: tuple[str, str] = ("source", "source_sha256")) -> None:
    """The checksum published for a submission must be that of the verbatim source we hold,
    which lies in the data directory: a record cannot make the build read or publish any
    other file (symlinks are resolved before the check)."""
    path = confined(data_dir, source)
    if path is None:
        raise fields.fail((keys[0],), f"the source {source!r} lies outside the data directory",
                          "a path relative to the data directory, e.g. sources/<slug>.txt")
    try:
        data = read_input(path, error=RecordError, what="the source file",
                          expected="an existing file under the data directory")
    except RecordError as error:
        raise fields.fail((keys[0],), f"source file {path}: {error.message}",
                          "an existing file under the data directory") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha:
        raise fields.fail((keys[1],), f"{keys[1]} does not match {path} ({actual})",
                          "the SHA-256 of the verbatim source; re-import the document")
