"""A published observation as a row of a download: the same headings and markers in the
dashboard's spreadsheet and in every chart's CSV, so a figure reads the same wherever it is taken.

Only published cells are laid out: a withheld figure shows its marker (``[c]`` suppressed, ``[u]``
base under 30) in place of the figure, its interval and its count, never a blank or a zero
(Government Statistical Service, "Symbols in tables"); ``[x]`` marks what is not available.
"""

from __future__ import annotations

import csv
import io
from typing import Any

NOT_AVAILABLE = "[x]"


def observation_columns(unit: str) -> list[tuple[str, str]]:
    """(key, heading) of a published observation as a download lays it out: the same headings in
    the spreadsheet and in every chart's CSV."""
    figure = {"percent": "Rate (%)", "rate": "Rate per order", "ratio": "Relative Rate Index",
              "count": "Count"}.get(unit, "Figure")
    return [("period", "Period"), ("status", "Final or provisional"), ("area", "Area"),
            ("cohort", "Cohort"), ("value", figure), ("low", "95% CI lower"),
            ("high", "95% CI upper"), ("numerator", "Count"), ("denominator", "Base")]


def observation_row(observation: dict[str, Any], *, status: str, area: str,
                    cohort: str) -> dict[str, Any]:
    """A published observation as a download's row: a withheld figure shows its marker (``[c]``,
    ``[u]``), never a blank or a zero; the count is withheld with it."""
    marker = observation.get("marker") or ("[c]" if observation.get("suppressed") else None)
    missing = NOT_AVAILABLE
    return {
        "period": observation["period"], "status": status, "area": area, "cohort": cohort,
        "value": marker or observation["value"],
        "low": marker or (missing if observation.get("low") is None else observation["low"]),
        "high": marker or (missing if observation.get("high") is None else observation["high"]),
        "numerator": marker or (missing if observation.get("numerator") is None
                                else observation["numerator"]),
        "denominator": missing if observation.get("denominator") is None else observation["denominator"],
    }



def as_csv(rows: list[dict[str, Any]], unit: str) -> str:
    """Rows laid out by ``observation_row`` as CSV text with ``observation_columns`` headings."""
    columns = observation_columns(unit)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([row[key] for key, _ in columns])
    return out.getvalue()
