"""A document's own cut of the context: the entries it is read with, so it expands as it
does with the whole context, and none it never names."""

from __future__ import annotations

from pyld import jsonld

from pledge_graph.publish.jsonld import context_cut, context_names, load_context

CONTEXT = {"@context": {
    "@version": 1.1,
    "ex": "http://example.org/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "id": "http://example.org/id/",
    "unused": "http://unused.example/",
    "Thing": "ex:Thing",
    "Other": "ex:Other",
    "status": {"@id": "ex:status", "@type": "@vocab"},
    "Draft": "ex:Draft",
    "Final": "ex:Final",
    "when": {"@id": "ex:when", "@type": "xsd:date"},
    "link": {"@id": "ex:link", "@type": "@id"},
    "label": {"@id": "ex:label", "@container": "@language"},
    "part": {"@id": "ex:part", "@context": {"name": {"@id": "ex:partName"}}},
    "never": {"@id": "ex:never", "@type": "xsd:integer"},
}}


def _refuse(url: str, options: object = None) -> None:
    raise jsonld.JsonLdError(f"no network: {url}", "jsonld.LoadDocumentError")


def _expanded(document: dict) -> list:
    return jsonld.expand(document, {"documentLoader": _refuse})


def test_a_document_expands_as_with_the_whole_context() -> None:
    document = {
        "@id": "id:a", "@type": "Thing",
        "status": "Draft",  # a term as a value, through @type: @vocab
        "when": "2023-12-10",  # its datatype a compact IRI: xsd comes with it
        "link": "id:b",  # a coerced IRI: the prefix comes with it
        "label": {"en": "A"},
        "part": {"name": "inner"},  # a scoped context's terms come with it
        "ex:free": "a compact IRI key",
        "@reverse": {"link": {"@id": "id:c"}},
    }
    cut = context_cut(CONTEXT, context_names(CONTEXT, document))
    assert _expanded({**document, **cut}) == _expanded({**document, **CONTEXT})
    assert set(cut["@context"]) == {"@version", "ex", "xsd", "id", "Thing", "status", "Draft",
                                    "when", "link", "label", "part"}
    assert list(cut["@context"]) == [k for k in CONTEXT["@context"] if k in cut["@context"]]


def test_entries_never_named_are_left_out() -> None:
    names = context_names(CONTEXT, {"@id": "http://example.org/x", "ex:p": "plain text"})
    assert names == {"ex"}
    assert "Final" not in context_names(CONTEXT, {"@id": "id:a", "status": "Draft"})
    assert "never" not in context_names(CONTEXT, {"@id": "id:a", "when": "2024-01-01"})


def test_the_project_context_cut_for_a_pledge_is_a_fraction_of_it() -> None:
    context = load_context()
    document = {"@id": "id:pledge/x/1", "@type": "Pledge", "pledgeText": {"en": "We pledge."},
                "pledgedBy": "id:state/jpn"}
    cut = context_cut(context, context_names(context, document))
    assert len(cut["@context"]) < len(context["@context"]) / 4
    assert _expanded({**document, **cut}) == _expanded({**document, **context})
