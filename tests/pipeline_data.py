"""Data directories for the map/validate/publish/build tests, written the way docs/model.md
says records look: Japan's real document with its record written by hand, and synthetic
submissions for corpora of any size."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pledge_graph.build import batches
from pledge_graph.mapping.pledges import LoadedRecord, MappedSubmission, Mapper, scheme_triples
from pledge_graph.paths import DATA_DIR
from pledge_graph.publish.files import dump_tools
from pledge_graph.rdf.ntriples import Triple
from pledge_graph.rdf.vocab import XSD, Iris
from pledge_graph.records.curated import record_paths
from pledge_graph.validation.shapes import shapes_graph

SOURCE = DATA_DIR / "sources" / "japan-2023.txt"

# The twelve "Sector and Rights-holders" labels attested in the Japanese document
# (reference hr75.md), verbatim, in alphabetical order.
HR75_LABELS = [
    ("Children in vulnerable situations (abused, living on the street, institutionalized, "
     "indigenous, migrant children etc.)"),
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

JAPAN_HOLDERS = {
    1: ["Judges, lawyers and prosecutors"],
    2: ["Non-citizens", "Migrants"],
    3: [label for label in HR75_LABELS if label not in ("Migrants", "Non-citizens")],
}

JAPAN_WORDS = {1: 99, 2: 84, 3: 85}


def japan_record() -> dict[str, Any]:
    """Japan's record as a curator would have it: three pledges, verbatim texts."""
    lines = SOURCE.read_text(encoding="utf-8").split("\n")
    pledges = []
    for number in (1, 2, 3):
        head = f"**PLEDGE NUMBER {number}:**"
        line = next(i for i, t in enumerate(lines, 1) if t.startswith(head))
        text = re.sub(r"^\*\*PLEDGE NUMBER \d+:\*\* ", "", lines[line - 1].rstrip())
        text = re.sub(r" \(\d+ words\)$", "", text)
        pledges.append({
            "number": number, "line": line, "text": text,
            "declared_words": JAPAN_WORDS[number],
            "rights_holders": list(JAPAN_HOLDERS[number]),
            "rights_holders_line": line + 2, "facts": [],
        })
    return {
        "slug": "japan-2023",
        "source": "sources/japan-2023.txt",
        "source_sha256": hashlib.sha256(SOURCE.read_bytes()).hexdigest(),
        "title": "Pledge submitted by Japan to the Human Rights 75 Secretariat",
        "month": 12, "year": 2023,
        "language": "en", "language_label": "English",
        "pledge_type": "single", "pledge_type_label": "Single (by one state/actor)",
        "entities": [{"name": "Japan", "line": 12}],
        "pledges": pledges,
    }


def synthetic(slug: str, pledges: int, *, entity: str = "Yemen") -> tuple[str, dict[str, Any]]:
    """Return (source text, record) of a made-up submission with ``pledges`` pledges."""
    lines = [f"**Pledge submitted by {entity} to the Human Rights 75 Secretariat**", "June 2023",
             ""]
    items = []
    for n in range(1, pledges + 1):
        text = f"{entity} will train {n} hundred judges and report on it every year."
        items.append({"number": n, "line": len(lines) + 1, "text": text,
                      "declared_words": len(text.split()), "rights_holders": ["Women & girls"],
                      "rights_holders_line": len(lines) + 3, "facts": []})
        lines += [f"**PLEDGE NUMBER {n}:** {text} ({len(text.split())} words)", "",
                  "Sector and Rights-holders: Women & girls", ""]
    source = "\n".join(lines)
    record = {
        "slug": slug, "source": f"sources/{slug}.txt",
        "source_sha256": hashlib.sha256(source.encode()).hexdigest(),
        "title": f"Pledge submitted by {entity} to the Human Rights 75 Secretariat",
        "month": 6, "year": 2023, "language": "en", "language_label": "English",
        "pledge_type": "single", "pledge_type_label": "Single (by one state/actor)",
        "entities": [{"name": entity, "line": 1}], "pledges": items,
    }
    return source, record


def write_record(data_dir: Path, record: dict[str, Any], source: str | None = None) -> Path:
    """Write a record (and its source text, when given) into a data directory."""
    (data_dir / "records").mkdir(parents=True, exist_ok=True)
    (data_dir / "sources").mkdir(parents=True, exist_ok=True)
    if source is not None:
        (data_dir / record["source"]).write_text(source, encoding="utf-8")
    path = data_dir / "records" / f"{record['slug']}.yaml"
    path.write_text(yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100),
                    encoding="utf-8")
    return path


def japan_data(tmp: Path, *, extra: int = 0) -> Path:
    """A data directory with Japan's document and record, the project's authority files and
    ``extra`` synthetic submissions of three pledges."""
    data = tmp / "data"
    (data / "sources").mkdir(parents=True)
    shutil.copy(SOURCE, data / "sources" / SOURCE.name)
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    write_record(data, japan_record())
    for i in range(extra):
        source, record = synthetic(f"yemen-{i:04d}", 3)
        write_record(data, record, source)
    return data


def line_of(path: Path, prefix: str) -> int:
    """Return the 1-based line of the first line of ``path`` that starts with ``prefix``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(i for i, t in enumerate(lines, 1) if t.lstrip().startswith(prefix))


class _Damaging(Mapper):
    """A mapper that gives pledge 2 of one record a second number, as a mapping bug would."""

    slug = ""

    def submission(self, record: LoadedRecord) -> MappedSubmission:
        mapped = super().submission(record)
        if mapped.slug == self.slug:
            pledge = f"<{Iris().pledge(mapped.slug, 2)}>"
            mapped.triples.append((pledge, f"<{Iris().ontology.pledgeNumber}>",
                                   f'"7"^^<{XSD.positiveInteger}>'))
        return mapped


def damage(monkeypatch: pytest.MonkeyPatch, slug: str) -> str:
    """Make the build map ``slug`` with a defect its shapes find (the workers are forked, so
    they map with it too); return the N-Triples text of the damaged pledge."""
    monkeypatch.setattr(_Damaging, "slug", slug)
    monkeypatch.setattr(batches, "Mapper", _Damaging)
    return f"<{Iris().pledge(slug, 2)}>"


def build_context(data: Path, iris: Iris | None = None, digest: str = "0" * 64) -> batches.Context:
    """What a build of ``data`` gives its workers (nothing written)."""
    iris = iris or Iris()
    return batches.make_context(iris, digest, data, shapes_graph(iris.base),
                                scheme_triples(iris.base), *dump_tools(iris.base), write=False,
                                pyshacl_all=True)


def build_batches(data: Path, batch_records: int = batches.BATCH_RECORDS,
                  iris: Iris | None = None) -> list[list[Triple]]:
    """The triples a build of ``data`` checks, cut into batches as the build cuts them: each
    batch's own and shared triples with the scheme, then the resources the batches share."""
    ctx = build_context(data, iris)
    mapped = [batches.map_batch(ctx, paths)
              for paths in batches.batch_paths(record_paths(data), batch_records)]
    shared = set().union(*(batch.shared for batch in mapped))
    submissions = [sub.iri for batch in mapped for sub in batch.submissions]
    return [batch.data for batch in mapped] + [batches.shared_rows(ctx, shared, submissions)]
