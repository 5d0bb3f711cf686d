"""Checks that a Vega-Lite chart draws each figure as itself: nothing stacked, nothing summed.

The spec is compiled to Vega by vl-convert (as the report renders it), so a default Vega-Lite
adds by itself, such as stacking bars that share a position, is caught too, not only what the
spec spells out."""

from __future__ import annotations

from typing import Any

import vl_convert

#: Vega transforms that combine several data values into one figure
COMBINING = {"stack", "aggregate", "joinaggregate", "window", "pivot", "fold"}
#: encoding channels that give a mark its own place or colour
DISCRETE = ("x", "y", "xOffset", "yOffset", "color", "row", "column", "facet", "detail")


def combining_transforms(spec: dict[str, Any]) -> list[str]:
    compiled = vl_convert.vegalite_to_vega(spec)
    return [t["type"] for data in compiled.get("data", []) for t in data.get("transform", [])
            if t["type"] in COMBINING]


def views(spec: dict[str, Any], data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every single view of a spec (a layered chart's layers, each with the data it draws)."""
    data = spec.get("data", data)
    if "layer" in spec:
        return [v for layer in spec["layer"] for v in views(layer, data)]
    return [{**spec, "data": data}] if "encoding" in spec else []


def mark_keys(spec: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Per datum, the values of the discrete fields that place it: one mark each when unique."""
    encoding = spec["encoding"]
    fields = [encoding[c]["field"] for c in DISCRETE
              if c in encoding and encoding[c].get("type") != "quantitative" and "field" in encoding[c]]
    return [tuple(v[f] for f in fields) for v in spec["data"]["values"]]


def assert_each_figure_drawn_alone(spec: dict[str, Any]) -> None:
    """In every view (each layer of a layered chart), each datum is its own mark."""
    assert combining_transforms(spec) == [], "the chart combines figures"
    found = views(spec)
    assert found, "the spec draws nothing"
    for view in found:
        assert "aggregate" not in str(view["encoding"])
        keys = mark_keys(view)
        assert len(keys) == len(set(keys)), "two figures share one mark"
