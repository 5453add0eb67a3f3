"""SHACL validation compiled to plain Python: the build's fast path, equal to pyshacl.

pyshacl spends most of a batch on its own bookkeeping and on rdflib store lookups, about
11 ms of CPU per pledge. The shapes of this project use a small part of SHACL, so they are
compiled once into closures over dict indexes of the batch (subject -> predicate -> objects,
class -> instances) built from N-Triples term strings. Every finding is the one pyshacl
reports for the same data (``validate.check_with_pyshacl``), field for field; the tests
prove it on the project's shapes and data.

Where SHACL leaves room, pyshacl's reading through rdflib is kept: typed literals are taken
in rdflib's canonical form, datatype well-formedness and the ordering of literals other than
integers and decimals are rdflib's (one rdflib literal per distinct literal, cached), nested
shapes conform as under pyshacl's ``allow_warnings``, and SPARQL-based constraints have
``$this`` pre-bound per focus node. A constraint made of graph patterns and filters is
matched once per batch over the indexes and its rows are shared out by ``?this`` (the same
rows); any other query runs on rdflib's SPARQL engine per focus node, over a read-only view
of the batch.

A shapes graph that uses any SHACL feature not implemented here is refused when it is
compiled (:class:`~pledge_graph.errors.ShapesError`), so no shape is ever skipped silently.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.evalutils import _ebv
from rdflib.plugins.sparql.sparql import FrozenBindings, Query, QueryContext
from rdflib.store import Store
from rdflib.term import Identifier, Node, Variable

from .errors import ShapesError
from .ntriples import nt_term
from .paths import SHAPES_DIR
from .validate import Finding
from .vocab import OWL, RDF, RDFS, SH, XSD

__all__ = ["CompiledShapes", "compile_shapes"]

Term = str  # an N-Triples term: <iri>, "lex", "lex"@en or "lex"^^<datatype>
_Emit = Callable[[Term, Term, str], None]  # focus, value ("" when none), component IRI

_SH = str(SH)
_TYPE = nt_term(RDF.type)
_SUBCLASS = nt_term(RDFS.subClassOf)
_XSD_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)
_RDFS_LITERAL = str(RDFS.Literal)
_RDFS_DATATYPE = str(RDFS.Datatype)
# severities that still conform under pyshacl's allow_warnings
_ALLOWED = frozenset({str(SH.Info), str(SH.Warning)})
_EMPTY: frozenset[Term] = frozenset()
_NO_PREDICATES: dict[Term, set[Term]] = {}

# ----------------------------------------------------------------------------------------
# What the compiler knows
# ----------------------------------------------------------------------------------------

_TARGETS = ("targetClass", "targetSubjectsOf", "targetObjectsOf")
_CONSTRAINTS = ("minCount", "maxCount", "datatype", "class", "nodeKind", "pattern", "in",
                "hasValue", "minLength", "uniqueLang", "equals", "lessThan", "lessThanOrEquals",
                "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount", "or", "not",
                "property", "sparql")
_ANNOTATIONS = ("path", "severity", "message", "deactivated", "name", "description", "group",
                "order", "select", "prefixes", "declare", "prefix", "namespace")
_SUPPORTED = frozenset(SH[name] for name in _TARGETS + _CONSTRAINTS + _ANNOTATIONS)
_SUPPORTED_TYPES = frozenset(SH[name] for name in (
    "NodeShape", "PropertyShape", "PropertyGroup", "SPARQLConstraint", "PrefixDeclaration"))
_SINGLE = ("minCount", "maxCount", "datatype", "nodeKind", "in", "minLength", "uniqueLang",
           "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount", "severity",
           "message", "deactivated", "path")
_NODE_KINDS = {
    SH.IRI: (True, False), SH.Literal: (False, True), SH.IRIOrLiteral: (True, True),
    SH.BlankNode: (False, False), SH.BlankNodeOrIRI: (True, False),
    SH.BlankNodeOrLiteral: (False, True),
}


def _component(name: str) -> str:
    return f"{_SH}{name}ConstraintComponent"


# ----------------------------------------------------------------------------------------
# N-Triples terms
# ----------------------------------------------------------------------------------------

_UNESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))')
_SIMPLE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
           "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    short, long, char = match.groups()
    if char is not None:
        return _SIMPLE.get(char, char)
    return chr(int(short or long, 16))


_PARSED: dict[Term, tuple[str, str, str]] = {}


def _literal(term: Term) -> tuple[str, str, str]:
    """Split a literal term into (lexical form, language, datatype IRI or "")."""
    parts = _PARSED.get(term)
    if parts is None:
        end = term.rindex('"')
        lex, rest = term[1:end], term[end + 1:]
        if "\\" in lex:
            lex = _UNESCAPE.sub(_unescape, lex)
        lang = rest[1:] if rest.startswith("@") else ""
        datatype = rest[3:-1] if rest.startswith("^^") else ""
        if len(_PARSED) > 500_000:
            _PARSED.clear()
        parts = _PARSED[term] = (lex, lang, datatype)
    return parts


def _text(term: Term) -> str:
    """The string SHACL's pattern and length constraints look at (SPARQL str())."""
    return term[1:-1] if term[0] == "<" else _literal(term)[0]


_RDFLIB: dict[Term, Identifier] = {}


