"""The release's charts: each chart's CSV is its query's answer over the whole release, its
SVG parses as XML, has a title and a description and draws the CSV's numbers, the
specification holds the same numbers, a hostile name stays text, and drawing fetches
nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from chart_support import SVG, bar_texts, drawn_bars
from pipeline_data import japan_data, synthetic, write_record

from pledge_graph.build.pipeline import build
from pledge_graph.publish import drawing
from pledge_graph.publish.charts import CHARTS, INDEX, MAX_BARS, chart_queries

BASE = "https://w3id.org/pledge-graph/"
HOSTILE = '</title><script>alert(1)</script> & "Friends", <Ltd>'


def release_store(dist: Path) -> ox.Store:
    """The whole release as the endpoint has it in its default graph: every graph file."""
    store = ox.Store()
    for name in ("pledge-graph.nt", "ontology.ttl", "rights-holders.ttl", "shapes.ttl",
                 "void.ttl", "catalog.ttl"):
        store.bulk_load(path=str(dist / name))
    return store


def hostile_data(tmp: Path) -> Path:
    """Japan's record, two synthetic ones, and one funding a recipient named in markup."""
    data = japan_data(tmp, extra=2)
    source, record = synthetic("sudan-funding", 1, entity="Sudan")
    pledge = record["pledges"][0]
    pledge["text"] = text = "Sudan will give 500 USD to a fund for judges."
    source = source.replace("Sudan will train 1 hundred judges and report on it every year.",
                            text).replace("(12 words)", f"({len(text.split())} words)")
    pledge["declared_words"] = len(text.split())
    record["source_sha256"] = hashlib.sha256(source.encode()).hexdigest()
    start = text.index("500 USD")
    pledge["facts"] = [{"id": "funding-usd-500", "kind": "funding", "status": "confirmed",
                        "start": start, "end": start + 7, "exact": "500 USD", "amount": "500",
                        "currency": "USD", "recipient": None, "recipient_name": HOSTILE}]
    write_record(data, record, source)
    return data


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("charts")
    return build(hostile_data(tmp), tmp / "dist").out_dir


@pytest.fixture(scope="module")
def listed(dist: Path) -> list[dict]:
    return json.loads((dist / INDEX).read_text(encoding="utf-8"))["charts"]


def test_every_chart_is_listed_with_its_files(dist: Path, listed: list[dict]) -> None:
    assert [c["name"] for c in listed] == [c.name for c in CHARTS]
    manifest = json.loads((dist / "manifest.json").read_text())["files"]
    for chart in listed:
        assert chart["query"] == chart_queries(BASE)[chart["name"]]
        assert chart["alt"] and chart["title"] and chart["about"]
        for name in chart["files"].values():
            assert name in manifest and (dist / name).is_file()
    assert INDEX in manifest


def test_each_csv_is_the_queries_answer_over_the_whole_release(dist: Path,
                                                              listed: list[dict]) -> None:
    store = release_store(dist)
    for chart in listed:
        answer = store.query(chart["query"])
        assert isinstance(answer, ox.QuerySolutions)
        expected = answer.serialize(format=ox.QueryResultsFormat.CSV)
        written = (dist / chart["files"]["csv"]).read_bytes()
        assert written == expected, chart["name"]
        rows = list(csv.DictReader(io.StringIO(written.decode("utf-8"))))
        assert rows == chart["rows"]
        assert chart["columns"] == list(rows[0]) if rows else chart["columns"]


def test_the_counts_mean_what_the_titles_say(dist: Path, listed: list[dict]) -> None:
    """Counted again in Python from the N-Triples dump, without SPARQL."""
    pg = BASE + "ontology/"
    graph = list(ox.parse(path=str(dist / "pledge-graph.nt")))
    pledges = {t.subject for t in graph if t.predicate.value.endswith("#type")
               and t.object.value == pg + "Pledge"}
    groups: dict[str, set] = {}
    for t in graph:
        if t.predicate.value == pg + "rightsHolderGroup" and t.subject in pledges:
            groups.setdefault(t.object.value, set()).add(t.subject)
    by_group = next(c for c in listed if c["name"] == "pledges-by-group")
    assert {r["group"]: int(r["pledges"]) for r in by_group["rows"]} == {
        g: len(p) for g, p in groups.items()}
    by_kind = next(c for c in listed if c["name"] == "pledges-by-actor-kind")
    assert {r["label"]: int(r["pledges"]) for r in by_kind["rows"]} == {"State": len(pledges)}
    by_region = next(c for c in listed if c["name"] == "pledges-by-region")
    # Japan's and Yemen's region is Asia, Sudan's Africa (all three checked)
    assert {r["region"]: int(r["pledges"]) for r in by_region["rows"]} == {
        "Asia": len(pledges) - 1, "Africa": 1}
    funding = next(c for c in listed if c["name"] == "funding-by-recipient")
    assert [(r["recipientLabel"], r["currency"], r["total"]) for r in funding["rows"]] == [
        (HOSTILE, "USD", "500")]


