"""Reading Secretariat pledge documents: the real Japanese one, the fixture variations, and
documents that are not in the format."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_data import HR75_LABELS

from pledge_graph.errors import DocumentFormatError
from pledge_graph.ingest.document import parse_document, read_document
from pledge_graph.ingest.fields import (
    language_code,
    parse_month_year,
    split_entities,
    split_labels,
)
from pledge_graph.paths import DATA_DIR

JAPAN = DATA_DIR / "sources" / "japan-2023.txt"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "documents"

HEADER = """**Pledge submitted by {title} to the Human Rights 75 Secretariat
December 2023**

**Original language of submission:** English

**Type of pledge:** {type}

**Pledging entity:** {entity}

"""


def document(body: str, *, title: str = "Japan", type: str = "Single (by one state/actor)",
             entity: str = "Japan") -> str:
    return HEADER.format(title=title, type=type, entity=entity) + body


# ---------------------------------------------------------------------------------------
# The real document
# ---------------------------------------------------------------------------------------


def test_japanese_document_has_its_three_pledges_verbatim() -> None:
    source_lines = JAPAN.read_text(encoding="utf-8").split("\n")
    doc = read_document(JAPAN)

    assert [p.number for p in doc.pledges] == [1, 2, 3]
    for pledge in doc.pledges:
        written = source_lines[pledge.line - 1]
        assert written == f"**PLEDGE NUMBER {pledge.number}:** {pledge.text} " \
                          f"({pledge.declared_words} words)"
    assert doc.pledges[0].text.startswith("The rule of law is the foundation")
    assert doc.pledges[2].text.endswith("to promote and protect human rights across the world.")


def test_japanese_declared_word_counts_equal_whitespace_counts() -> None:
    doc = read_document(JAPAN)
    assert [p.declared_words for p in doc.pledges] == [99, 84, 85]
    assert [len(p.text.split()) for p in doc.pledges] == [99, 84, 85]


def test_japanese_header_fields() -> None:
    doc = read_document(JAPAN)
    assert doc.title == "Pledge submitted by Japan to the Human Rights 75 Secretariat"
    assert (doc.month, doc.year) == (12, 2023)
    assert (doc.language, doc.language_label) == ("en", "English")
    assert (doc.pledge_type, doc.pledge_type_label) == ("single", "Single (by one state/actor)")
    assert [(e.name, e.line) for e in doc.entities] == [("Japan", 12)]
    assert doc.notices == ()


def test_japanese_rights_holders_match_one_two_and_ten_labels() -> None:
    doc = read_document(JAPAN)
    results = [split_labels(p.rights_holders_text or "", HR75_LABELS) for p in doc.pledges]

    assert [len(matched) for matched, _ in results] == [1, 2, 10]
    assert all(unknown == [] for _, unknown in results)
    assert results[1][0] == ["Non-citizens", "Migrants"]
    assert {label for matched, _ in results for label in matched} == set(HR75_LABELS)
    assert [p.rights_holders_line for p in doc.pledges] == [16, 20, 24]


# ---------------------------------------------------------------------------------------
# Rights-holder labels
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "matched", "unknown"), [
    ("Judges, lawyers and prosecutors, Migrants",
     ["Judges, lawyers and prosecutors", "Migrants"], []),
    ("women  AND girls; Refugees and asylum seekers.",
     ["Women & girls", "Refugees & asylum seekers"], []),
    ("Non-citizens;\u00a0Civil\u00a0society", ["Non-citizens", "Civil society"], []),
    ("Migrants, Persons with albinism, Civil society.",
     ["Migrants", "Civil society"], ["Persons with albinism"]),
    ("Migrantsx; Youth", [], ["Migrantsx", "Youth"]),
    ("\u201cWomen & girls\u201d, \u201cPersons with albinism\u201d",
     ["Women & girls"], ["Persons with albinism"]),
    ("Migrants, Migrants", ["Migrants"], []),
    ("", [], []),
])
def test_split_labels(text: str, matched: list[str], unknown: list[str]) -> None:
    assert split_labels(text, HR75_LABELS) == (matched, unknown)


def test_split_labels_prefers_the_longest_label() -> None:
    labels = ["Women", "Girls", "Women & girls", "Children",
              "Children in street situations"]
    assert split_labels("Women & girls, Children in street situations, Women", labels) == (
        ["Women & girls", "Children in street situations", "Women"], [])


def test_split_labels_tolerates_typographic_apostrophes() -> None:
    labels = ["Children's rights defenders"]
    assert split_labels("Children\u2019s rights defenders.", labels) == (labels, [])


def test_split_labels_returns_the_label_as_written_among_equivalent_ones() -> None:
    labels = ["Women and girls", "Women & girls"]
    assert split_labels("Women and girls", labels)[0] == ["Women and girls"]
    assert split_labels("women & girls", labels)[0] == ["Women & girls"]


# ---------------------------------------------------------------------------------------
# Entities, languages and dates
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "names"), [
    ("Fiji; Samoa; Vanuatu", ["Fiji", "Samoa", "Vanuatu"]),
    ("Fiji, Samoa, and Vanuatu.", ["Fiji", "Samoa", "Vanuatu"]),
    ("Bolivia (Plurinational State of), Saint Kitts and Nevis and Trinidad and Tobago",
     ["Bolivia (Plurinational State of)", "Saint Kitts and Nevis", "Trinidad and Tobago"]),
    ("United Kingdom of Great Britain and Northern Ireland & Antigua and Barbuda",
     ["United Kingdom of Great Britain and Northern Ireland", "Antigua and Barbuda"]),
    ("Korea, Republic of, Japan", ["Korea, Republic of", "Japan"]),
    ("Amnesty, Law and Justice Network; City of Geneva",
     ["Amnesty, Law and Justice Network", "City of Geneva"]),
])
def test_split_entities(value: str, names: list[str]) -> None:
    assert split_entities(value) == names


@pytest.mark.parametrize(("label", "code"), [
    ("English", "en"), ("Français", "fr"), ("French", "fr"), ("francais", "fr"),
    ("Spanish", "es"), ("Español", "es"), ("Arabic", "ar"), ("العربية", "ar"),
    ("Chinese", "zh"), ("中文", "zh"), ("Russian", "ru"), ("Русский", "ru"),
    ("German", None), ("", None),
])
def test_language_code(label: str, code: str | None) -> None:
    assert language_code(label) == code


@pytest.mark.parametrize(("text", "expected"), [
    ("December 2023", (12, 2023)), ("**December 2023**", (12, 2023)),
    ("décembre 2023", (12, 2023)), ("Diciembre de 2023", (12, 2023)),
    ("декабря 2023 г.", (12, 2023)), ("2023年12月", (12, 2023)), ("ديسمبر 2023", (12, 2023)),
    ("Sept 2024", (9, 2024)), ("11 December 2023", (12, 2023)),
    ("December 23", None), ("Smarch 2023", None), ("2023年13月", None), ("2023", None),
])
def test_parse_month_year(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_month_year(text) == expected


# ---------------------------------------------------------------------------------------
# Variations real documents show (fixtures)
# ---------------------------------------------------------------------------------------

# slug -> language, (month, year), entities, declared word counts per pledge
FIXTURE_FACTS = {
    "france-2023": ("fr", (12, 2023), ["France"], [54, 44]),
    "joint-pacific-2023": ("en", (12, 2023), ["Fiji", "Samoa", "Vanuatu"], [46]),
    "joint-americas-2023": ("en", (12, 2023), ["Bolivia (Plurinational State of)",
                                               "Saint Kitts and Nevis", "Trinidad and Tobago"],
                            [39, 29]),
    "germany-2023": ("en", (12, 2023), ["Germany"], [42, 32]),
    "kenya-2023": ("en", (12, 2023), ["Kenya"], [37, 23]),
    "costa-rica-2023": ("es", (12, 2023), ["Costa Rica"], [None, None]),
    "kazakhstan-2023": ("ru", (12, 2023), ["Kazakhstan"], [20]),
    "tunisia-2023": ("ar", (12, 2023), ["Tunisia"], [20]),
    "china-2023": ("zh", (12, 2023), ["China"], [None, None]),
    "ganhri-2023": ("en", (12, 2023),
                    ["Global Alliance of National Human Rights Institutions (GANHRI)"], [46, 27]),
    "geneva-forum-2024": ("en", (1, 2024), ["Geneva Forum for Rights Education"], [26]),
    "norway-2024": ("en", (2, 2024), ["Norway"], [21, 16]),
}


def test_every_fixture_document_is_described() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.txt")) == sorted(FIXTURE_FACTS)


@pytest.mark.parametrize("slug", sorted(FIXTURE_FACTS))
def test_fixture_documents_parse(slug: str) -> None:
    language, date, entities, declared = FIXTURE_FACTS[slug]
    doc = read_document(FIXTURES / f"{slug}.txt")
    assert doc.language == language
    assert (doc.month, doc.year) == date
    assert [e.name for e in doc.entities] == entities
    assert doc.pledge_type == ("joint" if len(entities) > 1 else "single")
    assert [p.declared_words for p in doc.pledges] == declared
    for pledge in doc.pledges:
        if pledge.declared_words is not None:
            assert pledge.declared_words == len(pledge.text.split())
        assert pledge.text == pledge.text.strip()
        assert "\r" not in pledge.text and "words)" not in pledge.text
        assert all(line == line.rstrip() for line in pledge.text.split("\n"))


def test_crlf_and_nbsp_are_tolerated_and_text_stays_verbatim() -> None:
    raw = (FIXTURES / "germany-2023.txt").read_bytes()
    assert b"\r\n" in raw and "\u00a0".encode() in raw
    doc = read_document(FIXTURES / "germany-2023.txt")
    assert doc.language_label == "English"
    assert doc.entities[0].name == "Germany"
    assert "\u201ca strong and independent Office\u201d" in doc.pledges[0].text
    assert doc.pledges[0].text.startswith("Germany will increase")
    matched, unknown = split_labels(doc.pledges[0].rights_holders_text or "", HR75_LABELS)
    assert matched == ["Human rights defenders & activists", "Women & girls",
                       "Refugees & asylum seekers"]
    assert unknown == []


def test_documents_in_other_un_languages_keep_their_script() -> None:
    texts = {slug: read_document(FIXTURES / f"{slug}.txt").pledges[0].text
             for slug in ("france-2023", "kazakhstan-2023", "tunisia-2023", "china-2023")}
    assert "« Ensemble pour l\u2019abolition universelle" in texts["france-2023"]
    assert texts["kazakhstan-2023"].startswith("Республика Казахстан обязуется")
    assert texts["tunisia-2023"].startswith("تتعهد الجمهورية التونسية")
    assert texts["china-2023"].startswith("中国将继续落实《国家人权行动计划")


def test_plain_document_without_bold() -> None:
    doc = read_document(FIXTURES / "kenya-2023.txt")
    assert doc.title == "Pledge submitted by Kenya to the Human Rights 75 Secretariat"
    assert (doc.title_line, doc.date_line) == (1, 3)
    assert [p.line for p in doc.pledges] == [11, 15]
    assert doc.pledges[1].rights_holders_text == (
        "Refugees & asylum seekers, Judges, lawyers and prosecutors.")


def test_title_over_several_lines_and_text_over_paragraphs() -> None:
    doc = read_document(FIXTURES / "ganhri-2023.txt")
    assert doc.title == ("Pledge submitted by the Global Alliance of National Human Rights "
                         "Institutions (GANHRI) to the Human Rights 75 Secretariat")
    assert doc.date_line == 5
    first = doc.pledges[0].text
    assert first.count("\n\n") == 1
    assert first.endswith("with priority to small island developing States.")
    assert doc.notices == ()


def test_word_count_on_its_own_line_and_date_outside_the_title() -> None:
    doc = read_document(FIXTURES / "geneva-forum-2024.txt")
    assert doc.date_line == 7
    assert doc.pledges[0].text.endswith("children's organisations.")
    assert doc.pledges[0].declared_words == 26


def test_colon_outside_bold() -> None:
    doc = read_document(FIXTURES / "norway-2024.txt")
    assert doc.pledges[0].text.startswith("Norway will maintain")
    assert doc.pledges[1].rights_holders_text == "Vulnerable persons/groups"


def test_joint_entities_one_per_line() -> None:
    text = HEADER.format(title="Chile and Peru", type="Joint (by several states/actors)",
                         entity="") + "Chile\nPeru\n\n**PLEDGE NUMBER 1:** We will.\n"
    doc = parse_document(text, file="inline.txt")
    assert [(e.name, e.line) for e in doc.entities] == [("Chile", 10), ("Peru", 11)]


def test_quotes_and_no_break_spaces_around_field_values_are_not_part_of_them() -> None:
    text = document("**PLEDGE NUMBER 1:** Text.\n", entity="\u00a0\u201cJapan\u201d")
    text = text.replace("**Type of pledge:**", "**Type of pledge**\u00a0:")
    doc = parse_document(text, file="inline.txt")
    assert doc.entities[0].name == "Japan"
    assert doc.pledge_type == "single"


def test_title_may_name_the_secretariat_hr75() -> None:
    text = document("**PLEDGE NUMBER 1:** Text.\n").replace(
        "Human Rights 75 Secretariat", "HR75 Secretariat")
    assert parse_document(text, file="x.txt").title == \
        "Pledge submitted by Japan to the HR75 Secretariat"


def test_title_that_disagrees_with_the_entity_field_is_noticed() -> None:
    text = document("**PLEDGE NUMBER 1:** Text.\n", title="Japan", entity="Nepal")
    doc = parse_document(text, file="inline.txt")
    assert len(doc.notices) == 2  # the disagreement, and no rights-holder line
    assert "'Japan'" in str(doc.notices[0]) and "'Nepal'" in str(doc.notices[0])
    assert str(doc.notices[0]).startswith("inline.txt:1:")


def test_pledge_without_rights_holders_line_is_noticed() -> None:
    doc = parse_document(document("**PLEDGE NUMBER 1:** Text. (1 words)\n"), file="x.txt")
    assert doc.pledges[0].rights_holders_text is None
    assert [n.line for n in doc.notices] == [10]


def test_pledge_text_may_mention_a_pledge_number() -> None:
    body = "**PLEDGE NUMBER 1:** First.\nPledge number 2 of our plan continues.\n"
    doc = parse_document(document(body), file="x.txt")
    assert doc.pledges[0].text == "First.\nPledge number 2 of our plan continues."


@pytest.mark.parametrize("count", ["(3 words)", "(3 words).", "[3 words]", "(3\u00a0Words)",
                                   "\n\n(3 words)"])
def test_declared_word_count_forms(count: str) -> None:
    doc = parse_document(document(f"**PLEDGE NUMBER 1:** We will act. {count}\n"), file="x")
    assert (doc.pledges[0].text, doc.pledges[0].declared_words) == ("We will act.", 3)


def test_single_pledge_with_several_entities_is_noticed() -> None:
    doc = parse_document(document("**PLEDGE NUMBER 1:** Text.\n\nSector and Rights-holders: "
                                  "Migrants\n", title="Chile; Peru", entity="Chile; Peru"),
                         file="x.txt")
    assert [e.name for e in doc.entities] == ["Chile; Peru"]
    assert [(n.line, "several entities" in n.message) for n in doc.notices] == [(8, True)]


def test_header_fields_in_another_order_and_wrapped_rights_holders() -> None:
    text = ("Pledge submitted by Chile to the Human Rights 75 Secretariat\nMarch 2024\n\n"
            "Pledging entities: Chile\n\nType of pledge: Single\n\n"
            "Original language of submission: Spanish\n\n"
            "PLEDGE NUMBER 1: Chile will act.\n\n"
            "Sector and rights holders: Judges, lawyers\nand prosecutors; Migrants\n")
    doc = parse_document(text, file="x.txt")
    assert (doc.language, doc.pledge_type, doc.entities[0].name) == ("es", "single", "Chile")
    assert split_labels(doc.pledges[0].rights_holders_text or "", HR75_LABELS) == (
        ["Judges, lawyers and prosecutors", "Migrants"], [])


def test_pledge_text_may_start_on_the_next_line() -> None:
    doc = parse_document(document("**PLEDGE NUMBER 1:**\nFirst line.\nSecond line.\n"),
                         file="x.txt")
    assert doc.pledges[0].text == "First line.\nSecond line."


# ---------------------------------------------------------------------------------------
# Documents not in the format
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "line", "message"), [
    ("no-pledge.txt", 9, "has no pledge"),
    ("missing-entity.txt", 9, "'Pledging entity:' is missing"),
    ("bad-date.txt", 3, "bad date 'December 23'"),
    ("unknown-type.txt", 7, "unknown pledge type 'Bilateral (by two states)'"),
    ("duplicate-number.txt", 15, "duplicate pledge number 1"),
    ("non-sequential.txt", 15, "non-sequential pledge number 3"),
    ("not-a-pledge.txt", 1, "not a pledge document"),
    ("unknown-language.txt", 5, "unknown language 'German'"),
    ("joint-one-entity.txt", 9, "only one pledging entity"),
    ("empty-text.txt", 11, "pledge 1 has no text"),
    ("latin1.txt", 2, "not UTF-8"),
])
def test_malformed_documents_fail_with_file_line_and_expectation(
        name: str, line: int, message: str) -> None:
    path = FIXTURES / "malformed" / name
    with pytest.raises(DocumentFormatError) as caught:
        read_document(path)
    error = caught.value
    assert (error.file, error.line) == (str(path), line)
    assert message in error.message
    assert error.expected
    assert str(error).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(("text", "line", "message"), [
    ("", 1, "empty"),
    (document("**PLEDGE NUMBER 1:** Text.\n").replace("December 2023**", "**"), 4,
     "month and year are missing"),
    ("\n\n**Pledge submitted by Japan**\nDecember 2023\n", 3, "does not name"),
    (document("Some stray sentence.\n"), 10, "unexpected text"),
    (document("**PLEDGE NUMBER one:** Text.\n"), 10, "malformed pledge header"),
    (document("**PLEDGE NUMBER 1:** Text.\n\nSector and Rights-holders: Migrants\n\nStray.\n"),
     14, "unexpected text 'Stray.'"),
    (document("**PLEDGE NUMBER 1:** Text.\n", entity=""), 8, "pledging entity is empty"),
    (HEADER.format(title="Japan", type="Single", entity="Japan").replace(
        "**Type of pledge:** Single", "**Type of pledge:** Single\n\n**Type of pledge:** Joint")
     + "**PLEDGE NUMBER 1:** Text.\n", 8, "given twice"),
])
def test_inline_malformed_documents(text: str, line: int, message: str) -> None:
    with pytest.raises(DocumentFormatError) as caught:
        parse_document(text, file="inline.txt")
    assert (caught.value.file, caught.value.line) == ("inline.txt", line)
    assert message in caught.value.message