def _rdflib(term: Term) -> Identifier:
    """The rdflib term pyshacl would hold for this N-Triples term (cached per term)."""
    node = _RDFLIB.get(term)
    if node is None:
        if term[0] == "<":
            node = URIRef(term[1:-1])
        else:
            lex, lang, datatype = _literal(term)
            node = Literal(lex, lang=lang or None, datatype=URIRef(datatype) if datatype else None)
        if len(_RDFLIB) > 500_000:
            _RDFLIB.clear()
        _RDFLIB[term] = node
    return node


_CANONICAL: dict[Term, Term] = {}


def _canonical(term: Term) -> Term:
    """A typed literal as rdflib holds it: rdflib rewrites well-typed lexical forms to their
    canonical form ("1.5e3"^^xsd:double is "1500.0"), and pyshacl reports what rdflib holds."""
    if len(_CANONICAL) > 500_000:
        _CANONICAL.clear()
    found = _CANONICAL[term] = nt_term(_rdflib(term))
    return found


_TO_NT: dict[Node, Term] = {}


def _nt(node: Node) -> Term:
    term = _TO_NT.get(node)
    if term is None:
        if len(_TO_NT) > 500_000:
            _TO_NT.clear()
        term = _TO_NT[node] = nt_term(node)
    return term


# ----------------------------------------------------------------------------------------
# Literal semantics as pyshacl sees them through rdflib
# ----------------------------------------------------------------------------------------

_VALUE_TYPES: dict[str, type | tuple[type, ...]] = {
    _XSD_STRING: (str, bytes), _LANG_STRING: (str, bytes), str(XSD.integer): int,
    str(XSD.float): float, str(XSD.decimal): Decimal, str(XSD.boolean): bool,
    str(XSD.date): date, str(XSD.time): time, str(XSD.dateTime): datetime,
}
_WELL_TYPED: dict[tuple[Term, str], bool] = {}


def _has_datatype(term: Term, datatype: str) -> bool:
    """sh:datatype as pyshacl decides it: the datatype, well-formed, of the expected value type."""
    if term[0] != '"':
        return False
    _, lang, actual = _literal(term)
    if actual == datatype:
        key = (term, datatype)
        known = _WELL_TYPED.get(key)
        if known is None:
            node = _rdflib(term)
            assert isinstance(node, Literal)
            wanted = _VALUE_TYPES.get(datatype)
            known = node.ill_typed is not True and (wanted is None
                                                    or isinstance(node.value, wanted))
            if len(_WELL_TYPED) > 500_000:
                _WELL_TYPED.clear()
            _WELL_TYPED[key] = known
        return known
    if datatype == _RDFS_LITERAL:
        return True
    if datatype == _RDFS_DATATYPE:
        return bool(actual)
    if datatype == _XSD_STRING:
        return not actual and not lang
    return datatype == _LANG_STRING and bool(lang)


def _comparable(term: Term) -> tuple[bool, Any]:
    """(is a string, the value compared): IRIs and string literals compare as Python strings."""
    if term[0] == "<":
        return True, term[1:-1]
    lex, lang, datatype = _literal(term)
    if not datatype or datatype == _XSD_STRING or lang:
        return True, lex
    node = _rdflib(term)
    assert isinstance(node, Literal)
    if isinstance(node.value, str):
        return True, node.value
    return False, node


_EXACT_NUMBERS = frozenset(str(XSD[name]) for name in (
    "decimal", "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short",
    "byte", "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte", "positiveInteger"))
_NUMBERS: dict[Term, int | Decimal | None] = {}


def _number(term: Term) -> int | Decimal | None:
    """The value of a well-typed integer or decimal literal, else None.

    rdflib orders two such literals by value, so they compare here without rdflib; floats
    and doubles are left to rdflib, whose ordering of NaN differs from Python's.
    """
    if term[-1] != ">" or term[0] != '"':
        return None
    if term in _NUMBERS:
        return _NUMBERS[term]
    value = None
    if _literal(term)[2] in _EXACT_NUMBERS:
        node = _rdflib(term)
        assert isinstance(node, Literal)
        if node.ill_typed is not True and type(node.value) in (int, Decimal):
            value = node.value
    if len(_NUMBERS) > 500_000:
        _NUMBERS.clear()
    _NUMBERS[term] = value
    return value


def _ordered(left: Term, right: Term, strict: bool) -> bool:
    """sh:lessThan / sh:lessThanOrEquals for one pair, with pyshacl's rdflib comparison."""
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a < b if strict else a <= b
    left_string, a = _comparable(left)
    right_string, b = _comparable(right)
    if left_string != right_string:
        return False
    return bool(a < b) if strict else bool(a <= b)


# ----------------------------------------------------------------------------------------
# The batch: indexes over its triples
# ----------------------------------------------------------------------------------------

