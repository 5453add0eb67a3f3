"""RDF namespaces, and the one place that says how the project's IRIs are minted.

IRI patterns (relative to the base, see docs/model.md):

    ontology/<Term>                    ontology terms (slash namespace, each dereferenceable)
    shapes/<Name>                      SHACL shapes
    id/submission/<slug>               a submission document (slug: the source file's stem)
    id/pledge/<slug>/<n>               pledge number n of that submission
    id/state/<iso-alpha-3, lower>      a UN member or observer state
    id/actor/<slug>                    a non-State pledging actor (id/org/<slug> when the
                                       organisations gazetteer knows it)
    id/org/<slug>                      an organisation a pledge names or funds
    id/rights-holders                  the rights-holder concept scheme
    id/rights-holders/<slug>           one rights-holder concept
    id/treaty/<slug>                   a core human rights treaty or optional protocol
    id/programme/<slug>                a national programme or initiative
    id/fact/<slug>/<n>/<fact-id>       an extracted fact (funding, treaty action, mention)
    id/fact/<slug>/<n>/<fact-id>#target    its evidence (oa:SpecificResource), and its
    id/fact/<slug>/<n>/<fact-id>#quote     TextQuoteSelector and TextPositionSelector:
    id/fact/<slug>/<n>/<fact-id>#position  parts of the fact's document (the slash IRIs
                                           .../target, /quote, /position minted before
                                           redirect here: FACT_PARTS)
    id/fact/<slug>/<n>/<fact-id>#amount    a funding fact's schema:MonetaryAmount
    id/build/<digest>                  the build activity (PROV-O) of one release
    id/software/<name>                 the software agent that ran the build
    dataset                            the dataset (VoID, DCAT); dataset/<version> a release
    dataset/distribution/<file>        the DCAT distribution of one dump file
    dataset/partition/<kind>/<key>     a VoID class or property partition
    dataset/linkset/<slug>             a VoID linkset to another dataset
    catalog                            the DCAT catalog
    sparql                             the SPARQL endpoint (DCAT data service)
    sparql/<part>                      nodes of its service description (dataset, graphs)
    queries/<name>                     an example query (sh:SPARQLExecutable)
    dumps/<file>                       a dump file of the latest release

No blank nodes are minted anywhere: every node has an IRI, so dumps sort and compare stably.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

from pledge_graph.paths import DEFAULT_BASE

__all__ = [
    "DCAT",
    "DCTERMS",
    "FACT_PARTS",
    "FOAF",
    "GEONAMES",
    "OA",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SDG",
    "SH",
    "SKOS",
    "SPDX",
    "UNBIS",
    "VOID",
    "WD",
    "XSD",
    "Iris",
    "merged_text",
    "moved_part",
    "prefixes",
    "rebase_text",
    "slugify",
]

SCHEMA = Namespace("http://schema.org/")
OA = Namespace("http://www.w3.org/ns/oa#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
WD = Namespace("http://www.wikidata.org/entity/")
UNBIS = Namespace("http://metadata.un.org/thesaurus/")
SDG = Namespace("http://metadata.un.org/sdg/")
GEONAMES = Namespace("https://sws.geonames.org/")


def slugify(text: str) -> str:
    """Return a lower-case ASCII slug: 'Women & girls' -> 'women-and-girls'."""
    text = text.replace("&", " and ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower()
    return text or "x"


class _Pattern:
    """One IRI pattern of the table above: ``iris.treaty(slug)`` is ``<base>id/treaty/<slug>``,
    the pattern's fixed segments followed by the call's arguments."""

    def __init__(self, *head: str) -> None:
        self.head = head

    def __get__(self, iris: Iris | None, owner: type) -> Callable[..., URIRef]:
        if iris is None:
            raise AttributeError("IRIs are minted by an Iris instance")
        return partial(iris.mint, *self.head)


class Iris:
    """Mints the project's IRIs under one base; every stage asks this object, never builds IRIs itself."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base
        self.ontology = Namespace(base + "ontology/")
        self.shapes = Namespace(base + "shapes/")

    def mint(self, *parts: object) -> URIRef:
        """The IRI of ``parts`` joined by '/' under the base."""
        return URIRef(self.base + "/".join(str(p) for p in parts))

    submission = _Pattern("id", "submission")  # (slug)
    pledge = _Pattern("id", "pledge")  # (slug, number)
    actor = _Pattern("id", "actor")  # (slug)
    org = _Pattern("id", "org")  # (slug)
    scheme = _Pattern("id", "rights-holders")  # ()
    concept = _Pattern("id", "rights-holders")  # (slug)
    treaty = _Pattern("id", "treaty")  # (slug)
    programme = _Pattern("id", "programme")  # (slug)
    fact = _Pattern("id", "fact")  # (slug, number, fact_id)
    build = _Pattern("id", "build")  # (digest)
    software = _Pattern("id", "software")  # (name)
    distribution = _Pattern("dataset", "distribution")  # (filename)
    partition = _Pattern("dataset", "partition")  # (kind, key)
    linkset = _Pattern("dataset", "linkset")  # (slug)
    catalog = _Pattern("catalog")  # ()
    sparql = _Pattern("sparql")  # ()
    sparql_part = _Pattern("sparql")  # (*parts)
    example_query = _Pattern("queries")  # (name)
    dump = _Pattern("dumps")  # (filename)

    def state(self, alpha3: str) -> URIRef:
        return self.mint("id", "state", alpha3.lower())

    def dataset(self, version: str | None = None) -> URIRef:
        return self.mint("dataset", version) if version else self.mint("dataset")


