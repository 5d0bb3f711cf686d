"""Hand-built published outputs for the governance tests, in the formats ``publish`` and
``evaluate`` write: two measures and three evaluations. Figures are invented for tests.

- women_short_sentences (lower is better): 40.0% [37.0, 43.0] in 2025 Q3, then 48.0% [45.0, 51.0]
  in 2025 Q4: the earlier figure lies outside the latest interval, on the worse side -> "Worse".
  2026 Q1 (12.0%) is provisional and must never count.
- community_sentences (higher is better): 30.0% then 29.0% [26.0, 32.0]: inside -> no clear change.
- GPS: significant rise in reoffending (harmful); AAMR: refused; TTG: significant fall.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localjustice.area import load_outcomes
from localjustice.publish.headlines import headline

LONDON = "E12000007"


def _obs(period: str, value: float, low: float, high: float) -> dict[str, Any]:
    return {"period": period, "borough": LONDON, "cohort": "all", "value": value, "numerator": None,
            "denominator": None, "suppressed": False, "marker": None, "low": low, "high": high}


def _measure(measure_id: str, title: str, observations: list[dict[str, Any]],
             provisional: dict[str, str]) -> dict[str, Any]:
    return {"id": measure_id, "title": title, "description": title, "unit": "percent",
            "methodology": {"summary": "test", "source": "test"}, "observations": observations,
            "provisional": provisional, "cohort_labels": {"all": "All ages"}}


def measures() -> dict[str, Any]:
    women = _measure("women_short_sentences", "Women's short sentences",
                     [_obs("2025 Q3", 40.0, 37.0, 43.0), _obs("2025 Q4", 48.0, 45.0, 51.0),
                      _obs("2026 Q1", 12.0, 8.0, 16.0)], {"2026 Q1": "Provisional: follow-up runs on"})
    community = _measure("community_sentences", "Community sentences",
                         [_obs("2025 Q3", 30.0, 27.0, 33.0), _obs("2025 Q4", 29.0, 26.0, 32.0)], {})
    by_id = {m["id"]: m for m in (women, community)}
    heads = [headline(o, by_id[o.measure], LONDON) for o in load_outcomes() if o.measure in by_id]
    return {"published_at": "2026-10-05T09:00:00", "area": "London", "headlines": heads,
            "measures": [women, community]}


def _evaluation(code: str, name: str, *, estimate: float | None, refusal: str | None = None,
                significant: bool = True) -> dict[str, Any]:
    estimates = [] if estimate is None else [{
        "outcome": "reoffended", "label": "Proven reoffending rate", "kind": "rate",
        "participants": 30.0 + estimate, "comparison": 30.0, "estimate": estimate,
        "ci_lower": estimate - 4.0, "ci_upper": estimate + 4.0, "p_value": 0.01,
        "significant": significant}]
    return {"programme": {"code": code, "name": name, "commissioner": "MOPAC", "index_event": "release"},
            "period": {"from": "2019-01-01", "to": "2020-01-01"}, "refusal": refusal,
            "headline": None if refusal else f"{name}: headline", "statements": [], "estimates": estimates,
            "balance": [], "method": None, "balanced": refusal is None}


def write_published(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "measures.json").write_text(json.dumps(measures()), encoding="utf-8")
    evaluations = folder / "evaluations"
    evaluations.mkdir(exist_ok=True)
    for data in (_evaluation("GPS", "GPS tagging", estimate=10.0),
                 _evaluation("AAMR", "Alcohol monitoring", estimate=None, refusal="Too few participants."),
                 _evaluation("TTG", "Through the Gate", estimate=-6.0)):
        (evaluations / f"{data['programme']['code']}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder
