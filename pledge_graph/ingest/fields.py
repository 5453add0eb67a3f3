"""The values of a pledge document's fields: language and date names in any UN language,
the pledging entities of a joint pledge, and the rights-holder labels of a pledge.

Names are compared folded (:func:`bare`): without accents, case, typographic quotes and
dashes, so that what real documents vary in does not change what a value means. Every
function here runs in time linear in its text, whatever the text holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

__all__ = [
    "BOLD",
    "DATE_EXPECTED",
    "QUOTE_CHARACTERS",
    "bare",
    "language_code",
    "parse_month_year",
    "split_entities",
    "split_labels",
    "strip_bold",
]

BOLD = r"(?:\*\*|__)"
"""Markdown bold around a label or a value, as some documents write them."""


def strip_bold(text: str) -> str:
    return re.sub(rf"^\s*{BOLD}|{BOLD}\s*$", "", text)



# ---------------------------------------------------------------------------------------
# Text normalisation shared by the matchers
# ---------------------------------------------------------------------------------------

_QUOTES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
}
_DASHES = {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"}


def _fold_char(char: str) -> str:
    """Return the comparison form of one character (spaces, quotes, dashes, case, '&')."""
    if char.isspace():
        return " "
    if char == "&":
        return " and "
    return _QUOTES.get(char) or _DASHES.get(char) or char.casefold()


def _fold(text: str) -> str:
    """Return ``text`` in the form labels and names are compared in."""
    return " ".join("".join(_fold_char(c) for c in text).split())


def _fold_with_index(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for each folded character, its index in ``text``."""
    if text.isascii():
        return _fold_ascii_with_index(text)
    out: list[str] = []
    origin: list[int] = []
    folded = _FOLDED
    space = True  # no leading space
    for index, char in enumerate(text):
        pieces = folded.get(char)
        if pieces is None:
            pieces = folded[char] = _fold_char(char)
        if len(pieces) == 1 and pieces != " ":
            out.append(pieces)
            origin.append(index)
            space = False
            continue
        for piece in pieces:
            if piece == " " and space:
                continue
            out.append(piece)
            origin.append(index)
            space = piece == " "
    return "".join(out), origin


# Character -> its folded form, filled as characters are met (their set is small).
_FOLDED: dict[str, str] = {}
_ASCII_PIECES = re.compile(r"(\s+)|(&)|[^\s&]+")


def _fold_ascii_with_index(text: str) -> tuple[str, list[int]]:
    """:func:`_fold_with_index` of an ASCII text, a run of characters at a time."""
    out: list[str] = []
    origin: list[int] = []
    lowered = text.lower()
    space = True  # no leading space
    for piece in _ASCII_PIECES.finditer(text):
        start, end = piece.span()
        if piece.group(1) is not None:  # white space: one space
            if not space:
                out.append(" ")
                origin.append(start)
                space = True
        elif piece.group(2) is not None:  # '&' reads as ' and '
            if not space:
                out.append(" ")
                origin.append(start)
            out.append("and ")
            origin.extend((start, start, start, start))
            space = True
        else:
            out.append(lowered[start:end])
            origin.extend(range(start, end))
            space = False
    return "".join(out), origin


