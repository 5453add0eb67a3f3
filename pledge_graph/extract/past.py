"""Whether a sum of money was given in the past rather than pledged: "has contributed CHF 15
million since 2015", "contributed EUR 2 million in 2023", "Since 2018, Japan has disbursed USD
...", "USD 10 million has been provided so far", "a versé", "ha aportado", "выделила", "已捐款",
"قدمت". A pledge is a promise of money to come; a past contribution is no promise and is not
added to pledges.

The rules, in the order they are applied, each within the sum's sentence:

- The last verb before the sum (up to ``_BEFORE_REACH`` characters) decides: a past or
  perfect form of a giving verb ("has provided", "contributed", "having donated", "a versé",
  "aportó") makes it past; a form that looks ahead ("will", "pledges", "commits", "decided
  to", "intends", "to provide", "versera", "aportará", "выделит", "将", "ستقدم") makes it a
  pledge. "has allocated", "has committed", "approved" are decisions about money to come,
  never past.
- Else the first such verb after the sum in its clause ("USD 10 million has been provided").
- Else a time in the past in its clause ("since 2015", "to date", "so far", "over the past
  five years", "depuis 2015", "迄今") makes it past.
- Else it is a pledge.

Every window is bounded, so a text is read in linear time.
"""

from __future__ import annotations

import re

__all__ = ["is_past"]

_GIVE_EN = (r"(?:contribut|provid(?!ed\s+(?:that|for)\b)|disburs|donat|giv|gave|grant|paid|pay"
            r"|fund|spent|invest|channell?|transferr|made\s+(?:available|contributions?|a\s+"
            r"(?:contribution|donation|grant))|supported)\w*")
_PAST_EN = (
    rf"\b(?:has|have|had)\s+(?:(?:already|also|so\s+far|previously|regularly|consistently"
    rf"|generously|long|recently|together|jointly)\s+)*(?:been\s+)?{_GIVE_EN}"
    rf"|\b(?:was|were)\s+(?:\w+\s+)?(?:contributed|provided|disbursed|donated|given|granted"
    rf"|paid|spent|invested|transferred|channell?ed|made\s+available)\b"
    rf"|\bhaving\s+(?:been\s+)?{_GIVE_EN}"
    r"|(?<!-)\b(?:contributed|disbursed|donated|gave|paid|spent|invested|channell?ed"
    r"|transferred|granted|provided(?!\s+(?:that|for)\b)|funded"
    r"|made\s+(?:an?\s+)?(?:\w+\s+)?(?:contributions?|donations?|grants?))\b"
)
_PAST_OTHER = (
    r"|\b(?:a|ont|avait|avaient)\s+(?:déjà\s+|également\s+|aussi\s+)?(?:versé|contribué|fourni"
    r"|donné|apporté|financé|octroyé|accordé|décaissé)\b"
    r"|\b(?:ha|han|había|habían)\s+(?:\w+\s+)?(?:aportado|contribuido|donado|otorgado"
    r"|proporcionado|desembolsado|financiado|entregado)\b"
    r"|\b(?:aportó|contribuyó|donó|otorgó|proporcionó|desembolsó|financió|entregó)\b"
    r"|\b(?:выделил[аио]?|предоставил[аио]?|внесл[аи]|внёс|внес|перечислил[аио]?"
    r"|пожертвовал[аио]?|выделял[аио]?|предоставлял[аио]?)\b"
    r"|已经?|曾经?"
    r"|(?<!\w)[وف]?(?:قدمت|ساهمت|تبرعت|دفعت|منحت|قدم|ساهم|تبرع)(?!\w)"
)
_AHEAD = (
    r"\b(?:will|shall|would|intends?|plans?|pledg\w*|commit(?:s|ted|ting|ments?)?|undertakes?"
    r"|going\s+to"
    r"|decided\s+to|decides\s+to|aims?\s+to|expects?\s+to|continues?\s+to|is\s+to|are\s+to"
    r"|to\s+(?:contribute|provide|give|donate|allocate|disburse|fund|increase|make|offer))\b"
    r"|'ll\b"
    r"|\b(?:verse|contribue|fourni|apporte|alloue|finance|accorde|octroie|donne"
    r"|consacre|mobilise|augmente|continue|se)r(?:a|ont)\b|\bs['\u2019]engage\w*"
    r"|\b\w+(?:ará|arán|erá|erán|irá|irán)\b|\bse\s+compromete\w*"
    r"|\b(?:выделит|предоставит|внес[её]т|перечислит|будет|будут|намерен\w*|обязуется)\b"
    r"|将|承诺|计划|拟|决定|批准"
    r"|(?<!\w)(?:س[تي]\w+|سوف|تتعهد|تلتزم)(?!\w)"
)
_VERB = re.compile(rf"(?i:(?P<past>{_PAST_EN}{_PAST_OTHER})|(?P<ahead>{_AHEAD}))")
_TIME = re.compile(
    r"(?i:\bsince\s+(?:19|20)\d\d\b|\b(?:to\s+date|so\s+far|thus\s+far|hitherto|previously)\b"
    r"|\b(?:over|in|during)\s+the\s+(?:past|last|previous)\s+(?:\w+\s+)?(?:years?|decades?)\b"
    r"|\bdepuis\s+(?:19|20)\d\d\b|\bjusqu['\u2019]à\s+présent\b"
    r"|\bdesde\s+(?:19|20)\d\d\b(?!\s*(?:hasta|a|al|-|–))|\bhasta\s+la\s+fecha\b"
    r"|\bс\s+(?:19|20)\d\d\s+года\b(?!\s*(?:по|до))|\bдо\s+сих\s+пор\b"
    r"|(?:19|20)\d\d年以来|迄今|至今|(?<!\w)منذ(?!\w))"
)
_BEFORE_REACH = 160
_AFTER_REACH = 80


def is_past(text: str, sentence_start: int, amount_start: int, amount_end: int,
            clause_end: int) -> bool:
    """Whether the sum at ``text[amount_start:amount_end]`` was given in the past (see the
    module's rules); ``clause_end`` is where its clause (or the next sum) begins.

    >>> is_past("Japan has contributed USD 5 million since 2015.", 0, 22, 35, 47)
    True
    >>> is_past("Japan will contribute USD 5 million in 2024.", 0, 22, 35, 44)
    False
    """
    before = None
    for before in _VERB.finditer(text, max(sentence_start, amount_start - _BEFORE_REACH),
                                 amount_start):
        pass
    if before is not None:
        return before.lastgroup == "past"
    end = min(clause_end, amount_end + _AFTER_REACH)
    after = _VERB.search(text, amount_end, end)
    if after is not None:
        return after.lastgroup == "past"
    return _TIME.search(text, amount_end, end) is not None or _TIME.search(
        text, max(sentence_start, amount_start - _BEFORE_REACH), amount_start) is not None
