"""Curated records: what a broken record reports, how records round-trip, and the three-way
merge that keeps curators' edits on re-import."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from pledge_graph.errors import RecordError
from pledge_graph.records.curated import (
    dump_record,
    load_record,
    merge_records,
    parse_record,
    record_paths,
    write_record,
)
from pledge_graph.records.files import write_atomic


def make_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "slug": "nepal-2023",
        "source": "sources/nepal-2023.txt",
        "source_sha256": "ab" * 32,
        "title": "Pledge submitted by Nepal to the Human Rights 75 Secretariat",
        "month": 12,
        "year": 2023,
        "language": "en",
        "language_label": "English",
        "pledge_type": "single",
        "pledge_type_label": "Single (by one state/actor)",
        "entities": [{"name": "Nepal", "line": 11}],
        "pledges": [
            {"number": 1, "line": 13, "text": "Nepal will fund OHCHR.", "declared_words": 4,
             "rights_holders": ["Civil society"], "rights_holders_line": 15, "facts": []},
            {"number": 2, "line": 17, "text": "Nepal will ratify OP-CAT.", "declared_words": 4,
             "rights_holders": ["Migrants"], "rights_holders_line": 19, "facts": []},
        ],
    }
    record.update(changes)
    return record


def fact(ident: str, status: str = "extracted", **fields: Any) -> dict[str, Any]:
    return {"id": ident, "kind": "funding", "status": status, "start": 0, "end": 5,
            "exact": "Nepal", **fields}


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the last line of ``text`` containing ``needle``."""
    return max(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


# ---------------------------------------------------------------------------------------
# Reading and writing
# ---------------------------------------------------------------------------------------


def test_a_record_round_trips_through_yaml() -> None:
    record = make_record()
    record["pledges"][0]["text"] = (
        "First paragraph with\u00a0a no-break space, \u201cquotes\u201d and: a colon.\n\n"
        "Второй абзац. 第三段。 الفقرة")
    record["pledges"][1]["facts"] = [fact("funding-usd-1", amount="1000000")]
    text = dump_record(record)
    assert "text: |-" in text
    assert parse_record(text, file="r.yaml") == record


def test_optional_pledge_fields_get_their_defaults() -> None:
    record = make_record()
    for key in ("line", "declared_words", "rights_holders", "rights_holders_line", "facts"):
        del record["pledges"][0][key]
    loaded = parse_record(dump_record(record), file="r.yaml")
    assert loaded["pledges"][0] == {
        "number": 1, "text": "Nepal will fund OHCHR.", "line": None, "declared_words": None,
        "rights_holders": [], "rights_holders_line": None, "facts": []}


FACT_VALUES = """\
    approximate: yes
    amount: 1.5e6
    amount_max: 2_500_000
    decided: 2024-01-31
    code: 012
    hex: 0x1A
    nothing: ~
    negative: -5
    sexagesimal: 1:30
    zero: 0
    quoted: "12"
    extra:
      <<: {limit: minimum}
      purpose: training
"""


def test_values_of_every_yaml_type_read_as_pyyaml_reads_them() -> None:
    record = make_record()
    record["pledges"][0]["facts"] = [fact("funding-1")]
    text = dump_record(record)
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if "exact: Nepal" in line)
    text = "\n".join([*lines[:at + 1], *FACT_VALUES.split("\n")[:-1], *lines[at + 1:]])
    expected = yaml.safe_load(text)
    read = parse_record(text, file="records/nepal-2023.yaml")
    assert read["pledges"][0]["facts"] == expected["pledges"][0]["facts"]
    assert read["pledges"][0]["facts"][0]["extra"] == {"limit": "minimum", "purpose": "training"}
    values = read["pledges"][0]["facts"][0]
    assert values["code"] == 10 and values["approximate"] is True and values["nothing"] is None


