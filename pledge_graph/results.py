"""Writers for SPARQL answers: the four result formats (JSON, XML, CSV, TSV) and the graph
formats, keyed by media type.

Rows are written as they are read, so a capped iterator can stop a too-large answer before
it is sent; graphs go through pyoxigraph's serialisers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import TypeVar
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from .errors import StoreError

__all__ = [
    "BOOLEAN_TYPES",
    "GRAPH_TYPES",
    "SOLUTION_TYPES",
    "NotAcceptable",
    "T",
    "convert_solutions",
    "convert_triples",
    "write_boolean",
    "write_solutions",
    "write_triples",
]

T = TypeVar("T")

SOLUTION_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_SR = "http://www.w3.org/2005/sparql-results#"


class NotAcceptable(StoreError):
    """No acceptable media type for this kind of answer (``kind``: solutions/boolean/graph)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"no acceptable media type for {kind} results")
        self.kind = kind


Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]


def write_solutions(variables: Sequence[str], rows: Iterable[Row],
                    media_type: str) -> tuple[bytes, int]:
    """Given SELECT variables and rows, return the serialised results and the row count."""
    writer = {
        "application/sparql-results+json": _json_solutions,
        "application/sparql-results+xml": _xml_solutions,
        "text/csv": _csv_solutions,
        "text/tab-separated-values": _tsv_solutions,
    }.get(media_type)
    if writer is None:
        raise NotAcceptable("solutions")
    return writer(variables, rows)


def write_boolean(value: bool, media_type: str) -> bytes:
    """Given an ASK answer, return it serialised as SPARQL JSON or XML results."""
    if media_type == "application/sparql-results+json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if media_type == "application/sparql-results+xml":
        text = "true" if value else "false"
        return (f'<?xml version="1.0"?>\n<sparql xmlns="{_SR}"><head/>'
                f"<boolean>{text}</boolean></sparql>\n").encode()
    raise NotAcceptable("boolean")


_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_FEW = 10_000


def convert_solutions(tsv: bytes, media_type: str) -> bytes:
    """Given SELECT results as SPARQL TSV, return them in ``media_type``."""
    fmt = _RESULT_FORMATS.get(media_type)
    if fmt is None:
        raise NotAcceptable("solutions")
    if fmt is ox.QueryResultsFormat.TSV:
        return tsv
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return _bytes(solutions.serialize(format=fmt))


def convert_triples(ntriples: bytes, media_type: str,
                    prefixes: dict[str, str] | None = None) -> bytes:
    """Given triples as N-Triples, return them in a graph media type."""
    if media_type == "application/n-triples":
        return ntriples
    if media_type not in GRAPH_TYPES:
        raise NotAcceptable("graph")
    triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    return write_triples(triples, media_type, prefixes)


def write_triples(triples: Sequence[ox.Triple], media_type: str,
                  prefixes: dict[str, str] | None = None) -> bytes:
    """Given triples, return them serialised in a graph media type (prefixes for Turtle)."""
    fmt = GRAPH_TYPES.get(media_type)
    if fmt is None:
        raise NotAcceptable("graph")
    if fmt is ox.RdfFormat.TURTLE:
        if prefixes is None:
            from .vocab import PREFIXES  # loads rdflib: only where Turtle is written

            prefixes = {k: str(v) for k, v in PREFIXES.items()}
        used = _used_prefixes(triples, prefixes) if len(triples) <= _FEW else prefixes
        return _bytes(ox.serialize(triples, format=fmt, prefixes=used))
    return _bytes(ox.serialize(triples, format=fmt))


def _bytes(serialised: bytes | None) -> bytes:
    """pyoxigraph returns the bytes when no output file is given."""
    assert serialised is not None
    return serialised


def _used_prefixes(triples: Sequence[ox.Triple], table: dict[str, str]) -> dict[str, str]:
    """The prefixes some IRI of ``triples`` uses, leaving out any under which an IRI would
    need escapes (``id:pledge\\/japan-2023\\/1``): those IRIs read better written in full."""
    iris = {t.predicate.value for t in triples}
    iris |= {n.value for t in triples for n in (t.subject, t.object) if isinstance(n, ox.NamedNode)}
    used = {}
    for prefix, ns in table.items():
        locals_ = [i[len(ns):] for i in iris if i.startswith(ns)]
        if locals_ and not any("/" in name or "#" in name for name in locals_):
            used[prefix] = ns
    return used


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {
        "subject": _json_term(term.subject), "predicate": _json_term(term.predicate),
        "object": _json_term(term.object)}}


def _json_solutions(variables: Sequence[str], rows: Iterable[Row]) -> tuple[bytes, int]:
    bindings = [{v: _json_term(t) for v, t in zip(variables, row) if t is not None}
                for row in rows]
    body = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    return json.dumps(body, ensure_ascii=False).encode(), len(bindings)


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != _XSD_STRING:
            dt = quoteattr(term.datatype.value)
            return f"<literal datatype={dt}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>"
            f"{_xml_term(term.predicate)}</predicate><object>{_xml_term(term.object)}"
            "</object></triple>")


def _xml_solutions(variables: Sequence[str], rows: Iterable[Row]) -> tuple[bytes, int]:
    out = [f'<?xml version="1.0"?>\n<sparql xmlns="{_SR}">\n<head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head>\n<results>")
    count = 0
    for row in rows:
        count += 1
        out.append("<result>")
        out += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row) if t is not None]
        out.append("</result>")
    out.append("</results>\n</sparql>\n")
    return "\n".join(out).encode(), count


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


def _csv_solutions(variables: Sequence[str], rows: Iterable[Row]) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(variables)
    count = 0
    for row in rows:
        count += 1
        writer.writerow([_csv_value(t) for t in row])
    return buffer.getvalue().encode(), count


def _tsv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if (isinstance(term, ox.Literal) and term.datatype.value == _XSD_INTEGER
            and term.value.lstrip("+-").isdigit()):
        return term.value
    return str(term).replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _tsv_solutions(variables: Sequence[str], rows: Iterable[Row]) -> tuple[bytes, int]:
    lines = ["\t".join("?" + v for v in variables)]
    count = 0
    for row in rows:
        count += 1
        lines.append("\t".join(_tsv_value(t) for t in row))
    return ("\n".join(lines) + "\n").encode(), count
