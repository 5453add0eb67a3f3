"""SHACL for every batch of a build: the shapes compiled once by the ``shacl`` engine.

The build checks each batch of records with the `shacl <https://pypi.org/project/shacl/>`_
engine (Rust, its shapes compiled once per build and shared by the forked workers), and
pyshacl, the reference implementation, alongside where :mod:`~pledge_graph.build.batches` says;
where both run, their findings must be equal. This module only puts the engine's results in
the form pyshacl's give (:class:`~pledge_graph.validation.report.Finding`): terms as rdflib holds them
(typed literals in their canonical form), a result path only when it is one predicate, the
first ``sh:message``.

Until this engine, the project compiled its shapes into Python checks here itself (1,170
lines, equal to pyshacl by the tests). ``bench/shacl_engines.py`` measured the engines on
PyPI against them (docs/model.md, "SHACL engines"): ``shacl`` 0.3.4 passes the W3C SHACL core
suite (98 of 98), gives pyshacl's findings on every shape fixture, on the bundled data and on
every batch of generated 10k and 100k corpora, checks a batch in a little less CPU time than
the project's own checks did, and a 100k build with it used no more CPU and less memory,
with the same dumps, so it replaced them. pyshacl-turbo 0.6.5 also gives pyshacl's findings but takes
about 30 times as long per batch; shacl-rust 0.2.12 loses the value of SPARQL-based
constraints; pyrudof 0.3.35 writes terms and messages of its own and reports violations
pyshacl does not.

Where SHACL leaves room and the data are broken, the engines can part, on values that no
record can produce: an ill-typed value or an IRI compared by ``sh:lessThan`` or
``sh:lessThanOrEquals`` (``shacl`` follows the specification's "cannot be compared" where
pyshacl follows rdflib) and an ill-formed ``xsd:hexBinary``; each such node has a violation
both find. Where pyshacl runs too, such a batch stops the build as a disagreement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import shacl
from rdflib import Graph

from pledge_graph.errors import ShapesError
from pledge_graph.rdf.ntriples import Triple, nt_term, rdflib_term
from pledge_graph.validation.report import Finding

__all__ = ["CompiledShapes", "compile_shapes"]

_PREDICATE = re.compile(r"<[^<>\s]*>")


def _term(text: str | None) -> str:
    """A term as pyshacl reports it: IRIs as they are, literals as rdflib holds them."""
    if not text or text.startswith("_:"):
        return ""
    if text.startswith("<"):
        return text
    return nt_term(rdflib_term(text))


def _path(text: str | None) -> str:
    """pyshacl's findings keep a result path only when it is one predicate."""
    return text if text and _PREDICATE.fullmatch(text) else ""


class CompiledShapes:
    """A shapes graph compiled once; :meth:`check` validates one batch of triples."""

    def __init__(self, shapes: shacl.Shapes) -> None:
        self._shapes = shapes

    def check(self, triples: Iterable[Triple]) -> list[Finding]:
        """Return the findings pyshacl reports for these N-Triples terms (no blank nodes)."""
        text = "".join([f"{s} {p} {o} .\n" for s, p, o in triples])
        try:
            report = self._shapes.validate_text(text, format="ntriples", allow_warnings=True)
        except ValueError as error:
            raise ShapesError(f"the shacl engine cannot check the batch: {error}") from None
        found = (Finding(r.severity_iri, _term(r.focus_node), _term(r.source_shape),
                         _path(r.path), _term(r.value), r.message or "", r.component_iri)
                 for r in report.results)
        return list(dict.fromkeys(found))


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile the shapes graph (``shapes.shapes_graph``) with the shacl engine."""
    try:
        return CompiledShapes(shacl.Shapes.from_text(shapes.serialize(format="nt"),
                                                     format="ntriples"))
    except ValueError as error:
        raise ShapesError(f"the shacl engine refuses the shapes: {error}") from None
