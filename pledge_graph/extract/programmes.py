"""National programmes and initiatives a pledge names: those of the authority file
(data/authorities/programmes.yaml) by name, acronym or variant, and others from the way
programmes are written:

- a quoted name followed by initiative, programme, program, strategy, plan, project or
  campaign (``its "Justice Affairs Diplomacy" initiative``), or preceded by one of these
  words, in English, French or Spanish (``le programme « Droits pour tous »``);
- a capitalised name ending in Programme, Program, Initiative, Strategy, Plan or Scheme,
  with an optional capitalised complement ("National Action Plan on Business and Human
  Rights") and acronym ("the National Legal Aid Programme (NLAP)"); one ending in System
  only with an acronym ("Specified Skilled Worker System (SSWS)").

Unknown programmes are minted from their name (``programme-<slug of the name>``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pledge_graph.errors import InputError
from pledge_graph.extract.gazetteer import (
    AuthorityIndex,
    Match,
    NamedEntry,
    name_forms,
    named_fields,
)
from pledge_graph.extract.text import Spans, capitalised_names
from pledge_graph.ingest.authority_files import authority_path, load_entries

__all__ = ["Programme", "ProgrammeIndex", "ProgrammeMention", "load_programmes"]


@dataclass(frozen=True, slots=True)
class Programme(NamedEntry):
    """One programme of the authority file."""

    provider: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class ProgrammeMention:
    """A programme named in text; ``slug`` is None for one the authority does not list."""

    slug: str | None
    name: str
    acronym: str | None
    start: int
    end: int


_KIND = r"(?:initiative|programme|program|strategy|plan|project|campaign)"
_QUOTED = re.compile(
    rf"[\"\u201c\u00ab]\s*(?P<name>[A-Z][^\"\u201c\u201d\u00ab\u00bb]{{2,80}}?)\s*[\"\u201d\u00bb]"
    rf"\s+(?i:{_KIND})\b"
    rf"|(?i:\b(?:{_KIND}|programa|iniciativa|stratégie|estrategia|plan))\s+"
    rf"[\"\u201c\u00ab]\s*(?P<after>[A-Z][^\"\u201c\u201d\u00ab\u00bb]{{2,80}}?)\s*[\"\u201d\u00bb]"
)
_QUOTES = re.compile("[\"\u201c\u00ab]")
_CAP = r"[A-Z][\w'\u2019-]*"
_WORDS = rf"(?:{_CAP}\s+(?:(?:on|for|of|and|the)\s+)*)"  # capitalised words and their links
_HEADS = "Programme|Program|Initiative|Strategy|Plan|Scheme|System"
_COMPLEMENT = rf"\s+(?:on|for|of)\s+(?:the\s+)?{_CAP}(?:\s+(?:(?:and|of|the|for|on)\s+)*{_CAP})*"
_ACRONYM = r"\s+\((?P<acronym>[A-Z][A-Za-z]*[A-Z][A-Za-z]*)\)"
_NAMED = re.compile(
    rf"(?<![\w-])(?P<name>{_WORDS}+(?:(?P<head>{_HEADS}))(?:{_COMPLEMENT})?)(?:{_ACRONYM})?")
# The capitalised words (and links) before the head word: see capitalised_names.
_NAMED_RUN = re.compile(rf"{_WORDS}*")
_HEAD_WORD = re.compile(rf"\b(?:{_HEADS})\b")
_LEADING = re.compile(r"^(?:(?:The|A|An|Our|Its|This|These|Their|Under|In|With|By|And)\s+)+")


class ProgrammeIndex(AuthorityIndex[Programme]):
    """The programme authority and its compiled matcher."""

    def __init__(self, programmes: list[Programme]) -> None:
        super().__init__(programmes, name_forms(programmes))

    def find(self, text: str, taken: list[tuple[int, int]]) -> list[ProgrammeMention]:
        """Return the programmes named in ``text``: the known ones, and unknown ones where they
        overlap nothing in ``taken`` (spans of organisations, treaties)."""
        return self.with_unknown(text, list(self._gazetteer.finditer(text)), taken)

    def with_unknown(self, text: str, known: list[Match],
                     taken: list[tuple[int, int]]) -> list[ProgrammeMention]:
        """Return the ``known`` programmes found in ``text`` and the unknown ones that overlap
        neither them nor ``taken``."""
        found = [ProgrammeMention(m.key, self.by_slug[m.key].name, None, m.start, m.end)
                 for m in known]
        spans = [*taken, *((f.start, f.end) for f in found)]
        # Quoted names never overlap one another, nor named ones one another: each kind is
        # checked against what was found before it.
        quoted, named = self._unknown(text)
        for mentions in (quoted, named):
            taken_so_far = Spans(spans)
            new = [m for m in mentions if not taken_so_far.overlaps(m.start, m.end)]
            found += new
            spans += [(m.start, m.end) for m in new]
        return sorted(found, key=lambda f: f.start)

    def _unknown(self, text: str) -> tuple[list[ProgrammeMention], list[ProgrammeMention]]:
        """The quoted names and the capitalised names of programmes, each left to right."""
        quoted = []
        for m in _QUOTED.finditer(text) if _QUOTES.search(text) else ():
            name = (m.group("name") or m.group("after")).strip()
            quoted.append(ProgrammeMention(None, name, None, m.start(), m.end()))
        found = []
        for m in (capitalised_names(_NAMED, _NAMED_RUN, text) if _HEAD_WORD.search(text)
                  else ()):
            name = m.group("name")
            lead = _LEADING.match(name)
            offset = lead.end() if lead else 0
            name = name[offset:]
            acronym = m.group("acronym")
            if len(name.split()) < 2 or (m.group("head") not in _BARE and not acronym):
                continue
            if self._gazetteer.key_of(name) is not None:
                continue
            found.append(ProgrammeMention(None, name, acronym, m.start() + offset, m.end()))
        return quoted, found


_BARE = ("Programme", "Program", "Initiative", "Strategy", "Plan", "Scheme")


@lru_cache(maxsize=8)
def _load(path: Path) -> ProgrammeIndex:
    entries = load_entries(path, ("slug", "name"))
    programmes = []
    for entry in entries:
        provider = entry.get("provider")
        if provider is not None and not re.fullmatch(r"[A-Z]{3}", str(provider)):
            raise InputError(f"bad provider {provider!r}", file=path, line=entry["_line"],
                             expected="an ISO 3166-1 alpha-3 code such as JPN")
        programmes.append(_programme(entry))
    return ProgrammeIndex(programmes)


def _programme(entry: dict[str, Any]) -> Programme:
    return Programme(
        **named_fields(entry), provider=entry.get("provider"), note=entry.get("note"),
    )


@lru_cache(maxsize=8)
def load_programmes(data_dir: Path | None = None) -> ProgrammeIndex:
    """Return the programme authority of ``data_dir`` (or the bundled one).

    Read once per process: authority files are inputs of a run, not edited during one."""
    return _load(authority_path(data_dir, "programmes.yaml"))