def bare(text: str) -> str:
    """Return ``text`` without accents, case or surrounding quotes: the key of name tables."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _fold(text).strip(" \"'.")


# ---------------------------------------------------------------------------------------
# Languages and dates
# ---------------------------------------------------------------------------------------

_LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("English", "Anglais", "Inglés", "Английский", "الإنجليزية", "الإنكليزية",
           "英文", "英语", "英語"),
    "fr": ("French", "Français", "Francés", "Французский", "الفرنسية", "法文", "法语", "法語"),
    "es": ("Spanish", "Español", "Espagnol", "Испанский", "الإسبانية", "西班牙文", "西班牙语",
           "西班牙語"),
    "ru": ("Russian", "Русский", "Russe", "Ruso", "الروسية", "俄文", "俄语", "俄語"),
    "ar": ("Arabic", "العربية", "Arabe", "Árabe", "Арабский", "阿拉伯文", "阿拉伯语",
           "阿拉伯語"),
    "zh": ("Chinese", "中文", "汉语", "漢語", "Chinois", "Chino", "Китайский", "الصينية"),
}
_LANGUAGE_BY_NAME = {bare(name): code for code, names in _LANGUAGE_NAMES.items()
                     for name in names}

_MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("January", "Jan", "janvier", "enero", "январь", "января", "يناير", "كانون الثاني"),
    ("February", "Feb", "février", "febrero", "февраль", "февраля", "فبراير", "شباط"),
    ("March", "Mar", "mars", "marzo", "март", "марта", "مارس", "آذار"),
    ("April", "Apr", "avril", "abril", "апрель", "апреля", "أبريل", "نيسان"),
    ("May", "mai", "mayo", "май", "мая", "مايو", "أيار"),
    ("June", "Jun", "juin", "junio", "июнь", "июня", "يونيو", "حزيران"),
    ("July", "Jul", "juillet", "julio", "июль", "июля", "يوليو", "تموز"),
    ("August", "Aug", "août", "agosto", "август", "августа", "أغسطس", "آب"),
    ("September", "Sep", "Sept", "septembre", "septiembre", "setiembre", "сентябрь",
     "сентября", "سبتمبر", "أيلول"),
    ("October", "Oct", "octobre", "octubre", "октябрь", "октября", "أكتوبر", "تشرين الأول"),
    ("November", "Nov", "novembre", "noviembre", "ноябрь", "ноября", "نوفمبر",
     "تشرين الثاني"),
    ("December", "Dec", "décembre", "diciembre", "декабрь", "декабря", "ديسمبر",
     "كانون الأول"),
)
_MONTH_BY_NAME = {bare(name): number for number, names in enumerate(_MONTH_NAMES, start=1)
                  for name in names}

_DATE_NAMED = re.compile(
    r"^(?:\d{1,2}\s+(?:de\s+)?)?(?P<month>\D+?)\s+(?:de\s+|del\s+)?(?P<year>\d{4})"
    r"(?:\s*(?:г|года)\.?)?$",
    re.IGNORECASE)
_DATE_NUMERIC = re.compile(r"^(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月$")
DATE_EXPECTED = "the month and year, e.g. 'December 2023'"


def language_code(label: str) -> str | None:
    """Return the ISO 639-1 code of a UN language named in any UN language, else None."""
    return _LANGUAGE_BY_NAME.get(bare(label))


def parse_month_year(text: str) -> tuple[int, int] | None:
    """Return ``(month, year)`` of a date line such as 'December 2023', else None."""
    # White space made single first: the month name is matched lazily before it, which
    # would take time in the square of a long run of spaces.
    text = " ".join(strip_bold(text).split()).rstrip(".").strip()
    match = _DATE_NUMERIC.match(text)
    if match:
        month, year = int(match["month"]), int(match["year"])
        return (month, year) if 1 <= month <= 12 else None
    match = _DATE_NAMED.match(text)
    if match:
        month_number = _MONTH_BY_NAME.get(bare(match["month"]))
        if month_number is not None:
            return month_number, int(match["year"])
    return None


# ---------------------------------------------------------------------------------------
# Pledging entities
# ---------------------------------------------------------------------------------------

_ENTITY_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s+&\s+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _state_names() -> frozenset[str]:
    """Folded names of all ISO 3166 countries, whose commas and 'and's never separate."""
    import pycountry

    names: set[str] = set()
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names.add(_fold(value))
    return frozenset(names)


@lru_cache(maxsize=1)
def _longest_state_name() -> int:
    return max(map(len, _state_names()))


_SPACE_RUN = re.compile(r"\s+")


def _split_outside_parentheses(text: str) -> tuple[list[str], list[str]]:
    """Split ``text`` on entity separators that are not inside parentheses."""
    pieces: list[str] = []
    separators: list[str] = []
    depth, start, position = 0, 0, 0
    while position < len(text):
        char = text[position]
        depth += char == "("
        depth -= char == ")" and depth > 0
        match = _ENTITY_SEPARATOR.match(text, position) if depth == 0 else None
        if match and match.end() > position and position > start:
            pieces.append(text[start:position])
            separators.append(match.group())
            start = position = match.end()
            continue
        if match is None and char.isspace():
            # Every separator starts by taking the whole run of white space: where none
            # matches at its first space, none matches at the others (linear time).
            position = _SPACE_RUN.match(text, position).end()  # type: ignore[union-attr]
            continue
        position += 1
    pieces.append(text[start:])
    return pieces, separators


def _mapped(text: str) -> str:
    """``text`` with each character in its comparison form and runs of spaces made one:
    joined with others and split on white space, it gives :func:`_fold` of the whole."""
    return re.sub(" +", " ", "".join(_fold_char(c) for c in text))


def _is_state_name(mapped: str) -> bool:
    folded = " ".join(mapped.split())
    return folded in _state_names() or folded.removeprefix("the ") in _state_names()


def split_entities(value: str) -> list[str]:
    """Split the entity list of a joint pledge into names, as written.

    Semicolons separate when present. Otherwise commas, 'and' and '&' separate, except
    inside parentheses ('Bolivia (Plurinational State of)') and inside a country name
    that contains them ('Saint Kitts and Nevis', 'Korea, Republic of').
    """
    if ";" in value:
        names = value.split(";")
    else:
        pieces, separators = _split_outside_parentheses(value)
        parts = [_mapped(piece) for piece in pieces]
        joints = [_mapped(separator) for separator in separators]
        names = []
        index = 0
        while index < len(pieces):
            end = index
            for candidate in reversed(_reach(parts, joints, index)):
                mapped = parts[index] + "".join(
                    joints[k] + parts[k + 1] for k in range(index, candidate))
                if _is_state_name(mapped):
                    end = candidate
                    break
            names.append(pieces[index] + "".join(
                separators[k] + pieces[k + 1] for k in range(index, end)))
            index = end + 1
    cleaned = [re.sub(r"^(?:and|&)\s+", "", name.strip(), flags=re.IGNORECASE)
               .rstrip(" .").strip(QUOTE_CHARACTERS + " ") for name in names]
    return [name for name in cleaned if name]


def _reach(parts: list[str], joints: list[str], index: int) -> list[int]:
    """The pieces after ``index`` that a State's name starting at ``index`` might end at.

    Every separator and every piece after the first holds a character that is not a space,
    and folding never removes one, so a name of more such characters than the longest
    State's name (and 'the ') is no State's: the search stops there, keeping entity lists
    linear in their length.
    """
    limit = _longest_state_name() + len("the ")
    weight = len(parts[index].replace(" ", ""))
    candidates = []
    for candidate in range(index + 1, len(parts)):
        weight += (len(joints[candidate - 1].replace(" ", ""))
                   + len(parts[candidate].replace(" ", "")))
        if weight > limit:
            break
        candidates.append(candidate)
    return candidates


# ---------------------------------------------------------------------------------------
# Rights-holder labels
# ---------------------------------------------------------------------------------------

_LABEL_SEPARATORS = " ,;.\""  # after folding, typographic quotes are '"' too
QUOTE_CHARACTERS = "\"'\u2018\u2019\u201c\u201d\u00ab\u00bb"


def split_labels(text: str, known_labels: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split a "Sector and Rights-holders" value into known labels and unknown fragments.

    Controlled labels contain commas ('Judges, lawyers and prosecutors'), so the value is
    never split on commas first: at each position the longest known label that matches
    (ignoring case, spacing, non-breaking spaces, typographic quotes, '&' versus 'and') is
    taken, and returned as the label's own text (the one written, when two labels differ
    only in such details). Text no label matches is cut at the next ',' or ';' and returned
    as written, without its trailing full stop. Both lists keep document order and hold each
    entry once.
    """
    matched, unknown = _split_labels(text, tuple(known_labels))
    return list(matched), list(unknown)


