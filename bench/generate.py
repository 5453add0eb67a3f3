"""Write a synthetic corpus of pledge documents in the HR75 Secretariat's format.

The documents follow the real format (see data/sources/japan-2023.txt) with the variation the
importer must survive: single and joint pledges, texts in several UN languages under English
field labels, bold or plain labels, CRLF line endings, no-break spaces, typographic quotes,
comma or semicolon separated rights-holder labels, missing word counts, funding sentences in
several currencies, treaty ratification pledges and mentions of UN member states.

The output is a pure function of ``--pledges`` and ``--seed``: the same arguments write the
same bytes, so benchmark runs on different days measure the same input::

    python bench/generate.py --pledges 10000 --seed 1 --out bench/corpora/10k
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pycountry

__all__ = ["Document", "documents", "generate", "main", "un_member_states"]

NBSP = "\u00a0"

# ---------------------------------------------------------------------------------------------
# Vocabulary of the format
# ---------------------------------------------------------------------------------------------

# ISO 3166-1 alpha-3 codes of the 193 UN member states.
UN_MEMBERS = [
    "AFG", "ALB", "DZA", "AND", "AGO", "ATG", "ARG", "ARM", "AUS", "AUT", "AZE", "BHS", "BHR",
    "BGD", "BRB", "BLR", "BEL", "BLZ", "BEN", "BTN", "BOL", "BIH", "BWA", "BRA", "BRN", "BGR",
    "BFA", "BDI", "CPV", "KHM", "CMR", "CAN", "CAF", "TCD", "CHL", "CHN", "COL", "COM", "COG",
    "CRI", "CIV", "HRV", "CUB", "CYP", "CZE", "PRK", "COD", "DNK", "DJI", "DMA", "DOM", "ECU",
    "EGY", "SLV", "GNQ", "ERI", "EST", "SWZ", "ETH", "FJI", "FIN", "FRA", "GAB", "GMB", "GEO",
    "DEU", "GHA", "GRC", "GRD", "GTM", "GIN", "GNB", "GUY", "HTI", "HND", "HUN", "ISL", "IND",
    "IDN", "IRN", "IRQ", "IRL", "ISR", "ITA", "JAM", "JPN", "JOR", "KAZ", "KEN", "KIR", "KWT",
    "KGZ", "LAO", "LVA", "LBN", "LSO", "LBR", "LBY", "LIE", "LTU", "LUX", "MDG", "MWI", "MYS",
    "MDV", "MLI", "MLT", "MHL", "MRT", "MUS", "MEX", "FSM", "MCO", "MNG", "MNE", "MAR", "MOZ",
    "MMR", "NAM", "NRU", "NPL", "NLD", "NZL", "NIC", "NER", "NGA", "MKD", "NOR", "OMN", "PAK",
    "PLW", "PAN", "PNG", "PRY", "PER", "PHL", "POL", "PRT", "QAT", "KOR", "MDA", "ROU", "RUS",
    "RWA", "KNA", "LCA", "VCT", "WSM", "SMR", "STP", "SAU", "SEN", "SRB", "SYC", "SLE", "SGP",
    "SVK", "SVN", "SLB", "SOM", "ZAF", "SSD", "ESP", "LKA", "SDN", "SUR", "SWE", "CHE", "SYR",
    "TJK", "THA", "TLS", "TGO", "TON", "TTO", "TUN", "TUR", "TKM", "TUV", "UGA", "UKR", "ARE",
    "GBR", "TZA", "USA", "URY", "UZB", "VUT", "VEN", "VNM", "YEM", "ZMB", "ZWE",
]

# Member states whose ISO 3166 entry has no comma-free name.
NAME_OVERRIDES = {"COD": "Democratic Republic of the Congo"}

HR75_LABELS = [
    (
        "Children in vulnerable situations (abused, living on the street, institutionalized, "
        "indigenous, migrant children etc.)"
    ),
    "Civil society",
    "Human rights defenders & activists",
    "Internally displaced persons",
    "Judges, lawyers and prosecutors",
    "Law enforcement / police & prison officials",
    "Migrants",
    "Non-citizens",
    "Persons affected by armed conflict",
    "Refugees & asylum seekers",
    "Vulnerable persons/groups",
    "Women & girls",
]

# Labels of the UHRI "Affected persons" list that HR75 documents may carry as well.
UHRI_LABELS = [
    "Persons with disabilities",
    "Older persons",
    "Indigenous peoples",
    "Youth",
    "Stateless persons",
    "Persons deprived of their liberty",
    "Persons living in poverty",
    "Minorities / racial, ethnic, linguistic, religious or descent-based groups",
    "Lesbian, gay, bisexual and transgender and intersex persons",
    "Media",
]

LANGUAGES = [  # (code, label as written, weight)
    ("en", "English", 60), ("fr", "French", 14), ("es", "Spanish", 14),
    ("ru", "Russian", 4), ("ar", "Arabic", 4), ("zh", "Chinese", 4),
]

MONTHS = ["November 2023", "December 2023", "December 2023", "December 2023", "January 2024"]

TREATIES = {
    "en": [
        "the Optional Protocol to the Convention against Torture",
        ("the International Convention for the Protection of All Persons from Enforced "
         "Disappearance"),
        ("the Second Optional Protocol to the International Covenant on Civil and Political "
         "Rights, aiming at the abolition of the death penalty"),
        ("the Optional Protocol to the International Covenant on Economic, Social and Cultural "
         "Rights"),
        "the Convention on the Rights of Persons with Disabilities",
        ("the International Convention on the Protection of the Rights of All Migrant Workers "
         "and Members of Their Families"),
        ("the Optional Protocol to the Convention on the Rights of the Child on a communications "
         "procedure"),
        ("the Optional Protocol to the Convention on the Elimination of All Forms of "
         "Discrimination against Women"),
    ],
    "fr": [
        "le Protocole facultatif se rapportant à la Convention contre la torture",
        ("la Convention internationale pour la protection de toutes les personnes contre les "
         "disparitions forcées"),
        ("le Deuxième Protocole facultatif se rapportant au Pacte international relatif aux "
         "droits civils et politiques"),
    ],
    "es": [
        "el Protocolo Facultativo de la Convención contra la Tortura",
        ("la Convención Internacional para la protección de todas las personas contra las "
         "desapariciones forzadas"),
        "la Convención sobre los derechos de las personas con discapacidad",
    ],
}

TREATY_VERBS = {
    "en": ["ratify", "accede to", "sign and ratify", "complete the ratification of"],
    "fr": ["ratifier", "adhérer à"],
    "es": ["ratificar", "adherirse a"],
}

RECIPIENTS = {
    "en": ["OHCHR", "the Office of the United Nations High Commissioner for Human Rights",
           "UNHCR", "the United Nations Voluntary Fund for Victims of Torture", "UN Women"],
    "fr": ["au HCDH", "au Haut-Commissariat des Nations Unies aux droits de l’homme"],
    "es": ["a la OACNUDH", "al ACNUR"],
}

CITIES = ["Geneva", "Bogotá", "Nairobi", "Montréal", "São Paulo", "Seoul", "Utrecht", "Graz",
          "Rosario", "Gwangju", "Barcelona", "Lund", "Mexico City", "Dakar", "Kathmandu"]

TOPICS = ["Human Rights Education", "Justice and Dignity", "Children’s Rights",
          "Freedom of Expression", "Migrant Solidarity", "Disability Inclusion",
          "Equality Now", "Land and Water Rights", "Digital Rights", "Peace and Justice"]

SENTENCES = {
    "en": [
        ("{E} reaffirms its commitment to the Universal Declaration of Human Rights on its 75th "
         "anniversary."),
        ("{E} will strengthen the protection of {g} through legislation, training and dedicated "
         "budget lines."),
        ("Over the next five years, {E} will work with partners in {c} and {c2} to improve "
         "access to justice."),
        ("The programme will support capacity building of legal professionals and "
         "law enforcement personnel."),
        ("{E} will continue to cooperate with OHCHR and the treaty bodies in various ways to "
         "promote and protect human rights across the world."),
        ("A national action plan on business and human rights will be adopted and reviewed "
         "with civil society every two years."),
        ("{E} pledges to submit its overdue reports and to extend a standing invitation to the "
         "special procedures."),
        ("Data regarding the human rights situation in {c} will be collected and documented, "
         "with attention to {g}."),
        "The “{T}” initiative will be expanded to reach rural areas and remote communities.",
        ("Particular attention will be given to gender equality and to the participation of "
         "young people in public life."),
    ],
    "fr": [
        ("{E} réaffirme son attachement à la Déclaration universelle des droits de l’homme à "
         "l’occasion de son 75e anniversaire."),
        ("{E} renforcera la protection des {g} par la législation, la formation et des lignes "
         "budgétaires dédiées."),
        ("Au cours des cinq prochaines années, {E} travaillera avec ses partenaires au {c} pour "
         "améliorer l’accès à la justice."),
        "Le programme « {T} » sera étendu aux zones rurales et aux communautés isolées.",
        "{E} s’engage à soumettre ses rapports en retard aux organes conventionnels.",
        "Une attention particulière sera accordée à l’égalité entre les femmes et les hommes.",
    ],
    "es": [
        ("{E} reafirma su compromiso con la Declaración Universal de Derechos Humanos en su 75.º "
         "aniversario."),
        ("{E} fortalecerá la protección de {g} mediante la legislación, la formación y "
         "partidas presupuestarias específicas."),
        ("En los próximos cinco años, {E} trabajará con sus socios en {c} para mejorar el "
         "acceso a la justicia."),
        "El programa “{T}” se ampliará a las zonas rurales y a las comunidades remotas.",
        "{E} se compromete a presentar sus informes atrasados a los órganos de tratados.",
        ("Se prestará especial atención a la igualdad de género y a la participación de los "
         "jóvenes."),
    ],
    "ru": [
        "{E} подтверждает свою приверженность Всеобщей декларации прав человека.",
        "{E} укрепит защиту прав человека посредством законодательства и обучения.",
        "Программа будет осуществляться в сотрудничестве с УВКПЧ и гражданским обществом.",
        "Особое внимание будет уделено правам женщин и детей.",
    ],
    "ar": [
        "تؤكد {E} من جديد التزامها بالإعلان العالمي لحقوق الإنسان.",
        "ستعزز {E} حماية حقوق الإنسان من خلال التشريعات والتدريب.",
        "سيتم تنفيذ البرنامج بالتعاون مع المفوضية السامية لحقوق الإنسان والمجتمع المدني.",
        "سيولى اهتمام خاص لحقوق النساء والأطفال.",
    ],
    "zh": [
        "{E}重申致力于《世界人权宣言》。",
        "{E}将通过立法和培训加强对人权的保护。",
        "该方案将与人权高专办和民间社会合作实施。",
        "将特别关注妇女和儿童的权利。",
    ],
}


@dataclass(frozen=True)
class Document:
    """One generated pledge document: its file name and its verbatim bytes."""

    filename: str
    content: bytes
    pledges: int


# ---------------------------------------------------------------------------------------------
# Pieces of a document
# ---------------------------------------------------------------------------------------------


def un_member_states() -> list[str]:
    """Return the names of the 193 UN member states as a document would write them."""
    names = []
    for code in UN_MEMBERS:
        country = pycountry.countries.get(alpha_3=code)
        name = getattr(country, "common_name", None) or country.name
        if "," in name:
            name = getattr(country, "official_name", None) or NAME_OVERRIDES[code]
        names.append(name)
    return names


def _non_state_actor(rng: random.Random, states: list[str]) -> str:
    country = rng.choice(states)
    return rng.choice([
        f"National Human Rights Commission of {country}",
        f"Office of the Ombudsperson of {country}",
        f"Parliament of {country}",
        f"City of {rng.choice(CITIES)}",
        f"Alliance for {rng.choice(TOPICS)}",
        f"{rng.choice(TOPICS)} Network",
        f"{rng.choice(['Northwind', 'Meridian', 'Blue Harbour', 'Lumen'])} Holdings",
        f"Inter-Parliamentary Forum on {rng.choice(TOPICS)}",
    ])


def _amount(rng: random.Random, lang: str) -> str:
    if lang == "fr":
        return rng.choice([f"1{NBSP}million d’euros", f"500{NBSP}000 USD",
                           f"environ 2{NBSP}millions de francs suisses"])
    if lang == "es":
        return rng.choice(["aproximadamente 1 millón de dólares", "EUR 300.000",
                           "USD 250.000"])
    return rng.choice([
        "approximately 1 million USD", "EUR 2 million", "US$ 750,000", "CHF 300,000",
        f"USD{NBSP}1.5 million", "GBP 250,000", "approximately JPY 100 million",
        "1,000,000 US dollars", "€500,000", "approximately 3 million euros",
    ])


def _funding(rng: random.Random, lang: str, entity: str, year: int) -> str:
    amount = _amount(rng, lang)
    if lang == "fr":
        return f"{entity} versera {amount} {rng.choice(RECIPIENTS['fr'])} en {year}."
    if lang == "es":
        return f"{entity} aportará {amount} {rng.choice(RECIPIENTS['es'])} en {year}."
    recipient = rng.choice(RECIPIENTS["en"])
    return rng.choice([
        (f"{entity} decided to additionally provide {amount} to {recipient} from the "
         f"supplementary budget of Fiscal Year {year}."),
        f"{entity} will contribute {amount} to {recipient} in {year}.",
        f"A voluntary contribution of {amount} to {recipient} is planned for {year}.",
    ])


def _treaty(rng: random.Random, lang: str, entity: str) -> str:
    verb = rng.choice(TREATY_VERBS[lang])
    treaty = rng.choice(TREATIES[lang])
    if lang == "fr":
        return f"{entity} s’engage à {verb} {treaty} d’ici 2025."
    if lang == "es":
        return f"{entity} se compromete a {verb} {treaty} antes de 2025."
    return f"{entity} will {verb} {treaty} by 2025."


def _pledge_text(rng: random.Random, lang: str, entity: str, states: list[str]) -> str:
    pool = SENTENCES[lang]
    fill = {
        "E": entity, "c": rng.choice(states), "c2": rng.choice(states),
        "g": rng.choice(["women and girls", "migrants", "persons with disabilities",
                         "human rights defenders", "children"]),
        "T": rng.choice(TOPICS),
    }
    sentences = [s.format(**fill) for s in rng.sample(pool, rng.randint(2, min(5, len(pool))))]
    if lang in TREATIES and rng.random() < 0.12:
        sentences.insert(rng.randint(0, len(sentences)), _treaty(rng, lang, entity))
    if lang in RECIPIENTS and rng.random() < 0.18:
        sentences.insert(rng.randint(0, len(sentences)), _funding(rng, lang, entity, 2024))
    text = " ".join(sentences)
    if rng.random() < 0.1:
        text = text.replace(" ", NBSP, 1)
    return text


def _rights_holders(rng: random.Random) -> str:
    count = rng.choice([1, 1, 2, 2, 3, 4, 10])
    pool = HR75_LABELS + UHRI_LABELS if rng.random() < 0.25 else HR75_LABELS
    labels = rng.sample(pool, min(count, len(pool)))
    separator = "; " if rng.random() < 0.4 else ", "
    return separator.join(labels) + ("." if rng.random() < 0.2 else "")


def _label(rng_bold: bool, label: str) -> str:
    return f"**{label}**" if rng_bold else label


def _document(rng: random.Random, index: int, pledges: int, states: list[str]) -> Document:
    code, language, _ = rng.choices(LANGUAGES, weights=[w for *_, w in LANGUAGES])[0]
    joint = rng.random() < 0.08
    if joint:
        entities = rng.sample(states, rng.randint(2, 4))
        entity_text = "; ".join(entities)
        submitter = ", ".join(entities[:-1]) + " and " + entities[-1]
        pledge_type = "Joint (by several states/actors)"
    else:
        entity = rng.choice(states) if rng.random() < 0.6 else _non_state_actor(rng, states)
        entities, entity_text, submitter = [entity], entity, entity
        pledge_type = "Single (by one state/actor)"
    bold = rng.random() < 0.8
    date = rng.choice(MONTHS)
    sep = NBSP if rng.random() < 0.05 else " "

    lines = [""] * rng.randint(0, 4)
    title = f"Pledge submitted by {submitter} to the Human Rights 75 Secretariat"
    lines += [f"**{title}  ", f"{date}**"] if bold else [title, date]
    lines += ["", f"{_label(bold, 'Original language of submission:')}{sep}{language}",
              "", f"{_label(bold, 'Type of pledge:')} {pledge_type}",
              "", f"{_label(bold, 'Pledging entity:')} {entity_text}"]
    for number in range(1, pledges + 1):
        text = _pledge_text(rng, code, entities[0], states)
        if code not in ("zh", "ar") and rng.random() < 0.85:
            text += f" ({len(text.split())} words)"
        lines += ["", f"{_label(bold, f'PLEDGE NUMBER {number}:')} {text}",
                  "", f"Sector and Rights-holders: {_rights_holders(rng)}"]
    newline = "\r\n" if rng.random() < 0.1 else "\n"
    content = (newline.join(lines) + newline).encode("utf-8")
    slug = submitter.split(" and ")[0].split(",")[0]
    slug = "".join(ch if ch.isalnum() else "-" for ch in slug.lower()).strip("-")[:40]
    year = date.split()[1]
    return Document(f"{slug}-{year}-{index:06d}.txt", content, pledges)


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------


def documents(pledges: int, seed: int, *, one_document: bool = False) -> list[Document]:
    """Return documents holding ``pledges`` pledges in all (1 to 5 each, about 3 on average,
    or all of them in one document)."""
    rng = random.Random(seed)
    states = un_member_states()
    if one_document:
        return [_document(rng, 1, pledges, states)]
    result: list[Document] = []
    remaining = pledges
    while remaining > 0:
        count = min(remaining, rng.choices([1, 2, 3, 4, 5], weights=[10, 20, 35, 20, 15])[0])
        result.append(_document(rng, len(result) + 1, count, states))
        remaining -= count
    return result


def generate(pledges: int, seed: int, out: Path, *, one_document: bool = False) -> list[Path]:
    """Write the corpus into ``out`` (created; earlier .txt files there are replaced)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):
        old.unlink()
    paths = []
    for doc in documents(pledges, seed, one_document=one_document):
        path = out / doc.filename
        path.write_bytes(doc.content)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, write the corpus, print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pledges", type=int, required=True, help="pledges in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder for the documents")
    parser.add_argument("--one-document", action="store_true",
                        help="all pledges in one document (a hostile input)")
    args = parser.parse_args(argv)
    if args.pledges < 1:
        parser.error("--pledges must be at least 1")
    started = time.perf_counter()
    paths = generate(args.pledges, args.seed, args.out, one_document=args.one_document)
    elapsed = time.perf_counter() - started
    print(f"{args.pledges} pledges in {len(paths)} documents -> {args.out} ({elapsed:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
