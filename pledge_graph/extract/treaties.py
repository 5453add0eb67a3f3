"""Pledges to ratify, accede to, sign or withdraw reservations to the core human rights
treaties and their optional protocols (data/authorities/treaties.yaml).

A treaty named in a sentence takes the nearest treaty action word before it in that sentence
("ratify the CPED and the OPCAT": both ratification), or else one right after it ("the OPCAT
will be ratified"). The action is a pledge only when the words say it is still to come:

- past forms ("has ratified", "ratified in 2010", "has been signed") are facts about the past,
  not pledges; "will be ratified" and "to be signed" are pledges;
- a noun after "since", "following", "after" or "upon" ("since its accession to") is past;
- a negation shortly before ("will not ratify", "no plans to accede") is no pledge;
- a pledge to "consider", "explore" or "study" ratifying is kept, marked ``consider: true``;
- "become a party to" is recorded as ratification: the words do not say which procedure;
- chained actions all count: "sign and ratify the CPED" gives a signature and a ratification
  (up to 8 action words chained);
- French and Spanish pledges use the same rules with their verbs (ratifier, adhérer à,
  signer; ratificar, adherirse a, firmar) and the treaties' French and Spanish titles.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pledge_graph.errors import InputError
from pledge_graph.extract.gazetteer import AuthorityIndex, Match
from pledge_graph.extract.text import Sentences
from pledge_graph.ingest.authority_files import authority_path, load_entries

__all__ = ["ACTIONS", "Treaty", "TreatyAction", "TreatyIndex", "load_treaties"]

ACTIONS = ("ratify", "accede", "sign", "withdraw-reservation")


@dataclass(frozen=True, slots=True)
class Treaty:
    """One treaty or optional protocol of the authority file."""

    slug: str
    title: str
    short: str
    acronyms: tuple[str, ...]
    variants: tuple[str, ...]
    protocol_to: str | None
    adopted: int | None
    ordinal: str | None
    topics: tuple[str, ...]
    translations: tuple[tuple[str, str], ...] = ()  # (language, title)


@dataclass(frozen=True, slots=True)
class TreatyAction:
    """A pledge to act on a treaty, with the span from the action word to the treaty name."""

    action: str
    treaty: str
    start: int
    end: int
    consider: bool


_ACTION = re.compile(
    r"(?i:\b(?P<ratify>ratif(?:y|ies|ying|ied|ication|ications)|become\s+(?:a\s+)?part(?:y|ies)"
    r"|ratifier|ratifiera|ratifieront|ratificar|ratificará|ratificarán|ratificación)\b"
    r"|\b(?P<accede>acced(?:e|es|ing|ed)|accession|adhérer|adhérera|adhéreront|adhésion"
    r"|adherirse|adherirá|adherirán|adhesión)\b"
    r"|\b(?P<sign>sign(?:s|ing|ed|ature)?|signer|signera|signeront|firmar|firmará|firmarán)\b"
    r"(?!\s+(?:up|language))"
    r"|\b(?P<withdraw>(?:withdraw(?:s|ing|n|al)?|withdrew|lift(?:s|ing|ed)?"
    r"|remov(?:e|es|ing|ed|al))"
    r"(?:\s+(?:of|the|its|our|their|all|remaining|a|any|existing|outstanding|\w+'s)){0,3}"
    r"\s+reservations?)\b)"
)
_PAST = re.compile(r"(?i:ratified|acceded|signed|withdrawn|withdrew|lifted|removed)")
_FUTURE_PASSIVE = re.compile(r"(?i:\b(?:be|being)\s+$)")
_PERFECT = re.compile(r"(?i:\b(?:has|have|had|having)\s+(?:\w+\s+)?$)")
_PAST_NOUN = re.compile(r"(?i:\b(?:since|following|after|upon)\s+(?:\w+\s+){0,2}$)")
_NEGATION = re.compile(
    r"(?i:\b(?:not|no|never|without|neither|nor|cannot|ne|nunca|jamais)\b|n't\b|\bn['\u2019])"
)
_CONSIDER = re.compile(
    r"(?i:\b(?:consider|considering|consideration|explore|exploring|study|studying|examine"
    r"|examining|assess|assessing|review|reviewing|possibility|possible|feasibility)\b)"
)
_CHAIN = re.compile(r"(?i:\s*(?:,|and|or|and/or|,\s*and)\s*)")
# Action words chained to a treaty ("sign, ratify or accede to"): a longer chain is no
# pledge a State writes, and would make a text of many mentions cost their product.
_MAX_CHAIN = 8
_ITS_PROTOCOL = re.compile(
    r"\b(?:its|the|their)\s+(?:(?P<ordinal>First|Second|Third|first|second|third)\s+)?"
    r"Optional\s+Protocol\b(?!\s+(?:to|on)\b)"
)


class TreatyIndex(AuthorityIndex[Treaty]):
    """The treaty authority and its compiled matcher."""

    def __init__(self, treaties: list[Treaty]) -> None:
        super().__init__(treaties, _names(treaties))

    def find(self, text: str) -> list[Match]:
        """Return the treaties named in ``text``, with "its Optional Protocol" resolved to the
        protocol of the treaty named just before, where that is unambiguous."""
        return self.with_protocols(text, list(self._gazetteer.finditer(text)))

    def with_protocols(self, text: str, named: list[Match]) -> list[Match]:
        """Return the treaties ``named`` in ``text`` (left to right, never overlapping) and
        the protocols it names as "its Optional Protocol", left to right."""
        found = list(named)
        starts, ends = [f.start for f in named], [f.end for f in named]
        added: list[Match] = []  # each ends before the next "its Optional Protocol"
        for m in _ITS_PROTOCOL.finditer(text) if "Protocol" in text else ():
            after = bisect_right(ends, m.start())  # the first named treaty ending after it
            if after < len(named) and starts[after] < m.end():
                continue  # it is part of a treaty's name
            before = added[-1] if added else named[after - 1] if after else None
            if before is None:
                continue
            parent = before.key
            parent = self.by_slug[parent].protocol_to or parent
            slug = self._protocol_of(parent, m.group("ordinal"))
            if slug:
                added.append(Match(slug, m.start(), m.end(), m.group()))
        return sorted([*found, *added], key=lambda f: f.start)

    def actions(self, text: str, sentences: Sentences,
                mentions: list[Match]) -> list[TreatyAction]:
        """Return the treaty pledges in ``text``, given the treaties it names (``find``)."""
        words = list(_ACTION.finditer(text)) if mentions else []
        starts, ends = [w.start() for w in words], [w.end() for w in words]
        linked: dict[int, bool] = {}  # word index -> chained to the word before it

        def chained_to_previous(i: int) -> bool:
            if i not in linked:
                linked[i] = bool(_CHAIN.fullmatch(text, ends[i - 1], starts[i]))
            return linked[i]

        result = []
        for mention in mentions:
            s_start, s_end = sentences.bounds(mention.start)
            # The action words of the sentence before the mention are words[first:last].
            first, last = bisect_left(starts, s_start), bisect_right(ends, mention.start)
            after = bisect_left(starts, mention.end)
            if first < last:
                word, start, end = words[last - 1], words[last - 1].start(), mention.end
            elif after < len(words) and starts[after] < min(s_end, mention.end + 40):
                word, start, end = words[after], mention.start, words[after].end()
            else:
                continue
            chained = [word]
            i = last - 1
            while first < i and len(chained) < _MAX_CHAIN and chained_to_previous(i):
                i -= 1
                chained.insert(0, words[i])
            for link in chained:
                if not _is_pledge(text, link, s_start):
                    continue
                window = text[max(s_start, chained[0].start() - 60):chained[0].start()]
                result.append(TreatyAction(_action(link), mention.key,
                                           min(start, link.start()), end,
                                           bool(_CONSIDER.search(window))))
        return result

    def _protocol_of(self, parent: str, ordinal: str | None) -> str | None:
        protocols = [t for t in self.by_slug.values() if t.protocol_to == parent]
        if ordinal:
            protocols = [t for t in protocols if t.ordinal == ordinal.title()]
        return protocols[0].slug if len(protocols) == 1 else None


def _action(word: re.Match[str]) -> str:
    action = next(a for a in ("ratify", "accede", "sign", "withdraw") if word.group(a))
    return "withdraw-reservation" if action == "withdraw" else action


def _is_pledge(text: str, word: re.Match[str], sentence_start: int) -> bool:
    before = text[max(sentence_start, word.start() - 40):word.start()]
    if _PAST.fullmatch(word.group().split()[0]):
        if not _FUTURE_PASSIVE.search(before) or _PERFECT.search(before.rsplit(" be", 1)[0] + " "):
            return False
    elif _PERFECT.search(before) or _PAST_NOUN.search(before):
        return False
    return not _NEGATION.search(before[-25:])


def _names(treaties: list[Treaty]) -> dict[str, str]:
    """All the names of each treaty, with the composed names of optional protocols
    ("Optional Protocol to the CAT", "Second Optional Protocol to the ICCPR", "CRPD Optional
    Protocol")."""
    names: dict[str, str] = {}
    by_slug = {t.slug: t for t in treaties}
    for t in treaties:
        for form in (t.title, t.short, *t.acronyms, *t.variants,
                     *(title for _, title in t.translations)):
            names[form] = t.slug
    for t in treaties:
        if not t.protocol_to:
            continue
        parent = by_slug[t.protocol_to]
        siblings = sum(1 for o in treaties if o.protocol_to == parent.slug)
        topics = t.topics
        for pname in (parent.title, parent.short, *parent.acronyms, *parent.variants):
            for article in ("the ", ""):
                base = f"Optional Protocol to {article}{pname}"
                if siblings == 1:
                    names[base] = t.slug
                if t.ordinal:
                    names[f"{t.ordinal} {base}"] = t.slug
                for topic in topics:
                    names[f"{base} {topic}".replace(" ,", ",")] = t.slug
        for topic in topics:
            names[f"Optional Protocol {topic}".replace(" ,", ",")] = t.slug
        if siblings == 1:
            for acronym in parent.acronyms:
                names[f"{acronym} Optional Protocol"] = t.slug
    return names


@lru_cache(maxsize=8)
def _load(path: Path) -> TreatyIndex:
    entries = load_entries(path, ("slug", "title", "short"))
    slugs = {str(e["slug"]) for e in entries}
    treaties = []
    for entry in entries:
        parent = entry.get("protocol_to")
        if parent is not None and parent not in slugs:
            raise InputError(f"protocol_to names unknown treaty {parent!r}", file=path,
                             line=entry["_line"], expected="the slug of another entry")
        treaties.append(_treaty(entry))
    return TreatyIndex(treaties)


def _treaty(entry: dict[str, Any]) -> Treaty:
    adopted = entry.get("adopted")
    return Treaty(
        slug=str(entry["slug"]), title=str(entry["title"]), short=str(entry["short"]),
        acronyms=tuple(map(str, entry.get("acronyms") or ())),
        variants=tuple(map(str, entry.get("variants") or ())),
        protocol_to=entry.get("protocol_to"),
        adopted=int(adopted) if adopted is not None else None,
        ordinal=str(entry["ordinal"]).title() if entry.get("ordinal") else None,
        topics=tuple(map(str, entry.get("topics") or ())),
        translations=tuple((lang, str(title)) for lang in ("fr", "es")
                           for title in entry.get(lang) or ()),
    )


@lru_cache(maxsize=8)
def load_treaties(data_dir: Path | None = None) -> TreatyIndex:
    """Return the treaty authority of ``data_dir`` (or the bundled one).

    Read once per process: authority files are inputs of a run, not edited during one."""
    return _load(authority_path(data_dir, "treaties.yaml"))
