"""Name lists compiled into one regular expression each, so that a pledge's text is scanned
once per list whatever the number of names, and a longer name always wins over a shorter one
that it contains ("South Sudan" over "Sudan", "UN Women" over "UN")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..paths import DATA_DIR

__all__ = ["Gazetteer", "Match", "authority_path", "load_entries", "name_pattern"]

_APOSTROPHE = re.compile(r"['\u2019]")


@dataclass(frozen=True, slots=True)
class Match:
    """One name found in a text: what it stands for and where."""

    key: str
    start: int
    end: int
    text: str


def name_pattern(name: str) -> str:
    """Return a regex for ``name`` that tolerates any run of spaces and either apostrophe."""
    words = name.split()
    parts = [_APOSTROPHE.sub("['\u2019]", re.escape(w)) for w in words]
    return r"\s+".join(parts)


class Gazetteer:
    """Finds names in text; ``names`` maps each surface form to the key it stands for.

    Forms written entirely in capitals (acronyms) match case-sensitively ("WHO" but not
    "who"); other forms ignore case unless ``ignore_case`` is False. Matches never start or end inside a word, and a form
    followed by a hyphen and a letter ("UN-Habitat") does not match as the bare form.
    """

    def __init__(self, names: dict[str, str], *, ignore_case: bool = True) -> None:
        self._keys: dict[str, str] = {}
        alternatives = []
        for form in sorted(names, key=lambda f: (-len(f), f)):
            pattern = name_pattern(form)
            if ignore_case and not _is_acronym(form):
                pattern = f"(?i:{pattern})"
            alternatives.append(pattern)
            self._keys[_fold(form)] = names[form]
        self._regex = (
            re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?!\w|-\w)")
            if alternatives
            else None
        )

    def finditer(self, text: str) -> Iterator[Match]:
        """Yield the names in ``text`` from left to right, longest first, never overlapping."""
        if self._regex is None:
            return
        for m in self._regex.finditer(text):
            key = self.key_of(m.group())
            if key is not None:
                yield Match(key, m.start(), m.end(), m.group())

    def key_of(self, name: str) -> str | None:
        """Return the key a whole name stands for, or None."""
        text = " ".join(_APOSTROPHE.sub("'", name).split())
        return self._keys.get(text) or self._keys.get(text.casefold())


def _is_acronym(form: str) -> bool:
    letters = [c for c in form if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _fold(form: str) -> str:
    text = " ".join(_APOSTROPHE.sub("'", form).split())
    return text if _is_acronym(text) else text.casefold()


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
    try:
        with path.open(encoding="utf-8") as handle:
            nodes = yaml.compose(handle)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InputError(
            f"cannot read authority file: {getattr(error, 'problem', error)}",
            file=path, line=mark.line + 1 if mark else None, expected="valid YAML",
        ) from None
    except OSError as error:
        raise InputError(f"cannot read authority file: {error.strerror}", file=path) from None
    if nodes is None:
        return []
    if not isinstance(nodes, yaml.SequenceNode):
        raise InputError("authority file is not a list", file=path,
                         line=nodes.start_mark.line + 1, expected="a YAML list of entries")
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
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
