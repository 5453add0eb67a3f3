"""Who pledged: States (UN members and observers) and non-State actors, known by name.

This module holds the reference data and the lookup by name; :mod:`~pledge_graph.mapping.actors`
turns what it finds into triples.

States come from ``authorities/states.yaml`` (UN names, variants, verified external ids)
with their ISO 3166-1 codes from pycountry, keyed by alpha-3; known non-State actors from
``authorities/actors.yaml``. A name that is neither becomes a non-State actor whose kind is
guessed from keywords in the name, with a warning so that a curator can confirm it.

Names match whatever their case, diacritics, punctuation, spacing (NBSP too) or apostrophes,
and after a leading "the", "Government of", "Kingdom of" or "Republic of" is dropped,
unless the names file lists the shortened name as ambiguous. A State's permanent mission to
the United Nations is the State.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass, fields
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pycountry
from rdflib import URIRef

from pledge_graph.errors import InputError
from pledge_graph.ingest.authority_files import (
    authority_path,
    check_keys,
    entry_error,
    entry_names,
    entry_text,
    mapping_entries,
    read_mapping,
)
from pledge_graph.rdf.vocab import Iris, slugify

__all__ = [
    "ACTOR_KINDS",
    "LABEL_LANGUAGES",
    "Actor",
    "Known",
    "State",
    "find_state",
    "guess_kind",
    "normalise_name",
    "resolve_actor",
    "state_names",
    "states",
]

ACTOR_KINDS: dict[str, str] = {
    "state": "State",
    "nhri": "NationalHumanRightsInstitution",
    "cso": "CivilSocietyOrganization",
    "igo": "IntergovernmentalOrganization",
    "parliament": "Parliament",
    "business": "Business",
    "local-government": "LocalGovernment",
}
"""Each actor kind and the ontology class (``pg:<Class>``) of its actors."""

LABEL_LANGUAGES: dict[str, str] = {"ar": "ar", "zh": "zh_CN", "fr": "fr", "ru": "ru", "es": "es"}
"""UN languages other than English, and pycountry's catalogue for each."""

_STRIPPABLE = ("the ", "government of ", "kingdom of ", "republic of ")
# "Permanent Mission of Japan to the United Nations Office at Geneva" speaks for Japan.
_MISSION = re.compile(r"^(?:the )?permanent mission of (.+?) to (?:the )?(?:united nations|un)\b.*$")

# Keyword rules for a non-State actor's kind, tried in this order; the first match wins and
# anything else is a civil society organisation.
_KIND_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("nhri", re.compile(
        r"\bombuds|\bhuman rights commission\b|\bcommission (?:on|for) human rights\b"
        r"|\bnational human rights\b|\bhuman rights institution|\bdefensoria\b"
        r"|\bdefensor del pueblo\b|\bpublic defender\b")),
    ("parliament", re.compile(
        r"\bparliament|\bnational assembly\b|\blegislative assembly\b|\bsenate\b"
        r"|\bhouse of representatives\b|\bchamber of deputies\b")),
    ("local-government", re.compile(
        r"\bcity of\b|\btown of\b|\bmunicipal|\bcity council\b|\bmayor\b|\bprefecture\b"
        r"|\bcounty\b|\blocal government\b|\bregional government\b|\bprovincial government\b")),
    ("igo", re.compile(
        r"\bunited nations\b|\bun\b|^office of\b|\bintergovernmental\b|\beuropean union\b"
        r"|\bafrican union\b|\bcouncil of europe\b|\borganization of american states\b"
        r"|\bworld bank\b|\b(?:unicef|undp|unesco|unfpa|unhcr|unaids|unodc|unep|unops|unrwa"
        r"|unitar|ohchr|ilo|iom|oecd|osce)\b")),
    ("business", re.compile(
        r"\bltd\b|\blimited\b|\binc\b|\bcompany\b|\bcorporation\b|\bcorp\b|\bllc\b|\bplc\b"
        r"|\bgmbh\b")),
)

_APOSTROPHES = re.compile("[\u2018\u2019\u02bc\u00b4`]")
_DROPPED = re.compile(r"['.]")
_SEPARATORS = re.compile(r"[\W_]+")
_ALPHA3 = re.compile(r"^[A-Z]{3}$")
_IDS = {
    "wikidata": re.compile(r"^Q[1-9][0-9]*$"),
    "unbis": re.compile(r"^[0-9]+$"),
    "geonames": re.compile(r"^[0-9]+$"),
    "m49_region": re.compile(r"^[0-9]{3}$"),
    "m49_subregion": re.compile(r"^[0-9]{3}$"),
}


