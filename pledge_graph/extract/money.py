"""Sums of money in pledge text: "approximately 1 million USD", "US$ 750,000", "$2m",
"EUR 2 million", "two hundred thousand Swiss francs", "2 millions d'euros",
"5 millones de dólares".

The rules, in the order they are applied:

- A number is digits (``1,000,000``; European ``1.000.000`` and ``2,5``; ``1 000 000``) or
  English number words (``one million``, ``two hundred thousand``), optionally followed by a
  scale (million, m, mn, billion, bn, b, thousand, k, milliard, millones).
- Its currency is a symbol or ISO 4217 code before it (``$``, ``US$``, ``€``, ``£``, ``¥``,
  ``CHF``, ``USD``) or a code or currency word after it (``USD``, ``dollars``, ``euros``,
  ``yen``, ``Swiss francs``, ``d'euros``, ``de dólares``). A bare ``$`` or "dollars" is USD;
  a bare ``¥`` or "yen" is JPY. Only well-known codes count, so "SDG 16" is not money.
- A number without a currency is money only with a scale word or thousands separators, when
  a money word ("contribute", "provide", "fund", "grant", "budget", ...) precedes it in the
  sentence or an earlier sum in the sentence has a currency, and when no noun follows it
  ("1 million people" is not money). Its currency is that of the nearest earlier sum with
  one in the text, or unknown (left for a curator).
- A marker before the sum says how exact it is: "approximately", "around", "about", "some",
  "roughly", "nearly" make it approximate; "up to" makes it a maximum; "over", "more than",
  "at least" a minimum.
- Years, percentages, ordinals ("75th"), resolution numbers ("48/13") are never money.
- A sum in parentheses right after another restates it in another currency ("JPY 100 million
  (approximately USD 700,000)") and is not a second sum.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pledge_graph.extract.gazetteer import _trie_pattern

__all__ = ["Amount", "find_amounts", "parse_number"]


@dataclass(frozen=True, slots=True)
class Amount:
    """A sum of money found in text; ``value`` is a plain decimal string ("1000000")."""

    start: int
    end: int
    value: str
    currency: str | None
    approximate: bool
    limit: str | None  # "minimum" | "maximum" | "range" | None
    high: str | None = None  # the upper end of a range ("USD 1-2 million")


_CODES = (
    "COD", "USD", "EUR", "CHF", "GBP", "JPY", "CAD", "AUD", "NZD", "NOK", "SEK", "DKK", "ISK",
    "CNY", "KRW", "INR", "BRL", "ZAR", "MXN", "RUB", "TRY", "PLN", "CZK", "HUF", "RON", "BGN",
    "QAR", "SAR", "AED", "KWD", "SGD", "HKD", "THB", "IDR", "MYR", "PHP", "NGN", "KES", "EGP",
    "ARS", "CLP", "COP", "UAH", "ILS", "XOF", "XAF",
)

_SYMBOLS = {
    "US$": "USD", "U.S.$": "USD", "USD$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
    "CA$": "CAD", "NZ$": "NZD", "HK$": "HKD", "R$": "BRL", "$": "USD", "€": "EUR",
    "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "Fr.": "CHF", "SFr.": "CHF",
}

# Currency words after a number, longest first when compiled; matched ignoring case.
_WORDS = {
    "US dollars": "USD", "U.S. dollars": "USD", "United States dollars": "USD",
    "American dollars": "USD", "US dollar": "USD", "dollars": "USD", "dollar": "USD",
    "euros": "EUR", "euro": "EUR", "Swiss francs": "CHF", "pounds sterling": "GBP",
    "British pounds": "GBP", "pounds": "GBP", "sterling": "GBP", "Japanese yen": "JPY",
    "yen": "JPY", "Canadian dollars": "CAD", "Australian dollars": "AUD",
    "New Zealand dollars": "NZD", "Norwegian kroner": "NOK", "Norwegian krone": "NOK",
    "Danish kroner": "DKK", "Swedish kronor": "SEK", "Swedish krona": "SEK", "yuan": "CNY",
    "renminbi": "CNY", "Indian rupees": "INR",
    "d'euros": "EUR", "de dollars américains": "USD", "de dollars des États-Unis": "USD",
    "dollars américains": "USD", "de dollars": "USD", "de francs suisses": "CHF",
    "francs suisses": "CHF", "de dólares estadounidenses": "USD", "de dólares": "USD",
    "dólares": "USD", "de euros": "EUR", "de francos suizos": "CHF",
}

_WORD_CODES = {form.lower(): code for form, code in _WORDS.items()}

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALES = {
    "hundred": 100, "thousand": 1000, "k": 1000, "million": 10**6, "millions": 10**6,
    "millones": 10**6, "millón": 10**6, "m": 10**6, "mn": 10**6, "mio": 10**6,
    "billion": 10**9, "billions": 10**9, "bn": 10**9, "b": 10**9, "milliard": 10**9,
    "milliards": 10**9, "mil millones": 10**9,
}


def _alternation(forms: Iterable[str]) -> str:
    items = sorted(forms, key=len, reverse=True)
    return "|".join(re.escape(f).replace("\\ ", r"\s+").replace("'", "['\u2019]") for f in items)


# Number words in lower case or capitalised (matching them ignoring case is several times
# slower, and pledges do not shout numbers).
_UNIT = _trie_pattern([*_UNITS, *(w.title() for w in _UNITS)])
_WORD_NUMBER = (
    rf"(?:(?:{_UNIT}|[aA])(?:(?:\s+and\s+|[\s-]+)(?:{_UNIT}|hundred|thousand|million|billion))+"
    rf"|(?:{_UNIT}))"
)
_DIGITS = (
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d{1,3}(?:\.\d{3})+(?:,\d+)?"
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?"
    r"|\d+(?:[.,]\d+)?"
)
_SCALE = (
    r"(?:\s*(?:mil\s+millones|millones|millón|milliards?|millions?|billions?|thousand|mio)"
    r"|\s?(?:mn|bn)|(?:m|b|k))(?!\w)"
)
_MARKER = (
    r"(?P<approx>approximately|approx\.|around|about|some|roughly|nearly|almost|close\s+to"
    r"|an\s+estimated|circa|environ|près\s+de|aproximadamente|alrededor\s+de)"
    r"|(?P<max>up\s+to|a\s+maximum\s+of|not\s+exceeding|no\s+more\s+than|jusqu['\u2019]à|hasta)"
    r"|(?P<min>over|more\s+than|at\s+least|a\s+minimum\s+of|in\s+excess\s+of|upwards\s+of"
    r"|plus\s+de|más\s+de|au\s+moins)"
)
_PRE = _alternation(_SYMBOLS) + "|" + "|".join(_CODES)
_POST = (
    rf"\s*(?P<post_symbol>[€£$¥])"
    rf"|\s+(?P<post_code>{'|'.join(_CODES)})(?![\w$])"
    rf"|\s+(?i:(?P<post_word>{_alternation(_WORDS)}))"
)

_AMOUNT = re.compile(
    rf"(?<![\w.,/$€£¥-])"
    rf"(?:(?P<pre>{_PRE})\s?)?"
    rf"(?P<number>{_WORD_NUMBER}|{_DIGITS})"
    rf"(?:\s*(?:-|–|to)\s*(?P<high>{_DIGITS}))?"
    rf"(?P<scale>(?i:{_SCALE}))?"
    rf"(?:{_POST})?"
    rf"(?![\w%]|\s*(?:per\s*cent|percent|%))",
)

# A sum starts with a currency or a number, and a marker may stand before it. Matching the
# full pattern only where a currency or number stands (anchors found by one fast scan), and
# looking for a marker only in the few characters before, keeps extraction linear and fast.
_ANCHOR = re.compile(
    r"\d+|[$€£¥₹₩₽]|\b(?:[A-Z]{1,3}\$|[A-Z]{3}\b|S?Fr\.|U\.S\.\$|[aA]\s+(?=hundred|thousand"
    r"|million|billion)|" + _trie_pattern([*_UNITS, *(w.title() for w in _UNITS)]) + r"\b)"
)
_MARKER_BEFORE = re.compile(rf"(?<![\w-])(?i:{_MARKER})\s+\Z")
_MARKER_REACH = 30  # characters before a sum where its marker may start ("no more than ")
_MARKER_ENDS = frozenset((
    "approximately", "approx.", "around", "about", "some", "roughly", "nearly", "almost", "to",
    "estimated", "circa", "environ", "de", "aproximadamente", "of", "exceeding", "than",
    "jusqu'à", "jusqu\u2019à", "hasta", "over", "least", "moins",
))

_MONEY_WORD = re.compile(
    r"(?i:\b(?:contribut|provid|donat|allocat|fund|grant|disburs|invest|earmark|pledg|financ|budget"
    r"|amount\s+of|sum\s+of|worth|USD|EUR|dollars|euros))"
)
# "JPY 100 million (approximately USD 700,000)": the second sum restates the first.
_CONVERSION = re.compile(
    r"\s*[(\[]\s*(?:(?i:approximately|approx\.|about|around|some|roughly|equivalent\s+to|"
    r"equal\s+to|i\.e\.|or|ca\.|c\.)\s*)?"
)
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)?")
_AFTER_OK = frozenset((
    "to", "for", "towards", "toward", "in", "over", "per", "each", "annually", "yearly", "from",
    "through", "by", "into", "and", "or", "until", "till", "during", "between", "as", "via",
    "with", "which", "that", "this", "under",
))


def find_amounts(text: str, start: int = 0, end: int | None = None) -> list[Amount]:
    """Return the sums of money in ``text[start:end]``, left to right (see the module rules)."""
    end = len(text) if end is None else end
    found: list[Amount] = []
    last_currency: str | None = None
    for m in _matches(text, start, end):
        currency = _currency(m)
        scale = m.group("scale")
        number = m.group("number")
        if currency is None:
            if not _money_without_currency(text, m, number, scale, found, start):
                continue
            currency = last_currency
        value = parse_number(number, scale)
        if value is None or value == 0:
            continue
        if found and _CONVERSION.fullmatch(text, found[-1].end, m.start()):
            continue
        if currency is not None:
            last_currency = currency
        start_at = m.start()
        before = text[max(start, start_at - _MARKER_REACH):start_at]
        words = before.split()
        marker = (_MARKER_BEFORE.search(before)
                  if words and words[-1].lower() in _MARKER_ENDS else None)
        if marker:
            start_at -= len(marker.group())
        kind = marker.lastgroup if marker else None
        limit = {"max": "maximum", "min": "minimum"}.get(kind or "")
        high = parse_number(m.group("high"), scale) if m.group("high") else None
        if high is not None and high > value:
            limit = "range"
        else:
            high = None
        found.append(Amount(start_at, m.end(), _plain(value), currency, kind == "approx",
                            limit, _plain(high) if high else None))
    return found


def _matches(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """Yield the matches of the sum pattern, trying it only where an anchor stands."""
    pos = start
    for anchor in _ANCHOR.finditer(text, start, end):
        if anchor.start() < pos:
            continue
        m = _AMOUNT.match(text, anchor.start(), end)
        if m is not None:
            pos = m.end()
            yield m


def parse_number(number: str, scale: str | None = None) -> Decimal | None:
    """Return the value of a number written in digits or English words, times its scale."""
    factor = _SCALES.get(" ".join((scale or "").split()).lower(), 1)
    if number[0].isdigit():
        value = _parse_digits(number, has_scale=factor != 1)
    else:
        value = _parse_words(number)
    return None if value is None else value * factor


def _currency(m: re.Match[str]) -> str | None:
    pre = m.group("pre")
    if pre:
        return _SYMBOLS.get(pre, pre)
    if m.group("post_symbol"):
        return _SYMBOLS[m.group("post_symbol")]
    if m.group("post_code"):
        return m.group("post_code")
    word = m.group("post_word")
    if word:
        return _WORD_CODES[" ".join(word.replace("\u2019", "'").split()).lower()]
    return None


def _money_without_currency(
    text: str, m: re.Match[str], number: str, scale: str | None, found: list[Amount],
    start: int,
) -> bool:
    """A currency-less number is money only with a scale or separators, in money context,
    and when no noun follows it."""
    has_scale = bool(scale) or any(w in number.lower() for w in ("thousand", "million", "billion"))
    if not has_scale and not re.search(r"\d[,.\s]\d{3}", number):
        return False
    following = _NEXT_WORD.match(text, m.end())
    word = following.group(1) if following else None
    if word and word.lower() not in _AFTER_OK:
        return False
    if found and found[-1].currency and text.count(".", found[-1].end, m.start()) == 0:
        return True
    window = text[max(start, m.start() - 60):m.start()]
    window = window.rsplit(".", 1)[-1]
    return bool(_MONEY_WORD.search(window))


def _parse_digits(number: str, *, has_scale: bool) -> Decimal | None:
    digits = re.sub(r"[ \u00a0\u202f]", "", number)
    if "," in digits and "." in digits:
        decimal_mark = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif "," in digits:
        decimal_mark = "." if re.fullmatch(r"\d{1,3}(,\d{3})+", digits) else ","
    elif "." in digits:
        thousands = re.fullmatch(r"\d{1,3}(\.\d{3})+", digits)
        decimal_mark = "," if thousands and (digits.count(".") > 1 or not has_scale) else "."
    else:
        decimal_mark = "."
    thousands_mark = "," if decimal_mark == "." else "."
    digits = digits.replace(thousands_mark, "").replace(decimal_mark, ".")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def _parse_words(number: str) -> Decimal | None:
    total = current = 0
    for word in re.split(r"[\s-]+", number.lower()):
        if word == "and":
            continue
        if word == "a":
            current = 1
        elif word in _UNITS:
            current += _UNITS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current = 0
        else:
            return None
    return Decimal(total + current)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
