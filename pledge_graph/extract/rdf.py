"""The RDF of a pledge's facts (terms in ontology/commitments.ttl).

Each fact becomes a resource ``id/fact/<slug>/<n>/<fact-id>`` typed for its kind, stated in
its pledge (``pg:statedIn``), with its curation status and its evidence: a Web Annotation
``oa:SpecificResource`` (``<fact>/target``) on the pledge with a ``oa:TextQuoteSelector``
(``<fact>/quote``) and a ``oa:TextPositionSelector`` (``<fact>/position``, offsets in Unicode
code points, which are Python string indices). Organisations, treaties, programmes and
countries a fact refers to are described along with it, so the graph holds every resource it
links to. No blank nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..authorities import actor_triples, resolve_actor, states
from ..errors import RecordError
from ..vocab import DCTERMS, FOAF, OA, ORG, OWL, RDF, RDFS, SCHEMA, SKOS, WD, XSD, Iris, slugify
from .organisations import load_organisations
from .programmes import load_programmes
from .treaties import ACTIONS, load_treaties

__all__ = ["CONTEXT_CHARS", "authority_triples", "fact_triples"]

Triple = tuple[Node, Node, Node]

CONTEXT_CHARS = 32
"""How many characters of text before and after a quote its selector keeps (prefix, suffix)."""

_STATUS = {"extracted": "Extracted", "confirmed": "Confirmed", "corrected": "Corrected",
           "added": "Added"}
_CLASS = {"funding": "FundingCommitment", "treaty": "TreatyAction",
          "organisation": "OrganisationMention", "country": "CountryMention",
          "programme": "ProgrammeMention"}
_ACTION_TYPE = {"ratify": "Ratification", "accede": "Accession", "sign": "Signature",
                "withdraw-reservation": "WithdrawalOfReservation"}
_ORG_CLASS = {"intergovernmental": "IntergovernmentalOrganization"}
_FACT_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def fact_triples(fact: dict[str, Any], pledge_iri: URIRef, slug: str, number: int, text: str,
                 lang: str, iris: Iris, funders: Sequence[URIRef] = (), *,
                 data_dir: Path | None = None) -> Iterable[Triple]:
    """Return the triples of one fact of pledge ``number`` of record ``slug``.

    ``funders`` are the pledging actors: the funders of a funding commitment and the actors of
    a treaty action. A rejected fact gives nothing; so does a country fact naming one of the
    funders (the pledging State is not a country its own pledge is about). Raises RecordError
    when the fact is malformed (unknown kind, amount, slug, or words not in the text), naming
    the record and, when ``data_dir`` is given, the line of the fact in it.
    """
    if fact.get("status", "extracted") == "rejected":
        return []
    try:
        return _fact_triples(fact, pledge_iri, slug, number, text, lang, iris, funders, data_dir)
    except RecordError as error:
        raise _located(error, data_dir, slug, number, fact.get("id")) from None


def _fact_triples(fact: dict[str, Any], pledge_iri: URIRef, slug: str, number: int, text: str,
                  lang: str, iris: Iris, funders: Sequence[URIRef],
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
    subject = iris.fact(slug, number, fact_id)
    describe = _KINDS[kind]
    body = list(describe(fact, subject, pledge_iri, iris, list(funders), data_dir,
                         (where, number, fact_id)))
    if not body:
        return []
    pg = iris.ontology
    start, end = _span(fact, text, where, number, fact_id)
    exact = text[start:end]
    out: list[Triple] = [
        (subject, RDF.type, pg[_CLASS[kind]]),
        (subject, RDF.type, pg.Fact),
        (subject, RDFS.label, Literal(exact, lang=lang)),
        (subject, pg.statedIn, pledge_iri),
        (subject, pg.curationStatus, pg[_STATUS[status]]),
        *body,
        *_evidence(subject, pledge_iri, text, start, end, iris),
    ]
    return out


def authority_triples(iris: Iris, data_dir: Path | None = None) -> Iterator[Triple]:
    """Yield the descriptions of every organisation, treaty and programme of the authority
    files, for a release that publishes the gazetteers whole."""
    for slug in load_organisations(data_dir).by_slug:
        yield from _organisation(slug, iris, data_dir)
    for slug in load_treaties(data_dir).by_slug:
        yield from _treaty(slug, iris, data_dir)
    for slug in load_programmes(data_dir).by_slug:
        yield from _programme(slug, None, None, iris, data_dir)


# ---------------------------------------------------------------------------
# Kinds
# ---------------------------------------------------------------------------

_Where = tuple[str, int, str]


def _funding(fact: dict[str, Any], subject: URIRef, pledge: URIRef, iris: Iris,
             funders: list[URIRef], data_dir: Path | None, where: _Where) -> Iterator[Triple]:
    pg = iris.ontology
    amount = URIRef(f"{subject}/amount")
    value = _decimal(fact.get("amount"), where, "amount")
    yield subject, RDF.type, SCHEMA.MonetaryGrant
    for funder in funders:
        yield subject, SCHEMA.funder, funder
    yield subject, SCHEMA.amount, amount
    yield amount, RDF.type, SCHEMA.MonetaryAmount
    currency = fact.get("currency")
    if currency is not None:
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            raise _error(*where, f"bad currency {currency!r}", "an ISO 4217 code such as USD")
        yield amount, SCHEMA.currency, Literal(currency)
    limit = fact.get("limit")
    if limit == "range":
        yield amount, SCHEMA.minValue, Literal(value, datatype=XSD.decimal)
        high = _decimal(fact.get("amount_max"), where, "amount_max")
        yield amount, SCHEMA.maxValue, Literal(high, datatype=XSD.decimal)
    elif limit in ("minimum", "maximum"):
        prop = SCHEMA.minValue if limit == "minimum" else SCHEMA.maxValue
        yield amount, prop, Literal(value, datatype=XSD.decimal)
    elif limit is None:
        yield amount, SCHEMA.value, Literal(value, datatype=XSD.decimal)
    else:
        raise _error(*where, f"bad limit {limit!r}", "minimum | maximum | range | null")
    yield subject, pg.approximate, Literal(bool(fact.get("approximate")))
    recipient = fact.get("recipient")
    if recipient:
        yield subject, pg.recipient, iris.org(_known_org(recipient, where, data_dir))
        yield from _organisation(recipient, iris, data_dir)
    elif fact.get("recipient_name"):
        yield subject, pg.recipientName, Literal(str(fact["recipient_name"]))
    for key, prop in (("fiscal_year", pg.fiscalYear), ("period_start", pg.periodStart),
                      ("period_end", pg.periodEnd)):
        year = fact.get(key)
        if year is not None:
            if not isinstance(year, int) or not 1900 <= year <= 2200:
                raise _error(*where, f"bad {key} {year!r}", "a year such as 2024")
            yield subject, prop, Literal(f"{year:04d}", datatype=XSD.gYear)
    for key, prop in (("budget_source", pg.budgetSource), ("purpose", pg.purpose)):
        if fact.get(key):
            yield subject, prop, Literal(str(fact[key]))
    kind = fact.get("commitment") or "pledge"
    if kind not in ("pledge", "firm"):
        raise _error(*where, f"bad commitment {kind!r}", "pledge | firm")
    yield subject, pg.commitmentKind, pg.FirmCommitment if kind == "firm" else pg.IndicativePledge


def _treaty_action(fact: dict[str, Any], subject: URIRef, pledge: URIRef, iris: Iris,
                   funders: list[URIRef], data_dir: Path | None,
                   where: _Where) -> Iterator[Triple]:
    pg = iris.ontology
    action = fact.get("action")
    if action not in ACTIONS:
        raise _error(*where, f"bad treaty action {action!r}", " | ".join(ACTIONS))
    treaty = fact.get("treaty")
    if treaty not in load_treaties(data_dir).by_slug:
        raise _error(*where, f"unknown treaty {treaty!r}", "a slug of authorities/treaties.yaml")
    for actor in funders:
        yield subject, pg.actor, actor
    yield subject, pg.actionType, pg[_ACTION_TYPE[action]]
    yield subject, pg.treaty, iris.treaty(treaty)
    yield subject, pg.consider, Literal(bool(fact.get("consider")))
    yield pledge, SCHEMA.mentions, iris.treaty(treaty)
    yield from _treaty(treaty, iris, data_dir)


def _organisation_mention(fact: dict[str, Any], subject: URIRef, pledge: URIRef, iris: Iris,
                          funders: list[URIRef], data_dir: Path | None,
                          where: _Where) -> Iterator[Triple]:
    slug = fact.get("organisation")
    if slug:
        org = iris.org(_known_org(slug, where, data_dir))
        yield subject, iris.ontology.refersTo, org
        yield pledge, SCHEMA.mentions, org
        yield from _organisation(slug, iris, data_dir)
    elif fact.get("name"):
        yield subject, iris.ontology.mentionedName, Literal(str(fact["name"]))
    else:
        raise _error(*where, "organisation fact names no organisation",
                     "an organisation slug, or a name for an unknown body")


def _country_mention(fact: dict[str, Any], subject: URIRef, pledge: URIRef, iris: Iris,
                     funders: list[URIRef], data_dir: Path | None,
                     where: _Where) -> Iterator[Triple]:
    code = str(fact.get("country") or "").upper()
    names = _state_names(data_dir)
    if code not in names:
        raise _error(*where, f"unknown country {fact.get('country')!r}",
                     "the alpha-3 code of a State, e.g. YEM")
    iri = iris.state(code)
    if iri in funders:
        return
    yield subject, iris.ontology.refersTo, iri
    yield pledge, DCTERMS.spatial, iri
    yield from actor_triples(resolve_actor(names[code], data_dir), iris)


def _programme_mention(fact: dict[str, Any], subject: URIRef, pledge: URIRef, iris: Iris,
                       funders: list[URIRef], data_dir: Path | None,
                       where: _Where) -> Iterator[Triple]:
    slug = fact.get("programme")
    if slug and slug not in load_programmes(data_dir).by_slug:
        raise _error(*where, f"unknown programme {slug!r}",
                     "a slug of authorities/programmes.yaml, or null with a name")
    if not slug and not fact.get("name"):
        raise _error(*where, "programme fact names no programme", "a programme slug or a name")
    key = slug or slugify(str(fact["name"]))
    yield subject, iris.ontology.refersTo, iris.programme(key)
    yield pledge, SCHEMA.mentions, iris.programme(key)
    yield from _programme(slug, fact.get("name"), fact.get("acronym"), iris, data_dir)


_KINDS = {"funding": _funding, "treaty": _treaty_action, "organisation": _organisation_mention,
          "country": _country_mention, "programme": _programme_mention}


# ---------------------------------------------------------------------------
# Authorities
# ---------------------------------------------------------------------------

def _organisation(slug: str, iris: Iris, data_dir: Path | None) -> Iterator[Triple]:
    index = load_organisations(data_dir)
    while slug:
        o = index.by_slug[slug]
        iri = iris.org(slug)
        yield iri, RDF.type, ORG.FormalOrganization
        yield iri, RDF.type, FOAF.Organization
        if o.type == "government":
            yield iri, RDF.type, SCHEMA.GovernmentOrganization
        elif o.type in _ORG_CLASS:
            yield iri, RDF.type, iris.ontology[_ORG_CLASS[o.type]]
        yield iri, RDFS.label, Literal(o.name, lang="en")
        yield iri, SKOS.prefLabel, Literal(o.name, lang="en")
        for variant in o.variants:
            yield iri, SKOS.altLabel, Literal(variant, lang="en")
        for acronym in o.acronyms:
            yield iri, SCHEMA.alternateName, Literal(acronym)
        if o.wikidata:
            yield iri, OWL.sameAs, WD[o.wikidata]
        if o.homepage:
            yield iri, FOAF.homepage, URIRef(o.homepage)
        if o.part_of:
            yield iri, ORG.subOrganizationOf, iris.org(o.part_of)
        slug = o.part_of or ""


def _treaty(slug: str, iris: Iris, data_dir: Path | None) -> Iterator[Triple]:
    index = load_treaties(data_dir)
    while slug:
        t = index.by_slug[slug]
        iri = iris.treaty(slug)
        yield iri, RDF.type, iris.ontology.Treaty
        yield iri, RDFS.label, Literal(t.short, lang="en")
        yield iri, DCTERMS.title, Literal(t.title, lang="en")
        yield iri, SKOS.prefLabel, Literal(t.short, lang="en")
        for variant in t.variants:
            yield iri, SKOS.altLabel, Literal(variant, lang="en")
        for lang, title in t.translations:
            yield iri, SKOS.altLabel, Literal(title, lang=lang)
        for acronym in t.acronyms:
            yield iri, SCHEMA.alternateName, Literal(acronym)
        if t.adopted:
            yield iri, DCTERMS.date, Literal(f"{t.adopted:04d}", datatype=XSD.gYear)
        if t.protocol_to:
            yield iri, iris.ontology.protocolTo, iris.treaty(t.protocol_to)
        slug = t.protocol_to or ""


def _programme(slug: str | None, name: str | None, acronym: str | None, iris: Iris,
               data_dir: Path | None) -> Iterator[Triple]:
    if slug:
        p = load_programmes(data_dir).by_slug[slug]
        name, acronyms, variants = p.name, p.acronyms, p.variants
    else:
        slug, acronyms, variants = slugify(str(name)), (acronym,) if acronym else (), ()
    iri = iris.programme(slug)
    yield iri, RDF.type, iris.ontology.Programme
    yield iri, RDF.type, SCHEMA.GovernmentService
    yield iri, RDFS.label, Literal(str(name), lang="en")
    for variant in variants:
        yield iri, SKOS.altLabel, Literal(variant, lang="en")
    for a in acronyms:
        yield iri, SCHEMA.alternateName, Literal(a)
    if slug in load_programmes(data_dir).by_slug:
        p = load_programmes(data_dir).by_slug[slug]
        if p.provider:
            yield iri, SCHEMA.provider, iris.state(p.provider)
        if p.note:
            yield iri, RDFS.comment, Literal(p.note, lang="en")


@lru_cache(maxsize=8)
def _state_names(data_dir: Path | None) -> dict[str, str]:
    return {s.alpha3: s.name for s in states(data_dir)}


def _known_org(slug: object, where: _Where, data_dir: Path | None) -> str:
    if not isinstance(slug, str) or slug not in load_organisations(data_dir).by_slug:
        raise _error(*where, f"unknown organisation {slug!r}",
                     "a slug of authorities/organisations.yaml")
    return slug


# ---------------------------------------------------------------------------
# Evidence: where in the pledge's text the fact was read
# ---------------------------------------------------------------------------

def _evidence(subject: URIRef, pledge: URIRef, text: str, start: int, end: int,
              iris: Iris) -> list[Triple]:
    target, quote, position = (URIRef(f"{subject}/{part}")
                               for part in ("target", "quote", "position"))
    return [
        (subject, iris.ontology.evidence, target),
        (target, RDF.type, OA.SpecificResource),
        (target, OA.hasSource, pledge),
        (target, OA.hasSelector, quote),
        (target, OA.hasSelector, position),
        (quote, RDF.type, OA.TextQuoteSelector),
        (quote, OA.exact, Literal(text[start:end])),
        (quote, OA.prefix, Literal(text[max(0, start - CONTEXT_CHARS):start])),
        (quote, OA.suffix, Literal(text[end:end + CONTEXT_CHARS])),
        (position, RDF.type, OA.TextPositionSelector),
        (position, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)),
        (position, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)),
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


def _decimal(value: object, where: _Where, key: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "")) if value is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0:
        raise _error(*where, f"bad {key} {value!r}",
                     f"{key} as a positive decimal, e.g. \"1000000\"")
    return number


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