class _Batch:
    """The triples of one batch, indexed for the compiled shapes; built once per check."""

    def __init__(self, triples: Iterable[tuple[Term, Term, Term]], watched: frozenset[Term]):
        out: dict[Term, dict[Term, set[Term]]] = {}
        by_predicate: dict[Term, list[tuple[Term, Term]]] = {p: [] for p in watched}
        canonical = _CANONICAL.get
        for s, p, o in triples:
            if o[-1] == ">" and o[0] == '"':
                o = canonical(o) or _canonical(o)
            predicates = out.get(s)
            if predicates is None:
                predicates = out[s] = {}
            objects = predicates.get(p)
            if objects is None:
                predicates[p] = {o}
            elif o in objects:
                continue
            else:
                objects.add(o)
            if p in by_predicate:
                by_predicate[p].append((s, o))
        self.out = out
        self.by_predicate = by_predicate
        self.instances: dict[Term, set[Term]] = {}
        for s, o in by_predicate[_TYPE]:
            self.instances.setdefault(o, set()).add(s)
        self.supers: dict[Term, set[Term]] = {}
        self.subs: dict[Term, set[Term]] = {}
        for s, o in by_predicate[_SUBCLASS]:
            self.supers.setdefault(s, set()).add(o)
            self.subs.setdefault(o, set()).add(s)
        self._closure: dict[tuple[Term, bool], set[Term]] = {}
        self.foci: dict[tuple[Any, ...], list[Term]] = {}
        self.conforms: dict[tuple[int, Term], bool] = {}
        self.graph: Graph | None = None

    def objects(self, subject: Term, predicate: Term) -> set[Term] | frozenset[Term]:
        return self.out.get(subject, _NO_PREDICATES).get(predicate, _EMPTY)

    def closure(self, cls: Term, down: bool) -> set[Term]:
        """The class and its transitive subclasses (down) or superclasses in the data."""
        key = (cls, down)
        found = self._closure.get(key)
        if found is None:
            edges = self.subs if down else self.supers
            found, todo = {cls}, [cls]
            while todo:
                for nxt in edges.get(todo.pop(), ()):
                    if nxt not in found:
                        found.add(nxt)
                        todo.append(nxt)
            self._closure[key] = found
        return found

    def is_instance(self, term: Term, cls: Term) -> bool:
        if term[0] != "<":
            return False
        for kind in self.objects(term, _TYPE):
            if kind == cls or (self.supers and cls in self.closure(kind, False)):
                return True
        return False

    def rdflib_graph(self) -> Graph:
        """A read-only rdflib view of the batch, for rdflib's SPARQL engine."""
        if self.graph is None:
            self.graph = Graph(store=_BatchStore(self.out, self.by_predicate))
        return self.graph

    def store(self) -> _BatchStore:
        store = self.rdflib_graph().store
        assert isinstance(store, _BatchStore)
        return store


class _BatchStore(Store):
    """rdflib store interface over the batch index: terms are converted only when touched."""

    def __init__(self, out: dict[Term, dict[Term, set[Term]]],
                 watched: dict[Term, list[tuple[Term, Term]]]) -> None:
        super().__init__()
        self._out = out
        self._watched = watched
        self._pos: dict[Term, dict[Term, set[Term]]] | None = None
        self._one: dict[Term, dict[Term, set[Term]]] = {}
        self._sizes: dict[Term, int] = {}

    def _subjects(self, predicate: Term) -> dict[Term, set[Term]]:
        """object -> subjects for one predicate, from the batch's list when it keeps one."""
        if predicate not in self._watched:
            return self._by_predicate().get(predicate, {})
        index = self._one.get(predicate)
        if index is None:
            index = self._one[predicate] = {}
            for s, o in self._watched[predicate]:
                index.setdefault(o, set()).add(s)
        return index

    def _by_predicate(self) -> dict[Term, dict[Term, set[Term]]]:
        if self._pos is None:
            pos: dict[Term, dict[Term, set[Term]]] = {}
            for s, predicates in self._out.items():
                for p, objects in predicates.items():
                    index = pos.setdefault(p, {})
                    for o in objects:
                        index.setdefault(o, set()).add(s)
            self._pos = pos
        return self._pos

    def count(self, s: Term | None, p: Term | None, o: Term | None) -> int:
        """How many triples :meth:`matches` yields for the pattern (an upper bound when no
        predicate is given), in constant time once the predicate's index is built."""
        if s is not None:
            predicates = self._out.get(s, _NO_PREDICATES)
            if p is None:
                return sum(map(len, predicates.values()))
            objects = predicates.get(p, _EMPTY)
            return (o in objects) if o is not None else len(objects)
        if p is None:
            return sys.maxsize
        index = self._subjects(p)
        if o is not None:
            return len(index.get(o, _EMPTY))
        size = self._sizes.get(p)
        if size is None:
            size = self._sizes[p] = sum(map(len, index.values()))
        return size

    def matches(self, s: Term | None, p: Term | None,
                 o: Term | None) -> Iterator[tuple[Term, Term, Term]]:
        if s is not None:
            predicates = self._out.get(s, _NO_PREDICATES)
            for pred in (p,) if p is not None else predicates:
                objects = predicates.get(pred, _EMPTY)
                if o is not None:
                    if o in objects:
                        yield s, pred, o
                else:
                    for obj in objects:
                        yield s, pred, obj
            return
        if p is None:
            pos = self._by_predicate()
            indexes = [(pred, pos[pred]) for pred in pos]
        else:
            indexes = [(p, self._subjects(p))]
        for pred, index in indexes:
            for obj in (o,) if o is not None else index:
                for subj in index.get(obj, _EMPTY):
                    yield subj, pred, obj

    def triples(self, triple_pattern: Any, context: Any = None) -> Any:
        s, p, o = (None if t is None else _nt(t) if isinstance(t, (URIRef, Literal)) else ""
                   for t in triple_pattern)
        if "" in (s, p, o):
            return
        for triple in self.matches(s, p, o):
            yield (_rdflib(triple[0]), _rdflib(triple[1]), _rdflib(triple[2])), iter(())

    def __len__(self, context: Any = None) -> int:
        return sum(len(objs) for preds in self._out.values() for objs in preds.values())


# ----------------------------------------------------------------------------------------
# Compiled shapes
# ----------------------------------------------------------------------------------------

