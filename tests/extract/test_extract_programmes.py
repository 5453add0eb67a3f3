"""Programmes and initiatives a pledge names: known ones by name, acronym or variant; unknown
ones from the way they are written, minted from their names."""

from __future__ import annotations

import pytest

from pledge_graph.extract import extract_facts


def _programmes(text: str) -> list[tuple[str, str | None, str]]:
    return [(f["id"], f["programme"], f["exact"]) for f in extract_facts(text)
            if f["kind"] == "programme"]


CASES: list[tuple[str, list[tuple[str, str | None, str]]]] = [
    (("foreign workers under the Technical Intern Training Program (TITP) and Specified Skilled "
     "Worker System (SSWS)"),
     [("programme-titp", "titp", "Technical Intern Training Program"),
      ("programme-ssws", "ssws", "Specified Skilled Worker System")]),
    ("an Advisory Panel of Experts on Ideal Form of TITP and SSWS",
     [("programme-titp", "titp", "TITP"), ("programme-ssws", "ssws", "SSWS")]),
    ('through its "Justice Affairs Diplomacy" initiative',
     [("programme-justice-affairs-diplomacy", "justice-affairs-diplomacy",
       '"Justice Affairs Diplomacy" initiative')]),
    ("through its \u201cSafe Cities for Women\u201d programme",
     [("programme-safe-cities-for-women", None, "\u201cSafe Cities for Women\u201d programme")]),
    ("the National Legal Aid Programme (NLAP) will expand",
     [("programme-national-legal-aid-programme", None, "National Legal Aid Programme (NLAP)")]),
    ("the Youth Employment Initiative reaches rural areas",
     [("programme-youth-employment-initiative", None, "Youth Employment Initiative")]),
    ("through its National Action Plan on Business and Human Rights",
     [("programme-national-action-plan-on-business-and-human-rights", None,
       "National Action Plan on Business and Human Rights")]),
    ("Le programme « Justice pour tous » sera étendu aux zones rurales.",
     [("programme-justice-pour-tous", None, "programme « Justice pour tous »")]),
    ("a renewed program aimed at securing human resources", []),
    ("the United Nations Development Programme supports it", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:48] for c in CASES])
def test_programmes_named(text: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert _programmes(text) == expected


def test_unknown_programme_keeps_name_and_acronym() -> None:
    [fact] = [f for f in extract_facts("the National Legal Aid Programme (NLAP) grows")
              if f["kind"] == "programme"]
    assert (fact["name"], fact["acronym"]) == ("National Legal Aid Programme", "NLAP")
