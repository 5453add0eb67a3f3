"""Organisations a pledge names: gazetteer names, acronyms and variants, false friends, and
bodies the gazetteer does not know, which are kept unlinked rather than dropped."""

from __future__ import annotations

import pytest

from pledge_graph.extract import extract_facts


def _orgs(text: str) -> list[tuple[str | None, str]]:
    return [(f["organisation"], f["exact"]) for f in extract_facts(text)
            if f["kind"] == "organisation"]


CASES: list[tuple[str, list[tuple[str | None, str]]]] = [
    ("We support OHCHR.", [("ohchr", "OHCHR")]),
    ("We support the Office of the United Nations High Commissioner for Human Rights.",
     [("ohchr", "Office of the United Nations High Commissioner for Human Rights")]),
    ("We fund UN Human Rights in Geneva.", [("ohchr", "UN Human Rights")]),
    ("We will engage with the Human Rights Council and its Universal Periodic Review.",
     [("human-rights-council", "Human Rights Council"), ("upr", "Universal Periodic Review")]),
    ("We work with UNHCR, UNICEF, UNDP, UN Women and UNFPA.",
     [("unhcr", "UNHCR"), ("unicef", "UNICEF"), ("undp", "UNDP"), ("un-women", "UN Women"),
      ("unfpa", "UNFPA")]),
    ("With the ILO and the IOM we protect migrant workers.",
     [("ilo", "ILO"), ("iom", "IOM")]),
    ("The WHO guidance applies.", [("who", "WHO")]),
    ("Those who need help will get it.", []),
    ("The PILOT project and the BIOME study.", []),
    ("UN-Habitat works on housing.", [("un-habitat", "UN-Habitat")]),
    ("The UN will host the meeting.", [("united-nations", "UN")]),
    ("We will report to the Committee on the Elimination of Racial Discrimination (CERD).",
     [("cerd", "Committee on the Elimination of Racial Discrimination")]),
    ("We will invite the Subcommittee on Prevention of Torture.",
     [("spt", "Subcommittee on Prevention of Torture")]),
    ("Organizations including UNAFEI and JICA train lawyers.",
     [("unafei", "UNAFEI"), ("jica", "JICA")]),
    ("The Japan International Cooperation Agency supports courts.",
     [("jica", "Japan International Cooperation Agency")]),
    ("Our NHRI joined GANHRI in 2020.", [("ganhri", "GANHRI")]),
    ("The Ministry of Justice will train prosecutors.", [(None, "Ministry of Justice")]),
    ("The National Human Rights Commission (NHRC) will monitor prisons.",
     [(None, "National Human Rights Commission (NHRC)")]),
    ("We will fund the Agency for Gender Equality of Ruritania.",
     [(None, "Agency for Gender Equality of Ruritania")]),
    ("The Government of Japan entrusted an Advisory Panel of Experts.", []),
    ("We apply the UN Guiding Principles on Business and Human Rights.", []),
    # --- names in Russian, Chinese and Arabic, inflected or joined as those languages write them
    ("Мы поддерживаем УВКПЧ и ЮНИСЕФ.", [("ohchr", "УВКПЧ"), ("unicef", "ЮНИСЕФ")]),
    ("Россия сотрудничает с ООН.", [("united-nations", "ООН")]),
    ("Мы передадим средства Управлению Верховного комиссара ООН по делам беженцев.",
     [("unhcr", "Управлению Верховного комиссара ООН по делам беженцев")]),
    ("中国支持联合国儿童基金会和联合国开发计划署的工作。",
     [("unicef", "联合国儿童基金会"), ("undp", "联合国开发计划署")]),
    ("中国与人权理事会合作。", [("human-rights-council", "人权理事会")]),
    ("联合国大会", [("united-nations", "联合国")]),
    ("نعمل مع اليونيسف والمفوضية السامية لحقوق الإنسان.",
     [("unicef", "اليونيسف"), ("ohchr", "المفوضية السامية لحقوق الإنسان")]),
    ("ندعم برنامج الأمم المتحدة الإنمائي ومجلس حقوق الإنسان.",
     [("undp", "برنامج الأمم المتحدة الإنمائي"), ("human-rights-council", "مجلس حقوق الإنسان")]),
    ("The UN Voluntary Fund for Victims of Torture helps survivors.",
     [("vfvt", "UN Voluntary Fund for Victims of Torture")]),
    ("Une contribution au Haut-Commissariat aux droits de l'homme.",
     [("ohchr", "Haut-Commissariat aux droits de l'homme")]),
    ("We will strengthen the Commission on Human Rights of the Philippines (CHRP).",
     [(None, "Commission on Human Rights of the Philippines (CHRP)")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:48] for c in CASES])
def test_organisations_named(text: str, expected: list[tuple[str | None, str]]) -> None:
    assert _orgs(text) == expected


def test_unknown_body_keeps_its_name_and_links_nothing() -> None:
    [fact] = [f for f in extract_facts("The Ministry of Justice will act.")
              if f["kind"] == "organisation"]
    assert fact["organisation"] is None
    assert fact["name"] == "Ministry of Justice"
    assert fact["id"] == "org-ministry-of-justice"


def test_a_body_named_twice_gives_one_fact_at_its_first_mention() -> None:
    text = "We fund OHCHR. We will cooperate with OHCHR."
    facts = [f for f in extract_facts(text) if f["kind"] == "organisation"]
    assert [(f["id"], f["start"]) for f in facts] == [("org-ohchr", 8)]


def test_the_pledging_organisation_is_not_an_organisation_its_pledge_names() -> None:
    text = "The National Human Rights Commission of Kenya will work with OHCHR and UNHCR."
    pledgers = ["National Human Rights Commission of Kenya"]
    assert [f["id"] for f in extract_facts(text, pledgers=pledgers)
            if f["kind"] == "organisation"] == ["org-ohchr", "org-unhcr"]
    assert [f["id"] for f in extract_facts(text, pledgers=["UNHCR"])
            if f["kind"] == "organisation"] == [
        "org-ohchr", "org-national-human-rights-commission-of-kenya"]