@dataclass(eq=False)
class _Shape:
    """One shape: its targets, its value nodes (path) and its compiled constraints."""

    name: str
    term: Term  # the shape as sh:sourceShape ("" for a blank node)
    severity: str
    message: str | None
    deactivated: bool
    path: tuple[Term, ...] | None = None
    path_term: Term = ""
    targets: tuple[tuple[str, Term], ...] = ()
    constraints: list[Callable[[_Batch, list[tuple[Term, Any]], _Emit], None]] = field(
        default_factory=list)
    extra: list[Callable[[_Batch, list[tuple[Term, Any]], list[Finding]], None]] = field(
        default_factory=list)

    def values(self, batch: _Batch, focus: Term) -> Any:
        if self.path is None:
            return (focus,)
        if len(self.path) == 1:
            return batch.objects(focus, self.path[0])
        nodes: set[Term] = {focus}
        for step in self.path:
            nodes = {o for n in nodes for o in batch.objects(n, step)}
        return nodes

    def focus_nodes(self, batch: _Batch) -> list[Term]:
        found = batch.foci.get(self.targets)
        if found is None:
            nodes: set[Term] = set()
            for kind, term in self.targets:
                if kind == "targetClass":
                    for cls in batch.closure(term, True) if batch.subs else (term,):
                        nodes.update(batch.instances.get(cls, ()))
                elif kind == "targetSubjectsOf":
                    nodes.update(s for s, _ in batch.by_predicate[term])
                else:
                    nodes.update(o for _, o in batch.by_predicate[term])
            found = batch.foci[self.targets] = list(nodes)
        return found

    def evaluate(self, batch: _Batch, foci: Iterable[Term]) -> list[Finding]:
        """Every result of this shape for the focus nodes, nested property shapes included."""
        if self.deactivated:
            return []
        pairs = [(f, self.values(batch, f)) for f in foci]
        results: list[Finding] = []
        if not pairs:
            return results
        severity, shape, path, message = self.severity, self.term, self.path_term, self.message

        def emit(focus: Term, value: Term, component: str) -> None:
            results.append(Finding(severity, focus, shape, path, value, message or "",
                                   component))

        for constraint in self.constraints:
            constraint(batch, pairs, emit)
        for extra in self.extra:
            extra(batch, pairs, results)
        return results

    def conforms(self, batch: _Batch, node: Term) -> bool:
        """Conformance as pyshacl decides it for a nested shape under allow_warnings."""
        if self.deactivated or self.severity in _ALLOWED:
            return True
        key = (id(self), node)
        known = batch.conforms.get(key)
        if known is None:
            known = batch.conforms[key] = all(
                r.severity in _ALLOWED for r in self.evaluate(batch, (node,)))
        return known