FACT_PARTS = ("target", "quote", "position", "amount")
"""The parts of a fact's document, with hash IRIs (``<fact>#target``, its two selectors, a
funding fact's amount)."""


def moved_part(iri: str) -> str | None:
    """The hash IRI that replaced ``iri`` if it is a slash IRI of a fact's part
    (``.../id/fact/.../quote`` is now ``.../id/fact/...#quote``), else None: such IRIs were
    minted before the evidence became part of its fact's document, and keep resolving."""
    stem, _, part = iri.rpartition("/")
    if part in FACT_PARTS and "/id/fact/" in stem and "#" not in iri:
        return f"{stem}#{part}"
    return None


def rebase_text(text: str, base: str) -> str:
    """Rewrite the text of a project file written under the default base to ``base``."""
    return text if base == DEFAULT_BASE else text.replace(DEFAULT_BASE, Iris(base).base)


def merged_text(paths: Iterable[Path], base: str) -> str:
    """Join project Turtle files into one document under ``base``, each under a comment
    naming it (the release's ``ontology.ttl`` and ``shapes.ttl``)."""
    return "\n".join(f"# ---- {p.name} ----\n\n"
                     f"{rebase_text(p.read_text(encoding='utf-8'), base).rstrip()}\n"
                     for p in paths)


def prefixes(iris: Iris) -> dict[str, str]:
    """Return the prefix table used by every Turtle file and the JSON-LD context."""
    return {
        "pg": str(iris.ontology),
        "pgs": str(iris.shapes),
        "id": iris.base + "id/",
        **{k: str(v) for k, v in PREFIXES.items()},
    }


PREFIXES: dict[str, Namespace] = {
    "rdf": Namespace(str(RDF)), "rdfs": Namespace(str(RDFS)), "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)), "skos": Namespace(str(SKOS)), "dct": Namespace(str(DCTERMS)),
    "foaf": Namespace(str(FOAF)), "org": Namespace(str(ORG)), "prov": Namespace(str(PROV)),
    "schema": SCHEMA, "oa": OA, "dcat": Namespace(str(DCAT)), "void": Namespace(str(VOID)),
    "sh": Namespace(str(SH)), "spdx": SPDX, "sd": SD, "wd": WD, "unbis": UNBIS, "sdg": SDG,
}
