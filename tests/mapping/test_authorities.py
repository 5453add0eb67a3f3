"""States and non-State actors: names resolve to the right actor, codes come from pycountry,
external links only where verified, and broken authority files fail with file and line."""

from __future__ import annotations

from pathlib import Path

import pycountry
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import FOAF, ORG, OWL, RDF, RDFS, SKOS

from pledge_graph.errors import InputError
from pledge_graph.mapping import authorities
from pledge_graph.mapping.actors import actor_triples
from pledge_graph.mapping.authorities import find_state, resolve_actor
from pledge_graph.mapping.resources import organisation
from pledge_graph.paths import ONTOLOGY_DIR
from pledge_graph.rdf.ntriples import rdflib_graph
from pledge_graph.rdf.vocab import SCHEMA, Iris

# The UN's 193 Member States, by the short names of the UN Member States list.
UN_MEMBERS = """
AFG Afghanistan
ALB Albania
DZA Algeria
AND Andorra
AGO Angola
ATG Antigua and Barbuda
ARG Argentina
ARM Armenia
AUS Australia
AUT Austria
AZE Azerbaijan
BHS Bahamas
BHR Bahrain
BGD Bangladesh
BRB Barbados
BLR Belarus
BEL Belgium
BLZ Belize
BEN Benin
BTN Bhutan
BOL Bolivia (Plurinational State of)
BIH Bosnia and Herzegovina
BWA Botswana
BRA Brazil
BRN Brunei Darussalam
BGR Bulgaria
BFA Burkina Faso
BDI Burundi
CPV Cabo Verde
KHM Cambodia
CMR Cameroon
CAN Canada
CAF Central African Republic
TCD Chad
CHL Chile
CHN China
COL Colombia
COM Comoros
COG Congo
CRI Costa Rica
CIV Côte d'Ivoire
HRV Croatia
CUB Cuba
CYP Cyprus
CZE Czechia
PRK Democratic People's Republic of Korea
COD Democratic Republic of the Congo
DNK Denmark
DJI Djibouti
DMA Dominica
DOM Dominican Republic
ECU Ecuador
EGY Egypt
SLV El Salvador
GNQ Equatorial Guinea
ERI Eritrea
EST Estonia
SWZ Eswatini
ETH Ethiopia
FJI Fiji
FIN Finland
FRA France
GAB Gabon
GMB Gambia
GEO Georgia
DEU Germany
GHA Ghana
GRC Greece
GRD Grenada
GTM Guatemala
GIN Guinea
GNB Guinea-Bissau
GUY Guyana
HTI Haiti
HND Honduras
HUN Hungary
ISL Iceland
IND India
IDN Indonesia
IRN Iran (Islamic Republic of)
IRQ Iraq
IRL Ireland
ISR Israel
ITA Italy
JAM Jamaica
JPN Japan
JOR Jordan
KAZ Kazakhstan
KEN Kenya
KIR Kiribati
KWT Kuwait
KGZ Kyrgyzstan
LAO Lao People's Democratic Republic
LVA Latvia
LBN Lebanon
LSO Lesotho
LBR Liberia
LBY Libya
LIE Liechtenstein
LTU Lithuania
LUX Luxembourg
MDG Madagascar
MWI Malawi
MYS Malaysia
MDV Maldives
MLI Mali
MLT Malta
MHL Marshall Islands
MRT Mauritania
MUS Mauritius
MEX Mexico
FSM Micronesia (Federated States of)
MCO Monaco
MNG Mongolia
MNE Montenegro
MAR Morocco
MOZ Mozambique
MMR Myanmar
NAM Namibia
NRU Nauru
NPL Nepal
NLD Netherlands (Kingdom of the)
NZL New Zealand
NIC Nicaragua
NER Niger
NGA Nigeria
MKD North Macedonia
NOR Norway
OMN Oman
PAK Pakistan
PLW Palau
PAN Panama
PNG Papua New Guinea
PRY Paraguay
PER Peru
PHL Philippines
POL Poland
PRT Portugal
QAT Qatar
KOR Republic of Korea
MDA Republic of Moldova
ROU Romania
RUS Russian Federation
RWA Rwanda
KNA Saint Kitts and Nevis
LCA Saint Lucia
VCT Saint Vincent and the Grenadines
WSM Samoa
SMR San Marino
STP Sao Tome and Principe
SAU Saudi Arabia
SEN Senegal
SRB Serbia
SYC Seychelles
SLE Sierra Leone
SGP Singapore
SVK Slovakia
SVN Slovenia
SLB Solomon Islands
SOM Somalia
ZAF South Africa
SSD South Sudan
ESP Spain
LKA Sri Lanka
SDN Sudan
SUR Suriname
SWE Sweden
CHE Switzerland
SYR Syrian Arab Republic
TJK Tajikistan
THA Thailand
TLS Timor-Leste
TGO Togo
TON Tonga
TTO Trinidad and Tobago
TUN Tunisia
TUR Türkiye
TKM Turkmenistan
TUV Tuvalu
UGA Uganda
UKR Ukraine
ARE United Arab Emirates
GBR United Kingdom of Great Britain and Northern Ireland
TZA United Republic of Tanzania
USA United States of America
URY Uruguay
UZB Uzbekistan
VUT Vanuatu
VEN Venezuela (Bolivarian Republic of)
VNM Viet Nam
YEM Yemen
ZMB Zambia
ZWE Zimbabwe
"""

