"""Dumps joined from parts: each file and its gzip twin read back as one document, by Python
and by the system's gzip, whatever the number and size of the parts."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import zlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from jsonld_readers import pyld_graph
from rdflib import Graph

from pledge_graph.publish.chunks import DumpWriter, serialise
from pledge_graph.publish.files import dump_tools
from pledge_graph.publish.jsonld import load_context
from pledge_graph.rdf.vocab import Iris, prefixes

IRIS = Iris()


def lines_of(n: int, start: int = 0) -> list[str]:
    """Sorted N-Triples lines of ``n`` pledges with a label and a quoted text each."""
    out = []
    for i in range(start, start + n):
        pledge = f"<{IRIS.pledge('test-2023', i + 1)}>"
        out += [f'{pledge} <http://www.w3.org/2000/01/rdf-schema#label> "Pledge {i}"@en .',
                f"{pledge} <{IRIS.ontology.pledgeText}> \"Says \\\"{i}\\\" é\"@fr ."]
    return sorted(out)


@pytest.mark.parametrize("sizes", [[1], [3, 0, 5], [200, 1, 50, 7]])
def test_parts_join_into_documents_and_single_gzip_members(tmp_path: Path,
                                                           sizes: list[int]) -> None:
    names, compactor = dump_tools(IRIS.base)
    writer = DumpWriter(tmp_path, "g", prefixes(IRIS), load_context(IRIS.base))
    expected: list[str] = []
    start = 0
    for n in sizes:
        part = lines_of(n, start)
        start += n
        expected += part
        writer.add(serialise([tuple(line[:-2].split(" ", 2)) for line in part],
                             names, compactor))
    files = writer.close()
    for suffix in (".nt", ".ttl", ".jsonld"):
        raw = (tmp_path / f"g{suffix}").read_bytes()
        packed = (tmp_path / f"g{suffix}.gz").read_bytes()
        assert files[f"g{suffix}"] == {"bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
        assert files[f"g{suffix}.gz"]["sha256"] == hashlib.sha256(packed).hexdigest()
        one = zlib.decompressobj(wbits=31)
        assert one.decompress(packed) == raw and one.eof and not one.unused_data
        assert gzip.decompress(packed) == raw
        system = subprocess.run(["gzip", "-dc"], input=packed, capture_output=True, check=True)
        assert system.stdout == raw
    assert (tmp_path / "g.nt").read_text(encoding="utf-8").splitlines() == expected
    turtle = ox.parse(path=str(tmp_path / "g.ttl"), format=ox.RdfFormat.TURTLE)
    assert {f"{t.subject} {t.predicate} {t.object} ." for t in turtle} == set(expected)
    document = json.loads((tmp_path / "g.jsonld").read_text(encoding="utf-8"))
    assert len(document["@graph"]) == start
    assert document["@context"] == load_context(IRIS.base)["@context"], "embedded once, whole"
    ntriples = Graph().parse(data="\n".join(expected), format="nt")
    for data in ((tmp_path / "g.jsonld").read_bytes(), gzip.decompress(
            (tmp_path / "g.jsonld.gz").read_bytes())):
        assert set(pyld_graph(data)) == set(ntriples)
