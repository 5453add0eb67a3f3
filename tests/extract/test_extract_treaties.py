"""Treaty pledges: which sentences pledge to ratify, accede to, sign or withdraw reservations
to which core human rights treaty, and which only tell of the past or say no."""

from __future__ import annotations

import pytest

from pledge_graph.extract import extract_facts

# sentence, [(action, treaty, consider)]
CASES: list[tuple[str, list[tuple[str, str, bool]]]] = [
    ("Chile will ratify the Optional Protocol to the Convention against Torture by 2025.",
     [("ratify", "opcat", False)]),
    ("We pledge to ratify the OPCAT.", [("ratify", "opcat", False)]),
    ("We will ratify the Convention against Torture.", [("ratify", "cat", False)]),
    (("We commit to ratifying the International Convention for the Protection of All Persons "
     "from Enforced Disappearance."), [("ratify", "cped", False)]),
    ("The Government will accede to the Migrant Workers Convention.",
     [("accede", "icmw", False)]),
    ("We will sign the Convention on the Rights of Persons with Disabilities.",
     [("sign", "crpd", False)]),
    (("We will work towards the ratification of the Second Optional Protocol to the ICCPR, "
     "aiming at the abolition of the death penalty."), [("ratify", "iccpr-op2", False)]),
    (("We will ratify the Second Optional Protocol to the International Covenant on Civil and "
     "Political Rights."), [("ratify", "iccpr-op2", False)]),
    ("We will withdraw our reservations to CEDAW.", [("withdraw-reservation", "cedaw", False)]),
    ("We will lift the remaining reservations to the Convention on the Rights of the Child.",
     [("withdraw-reservation", "crc", False)]),
    ("We will ratify the CPED and the OPCAT.",
     [("ratify", "cped", False), ("ratify", "opcat", False)]),
    ("We will sign the CPED and ratify the ICMW.",
     [("sign", "cped", False), ("ratify", "icmw", False)]),
    ("We will ratify the CRPD and its Optional Protocol.",
     [("ratify", "crpd", False), ("ratify", "op-crpd", False)]),
    (("We will consider ratifying the Optional Protocol to the International Covenant on "
     "Economic, Social and Cultural Rights."), [("ratify", "op-icescr", True)]),
    ("We will explore the possibility of acceding to the ICMW.", [("accede", "icmw", True)]),
    ("The OPCAT will be ratified before the end of 2024.", [("ratify", "opcat", False)]),
    (("We will accede to the Optional Protocol to the Convention on the Rights of the Child on "
     "a communications procedure."), [("accede", "op-crc-ic", False)]),
    ("We will ratify the Optional Protocol on the involvement of children in armed conflict.",
     [("ratify", "op-crc-ac", False)]),
    ("We pledge the ratification of OP-CEDAW.", [("ratify", "op-cedaw", False)]),
    ("The ratification of the CRPD Optional Protocol will be completed in 2024.",
     [("ratify", "op-crpd", False)]),
    ("We will become a party to the Convention on Enforced Disappearances.",
     [("ratify", "cped", False)]),
    ("Having ratified the CRPD in 2014, we will now ratify its Optional Protocol.",
     [("ratify", "op-crpd", False)]),
    (("We will ratify the International Convention on the Elimination of All Forms of Racial "
     "Discrimination."), [("ratify", "icerd", False)]),
    ("We will sign and ratify the CPED.", [("sign", "cped", False), ("ratify", "cped", False)]),
    ("We signed and will now ratify the ICMW.", [("ratify", "icmw", False)]),
    (("La France s’engage à ratifier le Protocole facultatif se rapportant à la Convention "
     "contre la torture d’ici 2025."), [("ratify", "opcat", False)]),
    (("Chile se compromete a adherirse a la Convención Internacional para la protección de "
     "todas las personas contra las desapariciones forzadas antes de 2025."),
     [("accede", "cped", False)]),
    ("La France ne ratifiera pas la Convention relative aux droits des personnes handicapées.",
     []),
    # --- the past, negations, and treaties without an action -----------------------------
    ("We have ratified the CRPD.", []),
    ("Japan ratified the Convention against Torture in 1999.", []),
    ("The ICCPR has been ratified by our parliament.", []),
    ("Since its accession to CEDAW, the country has reformed its laws.", []),
    ("We will not ratify the ICMW.", []),
    ("We have no plans to accede to the CPED.", []),
    ("We will implement the Convention on the Rights of the Child.", []),
    ("We will report to the Committee against Torture.", []),
    ("We signed the OPCAT in 2010 and will report on it.", []),
    ("We will sign up to the Call to Action.", []),
]


@pytest.mark.parametrize(("sentence", "expected"), CASES, ids=[c[0][:48] for c in CASES])
def test_treaty_pledges_in_sentence(sentence: str, expected: list[tuple]) -> None:
    facts = [f for f in extract_facts(sentence) if f["kind"] == "treaty"]
    assert [(f["action"], f["treaty"], f["consider"]) for f in facts] == expected
    for fact in facts:
        assert sentence[fact["start"]:fact["end"]] == fact["exact"]


def test_treaty_fact_id_names_action_and_treaty() -> None:
    [fact] = [f for f in extract_facts("We pledge to ratify the OPCAT.") if f["kind"] == "treaty"]
    assert fact["id"] == "treaty-ratify-opcat"
    assert fact["exact"] == "ratify the OPCAT"


def test_committee_is_an_organisation_not_the_treaty() -> None:
    facts = extract_facts("We will cooperate with the CRC Committee.")
    assert [(f["kind"], f.get("organisation")) for f in facts] == [
        ("organisation", "crc-committee")]
