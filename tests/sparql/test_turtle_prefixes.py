"""Turtle answers declare the prefixes their IRIs use, and say what the N-Triples say: on
every description of the bundled release, read by rdflib (an independent parser)."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare
from web_server import bundled_release

from pledge_graph.rdf.vocab import Iris, prefixes
from pledge_graph.sparql.queries import example_triples, load_examples
from pledge_graph.sparql.results import TURTLE, iris_of_lines, used_prefixes, write_lines
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.loading import load_inputs

IRIS = Iris()
TABLE = prefixes(IRIS)


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    store = EmbeddedStore()
    extra = example_triples(load_examples(), IRIS, str(IRIS.sparql()))
    load_inputs(store, bundled_release()[1], IRIS, extra_triples=extra)
    return store


def _plain_choice(iris: set[str]) -> dict[str, str]:
    """The rule, written plainly: a namespace is declared when it is some IRI's parent (its
    text up to the last ``/`` or ``#``) and no IRI's parent lies deeper under it."""
    parents = {re.sub(r"[^/#]*$", "", iri) for iri in iris}
    return {prefix: ns for prefix, ns in TABLE.items()
            if ns in parents and not any(p.startswith(ns) and p != ns for p in parents)}


def test_every_description_in_turtle_declares_what_it_uses_and_reads_as_its_triples(store):
    subjects = sorted({line.split(" ", 1)[0][1:-1] for line in
                       store.native.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines()
                       if line.startswith("<")})
    assert len(subjects) > 300
    declared_some = 0
    for iri in subjects:
        lines = store.description_lines(iri)
        assert lines, iri
        turtle = write_lines(lines, TURTLE, TABLE).decode()
        declared = dict(re.findall(r"^@prefix (\w+): <([^>]*)> \.$", turtle, re.MULTILINE))
        assert declared == _plain_choice(iris_of_lines(lines)), iri
        assert declared == used_prefixes(iris_of_lines(lines), TABLE), iri
        declared_some += bool(declared)
        read = rdflib.Graph().parse(data=turtle, format="turtle")
        expected = rdflib.Graph().parse(data="".join(lines), format="nt")
        assert rdflib.compare.isomorphic(read, expected), iri
    assert declared_some > 300


def test_a_namespace_an_iri_lies_deeper_under_is_not_declared():
    ns = TABLE["id"]
    assert used_prefixes({ns + "pledge/japan-2023/1"}, TABLE) == {}
    assert used_prefixes({ns + "state", TABLE["pg"] + "Pledge"}, TABLE) == {
        "id": ns, "pg": TABLE["pg"]}
    assert used_prefixes({ns + "state", ns + "pledge/japan-2023/1"}, TABLE) == {}
