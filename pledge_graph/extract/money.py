"""Sums of money in pledge text: "approximately 1 million USD", "US$ 750,000", "$2m",
"CHF 500'000", "between 1 and 2 million US dollars", "un million de francs suisses",
"dos millones de dólares", "два миллиона долларов", "200万美元", "خمسة ملايين دولار".

The rules, in the order they are applied:

- A number is digits in any grouping convention or number words in the six UN languages
  (numerals.py), optionally followed by a scale (million, m, bn, thousand, k, milliard,
  millones, mil, млн, مليون, 万, 亿).
- Its currency is a symbol or ISO 4217 code before it (``$``, ``US$``, ``€``, ``£``, ``¥``,
  ``CHF``, ``USD``) or a code or currency word after it (currencies.py). A bare ``$`` or
  "dollars" is USD; a bare ``¥`` or "yen" is JPY. Only well-known codes count, so "SDG 16"
  is not money.
- A number without a currency is money only with a scale word or thousands separators, when
  a money word ("contribute", "provide", "fund", "grant", "budget", ...) precedes it in the
  sentence or an earlier sum in the sentence has a currency, and when no noun follows it
  ("1 million people" is not money). Its currency is that of the nearest earlier sum with
  one in the text, or unknown (left for a curator). Number words and Chinese numerals need
  a currency.
- A marker before the sum says how exact it is: "approximately", "around", "about", "some",
  "roughly", "nearly" make it approximate; "up to" makes it a maximum; "over", "more than",
  "at least" a minimum.
- "USD 1-2 million", "between 1 and 2 million US dollars", "from EUR 500,000 to EUR 1
  million" are ranges: one sum with a lower and an upper bound. A lower figure without a
  scale takes the upper one's ("between 1 and 2 million"). "Increase from X to Y" is not a
  range but one sum, Y, with X as the level it changes from (``previous``); in "increase by
  X to Y" the step X is no sum of its own either.
- A grouping that nothing decides ("500.000" without a currency) keeps both readings: the
  sum is *ambiguous* (``other`` is the second reading).
- Years, percentages, ordinals ("75th"), resolution numbers ("48/13") are never money.
- A sum in parentheses right after another restates it in another currency ("JPY 100 million
  (approximately USD 700,000)") and is not a second sum.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from pledge_graph.extract.currencies import AMBIGUOUS_WORDS, CODES, SYMBOLS, WORDS
from pledge_graph.extract.gazetteer import _trie_pattern
from pledge_graph.extract.numerals import CJK_SCALES, DIGITS, SCALES, WORD_TOKENS, read_number

__all__ = ["Amount", "find_amounts"]


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
    other: str | None = None  # the second reading of an ambiguous grouping ("500.000")
    previous: str | None = None  # the level a change starts from ("increase from X to Y")


def _alternation(forms: Iterable[str]) -> str:
    """A pattern matching any of ``forms``, longest first, as a trie (fast to fail)."""
    return _trie_pattern(list(forms))


def _is_cjk(form: str) -> bool:
    return "\u3400" <= form[0] <= "\u9fff"


_CJK = "\u3400-\u9fff"
# Number words in lower case or capitalised (matching them ignoring case is several times
# slower, and pledges do not shout numbers).
_TOKEN = _trie_pattern([*WORD_TOKENS, *(w.title() for w in WORD_TOKENS)]) + r"(?!\w)"
# A number in words starts with any number word but an English or French scale word ("a
# million" starts at "a"), so those do not anchor the pattern.
_FIRST_TOKENS = [w for w in WORD_TOKENS
                 if w not in ("thousand", "million", "millions", "billion", "milliard", "milliards")]
_FIRST_TOKEN = _trie_pattern([*_FIRST_TOKENS, *(w.title() for w in _FIRST_TOKENS)]) + r"(?!\w)"
_WORD_NUMBER = (
    rf"(?:(?:{_TOKEN}|[aA](?=\s))(?:(?:\s+(?:and|et|y)\s+|[\s-]+)(?:{_TOKEN}"
    rf"|a(?=\s+(?:half|hundred|thousand|million|billion))))+|{_TOKEN})"
)
_CN_NUMBER = r"[一二两三四五六七八九十百千][零一二两三四五六七八九十百千万亿]*"
_LATIN_SCALES = _alternation(w for w in SCALES if len(w) > 2 and w != "mil")
_SCALE = (
    rf"(?:\s*(?:(?:млн|млрд|тыс|mio)\.(?=\s)|{_LATIN_SCALES}|mil(?=\s))|\s?(?:mn|bn)|(?:m|b|k))(?!\w)"
    rf"|{_alternation(CJK_SCALES)}"
)
_MARKER = (
    r"(?P<approx>approximately|approx\.|around|about|some|roughly|nearly|almost|close\s+to"
    r"|an\s+estimated|circa|environ|près\s+de|aproximadamente|alrededor\s+de|около|примерно"
    r"|حوالي|约|大约)"
    r"|(?P<max>up\s+to|a\s+maximum\s+of|not\s+exceeding|no\s+more\s+than|jusqu['\u2019]à|hasta"
    r"|до|最多|ما\s+يصل\s+إلى)"
    r"|(?P<min>over|more\s+than|at\s+least|no\s+less\s+than|not\s+less\s+than|a\s+minimum\s+of|in\s+excess\s+of|upwards\s+of"
    r"|plus\s+de|más\s+de|au\s+moins|al\s+menos|не\s+менее|более|至少|超过|ما\s+لا\s+يقل\s+عن)"
)
_CODE = _alternation(CODES)
_PRE = _alternation(SYMBOLS) + "|" + _CODE
_POST = (
    r"\s*(?P<post_symbol>[€£$¥₹₩₽₺₪]|zł(?!\w))"
    rf"|\s+(?P<post_code>{_CODE})(?![\w$])"
    rf"|\s+(?i:(?P<post_word>{_alternation(w for w in WORDS if not _is_cjk(w))}))(?!\w)"
    rf"|\s+(?i:(?P<post_unnamed>{_alternation(AMBIGUOUS_WORDS)}))(?!\w)"
    rf"|\s*(?P<post_cjk>{_alternation(w for w in WORDS if _is_cjk(w))})"
)
_NUMBER = rf"(?P<number>{_WORD_NUMBER}|{DIGITS}|{_CN_NUMBER})"

_AMOUNT = re.compile(
    rf"(?<![^\W{_CJK}])(?<![.,/$€£¥'\u2019-])"
    rf"(?:(?P<pre>{_PRE})\s?)?"
    rf"{_NUMBER}"
    rf"(?:\s*(?:-|–|to)\s*(?P<high>{DIGITS}))?"
    rf"(?P<scale>(?i:{_SCALE}))?"
    rf"(?:{_POST})?"
    rf"(?![^\W{_CJK}]|[.,'\u2019]+\d|\s*(?:%|per\s*cent|percent|pour\s*cent|por\s*ciento))",
)

# A sum starts with a currency or a number, and a marker may stand before it. Matching the
# full pattern only where a currency or number stands (anchors found by one fast scan), and
# looking for a marker only in the few characters before, keeps extraction linear and fast.
_ANCHOR = re.compile(
    r"\d+|[$€£¥₹₩₽₺₪]|[一二两三四五六七八九十百千]|\b(?:[A-Z]{1,3}\$|[A-Z]{3}\b|S?Fr\.|U\.S\.\$"
    r"|Mex\$|CN¥|JP¥|zł|[aA]\s+(?=hundred|thousand|million|billion)|" + _FIRST_TOKEN + ")"
)
_MARKER_BEFORE = re.compile(rf"(?<![^\W{_CJK}])(?<!-)(?i:{_MARKER})\s*\Z")
_MARKER_REACH = 30  # characters before a sum where its marker may start ("no more than ")
# The last words of the markers written in Latin letters: the marker pattern is tried only
# after one of them (or a word in another script), which keeps reading sums fast.
_MARKER_ENDS = frozenset((
    "approximately", "approx.", "around", "about", "some", "roughly", "nearly", "almost", "to",
    "estimated", "circa", "environ", "de", "aproximadamente", "of", "exceeding", "than",
    "jusqu'à", "jusqu\u2019à", "hasta", "over", "least", "moins", "menos",
))

_MONEY_WORD = re.compile(
    r"(?i:\b(?:contribut|provid|donat|allocat|fund|grant|disburs|invest|earmark|pledg|financ|budget"
    r"|amount\s+of|sum\s+of|worth|USD|EUR|dollars|euros|vers|aport|otorg|выдел|предостав))"
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
    "with", "which", "that", "this", "under", "a", "every", "respectively",
))
# "between 1 and 2 million", "from EUR 500,000 to EUR 1 million": the words before an
# upper bound, and the words that make "from X to Y" a change rather than a range.
_RANGE_OPEN = re.compile(r"(?i:(?<!\w)(?:between|from|entre|de|desde|от|между|(?P<by>by))\s+)")
_RANGE_JOINS = ("and", "to", "et", "à", "a", "y", "hasta", "и", "до")
_RANGE_JOIN = re.compile(rf"\s+(?i:{'|'.join(_RANGE_JOINS)})\s+\Z")
_CHANGE = re.compile(r"(?i:increas|rais|grow|doubl|tripl|augment|aument|scale\s+up|увелич)")
_RANGE_REACH = 80
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩٬٫", "0123456789,.")


def find_amounts(text: str, start: int = 0, end: int | None = None) -> list[Amount]:
    """Return the sums of money in ``text[start:end]``, left to right (see the module rules)."""
    end = len(text) if end is None else end
    text = text.translate(_ARABIC_DIGITS)  # same length: offsets hold
    found: list[Amount] = []
    last_currency: str | None = None
    for m in _matches(text, start, end):
        amount = _amount(text, m, found, last_currency, start)
        if amount is None:
            continue
        if found and _CONVERSION.fullmatch(text, found[-1].end, m.start()):
            continue
        if amount.currency is not None:
            last_currency = amount.currency
        found.append(_with_range(text, amount, m, found, start))
    return found


def _amount(text: str, m: re.Match[str], found: list[Amount], last_currency: str | None,
            start: int) -> Amount | None:
    """The sum one match of the pattern is, or None when it is not money."""
    currency = _currency(m)
    scale, number = m.group("scale"), m.group("number")
    if m.group("post_unnamed"):  # "5 million francs": money, in a currency not named
        currency = None
    elif currency is None:
        if not number[0].isdigit() and not _has_scale_word(number):
            return None
        if not _money_without_currency(text, m, number, scale, found, start):
            return None
        currency = last_currency
    reading = read_number(number, scale, currency)
    if reading is None or reading.value == 0:
        return None
    start_at = m.start()
    marker = None
    words = text[max(start, start_at - _MARKER_REACH):start_at].split()
    if words and (words[-1].lower() in _MARKER_ENDS or not words[-1].isascii()):
        marker = _MARKER_BEFORE.search(text, max(start, start_at - _MARKER_REACH), start_at)
    if marker:
        start_at = marker.start()
    kind = marker.lastgroup if marker else None
    limit = {"max": "maximum", "min": "minimum"}.get(kind or "")
    high = read_number(m.group("high"), scale, currency) if m.group("high") else None
    if high is not None and high.value > reading.value:
        limit = "range"
    else:
        high = None
    other = reading.other if reading.other is not None else (high.other if high else None)
    return Amount(start_at, m.end(), _plain(reading.value), currency, kind == "approx", limit,
                  _plain(high.value) if high else None,
                  _plain(other) if other is not None else None)


def _with_range(text: str, amount: Amount, m: re.Match[str], found: list[Amount],
                start: int) -> Amount:
    """The sum as the upper bound of a range when "between"/"from" and a lower figure stand
    right before it, or as the new level of a change ("increase from X to Y", "raise by X to
    Y"); the lower figure, if read as a sum of its own, is dropped."""
    if amount.limit == "range":
        opening = _RANGE_OPEN.search(text, max(start, amount.start - 12), amount.start)
        if (amount.high and opening is not None and opening.end() == amount.start
                and _CHANGE.search(text, max(0, opening.start() - 40), opening.start())):
            # "increase from 1 to 2 million": the new level, from the old one
            return replace(amount, value=amount.high, limit=None, high=None,
                           previous=amount.value)
        return amount
    window_start = max(start, m.start() - _RANGE_REACH)
    last = text[window_start:m.start()].rsplit(None, 1)[-1:]
    if not last or last[0].lower() not in _RANGE_JOINS:
        return amount
    join = _RANGE_JOIN.search(text, window_start, m.start())
    if join is None:
        return amount
    opening = None
    for opening in _RANGE_OPEN.finditer(text, window_start, join.start()):
        pass
    if opening is None:
        return amount
    change = _CHANGE.search(text, max(0, opening.start() - 40), opening.start()) is not None
    if opening.group("by") and not change:
        return amount
    low = _AMOUNT.fullmatch(text, opening.end(), join.start())
    if low is None or low.group("high") or _currency(low) not in (None, amount.currency):
        return amount
    high_value = Decimal(amount.value)
    reading = None
    for scale in (low.group("scale") or m.group("scale"), low.group("scale")):
        reading = read_number(low.group("number"), scale, amount.currency)
        if reading is not None and 0 < reading.value < high_value:
            break
    if reading is None or not 0 < reading.value < high_value:
        return amount
    while found and found[-1].start >= opening.start():
        found.pop()
    if change:
        return replace(amount, previous=None if opening.group("by") else _plain(reading.value))
    other = _plain(reading.other) if reading.other is not None else amount.other
    return replace(amount, start=opening.start(), value=_plain(reading.value), limit="range",
                   high=amount.value, other=other)


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


def _currency(m: re.Match[str]) -> str | None:
    pre = m.group("pre")
    if pre:
        return SYMBOLS.get(pre, pre)
    if m.group("post_symbol"):
        return SYMBOLS[m.group("post_symbol")]
    if m.group("post_code"):
        return SYMBOLS.get(m.group("post_code"), m.group("post_code"))
    word = m.group("post_word") or m.group("post_cjk")
    if word:
        return _WORD_CODES[" ".join(word.replace("\u2019", "'").split()).lower()]
    return None


_WORD_CODES = {form.lower(): code for form, code in WORDS.items()}


def _has_scale_word(number: str) -> bool:
    if number[0].isdigit():
        return False
    return any(WORD_TOKENS.get(w, ("", 0))[0] == "scale" for w in re.split(r"[\s-]+",
                                                                            number.lower()))


def _money_without_currency(
    text: str, m: re.Match[str], number: str, scale: str | None, found: list[Amount],
    start: int,
) -> bool:
    """A currency-less number is money only with a scale or separators, in money context,
    and when no noun follows it."""
    if not scale and not _has_scale_word(number) and not re.search(r"\d[,.\s'’]\d{3}", number):
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


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
