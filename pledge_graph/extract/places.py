"""Countries a pledge is about, found by the names and variants of the State authority
(data/authorities/states.yaml, through pledge_graph.mapping.authorities).

Names match with their capitals as written ("Turkey", not "turkey"), longest first and as
whole words, so "Sudan" is not found inside "South Sudan", "Guinea" inside "Papua New
Guinea" or "Niger" inside "Nigeria". Places that contain a State's name but are not that State
("Northern Ireland", "New Mexico", "Latin America") are recognised and skipped. A name that
is also a person's or a US state's ("Jordan", "Georgia") is taken as the State: pledges
rarely mean the others. The pledging State itself is left out by the caller."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pledge_graph.mapping.authorities import find_state, state_names

__all__ = ["country_names", "state_of"]

_NOT_STATES = (
    "Northern Ireland", "New Mexico", "New Jersey", "New South Wales", "New England",
    "Latin America", "Central America", "South America", "North America", "American Samoa",
    "New Guinea", "Gulf of Guinea", "Congo Basin", "Congo River", "Niger Delta", "Niger River",
    "Lake Chad", "South China Sea", "Jordan River", "Georgia State", "Indian Ocean",
)
_SKIP = ""


@lru_cache(maxsize=8)
def country_names(data_dir: Path | None = None) -> dict[str, str]:
    """Return every name of every State with its alpha-3 code, and the names of places that
    are not States ("Northern Ireland") with an empty code; all to be matched with their
    capitals as written."""
    names: dict[str, str] = {}
    for name in state_names(data_dir):
        state = find_state(name, data_dir)
        if state is not None:
            names[name] = state.alpha3
    for name in _NOT_STATES:
        names.setdefault(name, _SKIP)
    return names


def state_of(name: str, data_dir: Path | None = None) -> str | None:
    """Return the alpha-3 code of the State a pledging entity's name names, or None."""
    state = find_state(name, data_dir)
    return state.alpha3 if state is not None else None
