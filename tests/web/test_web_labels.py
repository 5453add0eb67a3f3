"""The labels a resource page shows for its links: read from the page's own description,
from labels kept from earlier pages, or from the store, and always the store's labels."""

from __future__ import annotations

import pyoxigraph as ox

from pledge_graph.web.app import Settings
from pledge_graph.web.page_terms import split_lines
from pledge_graph.web.resources import linked_names


def test_page_labels_equal_the_stores_labels_when_read_again(bundled_store):
    """A page's labels come from its own description (its parts), from labels kept from
    earlier pages, or from the store: the same labels each time, and the store's."""
    settings = Settings(store=bundled_store)
    quads = bundled_store.native.quads_for_pattern(None, None, None)
    subjects = sorted({q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)})
    labelled = 0
    for _ in range(2):
        for iri in subjects:
            triples = bundled_store.description(iri)
            linked = {term.value for t in triples for term in (t.subject, t.object)
                      if isinstance(term, ox.NamedNode) and term.value != iri}
            names = linked_names(settings, iri, split_lines([f"{t} .\n" for t in triples]))
            assert names == bundled_store.labels(sorted(linked)), iri
            labelled += len(names)
    assert labelled > 1000