@lru_cache(maxsize=4096)
def _split_labels(text: str, known_labels: tuple[str, ...]) -> tuple[tuple[str, ...],
                                                                      tuple[str, ...]]:
    """:func:`split_labels`, remembered: the same few values recur across many pledges."""
    by_key, keys = _label_index(known_labels)
    folded, origin = _fold_with_index(text)
    matched: list[str] = []
    unknown: list[str] = []
    seen: set[str] = set()  # the unknown fragments, for a membership test in constant time
    position = 0
    while position < len(folded):
        if folded[position] in _LABEL_SEPARATORS:
            position += 1
            continue
        key = _label_at(folded, position, keys)
        if key is not None:
            written = text[origin[position]:origin[position + len(key) - 1] + 1]
            labels = by_key[key]
            written = " ".join(written.split()).casefold()
            label = next((c for c in labels if " ".join(c.split()).casefold() == written),
                         labels[0])
            if label not in matched:
                matched.append(label)
            position += len(key)
            continue
        end = position
        while end < len(folded) and folded[end] not in ",;":
            end += 1
        stop = origin[end] if end < len(folded) else len(text)
        fragment = text[origin[position]:stop].strip().rstrip(".").strip(QUOTE_CHARACTERS + " ")
        if fragment and fragment not in seen:
            seen.add(fragment)
            unknown.append(fragment)
        position = end
    return tuple(matched), tuple(unknown)


@lru_cache(maxsize=8)
def _label_index(labels: tuple[str, ...]) -> tuple[dict[str, list[str]], list[str]]:
    """Return folded label -> labels, and the folded labels longest first."""
    by_key: dict[str, list[str]] = {}
    for label in labels:
        if _fold(label):
            by_key.setdefault(_fold(label), []).append(label)
    return by_key, sorted(by_key, key=len, reverse=True)


def _label_at(folded: str, position: int, keys: Sequence[str]) -> str | None:
    """Return the longest folded label starting at ``position`` and ending on a boundary."""
    for key in keys:
        if folded.startswith(key, position):
            after = position + len(key)
            if after == len(folded) or folded[after] in _LABEL_SEPARATORS or not key[-1].isalnum():
                return key
    return None
