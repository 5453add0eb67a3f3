"""How a page shows RDF terms: as text, a link and a hint, from the N-Triples text the
store's reads give.

Pages are made from a description's N-Triples lines (:func:`split_lines`), not from parsed
triples: parsing a pledge's twenty lines into pyoxigraph terms, and reading each term's
value back out of them, cost more than the rest of the page's reading (measured on the 10k
corpus: about 100 us of a 1.2 ms pledge page). A term is its N-Triples text: ``<iri>``,
``"lexical"``, ``"lexical"@lang``, ``"lexical"^^<datatype>``, ``_:label`` or a quoted
triple ``<< ... >>``.

A term's HTML is written here rather than by a template macro, since a page shows hundreds
(a macro call costs more than the page's other work), and each one's HTML is kept: pages
show the same terms again and again (properties, classes, groups, countries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from pledge_graph.rdf.vocab import prefixes
from pledge_graph.store.lookup import literal_parts, unescape
from pledge_graph.web.memo import keep

__all__ = ["Row", "ViewTerms", "iri_value", "is_iri", "link_items", "split_lines", "table_rows",
           "term_html", "view_terms"]

Row = tuple[str, str, str]
"""A triple as the N-Triples text of its subject, predicate and object."""

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_SHORTS: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
_TABLES: dict[tuple[str, str, str], tuple[tuple[tuple[str, str], ...], dict[str, str]]] = {}
_TERMS: dict[tuple[Any, ...], Markup] = {}
_CELLS: dict[tuple[tuple[str, str], ...], dict[tuple[str, str | None], Markup]] = {}


def split_lines(lines: list[str]) -> list[Row]:
    """N-Triples lines (``S P O .``, one space between the terms, as the store writes them)
    as rows; a subject or a predicate holds no space, an object may (a literal, a quoted
    triple)."""
    rows = []
    for line in lines:
        subject, predicate, obj = line.split(" ", 2)
        rows.append((subject, predicate, obj[:-3] if obj.endswith(" .\n") else obj.rstrip(" .\n")))
    return rows


def is_iri(term: str) -> bool:
    """Whether the N-Triples term is an IRI (not a quoted triple)."""
    return term[:1] == "<" and term[:2] != "<<"


def iri_value(term: str) -> str:
    """The IRI an N-Triples IRI term writes (its escapes read)."""
    value = term[1:-1]
    return unescape(value) if "\\" in value else value


def view_terms(settings: Any, names: dict[str, str]) -> ViewTerms:
    """What turns this server's RDF terms into links and names on a page."""
    iris = settings.iris
    key = (iris.base, str(iris.ontology), str(iris.shapes))  # all the prefix table reads
    kept = _TABLES.get(key)
    if kept is None:
        table = tuple(sorted(prefixes(iris).items(), key=lambda kv: -len(kv[1])))
        kept = _TABLES[key] = (table, _SHORTS.setdefault(table, {}))
    return ViewTerms(iris.base, kept[0], names, kept[1], _CELLS.setdefault(kept[0], {}))


