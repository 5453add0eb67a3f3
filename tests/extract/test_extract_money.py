"""Sums of money in pledge sentences: forms, currencies, approximation and bounds, several
sums in a sentence, and numbers that are not money. Each row is a sentence a pledge could
contain and the funding facts a reader would take from it."""

from __future__ import annotations

import pytest

from pledge_graph.extract import extract_facts

A, MIN, MAX, RANGE = "approx", "minimum", "maximum", "range"

# sentence, [(amount, currency, approximate?, limit)]
CASES: list[tuple[str, list[tuple[str, str | None, bool, str | None]]]] = [
    # --- the forms of a sum --------------------------------------------------------------
    ("Japan decided to additionally provide approximately 1 million USD to OHCHR.",
     [("1000000", "USD", True, None)]),
    ("We will contribute USD 1 million to OHCHR.", [("1000000", "USD", False, None)]),
    ("Ireland will give US$ 750,000 to the Voluntary Fund.", [("750000", "USD", False, None)]),
    ("A grant of $2m will be disbursed.", [("2000000", "USD", False, None)]),
    ("We pledge $2M for human rights defenders.", [("2000000", "USD", False, None)]),
    ("Germany will provide EUR 2 million to UN Women.", [("2000000", "EUR", False, None)]),
    ("France pledges €2 million to OHCHR.", [("2000000", "EUR", False, None)]),
    ("Switzerland commits CHF 5.5 million over four years.", [("5500000", "CHF", False, None)]),
    ("The United Kingdom will give £500,000 to UNICEF.", [("500000", "GBP", False, None)]),
    ("Japan will allocate JPY 100 million to the project.", [("100000000", "JPY", False, None)]),
    ("Japan will contribute 1.5 billion yen to UNICEF.", [("1500000000", "JPY", False, None)]),
    ("We will contribute USD 1.5 billion by 2030.", [("1500000000", "USD", False, None)]),
    ("The fund receives 1,000,000 US dollars.", [("1000000", "USD", False, None)]),
    ("Austria will provide EUR 1.000.000 for the programme.", [("1000000", "EUR", False, None)]),
    ("Spain will provide EUR 300.000 to the Office.", [("300000", "EUR", False, None)]),
    ("Belgium will give 1 000 000 EUR to the Fund.", [("1000000", "EUR", False, None)]),
    ("Norway will give NOK 50 million to OHCHR.", [("50000000", "NOK", False, None)]),
    ("Sweden will give SEK 20 million.", [("20000000", "SEK", False, None)]),
    ("Canada pledges C$ 3 million.", [("3000000", "CAD", False, None)]),
    ("Australia pledges A$ 4 million.", [("4000000", "AUD", False, None)]),
    ("Denmark pledges 10 million Danish kroner.", [("10000000", "DKK", False, None)]),
    ("The Republic of Korea will provide KRW 1 billion.", [("1000000000", "KRW", False, None)]),
    ("We will give five million dollars to UNHCR.", [("5000000", "USD", False, None)]),
    ("We will give one million US dollars to UNHCR.", [("1000000", "USD", False, None)]),
    ("We will give two hundred thousand Swiss francs.", [("200000", "CHF", False, None)]),
    ("We will give a million euros to the Fund.", [("1000000", "EUR", False, None)]),
    ("Twenty-five million euros will be allocated.", [("25000000", "EUR", False, None)]),
    ("We will give one hundred and fifty thousand euros.", [("150000", "EUR", False, None)]),
    ("We will give $500k to local defenders.", [("500000", "USD", False, None)]),
    ("We will give USD 2.5m to the trust fund.", [("2500000", "USD", False, None)]),
    ("We will give USD 3 bn over ten years.", [("3000000000", "USD", False, None)]),
    ("Our budget adds $ 250,000 for training.", [("250000", "USD", False, None)]),
    ("We will give 40,000 dollars to the shelter.", [("40000", "USD", False, None)]),
    ("We will provide GBP 1,250,000.50 in total.", [("1250000.5", "GBP", False, None)]),
    ("La France versera 2 millions d'euros au HCDH.", [("2000000", "EUR", False, None)]),
    ("La France versera 2 millions d’euros au HCDH.", [("2000000", "EUR", False, None)]),
    ("La Suisse versera 1,5 million de francs suisses.", [("1500000", "CHF", False, None)]),
    ("España aportará 5 millones de dólares a la Oficina.", [("5000000", "USD", False, None)]),
    ("España aportará 3 millones de euros.", [("3000000", "EUR", False, None)]),
    ("Nous verserons 500 000 € en 2024.", [("500000", "EUR", False, None)]),
    ("We will give 100,000 € to the network.", [("100000", "EUR", False, None)]),
    # --- how exact it is ------------------------------------------------------------------
    ("We will give around USD 3 million.", [("3000000", "USD", True, None)]),
    ("We will give about €1 million.", [("1000000", "EUR", True, None)]),
    ("We will give some USD 400,000 to defenders.", [("400000", "USD", True, None)]),
    ("We will give roughly £2.5m to the fund.", [("2500000", "GBP", True, None)]),
    ("We will give nearly 2 million euros.", [("2000000", "EUR", True, None)]),
    ("Approximately USD 1 million will be provided.", [("1000000", "USD", True, None)]),
    ("We will give up to USD 5 million.", [("5000000", "USD", False, MAX)]),
    ("We will give over $2m to the Fund.", [("2000000", "USD", False, MIN)]),
    ("We will give more than 1 million euros.", [("1000000", "EUR", False, MIN)]),
    ("We will give at least CHF 300,000 each year.", [("300000", "CHF", False, MIN)]),
    ("We will give a minimum of USD 100,000.", [("100000", "USD", False, MIN)]),
    ("We will give USD 1-2 million to the Office.", [("1000000", "USD", False, RANGE)]),
    ("La Suisse versera environ 2 millions de francs suisses.",
     [("2000000", "CHF", True, None)]),
    ("Chile aportará aproximadamente 1 millón de dólares.", [("1000000", "USD", True, None)]),
    # --- several sums in a sentence ---------------------------------------------------------
    ("We will give USD 1 million to OHCHR and USD 500,000 to UNHCR.",
     [("1000000", "USD", False, None), ("500000", "USD", False, None)]),
    ("We will give USD 2 million in 2024 and 3 million in 2025.",
     [("2000000", "USD", False, None), ("3000000", "USD", False, None)]),
    ("We pledge EUR 1 million to UNICEF, CHF 2 million to UNHCR and $300,000 to UNDP.",
     [("1000000", "EUR", False, None), ("2000000", "CHF", False, None),
      ("300000", "USD", False, None)]),
    ("About USD 1 million to OHCHR and up to USD 2 million to UNDP.",
     [("1000000", "USD", True, None), ("2000000", "USD", False, MAX)]),
    ("Each year we give €250,000, or €1 million over four years.",  # the second restates
     [("250000", "EUR", False, None)]),
    ("Japan will allocate JPY 100 million (approximately USD 700,000) to UNICEF.",
     [("100000000", "JPY", False, None)]),
    # --- no currency: money only in money context ----------------------------------------------
    ("We will contribute 1.5 billion to UNICEF over five years.",
     [("1500000000", None, False, None)]),
    ("Our contribution of 2 million to the Fund continues.", [("2000000", None, False, None)]),
    ("We will provide 1 million people with legal aid.", []),
    ("One million children will be reached.", []),
    ("We will fund 500 officials' training.", []),
    ("The programme reached 3 million in 2023.", []),
    # --- numbers that are not money ------------------------------------------------------------
    ("We will train 500 officials by 2025.", []),
    ("This is the supplementary budget of Fiscal Year 2023.", []),
    ("We support the 2030 Agenda for Sustainable Development.", []),
    ("We will implement resolution 48/13 on the right to a healthy environment.", []),
    ("Our work contributes to SDG 16 and SDG 5.", []),
    ("We will reduce the gap by 5% and reach 30 per cent of women.", []),
    ("We will allocate 0.7% of GNI to development assistance.", []),
    ("We celebrate the 75th anniversary of the Universal Declaration.", []),
    ("We will host 12 consultations with 1,200 participants.", []),
    ("Article 14 and paragraph 3 of the Convention apply.", []),
    ("The 2023-2027 national action plan has 4 pillars.", []),
    ("COVID-19 recovery plans include 10 measures.", []),
    ("We will organise one conference and two workshops.", []),
    ("The report, published on 10 December 2023, has 250 pages.", []),
    ("One of our priorities is to reach two million persons.", []),
    ("We have 1,000,000 volunteers across the country.", []),
    ("The dollar value of the initiative will be published.", []),
    ("The SDG 16 indicators and ILO 190 convention are relevant.", []),
    ("The UN's 193 Member States adopted the text.", []),
    ("Phone +41 22 917 9000 for details.", []),
    ("We will train judges in 2024, 2025 and 2026.", []),
    ("We will support 3 shelters and 15 NGOs.", []),
    ("The level rose from 1.5 to 2.0 degrees.", []),
    ("Over 2 million people were displaced.", []),
    ("Approximately 1,500 officers will be trained.", []),
]


