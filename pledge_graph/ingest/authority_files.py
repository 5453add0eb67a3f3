"""Reading the authority files (``<data>/authorities/*.yaml``, or the bundled ones): through
:mod:`~pledge_graph.ingest.safe_yaml`, with the line of every entry, so that a bad entry is an
:class:`~pledge_graph.errors.InputError` naming the file and the line.

Gazetteers (organisations, treaties, programmes) are lists of entries (:func:`load_entries`);
the States and actors files are mappings of lists (:func:`read_mapping`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from pledge_graph.errors import InputError
from pledge_graph.ingest import safe_yaml
from pledge_graph.ingest.inputs import decode_text, read_input
from pledge_graph.paths import DATA_DIR

__all__ = [
    "authority_path",
    "check_keys",
    "entry_error",
    "entry_names",
    "entry_text",
    "load_entries",
    "mapping_entries",
    "read_mapping",
]


def authority_path(data_dir: Path | None, filename: str) -> Path:
    """Return the authority file in ``data_dir`` (or the bundled data) named ``filename``."""
    base = Path(data_dir) if data_dir is not None else DATA_DIR
    path = base / "authorities" / filename
    if not path.exists() and data_dir is not None:
        path = DATA_DIR / "authorities" / filename
    return path


def load_entries(path: Path, required: Iterable[str]) -> list[dict[str, Any]]:
    """Read an authority file (a YAML list of mappings) and check each entry's required keys.

    Raises InputError naming the file and line of the first malformed entry.
    """
    raw = read_input(path, error=InputError, what="the authority file",
                     expected="a readable YAML file")
    text = decode_text(raw, file=path, error=InputError, what="the authority file",
                       expected="UTF-8 encoded YAML")
    nodes, entries = safe_yaml.load(text, file=path, error=InputError,
                                    expected="a YAML list of entries")
    if nodes is None:
        return []
    if not isinstance(nodes, yaml.SequenceNode):
        raise InputError("authority file is not a list", file=path,
                         line=nodes.start_mark.line + 1, expected="a YAML list of entries")
    assert isinstance(entries, list)  # a sequence node constructs to a list
    required = tuple(required)
    for node, entry in zip(nodes.value, entries, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(entry, dict):
            raise InputError("entry is not a mapping", file=path, line=line,
                             expected="a mapping with keys " + ", ".join(required))
        for key in required:
            if not entry.get(key):
                raise InputError(f"entry has no {key!r}", file=path, line=line,
                                 expected=f"a non-empty {key!r}")
        entry["_line"] = line
    return entries


def _with_lines(node: yaml.Node, data: Any) -> None:
    """Record the 1-based line of every mapping of ``data`` under ``__line__``."""
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        data["__line__"] = node.start_mark.line + 1
        for (key, value_node) in node.value:
            if key.value in data and key.value != "__line__":
                _with_lines(value_node, data[key.value])
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for item_node, item in zip(node.value, data, strict=True):
            _with_lines(item_node, item)


def read_mapping(path: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    """Read an authority file through :mod:`pledge_graph.ingest.safe_yaml` (no aliases, bounded
    numbers and nesting), its mappings marked with their lines."""
    raw = read_input(path, error=InputError, what="the authority file",
                     expected="a readable YAML file")
    text = decode_text(raw, file=path, error=InputError, what="the authority file",
                       expected="UTF-8 encoded YAML")
    node, data = safe_yaml.load(text, file=path, error=InputError, expected="a YAML mapping")
    if node is not None:
        _with_lines(node, data)
    if not isinstance(data, dict):
        raise InputError("authority file is not a mapping", file=path, line=1,
                         expected="a mapping with the keys " + ", ".join(keys))
    unknown = sorted(set(data) - set(keys) - {"__line__"})
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}", file=path,
                         expected="only the keys " + ", ".join(keys))
    return data


def mapping_entries(path: Path, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = data.get(key) or []
    if not isinstance(entries, list):
        raise InputError(f"{key} is not a list", file=path, line=data.get("__line__"),
                         expected=f"a list of entries under {key}")
    for entry in entries:
        if not isinstance(entry, dict):
            raise InputError(f"entry {entry!r} under {key} is not a mapping", file=path,
                             expected="a mapping such as {alpha3: JPN, name: Japan}")
    return entries


def check_keys(path: Path, entry: dict[str, Any], required: set[str], optional: set[str]) -> None:
    missing = sorted(required - set(entry))
    if missing:
        raise entry_error(path, entry, f"missing {missing[0]!r}",
                          "the keys " + ", ".join(sorted(required)))
    unknown = sorted(set(entry) - required - optional - {"__line__"})
    if unknown:
        raise entry_error(path, entry, f"unknown key {unknown[0]!r}",
                          "only the keys " + ", ".join(sorted(required | optional)))


def entry_text(path: Path, entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise entry_error(path, entry, f"bad {key} {value!r}", f"a non-empty text for {key}")
    return value.strip()


def entry_names(path: Path, entry: dict[str, Any], key: str) -> list[Any]:
    value = entry.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise entry_error(path, entry, f"bad {key} {value!r}", f"a list of names for {key}")
    return value


def entry_error(path: Path, entry: dict[str, Any], message: str, expected: str) -> InputError:
    return InputError(message, file=path, line=entry.get("__line__"), expected=expected)
