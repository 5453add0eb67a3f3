"""The RDF of a pledge's facts (terms in ontology/commitments.ttl).

Each fact becomes a resource ``id/fact/<slug>/<n>/<fact-id>`` typed for its kind, stated in
its pledge (``pg:statedIn``), with its curation status and its evidence: a Web Annotation
``oa:SpecificResource`` (``<fact>#target``) on the pledge with a ``oa:TextQuoteSelector``
(``<fact>#quote``) and a ``oa:TextPositionSelector`` (``<fact>#position``, offsets in Unicode
code points, which are Python string indices). The evidence has hash IRIs
(:data:`~pledge_graph.rdf.vocab.FACT_PARTS`): it is part of the fact's own document, read
with the fact in one request. Organisations, treaties, programmes and countries a fact
refers to are described along with it, so the graph holds every resource it links to
(:mod:`~pledge_graph.mapping.resources`). No blank nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pledge_graph.errors import RecordError
from pledge_graph.extract.organisations import load_organisations
from pledge_graph.extract.programmes import load_programmes
from pledge_graph.extract.treaties import ACTIONS, load_treaties
from pledge_graph.mapping import resources
from pledge_graph.mapping.actors import state_names_by_code, state_terms
from pledge_graph.mapping.money import money_triples
from pledge_graph.rdf.ntriples import Terms, Triple, iri, literal, typed
from pledge_graph.rdf.vocab import DCTERMS, OA, RDF, RDFS, SCHEMA, XSD, Iris, slugify

__all__ = ["CONTEXT_CHARS", "fact_triples"]

_RDF, _RDFS, _DCT, _OA, _SCHEMA = (Terms(ns) for ns in (RDF, RDFS, DCTERMS, OA, SCHEMA))
_GYEAR, _BOOLEAN, _NNI = str(XSD.gYear), str(XSD.boolean), str(XSD.nonNegativeInteger)
_TRUE, _FALSE = typed("true", _BOOLEAN), typed("false", _BOOLEAN)

CONTEXT_CHARS = 32
"""How many characters of text before and after a quote its selector keeps (prefix, suffix)."""

_STATUS = {"extracted": "Extracted", "confirmed": "Confirmed", "corrected": "Corrected",
           "added": "Added"}
_CLASS = {"funding": "FundingCommitment", "treaty": "TreatyAction",
          "organisation": "OrganisationMention", "country": "CountryMention",
          "programme": "ProgrammeMention"}
_ACTION_TYPE = {"ratify": "Ratification", "accede": "Accession", "sign": "Signature",
                "withdraw-reservation": "WithdrawalOfReservation"}
_FACT_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def fact_triples(fact: dict[str, Any], pledge_iri: str, slug: str, number: int, text: str,
                 lang: str, iris: Iris, funders: Sequence[str] = (), *,
                 data_dir: Path | None = None) -> Iterable[Triple]:
    """Return the triples of one fact of pledge ``number`` of record ``slug``.

    Terms are N-Triples texts (``pledge_iri`` and ``funders`` too). ``funders`` are the
    pledging actors: the funders of a funding commitment and the actors of a treaty action. A
    rejected fact gives nothing; so does a country fact naming one of the funders (the
    pledging State is not a country its own pledge is about). Raises RecordError when the fact
    is malformed (unknown kind, amount, slug, or words not in the text), naming the record
    and, when ``data_dir`` is given, the line of the fact in it.
    """
    if fact.get("status", "extracted") == "rejected":
        return []
    try:
        return _fact_triples(fact, pledge_iri, slug, number, text, lang, iris, funders, data_dir)
    except RecordError as error:
        raise _located(error, data_dir, slug, number, fact.get("id")) from None


def _fact_triples(fact: dict[str, Any], pledge_iri: str, slug: str, number: int, text: str,
                  lang: str, iris: Iris, funders: Sequence[str],
                  data_dir: Path | None) -> list[Triple]:
    status = fact.get("status", "extracted")
    where = f"records/{slug}.yaml"
    fact_id = _field(fact, "id", str, where, number)
    if not _FACT_ID.match(fact_id):
        raise _error(where, number, fact_id, f"bad fact id {fact_id!r}",
                     "lower-case letters, digits, '-' and '.'")
    kind = _field(fact, "kind", str, where, number)
    if kind not in _CLASS:
        raise _error(where, number, fact_id, f"unknown fact kind {kind!r}", " | ".join(_CLASS))
    if status not in _STATUS:
        raise _error(where, number, fact_id, f"unknown status {status!r}",
                     " | ".join([*_STATUS, "rejected"]))
    subject = iri(iris.fact(slug, number, fact_id))
    describe = _KINDS[kind]
    body = list(describe(fact, subject, pledge_iri, iris, list(funders), data_dir,
                         (where, number, fact_id)))
    if not body:
        return []
    pg = resources.ontology(iris.base)
    start, end = _span(fact, text, where, number, fact_id)
    exact = text[start:end]
    past = kind == "funding" and fact.get("commitment") == "past"
    out: list[Triple] = [
        (subject, _RDF.type, pg.PastContribution if past else pg[_CLASS[kind]]),
        (subject, _RDF.type, pg.Fact),
        (subject, _RDFS.label, literal(exact, lang)),
        (subject, pg.statedIn, pledge_iri),
        (subject, pg.curationStatus, pg[_STATUS[status]]),
        *body,
        *_evidence(subject, pledge_iri, text, start, end, iris),
    ]
    return out


# ---------------------------------------------------------------------------
# Kinds
# ---------------------------------------------------------------------------

_Where = tuple[str, int, str]


def _funding(fact: dict[str, Any], subject: str, pledge: str, iris: Iris,
             funders: list[str], data_dir: Path | None, where: _Where) -> Iterator[Triple]:
    pg = resources.ontology(iris.base)
    yield subject, _RDF.type, _SCHEMA.MonetaryGrant
    for funder in funders:
        yield subject, _SCHEMA.funder, funder
    yield from money_triples(fact, subject, pg, lambda message, expected: _error(
        *where, message, expected))
    yield subject, pg.approximate, _TRUE if fact.get("approximate") else _FALSE
    recipient = fact.get("recipient")
    if recipient:
        yield subject, pg.recipient, iri(iris.org(_known_org(recipient, where, data_dir)))
        yield from resources.organisation(recipient, iris, data_dir)
    elif fact.get("recipient_name"):
        yield subject, pg.recipientName, literal(str(fact["recipient_name"]))
    for key, prop in (("fiscal_year", pg.fiscalYear), ("period_start", pg.periodStart),
                      ("period_end", pg.periodEnd)):
        year = fact.get(key)
        if year is not None:
            if not isinstance(year, int) or not 1900 <= year <= 2200:
                raise _error(*where, f"bad {key} {year!r}", "a year such as 2024")
            yield subject, prop, typed(f"{year:04d}", _GYEAR)
    for key, prop in (("budget_source", pg.budgetSource), ("purpose", pg.purpose)):
        if fact.get(key):
            yield subject, prop, literal(str(fact[key]))
    kind = fact.get("commitment") or "pledge"
    if kind not in ("pledge", "firm", "past"):
        raise _error(*where, f"bad commitment {kind!r}", "pledge | firm | past")
    if kind != "past":  # money already given is a pg:PastContribution, not a commitment
        yield subject, pg.commitmentKind, (pg.FirmCommitment if kind == "firm"
                                           else pg.IndicativePledge)


def _treaty_action(fact: dict[str, Any], subject: str, pledge: str, iris: Iris,
                   funders: list[str], data_dir: Path | None,
                   where: _Where) -> Iterator[Triple]:
    pg = resources.ontology(iris.base)
    action = fact.get("action")
    if action not in ACTIONS:
        raise _error(*where, f"bad treaty action {action!r}", " | ".join(ACTIONS))
    treaty = fact.get("treaty")
    if treaty not in load_treaties(data_dir).by_slug:
        raise _error(*where, f"unknown treaty {treaty!r}", "a slug of authorities/treaties.yaml")
    for actor in funders:
        yield subject, pg.actor, actor
    yield subject, pg.actionType, pg[_ACTION_TYPE[action]]
    yield subject, pg.treaty, iri(iris.treaty(treaty))
    yield subject, pg.consider, _TRUE if fact.get("consider") else _FALSE
    yield pledge, _SCHEMA.mentions, iri(iris.treaty(treaty))
    yield from resources.treaty(treaty, iris, data_dir)


def _organisation_mention(fact: dict[str, Any], subject: str, pledge: str, iris: Iris,
                          funders: list[str], data_dir: Path | None,
                          where: _Where) -> Iterator[Triple]:
    slug = fact.get("organisation")
    if slug:
        org = iri(iris.org(_known_org(slug, where, data_dir)))
        yield subject, resources.ontology(iris.base).refersTo, org
        yield pledge, _SCHEMA.mentions, org
        yield from resources.organisation(slug, iris, data_dir)
    elif fact.get("name"):
        yield subject, resources.ontology(iris.base).mentionedName, literal(str(fact["name"]))
    else:
        raise _error(*where, "organisation fact names no organisation",
                     "an organisation slug, or a name for an unknown body")


def _country_mention(fact: dict[str, Any], subject: str, pledge: str, iris: Iris,
                     funders: list[str], data_dir: Path | None,
                     where: _Where) -> Iterator[Triple]:
    code = str(fact.get("country") or "").upper()
    names = state_names_by_code(data_dir)
    if code not in names:
        raise _error(*where, f"unknown country {fact.get('country')!r}",
                     "the alpha-3 code of a State, e.g. YEM")
    state = iri(iris.state(code))
    if state in funders:
        return
    yield subject, resources.ontology(iris.base).refersTo, state
    yield pledge, _DCT.spatial, state
    yield from state_terms(code, iris.base, data_dir)


def _programme_mention(fact: dict[str, Any], subject: str, pledge: str, iris: Iris,
                       funders: list[str], data_dir: Path | None,
                       where: _Where) -> Iterator[Triple]:
    slug = fact.get("programme")
    if slug and slug not in load_programmes(data_dir).by_slug:
        raise _error(*where, f"unknown programme {slug!r}",
                     "a slug of authorities/programmes.yaml, or null with a name")
    if not slug and not fact.get("name"):
        raise _error(*where, "programme fact names no programme", "a programme slug or a name")
    key = slug or slugify(str(fact["name"]))
    programme = iri(iris.programme(key))
    yield subject, resources.ontology(iris.base).refersTo, programme
    yield pledge, _SCHEMA.mentions, programme
    yield from resources.programme(slug, fact.get("name"), fact.get("acronym"), iris, data_dir)


_KINDS = {"funding": _funding, "treaty": _treaty_action, "organisation": _organisation_mention,
          "country": _country_mention, "programme": _programme_mention}


def _known_org(slug: object, where: _Where, data_dir: Path | None) -> str:
    if not isinstance(slug, str) or slug not in load_organisations(data_dir).by_slug:
        raise _error(*where, f"unknown organisation {slug!r}",
                     "a slug of authorities/organisations.yaml")
    return slug


# ---------------------------------------------------------------------------
# Evidence: where in the pledge's text the fact was read
# ---------------------------------------------------------------------------

def _evidence(subject: str, pledge: str, text: str, start: int, end: int,
              iris: Iris) -> list[Triple]:
    stem = subject[:-1]
    target, quote, position = (f"{stem}#{part}>" for part in ("target", "quote", "position"))
    return [
        (subject, resources.ontology(iris.base).evidence, target),
        (target, _RDF.type, _OA.SpecificResource),
        (target, _OA.hasSource, pledge),
        (target, _OA.hasSelector, quote),
        (target, _OA.hasSelector, position),
        (quote, _RDF.type, _OA.TextQuoteSelector),
        (quote, _OA.exact, literal(text[start:end])),
        (quote, _OA.prefix, literal(text[max(0, start - CONTEXT_CHARS):start])),
        (quote, _OA.suffix, literal(text[end:end + CONTEXT_CHARS])),
        (position, _RDF.type, _OA.TextPositionSelector),
        (position, _OA.start, typed(start, _NNI)),
        (position, _OA.end, typed(end, _NNI)),
    ]


def _span(fact: dict[str, Any], text: str, where: str, number: int,
          fact_id: str) -> tuple[int, int]:
    """Return the fact's offsets; a curator may give only the words, which are then found."""
    start, end, exact = fact.get("start"), fact.get("end"), fact.get("exact")
    if (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
            and (exact is None or text[start:end] == exact)):
        return start, end
    if isinstance(exact, str) and exact:
        found = text.find(exact)
        if found >= 0:
            return found, found + len(exact)
        raise _error(where, number, fact_id, f"quoted words {exact!r} are not in the pledge text",
                     "exact: words copied from the pledge")
    raise _error(where, number, fact_id, "fact has no text span",
                 "start and end offsets into the pledge text, or its exact words")


