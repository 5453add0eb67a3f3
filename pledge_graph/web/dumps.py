"""The release's files over HTTP, and the dataset's metadata at stable URLs.

``/dumps/FILE`` serves each file of the release with its media type, Content-Length, a
strong ETag (release digest + file name), Last-Modified and Cache-Control; compressed dumps
(``.gz``) are served as ``application/gzip`` files, not as a Content-Encoding of the
uncompressed type, so what is downloaded is byte for byte the file the catalog's checksum
describes. ``/.well-known/void`` and ``/catalog`` answer the release's VoID and DCAT graphs,
negotiated, read from the served release's own files; ``/context.jsonld`` is the JSON-LD
context, cacheable for a day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from pledge_graph.sparql.results import write_triples
from pledge_graph.web import pages
from pledge_graph.web.http import error, etag, http_date, not_modified, validated
from pledge_graph.web.negotiation import FORMATS, negotiate

__all__ = [
    "catalog",
    "context",
    "dump_file",
    "file_graph",
    "listing",
    "media_type_for",
    "release_files",
    "void",
]

_OTHER_TYPES = {".gz": "application/gzip", ".json": "application/json",
                ".sqlite": "application/vnd.sqlite3", ".svg": "image/svg+xml",
                ".csv": "text/csv; charset=utf-8"}


def media_type_for(name: str) -> str:
    """Return the media type a release file is served with."""
    suffix = Path(name).suffix
    if suffix in _OTHER_TYPES:
        return _OTHER_TYPES[suffix]
    found = next((f for f in FORMATS if f.extension == suffix.lstrip(".")), None)
    return found.media_type if found else "application/octet-stream"


def release_files(release_dir: Path | None) -> list[Path]:
    """Return the regular files of the release directory, sorted by name."""
    if release_dir is None or not release_dir.is_dir():
        return []
    return sorted(p for p in release_dir.iterdir() if p.is_file() and not p.name.startswith("."))


async def listing(request: Request) -> Response:
    """List the release's files (HTML)."""
    settings = request.app.state.settings
    return pages.dumps_page(request, release_files(settings.release_dir))


async def dump_file(request: Request) -> Response:
    """Serve one file of the release."""
    settings = request.app.state.settings
    name = request.path_params["name"]
    files = {p.name: p for p in release_files(settings.release_dir)}
    if name not in files:
        return error(404, f"404 Not Found: the release has no file {name!r}; see /dumps/")
    return _file(request, files[name], settings.digest, "public, max-age=3600")


async def context(request: Request) -> Response:
    """Serve the JSON-LD context."""
    settings = request.app.state.settings
    path = settings.release_dir / "context.jsonld" if settings.release_dir else None
    if path is None or not path.is_file():
        return error(404, "404 Not Found: this release has no JSON-LD context")
    return _file(request, path, settings.digest, "public, max-age=86400")


async def void(request: Request) -> Response:
    """Serve the VoID description of the dataset."""
    return await _release_graph(request, "void.ttl")


async def catalog(request: Request) -> Response:
    """Serve the DCAT catalog."""
    return await _release_graph(request, "catalog.ttl")


async def _release_graph(request: Request, name: str) -> Response:
    settings = request.app.state.settings
    fmt = negotiate(request.headers.get("accept"), ("graph",), request.query_params.get("format"))
    path = settings.release_dir / name if settings.release_dir else None
    if path is None or not path.is_file():
        return error(404, f"404 Not Found: this release has no {name}")
    key = (settings.digest, "release-graph", name, fmt.key)
    body = settings.cache.get(key)
    if body is None:
        body = await run_in_threadpool(file_graph, path, fmt.media_type)
        settings.cache.put(key, body, len(body) + 256)
    headers = {"Vary": "Accept", "Content-Location": f"{request.scope['path']}?format={fmt.key}"}
    return validated(request, body, fmt.media_type, etag(settings.digest, name, fmt.key),
                     settings.built, headers)


def file_graph(path: Path, media_type: str) -> bytes:
    """A release file's triples in ``media_type``, read from the release being served: the
    metadata describes the very files served beside it, and needs no query worker."""
    return write_triples([q.triple for q in ox.parse(path=str(path))], media_type)


def _file(request: Request, path: Path, digest: str, cache: str) -> Response:
    stat = path.stat()
    tag = etag(digest, path.name, str(stat.st_size), str(stat.st_mtime_ns))
    modified = datetime.fromtimestamp(int(stat.st_mtime), UTC)
    headers = {"ETag": tag, "Cache-Control": cache,
               "Last-Modified": http_date(modified)}
    if not_modified(request, tag, modified):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media_type_for(path.name), headers=headers,
                        stat_result=stat)
