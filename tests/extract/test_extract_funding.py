"""What the words around a sum of money say about it: recipient, fiscal year and period,
budget source, purpose, and whether it is an indicative pledge or a firm commitment."""

from __future__ import annotations

from typing import Any

from pledge_graph.extract import extract_facts


def _funding(text: str) -> list[dict[str, Any]]:
    return [f for f in extract_facts(text) if f["kind"] == "funding"]


def test_recipient_after_the_sum() -> None:
    [fact] = _funding("We will contribute EUR 2 million to UN Women in 2024.")
    assert fact["recipient"] == "un-women"


def test_recipient_before_the_sum() -> None:
    [fact] = _funding("Our contribution to UNICEF of USD 3 million will continue.")
    assert fact["recipient"] == "unicef"


def test_each_sum_has_its_own_recipient() -> None:
    facts = _funding("We will give USD 1 million to OHCHR and USD 500,000 to UNHCR.")
    assert [f["recipient"] for f in facts] == ["ohchr", "unhcr"]


def test_recipient_the_money_is_to_support() -> None:
    [fact] = _funding("The UK will provide £2.5 million over three years to support the Global "
                      "Alliance of National Human Rights Institutions (GANHRI).")
    assert fact["recipient"] == "ganhri"


def test_recipient_in_french() -> None:
    [fact] = _funding("La France versera 5 millions d'euros au Haut-Commissariat aux droits de "
                      "l'homme en 2024.")
    assert (fact["recipient"], fact["currency"], fact["period_start"]) == ("ohchr", "EUR", 2024)


def test_recipient_in_spanish() -> None:
    [fact] = _funding("España aportará USD 250.000 a la OACNUDH en 2024.")
    assert (fact["amount"], fact["recipient"], fact["period_start"]) == ("250000", "ohchr", 2024)


def test_recipient_unknown_to_the_gazetteer_is_kept_by_name() -> None:
    [fact] = _funding("We will give USD 200,000 to the National Commission for Human Rights.")
    assert fact["recipient"] is None
    assert fact["recipient_name"] == "National Commission for Human Rights"


def test_organisation_named_elsewhere_is_not_the_recipient() -> None:
    text = "We will give USD 1 million for training. We will cooperate with OHCHR."
    [fact] = _funding(text)
    assert fact["recipient"] is None


def test_fiscal_year_and_budget_source() -> None:
    [fact] = _funding("Japan decided to provide approximately 1 million USD to OHCHR from the "
                      "supplementary budget of Fiscal Year 2023.")
    assert (fact["fiscal_year"], fact["budget_source"]) == (2023, "supplementary budget")


def test_period_of_years() -> None:
    [fact] = _funding("Norway will give NOK 50 million to OHCHR for 2024-2027.")
    assert (fact["period_start"], fact["period_end"]) == (2024, 2027)
    [fact] = _funding("We will give EUR 1 million from 2025 to 2028.")
    assert (fact["period_start"], fact["period_end"]) == (2025, 2028)


def test_years_follow_each_sum() -> None:
    facts = _funding("We will give USD 2 million in 2024 and 3 million in 2025.")
    assert [(f["period_start"], f["period_end"]) for f in facts] == [(2024, 2024), (2025, 2025)]


def test_purpose_in_the_same_sentence() -> None:
    [fact] = _funding("We will give CHF 1 million to OHCHR to support human rights defenders "
                      "in the Sahel.")
    assert fact["purpose"] == "to support human rights defenders in the Sahel"


def test_purpose_in_the_next_sentence() -> None:
    [fact] = _funding("We will give USD 1 million to OHCHR. The contribution aims at improving "
                      "access to justice for women.")
    assert fact["purpose"] == "improving access to justice for women"


def test_decision_is_a_firm_commitment_and_intention_a_pledge() -> None:
    [firm] = _funding("Japan decided to provide USD 1 million to OHCHR.")
    [pledge] = _funding("Japan will provide USD 1 million to OHCHR.")
    assert (firm["commitment"], pledge["commitment"]) == ("firm", "pledge")


def test_no_context_leaves_fields_empty() -> None:
    [fact] = _funding("USD 1 million.")
    assert (fact["recipient"], fact["fiscal_year"], fact["period_start"], fact["budget_source"],
            fact["purpose"]) == (None, None, None, None, None)
