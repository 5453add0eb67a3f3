"""Sentences of a pledge's text, and sets of spans, as offsets: so every stage can keep to one
sentence, and ask whether a name overlaps what was found before in logarithmic time."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator

__all__ = ["Sentences", "Spans", "capitalised_names"]

_END = re.compile(r"[.!?][\"'\u201d\u2019)]*\s+(?=[\"'\u201c(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b(?:approx|e\.g|i\.e|etc|No|Nos|Mr|Ms|Mrs|Dr|St|Art|Arts|para|vs|cf|Inc|Ltd|Co|Rev|Fr|SFr|Mio|Mrd)"
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


class Spans:
    """A fixed set of (start, end) spans of a text, kept as the sorted spans of their union.

    >>> taken = Spans([(10, 20), (15, 30), (40, 45)])
    >>> taken.overlaps(30, 40), taken.overlaps(29, 31), taken.overlaps(44, 50)
    (False, True, True)
    """

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in sorted(spans):
            if self._ends and start < self._ends[-1]:
                self._ends[-1] = max(self._ends[-1], end)
            else:
                self._starts.append(start)
                self._ends.append(end)

    def overlaps(self, start: int, end: int) -> bool:
        """Return True if ``start < e and s < end`` for some span (s, e) of the set."""
        i = bisect_right(self._ends, start)
        return i < len(self._starts) and self._starts[i] < end


_CAPITAL = re.compile(r"(?<![\w-])[A-Z]")


def capitalised_names(pattern: re.Pattern[str], run: re.Pattern[str], text: str, *,
                      head: re.Pattern[str] | None = None) -> Iterator[re.Match[str]]:
    """Yield what ``pattern.finditer(text)`` yields, in time linear in the text.

    ``pattern`` finds names that start with a capital not inside a word and run on over
    capitalised words (matched by ``run``) to a head word ("National Human Rights
    Commission"). Where it fails at the first word of such a run, a later word of the run
    reaches no head word the first did not, so it fails there too: the run is skipped
    instead of tried again word by word, which takes time in the square of its length. The
    one exception is a capital inside a word ("O'Neil"), where a name may begin with its
    head word (``head``) if the pattern allows no words before it.
    """
    position = 0
    run_end = -1
    for capital in _CAPITAL.finditer(text):
        start = capital.start()
        if start < position:
            continue
        if start < run_end and (head is None or not head.match(text, start)):
            continue
        found = pattern.match(text, start)
        if found is not None:
            position = found.end()
            yield found
        elif start >= run_end:
            run_end = run.match(text, start).end()  # type: ignore[union-attr]
