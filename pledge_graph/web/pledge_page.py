"""What the pledge page shows beyond a resource page: its words with each fact's highlighted
(from :mod:`~pledge_graph.web.evidence`), the facts' table, its links by group and how to
cite it.

The words and the facts' table are written here as HTML, not by template loops: a pledge has
dozens of pieces and facts, each with several fields, and the template's loops over them
cost more than the rest of the page (as :func:`pledge_graph.web.pages.table_rows` does for
the tables of terms). Every value is escaped as the template would escape it, so the page
is the same, byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from pledge_graph.rdf.vocab import DCTERMS, PROV, RDFS, SCHEMA, VOID
from pledge_graph.store.lookup import literal_parts
from pledge_graph.web.evidence import Fact, Piece, pieces
from pledge_graph.web.page_terms import Row, ViewTerms, iri_value, is_iri
from pledge_graph.web.pages import PAGE_ROWS

__all__ = ["LINK_GROUPS", "Citation", "FactView", "LinkGroup", "bibtex_escape", "citation",
           "fact_rows", "pledge_view", "status_key", "text_html"]


@dataclass(slots=True)
class FactView:
    """A fact as the page shows it (an object, not a dict: the template looks fields up as
    attributes first)."""

    number: int
    iri: str
    href: str
    label: str
    status: str
    status_key: str
    kind: str
    start: int
    end: int
    anchor: tuple[int, int] | None


@dataclass(slots=True)
class LinkGroup:
    """The pledge's links by one group of :data:`LINK_GROUPS`."""

    key: str
    heading: str
    rows: list[tuple[Markup, Markup]]


@dataclass(slots=True)
class Citation:
    """How to cite a pledge: plain text and a BibTeX entry (text, not markup)."""

    plain: str
    bibtex: str


LINK_GROUPS = (
    ("rights-holders", "Rights-holders", ("{pg}rightsHolderGroup",)),
    ("named", "Named in the text", (str(SCHEMA.mentions), str(DCTERMS.spatial))),
    ("actors", "Pledged by", ("{pg}pledgedBy",)),
    ("provenance", "Provenance", (str(PROV.hadPrimarySource), str(PROV.wasGeneratedBy),
                                  str(PROV.wasDerivedFrom), str(DCTERMS.source),
                                  str(VOID.inDataset))),
)
"""The pledge's outgoing links shown together, by property; the rest are "Other properties"."""
_LABEL = str(RDFS.label)


def pledge_view(iri: str, rows: list[Row], facts: list[Fact], issued: str, settings: Any,
                view: ViewTerms) -> dict[str, object]:
    """What the pledge template shows beyond a resource page: the text in pieces, the facts
    with their kinds and statuses, the links in groups and the citation (``rows``: its
    description as N-Triples text)."""
    pg = str(settings.iris.ontology)
    subject = f"<{iri}>"
    outgoing = sorted((t for t in rows if t[0] == subject), key=lambda t: (iri_value(t[1]), t[2]))
    text_term, label_term, author_term = f"<{pg}pledgeText>", f"<{_LABEL}>", f"<{pg}pledgedBy>"
    texts = [literal_parts(o) for _, p, o in outgoing if p == text_term and o[:1] == '"']
    text = texts[0][0] if texts else ""
    groups, rest = _link_groups(outgoing, pg, view)
    parts = {f.iri for f in facts} | {f"{f.iri}#target" for f in facts}
    incoming = [(view.html(s), view.html(p, named=False))
                for s, p, _ in sorted((t for t in rows if t[2] == subject and t[0] != subject
                                       and not (is_iri(t[0]) and iri_value(t[0]) in parts)),
                                      key=lambda t: (iri_value(t[1]), t[0]))]
    authors = [view.names.get(iri_value(o), view.short(iri_value(o))) for _, p, o in outgoing
               if p == author_term and is_iri(o)]
    labels = sorted((literal_parts(o) for _, p, o in outgoing
                     if p == label_term and o[:1] == '"'),
                    key=lambda label: (label[1] not in ("en", None), label[0]))
    title = labels[0][0] if labels else view.short(iri)
    built = settings.built.date().isoformat()
    shown = {f.number: _fact_view(f, text, view) for f in facts}
    views = list(shown.values())
    return {
        "text_lang": texts[0][1] or "" if texts else "",
        "text_html": text_html(pieces(text, facts), shown),
        "facts": views, "fact_rows": fact_rows(views),
        "groups": groups, "rest": rest, "linked_from": incoming[:PAGE_ROWS],
        "linked_from_count": len(incoming),
        "issued": issued, "built": built,
        "cite": citation(iri, title, authors, issued, settings.version,
                         built, view.href(iri) or iri),
    }


