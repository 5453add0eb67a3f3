"""Curated pledge records: read, check, write, and merge them on re-import.

A record (``records/<slug>.yaml``, schema in docs/model.md) is what curators edit. Reading
one checks every field's type and reports a broken record as a :class:`RecordError` with
the file and the line (from the YAML node marks), so a curator can find the mistake.
:func:`merge_records` is the three-way merge that lets a document be re-imported without
losing what curators changed (docs/curation.md).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pledge_graph.errors import RecordError
from pledge_graph.ingest import safe_yaml
from pledge_graph.ingest.document import UN_LANGUAGES
from pledge_graph.ingest.inputs import decode_text, read_input
from pledge_graph.records.files import write_if_changed
from pledge_graph.records.record_yaml import dump_record

__all__ = [
    "FACT_KINDS",
    "FACT_STATUSES",
    "PLEDGE_TYPES",
    "Record",
    "dump_record",
    "imported_path",
    "load_record",
    "merge_records",
    "parse_record",
    "read_record_text",
    "record_path",
    "record_paths",
    "write_record",
]

PLEDGE_TYPES = ("single", "joint")
FACT_KINDS = ("funding", "treaty", "organisation", "country", "programme")
FACT_STATUSES = ("extracted", "confirmed", "corrected", "added", "rejected")

Record = dict[str, Any]

# ---------------------------------------------------------------------------------------
# Where records live
# ---------------------------------------------------------------------------------------


def record_path(data_dir: Path, slug: str) -> Path:
    """Return the path of the curated record of ``slug``."""
    return Path(data_dir) / "records" / f"{slug}.yaml"


def imported_path(data_dir: Path, slug: str) -> Path:
    """Return the path of the copy of what the importer last wrote for ``slug``."""
    return Path(data_dir) / "records" / ".imported" / f"{slug}.yaml"


# ---------------------------------------------------------------------------------------
# Checking a record against its schema, with the line of every node
# ---------------------------------------------------------------------------------------


class _Checker:
    """Checks constructed YAML data against the record schema, node by node."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.key_lines: dict[int, int] = {}  # id(value node) -> line of its key

    def fail(self, node: Node, message: str, expected: str) -> RecordError:
        line = self.key_lines.get(id(node), node.start_mark.line)
        return RecordError(message, file=self.file, line=line + 1, expected=expected)

    def fields(self, node: Node, what: str, required: tuple[str, ...],
               optional: tuple[str, ...] = (), open_: bool = False) -> dict[str, Node]:
        """Return key -> value node of a mapping; check its keys are the schema's."""
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} is not a mapping", f"{what} as 'key: value' lines")
        nodes: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key in nodes:
                raise self.fail(key_node, f"{what} has the field {key!r} twice",
                                "each field once")
            if not open_ and key not in required + optional:
                raise self.fail(key_node, f"unknown field {key!r} in {what}",
                                "one of " + ", ".join(required + optional))
            nodes[str(key)] = value_node
            self.key_lines[id(value_node)] = key_node.start_mark.line
        for key in required:
            if key not in nodes:
                raise self.fail(node, f"{what} has no field {key!r}", f"a {key!r} field")
        return nodes

    def value(self, node: Node, value: Any, what: str, kind: str,
              choices: tuple[str, ...] = (), minimum: int | None = None,
              nullable: bool = False) -> None:
        """Check one scalar: its type, and its range or choices."""
        if value is None and nullable:
            return
        if kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
            ok = ok and (minimum is None or value >= minimum)
            expected = "an integer" + (f" >= {minimum}" if minimum is not None else "")
        else:
            ok = isinstance(value, str) and bool(value.strip())
            ok = ok and (not choices or value in choices)
            expected = ("one of " + ", ".join(choices)) if choices else "a non-empty text"
        if not ok:
            raise self.fail(node, f"bad value {value!r} for {what}",
                            expected + (" or null" if nullable else ""))

    def sequence(self, node: Node, value: Any, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode) or not isinstance(value, list):
            raise self.fail(node, f"{what} is not a list", f"{what} as '- item' lines")
        return list(node.value)

    def record(self, node: Node, data: Any) -> None:
        nodes = self.fields(node, "the record", (
            "slug", "source", "source_sha256", "title", "month", "year", "language",
            "language_label", "pledge_type", "pledge_type_label", "entities", "pledges"),
            optional=("text", "text_sha256"))
        for key in ("slug", "source", "title", "language_label", "pledge_type_label"):
            self.value(nodes[key], data[key], key, "str")
        self.value(nodes["language"], data["language"], "language", "str",
                   choices=tuple(UN_LANGUAGES))
        self.value(nodes["pledge_type"], data["pledge_type"], "pledge_type", "str",
                   choices=PLEDGE_TYPES)
        self.value(nodes["year"], data["year"], "year", "int", minimum=1)
        self.value(nodes["month"], data["month"], "month", "int", minimum=1)
        if data["month"] > 12:
            raise self.fail(nodes["month"], f"bad value {data['month']!r} for month",
                            "a month number 1..12")
        for key in ("source_sha256", "text_sha256"):
            if key in nodes and (not isinstance(data[key], str)
                                 or not re.fullmatch(r"[0-9a-f]{64}", data[key])):
                raise self.fail(nodes[key], f"bad value for {key}", "64 lower-case hex digits")
        if ("text" in nodes) != ("text_sha256" in nodes):
            raise self.fail(node, "a record has 'text' and 'text_sha256' together or neither",
                            "both fields, for a Word or PDF source, or neither")
        if "text" in nodes:
            self.value(nodes["text"], data["text"], "text", "str")
        self.entities(nodes["entities"], data["entities"], data["pledge_type"])
        self.pledges(nodes["pledges"], data["pledges"])

    def entities(self, node: Node, entities: Any, pledge_type: str) -> None:
        items = self.sequence(node, entities, "entities")
        for item_node, entity in zip(items, entities, strict=True):
            nodes = self.fields(item_node, "an entity", ("name",), ("line",), open_=True)
            self.value(nodes["name"], entity["name"], "the entity name", "str")
            if "line" in nodes:
                self.value(nodes["line"], entity["line"], "line", "int", minimum=1, nullable=True)
        wanted = (1, 1) if pledge_type == "single" else (2, None)
        if len(entities) < wanted[0] or (wanted[1] is not None and len(entities) > wanted[1]):
            raise self.fail(node, f"a {pledge_type} pledge with {len(entities)} entities",
                            "one entity for a single pledge, several for a joint one")

    def pledges(self, node: Node, pledges: Any) -> None:
        items = self.sequence(node, pledges, "pledges")
        if not items:
            raise self.fail(node, "the record has no pledge", "at least one pledge")
        seen: set[int] = set()
        for item_node, pledge in zip(items, pledges, strict=True):
            nodes = self.fields(item_node, "a pledge", ("number", "text"), (
                "line", "declared_words", "rights_holders", "rights_holders_line", "facts"))
            self.value(nodes["number"], pledge["number"], "number", "int", minimum=1)
            if pledge["number"] in seen:
                raise self.fail(nodes["number"], f"pledge number {pledge['number']} is repeated",
                                "each pledge number once")
            seen.add(pledge["number"])
            self.value(nodes["text"], pledge["text"], "text", "str")
            for key in ("line", "rights_holders_line"):
                if key in nodes:
                    self.value(nodes[key], pledge[key], key, "int", minimum=1, nullable=True)
            if "declared_words" in nodes:
                self.value(nodes["declared_words"], pledge["declared_words"], "declared_words",
                           "int", minimum=0, nullable=True)
            if "rights_holders" in nodes:
                labels = self.sequence(nodes["rights_holders"], pledge["rights_holders"],
                                       "rights_holders")
                for label_node, label in zip(labels, pledge["rights_holders"], strict=True):
                    self.value(label_node, label, "a rights-holder label", "str")
            if "facts" in nodes:
                self.facts(nodes["facts"], pledge["facts"])

    def facts(self, node: Node, facts: Any) -> None:
        seen: set[str] = set()
        for item_node, fact in zip(self.sequence(node, facts, "facts"), facts, strict=True):
            nodes = self.fields(item_node, "a fact", ("id", "kind", "status"), open_=True)
            self.value(nodes["id"], fact["id"], "the fact id", "str")
            if fact["id"] in seen:
                raise self.fail(nodes["id"], f"fact id {fact['id']!r} is repeated",
                                "each fact id once within a pledge")
            seen.add(fact["id"])
            self.value(nodes["kind"], fact["kind"], "kind", "str", choices=FACT_KINDS)
            self.value(nodes["status"], fact["status"], "status", "str", choices=FACT_STATUSES)
            for key in ("start", "end"):
                if key in nodes:
                    self.value(nodes[key], fact[key], key, "int", minimum=0, nullable=True)
            if "exact" in nodes:
                self.value(nodes["exact"], fact["exact"], "exact", "str", nullable=True)


