"""The pipeline stays free of the web stack: importing, mapping, validating and publishing
never load Starlette, uvicorn or Jinja, so a build runs where no server is installed."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import pledge_graph

PIPELINE_PACKAGES = ("ingest", "records", "extract", "mapping", "validation", "publish", "build",
                     "rdf")
PIPELINE = sorted(
    module.name
    for package in PIPELINE_PACKAGES
    for module in pkgutil.walk_packages(
        [str(Path(pledge_graph.__file__).parent / package)], f"pledge_graph.{package}.")
) + [f"pledge_graph.{package}" for package in PIPELINE_PACKAGES]
WEB = ("starlette", "uvicorn", "jinja2", "httpx", "pledge_graph.web")


@pytest.mark.parametrize("module", PIPELINE)
def test_pipeline_module_does_not_import_the_web_stack(module: str) -> None:
    probe = (
        f"import sys, {module}\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {WEB!r} "
        f"or m.startswith('pledge_graph.web'))\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"{module} loads {result.stdout.strip()}"


def test_command_line_help_loads_no_pipeline_or_web_module() -> None:
    probe = (
        "import sys, pledge_graph.cli\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('starlette', 'uvicorn', 'rdflib', 'pyshacl'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_command_line_loads_no_stage_module_before_a_command_runs() -> None:
    probe = (
        "import sys, pledge_graph.cli\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('pledge_graph'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # the edge's limits give the serve options their defaults; they import no web stack
    assert result.stdout.strip().split(",") == [
        "pledge_graph", "pledge_graph.cli", "pledge_graph.errors", "pledge_graph.paths",
        "pledge_graph.web", "pledge_graph.web.limits"]
