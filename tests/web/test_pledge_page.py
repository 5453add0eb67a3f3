"""The pledge page on a real server, read with an HTML parser and checked against the
published Turtle dump parsed by rdflib: each fact's words are highlighted exactly where its
TextPositionSelector points, with its curation status; the links are grouped and named;
the citation names the release of the manifest; hostile texts and labels stay text."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from web_server import Server, bundled_release

from pledge_graph.rdf.vocab import Iris

IRIS = Iris()
BASE = IRIS.base
PG = Namespace(str(IRIS.ontology))
OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
HOSTILE = BASE + "id/pledge/hostile/1"
HOSTILE_TEXT = ('We pledge </p><script>alert("x")</script> & <img src=x onerror=alert(1)> '
                "to fund {{ 7*7 }} } @misc{evil, \\end")
HOSTILE_WORDS = "<img src=x onerror=alert(1)>"
HOSTILE_LABEL = '"><script>alert(2)</script>'
MOVED = "{{ 7*7 }}"
OVERLAP = (HOSTILE_TEXT.index("& <img"), HOSTILE_TEXT.index(HOSTILE_WORDS) + 4)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The bundled release, and a pledge with hostile words and labels beside it."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.ttl"
    path.write_text(_hostile_turtle(), encoding="utf-8")
    running = Server("--also", path)
    try:
        yield running
    finally:
        running.stop()


def _hostile_turtle() -> str:
    graph = Graph()
    pledge, fact, actor = URIRef(HOSTILE), URIRef(BASE + "id/fact/hostile/1/f"), URIRef(
        BASE + "id/actor/hostile")
    start = HOSTILE_TEXT.index(HOSTILE_WORDS)
    target, position = URIRef(f"{fact}#target"), URIRef(f"{fact}#position")
    far, far_target, far_position = (URIRef(BASE + "id/fact/hostile/1/far"),
                                     URIRef(f"{fact}/far-target"), URIRef(f"{fact}/far-pos"))
    status = URIRef(str(PG) + "Evil")
    moved, moved_target, moved_position, moved_quote = (
        URIRef(BASE + "id/fact/hostile/1/moved"), URIRef(f"{fact}/moved-target"),
        URIRef(f"{fact}/moved-pos"), URIRef(f"{fact}/moved-quote"))
    over, over_target, over_position = (URIRef(BASE + "id/fact/hostile/1/over"),
                                        URIRef(f"{fact}/over-target"), URIRef(f"{fact}/over-pos"))
    for triple in [
        (pledge, RDF.type, PG.Pledge), (pledge, RDFS.label, Literal(HOSTILE_LABEL, lang="en")),
        (pledge, PG.pledgeText, Literal(HOSTILE_TEXT, lang="en")), (pledge, PG.pledgedBy, actor),
        (actor, RDFS.label, Literal("} @misc{evil, title={x}", lang="en")),
        (fact, RDF.type, PG.Fact), (fact, RDFS.label, Literal(HOSTILE_LABEL)),
        (fact, PG.statedIn, pledge), (fact, PG.curationStatus, status),
        (status, RDFS.label, Literal("<b>evil</b>", lang="en")),
        (fact, PG.evidence, target), (target, OA.hasSource, pledge),
        (target, OA.hasSelector, position), (position, RDF.type, OA.TextPositionSelector),
        (position, OA.start, Literal(start)), (position, OA.end, Literal(start + len(HOSTILE_WORDS))),
        # a fact whose offsets fall outside the text: listed, not highlighted
        (far, RDF.type, PG.Fact), (far, PG.statedIn, pledge), (far, PG.curationStatus, status),
        (far, PG.evidence, far_target), (far_target, OA.hasSource, pledge),
        (far_target, OA.hasSelector, far_position),
        (far_position, RDF.type, OA.TextPositionSelector),
        (far_position, OA.start, Literal(10_000)), (far_position, OA.end, Literal(10_005)),
        # a fact overlapping the first one: both are highlighted where they cover
        (over, RDF.type, PG.Fact), (over, PG.statedIn, pledge), (over, PG.curationStatus,
                                                                  PG.Confirmed),
        (over, PG.evidence, over_target), (over_target, OA.hasSource, pledge),
        (over_target, OA.hasSelector, over_position),
        (over_position, RDF.type, OA.TextPositionSelector),
        (over_position, OA.start, Literal(OVERLAP[0])), (over_position, OA.end, Literal(OVERLAP[1])),
        # a fact whose offsets are wrong but whose quote is in the text: found by its quote
        (moved, RDF.type, PG.Fact), (moved, PG.statedIn, pledge),
        (moved, PG.curationStatus, PG.Extracted), (moved, PG.evidence, moved_target),
        (moved_target, OA.hasSource, pledge), (moved_target, OA.hasSelector, moved_position),
        (moved_target, OA.hasSelector, moved_quote),
        (moved_position, RDF.type, OA.TextPositionSelector),
        (moved_position, OA.start, Literal(0)), (moved_position, OA.end, Literal(len(MOVED))),
        (moved_quote, RDF.type, OA.TextQuoteSelector), (moved_quote, OA.exact, Literal(MOVED)),
        (moved_quote, OA.prefix, Literal("to fund ")), (moved_quote, OA.suffix, Literal(" }")),
    ]:
        graph.add(triple)
    return graph.serialize(format="turtle")


@pytest.fixture(scope="module")
def dump() -> Graph:
    """The release's Turtle dump and ontology, parsed by rdflib."""
    release = bundled_release()[1]
    graph = Graph()
    graph.parse(release / "pledge-graph.ttl", format="turtle")
    graph.parse(release / "ontology.ttl", format="turtle")
    return graph