class ViewTerms:
    """Turns RDF terms into what a page shows: text, a link, a hint."""

    def __init__(self, base: str, table: tuple[tuple[str, str], ...], names: dict[str, str],
                 shorts: dict[str, str], cells: dict[tuple[str, str | None], Markup]) -> None:
        """``table``: the prefixes, longest namespace first; ``shorts`` and ``cells``: the
        short forms and HTML kept for that table (pages name the same few thousand IRIs
        again and again)."""
        self.base = base
        self.table = table
        self.names = names
        self._short = shorts
        self._cells = cells

    def href(self, iri: str) -> str:
        """The link to ``iri``: a local path under the base, the IRI itself if it is a web
        address, none ("") for any other scheme (``javascript:``, ``data:``...)."""
        if iri.startswith(self.base):
            return "/" + iri[len(self.base):]
        return iri if iri.lower().startswith(("http://", "https://")) else ""

    def short(self, iri: str) -> str:
        found = self._short.get(iri)
        if found is None:
            found = keep(self._short, iri, self._shorten(iri))
        return found

    def _shorten(self, iri: str) -> str:
        for prefix, ns in self.table:
            local = iri[len(ns):]
            if iri.startswith(ns) and local and "/" not in local and "#" not in local:
                return f"{prefix}:{local}"
        return iri

    def term(self, term: str, *, named: bool = True) -> dict[str, str]:
        """An N-Triples term as the page shows it: an IRI by its name (``named``) or short
        form, linked; a literal by its lexical form, its language or datatype as the hint;
        a blank node or a quoted triple as written."""
        if is_iri(term):
            value = iri_value(term)
            name = self.names.get(value) if named else None
            return {"text": name or self.short(value), "href": self.href(value),
                    "title": value}
        if term[:1] == '"':
            lexical, language, datatype = literal_parts(term)
            hint = f"@{language}" if language else self.short(datatype or _XSD_STRING)
            return {"text": lexical, "href": "", "title": hint}
        return {"text": term, "href": "", "title": ""}

    def html(self, term: str, *, named: bool = True) -> Markup:
        """:func:`term_html` of :meth:`term`; an IRI's is kept by its text and the name it
        is shown by, so a table cell is one lookup (a fact's page has fifty)."""
        if not is_iri(term):  # a literal's HTML is kept by term_html alone
            return term_html(self.term(term))
        key = (term, self.names.get(iri_value(term)) if named else "")
        found = self._cells.get(key)
        if found is None:
            found = keep(self._cells, key, term_html(self.term(term, named=named)))
        return found


def term_html(t: dict[str, Any] | Markup) -> Markup:
    """A term as a link (or a span) with its IRI or datatype as the hint, kept for plain
    text only (``Markup`` equals the same text as a key but is not escaped)."""
    if isinstance(t, Markup):  # written already (:meth:`ViewTerms.html`)
        return t
    key = (href, title, text) = (t.get("href", ""), t.get("title", ""), t.get("text", ""))
    if type(href) is not str or type(title) is not str or type(text) is not str:
        return _written_term(t)
    found = _TERMS.get(key)
    if found is None:
        found = keep(_TERMS, key, _written_term(t))
    return found


def _written_term(t: dict[str, Any]) -> Markup:
    if t.get("href"):
        return Markup(f'<a href="{escape(t["href"])}" title="{_field(t, "title")}">'
                      f'{_field(t, "text")}</a>')
    return Markup(f'<span title="{_field(t, "title")}">{_field(t, "text")}</span>')


def _field(t: dict[str, Any], key: str) -> Markup:
    return escape(t[key]) if key in t else Markup("")


def table_rows(rows: Sequence[tuple[dict[str, Any] | Markup, ...]], *cells: str,
               anchors: Sequence[str] = ()) -> Markup:
    """The rows of a table of terms, each cell in its element (``th`` or ``td``), a row a
    line: written here, not in a template loop, for the same reason as :func:`term_html`.
    ``anchors``: an ``id`` for each row ("" for none), where a fragment leads."""
    ids = [*anchors[:len(rows)], *[""] * (len(rows) - len(anchors))]
    return Markup("".join(
        (f'<tr id="{escape(anchor)}">' if anchor else "<tr>")
        + "".join(f"<{cell}>{term_html(t)}</{cell}>" for cell, t in zip(cells, row))
        + "</tr>\n" for row, anchor in zip(rows, ids)))


def link_items(rows: Sequence[tuple[dict[str, Any] | Markup, dict[str, Any] | Markup]]) -> Markup:
    """A list's items of (property, value) terms: the value, then the property in small
    (as :func:`table_rows`, written here)."""
    return Markup("".join(f"<li>{term_html(o)} <small>({term_html(p)})</small></li>"
                          for p, o in rows))
