"""Charts as Vega-Lite specifications, rendered to self-contained, accessible SVG.

A chart shows one column of a published table (its first rate, else its first count) by
category; withheld cells are left out of the chart and named in its description, never drawn as
zero. Each category is one bar of its own figure: stacking is off, so no rate is ever added to
another's (Vega-Lite stacks bars that share a position by default). The SVG carries a <title>
and <desc> and ``role="img"`` so a screen reader announces it; the data table and text summary
beside it carry the same figures (GOV.UK Service Manual, "Data visualisation"; Analysis
Function, "Data visualisation: charts" guidance).
"""

from __future__ import annotations

import html
import re
from typing import Any

from localjustice.measures import PublishedTable
from localjustice.measures.tables import TOTAL

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: GOV.UK Design System colour for a single series (accessible on white).
BAR_COLOUR = "#1d70b8"


def chart_column(table: PublishedTable) -> tuple[str, str] | None:
    """The column a table's chart shows: the first rate-like column, else the first count."""
    names = [n for n, _ in table.columns[1:]]
    labels = dict(table.columns)
    for name in names:
        if any(word in labels[name].lower() for word in ("%", "rate", "per ", "share")):
            return name, labels[name]
    return (names[0], labels[names[0]]) if names else None


def chart_spec(table: PublishedTable) -> dict[str, Any] | None:
    chosen = chart_column(table)
    if chosen is None:
        return None
    column, label = chosen
    dimension, dimension_label = table.columns[0]
    values = [{"category": str(r[dimension]), "value": r[column]} for r in table.rows
              if r[dimension] != TOTAL and isinstance(r[column], int | float)]
    withheld = [str(r[dimension]) for r in table.rows
                if r[dimension] != TOTAL and not isinstance(r[column], int | float)]
    if not values:
        return None
    description = f"Bar chart of {label.lower()} by {dimension_label.lower()}. " + "; ".join(
        f"{v['category']}: {v['value']}" for v in values) + "." + (
        f" Not shown (withheld): {', '.join(withheld)}." if withheld else "")
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": table.title,
        "description": description,
        "width": 420,
        "data": {"values": values},
        "mark": {"type": "bar", "color": BAR_COLOUR},
        "encoding": {
            "y": {"field": "category", "type": "nominal", "sort": None, "title": dimension_label},
            "x": {"field": "value", "type": "quantitative", "title": label, "stack": None},
            "tooltip": [{"field": "category", "title": dimension_label},
                        {"field": "value", "title": label}],
        },
    }


def render_svg(spec: dict[str, Any], chart_id: str) -> str:
    """Inline SVG with <title> and <desc>, made offline by vl-convert (no network, no script)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec)
    title, desc = html.escape(str(spec.get("title", ""))), html.escape(str(spec.get("description", "")))
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    return re.sub(
        r"<svg\b([^>]*)>",
        lambda m: (f'<svg{m.group(1)} role="img" aria-labelledby="{chart_id}-t {chart_id}-d">'
                   f'<title id="{chart_id}-t">{title}</title><desc id="{chart_id}-d">{desc}</desc>'),
        svg, count=1)
