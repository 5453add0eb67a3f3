"""Numbers as pledges write them: digits with the grouping marks of many conventions, and
number words in the six UN languages.

Digits: ``1,000,000.50`` and ``1.000.000,50``; Swiss ``500'000``; ``500 000`` with a space,
a no-break or a thin space; Indian ``1,00,000``. A single mark followed by exactly three
digits (``500.000``, ``1,500``) groups thousands or marks decimals depending on the
convention: the scale word's language decides when there is one ("1.500 millones" is 1,500
million, "1.500 million" is 1.5 million), the currency's minor unit when there is none (no
US dollar sum has three decimals, so "USD 500.000" is 500,000, but "KWD 1.500" is either).
Where nothing decides, both readings are returned and the number is *ambiguous*.

Words: English, French, Spanish, Russian and Arabic number words ("two hundred thousand",
"deux millions", "quinientos mil", "пятьсот тысяч", "خمسة ملايين") and Chinese numerals
("一百万", "两亿").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pledge_graph.extract.currencies import MINOR_UNITS

__all__ = ["CJK_SCALES", "DIGITS", "SCALES", "WORD_TOKENS", "Reading", "read_number"]

_GROUP_SPACE = "[ \u00a0\u202f\u2009]"
DIGITS = (
    r"\d{1,2}(?:,\d\d)+,\d{3}(?!\d)(?:\.\d+)?"  # Indian lakh grouping: 1,00,000
    r"|\d{1,3}(?:,\d{3}(?!\d))+(?:\.\d+)?"
    r"|\d{1,3}(?:\.\d{3}(?!\d))+(?:,\d+)?"
    r"|\d{1,3}(?:['\u2019]\d{3}(?!\d))+(?:\.\d+)?"
    rf"|\d{{1,3}}(?:{_GROUP_SPACE}\d{{3}}(?!\d))+(?:[,.]\d+)?"
    r"|\d+(?:[.,]\d+)?"
)
"""A number in digits, in any of the grouping conventions."""

# Scale words after digits, with the decimal convention of their language: "point" (a
# point marks decimals: English, Chinese), "comma" (French-only, Spanish, Russian words),
# or None when two conventions share the word ("millions", Arabic).
SCALES: dict[str, tuple[int, str | None]] = {
    "hundred": (100, "point"), "thousand": (1000, "point"), "k": (1000, "point"),
    "million": (10**6, "point"), "m": (10**6, "point"), "mn": (10**6, "point"),
    "billion": (10**9, "point"), "billions": (10**9, "point"), "bn": (10**9, "point"),
    "b": (10**9, "point"), "millions": (10**6, None), "mio": (10**6, "comma"),
    "milliard": (10**9, "comma"), "milliards": (10**9, "comma"), "millones": (10**6, "comma"),
    "millón": (10**6, "comma"), "mil millones": (10**9, "comma"), "mil": (1000, "comma"),
    "млн": (10**6, "comma"), "миллион": (10**6, "comma"), "миллиона": (10**6, "comma"),
    "миллионов": (10**6, "comma"), "млрд": (10**9, "comma"), "миллиард": (10**9, "comma"),
    "миллиарда": (10**9, "comma"), "миллиардов": (10**9, "comma"), "тыс": (1000, "comma"),
    "тысяч": (1000, "comma"), "тысячи": (1000, "comma"), "тысяча": (1000, "comma"),
    "مليون": (10**6, None), "ملايين": (10**6, None), "مليار": (10**9, None),
    "مليارات": (10**9, None), "ألف": (1000, None), "آلاف": (1000, None),
}
CJK_SCALES: dict[str, tuple[int, str | None]] = {
    "万": (10**4, "point"), "亿": (10**8, "point"), "百万": (10**6, "point"),
    "千万": (10**7, "point"),
}

# Number words: (kind, value). A unit adds, "hundred" multiplies what came before it, a
# scale closes a group ("two hundred thousand", "mil millones").
_U, _H, _S, _HALF = "unit", "hundred", "scale", "half"
_EN = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_FR = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60, "quatre-vingt": 80, "quatre-vingts": 80,
}
_ES = {
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "doce": 12, "quince": 15, "veinte": 20,
    "veinticinco": 25, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90, "cien": 100, "ciento": 100,
    "doscientos": 200, "doscientas": 200, "trescientos": 300, "cuatrocientos": 400,
    "quinientos": 500, "quinientas": 500, "seiscientos": 600, "setecientos": 700,
    "ochocientos": 800, "novecientos": 900,
}
_RU = {
    "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
    "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "двадцать": 20, "тридцать": 30,
    "сорок": 40, "пятьдесят": 50, "сто": 100, "двести": 200, "триста": 300,
    "четыреста": 400, "пятьсот": 500, "шестьсот": 600, "семьсот": 700, "восемьсот": 800,
    "девятьсот": 900,
}
_AR = {
    "واحد": 1, "اثنان": 2, "اثنين": 2, "ثلاثة": 3, "ثلاث": 3, "أربعة": 4, "خمسة": 5, "خمس": 5,
    "ستة": 6, "سبعة": 7, "ثمانية": 8, "تسعة": 9, "عشرة": 10, "عشرين": 20, "عشرون": 20,
    "خمسين": 50, "مائة": 100, "مئة": 100, "مائتي": 200, "خمسمائة": 500,
    "مليونا": 2 * 10**6, "مليوني": 2 * 10**6, "ألفين": 2000, "ألفا": 2000,
}
_WORD_SCALES = {
    "thousand": 1000, "million": 10**6, "billion": 10**9, "mille": 1000, "millions": 10**6,
    "milliard": 10**9, "milliards": 10**9, "mil": 1000, "millón": 10**6, "millones": 10**6,
    **{w: v for w, (v, _) in SCALES.items() if not w.isascii()},
}
WORD_TOKENS: dict[str, tuple[str, int]] = {
    **{w: (_U, v) for table in (_EN, _FR, _ES, _RU, _AR) for w, v in table.items()},
    "hundred": (_H, 100), "cent": (_H, 100), "cents": (_H, 100),
    **{w: (_HALF, 0) for w in ("half", "demi", "medio", "media")},
    **{w: (_S, v) for w, v in _WORD_SCALES.items()},
}
"""Every number word, lower case."""

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


@dataclass(frozen=True, slots=True)
class Reading:
    """A number's value, and the other value it may have when its grouping is ambiguous."""

    value: Decimal
    other: Decimal | None = None


