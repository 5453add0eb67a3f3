"""How often a sum is given: "USD 1 million per year", "annually", "each year for three
years", "an annual contribution of", "a month", in the six UN languages' common forms.

The frequency is read from the words right after the sum in its clause ("CHF 500'000 per
year", "10 million Swiss francs annually") or the words before it in its clause ("an annual
contribution of", "each year we give"). The number of periods is read only where the text
states it ("for three years", "over 5 years", "pendant trois ans", "durante tres años"), never
from a span of years ("from 2024 to 2027" may count four years or three), so a total is
computed only from a number the pledge gives.
"""

from __future__ import annotations

import re

from pledge_graph.extract.numerals import WORD_TOKENS

__all__ = ["Recurrence", "read_recurrence"]

Recurrence = tuple[str | None, int | None]  # (frequency: "year" | "quarter" | "month", periods)

_YEAR_AFTER = (
    r"per\s+(?:year|annum|yr)|a\s+year|p\.\s?a\.|/\s?(?:year|yr|annum)|annually|yearly|each\s+year|every\s+year|par\s+an"
    r"|chaque\s+année|annuellement|por\s+año|al\s+año|cada\s+año|anualmente|anuales|anual"
    r"|annuels?|annuelles?|ежегодно|в\s+год|каждый\s+год"
)
_MONTH_AFTER = r"per\s+month|a\s+month|monthly|each\s+month|every\s+month|par\s+mois|al\s+mes"
_QUARTER_AFTER = r"per\s+quarter|quarterly|each\s+quarter|every\s+quarter"
_AFTER = re.compile(
    rf"(?i:\b(?:(?P<year>{_YEAR_AFTER})|(?P<month>{_MONTH_AFTER})|(?P<quarter>{_QUARTER_AFTER}))"
    r"(?!\w))|(?P<yearly>每年|سنويا|سنوياً|في\s+السنة)"
)
# "over a year", "within a year": one sum given within a year, not each year.
_NOT_EACH = re.compile(r"(?i:\b(?:over|within|for|in)\s+\Z)")
_NOUN = (
    r"\s+(?:[\w-]+\s+){0,2}?(?:contributions?|grants?|funding|support|allocations?|budget"
    r"|donations?|payments?|pledges?|subventions?|contribución|contribuciones|aportes?"
    r"|aportaciones?|взнос\w*|捐款)"
)
_BEFORE = re.compile(
    r"(?i:(?<![^\W\u3400-\u9fff])(?:(?P<year>annually|each\s+year|every\s+year|chaque\s+année"
    rf"|annuellement|cada\s+año|anualmente|ежегодно|每年|سنويا|(?:annual|yearly|annuelle?s?"
    rf"|anual(?:es)?|ежегодн\w*|سنوي){_NOUN})"
    rf"|(?P<month>monthly{_NOUN}|each\s+month|every\s+month|mensuel(?:le)?s?{_NOUN})"
    rf"|(?P<quarter>quarterly{_NOUN}|each\s+quarter|trimestriel(?:le)?s?{_NOUN}))"
    r"(?![^\W\u3400-\u9fff]))"
)
# How far before and after a sum, within its clause, its frequency and number of periods
# may stand: far more than "to the Voluntary Fund for Victims of Torture" takes, and a bound,
# so that a long clause is read in linear time.
_BEFORE_REACH = 60
_AFTER_REACH = 100
_COUNT_REACH = 160
_UNITS = r"(?P<unit>years?|ans|années|años|лет|года?|months?|mois|meses|quarters?)"
_COUNT = re.compile(
    r"(?i:(?<!\w)(?:for|over|during|pendant|sur|durante|por|en\s+el\s+curso\s+de|в\s+течение)"
    r"\s+(?:the\s+(?:next|coming|following)\s+|a\s+period\s+of\s+|les\s+|los\s+próximos\s+"
    r"|un\s+período\s+de\s+|une\s+période\s+de\s+)?"
    rf"(?P<n>\d{{1,2}}|[^\W\d]+)\s+(?:consecutive\s+|more\s+)?{_UNITS}(?!\w))"
)
_RU_GENITIVE = {"двух": 2, "трех": 3, "трёх": 3, "четырех": 4, "четырёх": 4, "пяти": 5,
                "шести": 6, "семи": 7, "восьми": 8, "девяти": 9, "десяти": 10}
_UNIT_FREQUENCY = {"y": "year", "a": "year", "л": "year", "г": "year", "m": "month",
                   "q": "quarter"}


def read_recurrence(text: str, before_start: int, amount_start: int, amount_end: int,
                    clause_end: int) -> Recurrence:
    """Return the frequency of the sum at ``text[amount_start:amount_end]`` and the number of
    periods the text gives, each or both None.

    >>> read_recurrence("USD 1 million each year for three years.", 0, 0, 13, 40)
    ('year', 3)
    >>> read_recurrence("An annual contribution of EUR 50,000.", 0, 26, 36, 37)
    ('year', None)
    """
    end = min(clause_end, amount_end + _AFTER_REACH)
    after = _AFTER.search(text, amount_end, end) if _hinted(text, amount_end, end) else None
    while after and after.group().lower().startswith("a") and _NOT_EACH.search(
            text, max(0, after.start() - 8), after.start()):
        after = _AFTER.search(text, after.end(), end)
    start = max(before_start, amount_start - _BEFORE_REACH,
                text.rfind(";", before_start, amount_start) + 1)
    before = None
    if after is None and _hinted(text, start, amount_start):
        for before in _BEFORE.finditer(text, start, amount_start):
            pass
    found = after or before
    if found is None:
        return None, None
    frequency = "year" if found.lastgroup == "yearly" else found.lastgroup
    count = _COUNT.search(text, amount_end, min(clause_end, amount_end + _COUNT_REACH))
    if count is None:
        return frequency, None
    unit = count.group("unit").lower()
    periods = _count(count.group("n"))
    same = _UNIT_FREQUENCY.get(unit[0]) == frequency
    return frequency, periods if same and periods and periods > 1 else None


# Every word of frequency holds one of these: the patterns are tried only where one stands.
_HINTS = ("year", "annu", "anné", "p.a", "p. a", "yr", "anual", "par an", "año", "month", "mois", "mes", "mensu", "quarter",
          "trimest", "год", "ежегод", "每年", "سنوي", "السنة")


def _hinted(text: str, start: int, end: int) -> bool:
    window = text[start:end].lower()
    return any(hint in window for hint in _HINTS)


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    lower = word.lower()
    if lower in _RU_GENITIVE:
        return _RU_GENITIVE[lower]
    token = WORD_TOKENS.get(lower)
    return token[1] if token and token[0] == "unit" and token[1] <= 100 else None
