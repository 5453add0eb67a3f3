"""Countries a pledge is about: names and variants, whole words only, longest name first,
and not the pledging State itself."""

from __future__ import annotations

import pytest

from pledge_graph.extract import extract_facts


def _countries(text: str, pledgers: tuple[str, ...] = ()) -> list[str]:
    return [f["country"] for f in extract_facts(text, pledgers=pledgers)
            if f["kind"] == "country"]


CASES: list[tuple[str, list[str]]] = [
    ("documentation of data on the situations in Yemen and Sudan", ["YEM", "SDN"]),
    ("support to South Sudan", ["SSD"]),
    ("projects in Papua New Guinea", ["PNG"]),
    ("projects in Guinea and Guinea-Bissau", ["GIN", "GNB"]),
    ("cooperation with Nigeria and Niger", ["NGA", "NER"]),
    ("the Democratic Republic of the Congo and the Congo", ["COD", "COG"]),
    ("in Northern Ireland and in Ireland", ["IRL"]),
    ("Türkiye, Viet Nam and the Republic of Korea", ["TUR", "VNM", "KOR"]),
    ("the United States of America and the United Kingdom", ["USA", "GBR"]),
    ("Georgia and Jordan", ["GEO", "JOR"]),
    ("refugees from Syria crossing into Lebanon", ["SYR", "LBN"]),
    ("the Sudanese authorities", []),
    ("a turkey and a chad", []),
    ("the Indian Ocean and Latin America", []),
    ("the Lake Chad region, the Niger Delta, the Gulf of Guinea and the Congo Basin", []),
    ("American Samoa and Samoa", ["WSM"]),
    ("the Japan International Cooperation Agency", []),
    ("the Commission on Human Rights of the Philippines (CHRP)", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:48] for c in CASES])
def test_countries_named(text: str, expected: list[str]) -> None:
    assert _countries(text) == expected


def test_pledging_state_is_not_a_country_the_pledge_is_about() -> None:
    text = "Japan decided to provide support in Yemen and Sudan. Japan will continue."
    assert _countries(text, ("Japan",)) == ["YEM", "SDN"]
    assert _countries(text) == ["JPN", "YEM", "SDN"]


def test_country_fact_id_and_span() -> None:
    text = "support in Yemen"
    [fact] = [f for f in extract_facts(text) if f["kind"] == "country"]
    assert (fact["id"], fact["start"], fact["end"], fact["exact"]) == (
        "country-yem", 11, 16, "Yemen")
