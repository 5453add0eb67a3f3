"""Pages show terms from the N-Triples text the store's reads give: every term of the
bundled release read so, and every hard case of the syntax, equals what pyoxigraph's own
parser reads from the same line."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pledge_graph.rdf.vocab import Iris
from pledge_graph.store.lookup import literal_parts
from pledge_graph.web.page_terms import iri_value, is_iri, split_lines, term_html, view_terms

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
HARD = [
    '<http://example.org/s> <http://example.org/p> "say \\"hi\\"\\n\\tthen \\\\ go" .\n',
    '<http://example.org/s> <http://example.org/p> "caf\\u00E9 \\U0001F600"@fr .\n',
    '<http://example.org/s> <http://example.org/p> "x y . z"^^<http://example.org/t> .\n',
    '<http://example.org/s> <http://example.org/p> "" .\n',
    "<http://example.org/s> <http://example.org/p> _:b0 .\n",
    "_:b1 <http://example.org/p> <http://example.org/caf\\u00E9> .\n",
    "<http://example.org/s> <http://example.org/p> <http://example.org/o?a=1&b=2#f> .\n",
]


class _Settings:
    iris = Iris()


def _as_parsed(text: str) -> object:
    """What pyoxigraph reads from one N-Triples term, in the form the page shows."""
    term = next(iter(ox.parse(f"<http://x/s> <http://x/p> {text} .".encode(),
                              format=ox.RdfFormat.N_TRIPLES))).object
    if isinstance(term, ox.Literal):
        return term.value, term.language, term.datatype.value
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def _as_read(text: str) -> object:
    if text[:1] == '"':
        value, language, datatype = literal_parts(text)
        return value, language, datatype or (
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString" if language else XSD_STRING)
    return iri_value(text) if is_iri(text) else text


def test_every_term_of_the_release_reads_as_the_parser_reads_it(bundled_store):
    quads = bundled_store.native.quads_for_pattern(None, None, None)
    subjects = sorted({q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)})
    seen = 0
    for iri in subjects:
        lines = bundled_store.description_lines(iri)
        parsed = [q.triple for q in ox.parse("".join(lines).encode(),
                                             format=ox.RdfFormat.N_TRIPLES)]
        rows = split_lines(lines)
        assert len(rows) == len(parsed), iri
        for (s, p, o), triple in zip(rows, parsed, strict=True):
            assert iri_value(p) == triple.predicate.value
            assert _as_read(s) == _as_parsed(str(triple.subject))
            assert _as_read(o) == _as_parsed(str(triple.object))
            assert f"{s} {p} {o}" == str(triple)  # the order pages sort by
            seen += 1
    assert seen > 5000


@pytest.mark.parametrize("line", HARD)
def test_escapes_languages_datatypes_and_blank_nodes_read_as_parsed(line):
    (s, _, o), = split_lines([line])
    triple = next(iter(ox.parse(line.encode(), format=ox.RdfFormat.N_TRIPLES))).triple
    assert _as_read(o) == _as_parsed(str(triple.object))
    assert _as_read(s) == _as_parsed(str(triple.subject))
    view = view_terms(_Settings(), {})
    shown = view.term(o)
    if isinstance(triple.object, ox.Literal):
        assert shown["text"] == triple.object.value and shown["href"] == ""
        hint = f"@{triple.object.language}" if triple.object.language else None
        assert shown["title"] == (hint or view.short(triple.object.datatype.value))
    elif isinstance(triple.object, ox.NamedNode):
        assert shown == {"text": view.short(triple.object.value),
                         "href": triple.object.value, "title": triple.object.value}
    else:
        assert shown == {"text": str(triple.object), "href": "", "title": ""}


def test_a_quoted_triple_is_shown_as_written_not_as_a_link():
    line = ("<http://example.org/s> <http://example.org/says> "
            '<<( <http://example.org/a> <http://example.org/b> "c" )>> .\n')
    (_, _, o), = split_lines([line])
    assert not is_iri(o)
    assert view_terms(_Settings(), {}).term(o) == {"text": o, "href": "", "title": ""}


@pytest.mark.parametrize("line", HARD)
def test_a_cell_is_the_html_of_its_term_under_the_pages_own_names(line):
    """Cells are kept by the term and the name it is shown by: one page's label for an IRI
    never shows on another page that names it otherwise, or not at all."""
    (s, p, o), = split_lines([line])
    plain = view_terms(_Settings(), {})
    for term in (s, p, o):
        for named in (True, False):
            assert plain.html(term, named=named) == term_html(plain.term(term, named=named))
    if is_iri(o):
        named = view_terms(_Settings(), {iri_value(o): "A <name>"})
        assert named.html(o) == term_html(named.term(o))
        assert "A &lt;name&gt;" in named.html(o)
        assert "A &lt;name&gt;" not in named.html(o, named=False)
        assert "A &lt;name&gt;" not in plain.html(o)
        assert view_terms(_Settings(), {iri_value(o): "B"}).html(o) != named.html(o)