OBSERVERS = {"VAT": "Holy See", "PSE": "State of Palestine"}

# External identifiers checked against Wikidata, UNBIS and GeoNames
# (reference/vocabularies.md, "verified"); nothing else may be linked.
VERIFIED_STATES = {
    "JPN": ("Q17", "1003451", "1861060", "142", "030"),
    "YEM": ("Q805", "1007098", "69543", "142", "145"),
    "SDN": ("Q1049", "1006271", "366755", "002", "015"),
}
VERIFIED_WIKIDATA = {"Q17", "Q805", "Q1049", "Q1065", "Q205650", "Q656812", "Q132551"}

VARIANTS = {
    "the Kingdom of the Netherlands": "NLD", "Netherlands (Kingdom of the)": "NLD",
    "Netherlands": "NLD", "Türkiye": "TUR", "Turkey": "TUR", "Republic of Korea": "KOR",
    "South Korea": "KOR", "Côte d'Ivoire": "CIV", "Cote d\u2019Ivoire": "CIV",
    "Ivory Coast": "CIV", "Russian Federation": "RUS", "Russia": "RUS",
    "United Kingdom": "GBR", "UK": "GBR",
    "United Kingdom of Great Britain and Northern Ireland": "GBR",
    "United States of America": "USA", "USA": "USA", "United States": "USA", "U.S.A.": "USA",
    "Viet Nam": "VNM", "Vietnam": "VNM", "Iran (Islamic Republic of)": "IRN", "Iran": "IRN",
    "Syrian Arab Republic": "SYR", "Syria": "SYR", "Lao People's Democratic Republic": "LAO",
    "Laos": "LAO", "Democratic People's Republic of Korea": "PRK", "North Korea": "PRK",
    "Bolivia (Plurinational State of)": "BOL", "Bolivia": "BOL",
    "Venezuela (Bolivarian Republic of)": "VEN", "Venezuela": "VEN",
    "Micronesia (Federated States of)": "FSM", "Republic of Moldova": "MDA", "Moldova": "MDA",
    "United Republic of Tanzania": "TZA", "Tanzania": "TZA", "State of Palestine": "PSE",
    "Palestine": "PSE", "Holy See": "VAT", "Czechia": "CZE", "Czech Republic": "CZE",
    "Eswatini": "SWZ", "Swaziland": "SWZ", "North Macedonia": "MKD", "Cabo Verde": "CPV",
    "Cape Verde": "CPV", "Timor-Leste": "TLS", "Timor Leste": "TLS",
    "Democratic Republic of the Congo": "COD", "DRC": "COD", "Congo": "COG",
    "Republic of the Congo": "COG", "the Gambia": "GMB", "Government of Japan": "JPN",
    "the Government of Japan": "JPN", "Government of the Republic of Korea": "KOR",
    "JAPAN": "JPN", "japan": "JPN", "\u00a0Japan\u00a0": "JPN", "Kingdom of Spain": "ESP",
    "Republic of Guinea": "GIN", "Guinea-Bissau": "GNB", "Papua New Guinea": "PNG",
    "Sao Tome and Principe": "STP", "São Tomé and Príncipe": "STP",
    "Saint Vincent and the Grenadines": "VCT", "St. Lucia": "LCA",
    "Permanent Mission of Japan to the United Nations Office at Geneva": "JPN",
    "the Permanent Mission of the Republic of Korea to the UN": "KOR",
}