def pledges(dump: Graph) -> list[URIRef]:
    return sorted(p for p in dump.subjects(RDF.type, PG.Pledge) if isinstance(p, URIRef))


def published_facts(dump: Graph, pledge: URIRef) -> dict[str, tuple[int, int, str]]:
    """Fact IRI -> (start, end, status IRI), from the dump's selectors."""
    found = {}
    for fact in dump.subjects(PG.statedIn, pledge):
        target = dump.value(fact, PG.evidence)
        for selector in dump.objects(target, OA.hasSelector):
            if (selector, RDF.type, OA.TextPositionSelector) in dump:
                found[str(fact)] = (int(dump.value(selector, OA.start)),
                                    int(dump.value(selector, OA.end)),
                                    str(dump.value(fact, PG.curationStatus)))
    return found


class PledgeText(HTMLParser):
    """Reads ``p#pledge-text``: its text without the reference marks, and for each fact the
    offsets of the characters inside highlights that name it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # elements open inside the paragraph (0: outside it)
        self.marks: list[list[str] | None] = []  # per open element: the facts it names
        self.in_ref = 0
        self.text = ""
        self.covered: dict[str, list[int]] = defaultdict(list)
        self.spans: list[tuple[int, int, int, int]] = []  # declared and actual offsets
        self.elements: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth == 0:
            if tag == "p" and attributes.get("id") == "pledge-text":
                self.depth = 1
            return
        self.depth += 1
        self.elements.append(tag)
        if tag == "sup":
            self.in_ref += 1
        facts = attributes.get("data-facts")
        self.marks.append(facts.split() if tag == "mark" and facts else None)
        if tag == "mark":
            self.spans.append((int(attributes["data-start"]), int(attributes["data-end"]),
                               len(self.text), -1))

    def handle_endtag(self, tag):
        if self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0:
            return
        if tag == "sup":
            self.in_ref -= 1
        if tag == "mark":
            start, end, at, _ = self.spans[-1]
            self.spans[-1] = (start, end, at, len(self.text))
        self.marks.pop()

    def handle_data(self, data):
        if self.depth == 0 or self.in_ref:
            return
        facts = [f for names in self.marks if names for f in names]
        for offset in range(len(self.text), len(self.text) + len(data)):
            for fact in facts:
                self.covered[fact].append(offset)
        self.text += data


def read_text(page: str) -> PledgeText:
    parser = PledgeText()
    parser.feed(page)
    return parser


def page_of(http, iri: str) -> str:
    answer = http.get("/" + iri[len(BASE):], headers={"Accept": "text/html"})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_every_fact_is_highlighted_exactly_where_its_selector_points(http, dump):
    checked = 0
    for pledge in pledges(dump):
        page = read_text(page_of(http, pledge))
        assert page.text == str(dump.value(pledge, PG.pledgeText))
        facts = published_facts(dump, pledge)
        assert set(page.covered) == set(facts)
        for fact, (start, end, _status) in facts.items():
            assert page.covered[fact] == list(range(start, end)), fact
            checked += 1
        for declared_start, declared_end, at, until in page.spans:
            assert (declared_start, declared_end) == (at, until)
    assert checked > 0  # the bundled pledges have facts to show


def test_each_fact_shows_its_curation_status_and_links_to_the_fact(http, dump):
    for pledge in pledges(dump):
        page = page_of(http, pledge)
        for fact, (_start, _end, status) in published_facts(dump, pledge).items():
            label = str(dump.value(URIRef(status), RDFS.label))
            local = "/" + fact[len(BASE):]
            row = re.search(rf'<tr id="fact-\d+" data-fact="{re.escape(fact)}">(.*?)</tr>',
                            page, re.DOTALL)
            assert row is not None, fact
            key = status.rsplit("/", 1)[-1].lower()
            assert f'<span class="status status-{key}">{label}</span>' in row.group(1)
            assert f'<a href="{local}">' in row.group(1)
            assert re.search(rf'<mark class="evidence status-\w+" data-facts="[^"]*'
                             rf'{re.escape(fact)}[^"]*"[^>]*>', page)
            assert f'href="{local}" title="' in page  # the highlight links to the fact


def test_the_links_are_grouped_and_named_by_their_labels(http, dump):
    pledge = pledges(dump)[-1]
    page = page_of(http, pledge)
    groups = {key: section for key, section in re.findall(
        r'<section id="([\w-]+)" aria-labelledby="[\w-]+-heading">(.*?)</section>', page, re.DOTALL)}
    assert {"evidence", "commitments", "rights-holders", "provenance", "cite"} <= set(groups)
    for group in dump.objects(pledge, PG.rightsHolderGroup):
        name = str(dump.value(group, SKOS.prefLabel))
        link = f'href="/{str(group)[len(BASE):]}" title="{group}">'
        assert link in groups["rights-holders"]
        assert name.replace("&", "&amp;") in groups["rights-holders"]
    submission = dump.value(pledge, PROV.hadPrimarySource)
    assert f'href="/{str(submission)[len(BASE):]}"' in groups["provenance"]
    assert str(dump.value(submission, RDFS.label)) in groups["provenance"]
    # links in: the submission that lists the pledge, named by its label
    assert str(dump.value(submission, RDFS.label)) in groups["linked-from"]


def test_the_citation_names_the_pledge_the_release_and_its_date(http, dump):
    manifest = json.loads((bundled_release()[1] / "manifest.json").read_text())
    pledge = pledges(dump)[0]
    page = page_of(http, pledge)
    cite = re.search(r'<section id="cite".*?</section>', page, re.DOTALL).group(0)
    assert f'<code id="cite-iri">{pledge}</code>' in cite
    assert f'<dd id="cite-version">{manifest["version"]}</dd>' in cite
    assert f'<dd id="cite-built">{manifest["build_time"][:10]}</dd>' in cite
    issued = str(dump.value(dump.value(pledge, PROV.hadPrimarySource), DCTERMS.issued))
    assert f'<dd id="cite-issued">{issued}</dd>' in cite
    actor = str(dump.value(dump.value(pledge, PG.pledgedBy), RDFS.label))
    title = str(dump.value(pledge, RDFS.label))
    plain = re.search(r'<p id="cite-plain">(.*?)</p>', cite, re.DOTALL).group(1)
    assert plain.startswith(f"{actor} ({issued[:4]}). {title}.")
    assert manifest["version"] in plain and plain.endswith(str(pledge))
    bibtex = re.search(r'<pre id="cite-bibtex">(.*?)</pre>', cite, re.DOTALL).group(1)
    assert bibtex.startswith("@misc{pledge-graph:")
    assert f"author = {{{{{actor}}}}}" in bibtex and f"title = {{{{{title}}}}}" in bibtex
    assert f"year = {{{issued[:4]}}}" in bibtex and f"url = {{{pledge}}}" in bibtex
    assert manifest["version"] in bibtex


def test_a_hostile_text_and_hostile_labels_stay_text(http):
    page = page_of(http, HOSTILE)
    assert "<script" not in page.split("</head>")[1] and "<img" not in page and "<b>" not in page
    parsed = read_text(page)
    assert parsed.text == HOSTILE_TEXT  # the words as written, nothing run or dropped
    start, moved = HOSTILE_TEXT.index(HOSTILE_WORDS), HOSTILE_TEXT.index(MOVED)
    assert parsed.covered == {
        BASE + "id/fact/hostile/1/f": list(range(start, start + len(HOSTILE_WORDS))),
        BASE + "id/fact/hostile/1/over": list(range(*OVERLAP)),
        BASE + "id/fact/hostile/1/moved": list(range(moved, moved + len(MOVED)))}
    assert parsed.elements.count("mark") == 4  # before, within and after the overlap; moved
    for declared_start, declared_end, at, until in parsed.spans:
        assert (declared_start, declared_end) == (at, until)
    assert "&lt;b&gt;evil&lt;/b&gt;" in page  # the status label, escaped
    assert "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page  # the pledge's label
    # the fact whose offsets are outside the text, with no quote, is listed, not highlighted
    assert "10000–10005 <em>(not found in the text)</em>" in page
    assert (f"0–{len(MOVED)} <em>(found by its quote at {moved}–{moved + len(MOVED)})</em>"
            in page)
    bibtex = re.search(r'<pre id="cite-bibtex">(.*?)</pre>', page, re.DOTALL).group(1)
    assert r"author = {{\} @misc\{evil, title=\{x\}}}" in bibtex
    assert bibtex.count("@misc{") == 1
