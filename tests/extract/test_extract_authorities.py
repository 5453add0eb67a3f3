"""The authority files the extractor reads: the bundled ones are well formed, and a malformed
one in a data directory stops the import with its file, line and what was expected, without a
traceback and without writing anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pledge_graph.errors import InputError
from pledge_graph.extract import extract_facts
from pledge_graph.extract.organisations import load_organisations
from pledge_graph.extract.programmes import load_programmes
from pledge_graph.extract.treaties import load_treaties
from pledge_graph.paths import DATA_DIR, PROJECT_ROOT
from pledge_graph.rdf.vocab import slugify

CORE_TREATIES = {"icerd", "iccpr", "icescr", "cedaw", "cat", "crc", "icmw", "cped", "crpd",
                 "iccpr-op1", "iccpr-op2", "op-icescr", "op-cedaw", "opcat", "op-crc-ac",
                 "op-crc-sc", "op-crc-ic", "op-crpd"}
VERIFIED_WIKIDATA = {"united-nations": "Q1065", "human-rights-council": "Q205650",
                     "ohchr": "Q656812", "unhcr": "Q132551"}


def test_bundled_treaties_are_the_core_treaties_and_protocols() -> None:
    treaties = load_treaties()
    assert set(treaties.by_slug) == CORE_TREATIES
    protocols = {t.slug: t.protocol_to for t in treaties.by_slug.values() if t.protocol_to}
    assert protocols["opcat"] == "cat" and protocols["iccpr-op2"] == "iccpr"


def test_only_verified_wikidata_links_are_published() -> None:
    linked = {o.slug: o.wikidata for o in load_organisations().by_slug.values() if o.wikidata}
    assert linked == VERIFIED_WIKIDATA


def test_every_slug_is_a_slug_and_every_name_finds_its_entry() -> None:
    for index in (load_organisations(), load_programmes(), load_treaties()):
        for slug in index.by_slug:
            assert slug == slugify(slug)
        for name, slug in index.names.items():
            found = {m.key for m in index._gazetteer.finditer(f"We name {name} here.")}
            assert found == {slug}, name


def write_authority(data: Path, name: str, text: str) -> None:
    (data / "authorities").mkdir(parents=True, exist_ok=True)
    (data / "authorities" / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("name", "text", "line", "expected"), [
    ("organisations.yaml", "- slug: a\n  name: A Body\n  type: club\n", 1, "intergovernmental"),
    ("organisations.yaml", "- slug: a\n  name: A\n  type: network\n- name: B\n  type: network\n",
     4, "non-empty 'slug'"),
    ("organisations.yaml", "- slug: a\n  name: A\n  type: network\n  part_of: b\n", 1,
     "the slug of another entry"),
    ("treaties.yaml", "- slug: x\n  title: [unclosed\n", 3, "valid YAML"),
    ("treaties.yaml", "slug: x\n", 1, "a YAML list of entries"),
    ("programmes.yaml", "- slug: p\n  name: P\n  provider: Japan\n", 1, "alpha-3"),
])
def test_malformed_authority_names_file_line_and_expectation(
        tmp_path: Path, name: str, text: str, line: int, expected: str) -> None:
    data = tmp_path / "data"
    write_authority(data, name, text)
    with pytest.raises(InputError) as raised:
        extract_facts("We support OHCHR.", data_dir=data)
    error = raised.value
    assert error.file == str(data / "authorities" / name)
    assert error.line == line
    assert expected in str(error)


def test_import_with_a_malformed_authority_exits_without_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_authority(data, "organisations.yaml", "- slug: a\n  name: A\n  type: club\n")
    done = subprocess.run(
        [sys.executable, "-m", "pledge_graph.cli", "import",
         str(DATA_DIR / "sources" / "japan-2023.txt"), "--data", str(data)],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "organisations.yaml:1" in done.stderr and "type" in done.stderr
    assert not (data / "records").exists()


def test_a_data_directory_may_bring_its_own_gazetteer(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_authority(data, "organisations.yaml",
                    "- slug: ruritania-fund\n  name: Ruritania Justice Fund\n  type: network\n")
    facts = extract_facts("We give EUR 1 million to the Ruritania Justice Fund.", data_dir=data)
    assert [(f["id"], f.get("recipient")) for f in facts] == [
        ("funding-eur-1000000", "ruritania-fund"), ("org-ruritania-fund", None)]


def test_an_authority_file_that_is_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "authorities").mkdir(parents=True)
    path = data / "authorities" / "treaties.yaml"
    path.write_bytes("- slug: cat\n  title: Convention contre la torture\n  short: Caf\u00e9\n"
                     .encode("latin-1"))
    with pytest.raises(InputError) as caught:
        extract_facts("Japan will ratify the CAT.", data_dir=data)
    assert (caught.value.file, caught.value.line) == (str(path), 3)
    assert caught.value.expected == "UTF-8 encoded YAML"
