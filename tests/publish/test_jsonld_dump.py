"""The JSON-LD dump reads alone: rdflib, pyld and jsonld.js parse the file as downloaded (and
its gzip twin) with the network closed and no document loader, and get the Turtle dump's graph.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from jsonld_readers import READERS, no_network
from pipeline_data import japan_data
from rdflib import Graph
from rdflib.compare import isomorphic

from pledge_graph.build.batches import BATCH_RECORDS
from pledge_graph.build.pipeline import build
from pledge_graph.paths import DATA_DIR
from pledge_graph.rdf.vocab import Iris

pytestmark = pytest.mark.filterwarnings(  # rdflib's JSON-LD parser, on every document
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture(scope="module", params=["bundled", "several-batches"])
def dist(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled pledges (facts, selectors), and a corpus written by several batches."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "bundled":
        if not any((DATA_DIR / "records").glob("*.yaml")):
            pytest.skip("no bundled records yet")
        data = DATA_DIR
    else:
        data = japan_data(tmp / "data", extra=BATCH_RECORDS + 6)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        return build(data, tmp / "dist").out_dir


def downloaded(dist: Path, name: str) -> bytes:
    data = (dist / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("name", ["pledge-graph.jsonld", "pledge-graph.jsonld.gz"])
def test_every_reader_reads_the_dump_offline_as_the_turtle_graph(dist: Path, name: str,
                                                                 reader: str) -> None:
    turtle = Graph().parse(dist / "pledge-graph.ttl", format="turtle")
    graph = READERS[reader](downloaded(dist, name))
    assert len(graph) == len(turtle) > 500
    assert isomorphic(graph, turtle)


def test_rdflib_reads_the_file_by_its_name_alone(dist: Path) -> None:
    """What a user types: ``Graph().parse("pledge-graph.jsonld")``, the format from the name."""
    with no_network():
        graph = Graph().parse(dist / "pledge-graph.jsonld")
    assert isomorphic(graph, Graph().parse(dist / "pledge-graph.ttl"))


def test_the_dump_embeds_the_release_context(dist: Path) -> None:
    document = json.loads(downloaded(dist, "pledge-graph.jsonld"))
    context = json.loads((dist / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert document["@context"] == context
    assert set(document) == {"@context", "@graph"}
    nodes = document["@graph"]
    assert len({node["@id"] for node in nodes}) == len(nodes), "one node object a subject"
    assert any(node.get("@type") == "Pledge" and "pledgeText" in node for node in nodes)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_referenced_context_is_refused_offline(reader: str) -> None:
    """The old form (the context by its IRI) fails in every reader: the readers really are
    offline, so the dump's passing is the embedded context's doing."""
    iri = Iris().base + "context.jsonld"
    document = json.dumps({"@context": iri, "@id": "http://example.org/x", "label": {"en": "x"}})
    with pytest.raises(Exception) as refused:
        READERS[reader](document)
    said, error = [], refused.value
    while error is not None:  # the reader's error, and what caused it
        said.append(f"{error!r} {getattr(error, 'details', '')}")
        error = error.__cause__ or error.__context__
    assert any(iri in text for text in said), said
