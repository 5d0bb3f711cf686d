"""A small made-up measures file in the format the publish package will write (web.dashboard).

Figures are invented for tests; they are not estimates of anything.
"""

from __future__ import annotations

import json
from pathlib import Path

BOROUGHS = ("E09000012", "E09000030", "E09000027")
PERIODS = ("2018 Q1", "2018 Q2")
COHORTS = ("adult", "juvenile")


def measures_payload() -> dict[str, object]:
    observations = []
    for p, period in enumerate(PERIODS):
        for b, borough in enumerate(BOROUGHS):
            for c, cohort in enumerate(COHORTS):
                suppressed = (p, b, c) == (1, 2, 1)
                observations.append({
                    "period": period, "borough": borough, "cohort": cohort,
                    "value": None if suppressed else 20.0 + 3 * b + 5 * c + p,
                    "numerator": None if suppressed else 200 + b, "denominator": 1000,
                    "suppressed": suppressed})
    return {
        "published_at": "2026-01-31T12:00:00",
        "measures": [
            {"id": "proven_reoffending", "title": "Proven reoffending",
             "description": "Share of the cohort with a proven reoffence within 12 months",
             "unit": "percent",
             "methodology": {"summary": "Follows the national proven reoffending method.",
                             "source": "Ministry of Justice, Guide to proven reoffending statistics",
                             "sections": [{"heading": "Cohort", "body": "First eligible event per person."},
                                          {"heading": "Follow-up",
                                           "body": "Twelve months plus six to convict."}]},
             "observations": observations,
             "provisional": {"2018 Q2": "Provisional: the follow-up runs past the data."}},
            {"id": "women_short_sentences", "title": "Women on short custodial sentences",
             "description": "Immediate custody of 12 months or less, women",
             "unit": "count",
             "methodology": {"summary": "Counts of sentences.", "source": "Court outcomes extract",
                             "sections": []},
             "observations": [{**o, "value": None if o["suppressed"] else float(o["numerator"] or 0)}
                              for o in observations]},
        ],
    }


def write_measures(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "measures.json"
    path.write_text(json.dumps(measures_payload()), encoding="utf-8")
    return path
