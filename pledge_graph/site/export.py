"""``pledge-graph export-site OUT``: the release as files and web-server configuration.

The release is loaded into an in-memory store as ``serve`` loads it (the example queries
included), but with a graph of its own only for each file the ontology's pages read (not
the data dump's, which took half the loading time). Every resource is described by the
server's own functions, in forked worker processes sharing that store, and written beside
the web-server configuration. The site is written into a temporary folder beside ``OUT``
and renamed into place, so a failed export leaves the previous one whole.
"""

from __future__ import annotations

import gc
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pledge_graph.build.parallel import in_workers, workers_for
from pledge_graph.build.release import Release, ensure_release
from pledge_graph.errors import BuildError
from pledge_graph.rdf.vocab import Iris
from pledge_graph.site import apache, nginx
from pledge_graph.site.documents import (
    documented_iris,
    minted_iris,
    write_resources,
    write_site_documents,
)
from pledge_graph.sparql.queries import example_triples, load_examples
from pledge_graph.store.embedded import EmbeddedStore
from pledge_graph.store.loading import default_graph_files, load_inputs
from pledge_graph.store.lookup import every_label
from pledge_graph.store.published import published_forms
from pledge_graph.web.app import Settings
from pledge_graph.web.ontology_docs import DOCUMENTED_FILES
from pledge_graph.web.resources import keep_labels

__all__ = ["DEFAULT_PORT", "DEFAULT_SPARQL", "SiteOptions", "export_release", "export_site"]

DEFAULT_PORT = 8080
DEFAULT_SPARQL = "127.0.0.1:8000"
_CHUNK = 400  # resources per job: small enough to share the work evenly between workers
_FIRST_CHUNK = 10  # the ontology's and shapes' terms per job: some take a second alone


@dataclass(frozen=True)
class SiteOptions:
    """How the site is served: the loopback port of ``OUT/nginx.conf``, the address of the
    ``pledge-graph serve`` that answers ``/sparql`` and ``/store``, and the public URL the
    landing page names (default: the loopback address)."""

    port: int = DEFAULT_PORT
    sparql: str = DEFAULT_SPARQL
    public_url: str | None = None
    jobs: int | None = None


def export_site(release: Release, out: Path, iris: Iris, options: SiteOptions) -> int:
    """Write the site of ``release`` into ``out`` (replacing it); return the number of
    resources written."""
    _check_target(out)
    examples = load_examples()
    store = EmbeddedStore()
    extra = example_triples(examples, iris, str(iris.sparql()))
    with ThreadPoolExecutor(max_workers=1) as reading:  # while the store loads them
        forms = reading.submit(published_forms, default_graph_files(release.directory), extra)
        load_inputs(store, release.directory, iris, extra_triples=extra,
                    named=DOCUMENTED_FILES)
        store.describe_as_published(forms.result())
    public = options.public_url or f"http://127.0.0.1:{options.port}/"
    settings = Settings(store=store, iris=iris, release_dir=release.directory,
                        digest=release.digest, version=release.version, built=release.built,
                        examples=examples, public_url=public.rstrip("/") + "/")
    keep_labels(settings, every_label(store.native))  # 0.1 s, not 1 s of lookups
    first = documented_iris(settings, [str(iris.dump(name)) for name in DOCUMENTED_FILES])
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        www = staging / "www"
        global _JOB
        _JOB = (settings, www)
        gc.freeze()  # the forked workers' collections then leave the parent's objects shared
        try:
            # the jobs are listed as they are taken: the store's size bounds their number
            workers = workers_for(len(store.native) // _CHUNK + 1, options.jobs)
            written = sum(in_workers(_write_job, _jobs(settings, first), workers,
                                     ordered=False))
        finally:
            _JOB = None
            gc.unfreeze()
        nginx.write_config(staging, options.port, options.sparql, iris.base)
        apache.write_config(staging, options.port, options.sparql)
        staging.chmod(0o755)
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


_JOB: tuple[Settings, Path] | None = None
"""What the forked workers write: set by :func:`export_site` before they are forked."""


def _jobs(settings: Settings, first: list[str]) -> Iterator[Sequence[str] | None]:
    """The workers' jobs, listed as they take them: the site's own documents (None), the
    ``first`` resources (the ontology's and the shapes' terms: the largest descriptions, in
    small jobs, so that both workers share them), then every other resource in path order,
    listed while the workers write the first (reading the whole store: 0.6 s on the 10k
    corpus)."""
    yield None
    yield from (first[i:i + _FIRST_CHUNK] for i in range(0, len(first), _FIRST_CHUNK))
    served, unsafe = minted_iris(settings)
    for iri in unsafe:
        print(f"pledge-graph: note: <{iri}> is not written: its path cannot be a file name",
              file=sys.stderr)
    done = set(first)
    rest = [iri for iri in served if iri not in done]
    yield from (rest[i:i + _CHUNK] for i in range(0, len(rest), _CHUNK))


def _write_job(iris: Sequence[str] | None) -> int:
    assert _JOB is not None
    settings, www = _JOB
    if iris is None:
        write_site_documents(settings, www)
        return 0
    return write_resources(settings, www, iris)


def _check_target(out: Path) -> None:
    """``out`` may be new, empty or an earlier export (``www/`` and ``nginx.conf``): an
    export never replaces anything else."""
    if out.exists() and (not out.is_dir() or (
            any(out.iterdir()) and not ((out / "www").is_dir() and (out / "nginx.conf").is_file()))):
        raise BuildError("the folder exists and is not an exported site", file=out,
                         expected="a new folder, an empty one or an earlier export")


def _replace(staging: Path, out: Path) -> None:
    """Put the finished site in place of ``out`` (checked by :func:`_check_target`)."""
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)


def export_release(data_dir: Path, release_dir: Path, base: str, out: Path,
                   options: SiteOptions) -> tuple[Release, int]:
    """Build the release when it is missing or stale (as ``serve`` does), then export it;
    return it and the number of resources written."""
    iris = Iris(base)
    release = ensure_release(data_dir, release_dir, iris.base)
    return release, export_site(release, out, iris, options)