class CompiledShapes:
    """A shapes graph compiled once; :meth:`check` validates one batch of triples."""

    def __init__(self, shapes: list[_Shape], watched: frozenset[Term]) -> None:
        self._shapes = shapes
        self._watched = watched

    def check(self, triples: Iterable[tuple[str, str, str]]) -> list[Finding]:
        """Return the findings pyshacl reports for these N-Triples terms (no blank nodes)."""
        batch = _Batch(triples, self._watched)
        found: dict[Finding, None] = {}
        for shape in self._shapes:
            foci = shape.focus_nodes(batch)
            if foci:
                found.update(dict.fromkeys(shape.evaluate(batch, foci)))
        return list(found)


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile the shapes graph (``validate.shapes_graph``); refuse what is not implemented."""
    compiler = _Compiler(shapes)
    compiler.check_vocabulary()
    top = [compiler.shape(node) for node in compiler.targeted()]
    for shape in top:
        compiler.require_messages(shape)
    watched = frozenset(compiler.watched | {term for shape in top
                                            for kind, term in shape.targets
                                            if kind != "targetClass"})
    return CompiledShapes([s for s in top if not s.deactivated], watched)


class _Compiler:
    """Turns shape nodes of the shapes graph into :class:`_Shape` objects, once each."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.done: dict[Node, _Shape] = {}
        self.reported: set[int] = set()
        self.children: dict[int, list[_Shape]] = {}
        self.building: list[Node] = []
        self.watched: set[Term] = {_TYPE, _SUBCLASS}

    # -- refusing what is not implemented ------------------------------------------------

    def fail(self, node: Node, feature: str) -> ShapesError:
        seen = {node}
        while isinstance(node, BNode):  # name the shape around a path, list or nested shape
            parent = next(iter(self.g.subjects(None, node)), None)
            if parent is None or parent in seen:
                break
            seen.add(parent)
            node = parent
        name = self.label(node)
        file, line = _locate(node)
        return ShapesError(f"shape {name} uses {feature}, which the compiled SHACL validator "
                           "does not implement", file=file, line=line,
                           expected="only the SHACL features pledge_graph.shacl_compiled "
                                    "supports (or run pyshacl)")

    def label(self, node: Node) -> str:
        if isinstance(node, URIRef):
            return self.g.namespace_manager.normalizeUri(node)
        return str(node) if not isinstance(node, BNode) else "a blank-node shape"

    def check_vocabulary(self) -> None:
        for s, p, o in self.g:
            if isinstance(p, URIRef) and str(p).startswith(_SH) and p not in _SUPPORTED:
                raise self.fail(s, self.label(p))
            if p == RDF.type and isinstance(o, URIRef) and str(o).startswith(_SH) \
                    and o not in _SUPPORTED_TYPES:
                raise self.fail(s, f"rdf:type {self.label(o)}")
        for kind in (RDFS.Class, OWL.Class):
            for s in self.g.subjects(RDF.type, kind):
                if (s, RDF.type, SH.NodeShape) in self.g or (s, RDF.type, SH.PropertyShape) \
                        in self.g:
                    raise self.fail(s, "an implicit class target (a shape that is a class)")

    def targeted(self) -> list[Node]:
        nodes = {s for name in _TARGETS for s in self.g.subjects(SH[name], None)}
        return sorted(nodes, key=str)

    def require_messages(self, shape: _Shape) -> None:
        """Shapes whose results are reported need their own message (pyshacl's defaults are
        pyshacl's wording, not the project's)."""
        if id(shape) in self.reported:
            return
        self.reported.add(id(shape))
        if shape.message is None and shape.constraints:
            raise self.fail(_node_of(self.done, shape), "no sh:message (reported shapes "
                            "need one)")
        for child in self.children.get(id(shape), ()):
            self.require_messages(child)

    # -- reading the shapes graph ----------------------------------------------------------

    def one(self, node: Node, name: str) -> Node | None:
        values = list(self.g.objects(node, SH[name]))
        if len(values) > 1 and name in _SINGLE:
            raise self.fail(node, f"more than one sh:{name}")
        return values[0] if values else None

    def integer(self, node: Node, name: str) -> int | None:
        value = self.one(node, name)
        if value is None:
            return None
        if not isinstance(value, Literal) or type(value.value) is not int or value.value < 0:
            raise self.fail(node, f"sh:{name} {value!r} (a non-negative integer is expected)")
        return int(value.value)

    def term(self, node: Node, value: Node, name: str) -> Term:
        if not isinstance(value, (URIRef, Literal)):
            raise self.fail(node, f"a blank node as value of {name}")
        return nt_term(value)

    def items(self, node: Node, head: Node, name: str) -> list[Node]:
        if not isinstance(head, BNode) and head != RDF.nil:
            raise self.fail(node, f"sh:{name} that is not an RDF list")
        return list(Collection(self.g, head))

    def shape(self, node: Node) -> _Shape:
        if node in self.building:
            raise self.fail(node, "recursive shapes")
        known = self.done.get(node)
        if known is not None:
            return known
        self.building.append(node)
        try:
            return self.build(node)
        finally:
            self.building.pop()

    def build(self, node: Node) -> _Shape:
        message = self.one(node, "message")
        severity = self.one(node, "severity")
        deactivated = self.one(node, "deactivated")
        shape = _Shape(
            name=self.label(node),
            term=nt_term(node) if isinstance(node, URIRef) else "",
            severity=str(severity if severity is not None else SH.Violation),
            message=str(message) if message is not None else None,
            deactivated=bool(isinstance(deactivated, Literal) and deactivated.value is True),
        )
        self.done[node] = shape
        path = self.one(node, "path")
        if path is not None:
            steps = [path] if isinstance(path, URIRef) else self.items(node, path, "path")
            if not steps or not all(isinstance(step, URIRef) for step in steps):
                raise self.fail(node, "a path other than a predicate or a sequence of them")
            shape.path = tuple(nt_term(step) for step in steps)
            shape.path_term = nt_term(path) if isinstance(path, URIRef) else ""
        shape.targets = tuple(sorted(
            (name, nt_term(t)) for name in _TARGETS for t in self.g.objects(node, SH[name])
            if isinstance(t, URIRef)))
        if len(shape.targets) != sum(1 for n in _TARGETS for _ in self.g.objects(node, SH[n])):
            raise self.fail(node, "a target that is not an IRI")
        self.constraints(node, shape)
        return shape

    def constraints(self, node: Node, shape: _Shape) -> None:
        add = shape.constraints.append
        g = self.g
        min_count, max_count = self.integer(node, "minCount"), self.integer(node, "maxCount")
        if (min_count is not None or max_count is not None) and shape.path is None:
            raise self.fail(node, "sh:minCount/sh:maxCount on a node shape")
        if min_count is not None:
            add(_min_count(min_count))
        if max_count is not None:
            add(_max_count(max_count))
        datatype = self.one(node, "datatype")
        if datatype is not None:
            add(_datatype(str(datatype)))
        for cls in g.objects(node, SH["class"]):
            add(_class(self.term(node, cls, "sh:class")))
        kind = self.one(node, "nodeKind")
        if kind is not None:
            if kind not in _NODE_KINDS:
                raise self.fail(node, f"sh:nodeKind {kind}")
            add(_node_kind(*_NODE_KINDS[kind]))  # type: ignore[index]
        patterns = list(g.objects(node, SH.pattern))
        for pattern in patterns:
            if not isinstance(pattern, Literal):
                raise self.fail(node, "a sh:pattern that is not a literal")
            add(_pattern(re.compile(str(pattern))))
        allowed = self.one(node, "in")
        if allowed is not None:
            add(_in(frozenset(self.term(node, v, "sh:in")
                              for v in self.items(node, allowed, "in"))))
        for value in g.objects(node, SH.hasValue):
            add(_has_value(self.term(node, value, "sh:hasValue")))
        min_length = self.integer(node, "minLength")
        if min_length is not None:
            add(_min_length(min_length))
        unique = self.one(node, "uniqueLang")
        if unique is not None:
            if shape.path is None:
                raise self.fail(node, "sh:uniqueLang on a node shape")
            if isinstance(unique, Literal) and unique.value is True:
                add(_unique_lang)
        for name, make in (("equals", _equals), ("lessThan", _less_than(True)),
                           ("lessThanOrEquals", _less_than(False))):
            for other in g.objects(node, SH[name]):
                if not isinstance(other, URIRef):
                    raise self.fail(node, f"sh:{name} that is not an IRI")
                if shape.path is None:
                    raise self.fail(node, f"sh:{name} on a node shape")
                add(make(nt_term(other)))
        self.qualified(node, shape)
        for head in g.objects(node, SH["or"]):
            members = [self.shape(m) for m in dict.fromkeys(self.items(node, head, "or"))]
            add(_or(members))
        for other in g.objects(node, SH["not"]):
            add(_not(self.shape(other)))
        children = [self.shape(p) for p in g.objects(node, SH.property)]
        if children:
            if any(child.path is None for child in children):
                raise self.fail(node, "sh:property pointing at a shape without sh:path")
            self.children[id(shape)] = children
            shape.extra.append(_property(children))
        for constraint in g.objects(node, SH.sparql):
            shape.extra.append(self.sparql(node, shape, constraint))

    def qualified(self, node: Node, shape: _Shape) -> None:
        value_shape = self.one(node, "qualifiedValueShape")
        low = self.integer(node, "qualifiedMinCount")
        high = self.integer(node, "qualifiedMaxCount")
        if value_shape is None:
            if low is not None or high is not None:
                raise self.fail(node, "sh:qualifiedMinCount/MaxCount without a value shape")
            return
        if shape.path is None:
            raise self.fail(node, "sh:qualifiedValueShape on a node shape")
        if low is None and high is None:
            raise self.fail(node, "sh:qualifiedValueShape without a qualified count")
        shape.constraints.append(_qualified(self.shape(value_shape), low, high))

    def sparql(self, node: Node, shape: _Shape, constraint: Node) -> Callable[..., None]:
        g = self.g
        for p in g.predicates(constraint, None):
            if p not in (RDF.type, SH.select, SH.message, SH.prefixes, SH.deactivated,
                         RDFS.label, RDFS.comment):
                raise self.fail(node, f"{self.label(p)} on a SPARQL constraint")
        select = self.one(constraint, "select")
        if not isinstance(select, Literal):
            raise self.fail(node, "a SPARQL constraint without sh:select")
        text = str(select)
        for variable in ("PATH", "shapesGraph", "currentShape"):
            if re.search(r"([\s{}()])[\$\?]" + variable, text):
                raise self.fail(node, f"${variable} in a SPARQL constraint")
        messages = list(g.objects(constraint, SH.message))
        if len(messages) > 1 or (messages and shape.message is not None):
            raise self.fail(node, "more than one message for a SPARQL constraint")
        template = str(messages[0]) if messages else shape.message
        if template is None:
            raise self.fail(node, "a SPARQL constraint without sh:message")
        deactivated = self.one(constraint, "deactivated")
        if isinstance(deactivated, Literal) and deactivated.value is True:
            return lambda batch, pairs, results: None
        prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self.prefixes(constraint))
        binds_this = re.search(r"([\s{}()])[\$\?]this", text) is not None
        return _sparql(shape, f"{prefixes}\n{text}", binds_this, template, self.watched)

    def prefixes(self, constraint: Node) -> list[tuple[str, str]]:
        """sh:prefixes as pyshacl reads them: the named declarations, else every ontology's."""
        g = self.g
        ontologies = set(g.subjects(RDF.type, OWL.Ontology))
        everywhere = {d for o in ontologies for d in g.objects(o, SH.declare)}
        found: dict[str, str] = {}
        for value in g.objects(constraint, SH.prefixes):
            own = set(g.objects(value, SH.declare))
            for declaration in own if own and value in ontologies else own | everywhere:
                prefix = self.one(declaration, "prefix")
                namespace = self.one(declaration, "namespace")
                if prefix is None or namespace is None:
                    raise self.fail(constraint, "a prefix declaration without sh:prefix or "
                                    "sh:namespace")
                found[str(prefix)] = str(namespace)
        return sorted(found.items())