def write_authorities(tmp_path: Path, states: str, actors: str = "actors: []\n") -> Path:
    folder = tmp_path / "authorities"
    folder.mkdir()
    (folder / "states.yaml").write_text(states, encoding="utf-8")
    (folder / "actors.yaml").write_text(actors, encoding="utf-8")
    return tmp_path


def triples_of(name: str, iris: Iris | None = None) -> Graph:
    graph = Graph()
    for triple in actor_triples(resolve_actor(name), iris or Iris()):
        graph.add(triple)
    return graph


# --- the States -----------------------------------------------------------------------------

def un_members() -> dict[str, str]:
    return dict(line.split(" ", 1) for line in UN_MEMBERS.strip().splitlines())


def test_all_193_members_and_2_observers_are_known() -> None:
    found = authorities.states()
    assert len(found) == 195
    assert {s.alpha3 for s in found if s.status == "member"} == set(un_members())
    assert {s.alpha3 for s in found if s.status == "observer"} == set(OBSERVERS)


@pytest.mark.parametrize(("alpha3", "name"), [*sorted(un_members().items()),
                                              *sorted(OBSERVERS.items())])
def test_every_state_resolves_from_its_un_name(alpha3: str, name: str) -> None:
    state = find_state(name)
    assert state is not None and state.alpha3 == alpha3
    assert state.name == name
    actor = resolve_actor(name)
    assert (actor.kind, actor.slug, actor.matched) == ("state", alpha3.lower(), True)


@pytest.mark.parametrize(("name", "alpha3"), sorted(VARIANTS.items()))
def test_variants_resolve(name: str, alpha3: str) -> None:
    state = find_state(name)
    assert state is not None and state.alpha3 == alpha3, name


@pytest.mark.parametrize("name", ["Korea", "Republic of China", "the Republic of China",
                                  "Atlantis", "Government of", "the", "Kingdom of Atlantis"])
def test_ambiguous_or_unknown_names_find_no_state(name: str) -> None:
    assert find_state(name) is None


def test_codes_come_from_iso_3166() -> None:
    for state in authorities.states():
        country = pycountry.countries.get(alpha_3=state.alpha3)
        assert (state.alpha2, state.numeric) == (country.alpha_2, country.numeric)
        assert len(state.numeric) == 3


def test_japan() -> None:
    japan = resolve_actor("Japan")
    assert (japan.alpha3, japan.alpha2, japan.numeric, japan.wikidata) == \
        ("JPN", "JP", "392", "Q17")
    assert (japan.unbis, japan.geonames, japan.m49_region, japan.m49_subregion) == \
        ("1003451", "1861060", "142", "030")


def test_only_verified_states_carry_external_ids() -> None:
    for state in authorities.states():
        ids = (state.wikidata, state.unbis, state.geonames, state.m49_region,
               state.m49_subregion)
        assert ids == VERIFIED_STATES.get(state.alpha3, (None,) * 5), state.alpha3


def test_state_names_lists_longer_names_first_for_scanning_text() -> None:
    names = authorities.state_names()
    assert names.index("Papua New Guinea") < names.index("Guinea")
    assert names.index("South Sudan") < names.index("Sudan")
    assert "Yemen" in names and "Viet Nam" in names and "Vietnam" in names
    assert [find_state(n).alpha3 for n in ("Yemen", "Sudan")] == ["YEM", "SDN"]


# --- non-State actors -----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "kind"), [
    ("National Human Rights Commission of Korea", "nhri"),
    ("Commission on Human Rights of the Philippines", "nhri"),
    ("Office of the Ombudsman of Ruritania", "nhri"),
    ("Parliament of Ruritania", "parliament"),
    ("National Assembly of Ruritania", "parliament"),
    ("United Nations Development Programme", "igo"),
    ("UN Women", "igo"),
    ("Office of the Special Envoy", "igo"),
    ("City of Ruritania", "local-government"),
    ("Acme Ltd", "business"),
    ("Ruritania Trading Company", "business"),
    ("Widgets Inc.", "business"),
    ("Friends of the Earth Ruritania", "cso"),
    ("Universidad de Ruritania", "cso"),
])
def test_unknown_actor_gets_a_guessed_kind_and_a_warning(name: str, kind: str) -> None:
    actor = resolve_actor(name)
    assert (actor.kind, actor.matched) == (kind, False)
    assert actor.warning is not None and name in actor.warning
    assert actor.alpha3 is None and actor.wikidata is None


