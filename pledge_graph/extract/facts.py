"""Read every kind of fact from a pledge's text (the package's docstring lists them)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pledge_graph.extract.funding import FundingReader
from pledge_graph.extract.gazetteer import Gazetteer, Match
from pledge_graph.extract.money import Amount, find_amounts
from pledge_graph.extract.organisations import load_organisations
from pledge_graph.extract.places import country_names, state_of
from pledge_graph.extract.programmes import ProgrammeMention, load_programmes
from pledge_graph.extract.text import Sentences, Spans
from pledge_graph.extract.treaties import load_treaties
from pledge_graph.rdf.vocab import slugify

__all__ = ["extract_facts"]


def extract_facts(text: str, *, data_dir: Path | None = None,
                  pledgers: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Return the facts found in a pledge's text, as record dicts (see docs/model.md).

    ``pledgers`` are the names of the pledging entities: a State among them is not listed as
    a country the pledge is about ("Japan decided to ..."), nor an organisation among them as
    an organisation the pledge names."""
    pledgers = list(pledgers)
    names = _Names.find(text, data_dir)
    sentences = Sentences(text)
    return _unique([
        *_funding_facts(text, sentences, names),
        *_treaty_facts(text, sentences, names, data_dir),
        *_organisation_facts(text, names, pledgers, data_dir),
        *_country_facts(text, names, pledgers, data_dir),
        *_programme_facts(text, names),
    ])


@dataclass(frozen=True)
class _Names:
    """Everything a text names, with the spans later finds must not overlap."""

    orgs: list[Match]
    unknown_orgs: list[Match]  # key: the name as written
    treaties: list[Match]
    programmes: list[ProgrammeMention]
    countries: list[Match]
    taken: list[tuple[int, int]]

    @classmethod
    def find(cls, text: str, data_dir: Path | None) -> _Names:
        named: dict[str, list[Match]] = {"org": [], "treaty": [], "programme": [], "country": []}
        for m in _all_names(data_dir).finditer(text):
            kind, _, key = m.key.partition(":")
            named[kind].append(Match(key, m.start, m.end, m.text))
        orgs = [m for m in named["org"]
                if not (m.key == "united-nations" and _UN_IN_A_NAME.match(text, m.start))]
        treaties = load_treaties(data_dir).with_protocols(text, named["treaty"])
        taken = [(m.start, m.end) for m in (*orgs, *treaties)]
        programmes = load_programmes(data_dir).with_unknown(text, named["programme"], taken)
        taken += [(p.start, p.end) for p in programmes]
        unknown = load_organisations(data_dir).find_unknown(text, taken)
        taken += [(m.start, m.end) for m in unknown]
        return cls(orgs, unknown, treaties, programmes, named["country"], taken)

    def recipients(self) -> list[Match]:
        """Organisations in text order; an unknown one has an empty key and its name as text."""
        unknown = (Match("", m.start, m.end, m.key) for m in self.unknown_orgs)
        return sorted([*self.orgs, *unknown], key=lambda m: m.start)


def _funding_facts(text: str, sentences: Sentences, names: _Names) -> Iterator[dict[str, Any]]:
    amounts = find_amounts(text)
    reader = FundingReader(text, sentences, names.recipients())
    paired = reader.respective(amounts)
    starts = [a.start for a in amounts[1:]] + [len(text)]
    i = 0
    while i < len(amounts):
        amount, prev_end = amounts[i], amounts[i - 1].end if i else 0
        fields = reader.fact(amount, prev_end, starts[i], paired[i])
        following = amounts[i + 1] if i + 1 < len(amounts) else None
        if following and _restates(text, fields, amount, following, reader):
            own = {k: fields[k] for k in _RECURRENCE if k in fields}
            fields = {k: v for k, v in reader.fact(amount, prev_end, starts[i + 1],
                                                   paired[i]).items() if k not in _RECURRENCE}
            fields.update(own)
            _take_total(fields, amount, following)
            i += 1
        key = f"{amount.currency.lower()}-{amount.value}" if amount.currency else amount.value
        yield _fact(f"funding-{key}", "funding", text, amount.start, amount.end, fields)
        i += 1
        while i < len(amounts) and _part_of(text, amounts[i - 1], amounts[i], reader):
            i += 1  # "EUR 13.5 million, of which EUR 6 million ...": a share, not a sum


# "USD 500,000 a year for three years (USD 1.5 million in total)", "CHF 5 million per year,
# amounting to CHF 20 million", "CHF 3 million, i.e. CHF 750,000 per year": the second sum
# restates the first one (its total, or its share of one period), it is no other commitment.
_RESTATING = re.compile(
    r"(?i:\(|\btotal|\bamounting\b|\bin\s+all\b|\bi\.\s?e\.|\bthat\s+is\b|,\s*or\b|\bsoit\b"
    r"|\bes\s+decir\b|\bo\s+sea\b)"
)


_RECURRENCE = ("recurrence", "periods", "total", "total_max")

# "EUR 13.5 million in 2024, of which at least EUR 6 million will be unearmarked": the second
# sum is a share of the first, which it would count twice as a commitment of its own.
_SHARE = re.compile(
    r"(?i:,?\s*(?:of\s+which|whereof|dont|de\s+(?:los|las)\s+cuales|из\s+них|其中|منها)\b)"
)
_SHARE_REACH = 40


