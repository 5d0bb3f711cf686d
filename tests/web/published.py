"""A small made-up measures file in the format the publish package writes (web.dashboard): London
as a whole for every cohort, three boroughs for all ages, two quarters (the second provisional),
one suppressed borough cell, intervals worked out as the publish step works them out, and the
headlines ``publish.headlines`` makes of them.

Figures are invented for tests; they are not estimates of anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localjustice.area import load_outcomes
from localjustice.measures.intervals import wilson_interval
from localjustice.publish.headlines import headline

LONDON = "E12000007"
BOROUGHS = ("E09000012", "E09000030", "E09000027")
PERIODS = ("2018 Q1", "2018 Q2")
COHORTS = ("all", "adult", "juvenile")
COHORT_LABELS = {"all": "All ages", "adult": "Adult (18+)", "juvenile": "Juvenile (10-17)"}
#: (period index, borough) of the one suppressed cell
SUPPRESSED = (1, "E09000027")


def _observation(period: str, borough: str, cohort: str, numerator: int | None, denominator: int,
                 marker: str | None = None) -> dict[str, Any]:
    interval = None if numerator is None else wilson_interval(numerator, denominator)
    return {"period": period, "borough": borough, "cohort": cohort,
            "value": None if numerator is None else round(100.0 * numerator / denominator, 1),
            "numerator": numerator, "denominator": denominator, "suppressed": numerator is None,
            "marker": marker, "low": round(interval[0], 1) if interval else None,
            "high": round(interval[1], 1) if interval else None}


def _observations() -> list[dict[str, Any]]:
    out = []
    for p, period in enumerate(PERIODS):
        for c, cohort in enumerate(COHORTS):
            out.append(_observation(period, LONDON, cohort, 240 + 40 * c - 10 * p, 1000))
        for b, borough in enumerate(BOROUGHS):
            if (p, borough) == SUPPRESSED:
                out.append(_observation(period, borough, "all", None, 60, "[c]"))
            else:
                out.append(_observation(period, borough, "all", 40 + 15 * b + p, 200))
    return out


def measures_payload() -> dict[str, object]:
    observations = _observations()
    measures: list[dict[str, Any]] = [
        {"id": "proven_reoffending", "title": "Proven reoffending",
         "description": "Share of the cohort with a proven reoffence within 12 months",
         "unit": "percent",
         "methodology": {"summary": "Follows the national proven reoffending method.",
                         "source": "Ministry of Justice, Guide to proven reoffending statistics",
                         "sections": [{"heading": "Cohort", "body": "First eligible event per person."},
                                      {"heading": "Follow-up",
                                       "body": "Twelve months plus six to convict."}],
                         "references": [{"title": "Proven reoffending statistics",
                                         "url": "https://www.gov.uk/government/collections/"
                                                "proven-reoffending-statistics"}]},
         "observations": observations,
         "provisional": {"2018 Q2": "Provisional: the follow-up runs past the data."},
         "cohort_labels": COHORT_LABELS},
        {"id": "women_short_sentences", "title": "Women on short custodial sentences",
         "description": "Immediate custody of 12 months or less, women",
         "unit": "count",
         "methodology": {"summary": "Counts of sentences.", "source": "Court outcomes extract",
                         "sections": []},
         "observations": [{**o, "value": None if o["suppressed"] else float(o["numerator"] or 0),
                           "low": None, "high": None}
                          for o in observations if o["cohort"] == "all"],
         "cohort_labels": COHORT_LABELS},
    ]
    by_id = {m["id"]: m for m in measures}
    return {
        "published_at": "2026-01-31T12:00:00", "area": "London",
        "headlines": [headline(o, by_id[o.measure], LONDON) for o in load_outcomes()
                      if o.measure in by_id],
        "measures": measures,
    }


def write_measures(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "measures.json"
    path.write_text(json.dumps(measures_payload()), encoding="utf-8")
    return path