def _field(fact: dict[str, Any], key: str, kind: type, where: str, number: int) -> Any:
    value = fact.get(key)
    if not isinstance(value, kind) or not value:
        raise RecordError(f"pledge {number}: a fact has no {key}", file=where,
                          expected=f"a {key} for every fact")
    return value


def _located(error: RecordError, data_dir: Path | None, slug: str, number: int,
             fact_id: object) -> RecordError:
    """Return the error with the record's path and the line of the fact, where they are known."""
    if data_dir is None:
        return error
    path = Path(data_dir) / "records" / f"{slug}.yaml"
    line = None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    pledge = None
    for i, row in enumerate(lines, 1):
        found = _NUMBER_LINE.match(row)
        if found:
            pledge = int(found.group(1))
        elif pledge == number and (named := _ID_LINE.match(row)) and named.group(1) == fact_id:
            line = i
            break
    return RecordError(error.message, file=path, line=line, expected=error.expected)


_NUMBER_LINE = re.compile(r"^\s*-\s+number:\s*(\d+)\s*$")
_ID_LINE = re.compile(r"^\s*-\s+id:\s*['\"]?([^'\"\s]+)['\"]?\s*$")


def _error(where: str, number: int, fact_id: str, message: str, expected: str) -> RecordError:
    return RecordError(f"pledge {number}, fact {fact_id}: {message}", file=where,
                       expected=expected)