def _part_of(text: str, whole: Amount, part: Amount, reader: FundingReader) -> bool:
    """Whether ``part`` is a share of ``whole`` ("of which", "dont", "de los cuales", "из
    них", "其中", "منها" shortly after the whole, in its sentence, in its currency)."""
    if (part.currency not in (None, whole.currency)
            or reader.sentences.index(whole.start) != reader.sentences.index(part.start)
            or Decimal(part.value) > Decimal(whole.high or whole.value)):
        return False
    return _SHARE.search(text, whole.end, min(part.start, whole.end + _SHARE_REACH)) is not None


def _restates(text: str, fields: dict[str, Any], amount: Amount, following: Amount,
              reader: FundingReader) -> bool:
    """Whether ``following`` restates the sum of ``fields``: its total, a whole of which the
    recurring sum is one period's share, or one period's share of it."""
    between = (amount.end, following.start)
    if (following.currency != amount.currency or following.limit or amount.limit == "range"
            or not _RESTATING.search(text, *between)
            or reader.sentences.index(amount.start) != reader.sentences.index(following.start)
            or any(org.key != fields.get("recipient")
                   for org in reader.organisations_between(*between))):
        return False
    first, second = Decimal(amount.value), Decimal(following.value)
    if fields.get("total") is not None:
        return fields["total"] == following.value
    if fields.get("recurrence"):
        return second > first
    later = reader.fact(following, amount.end, len(text))
    return bool(later.get("recurrence")) and first > second and first % second == 0


def _take_total(fields: dict[str, Any], amount: Amount, following: Amount) -> None:
    """A recurring sum restated as a whole takes that whole as its total."""
    first, second = Decimal(amount.value), Decimal(following.value)
    if fields.get("recurrence") and "total" not in fields and second > first:
        if second % first == 0:
            fields["periods"] = int(second / first)
        fields["total"] = following.value


def _treaty_facts(text: str, sentences: Sentences, names: _Names,
                  data_dir: Path | None) -> Iterator[dict[str, Any]]:
    for action in load_treaties(data_dir).actions(text, sentences, names.treaties):
        yield _fact(f"treaty-{action.action}-{action.treaty}", "treaty", text,
                    action.start, action.end,
                    {"action": action.action, "treaty": action.treaty,
                     "consider": action.consider})


def _organisation_facts(text: str, names: _Names, pledgers: list[str],
                        data_dir: Path | None) -> Iterator[dict[str, Any]]:
    itself = {" ".join(name.split()).casefold() for name in pledgers}
    itself |= {key for name in pledgers if (key := load_organisations(data_dir).key_of(name))}
    for m in names.orgs:
        if m.key not in itself:
            yield _fact(f"org-{m.key}", "organisation", text, m.start, m.end,
                        {"organisation": m.key})
    for m in names.unknown_orgs:
        if m.key.casefold() not in itself:
            yield _fact(f"org-{slugify(m.key)}", "organisation", text, m.start, m.end,
                        {"organisation": None, "name": m.key})


def _country_facts(text: str, names: _Names, pledgers: list[str],
                   data_dir: Path | None) -> Iterator[dict[str, Any]]:
    itself = {code for name in pledgers if (code := state_of(name, data_dir))}
    taken = Spans(names.taken)
    for m in names.countries:
        if m.key and m.key not in itself and not taken.overlaps(m.start, m.end):
            yield _fact(f"country-{m.key.lower()}", "country", text, m.start, m.end,
                        {"country": m.key})


def _programme_facts(text: str, names: _Names) -> Iterator[dict[str, Any]]:
    for p in names.programmes:
        fields: dict[str, Any] = {"programme": p.slug}
        if p.slug is None:
            fields.update(name=p.name, acronym=p.acronym)
        yield _fact(f"programme-{p.slug or slugify(p.name)}", "programme", text, p.start, p.end,
                    fields)


# "UN" followed by a capitalised word begins the name of something else ("UN Guiding
# Principles", "UN Special Rapporteur"): it is not a mention of the United Nations itself.
_UN_IN_A_NAME = re.compile(r"(?:UN|U\.N\.)\s+[A-Z]")


@lru_cache(maxsize=8)
def _all_names(data_dir: Path | None) -> Gazetteer:
    """One matcher for every name of every authority, keyed ``<kind>:<key>``, so a text is
    scanned once and the longest name wins across kinds ("Japan International Cooperation
    Agency" is an organisation, not Japan)."""
    names: dict[str, str] = {}
    tables = (("org", load_organisations(data_dir).names),
              ("treaty", load_treaties(data_dir).names),
              ("programme", load_programmes(data_dir).names))
    for kind, table in tables:
        for form, key in table.items():
            names.setdefault(form, f"{kind}:{key}")
    countries = country_names(data_dir)
    for form, code in countries.items():
        names.setdefault(form, f"country:{code}")
    return Gazetteer(names, case_sensitive=countries)


def _fact(fact_id: str, kind: str, text: str, start: int, end: int,
          fields: dict[str, Any]) -> dict[str, Any]:
    return {"id": fact_id, "kind": kind, "status": "extracted", "start": start, "end": end,
            "exact": text[start:end], **fields}


def _unique(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the first fact of each id, but number repeated sums of money."""
    seen: dict[str, int] = {}
    result = []
    for fact in facts:
        fact_id = fact["id"]
        if fact_id in seen:
            if fact["kind"] != "funding":
                continue
            seen[fact_id] += 1
            fact["id"] = f"{fact_id}-{seen[fact_id]}"
        else:
            seen[fact_id] = 1
        result.append(fact)
    return result