def read_number(number: str, scale: str | None = None,
                currency: str | None = None) -> Reading | None:
    """Return the reading of a number in digits, words or Chinese numerals, times its scale.

    >>> read_number("500'000").value
    Decimal('500000')
    >>> read_number("1.500", "millones").value
    Decimal('1500000000')
    >>> r = read_number("500.000"); (r.value, r.other)
    (Decimal('500000'), Decimal('500.000'))
    >>> read_number("500.000", currency="EUR").other is None
    True
    """
    key = " ".join((scale or "").split()).lower().rstrip(".")
    factor, convention = SCALES.get(key) or CJK_SCALES.get(key) or (1, None)
    if number[0].isdigit():
        return _read_digits(number, factor, convention if scale else "none", currency)
    value = _parse_chinese(number) if number[0] in _CN_DIGITS else _parse_words(number)
    return None if value is None else Reading(value * factor)


def _read_digits(number: str, factor: int, convention: str | None,
                 currency: str | None) -> Reading | None:
    digits = re.sub(r"[ \u00a0\u202f\u2009'\u2019]", "", number)
    marks = {c for c in digits if c in ",."}
    if len(marks) == 2:
        decimal_mark = "," if digits.rfind(",") > digits.rfind(".") else "."
        return _value(digits, decimal_mark, factor)
    if not marks:
        return _value(digits, ".", factor)
    mark = marks.pop()
    if len(digits) != len(number):  # grouped with spaces or apostrophes: the mark is decimal
        return _value(digits, mark, factor)
    if digits.count(mark) > 1 or re.fullmatch(r"\d{1,2}(?:,\d\d)+,\d{3}", digits):
        return _value(digits, "." if mark == "," else ",", factor)
    if re.fullmatch(r"\d+[.,]\d{4,}", digits) and not _scale_given(convention):
        # "1,0000": neither a grouping of thousands nor, surely, decimals
        decimal, whole = _value(digits, mark, factor), _value(digits.replace(mark, ""), ".", factor)
        if decimal is None or whole is None:
            return None
        return Reading(decimal.value, whole.value)
    if not re.fullmatch(r"\d{1,3}[.,]\d{3}", digits):
        return _value(digits, mark, factor)
    # One mark and three digits after it: grouping or decimals?
    grouping = _value(digits, "." if mark == "," else ",", factor)
    decimal = _value(digits, mark, factor)
    if grouping is None or decimal is None:
        return None
    if convention == "point" or convention == "comma":
        point_groups = convention == "comma"
        return grouping if (mark == ".") == point_groups else decimal
    if convention == "none" and currency is not None and MINOR_UNITS.get(currency, 2) != 3:
        return grouping  # no sum in this currency has three decimals
    # Nothing decides: keep the reading the extractor always gave first, and the other.
    first, second = ((decimal, grouping) if mark == "." and convention is None
                     else (grouping, decimal))
    return Reading(first.value, second.value)


