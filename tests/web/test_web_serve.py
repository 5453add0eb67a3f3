"""``pledge-graph serve`` as a command: bad input is reported without a traceback, extra
files load next to the release, and SERVICE reaches only the endpoints the operator allows."""

from __future__ import annotations

import re
import socket

import pyoxigraph as ox
import pytest
from web_server import Server, bundled_release, cli

from pledge_graph.rdf.vocab import SD, Iris

IRIS = Iris()
PG = str(IRIS.ontology)


def serve_fails(*args: object) -> str:
    data, release = bundled_release()
    result = cli("serve", "--data", data, "--out", release, "--port", "0", *args,
                 check=False, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    return result.stderr


def test_a_missing_extra_file_is_reported(tmp_path):
    message = serve_fails("--also", tmp_path / "missing.ttl")
    assert "missing.ttl" in message and "no such file" in message


def test_a_malformed_extra_file_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\n\nex:a ex:b .\n", encoding="utf-8")
    message = serve_fails("--also", bad)
    assert "bad.ttl:3" in message and "Turtle" in message


def test_a_graph_name_for_a_quads_file_is_refused(tmp_path):
    quads = tmp_path / "g.nq"
    quads.write_text("<http://a> <http://b> <http://c> <http://g> .\n", encoding="utf-8")
    message = serve_fails("--also", f"http://example.org/g={quads}")
    assert "g.nq" in message and "names its own graphs" in message


def test_a_port_in_use_is_reported():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        message = serve_fails("--port", str(taken.getsockname()[1]))
    finally:
        taken.close()
    assert "cannot listen" in message


def test_extra_files_load_next_to_the_release(tmp_path):
    extra = tmp_path / "extra.trig"
    extra.write_text("<http://example.org/g> { <http://example.org/a> "
                     "<http://example.org/b> \"in a graph\" }\n"
                     "<http://example.org/c> <http://example.org/d> \"default\" .\n",
                     encoding="utf-8")
    triples = tmp_path / "data1.nt"
    triples.write_text("<http://example.org/t> <http://example.org/u> \"named\" .\n",
                       encoding="utf-8")
    server = Server("--also", extra, f"http://example.org/named={triples}")
    try:
        with server.client() as http:
            ask = "ASK { GRAPH <http://example.org/g> { ?s ?p \"in a graph\" } }"
            assert http.get("/sparql", params={"query": ask}).json()["boolean"] is True
            ask = "ASK { <http://example.org/c> ?p \"default\" }"
            assert http.get("/sparql", params={"query": ask}).json()["boolean"] is True
            ask = "ASK { GRAPH <http://example.org/named> { ?s ?p \"named\" } }"
            assert http.get("/sparql", params={"query": ask}).json()["boolean"] is True
            count = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p a <{PG}Pledge> }}"
            bindings = http.get("/sparql", params={"query": count}).json()["results"]["bindings"]
            assert bindings[0]["n"]["value"] == "3"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def remote():
    server = Server()
    yield server
    server.stop()


def test_allowed_service_is_called_and_others_are_refused(remote):
    endpoint = remote.url + "/sparql"
    server = Server("--allow-service", endpoint)
    try:
        with server.client() as http:
            query = (f"SELECT ?p WHERE {{ SERVICE <{endpoint}> {{ ?p a <{PG}Pledge> }} }} "
                     "ORDER BY ?p")
            r = http.get("/sparql", params={"query": query})
            assert r.status_code == 200
            assert [b["p"]["value"] for b in r.json()["results"]["bindings"]] == [
                str(IRIS.pledge("japan-2023", n)) for n in (1, 2, 3)]
            other = query.replace(endpoint, "http://127.0.0.1:9/sparql")
            refused = http.get("/sparql", params={"query": other})
            assert refused.status_code == 403 and "calls only" in refused.text
            description = http.get("/sparql", headers={"Accept": "application/n-triples"})
            feature = ox.Triple(ox.NamedNode(str(IRIS.sparql())), ox.NamedNode(str(SD.feature)),
                                ox.NamedNode(str(SD.BasicFederatedQuery)))
            assert feature in {q.triple for q in ox.parse(description.content,
                                                          format=ox.RdfFormat.N_TRIPLES)}
    finally:
        server.stop()


def test_a_page_with_many_links_shows_the_first_ones_and_the_way_to_the_rest(tmp_path):
    pledge = IRIS.pledge("japan-2023", 1)
    extra = tmp_path / "citations.nt"
    extra.write_text("".join(f"<http://example.org/cites/{n}> <http://purl.org/dc/terms/"
                             f"references> <{pledge}> .\n" for n in range(600)),
                     encoding="utf-8")
    server = Server("--also", extra)
    try:
        with server.client() as http:
            html = http.get("/id/pledge/japan-2023/1", headers={"Accept": "text/html"}).text
            nt = http.get("/id/pledge/japan-2023/1?format=nt").text
    finally:
        server.stop()
    assert html.count('href="http://example.org/cites/') == 500
    shown = re.search(r"500 of (\d+) shown", html)
    assert shown and int(shown.group(1)) > 600 and "query them all" in html
    assert nt.count("<http://example.org/cites/") == 600
