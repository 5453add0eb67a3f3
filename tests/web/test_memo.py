"""The memos of the page and JSON-LD writers (labels, short forms, links, compact IRIs)
hold no more than their bound, and a smaller bound changes nothing a resource answers: the
writer of prepared descriptions keeps few, the server many."""

from __future__ import annotations

import pytest
from web_server import bundled_release

from pledge_graph.rdf.vocab import Iris
from pledge_graph.site.documents import minted_iris, resource_documents
from pledge_graph.sparql.queries import example_triples, load_examples
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.loading import default_graph_files, load_inputs
from pledge_graph.store.published import published_forms
from pledge_graph.web import memo, page_terms, resources
from pledge_graph.web.app import Settings


@pytest.fixture
def bounded():
    yield memo.set_bound
    memo.set_bound(100_000)


def _settings() -> Settings:
    iris, examples = Iris(), load_examples()
    release = bundled_release()[1]
    extra = example_triples(examples, iris, str(iris.sparql()))
    store = EmbeddedStore()
    load_inputs(store, release, iris, extra_triples=extra)
    store.describe_as_published(published_forms(default_graph_files(release), extra))
    return Settings(store=store, iris=iris, release_dir=release, examples=examples)


def test_a_small_bound_keeps_memos_small_and_changes_no_answer(bounded):
    bounded(30)
    small = _settings()
    served, _ = minted_iris(small)
    assert len(served) > 400
    most = 0
    answers = {}
    for iri in served:
        answers[iri] = resource_documents(small, iri)
        most = max(most, len(page_terms._TERMS), len(resources._kept_labels[small.store]))
    assert 0 < most <= 30
    bounded(100_000)
    large = _settings()  # a store of its own: its labels are remembered afresh
    for iri in served:
        assert resource_documents(large, iri) == answers[iri], iri
    assert len(page_terms._TERMS) > 1000  # the server's bound kept them all
