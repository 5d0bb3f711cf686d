"""The dashboard's headlines: for each outcome the board tracks, the latest final figure for the
whole area against its baseline and any comparator, said in words.

Built at publication from the published (disclosure-controlled) observations and the area's
``outcomes.toml`` (baselines and comparators with their sources, and which way is better), so
the web app shows them and computes nothing. A change is called better or worse only when the
baseline lies outside the latest figure's 95% interval; otherwise it is "no clear change",
because a move inside the interval may be chance. Provisional periods (whose follow-up runs past
the data) are never a headline: their figures will still rise.
"""

from __future__ import annotations

import math
from typing import Any

from localjustice.area import Outcome, Reference

BETTER, WORSE, NO_CLEAR_CHANGE, NOT_YET = "Better", "Worse", "No clear change", "No final figure yet"
NO_BASELINE_YET = "No change to report yet"
WITHHELD = "Withheld: too few people for a reliable figure"


def format_value(value: float, unit: str) -> str:
    """A figure as the page prints it: percentages to one place, ratios and rates to two."""
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _difference(value: float, baseline: float, unit: str) -> str:
    delta = value - baseline
    if round(delta, 2) == 0:
        return f"the same as {format_value(baseline, unit)}"
    direction = "up" if delta > 0 else "down"
    size = f"{abs(delta):.1f} percentage points" if unit == "percent" else f"{abs(delta):,.2f}"
    return f"{direction} {size} from {format_value(baseline, unit)}"


def _distance(value: float, better: str) -> float:
    """How far a figure is from the good end: its value, or for an RRI its distance from 1."""
    if better == "nearer_one":
        return abs(math.log(value)) if value > 0 else math.inf
    return value if better == "lower" else -value


def verdict(value: float, low: float | None, high: float | None, baseline: float,
            better: str) -> str:
    """Better, worse, or no clear change (the baseline inside the 95% interval)."""
    if low is not None and high is not None and low <= baseline <= high:
        return NO_CLEAR_CHANGE
    now, then = _distance(value, better), _distance(baseline, better)
    if math.isclose(now, then):
        return NO_CLEAR_CHANGE
    return BETTER if now < then else WORSE


def _comparison(observation: dict[str, Any], reference: Reference, unit: str) -> str:
    value, low, high = observation["value"], observation.get("low"), observation.get("high")
    if low is not None and high is not None and low <= reference.value <= high:
        relation = "in line with (inside the 95% interval)"
    elif value > reference.value:
        relation = "higher than"
    else:
        relation = "lower than"
    return f"{format_value(value, unit)} is {relation} {format_value(reference.value, unit)}"


def _reference(reference: Reference) -> dict[str, Any]:
    return {"value": reference.value, "label": reference.label,
            "source": reference.source.title, "url": reference.source.url}


def headline(outcome: Outcome, measure: dict[str, Any], whole_area: str) -> dict[str, Any]:
    """One outcome's headline from its measure's published observations (``dashboard_feed``)."""
    unit = measure["unit"]
    series = sorted((o for o in measure["observations"]
                     if o["borough"] == whole_area and o["cohort"] == outcome.cohort),
                    key=lambda o: o["period"])
    final_periods = [o for o in series if o["period"] not in measure.get("provisional", {})]
    final = [o for o in final_periods if not o["suppressed"] and o["value"] is not None]
    better_words = {"lower": "Lower is better", "higher": "Higher is better",
                    "nearer_one": "Nearer 1 (parity with the White group) is better"}[outcome.better]
    out: dict[str, Any] = {
        "measure": measure["id"], "cohort": outcome.cohort, "title": outcome.title, "unit": unit,
        "better": outcome.better, "better_text": better_words, "latest": None, "baseline": None,
        "change": "", "verdict": NOT_YET, "comparators": []}
    if outcome.baseline is not None:  # stated with its source even before there is a figure
        out["baseline"] = _reference(outcome.baseline)
    if not final:  # the comparators still stand, to read the figure against once there is one
        out["verdict"] = WITHHELD if final_periods else NOT_YET
        out["comparators"] = [{**_reference(c), "comparison": format_value(c.value, unit)}
                              for c in outcome.comparators]
        return out
    latest = final[-1]
    out["latest"] = {k: latest.get(k) for k in ("period", "value", "low", "high", "numerator",
                                                "denominator")}
    if outcome.baseline is not None:
        baseline = _reference(outcome.baseline)
    elif len(final) >= 2:
        first = final[0]
        baseline = {"value": first["value"], "label": f"{first['period']}, the first final period "
                    "published", "source": "", "url": "", "period": first["period"]}
    else:
        baseline = None
    if baseline is not None:
        out["baseline"] = baseline
        out["change"] = _difference(latest["value"], baseline["value"], unit)
        out["verdict"] = verdict(latest["value"], latest.get("low"), latest.get("high"),
                                 baseline["value"], outcome.better)
    else:
        out["change"] = "the first final period: no change to report yet"
        out["verdict"] = NO_BASELINE_YET
    out["comparators"] = [{**_reference(c), "comparison": _comparison(latest, c, unit)}
                          for c in outcome.comparators]
    return out
