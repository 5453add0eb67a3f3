"""Organisations a pledge names: the bodies of the gazetteer (data/authorities/organisations.yaml)
by name, acronym or variant, and bodies the gazetteer does not know, kept as unlinked mentions.

An unknown body is recognised by the way organisations are written: a capitalised name ending
in an organisational head word ("Agency", "Commission", "Fund", "Institute", "Ministry",
"Office", ...), either followed by "of/for/on" and a capitalised complement ("Ministry of
Justice") or by an acronym in parentheses ("National Human Rights Commission (NHRC)")."""

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

__all__ = ["ORG_TYPES", "Organisation", "OrganisationIndex", "load_organisations"]

ORG_TYPES = ("intergovernmental", "government", "network")


@dataclass(frozen=True, slots=True)
class Organisation(NamedEntry):
    """One gazetteer entry."""

    type: str
    part_of: str | None
    wikidata: str | None
    homepage: str | None


_HEAD = (
    r"(?:Agency|Authority|Bureau|Centre|Center|Commission|Committee|Council|Court|Department"
    r"|Foundation|Fund|Institute|Institution|Ministry|Office|Organi[sz]ation|Secretariat"
    r"|Tribunal|Association|Federation|Alliance|Network)"
)
_CAP = r"(?:[A-Z][\w'\u2019&-]*)"
_LINK = r"(?:of|for|on|and|the|in|against)"
_UNKNOWN = re.compile(
    rf"(?<![\w-])(?P<name>(?:{_CAP}\s+)*{_HEAD}"
    rf"(?:\s+(?:of|for|on|against)(?:\s+the)?\s+{_CAP}(?:\s+(?:{_LINK}\s+)*{_CAP})*)?)"
    rf"(?:\s+\((?P<acronym>[A-Z][A-Za-z]*[A-Z]{{1,}}[A-Za-z]*)\))?"
)
# The capitalised words before the head word, and the head word alone: see capitalised_names.
_UNKNOWN_RUN = re.compile(rf"(?:{_CAP}\s+)*")
_HEAD_AT = re.compile(_HEAD)
_HEAD_WORD = re.compile(rf"\b{_HEAD}\b")
_LEADING = re.compile(r"^(?:(?:The|A|An|Our|Its|This|These|Their|In|With|By|And)\s+)+")


class OrganisationIndex(AuthorityIndex[Organisation]):
    """The gazetteer and its compiled matcher."""

    def __init__(self, organisations: list[Organisation]) -> None:
        super().__init__(organisations, name_forms(organisations))

    def key_of(self, name: str) -> str | None:
        """Return the slug of the organisation a whole name names, or None."""
        return self._gazetteer.key_of(name)

    def find(self, text: str) -> list[Match]:
        """Return the gazetteer's organisations named in ``text``."""
        return list(self._gazetteer.finditer(text))

    def find_unknown(self, text: str, taken: list[tuple[int, int]]) -> list[Match]:
        """Return organisation-like names the gazetteer does not know, outside ``taken`` spans.

        The key of each match is the name as written (without a leading article)."""
        found: list[Match] = []
        if not _HEAD_WORD.search(text):
            return found
        spans = Spans(taken)
        for m in capitalised_names(_UNKNOWN, _UNKNOWN_RUN, text, head=_HEAD_AT):
            name = m.group("name")
            lead = _LEADING.match(name)
            offset = lead.end() if lead else 0
            start, end = m.start() + offset, m.end()
            words = name[offset:].split()
            has_complement = bool(re.search(rf"{_HEAD}\s+(?:of|for|on|against)\s", name))
            if len(words) < 2 or not (has_complement or m.group("acronym")):
                continue
            if spans.overlaps(start, end):
                continue
            if self._gazetteer.key_of(name[offset:]) is not None:
                continue
            found.append(Match(name[offset:], start, end, text[start:end]))
        return found


@lru_cache(maxsize=8)
def _load(path: Path) -> OrganisationIndex:
    entries = load_entries(path, ("slug", "name", "type"))
    organisations = []
    for entry in entries:
        if entry["type"] not in ORG_TYPES:
            raise InputError(f"unknown organisation type {entry['type']!r}", file=path,
                             line=entry["_line"], expected=" | ".join(ORG_TYPES))
        organisations.append(_organisation(entry))
    slugs = {o.slug for o in organisations}
    for o, entry in zip(organisations, entries, strict=True):
        if o.part_of and o.part_of not in slugs:
            raise InputError(f"part_of names unknown organisation {o.part_of!r}", file=path,
                             line=entry["_line"], expected="the slug of another entry")
    return OrganisationIndex(organisations)


def _organisation(entry: dict[str, Any]) -> Organisation:
    return Organisation(
        **named_fields(entry), type=str(entry["type"]), part_of=entry.get("part_of"),
        wikidata=entry.get("wikidata"), homepage=entry.get("homepage"),
    )


@lru_cache(maxsize=8)
def load_organisations(data_dir: Path | None = None) -> OrganisationIndex:
    """Return the organisation gazetteer of ``data_dir`` (or the bundled one).

    Read once per process: authority files are inputs of a run, not edited during one."""
    return _load(authority_path(data_dir, "organisations.yaml"))
