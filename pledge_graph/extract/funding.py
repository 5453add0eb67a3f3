"""Funding commitments: each sum of money (see money.py) with what the words around it say
about it, all within its sentence unless noted:

- recipient: the first organisation after the sum introduced by "to", "for", "towards", "in
  support of", "to support" or "through" (or French "au", "à la", "pour le", Spanish "a la",
  "al", Russian "в", "на", "для", Chinese "给", "用于", Arabic "إلى", "لصالح", li- joined to
  the name), or right after it in the Russian dative ("2 млн долларов УВКПЧ"): "1 million
  USD to OHCHR"; or else one before it introduced by "to", "au", "a la" or Chinese "向"
  ("a contribution to OHCHR of USD 1 million", "向人权高专办捐款200万美元");
- fiscal year ("Fiscal Year 2023", "FY2023") and period ("for 2024-2027", "from 2024 to
  2026", "in 2025": the years right after the sum);
- budget source: "from the supplementary budget", "from its regular budget";
- purpose: words after the sum that begin "to support", "to strengthen", "in support of",
  "aimed at" ..., or the next sentence when it begins "The contribution aims at ...";
- frequency ("per year", "annually", "each year", "a month") and the number of periods when
  the text gives it ("for three years"), with the total it makes (recurrence.py);
- "respectively": the sums of a sentence that says it take the organisations named after the
  last of them (or, failing that, before the first) in order, when there are as many;
- doubts: what the reader is unsure of, stated with the fact so that a curator sees it first:
  ``ambiguous-grouping`` ("500.000" with nothing to say which), ``recipient-not-named``,
  ``currency-not-stated``;
- kind: a past contribution when the words report money already given ("has contributed",
  "disbursed in 2023", "since 2015": past.py), which is no pledge; else a firm commitment
  (IATI transaction type 2) when the words report a decision or an allocation already made
  ("decided to", "has allocated", "has committed", "approved"), and an indicative pledge
  (IATI type 12) otherwise ("will contribute", "pledges").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from decimal import Decimal
from typing import Any

from pledge_graph.extract.gazetteer import Match
from pledge_graph.extract.money import Amount
from pledge_graph.extract.past import is_past
from pledge_graph.extract.recurrence import read_recurrence
from pledge_graph.extract.text import Sentences

__all__ = ["FundingReader"]

_RECIPIENT_AFTER = re.compile(
    r"(?i:\s*(?:,\s*)?(?<!\w)(?:to|for|towards|toward|in\s+support\s+of|to\s+support|through|via"
    r"|into|au|aux|à\s+la|à\s+l['\u2019]|à|a\s+la|al|a|para\s+(?:la|el)"
    r"|pour\s+(?:le|la|les|l['\u2019])?"
    r"|в|во|на|для|в\s+пользу|в\s+адрес|через|إلى|الى|لصالح|عبر)"
    r"(?:\s+(?:the|its|their|our))?\s*|\s*\(\s*"
    r"|(?:向|给|为|通过|用于|捐给|提供给)\s*|(?<!\w)[وف]?ل)$"
)
_RECIPIENT_BEFORE = re.compile(
    r"(?i:\b(?:to|for)\s+(?:the\s+)?|(?<!\w)(?:au|aux|à\s+la|à\s+l['\u2019]|a\s+la|al)\s+"
    r"|[向给为]\s*)$"
)
# A recipient in the Russian dative follows the sum with no word before it ("2 млн долларов
# УВКПЧ"); so does an Arabic one with li- joined ("لليونيسف").
_BARE_RECIPIENT = re.compile(r"[\u0400-\u04ff]|لل")
_FISCAL_YEAR = re.compile(r"(?i:\b(?:fiscal\s+year|financial\s+year|FY)\s*(?P<year>(?:19|20)\d\d))")
_PERIOD = re.compile(
    r"[^.;]{0,80}?\b(?:(?:from|between|de|entre|desde)\s+(?P<a>(?:19|20)\d\d)\s+"
    r"(?:to|and|until|through|à|et|a|y|hasta)\s+"
    r"(?P<b>(?:19|20)\d\d)|(?P<c>(?:19|20)\d\d)\s*[-\u2013/]\s*(?P<d>(?:19|20)?\d\d)"
    r"|(?:in|for|during|over|en|pour|durante|para)\s+(?:the\s+(?:years?|period)\s+)?"
    r"(?P<e>(?:19|20)\d\d)\b"
    r"(?:\s*[-\u2013/]\s*(?P<f>(?:19|20)?\d\d)\b)?)"
)
_BUDGET = re.compile(
    r"(?i:\bfrom\s+(?:the|its|our|their|a|an)\s+(?P<source>(?:[\w-]+\s+){0,3}?"
    r"(?:budget|fund|funds|appropriations?|resources)))\b"
)
_PURPOSE_IN = re.compile(
    r"(?i:\b(?P<purpose>(?:to|in\s+order\s+to)\s+(?:support|strengthen|improve|promote|help|fund|"
    r"finance|assist|enable|protect|advance|implement|build|develop|ensure|address|combat|end|"
    r"prevent|expand|establish|carry\s+out)\b[^.;]*"
    r"|in\s+support\s+of\s+(?!OHCHR|the\s+Office)[^.;]*|aim(?:ed|ing|s)?\s+at\s+[^.;]*"
    r"|with\s+the\s+aim\s+of\s+[^.;]*|for\s+the\s+purpose\s+of\s+[^.;]*))"
)
_PURPOSE_NEXT = re.compile(
    r"(?:The|This|These|Such)\s+(?:contribution|funding|funds|grant|support|allocation|money"
    r"|amount|donation|financing)s?\s+(?:aims?\s+at|is\s+aimed\s+at|will\s+be\s+used\s+(?:to|for)"
    r"|is\s+intended\s+(?:to|for)|will\s+(?=support|fund|finance|help|strengthen|improve))\s*"
    r"(?P<purpose>[^.;]+)"
)
_RESPECTIVELY = re.compile(
    r"(?i:\b(?:respectively|respectivement|respectivamente|соответственно)\b|分别|على\s+التوالي)"
)
_FIRM = re.compile(
    r"(?i:\b(?:decided|has\s+decided|have\s+decided|has\s+allocated|have\s+allocated|allocated"
    r"|has\s+committed|have\s+committed|approved|has\s+approved|earmarked|disbursed"
    r"|signed\s+an?\s+agreement)\b)"
)


# How far before an organisation the words naming it a recipient ("to", "in support of
# the") are looked for: far more than they take, and a bound, so that a clause naming many
# organisations is read in linear time.
_REACH = 200


class FundingReader:
    """Reads the funding commitment of each sum of money in one pledge's text.

    What depends only on a sentence (its fiscal year, its first word of a firm decision, the
    purpose the next sentence states) is found once per sentence, and organisations are
    looked up by position, so a text of many sums and names is read in linear time.
    """

    def __init__(self, text: str, sentences: Sentences, organisations: list[Match]) -> None:
        """``organisations`` are those named in the text, left to right, never overlapping;
        an unknown one has an empty key and is named as a recipient by ``recipient_name``."""
        self.text = text
        self.sentences = sentences
        self.organisations = organisations
        self._starts = [org.start for org in organisations]
        self._ends = [org.end for org in organisations]
        # For each organisation, the last one up to it with "to (the)" right before it.
        self._introduced: list[int] = []
        last = -1
        for index, org in enumerate(organisations):
            s_start = sentences.bounds(org.start)[0]
            if _RECIPIENT_BEFORE.search(text, max(s_start, org.start - _REACH), org.start):
                last = index
            self._introduced.append(last)
        self._fiscal: dict[int, re.Match[str] | None] = {}
        self._firm: dict[int, int | None] = {}
        self._next_purpose: dict[int, str | None] = {}

    def respective(self, amounts: list[Amount]) -> list[Match | None]:
        """For each sum, the organisation "respectively" pairs it with ("EUR 2 million and
        US$ 750,000 respectively to UNICEF and UNHCR"), or None."""
        paired: list[Match | None] = [None] * len(amounts)
        by_sentence: dict[int, list[int]] = {}
        for i, amount in enumerate(amounts):
            by_sentence.setdefault(self.sentences.index(amount.start), []).append(i)
        for sentence, indices in by_sentence.items():
            s_start, s_end = self.sentences.span(sentence)
            if len(indices) < 2 or not _RESPECTIVELY.search(self.text, s_start, s_end):
                continue
            first, last = amounts[indices[0]], amounts[indices[-1]]
            after = self.organisations_between(last.end, s_end)
            before = self.organisations_between(s_start, first.start)
            orgs = after if len(after) == len(indices) else before
            if len(orgs) == len(indices):
                for i, org in zip(indices, orgs, strict=True):
                    paired[i] = org
        return paired

    def organisations_between(self, start: int, end: int) -> list[Match]:
        """The organisations named between two offsets, in text order."""
        return self.organisations[bisect_left(self._starts, start):bisect_left(self._starts, end)]

    def fact(self, amount: Amount, prev_end: int, next_start: int,
             paired: Match | None = None) -> dict[str, Any]:
        """Return the fact of one sum of money; ``prev_end`` is where the previous sum ends
        and ``next_start`` where the next one begins (words beyond them belong to those);
        ``paired`` is its recipient when "respectively" names it."""
        text = self.text
        sentence = self.sentences.index(amount.start)
        s_start, s_end = self.sentences.span(sentence)
        clause_end = min(s_end, next_start)
        recipient = paired or self._recipient(amount, s_start, clause_end)
        fiscal = self._fiscal_year(sentence)
        period = _PERIOD.match(text, amount.end, clause_end)
        budget = (_BUDGET.search(text, amount.end, clause_end)
                  or _BUDGET.search(text, max(s_start, prev_end), amount.start))
        fact: dict[str, Any] = {
            "amount": amount.value,
            "currency": amount.currency,
            "approximate": amount.approximate,
            "limit": amount.limit,
        }
        if amount.high:
            fact["amount_max"] = amount.high
        if amount.other:
            fact["amount_other"] = amount.other
        if amount.previous:
            fact["previous_amount"] = amount.previous
        fact.update(_recurrence(text, amount, max(s_start, prev_end), clause_end))
        fact["recipient"] = (recipient.key or None) if recipient else None
        if recipient is not None and not recipient.key:
            fact["recipient_name"] = recipient.text
        fact["fiscal_year"] = int(fiscal.group("year")) if fiscal else None
        start_year, end_year = _years(period) if period else (None, None)
        if start_year is not None and (start_year, end_year) == (fact["fiscal_year"],) * 2:
            start_year = end_year = None
        fact["period_start"], fact["period_end"] = start_year, end_year
        fact["budget_source"] = " ".join(budget.group("source").split()).lower() if budget else None
        fact["purpose"] = self._purpose(amount, sentence, clause_end)
        firm = self._first_firm_word(sentence)
        if is_past(text, s_start, amount.start, amount.end, clause_end):
            fact["commitment"] = "past"
        else:
            fact["commitment"] = "firm" if firm is not None and firm <= amount.start else "pledge"
        doubts = [doubt for doubt, unsure in (
            ("ambiguous-grouping", amount.other is not None),
            ("recipient-not-named", recipient is None),
            ("currency-not-stated", amount.currency is None)) if unsure]
        if doubts:
            fact["doubts"] = doubts
        return fact

    def _recipient(self, amount: Amount, s_start: int, clause_end: int) -> Match | None:
        """The first organisation after the sum that the words before it name a recipient,
        or else the last one before it in the sentence introduced by "to (the)"."""
        text = self.text
        first = bisect_left(self._starts, amount.end)
        last = bisect_left(self._starts, clause_end)
        for org in self.organisations[first:last]:
            if _RECIPIENT_AFTER.search(text, max(amount.end, org.start - _REACH), org.start) or (
                    _BARE_RECIPIENT.match(org.text) and not text[amount.end:org.start].strip()):
                return org
        before = bisect_right(self._ends, amount.start) - 1
        index = self._introduced[before] if before >= 0 else -1
        if index >= 0 and self._starts[index] >= s_start:
            return self.organisations[index]
        return None

    def _fiscal_year(self, sentence: int) -> re.Match[str] | None:
        if sentence not in self._fiscal:
            self._fiscal[sentence] = _FISCAL_YEAR.search(self.text,
                                                         *self.sentences.span(sentence))
        return self._fiscal[sentence]

    def _first_firm_word(self, sentence: int) -> int | None:
        """Where the sentence's first word of a firm decision ends, or None."""
        if sentence not in self._firm:
            found = _FIRM.search(self.text, *self.sentences.span(sentence))
            self._firm[sentence] = found.end() if found else None
        return self._firm[sentence]

    def _purpose(self, amount: Amount, sentence: int, clause_end: int) -> str | None:
        found = _PURPOSE_IN.search(self.text, amount.end, clause_end)
        if found:
            return _clean(found.group("purpose"))
        if sentence + 1 not in self._next_purpose:
            following = _PURPOSE_NEXT.match(self.text, *self.sentences.span(sentence + 1))
            self._next_purpose[sentence + 1] = (_clean(following.group("purpose"))
                                                if following else None)
        return self._next_purpose[sentence + 1]


def _recurrence(text: str, amount: Amount, before_start: int,
                clause_end: int) -> dict[str, Any]:
    """The frequency, number of periods and total of a sum, only those the text gives."""
    frequency, periods = read_recurrence(text, before_start, amount.start, amount.end,
                                         clause_end)
    fields: dict[str, Any] = {}
    if frequency:
        fields["recurrence"] = frequency
    if frequency and periods:
        fields["periods"] = periods
        if amount.other is None:
            fields["total"] = _times(amount.value, periods)
            if amount.high:
                fields["total_max"] = _times(amount.high, periods)
    return fields


def _times(value: str, periods: int) -> str:
    return format((Decimal(value) * periods).normalize(), "f")


def _years(m: re.Match[str]) -> tuple[int, int]:
    if m.group("a"):
        return int(m.group("a")), int(m.group("b"))
    if m.group("c"):
        first, last = m.group("c"), m.group("d")
        if len(last) == 2:
            last = first[:2] + last
        return int(first), int(last)
    first, last = m.group("e"), m.group("f") or m.group("e")
    if len(last) == 2:
        last = first[:2] + last
    return int(first), int(last)


def _clean(words: str) -> str:
    return re.sub(r"(?:[\s,]+(?:and|or|as\s+well\s+as))?[\s,]*$", "", " ".join(words.split()))
