"""Charts drawn as SVG by vl-convert, in a child process.

vl-convert runs Vega-Lite in an embedded V8, which reserves several GiB of address space
when it starts. Under an address-space limit (``ulimit -v``, a container's or a test's)
V8 cannot start and aborts the whole process, which would end the build with no message.
Drawing in a child keeps that failure to the child: the build goes on and publishes the
charts without their drawings (their numbers, CSV and Vega-Lite specifications are the
same), and says so.

The child reads ``[{"spec": ..., "title": ..., "description": ...}, ...]`` as JSON on its
standard input and writes the SVGs, as a JSON list, on its standard output. V8 and
Vega-Lite take about half a second to start, longer than drawing the charts; so a build
starts the child first (:func:`renderer`), which starts them by drawing a one-bar chart
while the build maps and checks on another processor, then waits for the charts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["VEGA_LITE", "draw", "renderer", "svg"]

VEGA_LITE = "6.4"
"""The Vega-Lite version the charts' specifications are written for and drawn with."""
_TIMEOUT = 600


_WARM_UP = {"data": {"values": [{"n": 1}]}, "mark": "bar",
            "encoding": {"x": {"field": "n", "type": "quantitative"}}}


def _start() -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def renderer() -> Iterator[subprocess.Popen[str]]:
    """A drawing child, started now so that it is ready when :func:`draw` is given it;
    ended on the way out if it was not used (a build that failed)."""
    child = _start()
    try:
        yield child
    finally:
        if child.returncode is None:  # not collected by draw()
            child.kill()
            child.communicate()


def draw(charts: list[dict[str, Any]],
         child: subprocess.Popen[str] | None = None) -> list[str] | str:
    """The SVG of each chart (``spec``, ``title``, ``description``), drawn in a child
    process (``child``, from :func:`renderer`, or a new one); or, when the child could
    not draw them, why not."""
    child = child or _start()
    try:
        out, err = child.communicate(json.dumps(charts), timeout=_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return f"the chart renderer did not finish within {_TIMEOUT} s"
    if child.returncode != 0:
        last = (err.strip().splitlines() or ["no message"])[:3]
        return (f"the chart renderer (vl-convert) stopped with status {child.returncode}: "
                + " ".join(line.strip("# ") for line in last if line.strip("# ")))
    drawn: list[str] = json.loads(out)
    return drawn


def svg(spec: dict[str, Any], title: str, description: str) -> str:
    """Draw ``spec`` as SVG, with a title and a description for assistive technology; no
    URL may be fetched while drawing."""
    import vl_convert  # only in the child: see the module

    drawn = vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE, allowed_base_urls=[])
    start = drawn.index(">", drawn.index("<svg")) + 1
    head = drawn[:start - 1] + ' role="img" aria-labelledby="title desc">'
    return (head + f'<title id="title">{escape(title)}</title>'
            f'<desc id="desc">{escape(description)}</desc>' + drawn[start:])


def _main() -> None:
    svg(_WARM_UP, "", "")  # starts V8 and Vega-Lite before the charts come
    charts = json.load(sys.stdin)
    json.dump([svg(c["spec"], c["title"], c["description"]) for c in charts], sys.stdout)


if __name__ == "__main__":
    _main()
