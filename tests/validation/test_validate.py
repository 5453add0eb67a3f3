"""Validating the mapped graph as the build does: the bundled-style data conforms, defects are
reported against the record and source line they come from, and batching changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pipeline_data import SOURCE, damage, japan_data, line_of, write_record
from rdflib import Graph, Literal

from pledge_graph.build.pipeline import check
from pledge_graph.rdf.vocab import RDF, SH, XSD, Iris


@pytest.fixture(scope="module")
def japan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return japan_data(tmp_path_factory.mktemp("japan"), extra=3)


def test_records_conform_and_the_report_says_so(japan: Path) -> None:
    outcome = check(japan, workers=1).outcome
    assert outcome.conforms and outcome.violations == []
    report = Graph().parse(data=outcome.report_turtle(), format="turtle")
    node = report.value(None, RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(True)
    assert not list(report.objects(node, SH.result))


def test_violation_names_record_and_source_line(japan: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = damage(monkeypatch, "japan-2023")
    pledge = Iris().pledge("japan-2023", 2)
    assert damaged == f"<{pledge}>"
    outcome = check(japan, workers=1).outcome
    assert not outcome.conforms
    [violation] = outcome.violations
    assert violation.shape == f"<{Iris().shapes['Pledge-number']}>"
    readable = outcome.readable(outcome.violations)
    line = line_of(SOURCE, "**PLEDGE NUMBER 2:**")
    assert "japan-2023.yaml" in readable and f"sources/japan-2023.txt:{line}" in readable
    report = Graph().parse(data=outcome.report_turtle(), format="turtle")
    node = report.value(None, RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(False)
    result = report.value(None, SH.focusNode, pledge)
    assert result is not None
    assert report.value(result, SH.resultSeverity) == SH.Violation
    assert report.value(result, SH.sourceShape) == Iris().shapes["Pledge-number"]


def test_word_count_mismatch_is_a_warning_not_a_violation(tmp_path: Path) -> None:
    data = japan_data(tmp_path)
    record = yaml.safe_load((data / "records" / "japan-2023.yaml").read_text(encoding="utf-8"))
    record["pledges"][0]["declared_words"] = 98
    write_record(data, record)
    outcome = check(data, workers=1).outcome
    assert outcome.conforms
    [warning] = outcome.warnings
    assert warning.severity == str(SH.Warning)
    assert warning.shape == f"<{Iris().shapes['Pledge-declaredWordCount-notBelow']}>"
    assert warning.focus == f"<{Iris().pledge('japan-2023', 1)}>"
    assert warning.value == f'"99"^^<{XSD.nonNegativeInteger}>'
    assert f"japan-2023.txt:{line_of(SOURCE, '**PLEDGE NUMBER 1:**')}" in outcome.readable()


@pytest.mark.parametrize("validator", ["both", "pyshacl"])
def test_batches_of_any_size_in_any_process_find_the_same_results(
        japan: Path, monkeypatch: pytest.MonkeyPatch, validator: str) -> None:
    pledge = damage(monkeypatch, "yemen-0001")
    whole = check(japan, batch_records=10_000, workers=1, validator=validator).outcome
    single = check(japan, batch_records=1, workers=1, validator=validator).outcome
    parallel = check(japan, batch_records=1, workers=2, validator=validator).outcome
    assert whole.findings == single.findings == parallel.findings
    assert [f.focus for f in whole.violations] == [pledge]
    assert whole.report_turtle() == single.report_turtle() == parallel.report_turtle()
    assert whole.readable() == single.readable() == parallel.readable()
