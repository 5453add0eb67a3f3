"""Content negotiation: one table of requests and the format each must get."""

from __future__ import annotations

import pytest

from pledge_graph.sparql.results import BOOLEAN_TYPES, GRAPH_TYPES, SOLUTION_TYPES
from pledge_graph.web.negotiation import FORMATS, Unacceptable, negotiate, parse_accept

RESOURCE = ("page", "graph")
SELECT = ("solutions", "page")
GRAPH_QUERY = ("graph", "page")
DESCRIPTION = ("graph", "page")

CASES = [
    # (what is on offer, Accept, ?format=, expected media type)
    (RESOURCE, None, None, "text/html"),
    (RESOURCE, "", None, "text/html"),
    (RESOURCE, "*/*", None, "text/html"),
    (RESOURCE, "text/html", None, "text/html"),
    (RESOURCE, "text/turtle", None, "text/turtle"),
    (RESOURCE, "application/ld+json", None, "application/ld+json"),
    (RESOURCE, "application/n-triples", None, "application/n-triples"),
    (RESOURCE, "application/rdf+xml", None, "application/rdf+xml"),
    (RESOURCE, "text/html;q=0.5, text/turtle", None, "text/turtle"),
    (RESOURCE, "application/rdf+xml;q=0.9, text/html", None, "text/html"),
    (RESOURCE, "text/*", None, "text/html"),
    (RESOURCE, "application/*", None, "application/ld+json"),
    (RESOURCE, "text/html;q=0, */*;q=0.1", None, "text/turtle"),
    (RESOURCE, "text/turtle", "jsonld", "application/ld+json"),
    (RESOURCE, "text/html", "ttl", "text/turtle"),
    (RESOURCE, None, "nt", "application/n-triples"),
    (RESOURCE, None, "rdf", "application/rdf+xml"),
    (RESOURCE, "text/turtle", "html", "text/html"),
    (RESOURCE, "application/ld+json", "application/rdf+xml", "application/rdf+xml"),
    # Comunica's Accept for documents: RDF, not HTML
    (RESOURCE, ("application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,"
               "application/n-triples;q=0.8,text/turtle;q=0.6,application/rdf+xml;q=0.5,"
               "text/html;q=0.2"), None, "application/ld+json"),
    # a browser
    (RESOURCE, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None,
     "text/html"),
    (SELECT, None, None, "application/sparql-results+json"),
    (SELECT, "*/*", None, "application/sparql-results+json"),
    (SELECT, "application/sparql-results+json,text/turtle", None,
     "application/sparql-results+json"),
    (SELECT, "application/sparql-results+xml", None, "application/sparql-results+xml"),
    (SELECT, "text/csv", None, "text/csv"),
    (SELECT, "text/tab-separated-values", None, "text/tab-separated-values"),
    (SELECT, "application/json", None, "application/sparql-results+json"),
    (SELECT, "application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7",
     None, "application/sparql-results+json"),
    (SELECT, "text/html,application/xhtml+xml,*/*;q=0.8", None, "text/html"),
    (SELECT, None, "json", "application/sparql-results+json"),
    (SELECT, None, "xml", "application/sparql-results+xml"),
    (SELECT, None, "csv", "text/csv"),
    (SELECT, None, "tsv", "text/tab-separated-values"),
    (GRAPH_QUERY, None, None, "text/turtle"),
    (GRAPH_QUERY, "*/*", None, "text/turtle"),
    (GRAPH_QUERY, "application/rdf+xml", None, "application/rdf+xml"),
    (GRAPH_QUERY, "application/turtle", None, "text/turtle"),
    (GRAPH_QUERY, None, "xml", "application/rdf+xml"),
    (GRAPH_QUERY, None, "json", "application/ld+json"),
    (DESCRIPTION, "text/html", None, "text/html"),
]


@pytest.mark.parametrize(("kinds", "accept", "fmt", "expected"), CASES)
def test_negotiate_picks_the_expected_format(kinds, accept, fmt, expected):
    assert negotiate(accept, kinds, fmt).media_type == expected


UNACCEPTABLE = [
    (RESOURCE, "image/png", None),
    (RESOURCE, "image/*", None),
    (RESOURCE, "garbage", None),
    (RESOURCE, "text/html;q=abc", None),
    (RESOURCE, "text/html;q=2", None),
    (RESOURCE, "*/html", None),
    (RESOURCE, None, "png"),
    (SELECT, "text/turtle", None),
    (("boolean",), "text/csv", None),
    (GRAPH_QUERY, "application/sparql-results+json", None),
]


@pytest.mark.parametrize(("kinds", "accept", "fmt"), UNACCEPTABLE)
def test_nothing_fitting_is_refused_with_the_alternatives(kinds, accept, fmt):
    with pytest.raises(Unacceptable) as caught:
        negotiate(accept, kinds, fmt)
    offered = {f.media_type for f in caught.value.alternatives}
    assert offered and all(any(k in f.kinds for k in kinds) for f in caught.value.alternatives)


def test_parse_accept_reads_q_values_and_ignores_other_parameters():
    assert parse_accept("text/turtle;charset=utf-8;q=0.5, application/ld+json") == [
        ("text/turtle", 0.5), ("application/ld+json", 1.0)]


def test_every_result_format_in_the_table_has_a_writer():
    for f in FORMATS:
        if "solutions" in f.kinds:
            assert f.media_type in SOLUTION_TYPES
        if "boolean" in f.kinds:
            assert f.media_type in BOOLEAN_TYPES
        if "graph" in f.kinds:
            assert f.media_type in GRAPH_TYPES
    assert len({f.key for f in FORMATS}) == len(FORMATS)