def _with_defaults(record: Record) -> Record:
    """Fill the optional pledge fields, so every reader sees the same shape."""
    for pledge in record["pledges"]:
        for key, default in (("line", None), ("declared_words", None), ("rights_holders", []),
                             ("rights_holders_line", None), ("facts", [])):
            pledge.setdefault(key, default)
    for entity in record["entities"]:
        entity.setdefault("line", None)
    return record


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def parse_record(text: str, *, file: str | Path) -> Record:
    """Parse and check the YAML text of a record; ``file`` names it in errors.

    The text is read by :mod:`pledge_graph.ingest.safe_yaml`: anchors, aliases, tags, deep nesting
    and huge numbers are refused before anything is built from them.
    """
    node, data = safe_yaml.load(text, file=file, error=RecordError, expected=_EXPECTED)
    if node is None:
        raise RecordError("the record is empty", file=file, line=1, expected=_EXPECTED)
    _Checker(str(file)).record(node, data)
    assert isinstance(data, dict)  # the checker has made sure
    return _with_defaults(data)


_EXPECTED = "a YAML mapping as in docs/model.md"


def load_record(path: str | Path) -> Record:
    """Read and check the record at ``path``; its ``slug`` must be its file name's stem."""
    path = Path(path)
    text = read_record_text(path)
    record = parse_record(text, file=path)
    if record["slug"] != path.stem:
        line = next((n for n, t in enumerate(text.splitlines(), 1) if t.startswith("slug:")), 1)
        raise RecordError(f"the slug {record['slug']!r} does not match the file name",
                          file=path, line=line, expected=f"slug: {path.stem}")
    return record