def _node_of(done: dict[Node, _Shape], shape: _Shape) -> Node:
    return next(node for node, s in done.items() if s is shape)


def _locate(node: Node) -> tuple[str | None, int | None]:
    """The shapes file and line that declare a shape, when it is one of the project's."""
    if not isinstance(node, URIRef) or "/shapes/" not in str(node):
        return None, None
    names = (f"pgs:{str(node).rsplit('/shapes/', 1)[1]}", f"<{node}>")
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line[:1] not in ("", " ", "\t", "#") and line.split()[0] in names:
                return str(path), number
    return None, None


# ----------------------------------------------------------------------------------------
# Constraint components
# ----------------------------------------------------------------------------------------

_Pairs = list[tuple[Term, Any]]


def _min_count(count: int) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("MinCount")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            if len(values) < count:
                emit(focus, "", component)
    return check


def _max_count(count: int) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("MaxCount")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            if len(values) > count:
                emit(focus, "", component)
    return check


def _datatype(datatype: str) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("Datatype")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            for value in values:
                if not _has_datatype(value, datatype):
                    emit(focus, value, component)
    return check


def _class(cls: Term) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("Class")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            for value in values:
                if not batch.is_instance(value, cls):
                    emit(focus, value, component)
    return check


def _node_kind(iri: bool, literal: bool) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("NodeKind")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            for value in values:
                if not (iri if value[0] == "<" else literal):
                    emit(focus, value, component)
    return check


def _pattern(regex: re.Pattern[str]) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("Pattern")
    search = regex.search

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            for value in values:
                if not search(_text(value)):
                    emit(focus, value, component)
    return check