def test_known_actors_resolve_by_name_and_variant_without_warning() -> None:
    for name in ("OHCHR", "Office of the United Nations High Commissioner for Human Rights",
                 "the UN Human Rights Office"):
        actor = resolve_actor(name)
        assert (actor.kind, actor.slug, actor.matched, actor.warning) == \
            ("igo", "ohchr", True, None)
        assert actor.wikidata == "Q656812"


def test_empty_name_is_an_input_error() -> None:
    with pytest.raises(InputError, match="empty"):
        resolve_actor(" \u00a0 ")


# --- RDF for actors -------------------------------------------------------------------------

def test_state_triples() -> None:
    iris = Iris()
    graph = triples_of("Japan", iris)
    jpn = iris.state("JPN")
    pg = iris.ontology
    assert set(graph.objects(jpn, RDF.type)) == {pg.State, SCHEMA.Country, FOAF.Agent}
    assert Literal("Japan", lang="en") in set(graph.objects(jpn, RDFS.label))
    assert Literal("Japon", lang="fr") in set(graph.objects(jpn, SKOS.prefLabel))
    assert graph.value(jpn, pg.isoAlpha2) == Literal("JP")
    assert graph.value(jpn, pg.isoAlpha3) == Literal("JPN")
    assert graph.value(jpn, pg.m49Code) == Literal("392")
    assert set(graph.objects(jpn, OWL.sameAs)) == {URIRef("http://www.wikidata.org/entity/Q17")}
    assert set(graph.objects(jpn, SKOS.exactMatch)) == {
        URIRef("http://metadata.un.org/thesaurus/1003451"),
        URIRef("https://sws.geonames.org/1861060/")}


def test_unverified_state_has_codes_but_no_links() -> None:
    graph = triples_of("Netherlands (Kingdom of the)")
    nld = Iris().state("NLD")
    assert graph.value(nld, Iris().ontology.isoAlpha2) == Literal("NL")
    assert Literal("Kingdom of the Netherlands", lang="en") in set(
        graph.objects(nld, SKOS.altLabel))
    assert not list(graph.objects(nld, OWL.sameAs))
    assert not list(graph.objects(nld, SKOS.exactMatch))


def test_non_state_actor_triples_under_another_base() -> None:
    iris = Iris("http://localhost:8000/")
    graph = triples_of("National Human Rights Commission of Korea", iris)
    subject = iris.actor("national-human-rights-commission-of-korea")
    assert resolve_actor("National Human Rights Commission of Korea").iri(iris) == subject
    assert set(graph.objects(subject, RDF.type)) == {
        iris.ontology.NationalHumanRightsInstitution, iris.ontology.NonStateActor,
        FOAF.Agent, ORG.FormalOrganization}
    assert graph.value(subject, RDFS.label) == \
        Literal("National Human Rights Commission of Korea")


def test_every_actor_uses_only_defined_terms_and_no_blank_nodes() -> None:
    ontology = Graph().parse(ONTOLOGY_DIR / "pledge-graph.ttl", format="turtle")
    defined = set(ontology.subjects(RDFS.isDefinedBy, None))
    pg = str(Iris().ontology)
    names = [s.name for s in authorities.states()] + [
        "OHCHR", "UNHCR", "GANHRI", "Acme Ltd", "City of Ruritania", "Parliament of Ruritania"]
    for name in names:
        graph = triples_of(name)
        for triple in graph:
            assert not any(isinstance(term, BNode) for term in triple)
            used = [triple[1]] + ([triple[2]] if triple[1] == RDF.type else [])
            assert all(t in defined for t in used if str(t).startswith(pg)), triple
        for prop in (RDFS.label, SKOS.prefLabel):
            languages = [label.language for label in graph.objects(None, prop)]
            assert len(languages) == len(set(languages)), (name, prop)


def test_no_wikidata_links_but_verified_ones() -> None:
    names = [s.name for s in authorities.states()] + [
        "United Nations", "OHCHR", "Human Rights Council", "UNHCR", "GANHRI", "IPU", "EU",
        "Council of Europe"]
    linked = set()
    for name in names:
        for _, _, target in triples_of(name).triples((None, OWL.sameAs, None)):
            linked.add(str(target).rsplit("/", 1)[1])
    assert linked <= VERIFIED_WIKIDATA
    assert {"Q17", "Q805", "Q1049", "Q656812"} <= linked