def test_every_svg_parses_has_a_title_and_draws_the_numbers(dist: Path,
                                                             listed: list[dict]) -> None:
    for chart in listed:
        root = ElementTree.parse(dist / chart["files"]["svg"]).getroot()
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        assert root.find(f"{SVG}title").text == chart["title"]
        assert root.find(f"{SVG}desc").text == chart["alt"]
        for element in ("script", "foreignObject", "style"):
            assert not list(root.iter(f"{SVG}{element}")), element
        assert all("style" not in e.attrib for e in root.iter())  # nothing for a CSP to refuse
        definition = next(c for c in CHARTS if c.name == chart["name"])
        assert drawn_bars(root) == bar_texts(definition, chart["rows"]), chart["name"]
        spec = json.loads((dist / chart["files"]["vl.json"]).read_text(encoding="utf-8"))
        assert spec["description"] == chart["alt"]
        assert len(spec["data"]["values"]) == len(chart["rows"]) <= MAX_BARS


def test_a_hostile_name_stays_text(dist: Path, listed: list[dict]) -> None:
    svg = (dist / "chart-funding-by-recipient.svg").read_text(encoding="utf-8")
    root = ElementTree.fromstring(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert HOSTILE in root.find(f"{SVG}desc").text
    texts = [e.text or "" for e in root.iter(f"{SVG}text")]
    assert any(t.startswith(HOSTILE[:20]) for t in texts)
    funding = next(c for c in listed if c["name"] == "funding-by-recipient")
    assert HOSTILE in funding["alt"]


def test_an_empty_chart_still_has_its_files(dist: Path, listed: list[dict]) -> None:
    treaties = next(c for c in listed if c["name"] == "treaty-actions")
    assert treaties["rows"] == []
    assert "no bars" in treaties["alt"]
    assert (dist / treaties["files"]["csv"]).read_bytes() == (
        b"treaty,treatyLabel,action,actionLabel,actions\r\n")
    ElementTree.parse(dist / treaties["files"]["svg"])


def test_drawing_fetches_nothing() -> None:
    """vl-convert may read no URL: a specification that names one is refused."""
    spec = {"data": {"url": "http://127.0.0.1:9/data.csv"}, "mark": "bar",
            "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    with pytest.raises(Exception, match="url not allowed"):
        drawing.svg(spec, "t", "d")


def test_a_release_builds_with_no_network(tmp_path: Path) -> None:
    """The whole build, charts included, in a network namespace of its own (no interface
    but loopback, which is down)."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"],
                                         check=False, capture_output=True).returncode != 0:
        pytest.skip("no unprivileged network namespace here")
    data = japan_data(tmp_path)
    done = subprocess.run([unshare, "-rn", sys.executable, "-m", "pledge_graph.cli", "build",
                           "--data", str(data), "--out", str(tmp_path / "dist")],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "dist" / "chart-pledges-by-group.svg").stat().st_size > 1000


def test_a_drawing_does_not_depend_on_the_systems_fonts(dist: Path, tmp_path: Path) -> None:
    """The same SVG with the system's fonts hidden (a mount namespace of its own)."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"],
                                         check=False, capture_output=True).returncode != 0:
        pytest.skip("no unprivileged mount namespace here")
    draw = ("import json, sys; from pledge_graph.publish.drawing import svg; "
            "spec = json.load(open(sys.argv[1])); "
            "sys.stdout.write(svg(spec, spec['title'], spec['description']))")
    spec = dist / "chart-pledges-by-group.vl.json"
    fonts = Path("/usr/share/fonts")
    hidden = f"mount -t tmpfs none {fonts} && " if fonts.is_dir() else ""
    done = subprocess.run([unshare, "-rm", "sh", "-c", f'{hidden}exec "$0" -c "$1" "$2"',
                           sys.executable, draw, str(spec)],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (dist / "chart-pledges-by-group.svg").read_text(encoding="utf-8")


def test_a_build_where_charts_cannot_be_drawn_still_publishes_them(tmp_path: Path) -> None:
    """vl-convert's V8 reserves more address space than a 1 GiB limit allows and aborts
    its process; the build draws in a child, so it goes on: the charts' numbers, CSV and
    specifications are published, without SVGs, and the build says why."""
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    data = japan_data(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pledge_graph.cli", "build", "--data",
                           str(data), "--out", str(tmp_path / "dist")], check=False,
                          capture_output=True, text=True, timeout=300, preexec_fn=limited)
    assert done.returncode == 0, done.stderr
    assert "charts published without their drawings" in done.stdout + done.stderr
    listed = json.loads((tmp_path / "dist" / INDEX).read_text(encoding="utf-8"))["charts"]
    assert len(listed) == len(CHARTS)
    assert not list((tmp_path / "dist").glob("chart-*.svg"))
    for chart in listed:
        assert "svg" not in chart["files"]
        assert (tmp_path / "dist" / chart["files"]["csv"]).read_bytes().count(b"\r\n") >= 1
        assert (tmp_path / "dist" / chart["files"]["vl.json"]).is_file()


def _drawing_children() -> list[int]:
    """This process's children that run the drawing module (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # not a process, or one that has just ended
            continue
        parent = next((line.split()[1] for line in status.splitlines()
                       if line.startswith("PPid:")), None)
        if parent == str(os.getpid()) and b"pledge_graph.publish.drawing" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc here")
def test_a_build_that_stops_leaves_no_drawing_child(tmp_path: Path) -> None:
    """The drawing child starts with the build, to be ready for the charts; a build that
    stops before them (here: a record that does not parse) ends it, and reaps it."""
    data = japan_data(tmp_path)
    record = next((data / "records").glob("*.yaml"))
    record.write_text("slug: [unclosed\n", encoding="utf-8")
    with pytest.raises(Exception, match=record.name):
        build(data, tmp_path / "dist")
    assert _drawing_children() == []
    assert not (tmp_path / "dist").exists()
