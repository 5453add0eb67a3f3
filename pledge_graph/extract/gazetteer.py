"""Name lists compiled into one regular expression each, so that a pledge's text is scanned
once per list whatever the number of names, and a longer name always wins over a shorter one
that it contains ("South Sudan" over "Sudan", "UN Women" over "UN")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["AuthorityIndex", "Gazetteer", "Match", "NamedEntry", "name_forms", "named_fields"]

_APOSTROPHE = re.compile(r"['\u2019]")


@dataclass(frozen=True, slots=True)
class Match:
    """One name found in a text: what it stands for and where."""

    key: str
    start: int
    end: int
    text: str


class Gazetteer:
    """Finds names in text; ``names`` maps each surface form to the key it stands for.

    Forms written entirely in capitals (acronyms) and the forms in ``case_sensitive`` match
    with their capitals as written ("WHO" but not "who"); other forms ignore case. Matches
    never start or end inside a word, and a form followed by a hyphen and a letter
    ("UN-Habitat") does not match as the bare form. Where names overlap, the one starting
    first wins, then the longest.

    The forms are compiled into a trie-shaped regular expression (one branch per common
    prefix), so scanning costs about the same for ten names as for a thousand.
    """

    def __init__(self, names: dict[str, str], *, case_sensitive: Iterable[str] = ()) -> None:
        self._keys: dict[str, str] = {}
        exact, folded = [], []
        keep_case = set(case_sensitive)
        for form, key in names.items():
            self._keys[_fold(form)] = key
            words = " ".join(_APOSTROPHE.sub("'", form).split())
            if form not in keep_case and not _is_acronym(form):
                folded.append(words.lower())
            else:
                exact.append(words)
        self._forms = (exact, folded)
        self._compiled: tuple[re.Pattern[str] | None, re.Pattern[str] | None] | None = None
        self._any_case: re.Pattern[str] | None = None

    def _patterns(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """The exact-case and lower-case patterns, compiled when first needed: compiling
        them is most of what reading the authorities costs, and a gazetteer asked only
        for :meth:`key_of` never needs them."""
        if self._compiled is None:
            exact, folded = self._forms
            self._compiled = (
                re.compile(_BEFORE + _trie_pattern(exact) + _AFTER) if exact else None,
                re.compile(_BEFORE + _trie_pattern(folded) + _AFTER) if folded else None)
        return self._compiled

    def _any_case_pattern(self) -> re.Pattern[str]:
        """The lower-case names, ignoring case: for the rare text whose lower-cased form
        is not as long as itself (so offsets would not match)."""
        if self._any_case is None:
            self._any_case = re.compile(_BEFORE + _trie_pattern(self._forms[1]) + _AFTER,
                                        re.IGNORECASE)
        return self._any_case

    def finditer(self, text: str) -> Iterator[Match]:
        """Yield the names in ``text`` from left to right, never overlapping."""
        exact, lower = self._patterns()
        spans = [(m.start(), m.end()) for m in exact.finditer(text)] if exact else []
        if lower is not None:
            # Names that ignore case are matched in the lower-cased text (several times
            # faster than a case-insensitive pattern).
            lowered = text.lower()
            regex, haystack = ((lower, lowered) if len(lowered) == len(text)
                               else (self._any_case_pattern(), text))
            spans += [(m.start(), m.end()) for m in regex.finditer(haystack)]
            spans.sort(key=lambda span: (span[0], -span[1]))
        last = -1
        for start, end in spans:
            if start < last:
                continue
            key = self.key_of(text[start:end])
            if key is not None:
                last = end
                yield Match(key, start, end, text[start:end])

    def key_of(self, name: str) -> str | None:
        """Return the key a whole name stands for, or None."""
        text = " ".join(_APOSTROPHE.sub("'", name).split())
        return self._keys.get(text) or self._keys.get(text.casefold())


# A name neither starts nor ends inside a word. Chinese writes no spaces, so a Chinese
# character is no word around a name ("向人权高专办捐款"); Arabic joins wa-, fa-, li- and bi- to
# the word after them ("واليونيسف", "لصندوق"), so a name may follow one of those letters.
# Each side is one character class, as cheap to test at every position as a plain \b.
_BEFORE = r"(?<![^\W\u3400-\u9fff\u0648\u0641\u0644\u0628])(?<!-)"
_AFTER = r"(?![^\W\u3400-\u9fff]|-\w)"


def _trie_pattern(forms: list[str]) -> str:
    """Return a regex matching any of ``forms``, longest first, shaped as a prefix trie."""
    trie: dict[str, Any] = {}
    for form in forms:
        node = trie
        for char in form:
            node = node.setdefault(char, {})
        node[""] = {}
    return _node_pattern(trie)


def _node_pattern(node: dict[str, Any]) -> str:
    branches = []
    for char in sorted(c for c in node if c):
        atom = r"\s+" if char == " " else "['\u2019]" if char == "'" else re.escape(char)
        branches.append(atom + _node_pattern(node[char]))
    if not branches:
        return ""
    # A longer name is tried before the name it extends: an optional group is greedy.
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def _is_acronym(form: str) -> bool:
    letters = [c for c in form if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _fold(form: str) -> str:
    text = " ".join(_APOSTROPHE.sub("'", form).split())
    return text if _is_acronym(text) else text.casefold()


@dataclass(frozen=True, slots=True)
class NamedEntry:
    """An entry of a gazetteer file: its slug, name, acronyms and variants, and the other
    grammatical forms of its names that text may use (the Russian dative "Управлению ..."),
    which are matched like variants but are not names to publish."""

    slug: str
    name: str
    acronyms: tuple[str, ...]
    variants: tuple[str, ...]
    forms: tuple[str, ...]


def named_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields of a :class:`NamedEntry` read from an entry of its authority file."""
    return {"slug": str(entry["slug"]), "name": str(entry["name"]),
            "acronyms": tuple(map(str, entry.get("acronyms") or ())),
            "variants": tuple(map(str, entry.get("variants") or ())),
            "forms": tuple(map(str, entry.get("forms") or ()))}


class _Entry(Protocol):
    @property
    def slug(self) -> str: ...


class _Named(_Entry, Protocol):
    @property
    def name(self) -> str: ...

    @property
    def acronyms(self) -> tuple[str, ...]: ...

    @property
    def variants(self) -> tuple[str, ...]: ...

    @property
    def forms(self) -> tuple[str, ...]: ...


E = TypeVar("E", bound=_Entry)


class AuthorityIndex(Generic[E]):
    """An authority file's entries by slug, and the gazetteer of the names that name them."""

    def __init__(self, entries: Sequence[E], names: dict[str, str]) -> None:
        self.by_slug = {entry.slug: entry for entry in entries}
        self.names = names
        self._gazetteer = Gazetteer(names)


def name_forms(entries: Iterable[_Named]) -> dict[str, str]:
    """Each entry's name, acronyms, variants and other forms, with the slug they name (a later entry's
    form wins over an earlier one's); an Arabic form with the article also with li- joined
    to it, as Arabic writes it ("المفوضية" to "للمفوضية")."""
    return {written: entry.slug for entry in entries
            for form in (entry.name, *entry.acronyms, *entry.variants, *entry.forms)
            for written in _with_li(form)}


def _with_li(form: str) -> tuple[str, ...]:
    """The form, and with li- joined when it is an Arabic name with the article.

    >>> _with_li("اليونيسف")
    ('اليونيسف', 'لليونيسف')
    """
    return (form, "لل" + form[2:]) if form.startswith("ال") else (form,)
