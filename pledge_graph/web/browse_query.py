"""What a view of ``/pledges`` selects, read from its URL, and the SPARQL query equal to it.

A selection is a set of facet values (every one must hold: facets narrow, they never
widen) and the words of a search (every word must occur in the text, as the start of a
word). Its SPARQL query names the same pledges in the same order, so "Open as SPARQL" shows
how the view is asked of the endpoint; it differs from the index only where SPARQL cannot
follow: the index folds accents and case in every language, REGEX only case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pledge_graph.publish.search_index import FACETS, MAX_WORDS, Facet, search_words

__all__ = ["BY_NAME", "MAX_PAGE_SIZE", "MAX_SEARCH", "PAGE_SIZE", "BadParameter", "Selection",
           "count_query", "list_query", "parse_selection"]

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_SEARCH = 500
"""Characters a search string may have."""
MAX_FILTERS = 30
BY_NAME: dict[str, Facet] = {f.name: f for f in FACETS}
_OTHER_PARAMETERS = ("q", "page", "size")


class BadParameter(ValueError):
    """A parameter of ``/pledges`` that cannot be understood: answered 400 with this text."""


@dataclass(frozen=True)
class Selection:
    """The pledges a view shows: facet values (IRIs, or language tags), search words, and
    which page of them."""

    filters: tuple[tuple[str, str], ...] = ()
    search: str = ""
    words: tuple[str, ...] = ()
    page: int = 1
    size: int = PAGE_SIZE
    base: str = field(default="", compare=False)

    def key(self, value: str) -> str:
        """The short form of a value in a URL: an IRI under the base without the base."""
        return value.removeprefix(self.base) if self.base else value

    def params(self, *, add: tuple[str, str] | None = None, drop: tuple[str, str] | None = None,
               page: int | None = None) -> list[tuple[str, str]]:
        """The URL parameters of this selection, changed as asked (a new filter or one
        removed starts again at page 1)."""
        filters = [f for f in self.filters if f != drop]
        if add and add not in filters:
            filters.append(add)
        out = [(name, self.key(value)) for name, value in filters]
        if self.search:
            out.append(("q", self.search))
        if self.size != PAGE_SIZE:
            out.append(("size", str(self.size)))
        number = page if page is not None else (1 if add or drop else self.page)
        if number != 1:
            out.append(("page", str(number)))
        return out


def parse_selection(params: Sequence[tuple[str, str]], base: str) -> Selection:
    """Read a selection from URL parameters; raise :class:`BadParameter` on any that is
    unknown, repeated where it may not be, malformed or too long."""
    filters: list[tuple[str, str]] = []
    single: dict[str, str] = {}
    for name, value in params:
        if name in BY_NAME:
            filters.append((name, _value(BY_NAME[name], value, base)))
        elif name in _OTHER_PARAMETERS:
            if name in single:
                raise BadParameter(f"the parameter {name!r} is given twice")
            single[name] = value
        else:
            raise BadParameter(f"unknown parameter {name!r}; expected one of "
                               f"{', '.join([*BY_NAME, *_OTHER_PARAMETERS])}")
    if len(filters) > MAX_FILTERS:
        raise BadParameter(f"{len(filters)} facet values; at most {MAX_FILTERS}")
    search = single.get("q", "").strip()
    if len(search) > MAX_SEARCH:
        raise BadParameter(f"the search has {len(search)} characters; at most {MAX_SEARCH}")
    words = tuple(search_words(search))
    if len(words) > MAX_WORDS:
        raise BadParameter(f"the search has {len(words)} words; at most {MAX_WORDS}")
    return Selection(tuple(dict.fromkeys(filters)), search, words,
                     _number(single, "page", 1, 1_000_000), _number(single, "size", PAGE_SIZE,
                                                                    MAX_PAGE_SIZE), base)


def _value(facet: Facet, value: str, base: str) -> str:
    if not value or len(value) > 1000 or any(c in value for c in '<>"{}|^`\\ \n'):
        raise BadParameter(f"{facet.name}={value[:80]!r} is not a value of this facet")
    if facet.literal or value.startswith(("http://", "https://")):
        return value
    return base + value


def _number(params: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and 1 <= int(raw) <= maximum):
        raise BadParameter(f"{name}={raw[:40]!r}: expected a whole number from 1 to {maximum}")
    return int(raw)


def _patterns(selection: Selection) -> list[str]:
    """The graph patterns of the selection's facet values and search words."""
    lines = []
    for n, (name, value) in enumerate(selection.filters, start=1):
        facet = BY_NAME[name]
        if facet.literal:
            lines.append(facet.pattern.format(v=f"?value{n}", n=n)
                         + f' FILTER(?value{n} = "{value}")')
        else:
            lines.append(facet.pattern.format(v=f"<{value}>", n=n))
    for word in selection.words:
        if any(ord(c) >= 0x2E80 for c in word):
            lines.append(f'FILTER(CONTAINS(LCASE(?text), "{word.lower()}"))')
        else:
            lines.append(f'FILTER(REGEX(?text, "(^|[^\\\\p{{L}}\\\\p{{N}}]){word}", "i"))')
    return lines


_PREFIXES = "PREFIX pg: <{base}ontology/>\nPREFIX dct: <http://purl.org/dc/terms/>\n"


def list_query(selection: Selection) -> str:
    """The SPARQL query listing the selection's pledges, in the list's order."""
    where = "\n  ".join(_patterns(selection))
    return (_PREFIXES.format(base=selection.base)
            + "SELECT ?pledge ?date ?language ?text "
            "(GROUP_CONCAT(DISTINCT STR(?actor); separator=\" \") AS ?actors)\nWHERE {\n"
            "  ?pledge a pg:Pledge ; pg:pledgeText ?text .\n"
            "  BIND(LANG(?text) AS ?language)\n"
            "  OPTIONAL { ?pledge pg:pledgedBy ?actor }\n"
            "  OPTIONAL { ?pledge pg:submission ?submission . ?submission dct:issued ?date }\n"
            "  OPTIONAL { ?pledge pg:pledgeNumber ?number }\n"
            + (f"  {where}\n" if where else "")
            + "}\nGROUP BY ?pledge ?submission ?number ?date ?language ?text\n"
            "ORDER BY ?submission ?number ?pledge\n")


def count_query(selection: Selection, facet: Facet) -> str:
    """The SPARQL query counting the selection's pledges by the values of ``facet``."""
    lines = [*_patterns(selection), facet.pattern.format(v="?value", n=0)]
    if facet.restrict:
        lines.append(facet.restrict.format(v="?value"))
    where = "\n  ".join(lines)
    return (_PREFIXES.format(base=selection.base)
            + "SELECT ?value (COUNT(DISTINCT ?pledge) AS ?count)\nWHERE {\n"
            f"  ?pledge a pg:Pledge ; pg:pledgeText ?text .\n  {where}\n}}\n"
            "GROUP BY ?value\nORDER BY DESC(?count) ?value\n")
