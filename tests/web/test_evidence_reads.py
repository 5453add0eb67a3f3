"""A pledge page's facts and date, read by pattern from the server's lookup index, are
those the SPARQL definition gives, on every pledge of the bundled release and of a
generated corpus (the page is then answered without a query worker)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from web_server import bundled_release, cli

from pledge_graph.paths import DATA_DIR
from pledge_graph.rdf.vocab import Iris
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.index import write_index
from pledge_graph.store.loading import load_inputs
from pledge_graph.web import evidence

IRIS = Iris()
ONTOLOGY = str(IRIS.ontology)
GENERATOR = Path(__file__).parents[2] / "bench" / "generate.py"


def _indexed(release: Path, path: Path) -> EmbeddedStore:
    store = EmbeddedStore(path)
    load_inputs(store, release, IRIS)
    write_index(store.native, path)
    del store
    return EmbeddedStore(path, read_only=True)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return _indexed(bundled_release()[1], tmp_path_factory.mktemp("bundled"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    tmp = tmp_path_factory.mktemp("generated")
    subprocess.run([sys.executable, str(GENERATOR), "--pledges", "120", "--seed", "5",
                    "--out", str(tmp / "corpus")], check=True, capture_output=True, timeout=120)
    data = tmp / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    cli("import", tmp / "corpus", "--data", data)
    cli("build", "--data", data, "--out", tmp / "dist", timeout=300)
    return _indexed(tmp / "dist", tmp / "store")


def _pledges(store: EmbeddedStore) -> list[str]:
    kind = ox.NamedNode(ONTOLOGY + "Pledge")
    return sorted(q.subject.value for q in store.native.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), kind))


def _compared(store: EmbeddedStore) -> int:
    """Check every pledge; return how many facts were compared."""
    facts = 0
    for iri in _pledges(store):
        read = evidence.read_facts(store.reader, iri, ONTOLOGY)
        queried = evidence.query_facts(SparqlWithoutReads(store), iri, ONTOLOGY)
        assert read == queried, iri
        facts += len(read)
        assert evidence.pledge_date(store, iri) == evidence.pledge_date(
            SparqlWithoutReads(store), iri), iri
    return facts


class SparqlWithoutReads:
    """The same store offering queries only, as an external SPARQL store does."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store

    def query(self, sparql: str, **options: object) -> object:
        return self.store.query(sparql, **options)  # type: ignore[arg-type]


def test_read_facts_are_the_queried_facts_on_the_bundled_release(bundled):
    assert _compared(bundled) >= 10


def test_read_facts_are_the_queried_facts_on_a_generated_corpus(generated):
    assert len(_pledges(generated)) >= 100
    assert _compared(generated) >= 100


def test_a_pledges_facts_keep_their_numbers_and_dates(bundled):
    iri = str(IRIS.pledge("japan-2023", 1))
    facts = evidence.fetch_facts(bundled, iri, ONTOLOGY)
    assert [f.number for f in facts] == list(range(1, len(facts) + 1))
    assert [(f.start, f.end) for f in facts] == sorted((f.start, f.end) for f in facts)
    assert evidence.pledge_date(bundled, iri).startswith("2023-")