@dataclass(frozen=True, kw_only=True)
class Known:
    """What the authority files may say of a State or an actor besides its name: variants,
    labels in other languages, verified external ids and UN M49 regions."""

    variants: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    wikidata: str | None = None
    unbis: str | None = None
    geonames: str | None = None
    m49_region: str | None = None
    m49_subregion: str | None = None


@dataclass(frozen=True, kw_only=True)
class State(Known):
    """A UN member or observer State: its UN name, ISO codes and verified external ids."""

    alpha3: str
    alpha2: str
    numeric: str
    name: str
    status: str

    @property
    def slug(self) -> str:
        return self.alpha3.lower()


@dataclass(frozen=True, kw_only=True)
class Actor(Known):
    """A pledging actor as resolved from a name; ``iri`` mints its IRI under any base.

    ``matched`` is False, and ``warning`` says why, when the name matched no State and no
    known actor and the kind was guessed from the name.
    """

    kind: str
    slug: str
    label: str
    alpha2: str | None = None
    alpha3: str | None = None
    numeric: str | None = None
    matched: bool = True
    warning: str | None = None
    organisation: str | None = None

    def iri(self, iris: Iris) -> URIRef:
        """Return ``id/state/<alpha3>`` for a State, ``id/org/<slug>`` for an actor that is
        also in the organisations gazetteer (one resource whether it pledges or is named in
        a pledge), ``id/actor/<slug>`` for anyone else."""
        if self.kind == "state":
            return iris.state(self.slug)
        if self.organisation:
            return iris.org(self.organisation)
        return iris.actor(self.slug)


def normalise_name(name: str) -> str:
    """Return the form names are compared in: 'Côte d’Ivoire' -> 'cote divoire'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("'", text).casefold().replace("&", " and ")
    text = _DROPPED.sub("", text)
    return " ".join(_SEPARATORS.sub(" ", text).split())


def states(data_dir: Path | None = None) -> list[State]:
    """Return every UN member and observer State, in the order of the names file."""
    return list(_tables(data_dir).states)


def state_names(data_dir: Path | None = None) -> list[str]:
    """Return every name and variant of every State, longest first (for scanning text)."""
    names = {name for state in states(data_dir) for name in (state.name, *state.variants)}
    return sorted(names, key=lambda name: (-len(name), name))


def find_state(name: str, data_dir: Path | None = None) -> State | None:
    """Given a name as written ("the Kingdom of the Netherlands"), return its State or None."""
    found = _lookup(name, data_dir)
    return found if isinstance(found, State) else None


def resolve_actor(name: str, data_dir: Path | None = None) -> Actor:
    """Given a pledging entity's name as written, return the State or actor it names.

    A name that matches neither gives an unmatched actor of a guessed kind with a warning.
    """
    label = " ".join(name.split())
    if not normalise_name(label):
        raise InputError(f"actor name {name!r} is empty", expected="the name of a State or actor")
    found = _lookup(label, data_dir)
    if isinstance(found, State):
        return _state_actor(found)
    if isinstance(found, Actor):
        return found
    kind = guess_kind(label)
    return Actor(
        kind=kind, slug=slugify(label), label=label, matched=False,
        warning=(f"pledging entity {label!r} is no known State or actor; typed as "
                 f"{ACTOR_KINDS[kind]} from its name (list it in authorities/actors.yaml "
                 f"to confirm)"),
    )


def guess_kind(name: str) -> str:
    """Guess a non-State actor's kind from keywords in its name; 'cso' when none fits."""
    key = normalise_name(name)
    for kind, pattern in _KIND_RULES:
        if pattern.search(key):
            return kind
    return "cso"


# ---------------------------------------------------------------------------
# Loading the authority files
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Authorities:
    states: tuple[State, ...]
    index: dict[str, State | Actor]
    ambiguous: frozenset[str]


def _lookup(name: str, data_dir: Path | None) -> State | Actor | None:
    """Find a State or known actor by name, dropping safe leading words one at a time."""
    tables = _tables(data_dir)
    key = _MISSION.sub(r"\1", normalise_name(name))
    while key and key not in tables.ambiguous:
        found = tables.index.get(key)
        if found is not None:
            return found
        prefix = next((p for p in _STRIPPABLE if key.startswith(p)), None)
        if prefix is None:
            return None
        key = key[len(prefix):]
    return None


@lru_cache(maxsize=8)
def _tables(data_dir: Path | None) -> _Authorities:
    """The authorities of a data folder, read once per process."""
    return _authorities(authority_path(data_dir, "states.yaml").resolve(),
                        authority_path(data_dir, "actors.yaml").resolve())