def test_load_record_requires_the_slug_of_its_file_name(tmp_path: Path) -> None:
    path = tmp_path / "records" / "other.yaml"
    path.parent.mkdir()
    path.write_text(dump_record(make_record()), encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_record(path)
    assert (caught.value.file, caught.value.line) == (str(path), 1)
    assert "slug" in caught.value.message


def test_record_paths_list_every_record_in_slug_order(tmp_path: Path) -> None:
    for slug in ("b-2023", "a-2023"):
        write_record(tmp_path / "records" / f"{slug}.yaml", make_record(slug=slug))
    write_record(tmp_path / "records" / ".imported" / "c-2023.yaml", make_record(slug="c-2023"))
    assert [load_record(p)["slug"] for p in record_paths(tmp_path)] == ["a-2023", "b-2023"]


def test_write_record_leaves_an_identical_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "records" / "nepal-2023.yaml"
    assert write_record(path, make_record()) is True
    assert write_record(path, make_record()) is False
    assert write_record(path, make_record(year=2024)) is True
    assert load_record(path)["year"] == 2024
    assert [p.name for p in path.parent.iterdir()] == ["nepal-2023.yaml"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "kept.txt"
    path.write_bytes(b"old")

    with pytest.raises(TypeError):
        write_atomic(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]


# ---------------------------------------------------------------------------------------
# Records are written as PyYAML writes them, whichever way they are written
# ---------------------------------------------------------------------------------------


class _LiteralDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's own safe writer (LibYAML's when built with it, as records always were),
    with pledge texts as literal blocks: the reference."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Literal(str):
    pass


_LiteralDumper.add_representer(
    _Literal, lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", str(value), style="|"))


def pyyaml_text(record: dict[str, Any]) -> str:
    record = copy.deepcopy(record)
    for pledge in record.get("pledges", []):
        pledge["text"] = _Literal(pledge["text"])
    return yaml.dump(record, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False,
                     width=100, default_flow_style=False)


AWKWARD = [
    "", " ", "null", "Null", "~", "true", "yes", "No", "on", "123", "-1", "+1", "1.5", ".5",
    "1e3", "0x1F", "0b101", "1_000", "12:30", "2023-01-01", "2023-01-01 10:00:00", ".inf",
    ".nan", "=", "<<", "-", "--", "---", "...", "- item", "? q", "a: b", "a:b", "a #b", "#c",
    "'quoted'", '"quoted"', "it's", "l'égalité", "& anchor", "* alias", "!tag",
    "|", "> f", "%p", "@at", "`b", "{x}", "[y]", "a, b", " leading", "trailing ", "two  spaces",
    "tab\there", "line\nbreak", "\u00a0nbsp", "nbsp\u00a0", "no\u00a0break", "\ufeffbom",
    "next\u0085line", "line\u2028separator", "bell\u0007", "emoji \U0001F600",
    "\u201cquoted\u201d", "\u00ab guillemets \u00bb", "\u65e5\u672c\u306e\u8a93\u7d04\u3002",
    "\u0627\u0644\u0641\u0642\u0631\u0629", "USD 1.5 million", "(parenthesised)", "$5",
    " ".join(["word"] * 40), " ".join(["a-much-longer-word"] * 12), "x" * 150,
    " ".join(["\u0432\u0442\u043e\u0440\u043e\u0439"] * 30),
    "First line\n\nThird line", "Ends with a break\n", "\nStarts with a break",
    "Line with trailing space \nnext", "Line\n  indented next", "- bullet\n- bullet",
]
AWKWARD = [text.encode("ascii").decode("unicode_escape") if "\\" in text else text
           for text in AWKWARD]


def placed(value: str) -> list[dict[str, Any]]:
    """Records holding ``value`` in each place a text stands in a record."""
    return [
        make_record(title=value),
        make_record(pledges=[{"number": 1, "text": value or "x", "facts": []}]),
        make_record(entities=[{"name": value, "line": None}]),
        make_record(pledges=[{"number": 1, "text": "x", "rights_holders": [value, "Migrants"],
                              "facts": [fact("funding-1", exact=value, amount=value)]}]),
    ]


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_awkward_texts_are_written_as_pyyaml_writes_them(value: str) -> None:
    for record in placed(value):
        assert dump_record(record) == pyyaml_text(record)


def test_every_committed_and_fixture_record_is_written_as_pyyaml_writes_it(
        tmp_path: Path) -> None:
    from pledge_graph.paths import DATA_DIR
    from pledge_graph.records.importer import import_documents

    fixtures = Path(__file__).parents[1] / "fixtures" / "documents"
    import_documents(sorted(fixtures.glob("*.txt")), tmp_path)
    paths = [*sorted((DATA_DIR / "records").glob("*.yaml")),
             *sorted((tmp_path / "records").glob("*.yaml"))]
    assert len(paths) > 10
    for path in paths:
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert dump_record(record) == pyyaml_text(record), path


def test_values_of_other_types_are_left_to_pyyaml() -> None:
    record = make_record()
    record["pledges"][0]["facts"] = [fact("funding-1", share=0.25, nested=[[1, 2], {}])]
    assert dump_record(record) == pyyaml_text(record)
    assert "share: 0.25" in dump_record(record)


# ---------------------------------------------------------------------------------------
# Records a curator broke
# ---------------------------------------------------------------------------------------

GOOD = dump_record(make_record())


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("month: 12", "month: twelve", "month: twelve", "bad value 'twelve' for month"),
    ("month: 12", "month: 13", "month: 13", "month"),
    ("year: 2023", "year: '2023'", "year:", "bad value '2023' for year"),
    ("language: en", "language: de", "language: de", "bad value 'de' for language"),
    ("pledge_type: single", "pledge_type: joint", "entities:", "joint pledge with 1 entities"),
    ("language: en", "langauge: en", "langauge", "unknown field 'langauge'"),
    ("  declared_words: 4\n  rights_holders:\n  - Civil",
     "  declared_words: four\n  rights_holders:\n  - Civil", "declared_words: four",
     "declared_words"),
    ("- number: 2", "- number: 1", "- number: 1", "pledge number 1 is repeated"),
    ("  rights_holders:\n  - Migrants", "  rights_holders: Migrants", "rights_holders: Migrants",
     "rights_holders is not a list"),
    ("year: 2023", "year: 2023\nyear: 2024", "year: 2024", "'year' twice"),
    ("title: Pledge", "title: [Pledge", "source_sha256", "invalid YAML"),
    ("  text: |-\n    Nepal will fund", "  text: |-\n\tNepal will fund", "\tNepal", "invalid YAML"),
    ("- number: 1", "- numbr: 1", "- numbr: 1", "unknown field 'numbr'"),
])
def test_broken_records_name_file_and_line(old: str, new: str, needle: str,
                                           message: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    with pytest.raises(RecordError) as caught:
        parse_record(text, file="records/nepal-2023.yaml")
    error = caught.value
    assert message in error.message
    assert error.file == "records/nepal-2023.yaml"
    expected_line = line_of(text, needle)
    if needle == "source_sha256":  # the parser notices the open bracket at the next key
        assert error.line is not None and error.line >= line_of(text, "title:")
    else:
        assert error.line == expected_line
    assert error.expected


def test_broken_facts_name_their_line() -> None:
    record = make_record()
    record["pledges"][1]["facts"] = [fact("a"), fact("b", status="maybe")]
    text = dump_record(record)
    with pytest.raises(RecordError) as caught:
        parse_record(text, file="r.yaml")
    assert caught.value.line == line_of(text, "status: maybe")
    assert "rejected" in (caught.value.expected or "")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n", "just text\n"])
def test_records_that_are_not_mappings_are_errors(text: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(text, file="r.yaml")
    assert caught.value.line == 1


# ---------------------------------------------------------------------------------------
# The three-way merge
# ---------------------------------------------------------------------------------------


def test_without_a_curated_record_the_import_is_taken() -> None:
    new = make_record()
    assert merge_records(None, None, new) == new


def test_unedited_values_take_the_new_import() -> None:
    base = make_record()
    ours = copy.deepcopy(base)
    theirs = make_record(title="New title", source_sha256="cd" * 32)
    theirs["pledges"][1]["text"] = "Nepal will ratify OP-CAT and OP-CRC-IC."
    merged = merge_records(base, ours, theirs)
    assert merged == theirs


def test_curator_edits_survive_and_other_fields_update() -> None:
    base = make_record()
    ours = copy.deepcopy(base)
    ours["pledges"][0]["text"] = "Nepal will fund OHCHR (corrected)."
    ours["pledges"][0]["rights_holders"] = ["Civil society", "Youth"]
    ours["entities"] = [{"name": "Federal Democratic Republic of Nepal", "line": 11}]
    theirs = make_record(source_sha256="cd" * 32)
    theirs["pledges"][0]["text"] = "Nepal will fund OHCHR generously."
    theirs["pledges"][0]["declared_words"] = 5
    theirs["pledges"][1]["text"] = "Nepal will ratify OPCAT."

    merged = merge_records(base, ours, theirs)

    assert merged["pledges"][0]["text"] == "Nepal will fund OHCHR (corrected)."
    assert merged["pledges"][0]["rights_holders"] == ["Civil society", "Youth"]
    assert merged["pledges"][0]["declared_words"] == 5
    assert merged["pledges"][1]["text"] == "Nepal will ratify OPCAT."
    assert merged["entities"][0]["name"] == "Federal Democratic Republic of Nepal"
    assert merged["source_sha256"] == "cd" * 32


def test_fact_decisions_are_kept() -> None:
    base = make_record()
    base["pledges"][0]["facts"] = [fact("f-rejected"), fact("f-confirmed"), fact("f-plain"),
                                   fact("f-gone")]
    ours = copy.deepcopy(base)
    facts = ours["pledges"][0]["facts"]
    facts[0]["status"] = "rejected"
    facts[1].update(status="corrected", amount="2000000")
    facts.append(fact("f-added", status="added", exact="fund"))
    theirs = make_record()
    theirs["pledges"][0]["facts"] = [
        fact("f-rejected", amount="3"), fact("f-confirmed", amount="1000000"),
        fact("f-plain", amount="5"), fact("f-new")]

    merged = merge_records(base, ours, theirs)

    by_id = {f["id"]: f for f in merged["pledges"][0]["facts"]}
    assert sorted(by_id) == ["f-added", "f-confirmed", "f-new", "f-plain", "f-rejected"]
    assert by_id["f-rejected"] == facts[0]
    assert by_id["f-confirmed"]["amount"] == "2000000"
    assert by_id["f-confirmed"]["status"] == "corrected"
    assert by_id["f-plain"]["amount"] == "5"
    assert by_id["f-added"]["status"] == "added"


def test_a_rejected_fact_stays_rejected_across_several_imports() -> None:
    base = make_record()
    base["pledges"][0]["facts"] = [fact("f")]
    ours = copy.deepcopy(base)
    ours["pledges"][0]["facts"][0]["status"] = "rejected"
    theirs = copy.deepcopy(base)
    for _ in range(3):
        ours = merge_records(base, ours, theirs)
        base = theirs
    assert ours["pledges"][0]["facts"] == [dict(fact("f"), status="rejected")]


def test_pledges_are_matched_by_number() -> None:
    base = make_record()
    ours = copy.deepcopy(base)
    ours["pledges"].append({"number": 9, "text": "Added by a curator.", "line": None,
                            "declared_words": None, "rights_holders": [],
                            "rights_holders_line": None, "facts": []})
    theirs = make_record()
    theirs["pledges"].append(dict(theirs["pledges"][1], number=3, text="A third pledge."))
    theirs["pledges"].reverse()
    merged = merge_records(base, ours, theirs)
    assert [p["number"] for p in merged["pledges"]] == [1, 2, 3, 9]
    assert merged["pledges"][2]["text"] == "A third pledge."


def test_a_pledge_the_document_dropped_goes_unless_a_curator_edited_it() -> None:
    base = make_record()
    theirs = make_record()
    theirs["pledges"] = theirs["pledges"][:1]
    assert [p["number"] for p in merge_records(base, copy.deepcopy(base), theirs)["pledges"]] \
        == [1]
    edited = copy.deepcopy(base)
    edited["pledges"][1]["text"] = "Kept: a curator worked on it."
    assert [p["number"] for p in merge_records(base, edited, theirs)["pledges"]] == [1, 2]


def test_without_a_base_every_curated_value_is_kept() -> None:
    ours = make_record(title="Curated title")
    ours["pledges"][0]["text"] = "Curated text."
    theirs = make_record(source_sha256="cd" * 32)
    theirs["pledges"].append(dict(theirs["pledges"][1], number=3, text="New pledge."))
    merged = merge_records(None, ours, theirs)
    assert merged["title"] == "Curated title"
    assert merged["pledges"][0]["text"] == "Curated text."
    assert merged["source_sha256"] == "ab" * 32
    assert [p["number"] for p in merged["pledges"]] == [1, 2, 3]
