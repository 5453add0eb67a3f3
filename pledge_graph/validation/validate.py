"""Validate N-Triples terms against the SHACL shapes: pyshacl, the reference implementation,
and the shapes compiled by the ``shacl`` engine (:mod:`~pledge_graph.validation.shacl_compiled`).

The build checks every batch of records with :func:`validate_triples`: the compiled shapes,
with pyshacl alongside where the build asks for it (:mod:`~pledge_graph.build.batches` says
where); where both run, their findings must be equal. Every shape looks at one submission at
most, so checking batch by batch finds exactly what one run over the whole graph would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from pledge_graph.errors import BuildError
from pledge_graph.rdf.ntriples import Triple, nt_term, rdflib_graph
from pledge_graph.rdf.vocab import SH
from pledge_graph.validation.report import Finding
from pledge_graph.validation.shacl_compiled import CompiledShapes

__all__ = ["check_with_pyshacl", "validate_triples"]


_PREPARED: dict[str, Query] = {}


class _Data(Graph):
    """A data graph that parses each SPARQL constraint once, not once per focus node.

    pyshacl runs a SPARQL-based constraint as query text for every focus node; parsing that
    text dominates validation time, so prepared queries are kept by text.
    """

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(query_object, str):
            prepared = _PREPARED.get(query_object)
            if prepared is None:
                prepared = _PREPARED[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def _graph(parts: Iterable[Iterable[Triple]]) -> Graph:
    graph = _Data()
    for triples in parts:
        rdflib_graph(triples, graph)
    return graph


def _term(graph: Graph, node: Node, predicate: URIRef) -> str:
    value = graph.value(node, predicate)
    if value is None or not isinstance(value, (URIRef, Literal)):
        return ""
    return nt_term(value)


def _findings(results: Graph) -> list[Finding]:
    found = []
    for result in results.objects(None, SH.result):
        found.append(Finding(
            severity=str(results.value(result, SH.resultSeverity)),
            focus=_term(results, result, SH.focusNode),
            shape=_term(results, result, SH.sourceShape),
            path=_term(results, result, SH.resultPath),
            value=_term(results, result, SH.value),
            message=str(results.value(result, SH.resultMessage) or ""),
            component=str(results.value(result, SH.sourceConstraintComponent) or ""),
        ))
    return found


def check_with_pyshacl(triples: Iterable[Triple], shapes: Graph) -> list[Finding]:
    """Validate ``triples`` with pyshacl, the reference implementation of SHACL."""
    _, results, _ = pyshacl.validate(_graph([triples]), shacl_graph=shapes, inference="none",
                                     allow_warnings=True, inplace=True)
    return _findings(results)




def validate_triples(triples: Sequence[Triple], shapes: Graph, compiled: CompiledShapes, *,
                     validator: str, pyshacl: bool, what: str) -> tuple[list[Finding], str]:
    """Check ``triples``; return the findings and which engines checked them.

    ``validator`` is "both" (the compiled shapes, with pyshacl alongside when ``pyshacl``) or
    "pyshacl" (pyshacl alone). With both engines, a difference between their findings is a
    defect of pledge-graph, not of the data: the build stops and says where (``what``),
    rather than publish a doubtful report.
    """
    if validator == "pyshacl":
        return check_with_pyshacl(triples, shapes), "pyshacl"
    found = compiled.check(triples)
    if not pyshacl:
        return found, "compiled"
    reference = check_with_pyshacl(triples, shapes)
    if set(reference) != set(found):
        only_ref = sorted(set(reference) - set(found))[:3]
        only_compiled = sorted(set(found) - set(reference))[:3]
        raise BuildError(
            f"the shacl engine and pyshacl disagree on {what}: pyshacl alone found "
            f"{only_ref}, the shacl engine alone {only_compiled}",
            expected="equal findings; build with --validator pyshacl meanwhile, and report it")
    return found, "both"
