"""Which IRIs the static site writes as files: hostile IRIs in a release never name a file
outside the site (``..``, hidden files, escapes), the server's own routes are not resources,
and blank-node labels of a description depend on the description alone."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from pledge_graph.errors import BuildError
from pledge_graph.rdf.vocab import Iris
from pledge_graph.site import documents
from pledge_graph.site.documents import (
    RESOURCE_FORMATS,
    canonical_blank_nodes,
    documented_iris,
    minted_iris,
    write_resources,
)
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.web.app import Settings

BASE = Iris().base
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
HOSTILE = ["../../etc/passwd", "id/../../x", ".hidden", "id/.git/config", "a%2F..%2Fb",
           "id//double", "id/pledge/x/../../y", "id/%2e%2e/x", "/rooted"]
"""Paths under the base no file may stand for (spaces and line breaks are not in IRIs: no
store holds them)."""


def settings_with(paths: list[str]) -> Settings:
    store = EmbeddedStore()
    store.native.extend([ox.Quad(ox.NamedNode(BASE + p), LABEL, ox.Literal(p), ox.DefaultGraph())
                         for p in paths])
    return Settings(store=store)


@pytest.mark.parametrize("path", HOSTILE)
def test_a_hostile_iri_is_never_written_as_a_file(path):
    served, unsafe = minted_iris(settings_with([path, "id/pledge/x/1"]))
    assert served == [BASE + "id/pledge/x/1"]
    assert unsafe == [BASE + path]


def test_the_servers_routes_are_not_resources():
    routes = ["", "sparql", "sparql/", "query", "store", "dumps/", "dumps/void.ttl",
              ".well-known/void", "catalog", "context.jsonld", "static/style.css"]
    served, unsafe = minted_iris(settings_with([*routes, "ontology/", "id/state/jpn"]))
    assert served == [BASE + "id/state/jpn", BASE + "ontology/"]
    assert unsafe == []


def test_blank_node_labels_depend_on_the_description_alone():
    def owl_list(items: list[str]) -> list[ox.Triple]:
        rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
        nodes = [ox.BlankNode() for _ in items]
        triples = [ox.Triple(ox.NamedNode(BASE + "ontology/Kind"),
                             ox.NamedNode("http://www.w3.org/2002/07/owl#oneOf"), nodes[0])]
        for i, (node, item) in enumerate(zip(nodes, items)):
            rest = nodes[i + 1] if i + 1 < len(nodes) else ox.NamedNode(rdf + "nil")
            triples += [ox.Triple(node, ox.NamedNode(rdf + "first"), ox.NamedNode(BASE + item)),
                        ox.Triple(node, ox.NamedNode(rdf + "rest"), rest)]
        return triples

    items = ["a", "b", "c", "a"]
    first, second = canonical_blank_nodes(owl_list(items)), canonical_blank_nodes(owl_list(items))
    assert first == second
    assert len({t.subject for t in first if isinstance(t.subject, ox.BlankNode)}) == 4
    shuffled = canonical_blank_nodes(list(reversed(owl_list(items))))
    assert shuffled == first


def test_nested_resources_are_written_in_every_format_dated_as_the_release(tmp_path):
    paths = ["id/pledge/a/1", "id/pledge/a/1/x", "id/pledge/a/2", "id/pledge/b/1", "ontology/"]
    settings = settings_with(paths)
    served, _ = minted_iris(settings)
    assert write_resources(settings, tmp_path, served) == len(paths)
    root = tmp_path / "resources"
    written = sorted(str(f.relative_to(root)) for f in root.rglob("*") if f.is_file())
    keys = [f.key for f in RESOURCE_FORMATS]
    assert written == sorted([f"{p}.{k}" for p in paths[:-1] for k in keys]
                             + [f"ontology/%.{k}" for k in keys])
    stamp = int(settings.built.timestamp())
    assert {int(f.stat().st_mtime) for f in root.rglob("*.*")} == {stamp}
    nt = (root / "id/pledge/a/1/x.nt").read_text(encoding="utf-8")
    assert f'<{BASE}id/pledge/a/1/x> <{LABEL.value}> "id/pledge/a/1/x" .' in nt


def test_an_iri_needing_a_folder_where_a_file_is_fails_with_a_clear_error(tmp_path):
    settings = settings_with(["id/x/a", "id/x/a.ttl/b"])
    served, _ = minted_iris(settings)
    with pytest.raises(BuildError, match="needs a folder where another resource's file is"):
        write_resources(settings, tmp_path, served)


def test_the_documented_terms_are_listed_as_every_resource_is():
    """The ontology's and shapes' terms, which the export writes first, are the resources
    of those graphs the full listing gives: no hostile path, route or hash part among them."""
    graph = ox.NamedNode(BASE + "dumps/ontology.ttl")
    paths = ["ontology/Pledge", "ontology/Pledge#part", "sparql", *HOSTILE]
    settings = settings_with([*paths, "id/pledge/x/1"])
    settings.store.native.extend([ox.Quad(ox.NamedNode(BASE + p), LABEL, ox.Literal(p), graph)
                                  for p in paths])
    served, _ = minted_iris(settings)
    assert documented_iris(settings, [graph.value]) == [BASE + "ontology/Pledge"]
    assert BASE + "ontology/Pledge" in served
    assert documented_iris(settings, []) == []


def test_release_files_are_linked_and_keep_their_bytes_when_the_release_is_rebuilt(tmp_path):
    """A dump is linked into the site, not written again; a build writes a new file and
    renames it over the old, so the site keeps the bytes it was exported with."""
    release, site = tmp_path / "release", tmp_path / "site"
    release.mkdir()
    site.mkdir()
    (release / "pledge-graph.nt").write_bytes(b"<urn:a> <urn:b> <urn:c> .\n")
    os.utime(release / "pledge-graph.nt", ns=(10**18, 10**18))
    documents._release_file(release / "pledge-graph.nt", site / "pledge-graph.nt")
    assert os.path.samefile(release / "pledge-graph.nt", site / "pledge-graph.nt")
    assert (site / "pledge-graph.nt").stat().st_mtime_ns == 10**18
    rebuilt = release / ".new"
    rebuilt.write_bytes(b"<urn:a> <urn:b> <urn:d> .\n")
    rebuilt.rename(release / "pledge-graph.nt")
    assert (site / "pledge-graph.nt").read_bytes() == b"<urn:a> <urn:b> <urn:c> .\n"


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no second filesystem")
def test_release_files_on_another_filesystem_are_copied_and_dated(tmp_path):
    source = tmp_path / "void.ttl"
    source.write_bytes(b"@prefix void: <http://rdfs.org/ns/void#> .\n")
    os.utime(source, ns=(10**18, 10**18))
    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        target = Path(other) / "void.ttl"
        documents._release_file(source, target)
        assert target.read_bytes() == source.read_bytes()
        assert target.stat().st_mtime_ns == 10**18
        assert not os.path.samefile(source, target)