def text_html(cut: list[Piece], facts: dict[int, FactView]) -> Markup:
    """The pledge's words, each piece of a fact's words marked with the narrowest fact's
    status and linked to it (every covering fact named in its title), each fact's reference
    mark after its last piece."""
    out = []
    for piece in cut:
        if piece.facts:
            first = facts[piece.facts[0].number]
            title = "; ".join(f"{escape(facts[f.number].kind)} ({escape(facts[f.number].status)})"
                              for f in piece.facts)
            words = escape(piece.text)
            out.append(f'<mark class="evidence status-{escape(first.status_key)}" data-facts='
                       f'"{escape(" ".join(f.iri for f in piece.facts))}" data-start='
                       f'"{piece.start}" data-end="{piece.end}">')
            out.append(f'<a href="{escape(first.href)}" title="{title}">{words}</a></mark>'
                       if first.href else f'<span title="{title}">{words}</span></mark>')
        else:
            out.append(escape(piece.text))
        for end in piece.ends:
            shown = facts[end.number]
            out.append(f'<sup class="fact-ref"><a href="#fact-{shown.number}" title='
                       f'"{escape(shown.kind)} ({escape(shown.status)})">{shown.number}</a>'
                       "</sup>")
    return Markup("".join(out))


def fact_rows(facts: list[FactView]) -> Markup:
    """The rows of the facts' table, each after a line break: number, words (linked to the
    fact), kind, status, and where the words are (and whether found by their quote)."""
    out = []
    for f in facts:
        label = escape(f.label)
        words = f'<a href="{escape(f.href)}">{label}</a>' if f.href else label
        if not f.anchor:
            where = " <em>(not found in the text)</em>"
        elif f.anchor != (f.start, f.end):
            where = f" <em>(found by its quote at {f.anchor[0]}–{f.anchor[1]})</em>"
        else:
            where = ""
        out.append(f'\n<tr id="fact-{f.number}" data-fact="{escape(f.iri)}"><td>{f.number}'
                   f"</td>\n<td>{words}</td>\n<td>{escape(f.kind)}</td><td><span class="
                   f'"status status-{escape(f.status_key)}">{escape(f.status)}</span></td>\n'
                   f"<td>{f.start}–{f.end}{where}</td></tr>")
    return Markup("".join(out))


def citation(iri: str, title: str, authors: list[str], issued: str, version: str,
             built: str, local: str) -> Citation:
    """How to cite a pledge: a plain-text citation and a BibTeX entry (text, not markup:
    the template escapes it)."""
    year = issued[:4] if re.fullmatch(r"\d{4}.*", issued) else ""
    who = "; ".join(authors) or "Unknown actor"
    release = f"pledge-graph release {version}" if version else "pledge-graph"
    plain = (f"{who}{f' ({year})' if year else ''}. {title}. Human Rights 75 pledge. "
             f"In: {release}, built {built}. {iri}")
    key = "pledge-graph:" + (re.sub(r"[^A-Za-z0-9]+", "-", local).strip("-") or "pledge")
    fields = [("author", " and ".join("{" + bibtex_escape(a) + "}" for a in authors)
               or "{Unknown actor}"),
              ("title", "{" + bibtex_escape(title) + "}"),
              ("year", bibtex_escape(year)),
              ("howpublished", bibtex_escape(f"Human Rights 75 pledge, {release}")),
              ("note", bibtex_escape(f"Release built {built}")),
              ("url", bibtex_escape(iri))]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return Citation(plain=plain, bibtex=f"@misc{{{key},\n{body}\n}}")


_BIBTEX = str.maketrans({
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "$": r"\$",
    "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"})


def bibtex_escape(text: str) -> str:
    """``text`` as a BibTeX field value: braces and TeX's special characters escaped, so
    a label cannot end the field or the entry."""
    return text.translate(_BIBTEX)


def _link_groups(outgoing: list[Row], pg: str, view: ViewTerms
                 ) -> tuple[list[LinkGroup], list[tuple[Markup, Markup]]]:
    """The pledge's links in the groups of :data:`LINK_GROUPS` (those it has), and the rest
    of its properties but its text, which the page shows above."""
    shown = {f"<{pg}pledgeText>"}
    groups = []
    for key, heading, properties in LINK_GROUPS:
        wanted = {"<" + p.format(pg=pg) + ">" for p in properties}
        shown |= wanted
        rows = [(view.html(p, named=False), view.html(o)) for _, p, o in outgoing if p in wanted]
        if rows:
            groups.append(LinkGroup(key=key, heading=heading, rows=rows))
    rest = [(view.html(p, named=False), view.html(o)) for _, p, o in outgoing if p not in shown]
    return groups, rest


def _fact_view(fact: Fact, text: str, view: ViewTerms) -> FactView:
    status = view.names.get(fact.status) or fact.status.rsplit("/", 1)[-1]
    kinds = [view.names.get(k) or view.short(k) for k in fact.kinds]
    return FactView(number=fact.number, iri=fact.iri, href=view.href(fact.iri),
                    label=view.names.get(fact.iri) or fact.exact or view.short(fact.iri),
                    status=status, status_key=status_key(fact.status),
                    kind=", ".join(kinds) or "Fact", start=fact.start, end=fact.end,
                    anchor=fact.anchor(text))


def status_key(status: str) -> str:
    """A curation status as a CSS class name: its IRI's last part, letters only."""
    return re.sub(r"[^a-z]", "", status.rsplit("/", 1)[-1].lower()) or "unknown"