# --- the authority files --------------------------------------------------------------------

def test_a_data_folder_without_authority_files_uses_the_bundled_ones(tmp_path: Path) -> None:
    assert find_state("Japan", tmp_path).alpha3 == "JPN"


def test_a_data_folder_with_its_own_states_file_uses_it(tmp_path: Path) -> None:
    data = write_authorities(tmp_path, "members:\n  - {alpha3: JPN, name: Nippon}\n")
    assert find_state("Nippon", data).alpha3 == "JPN"
    assert find_state("Yemen", data) is None
    assert [s.alpha3 for s in authorities.states(data)] == ["JPN"]


@pytest.mark.parametrize(("states", "line", "message"), [
    ("members:\n  - {alpha3: JPN, name: Japan}\n  - {alpha3: XXX, name: Nowhere}\n", 3,
     "unknown alpha3 'XXX'"),
    ("members:\n  - alpha3: JPN\n    name: Japan\n    unbis: 1003451\n", 2, "bad unbis"),
    ("members:\n  - alpha3: JPN\n    name: Japan\n    wikidata: 17\n", 2, "bad wikidata"),
    ("members:\n  - {alpha3: JPN, name: Japan}\n  - {alpha3: YEM, name: Japan}\n", 3,
     "also names"),
    ("members:\n  - {alpha3: JPN, name: Japan}\n  - {alpha3: JPN, name: Nippon}\n", 3,
     "listed twice"),
    ("members:\n  - {alpha3: JPN}\n", 2, "missing 'name'"),
    ("members:\n  - {alpha3: JPN, name: Japan, capital: Tokyo}\n", 2, "unknown key 'capital'"),
    ("members:\n  - {alpha3: JPN, name: Japan\n  - {alpha3: YEM, name: Yemen}\n", 3,
     "invalid YAML"),
])
def test_broken_states_file_names_file_and_line(tmp_path: Path, states: str, line: int,
                                                message: str) -> None:
    data = write_authorities(tmp_path, states)
    with pytest.raises(InputError) as caught:
        authorities.states(data)
    error = caught.value
    assert error.file == str((data / "authorities" / "states.yaml").resolve())
    assert error.line == line
    assert message in error.message
    assert error.expected
    assert f"states.yaml:{line}:" in str(error)


def test_broken_actors_file_names_file_and_line(tmp_path: Path) -> None:
    data = write_authorities(
        tmp_path, "members:\n  - {alpha3: JPN, name: Japan}\n",
        "actors:\n  - slug: acme\n    name: Acme\n    kind: company\n")
    with pytest.raises(InputError) as caught:
        resolve_actor("Acme", data)
    assert caught.value.line == 2 and "unknown actor kind 'company'" in caught.value.message
    assert "nhri cso igo parliament business local-government" in str(caught.value)


def test_actor_name_clashing_with_a_state_is_refused(tmp_path: Path) -> None:
    data = write_authorities(
        tmp_path, "members:\n  - {alpha3: JPN, name: Japan}\n",
        "actors:\n  - {slug: japan-inc, name: Japan Inc, variants: [Japan], kind: business}\n")
    with pytest.raises(InputError, match="also names 'Japan'"):
        resolve_actor("Japan Inc", data)


def test_organisation_names_in_russian_arabic_and_chinese_carry_their_language() -> None:
    iris = Iris()
    graph = rdflib_graph(organisation("ohchr", iris, None))
    ohchr = URIRef(iris.org("ohchr"))
    labels = set(graph.objects(ohchr, SKOS.altLabel))
    assert Literal("人权高专办", lang="zh") in labels
    assert Literal("المفوضية السامية لحقوق الإنسان", lang="ar") in labels
    assert Literal("Управление Верховного комиссара ООН по правам человека", lang="ru") in labels
    assert Literal("UN Human Rights", lang="en") in labels
    assert Literal("УВКПЧ") in set(graph.objects(ohchr, SCHEMA.alternateName))
    # the dative a Russian sentence names a recipient with is matched, not published as a name
    assert not any(str(label).startswith("Управлению") for label in labels)
