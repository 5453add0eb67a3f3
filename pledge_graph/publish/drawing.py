"""Charts drawn as SVG by vl-convert, in a child process.

vl-convert runs Vega-Lite in an embedded V8, which reserves several GiB of address space
when it starts. Under an address-space limit (``ulimit -v``, a container's or a test's)
V8 cannot start and aborts the whole process, which would end the build with no message.
Drawing in a child keeps that failure to the child: the build goes on and publishes the
charts without their drawings (their numbers, CSV and Vega-Lite specifications are the
same), and says so.

The child reads ``[{"spec": ..., "title": ..., "description": ...}, ...]`` as JSON on its
standard input and writes the SVGs, as a JSON list, on its standard output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["VEGA_LITE", "draw", "svg"]

VEGA_LITE = "6.4"
"""The Vega-Lite version the charts' specifications are written for and drawn with."""
_TIMEOUT = 600


def draw(charts: list[dict[str, Any]]) -> list[str] | str:
    """The SVG of each chart (``spec``, ``title``, ``description``), drawn in a child
    process; or, when the child could not draw them, why not."""
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=json.dumps(charts),
                              capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return f"the chart renderer did not finish within {_TIMEOUT} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[:3]
        return (f"the chart renderer (vl-convert) stopped with status {done.returncode}: "
                + " ".join(line.strip("# ") for line in last if line.strip("# ")))
    drawn: list[str] = json.loads(done.stdout)
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
    charts = json.load(sys.stdin)
    json.dump([svg(c["spec"], c["title"], c["description"]) for c in charts], sys.stdout)


if __name__ == "__main__":
    _main()
