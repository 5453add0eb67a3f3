"""Test support for the charts: what an SVG drawn by Vega says of each of its bars, and
what it should say for the rows of a chart's answer."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

from pledge_graph.publish.charts import Chart

__all__ = ["SVG", "bar_texts", "drawn_bars"]

SVG = "{http://www.w3.org/2000/svg}"


def drawn_bars(svg: ElementTree.Element) -> list[str]:
    """What each bar's description says ("field: value; ..."), after the axis title and its
    number that Vega puts first, sorted."""
    return sorted(re.sub(r"^[^;]*; ", "", e.get("aria-label", ""))
                  for e in svg.iter(f"{SVG}path") if e.get("aria-roledescription") == "bar")


def bar_texts(chart: Chart, rows: list[dict[str, str]]) -> list[str]:
    """What the bars of ``rows`` should say, sorted (numbers as Vega writes them)."""
    def shown(field: str, text: str) -> str:
        if field != chart.value:
            return text
        value = Decimal(text)
        return str(int(value)) if value == value.to_integral() else str(value)
    fields = [f for f in (chart.category, chart.stack, chart.panel, chart.value) if f]
    return sorted("; ".join(f"{f}: {shown(f, row[f])}" for f in fields) for row in rows)
