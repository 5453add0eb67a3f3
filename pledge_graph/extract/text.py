"""Sentences of a pledge's text, as offsets, so every stage can keep to one sentence."""

from __future__ import annotations

import re
from bisect import bisect_right

__all__ = ["Sentences"]

_END = re.compile(r"[.!?][\"'\u201d\u2019)]*\s+(?=[\"'\u201c(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b(?:approx|e\.g|i\.e|etc|No|Nos|Mr|Ms|Mrs|Dr|St|Art|Arts|para|vs|cf|Inc|Ltd|Co|Rev)"
    r"|\b[A-Z](?:\.[A-Z])*)\.$"
)


class Sentences:
    """The sentence boundaries of a text: a full stop ends a sentence unless it closes an
    abbreviation ("approx.", "U.S.") or sits inside a number ("1.5")."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        for m in _END.finditer(text):
            head = text[max(0, m.start() - 12):m.start() + 1]
            if _ABBREVIATION.search(head):
                continue
            starts.append(m.end())
        self._starts = starts

    def index(self, offset: int) -> int:
        """Return the number of the sentence holding ``offset`` (0-based)."""
        return bisect_right(self._starts, offset) - 1

    def bounds(self, offset: int) -> tuple[int, int]:
        """Return (start, end) of the sentence holding ``offset``."""
        i = self.index(offset)
        end = self._starts[i + 1] if i + 1 < len(self._starts) else len(self.text)
        return self._starts[i], end

    def span(self, i: int) -> tuple[int, int]:
        """Return (start, end) of sentence ``i``, or an empty span past the end."""
        if i >= len(self._starts):
            return len(self.text), len(self.text)
        end = self._starts[i + 1] if i + 1 < len(self._starts) else len(self.text)
        return self._starts[i], end