def _in(allowed: frozenset[Term]) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("In")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            for value in values:
                if value not in allowed:
                    emit(focus, value, component)
    return check


def _has_value(wanted: Term) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("HasValue")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            if wanted not in values:
                emit(focus, "", component)
    return check


def _min_length(length: int) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("MinLength")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        if length == 0:
            return
        for focus, values in pairs:
            for value in values:
                if len(_text(value)) < length:
                    emit(focus, value, component)
    return check


def _unique_lang(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
    component = _component("UniqueLang")
    for focus, values in pairs:
        seen: set[str] = set()
        repeated: set[str] = set()
        for value in values:
            lang = _literal(value)[1].lower() if value[0] == '"' else ""
            if lang:
                (repeated if lang in seen else seen).add(lang)
        for _ in repeated:
            emit(focus, "", component)


def _equals(other: Term) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("Equals")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            compared = batch.objects(focus, other)
            for value in set(values).symmetric_difference(compared):
                emit(focus, value, component)
    return check


def _less_than(strict: bool) -> Callable[[Term], Callable[[_Batch, _Pairs, _Emit], None]]:
    component = _component("LessThan" if strict else "LessThanOrEquals")

    def make(other: Term) -> Callable[[_Batch, _Pairs, _Emit], None]:
        def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
            for focus, values in pairs:
                compared = batch.objects(focus, other)
                for value in values:
                    for bound in compared:
                        if not _ordered(value, bound, strict):
                            emit(focus, value, component)
        return check
    return make


def _qualified(shape: _Shape, low: int | None,
               high: int | None) -> Callable[[_Batch, _Pairs, _Emit], None]:
    too_many, too_few = _component("QualifiedMaxCount"), _component("QualifiedMinCount")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            count = sum(1 for value in values if shape.conforms(batch, value))
            if high is not None and count > high:
                emit(focus, "", too_many)
            if low is not None and count < low:
                emit(focus, "", too_few)
    return check


def _or(members: list[_Shape]) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("Or")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            for value in values:
                if not any(m.conforms(batch, value) for m in members):
                    emit(focus, value, component)
    return check


def _not(shape: _Shape) -> Callable[[_Batch, _Pairs, _Emit], None]:
    component = _component("Not")

    def check(batch: _Batch, pairs: _Pairs, emit: _Emit) -> None:
        for focus, values in pairs:
            for value in values:
                if shape.conforms(batch, value):
                    emit(focus, value, component)
    return check


def _property(children: list[_Shape]) -> Callable[[_Batch, _Pairs, list[Finding]], None]:
    def check(batch: _Batch, pairs: _Pairs, results: list[Finding]) -> None:
        nodes = [value for _, values in pairs for value in values]
        for child in children:
            results.extend(child.evaluate(batch, nodes))
    return check


def _pattern_only(query: Query) -> bool:
    """Whether pre-binding ``$this`` equals keeping the rows of one unbound run with that ?this.

    True for a SELECT that projects $this over basic graph patterns, joins and filters without
    EXISTS: the solutions compatible with ``this = f`` are then exactly those binding ?this to
    f. Anything else (OPTIONAL, MINUS, sub-queries, aggregates, LIMIT, ...) runs per focus.
    """
    algebra = query.algebra
    if algebra.name != "SelectQuery" or algebra.get("datasetClause") is not None:
        return False
    project = algebra.p
    if project.name != "Project" or Variable("this") not in project.PV:
        return False
    in_patterns = False
    todo = [project.p]
    while todo:
        node = todo.pop()
        if node.name == "BGP":
            in_patterns = in_patterns or any(Variable("this") in t for t in node.triples)
        elif node.name == "Join":
            todo += [node.p1, node.p2]
        elif node.name == "Filter" and "EXISTS" not in repr(node.expr):
            todo.append(node.p)
        else:
            return False
    return in_patterns


def _joined_from_this(text: str) -> Query:
    """The same query with each basic graph pattern ordered to start at ?this and follow joins.

    A basic graph pattern is a set of triple patterns, so their order changes no answer;
    rdflib evaluates them in the order given, and the order from ?this keeps the batch run
    linear instead of joining every pledge with every other pledge of the same number.
    """
    ordered = prepareQuery(text)
    todo = [ordered.algebra.p]
    while todo:
        node = todo.pop()
        todo += [v for k, v in node.items() if k in ("p", "p1", "p2")]
        if node.name == "BGP":
            node["triples"] = _from_this(list(node.triples))
    return ordered


def _from_this(patterns: list[tuple[Node, Node, Node]]) -> list[tuple[Node, Node, Node]]:
    bound: set[Node] = set()
    ordered = []

    def known(pattern: tuple[Node, Node, Node]) -> tuple[bool, int, bool, bool]:
        fixed = [not isinstance(t, Variable) or t in bound for t in pattern]
        return (not bound and Variable("this") in pattern, sum(fixed),
                Variable("this") in pattern, fixed[0])

    while patterns:
        best = max(patterns, key=known)
        patterns.remove(best)
        ordered.append(best)
        bound.update(t for t in best if isinstance(t, Variable))
    return ordered


_Pattern = tuple[Variable | Term, Variable | Term, Variable | Term]


class _NativeSelect:
    """A SELECT of one basic graph pattern under filters, matched over the batch's indexes.

    The same solutions as rdflib's evaluation (each match of the patterns, in bag semantics),
    without rdflib's per-step bindings; the filters are rdflib's own expressions, evaluated
    by rdflib on the solutions the patterns give.
    """

    def __init__(self, patterns: list[_Pattern], filters: list[Any],
                 projected: list[Variable]) -> None:
        self.patterns = patterns
        self.filters = filters
        self.projected = projected

    @classmethod
    def of(cls, query: Query) -> _NativeSelect | None:
        project = query.algebra.p
        node, filters = project.p, []
        while node.name == "Filter":
            filters.append(node.expr)
            node = node.p
        if node.name != "BGP":
            return None
        patterns: list[_Pattern] = []
        for triple in node.triples:
            if not all(isinstance(t, (Variable, URIRef, Literal)) for t in triple) \
                    or isinstance(triple[1], Literal):
                return None
            patterns.append(tuple(  # type: ignore[arg-type]
                t if isinstance(t, Variable) else nt_term(t) for t in triple))
        return cls(patterns, filters[::-1], list(project.PV))

    def rows(self, batch: _Batch) -> Iterator[dict[str, Identifier]]:
        store, context = batch.store(), QueryContext(batch.rdflib_graph())
        for solution in self._solve(store, tuple(range(len(self.patterns))), {}):
            terms = {var: _rdflib(term) for var, term in solution.items()}
            if self.filters:
                bindings = FrozenBindings(context, terms)
                if not all(_ebv(expr, bindings) for expr in self.filters):
                    continue
            yield {str(var): terms[var] for var in self.projected if var in terms}

    def _solve(self, store: _BatchStore, todo: tuple[int, ...],
               bound: dict[Variable, Term]) -> Iterator[dict[Variable, Term]]:
        """Match the patterns numbered ``todo``, the one with the fewest triples under the
        bindings so far first: any fixed order joins some data in the square of its size
        (every pledge of a large submission with every other, or every pledge of a batch
        with the others of the same number)."""
        if not todo:
            yield bound
            return
        lookups = {i: [bound.get(t) if isinstance(t, Variable) else t
                       for t in self.patterns[i]] for i in todo}
        index = min(todo, key=lambda i: store.count(*lookups[i]))
        pattern, rest = self.patterns[index], tuple(i for i in todo if i != index)
        for triple in store.matches(*lookups[index]):
            extended = dict(bound)
            for part, term in zip(pattern, triple):
                if isinstance(part, Variable) and extended.setdefault(part, term) != term:
                    break
            else:
                yield from self._solve(store, rest, extended)


def _sparql(shape: _Shape, text: str, binds_this: bool, template: str,
            watched: set[Term]) -> Callable[[_Batch, _Pairs, list[Finding]], None]:
    """A SPARQL-based constraint, with pyshacl's semantics: ``$this`` pre-bound per focus node.

    A query made of graph patterns and filters runs once per batch and its rows are shared
    out by ?this (the same rows, see :func:`_pattern_only`); any other query runs per focus.
    """
    component = _component("SPARQL")
    own_value = shape.path is None
    query = prepareQuery(text)
    once = binds_this and _pattern_only(query)
    batch_query = _joined_from_this(text) if once else query

    native = _NativeSelect.of(batch_query) if once else None
    if native is not None:  # the batch keeps (subject, object) lists of these predicates
        watched.update(p for _, p, _ in native.patterns if not isinstance(p, Variable))

    def rows_by_focus(batch: _Batch) -> dict[Term, list[dict[str, Any]]]:
        grouped: dict[Term, list[dict[str, Any]]] = {}
        if native is not None:
            rows: Iterable[dict[str, Any]] = native.rows(batch)
        else:
            rows = ({str(k): v for k, v in row.asdict().items()}  # type: ignore[union-attr]
                    for row in batch.rdflib_graph().query(batch_query))
        for found in rows:
            grouped.setdefault(_nt(found["this"]), []).append(found)
        return grouped

    def rows_for(batch: _Batch, focus: Term) -> list[dict[str, Any]]:
        bindings = {"this": _rdflib(focus)} if binds_this else {}
        return [{str(k): v for k, v in row.asdict().items()}  # type: ignore[union-attr]
                for row in batch.rdflib_graph().query(query, initBindings=bindings)]

    def check(batch: _Batch, pairs: _Pairs, results: list[Finding]) -> None:
        grouped = rows_by_focus(batch) if once else {}
        for focus, _ in pairs:
            seen: list[Any] = []
            for row in grouped.get(focus, ()) if once else rows_for(batch, focus):
                found = dict(row)
                if found.pop("failure", None) is not None:
                    if "failure" not in seen:
                        seen.append("failure")
                        results.append(Finding(
                            shape.severity, focus, shape.term, shape.path_term,
                            focus if own_value else "", _message(template, found), component))
                    continue
                path, value, this = (found.pop(k, None) for k in ("path", "value", "this"))
                if path is None and value is None and this is None:
                    continue
                if (this, path, value, found) in seen:
                    continue
                seen.append((this, path, value, found))
                if value is None and own_value:
                    value = _rdflib(focus)
                words: dict[str, Any] = dict(found)
                for key, term in (("this", this), ("path", path), ("value", value)):
                    if term is not None:
                        words[key] = term
                message = _message(template, words)
                results.append(Finding(
                    shape.severity, _nt(this) if this is not None else focus, shape.term,
                    _nt(path) if isinstance(path, URIRef) else shape.path_term,
                    _nt(value) if isinstance(value, (URIRef, Literal)) else "",
                    message, component))
    return check


def _message(template: str, words: dict[str, Any]) -> str:
    """Substitute {?var} / {$var} with the bound terms, as pyshacl does."""
    for key, term in words.items():
        template = re.sub(f"{{[?$]{key}}}", str(term), template)
    return template
