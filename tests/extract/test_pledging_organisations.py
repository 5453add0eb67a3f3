"""A body that pledges and a body that pledges name are one resource: OHCHR pledging and
Japan funding OHCHR meet at the same IRI, so one query finds both."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph

from pledge_graph.mapping.authorities import resolve_actor
from pledge_graph.paths import DATA_DIR
from pledge_graph.rdf.vocab import Iris

CLI = [sys.executable, "-m", "pledge_graph.cli"]
IRIS = Iris()

OHCHR_PLEDGE = """**Pledge submitted by OHCHR to the Human Rights 75 Secretariat
December 2023**

**Original language of submission:** English

**Type of pledge:** Single (by one state/actor)

**Pledging entity:** UN Human Rights

**PLEDGE NUMBER 1:** UN Human Rights will support States that pledged to ratify core treaties with technical assistance and training of officials. (20 words)

Sector and Rights-holders: Civil society
"""


def test_pledging_body_in_the_gazetteer_has_the_organisation_iri() -> None:
    for name in ("OHCHR", "UN Human Rights",
                 "Office of the United Nations High Commissioner for Human Rights"):
        assert resolve_actor(name).iri(IRIS) == IRIS.org("ohchr")
    assert resolve_actor("UNHCR").iri(IRIS) == IRIS.org("unhcr")
    assert resolve_actor("Inter-Parliamentary Union").iri(IRIS) == IRIS.actor(
        "inter-parliamentary-union")


def test_ohchr_pledging_and_funded_is_one_resource_in_the_release(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    source = tmp_path / "ohchr-2023.txt"
    source.write_text(OHCHR_PLEDGE, encoding="utf-8")
    for document in (DATA_DIR / "sources" / "japan-2023.txt", source):
        done = subprocess.run([*CLI, "import", str(document), "--data", str(data)],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    out = tmp_path / "dist"
    done = subprocess.run([*CLI, "build", "--data", str(data), "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr

    store = pyoxigraph.Store()
    store.bulk_load(path=str(out / "pledge-graph.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    pg = str(IRIS.ontology)
    rows = list(store.query(f"""
        PREFIX pg: <{pg}> PREFIX schema: <http://schema.org/>
        SELECT DISTINCT ?body WHERE {{
            ?pledge pg:pledgedBy ?body .
            ?grant a pg:FundingCommitment ; pg:recipient ?body .
        }}"""))
    assert [row["body"].value for row in rows] == [str(IRIS.org("ohchr"))]
    assert not bool(store.query(f"ASK {{ <{IRIS.actor('ohchr')}> ?p ?o }}"))
