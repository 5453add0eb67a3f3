"""What the static-site tests share: exporting the bundled release, the requests of the
linked-data conventions table, and the comparison of an answer with ``serve``'s."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from rdflib import Graph
from rdflib.compare import isomorphic
from web_server import bundled_release, cli

from pledge_graph.rdf.vocab import FACT_PARTS, Iris

RDFLIB_FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld",
                  "application/n-triples": "nt", "application/rdf+xml": "xml"}
ACCEPTS = [
    None, "*/*", "text/html", "text/turtle", "application/ld+json", "application/n-triples",
    "application/rdf+xml", "text/html;q=0.5, text/turtle", "application/rdf+xml;q=0.9, text/html",
    "text/*", "application/*", "text/html,application/xhtml+xml,*/*;q=0.8",
    "application/json", "text/plain", "application/xml;q=0.4, */*;q=0.1",
    "image/png", "not a media type", "text/turtle;q=2", "text/turtle;q=abc", "*/html",
]
FORMATS = ["ttl", "jsonld", "nt", "rdf", "html", "turtle", "application/ld+json", "TTL",
           "png", ""]

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def export(out: Path, port: int, *options: str) -> None:
    data, release = bundled_release()
    cli("export-site", out, "--data", data, "--out", release, "--port", str(port), *options,
        timeout=300)


def kinds_of_resources(site: Path) -> list[str]:
    """One resource of each kind the release mints (a pledge, a submission, a state or an
    actor, a concept, a fact, an ontology term, the dataset), as the export wrote them."""
    root = site / "www" / "resources"
    kinds = [("id/pledge/",), ("id/submission/",), ("id/state/", "id/actor/"),
             ("id/rights-holders/",), ("id/fact/",), ("ontology/",)]
    found = []
    for prefixes in kinds:
        paths = sorted(str(p.relative_to(root))[:-len(".html")].replace("/%", "/")
                       for prefix in prefixes for p in root.glob(prefix + "**/*.html"))
        assert paths, f"no resource under {prefixes}"
        found.append(paths[0])
    assert (root / "dataset.html").is_file()
    return [*found, "dataset"]


def every_resource(site: Path) -> list[str]:
    """The path of every resource the export wrote (facts, organisations, programmes,
    treaties, example queries, shapes, the build...), not one of each kind. A fact's parts
    (``#target``, ``#quote``, ``#position``, ``#amount``) are in its own files, none of
    their own."""
    root = site / "www" / "resources"
    paths = sorted(str(p.relative_to(root))[:-len(".html")].replace("%", "")
                   for p in root.rglob("*.html"))
    assert len(paths) > 300 and any(p.startswith("id/fact/") for p in paths)
    assert not any(p.endswith(("/target", "/quote", "/position")) or "#" in p for p in paths)
    return paths


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def same_answer(static: httpx.Response, served: httpx.Response, *,
                own_error_pages: bool = False) -> None:
    """The two answers agree on what users rely on (``own_error_pages``: the web server
    answers redirects, 404 and 406 with pages of its own, so only their status and a
    redirect's Location are compared)."""
    assert static.status_code == served.status_code, static.text[:300]
    if own_error_pages and static.status_code >= 300:
        assert _where(static) == _where(served)
        return
    assert static.headers.get("content-type") == served.headers.get("content-type")
    for name in ("vary", "content-location", "link", "access-control-allow-origin",
                 "x-content-type-options", "cache-control"):
        assert static.headers.get(name) == served.headers.get(name), name
    assert _where(static) == _where(served)
    if static.status_code != 200 or not static.content:
        return
    kind = media_type(static)
    if kind in RDFLIB_FORMATS:
        assert isomorphic(graph(static), graph(served))
    elif kind == "text/html":
        assert html_lines(static) == html_lines(served)


def _where(response: httpx.Response) -> str | None:
    """A redirect's Location as a path (a web server may write it with its own address)."""
    location = response.headers.get("location")
    if location is None:
        return None
    parts = urlsplit(location)
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def moved_parts(site: Path) -> list[tuple[str, str | None, dict[str, str] | None]]:
    """Requests for the slash IRIs of a fact's parts (``/id/fact/F/quote``, minted before
    they became hash IRIs of the fact's document), which redirect when the fact's
    description holds the part (only a funding fact has an amount), and for such IRIs of
    no fact, which do not: (path, Accept, query parameters)."""
    fact = next(p for p in kinds_of_resources(site) if p.startswith("id/fact/"))
    funding = "id/fact/japan-2023/3/funding-usd-1000000"  # the one with an amount
    assert (site / "www" / "resources" / f"{funding}.nt").is_file()
    asked: list[tuple[str, str | None, dict[str, str] | None]] = []
    for path in (*(f"/{fact}/{part}" for part in FACT_PARTS), f"/{funding}/amount"):
        for accept, params in ((None, None), ("text/turtle", None), (None, {"format": "nt"}),
                               ("image/png", None), ("image/png", {"format": "jsonld"})):
            asked.append((path, accept, params))
    for part in FACT_PARTS:
        asked += [(f"/id/fact/no-such/1/fact/{part}", None, None),
                  (f"/{fact}/{part}/more", None, None), (f"/id/pledge/japan-2023/1/{part}",
                                                         "text/turtle", None)]
    return asked


def html_lines(response: httpx.Response) -> list[str] | bytes:
    """A page's bytes; with blank nodes (labelled at random by each store that loads them,
    so rows sort differently), its lines with the labels masked, sorted."""
    if b"_:" not in response.content:
        return response.content
    return sorted(re.sub(r"_:[A-Za-z0-9]+", "_:b", line) for line in response.text.splitlines())


def graph(response: httpx.Response) -> Graph:
    return Graph().parse(data=response.content, format=RDFLIB_FORMATS[media_type(response)],
                         publicID=Iris().base)


def ask(client: httpx.Client, method: str, path: str, accept: str | None,
        params: dict[str, str] | None = None) -> httpx.Response:
    headers = httpx.Headers(client.headers)
    headers.pop("accept", None)
    if accept is not None:
        headers["Accept"] = accept
    return client.request(method, path, headers=headers, params=params)


def wait_for_port(process: subprocess.Popen, port: int, log: Path, name: str) -> None:
    """Wait until ``process`` listens on 127.0.0.1:``port``; stop it and say why if it
    exits or takes more than 20 s."""
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                said = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"{name} did not start: {said}") from None
            time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    """Stop a web server the test started, by its PID, and wait for it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
