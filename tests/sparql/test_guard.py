"""Finding SERVICE clauses in a query's text without running it (pledge_graph.sparql.guard)."""

from __future__ import annotations

import pytest

from pledge_graph.errors import QueryRefused
from pledge_graph.sparql.guard import MAX_SERVICE_WORDS, check_services, service_targets

TARGET = "http://127.0.0.1:9/sparql"


@pytest.mark.parametrize("query", [
    f"SELECT * WHERE {{ SERVICE <{TARGET}> {{ ?s ?p ?o }} }}",
    f"select * where {{ service silent <{TARGET}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SeRvIcE<{TARGET}>{{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICESILENT<{TARGET}>{{ }} }}",
    f"SELECT * WHERE {{ SERVICE # a comment\n <{TARGET}> # another\n {{ }} }}",
    "PREFIX e: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
    f"SELECT * WHERE {{ BIND(<{TARGET}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ ?s ?p 'x' # SERVICE\n SERVICE <{TARGET}> {{ }} }}",
    f"SELECT * WHERE {{ {{ {{ SERVICE <{TARGET}> {{ }} }} }} }}",
    # the two bypasses of the old tokenizer: an escaped quote in a prefixed name, and a
    # codepoint escape before a quote in an IRI, each made it see a string begin
    f"PREFIX a: <http://x/> SELECT * WHERE {{ ?s a:p a:x\\' . SERVICE <{TARGET}> {{ }} # '\n}}",
    f"SELECT * WHERE {{ BIND(<http://x/\\u0041'> AS ?x) SERVICE <{TARGET}> {{ }} # '\n}}",
    # where Oxigraph starts a token the grammar would not
    f"PREFIX ex: <http://x/> SELECT * WHERE {{ ?s ?p ex:a.b.SERVICE <{TARGET}> {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p trueSERVICE<{TARGET}>{{ }} }}",
    f"SELECT * WHERE {{ ?s ?p 1e5SERVICE<{TARGET}>{{ }} }}",
    # a less-than sign whose right side reads as an IRI holding a quote or a comment
    f"SELECT * WHERE {{ FILTER(?a <x:a&&'b> ') SERVICE <{TARGET}> {{ }} #'\n}}",
    f"SELECT * WHERE {{ FILTER(?a <x:a#> '''\n) SERVICE <{TARGET}> {{ }}\n#''' }}",
    # a codepoint escape decoded before tokenizing (SPARQL 1.1) makes the keyword
    f"SELECT * WHERE {{ \\u0053ERVICE <{TARGET}> {{ }} }}",
    # after a quote that opens no string, nothing is certain
    f"SELECT * WHERE {{ ?s ?p 'open\n SERVICE <{TARGET}> {{ }} }}",
])
def test_service_clauses_are_refused(query):
    with pytest.raises(QueryRefused, match="no outbound requests"):
        check_services(query)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p 'SERVICE <http://127.0.0.1:9/> {}' }",
    'SELECT * WHERE { ?s ?p """ SERVICE <http://x/> { } """ }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/> { }",
    "SELECT ?service WHERE { ?service ?p <http://example.org/SERVICE> }",
    "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:p ?o }",
    "PREFIX schema: <http://schema.org/> SELECT * WHERE { ?s a schema:Service }",
    "SELECT * WHERE { ?s <http://example.org/service#p> ?o FILTER(CONTAINS(?o, 'service')) }",
    ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT * WHERE { ?s rdfs:label ?l # SERVICE <http://x/> { }\n}"),
    "SELECT * WHERE { ?s ?p 'it''s' . ?s ?p \"a \\\" SERVICE <http://x/> { }\" }",
])
def test_the_word_service_elsewhere_is_not_a_service_call(query):
    assert service_targets(query) == []
    check_services(query)


def test_a_comment_after_an_iri_that_may_be_code_is_read_as_code():
    # were the < a less-than sign, the # would open a comment and the quote would not
    # open a string: the text after such an IRI is read without its exemptions
    query = "SELECT * WHERE { ?s <http://x/#a> ?o } # SERVICE <http://x/> { }"
    assert service_targets(query) == ["http://x/"]


def test_allowed_endpoints_may_be_called_and_others_not():
    allowed = [TARGET]
    escaped = TARGET.replace("s", "\\u0073", 1)
    check_services(f"SELECT * {{ SERVICE <{TARGET}> {{ ?s ?p ?o }} }}", allowed)
    check_services(f"SELECT * {{ SERVICE <{escaped}> {{ }} }}", allowed)
    with pytest.raises(QueryRefused, match="calls only"):
        check_services("SELECT * { SERVICE <http://127.0.0.1:10/sparql> { } }", allowed)
    with pytest.raises(QueryRefused, match="cannot be read"):
        check_services("SELECT * { SERVICE ?e { } }", allowed)
    with pytest.raises(QueryRefused, match="cannot be read"):
        check_services("SELECT * { SERVICE <sparql> { } }", allowed)
    with pytest.raises(QueryRefused, match="cannot be read"):
        check_services("SELECT * { SERVICE undeclared:x { } }", allowed)


def test_a_clause_whose_end_is_out_of_reach_is_refused():
    query = "SELECT * { SERVICE " + "#" + "x" * 10_000 + "\n<http://x/> { } }"
    assert service_targets(query) == [None]


def test_many_service_like_words_are_refused_outright():
    query = "SELECT * { " + "?s ?p ?o . SERVICE:x " * (MAX_SERVICE_WORDS + 1) + "}"
    with pytest.raises(QueryRefused, match="more than"):
        check_services(query)
