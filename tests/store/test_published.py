"""The literals as a release's files write them, kept beside the store's forms: read from
the files (N-Triples line by line, other formats whole), matched with the store's writing of
each triple, and read back the same from the lookup index and from a store without one."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.index import INDEX_NAME, TripleIndex, write_index
from pledge_graph.store.lookup import StoreReader
from pledge_graph.store.published import PublishedReader, published_forms

XSD = "http://www.w3.org/2001/XMLSchema#"
S = "<http://example.org/s>"


def ex(name: str) -> str:
    return f"<http://example.org/{name}>"


LINES = [
    f'{S} {ex("number")} "03"^^<{XSD}positiveInteger> .\n',
    f'{S} {ex("count")} "3"^^<{XSD}integer> .\n',  # the same value twice: one triple stored
    f'{S} {ex("count")} "3"^^<{XSD}int> .\n',
    f'{S} {ex("text")} "a \\"^^<{XSD}int> in a string" .\n',
    f'{S} {ex("amount")} "1.50"^^<{XSD}decimal> .\r\n',
    f'{S} {ex("year")} "2023"^^<{XSD}gYear> .\n',
    f'{S} {ex("part")} _:b .\n',
    f'_:b {ex("number")} "7"^^<{XSD}positiveInteger> .\n',
]
PUBLISHED = {
    (S, ex("number"), f'"3"^^<{XSD}integer>'): [f'"03"^^<{XSD}positiveInteger>'],
    (S, ex("count"), f'"3"^^<{XSD}integer>'): [f'"3"^^<{XSD}integer>', f'"3"^^<{XSD}int>'],
    (S, ex("amount"), f'"1.5"^^<{XSD}decimal>'): [f'"1.50"^^<{XSD}decimal>'],
}
"""What the store writes otherwise, and how the file writes it (the blank node's literal
is not matched: a store names the blank nodes it loads afresh)."""


@pytest.fixture
def release(tmp_path: Path) -> Path:
    path = tmp_path / "data.nt"
    path.write_bytes("".join(LINES).encode())
    return path


def test_the_forms_the_store_rewrites_are_read_from_the_file(release):
    assert published_forms([release]) == PUBLISHED


def test_turtle_and_the_default_graph_of_n_quads_are_read_whole(tmp_path):
    ttl = tmp_path / "data.ttl"
    ttl.write_text(f'@prefix xsd: <{XSD}> . {S} {ex("number")} "03"^^xsd:positiveInteger .\n')
    nq = tmp_path / "data.nq"
    nq.write_text(f'{S} {ex("size")} "12"^^<{XSD}nonNegativeInteger> .\n'
                  f'{S} {ex("named")} "12"^^<{XSD}nonNegativeInteger> {ex("graph")} .\n')
    extra = [ox.Triple(ox.NamedNode("http://example.org/q"), ox.NamedNode("http://example.org/n"),
                       ox.Literal("01", datatype=ox.NamedNode(XSD + "short")))]
    assert published_forms([ttl, nq], extra) == {
        (S, ex("number"), f'"3"^^<{XSD}integer>'): [f'"03"^^<{XSD}positiveInteger>'],
        (S, ex("size"), f'"12"^^<{XSD}integer>'): [f'"12"^^<{XSD}nonNegativeInteger>'],
        (ex("q"), ex("n"), f'"1"^^<{XSD}integer>'): [f'"01"^^<{XSD}short>'],
    }


def test_the_index_and_a_store_without_one_read_both_forms(release, tmp_path):
    directory = tmp_path / "store"
    store = ox.Store(str(directory))
    store.bulk_load(path=str(release), format=ox.RdfFormat.N_TRIPLES)
    stored = sorted(StoreReader(store).outgoing(S))
    assert len(stored) == len(LINES) - 2  # the two counts are one triple in the store
    assert write_index(store, directory, published_forms([release])) == directory / INDEX_NAME
    del store
    view = EmbeddedStore(directory, read_only=True)
    index = TripleIndex(directory / INDEX_NAME)
    as_written = {(p, o) for line in LINES if line.startswith(S)
                  for _, p, o in [line.rstrip("\r\n")[:-2].split(" ", 2)] if o != "_:b"}
    assert sorted(index.outgoing(S)) == stored  # query answers: the store's forms
    read = index.published().outgoing(S)
    assert {(p, o) for p, o in read if not o.startswith("_:")} == as_written
    assert len(read) == len(as_written) + 1
    without = PublishedReader(StoreReader(view.native), published_forms([release]))
    assert sorted(without.outgoing(S)) == sorted(index.published().outgoing(S))
    assert index.published().outgoing(S, ex("count")) == without.outgoing(S, ex("count"))
    assert len(index.published().outgoing(S, most=2)) == len(without.outgoing(S, most=2)) == 2
    described = view.description_lines(S.strip("<>"))
    assert f'{S} {ex("number")} "03"^^<{XSD}positiveInteger> .\n' in described
    assert "_:" in "".join(described)  # the blank node's triples, in the store's form