def read_record_text(path: str | Path) -> str:
    """Return the text of the record file at ``path`` (a regular UTF-8 file of bounded size,
    see :mod:`pledge_graph.ingest.inputs`)."""
    data = read_input(path, error=RecordError, what="the record",
                      expected="a readable UTF-8 YAML file")
    return decode_text(data, file=path, error=RecordError, what="the record",
                       expected="UTF-8 encoded YAML")


def record_paths(data_dir: str | Path) -> list[Path]:
    """Return the paths of every curated record of a data directory, in slug order."""
    return sorted((Path(data_dir) / "records").glob("*.yaml"))


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def write_record(path: str | Path, record: Record) -> bool:
    """Write a record atomically unless the file already holds it; return True if written."""
    return write_if_changed(path, dump_record(record).encode("utf-8"))


# ---------------------------------------------------------------------------------------
# The three-way merge
# ---------------------------------------------------------------------------------------

_MISSING: Any = object()
_Merge = Callable[[Any, Any, Any], Any]


def _merge_fields(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any],
                  nested: dict[str, _Merge]) -> dict[str, Any]:
    """Per field: the curator's value if it differs from the base, else the new one."""
    result: dict[str, Any] = {}
    for key in [*theirs, *(k for k in ours if k not in theirs)]:
        if key in nested and key in ours and key in theirs:
            result[key] = nested[key](base.get(key, []), ours[key], theirs[key])
            continue
        old, mine, new = base.get(key, _MISSING), ours.get(key, _MISSING), theirs.get(key, _MISSING)
        value = new if mine == old else mine
        if value is not _MISSING:
            result[key] = copy.deepcopy(value)
    return result


def _merge_items(key: str, merge_item: _Merge) -> _Merge:
    """Return a merge of lists of mappings identified by ``key`` (pledges, facts)."""

    def merge(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
        old = {item[key]: item for item in base}
        mine = {item[key]: item for item in ours}
        new = {item[key]: item for item in theirs}
        result = []
        for ident in [*new, *(k for k in mine if k not in new)]:
            if ident in mine and ident in new:
                result.append(merge_item(old.get(ident, {}), mine[ident], new[ident]))
            elif ident in new:
                if ident not in old:  # new in the document; absent from base: not deleted
                    result.append(copy.deepcopy(new[ident]))
            elif ident not in old or mine[ident] != old[ident]:
                result.append(copy.deepcopy(mine[ident]))  # added or edited by a curator
        return result

    return merge


def _merge_fact(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> Any:
    if ours.get("status") != "extracted":
        return copy.deepcopy(ours)
    return _merge_fields(base, ours, theirs, {})


def _merge_pledge(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> Any:
    return _merge_fields(base, ours, theirs, {"facts": _merge_items("id", _merge_fact)})


def merge_records(base: Record | None, ours: Record | None, theirs: Record) -> Record:
    """Merge a new import (``theirs``) into a curated record (``ours``).

    ``base`` is what the importer wrote last time. A value in ``ours`` that differs from
    ``base`` is a curator's edit and wins; an unedited value takes the new one. Pledges are
    matched by number and facts by id; a fact whose status is not ``extracted`` is a
    curator's decision and is kept as it is. What a curator added stays; what a curator
    deleted stays deleted. Without a base, every value of ``ours`` counts as curated.
    """
    if ours is None:
        return copy.deepcopy(theirs)
    merged = _merge_fields(base or {}, ours, theirs,
                           {"pledges": _merge_items("number", _merge_pledge)})
    merged["pledges"].sort(key=lambda pledge: pledge["number"])
    return merged
