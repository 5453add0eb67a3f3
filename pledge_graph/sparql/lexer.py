"""SPARQL text read without running it: the grammar's terminals as linear regular expressions.

The endpoint reads a query's text before a worker runs it (its form, to negotiate the
answer's format; its SERVICE clauses, to refuse them), in the process that serves every
other request too. So every reading here is linear in the text, and long texts are read by
regular-expression calls over windows of a few kilobytes, each made of possessive
quantifiers (no backtracking) over the terminals of the SPARQL 1.1 grammar (https://www.w3.org/TR/sparql11-query/#grammar): ``IRIREF``, the four string
forms with ``ECHAR`` and ``UCHAR``, comments, ``PN_LOCAL`` with its ``PLX`` escapes
(``a:x\\'`` is a name, not the start of a string), variables, numbers, language tags.

Two rules differ from the grammar on purpose, to agree with Oxigraph, whose parser has no
separate tokenizer: a name is split at a dot (``ex:a.b.SERVICE``: Oxigraph ends the local
name at its second dot), and a word glued after ``true``/``false`` or a number starts a new
token (``trueSERVICE``). The caller decides what a split means; this module only reads.

Codepoint escapes (``\\u0041``) are decoded before tokenizing in the SPARQL 1.1 text, but
Oxigraph decodes them only inside IRIs and strings, and Java-based stores only where an
even number of backslashes precedes them; :func:`readings` gives every one of these
readings, so a check can hold for all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate

__all__ = [
    "MAX_DEPTH",
    "MAX_OPERATORS",
    "PROLOGUE_LIMIT",
    "QUERY_FORMS",
    "Scanner",
    "absolute_iri",
    "caseless",
    "complexity_problem",
    "find_all",
    "may_be_relative",
    "prefixes",
    "prologue_end",
    "query_form",
    "readings",
    "skip_space",
]

QUERY_FORMS = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
"""Query form keyword -> kind of answer."""

WINDOW = 4_096
"""Characters a :class:`Scanner` reads in one regular-expression call (at first)."""

PROLOGUE_LIMIT = 65_536
"""Characters :func:`query_form` reads at most; a longer prologue gives no form."""

MAX_DEPTH = 100
"""Brackets (``{``, ``(``, ``[``) a query may nest. The engine parses and evaluates by
recursion: past about 700 nested blank nodes or 1,000 nested function calls it overflows
its stack and the process dies."""

MAX_OPERATORS = 2_000
"""Operators and separators a query may hold, an opening bracket counting twice. A chain of
them (``1+1+…``, ``?s :p 1, 1, …``, ``{} UNION {} …``) is a tree as deep as it is long,
and past about 2,500 ``BIND`` or 6,500 ``UNION`` the engine's stack overflows too. Values
(in a VALUES block or anywhere), IRIs, literals, names and variables do not count."""

# --- terminals ------------------------------------------------------------------------------

_HEX = "[0-9A-Fa-f]"
UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
ECHAR = r"""\\[tbnrf"'\\]"""
PN_CHARS_BASE = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
                 "\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf"
                 "\ufdf0-\ufffd\U00010000-\U000effff")
PN_CHARS_U = PN_CHARS_BASE + "_"
PN_CHARS = PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
PLX = rf"%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?#@%]"
WS = r"[ \t\r\n]"
COMMENT = r"\#[^\r\n]*+"
SKIP = rf"(?:{WS}++|{COMMENT})*+"
"""Whitespace and comments: what the grammar lets stand between two tokens."""

_IRI_CHAR = r"[^<>\"{}|^`\\\x00-\x20]"
IRIREF = rf"<(?:{_IRI_CHAR}|{UCHAR})*+>"
STRING_LONG1 = rf"'''(?:(?:''|')?(?:[^'\\]|{ECHAR}|{UCHAR}))*+'''"
STRING_LONG2 = rf'"""(?:(?:""|")?(?:[^"\\]|{ECHAR}|{UCHAR}))*+"""'
STRING1 = rf"'(?:[^'\\\n\r]|{ECHAR}|{UCHAR})*+'"
STRING2 = rf'"(?:[^"\\\n\r]|{ECHAR}|{UCHAR})*+"'
STRING = f"{STRING_LONG1}|{STRING_LONG2}|{STRING1}|{STRING2}"
PNAME_NS = rf"(?:[{PN_CHARS_BASE}](?:[{PN_CHARS}.]*+(?<!\.))?)?:"
NAME = rf"[{PN_CHARS_U}:](?:[{PN_CHARS}:]|{PLX})*+"
"""A keyword, a prefixed name or a blank node label, up to (not across) a dot."""
VAR = rf"[?$][{PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*+"
NUMBER = r"[0-9]++(?:\.[0-9]*+)?(?:[eE][+\-]?[0-9]++)?|\.[0-9]++(?:[eE][+\-]?[0-9]++)?"
LANGTAG = r"@[A-Za-z0-9\-]*+"

_PROLOGUE = re.compile(
    rf"{SKIP}(?:(?:(?i:BASE){SKIP}{IRIREF}|(?i:PREFIX){SKIP}{PNAME_NS}{SKIP}{IRIREF}"
    rf"|(?i:VERSION){SKIP}(?:{STRING1}|{STRING2})){SKIP})*+")
_FORM = re.compile(r"(?i:SELECT|ASK|CONSTRUCT|DESCRIBE)")
_SKIP = re.compile(SKIP)
_PREFIX_DECL = re.compile(rf"(?i:PREFIX){SKIP}({PNAME_NS}){SKIP}({IRIREF})")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*+:")
_RELATIVE = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.\-]*+:)")
_UCHAR = re.compile(rf"\\u({_HEX}{{4}})|\\U({_HEX}{{8}})")
_ESCAPES = re.compile(rf"(?<!\\)(\\++)(u{_HEX}{{4}}|U{_HEX}{{8}})")
_RUN_OF_BACKSLASHES = re.compile(r"\\++")
_ESCAPE_TAIL = re.compile(rf"u{_HEX}{{4}}|U{_HEX}{{8}}")


def caseless(word: str) -> str:
    """Return a pattern matching ``word`` in any case of its ASCII letters (as SPARQL
    engines compare keywords), and with the long s (U+017F, whose upper case is S) for s.

    >>> caseless("in")
    '[iI][nN]'
    """
    long_s = r"\u017f"
    return "".join(f"[{c.lower()}{c.upper()}{long_s if c.lower() == 's' else ''}]"
                   if c.isalpha() else re.escape(c) for c in word)


def skip_space(text: str, pos: int, endpos: int) -> int:
    """Return where the whitespace and comments from ``pos`` end (at ``endpos`` at most)."""
    found = _SKIP.match(text, pos, endpos)
    return found.end() if found else pos


def query_form(sparql: str) -> str | None:
    """Return the kind of answer the query gives (``solutions``, ``boolean``, ``graph``), or
    None when the text does not start like a query (the engine then reports the error).

    Only the prologue is read (BASE, PREFIX and VERSION declarations), and at most
    :data:`PROLOGUE_LIMIT` characters of it.

    >>> query_form("PREFIX ex: <http://example.org/> # a comment\\nask { }")
    'boolean'
    >>> query_form("INSERT DATA { <a> <b> <c> }") is None
    True
    """
    end = min(len(sparql), PROLOGUE_LIMIT)
    prologue = _PROLOGUE.match(sparql, 0, end)
    form = _FORM.match(sparql, prologue.end() if prologue else 0, end)
    return QUERY_FORMS[form.group().upper()] if form else None


def prologue_end(sparql: str) -> int:
    """Return where the prologue ends (read as :func:`query_form` reads it)."""
    prologue = _PROLOGUE.match(sparql, 0, min(len(sparql), PROLOGUE_LIMIT))
    return prologue.end() if prologue else 0


def prefixes(sparql: str) -> dict[str, str]:
    """Return the prefixes the prologue declares (the last declaration of a name wins),
    read as :func:`query_form` reads the prologue."""
    prologue = _PROLOGUE.match(sparql, 0, min(len(sparql), PROLOGUE_LIMIT))
    text = prologue.group() if prologue else ""
    return {m[1][:-1]: unescape_iri(m[2][1:-1]) for m in _PREFIX_DECL.finditer(text)}


def unescape_iri(text: str) -> str:
    r"""Decode the codepoint escapes of an IRI's text, as the engine does.

    >>> unescape_iri(r"http://x/\u0041")
    'http://x/A'
    """
    return _UCHAR.sub(lambda m: _CHARS[m[0][1:]], text) if "\\" in text else text


def may_be_relative(sparql: str) -> bool:
    """Tell whether the text may hold a relative IRI: a ``<`` not followed by a scheme (a
    less-than sign counts too, so the answer errs on yes).

    >>> may_be_relative("SELECT * { <a> ?p ?o }"), may_be_relative("ASK { <x:a> ?p ?o }")
    (True, False)
    """
    return _RELATIVE.search(sparql) is not None


def absolute_iri(text: str) -> bool:
    """Tell whether an IRI's text starts with a scheme (is not relative)."""
    return _SCHEME.match(text) is not None


def readings(sparql: str) -> list[str]:
    r"""Return the texts the query may be read as: as sent (Oxigraph), with every codepoint
    escape decoded first (SPARQL 1.1), and with only those an odd run of backslashes starts
    decoded (Java-based stores); equal readings are given once. The text is decoded in
    pieces of about :data:`WINDOW` characters, so no one call runs long.

    >>> readings(r"SELECT ?\u0078 {}")
    ['SELECT ?\\u0078 {}', 'SELECT ?x {}']
    """
    if "\\u" not in sparql and "\\U" not in sparql:
        return [sparql]
    spec: list[str] = []
    java: list[str] = []
    for piece in _pieces(sparql):
        parts = _ESCAPES.split(piece)  # text, backslashes, escape, text, ...
        runs, codes = parts[1::3], parts[2::3]
        chars = list(map(_CHARS.__getitem__, codes))
        decoded = parts[:]
        decoded[1::3] = [run[:-1] for run in runs]
        decoded[2::3] = chars
        spec.append("".join(decoded))
        decoded[1::3] = [run[:-1] if len(run) % 2 else run for run in runs]
        decoded[2::3] = [c if len(r) % 2 else code for r, code, c in zip(runs, codes, chars)]
        java.append("".join(decoded))
    found = [sparql]
    for text in ("".join(spec), "".join(java)):
        if text not in found:
            found.append(text)
    return found


def find_all(pattern: re.Pattern[str], text: str, start: int = 0,
             stop: int | None = None) -> Iterator[int]:
    """Yield where ``pattern`` (at most 16 characters long) matches in ``text[start:stop]``,
    searching a window of 16 :data:`WINDOW` characters at a time."""
    stop = len(text) if stop is None else stop
    size = 16 * WINDOW
    while start < stop:
        end = min(stop, start + size)
        last = start
        for found in pattern.finditer(text, start, min(stop, end + 16)):
            if found.start() >= end:
                break
            last = found.start() + 1
            yield found.start()
        start = max(end, last)


def _pieces(text: str) -> Iterator[str]:
    """Cut ``text`` into pieces of about :data:`WINDOW` characters, never within a
    codepoint escape or its run of backslashes."""
    start = 0
    while start < len(text):
        end = min(len(text), start + WINDOW)
        if end < len(text):
            backslash = text.rfind("\\", max(start, end - 9), end)
            if backslash >= 0:
                while backslash > start and text[backslash - 1] == "\\":
                    backslash -= 1
                end = max(end, _after_escape(text, backslash))
        yield text[start:end]
        start = end


def _after_escape(text: str, at: int) -> int:
    """Where the backslashes at ``at`` and the escape they may start end."""
    run = _RUN_OF_BACKSLASHES.match(text, at)
    end = run.end() if run else at + 1
    escape = _ESCAPE_TAIL.match(text, end)
    return escape.end() if escape else end


class _Chars(dict[str, str]):
    """Codepoint escape (``u0041``) -> character, filled as escapes are met."""

    def __missing__(self, code: str) -> str:
        number = int(code[1:], 16)
        self[code] = char = chr(number) if number <= 0x10FFFF else "\ufffd"
        return char


_CHARS = _Chars()


# --- scanning for a word --------------------------------------------------------------------

_CONTINUING = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-:?$@")


class Scanner:
    """Finds where a word (a keyword, in any case) may stand as a token in code.

    :meth:`skip` consumes everything from a position that cannot hold the word: whitespace,
    comments, strings, IRIs, code without the word. It stops at the word (the caller asks
    :meth:`continues` whether it only continues a name), and before what the caller must
    read itself: a quote that opens no well-formed string, an IRI holding ``'`` or ``#``
    (text that would open a string or a comment, were its ``<`` a less-than sign), a number
    (read it with :attr:`number`), and any token longer than the window (read it with
    :attr:`unit`). With ``strict``, strings, comments and IRIs that hold the word stop it
    too. A word glued after ``true`` or ``false`` does not stop it: Oxigraph reads the
    literal, then the word; find those with :attr:`glued`.

    The text is read in windows of :data:`WINDOW` characters, one regular-expression call
    each, so that a thread scanning a long text lets others run between calls; a token is
    consumed only when the character after it is inside the window, so none is read cut in
    two."""

    def __init__(self, word: str) -> None:
        self.word = caseless(word)
        self.find = re.compile(self.word)
        self.glued = re.compile(rf"(?:{caseless('true')}|{caseless('false')})(?={self.word})")
        self.name = re.compile(NAME)
        self.number = re.compile(NUMBER)
        self.unit = re.compile(rf"(?P<string>{STRING})|(?P<iri>{IRIREF})|(?P<comment>{COMMENT})")
        self._loose = re.compile(self._units(strict=False))
        self._strict = re.compile(self._units(strict=True))

    @staticmethod
    def continues(text: str, pos: int) -> bool:
        """Tell whether the word at ``pos`` continues the token before it (``ex:Service``,
        ``?service``, ``@en-service``) rather than starting one: the character before it is
        an ASCII letter, ``_``, ``-``, ``:``, ``?``, ``$`` or ``@``. After a digit or a dot
        it starts one (``1e5SERVICE``, ``ex:a.b.SERVICE``: Oxigraph ends the number, and
        the local name at its second dot); after ``true`` and ``false`` see :attr:`glued`."""
        return pos > 0 and text[pos - 1] in _CONTINUING

    def skip(self, text: str, pos: int, strict: bool = False) -> int:
        """Return where the scan of ``text`` from ``pos`` stops; ``text`` ends with a newline
        that is not part of the query, and the scan stops before it at the latest."""
        scan = self._strict if strict else self._loose
        end, size = len(text) - 1, WINDOW
        while True:
            found = scan.match(text, pos, min(len(text), pos + size))
            stop = found.end() if found else pos
            if stop >= end:
                return end
            if stop > pos:
                pos, size = stop, WINDOW
            elif pos + size >= len(text) or text[stop] in "\'\"<#.0123456789" \
                    or self.find.match(text, stop):
                return stop
            else:
                size *= 2

    def _units(self, strict: bool) -> str:
        word = self.word

        def inner(c: str) -> str:
            return f"(?:(?!{word})(?:{c}))" if strict else f"(?:{c})"

        strings = "|".join(f"(?:{q}(?:{quotes}{inner(body)})*+{q})" for q, quotes, body in (
            ("'''", "(?:''|')?", rf"[^'\\]|{ECHAR}|{UCHAR}"),
            ('"""', '(?:""|")?', rf'[^"\\]|{ECHAR}|{UCHAR}'),
            ("'", "", rf"[^'\\\n\r]|{ECHAR}|{UCHAR}"),
            ('"', "", rf'[^"\\\n\r]|{ECHAR}|{UCHAR}')))
        line = r"[^\r\n]"
        iri_chars = rf"(?:{_IRI_CHAR}|{UCHAR})*+"
        units = "|".join([
            rf"{WS}++",
            rf"(?!{word}){NAME}",
            rf"[^ \t\r\n'\"<#\\?$@.0-9:{PN_CHARS_U}]++",
            r"\.(?![0-9])",
            VAR,
            rf"(?>{NUMBER})(?![eE0-9])",
            rf"\#{inner(line)}*+(?!{line})",
            strings,
            rf"<(?:[^<>\"{{}}|^`\\\x00-\x20'#]|{UCHAR})*+>",
            rf"<{inner(f'{_IRI_CHAR}|{UCHAR}')}*+>" if strict else "(?!)",
            rf"<(?={iri_chars}[^>])",
            LANGTAG,
            r"\\[\s\S]",
        ])
        # ASCII that changes no state and holds no letter s nor digit: the bulk of most
        # queries, consumed at once (a run cut by the window goes on in the next one)
        plain = r"[^'\"<#\\sS0-9\x80-\U0010ffff]++"
        return rf"(?:{plain}|(?>{units})(?=[\s\S]))*+"


# --- how deep and how long ------------------------------------------------------------------

_OPAQUE = re.compile(rf"{COMMENT}|{STRING}|{IRIREF}|{VAR}|{LANGTAG}|{NUMBER}|\\[\s\S]")
_NAMES = re.compile(rf"[{PN_CHARS_U}:](?:[{PN_CHARS}:.]|{PLX})*+")
_NOT_BRACKETS = re.compile(r"[^{}()\[\]]++")
_DEPTH = {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}
_OPERATORS = ".,;|/^!&+-*=<>{([{(["
"""Characters that chain (an opening bracket counts twice: every pattern, call and
expression in parentheses opens one)."""


def complexity_problem(sparql: str) -> str | None:
    """Return why the query nests too deep or chains too long for the engine (see
    :data:`MAX_DEPTH` and :data:`MAX_OPERATORS`), or None. Linear in the text: strings,
    IRIs, comments, variables, numbers and names are blanked out, then brackets are counted.

    >>> complexity_problem("SELECT * { " + "{" * 500 + "}" * 500 + " }")
    'the query nests 501 brackets deep; this service allows 100'
    >>> complexity_problem("SELECT * { ?s ?p 'a {{{{ string' }") is None
    True
    """
    code = _NAMES.sub(" ", _OPAQUE.sub(" ", sparql))
    depth = max(accumulate(map(_DEPTH.__getitem__, _NOT_BRACKETS.sub("", code))), default=0)
    if depth > MAX_DEPTH:
        return f"the query nests {depth} brackets deep; this service allows {MAX_DEPTH}"
    operators = sum(map(code.count, _OPERATORS))
    if operators > MAX_OPERATORS:
        return (f"the query chains {operators} operators and brackets; this service allows "
                f"{MAX_OPERATORS} (a VALUES block holds any number of values)")
    return None
