"""Reading SPARQL text without running it (pledge_graph.sparql.lexer): query forms, readings,
nesting, and work linear in the text whatever it holds."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from pledge_graph.errors import QueryRefused
from pledge_graph.sparql import lexer
from pledge_graph.sparql.guard import check_services
from pledge_graph.sparql.lexer import (
    MAX_DEPTH,
    MAX_OPERATORS,
    PROLOGUE_LIMIT,
    Scanner,
    complexity_problem,
    may_be_relative,
    prefixes,
    query_form,
    readings,
)


@pytest.mark.parametrize(("query", "kind"), [
    ("SELECT * WHERE { ?s ?p ?o }", "solutions"),
    ("  # a comment\nPREFIX ex: <http://example.org/>\nBASE <http://x/>\nask { }", "boolean"),
    ("PREFIX select: <http://example.org/> CONSTRUCT WHERE { ?s select:p ?o }", "graph"),
    ("PREFIX:<http://x/>BASE<http://y/>DESCRIBE <http://example.org/a>", "graph"),
    ('VERSION "1.2" SELECT * {}', "solutions"),
    ("INSERT DATA { <a> <b> <c> }", None),
    ("CLEAR ALL", None),
    ("PREFIX ex: <http://example.org/ SELECT * {}", None),
    ("", None),
])
def test_query_form_is_read_after_the_prologue(query, kind):
    assert query_form(query) == kind


def test_query_form_reads_no_further_than_its_limit():
    declaration = "PREFIX p: <http://example.org/> "
    fits = declaration * ((PROLOGUE_LIMIT - 100) // len(declaration))
    assert query_form(fits + "ASK {}") == "boolean"
    assert query_form(fits * 20 + "ASK {}") is None


def test_prefixes_are_read_from_the_prologue_with_their_escapes():
    query = r"PREFIX a: <http://x/> PREFIX b: <http://\u0079/> PREFIX a: <http://z/> ASK {}"
    assert prefixes(query) == {"a": "http://z/", "b": "http://y/"}


def test_readings_decode_codepoint_escapes_as_the_spec_and_as_java_do():
    assert readings("ASK {}") == ["ASK {}"]
    assert readings(r"ASK { ?\u0078 \\u0041 }") == [
        r"ASK { ?\u0078 \\u0041 }", r"ASK { ?x \A }", r"ASK { ?x \\u0041 }"]


def test_readings_decoded_in_pieces_are_the_readings_of_the_whole(monkeypatch):
    rng = random.Random(7)
    pieces = ["\\", "u", "0041", "U00000042", "x", "\\u0063", "\\\\U0001F600"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(500)]
    whole = [readings(text) for text in texts]
    monkeypatch.setattr(lexer, "WINDOW", 3)
    assert [readings(text) for text in texts] == whole


def test_a_less_than_sign_counts_as_a_possible_relative_iri():
    assert may_be_relative("ASK { FILTER(1 < 2) }")
    assert not may_be_relative("ASK { <http://x/> ?p ?o }")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000,
    "SELECT * WHERE { BIND(" + "STR(" * 1_000 + "1" + ")" * 1_000 + " AS ?x) }",
    "SELECT * WHERE { ?s <p:p> " + "[ <p:p> " * 700 + "1" + " ]" * 700 + " }",
    "SELECT * WHERE { FILTER(" + "EXISTS { FILTER(" * 400 + "true" + ") }" * 400 + ") }",
    "ASK { FILTER(" + "(" * 200 + "true" + ")" * 200 + ") }",
])
def test_deep_nesting_is_refused(query):
    assert "brackets deep" in (complexity_problem(query) or "")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { BIND(" + "!" * 10_000 + "true AS ?x) }",
    "SELECT * WHERE { BIND(" + "1+" * 8_000 + "1 AS ?x) }",
    "SELECT * WHERE { BIND(" + "true||" * 10_000 + "true AS ?x) }",
    "SELECT * WHERE { " + " UNION ".join(["{}"] * 7_000) + " }",
    "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?x{i})" for i in range(2_700)) + " }",
    "SELECT * WHERE { ?s <p:p> " + ", ".join(["1"] * 8_500) + " }",
    "SELECT * WHERE { ?s " + "/".join(["<p:p>"] * 8_300) + " ?o }",
])
def test_long_chains_are_refused(query):
    assert "operators" in (complexity_problem(query) or "")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { VALUES ?x { " + "<http://example.org/a> " * 50_000 + "} }",
    "SELECT * WHERE { ?s ?p '" + "{(" * 50_000 + "' } # " + "{" * 1_000,
    "SELECT * WHERE " + "{" * MAX_DEPTH + "}" * MAX_DEPTH,
    "SELECT * WHERE { " + ". ".join(["?s ?p ?o"] * (MAX_OPERATORS // 2)) + " }",
    "PREFIX ex-a.b: <http://x/> SELECT * { ?s ex-a.b:c-d.e ?o . ?s ?p 1.5e3 }",
])
def test_ordinary_large_queries_pass(query):
    assert complexity_problem(query) is None


def test_the_scanner_never_reads_a_token_cut_by_its_window(monkeypatch):
    scanner = Scanner("service")
    # wherever a window ends, the word in a string or a comment is never found, and the
    # word after a number, a string or a comment always is
    for size in (7, 16, 33):
        monkeypatch.setattr(lexer, "WINDOW", size)
        for pad in range(40):
            text = ("x" * pad + " 1.5e3SERVICE '" + "s" * 20 + " SERVICE' #" + "c" * 20
                    + " SERVICE\n SERVICE\n")
            stops = _stops(scanner, text)
            assert stops == [pad + 6, len(text) - 8], (pad, size)


def _stops(scanner: Scanner, text: str) -> list[int]:
    found, pos, end = [], 0, len(text) - 1
    while pos < end:
        pos = scanner.skip(text, pos)
        if pos >= end:
            break
        if scanner.find.match(text, pos):
            found.append(pos)
            pos += 7
            continue
        unit = scanner.number.match(text, pos) or scanner.unit.match(text, pos)
        pos = unit.end() if unit else pos + 1
    return found


# Texts that made naive readers quadratic (or worse); every reading stays linear in them
# (the server's figures with these and more are in bench/attacks_query.py).
HOSTILE: dict[str, Callable[[int], str]] = {
    "dots": lambda n: "a." * (n // 2),
    "prefixed dots": lambda n: "a:a." * (n // 4),
    "quotes": lambda n: "'" * n,
    "angles": lambda n: "<" * n,
    "backslashes": lambda n: "\\" * n,
    "backslashes then an escape": lambda n: "\\" * n + "u0041",
    "codepoint escapes": lambda n: "\\u0041" * (n // 6),
    "escaped long strings": lambda n: "'''\\'" * (n // 5),
    "open string": lambda n: "ASK { ?s ?p '" + "a" * n,
    "service words": lambda n: "service." * (n // 8),
    "service in strings": lambda n: "?s <a:#> 'service' " * (n // 19),
    "dots then service": lambda n: "a." * (n // 2) + " SERVICE <http://x/> {}",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_reading_hostile_text_is_linear(name):
    make = HOSTILE[name]
    small, large = make(250_000), make(1_000_000)  # 4 times as long: 16 times if quadratic
    for read in (_guard, complexity_problem):
        took = _best(large, read)
        ratio = took / max(_best(small, read), 1e-3)
        assert took < 0.05 or ratio < 10, (
            f"{read.__name__} took {ratio:.0f} times as long on 4 times the text")


def test_query_form_reads_a_bounded_part_of_any_text():
    for make in HOSTILE.values():
        assert _best(make(1_000_000), query_form) < 0.5


def _best(text: str, read: Callable[[str], object]) -> float:
    """The least processor time of three reads: time spent waiting for a busy machine's
    processor does not count, so a shared machine does not make a linear reader look
    quadratic."""
    times = []
    for _ in range(3):
        started = time.process_time()
        read(text)
        times.append(time.process_time() - started)
    return min(times)


def _guard(text: str) -> None:
    try:
        check_services(text)
    except QueryRefused:
        pass


def test_docstring_examples_hold():
    import doctest

    from pledge_graph.sparql import guard

    for module in (lexer, guard):
        assert doctest.testmod(module).failed == 0