@lru_cache(maxsize=8)
def _authorities(states_file: Path, actors_file: Path) -> _Authorities:
    index: dict[str, State | Actor] = {}
    found: list[State] = []
    states_data = read_mapping(states_file, ("members", "observers", "ambiguous"))
    seen: set[str] = set()
    for status in ("member", "observer"):
        for entry in mapping_entries(states_file, states_data, status + "s"):
            state = _state(states_file, entry, status)
            if state.alpha3 in seen:
                raise entry_error(states_file, entry, f"State {state.alpha3} listed twice",
                                  "each alpha3 once")
            seen.add(state.alpha3)
            found.append(state)
            for name in (state.name, *state.variants):
                _index(index, name, state, states_file, entry)
    ambiguous = frozenset(normalise_name(str(n)) for n in states_data.get("ambiguous") or [])
    actors_data = read_mapping(actors_file, ("actors",))
    for entry in mapping_entries(actors_file, actors_data, "actors"):
        actor = _actor(actors_file, entry)
        for name in (actor.label, *actor.variants):
            _index(index, name, actor, actors_file, entry)
    return _Authorities(tuple(found), index, ambiguous)


def _index(index: dict[str, State | Actor], name: str, value: State | Actor, path: Path,
           entry: dict[str, Any]) -> None:
    key = normalise_name(name)
    other = index.setdefault(key, value)
    if other is not value:
        which = other.name if isinstance(other, State) else other.label
        raise entry_error(path, entry, f"name {name!r} also names {which!r}",
                          "names and variants that name one State or actor")


def _state(path: Path, entry: dict[str, Any], status: str) -> State:
    check_keys(path, entry, {"alpha3", "name"}, {"variants", *_IDS})
    alpha3 = entry_text(path, entry, "alpha3")
    country = pycountry.countries.get(alpha_3=alpha3) if _ALPHA3.match(alpha3) else None
    if country is None:
        raise entry_error(path, entry, f"unknown alpha3 {alpha3!r}", "an ISO 3166-1 alpha-3 code")
    name = entry_text(path, entry, "name")
    listed = [str(v) for v in entry_names(path, entry, "variants")]
    iso_names = [re.sub(r"^the ", "", getattr(country, attr, None) or "")
                 for attr in ("name", "official_name", "common_name")]
    variants = _unique([*listed, *(n for n in iso_names if n)], exclude=name)
    labels = tuple((lang, text) for lang in LABEL_LANGUAGES
                   if (text := _translate(lang, country.name)) != country.name)
    return State(alpha3=alpha3, alpha2=country.alpha_2, numeric=country.numeric, name=name,
                 status=status, variants=variants, labels=labels,
                 **{key: _identifier(path, entry, key) for key in _IDS})


def _actor(path: Path, entry: dict[str, Any]) -> Actor:
    check_keys(path, entry, {"slug", "name", "kind"}, {"variants", "wikidata", "organisation"})
    kind = entry_text(path, entry, "kind")
    if kind not in ACTOR_KINDS or kind == "state":
        raise entry_error(path, entry, f"unknown actor kind {kind!r}",
                          "one of " + " ".join(k for k in ACTOR_KINDS if k != "state"))
    slug = entry_text(path, entry, "slug")
    if slug != slugify(slug):
        raise entry_error(path, entry, f"bad slug {slug!r}", "lower-case letters, digits and '-'")
    name = entry_text(path, entry, "name")
    variants = _unique([str(v) for v in entry_names(path, entry, "variants")], exclude=name)
    organisation = entry_text(path, entry, "organisation") if "organisation" in entry else None
    if organisation is not None and organisation != slugify(organisation):
        raise entry_error(path, entry, f"bad organisation slug {organisation!r}",
                          "the slug of an entry in authorities/organisations.yaml")
    return Actor(kind=kind, slug=slug, label=name, variants=variants,
                 wikidata=_identifier(path, entry, "wikidata"), organisation=organisation)


def _state_actor(state: State) -> Actor:
    known = {f.name: getattr(state, f.name) for f in fields(Known)}
    return Actor(kind="state", slug=state.slug, label=state.name, alpha2=state.alpha2,
                 alpha3=state.alpha3, numeric=state.numeric, **known)


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR,
                               languages=[LABEL_LANGUAGES[language]], fallback=True)


def _translate(language: str, name: str) -> str:
    return _catalogue(language).gettext(name)


def _unique(names: list[str], exclude: str) -> tuple[str, ...]:
    """Return the names in order without repeats, and without ``exclude``."""
    unique: list[str] = []
    for name in names:
        if name != exclude and name not in unique:
            unique.append(name)
    return tuple(unique)


def _identifier(path: Path, entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _IDS[key].match(value):
        raise entry_error(path, entry, f"bad {key} {value!r}",
                          f"a quoted identifier matching {_IDS[key].pattern}")
    return value
