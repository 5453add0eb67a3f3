"""Reading a query's form and its SERVICE calls without running it."""

from __future__ import annotations

import pytest

from pledge_graph.guard import check_services, query_form, service_targets
from pledge_graph.store import QueryRefused


@pytest.mark.parametrize(("query", "kind"), [
    ("SELECT * WHERE { ?s ?p ?o }", "solutions"),
    ("  # a comment\nPREFIX ex: <http://example.org/>\nBASE <http://x/>\nask { }", "boolean"),
    ("PREFIX select: <http://example.org/> CONSTRUCT WHERE { ?s select:p ?o }", "graph"),
    ("DESCRIBE <http://example.org/a>", "graph"),
    ("INSERT DATA { <a> <b> <c> }", None),
    ("CLEAR ALL", None),
    ("", None),
])
def test_query_form_is_read_after_the_prologue(query, kind):
    assert query_form(query) == kind


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { SeRvIcE<http://127.0.0.1:9/>{ ?s ?p ?o } }",
    "PREFIX e: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<http://127.0.0.1:9/> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p 'x' # SERVICE\n SERVICE <http://127.0.0.1:9/> { } }",
])
def test_service_clauses_are_refused(query):
    with pytest.raises(QueryRefused, match="no outbound requests"):
        check_services(query)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p 'SERVICE <http://127.0.0.1:9/> {}' }",
    'SELECT * WHERE { ?s ?p """ SERVICE <http://x/> """ }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/> { }",
    "SELECT ?service WHERE { ?service ?p <http://example.org/SERVICE> }",
    "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:p ?o }",
])
def test_the_word_service_elsewhere_is_not_a_service_call(query):
    assert service_targets(query) == []
    check_services(query)


def test_allowed_endpoints_may_be_called_and_others_not():
    allowed = ["http://127.0.0.1:9/sparql"]
    check_services("SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", allowed)
    with pytest.raises(QueryRefused, match="calls only"):
        check_services("SELECT * { SERVICE <http://127.0.0.1:10/sparql> { } }", allowed)
    with pytest.raises(QueryRefused, match="variable endpoint"):
        check_services("SELECT * { SERVICE ?e { } }", allowed)