def _scale_given(convention: str | None) -> bool:
    """Whether a scale word follows the digits ("none" stands for no scale)."""
    return convention != "none"


def _value(digits: str, decimal_mark: str, factor: int) -> Reading | None:
    thousands_mark = "," if decimal_mark == "." else "."
    plain = digits.replace(thousands_mark, "").replace(decimal_mark, ".")
    try:
        return Reading(Decimal(plain) * factor)
    except InvalidOperation:
        return None


def _parse_words(number: str) -> Decimal | None:
    """Add units, multiply by "hundred", close a group at each scale; "half a million", "one
    and a half million", "un million et demi", "medio millón" take half of a unit or scale."""
    total = current = Decimal(0)
    last_unit = last_scale = 0
    half = False
    words = number.lower().replace("quatre-vingt", "quatrevingt")
    for word in re.split(r"[\s-]+(?:(?:and|et|y)\s+)?", words):
        if word in ("a", ""):
            current = current if half else max(current, Decimal(1))
            continue
        token = WORD_TOKENS.get(word.replace("quatrevingt", "quatre-vingt"))
        if token is None:
            return None
        kind, value = token
        if kind == _U and last_unit and (last_unit % 10 or value >= last_unit):
            return None  # "one one", "two three": no number, however read
        if kind == _HALF:
            half = True
            continue
        if kind == _U:
            current += value
        elif kind == _H:
            current = max(current, Decimal(1)) * value
        elif last_scale and current == 0 and not half and 0 < total < value:
            total *= value  # "mil millones"
        else:
            base = current + Decimal("0.5") if half else max(current, Decimal(1))
            total += base * value
            current, half = Decimal(0), False
        last_scale = value if kind == _S else 0
        last_unit = value if kind == _U else 0
    if half:  # "un million et demi": half of the last scale
        total += Decimal("0.5") * (last_scale or 1)
    return total + current


def _parse_chinese(number: str) -> Decimal | None:
    total = section = digit = 0
    last = ""
    for char in number:
        if char in _CN_DIGITS:
            if last in _CN_DIGITS and last != "零":
                return None  # "一二三": digits in a row are no number
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            if section and section % (_CN_UNITS[char] * 10) != 0 and digit == 0:
                return None  # "十百": units must fall within a section
            section += max(digit, 1) * _CN_UNITS[char]
            digit = 0
        elif char == "万":
            total += (section + digit) * 10**4
            section = digit = 0
        elif char == "亿":
            total = (total + section + digit) * 10**8
            section = digit = 0
        else:
            return None
        last = char
    return Decimal(total + section + digit)