@pytest.mark.parametrize(("sentence", "expected"), CASES, ids=[c[0][:48] for c in CASES])
def test_funding_found_in_sentence(sentence: str, expected: list[tuple]) -> None:
    facts = [f for f in extract_facts(sentence) if f["kind"] == "funding"]
    got = [(f["amount"], f["currency"], f["approximate"], f["limit"]) for f in facts]
    assert got == expected
    for fact in facts:
        assert sentence[fact["start"]:fact["end"]] == fact["exact"]


def test_table_is_large_enough_to_cover_the_forms() -> None:
    assert len(CASES) >= 90


def test_range_keeps_its_upper_end() -> None:
    [fact] = [f for f in extract_facts("We will give USD 1-2 million.") if f["kind"] == "funding"]
    assert (fact["amount"], fact["amount_max"], fact["limit"]) == ("1000000", "2000000", "range")


def test_quoted_words_include_the_approximation_marker() -> None:
    text = "Japan decided to additionally provide approximately 1 million USD to OHCHR."
    [fact] = [f for f in extract_facts(text) if f["kind"] == "funding"]
    assert fact["exact"] == "approximately 1 million USD"


def test_currency_of_a_bare_amount_is_taken_from_an_earlier_sum() -> None:
    text = ("We will give USD 1 million to OHCHR in 2024. "
            "We will also contribute 2 million to UNICEF in 2025.")
    funding = [f for f in extract_facts(text) if f["kind"] == "funding"]
    assert [(f["amount"], f["currency"]) for f in funding] == [
        ("1000000", "USD"), ("2000000", "USD")]


def test_repeated_sums_get_distinct_ids() -> None:
    text = "We give USD 1 million to OHCHR. We give USD 1 million to UNHCR."
    ids = [f["id"] for f in extract_facts(text) if f["kind"] == "funding"]
    assert ids == ["funding-usd-1000000", "funding-usd-1000000-2"]
