"""What the published outputs say about each commitment: governance computes no statistic.

Measures come from ``<data dir>/published/measures.json`` (``publish.dashboard_feed``: disclosure
controlled, with 95% intervals), evaluations from ``published/evaluations/CODE.json``
(``evaluate.report``). A tied measure "moves the wrong way beyond its interval" when its latest
final figure for the whole area, against the previous final period, is called "Worse" by the
dashboard's own rule (``publish.headlines.verdict``: the earlier figure outside the latest 95%
interval, on the wrong side for the outcome's direction in the area's ``outcomes.toml``), so the
board pack and the dashboard cannot disagree. Provisional and withheld figures are never used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localjustice.area import load_outcomes
from localjustice.evaluate.report import PUBLISHED_FOLDER
from localjustice.governance.rag import Evidence
from localjustice.governance.register import Commitment, MeasureTie
from localjustice.publish.dashboard_feed import MEASURES_FILE, WHOLE_AREA
from localjustice.publish.headlines import WORSE, format_value, verdict

#: how many final periods a trend shows
TREND_PERIODS = 4


@dataclass(frozen=True)
class Published:
    """The published outputs governance reads, loaded once per pack or page."""

    measures: dict[str, Any] | None
    evaluations: dict[str, dict[str, Any]]

    @classmethod
    def read(cls, published_dir: Path) -> Published:
        path = published_dir / MEASURES_FILE
        measures = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        folder = published_dir / PUBLISHED_FOLDER
        evaluations = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                       for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}
        return cls(measures, evaluations)

    def measure(self, measure_id: str) -> dict[str, Any] | None:
        for measure in (self.measures or {}).get("measures", []):
            if measure["id"] == measure_id:
                return dict(measure)
        return None


def final_series(measure: dict[str, Any], cohort: str) -> list[dict[str, Any]]:
    """The whole area's final, published (not withheld) figures for a cohort, oldest first."""
    provisional = measure.get("provisional", {})
    return sorted((o for o in measure["observations"]
                   if o["borough"] == WHOLE_AREA and o["cohort"] == cohort
                   and o["period"] not in provisional and not o["suppressed"] and o["value"] is not None),
                  key=lambda o: o["period"])


def better_of(tie: MeasureTie, area: str = "london") -> str | None:
    for outcome in load_outcomes(area):
        if outcome.measure == tie.measure and outcome.cohort == tie.cohort:
            return outcome.better
    return None


def trend(published: Published, tie: MeasureTie, area: str = "london") -> dict[str, Any] | None:
    """A tied measure's last final figures and the verdict of the latest against the one before."""
    measure = published.measure(tie.measure)
    better = better_of(tie, area)
    if measure is None or better is None:
        return None
    series = final_series(measure, tie.cohort)
    if not series:
        return None
    latest = series[-1]
    out: dict[str, Any] = {
        "measure": tie.measure, "cohort": tie.cohort, "title": measure["title"], "unit": measure["unit"],
        "better": better,
        "series": [{"period": o["period"], "value": o["value"],
                    "text": format_value(o["value"], measure["unit"])} for o in series[-TREND_PERIODS:]],
        "latest": latest["period"], "verdict": None, "words": ""}
    if len(series) >= 2:
        previous = series[-2]
        out["verdict"] = verdict(latest["value"], latest.get("low"), latest.get("high"),
                                 previous["value"], better)
        out["words"] = (f"{measure['title']} ({tie.cohort}) {format_value(latest['value'], measure['unit'])} "
                        f"in {latest['period']} against {format_value(previous['value'], measure['unit'])} "
                        f"in {previous['period']}")
    return out


def evaluation_result(published: Published, code: str) -> dict[str, Any]:
    """A tied programme's published result: harmful, beneficial, no clear effect, or none yet."""
    data = published.evaluations.get(code)
    if data is None:
        return {"code": code, "name": code, "result": "missing", "words": f"{code} is not evaluated"}
    name = data["programme"]["name"]
    if data.get("refusal"):
        return {"code": code, "name": name, "result": "missing", "words": f"{name}: {data['refusal']}"}
    rate = next((e for e in data.get("estimates", []) if e["outcome"] == "reoffended"), None)
    if rate is None or not data.get("balanced", True):
        return {"code": code, "name": name, "result": "missing",
                "words": f"{name}: no headline estimate (see the evaluation)"}
    words = (f"{name}: proven reoffending {rate['participants']}% against {rate['comparison']}% "
             f"(difference {rate['estimate']}, 95% interval {rate['ci_lower']} to {rate['ci_upper']})")
    if rate["significant"] and rate["estimate"] > 0:
        result = "harmful"
    elif rate["significant"] and rate["estimate"] < 0:
        result = "beneficial"
    else:
        result = "no_clear_effect"
    return {"code": code, "name": name, "result": result, "words": words,
            "headline": data.get("headline")}


def evidence_for(commitment: Commitment, published: Published, area: str = "london") -> Evidence:
    worse = []
    for tie in commitment.measures:
        found = trend(published, tie, area)
        if found is not None and found["verdict"] == WORSE:
            worse.append(found["words"])
    results = [evaluation_result(published, code) for code in commitment.evaluations]
    return Evidence(measures_worse=tuple(worse),
                    evaluations_harmful=tuple(r["words"] for r in results if r["result"] == "harmful"),
                    evaluations_missing=tuple(r["words"] for r in results if r["result"] == "missing"))
