"""Publish the measures for the web dashboard: ``<data dir>/published/measures.json``.

The dashboard reads published figures and computes nothing (DESIGN.md), so this step turns each
measure's disclosure-controlled tables into the observations the dashboard filters: one value per
quarter x borough x cohort. Every number comes from ``measure_tables``, after disclosure control:
a suppressed or withheld cell (``[c]``, ``[u]``) is published as suppressed with no value, never
as zero; a cell that does not apply (``[z]``) is left out.

Boroughs come from a measure's own by-borough table where it has one; measures without one are
published for London as a whole. Cohorts (adult, juvenile, young adult) apply to proven
reoffending and are published for London as a whole, from the measure's own cohort tables.
Borough-by-cohort cells are deliberately not published: they would come from separately
suppressed tables, and a suppressed juvenile count could be recovered as all minus adult.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from localjustice.area import load_area, load_outcomes
from localjustice.measures import NOT_APPLICABLE, SUPPRESSED, rate_marker
from localjustice.measures.intervals import poisson_rate_interval, wilson_interval
from localjustice.progress import NullProgress, Progress
from localjustice.publish.dashboard import available_periods, measure_tables
from localjustice.publish.headlines import headline as outcome_headline
from localjustice.publish.spreadsheet import DASHBOARD_SPREADSHEET, write_dashboard_spreadsheet
from localjustice.warehouse import Warehouse

MEASURES_FILE = "measures.json"
#: ONS code of the London region: observations for the whole area.
WHOLE_AREA = "E12000007"
ALL_COHORTS = "all"
#: (table, row category) -> cohort, for the cohort rows of proven reoffending
COHORT_ROWS = {
    ("proven_reoffending_by_adult_juvenile", "Adult (18+)"): "adult",
    ("proven_reoffending_by_adult_juvenile", "Juvenile (10-17)"): "juvenile",
    ("proven_reoffending_by_young_adult", "Young adults (18-24)"): "young_adult",
}
#: cohort -> its name in words: the measure's own row label (its age band), never the code
COHORT_LABELS = {ALL_COHORTS: "All ages", **{c: category for (_, category), c in COHORT_ROWS.items()}}
#: how each unit's 95% interval is worked out (``measures.intervals``), as the page says it
INTERVAL_METHODS = {
    "percent": "Wilson score interval for a proportion, from the published count and base",
    "rate": "exact (Garwood) Poisson interval for the count, over the base",
    "ratio": "the measure's own interval: Katz's log method for a ratio of two proportions",
}


@dataclass(frozen=True)
class Headline:
    """Which of a measure's published figures is its dashboard value."""

    id: str
    measure: str
    title: str
    description: str
    unit: str  # percent | count | rate | ratio
    value: str
    numerator: str | None
    denominator: str | None
    borough_table: str | None = None
    #: for measures whose rows are groups (disproportionality): the table to read, by group
    group_table: str | None = None
    #: the publications the method follows, linked from the methodology page
    references: tuple[tuple[str, str], ...] = ()


#: the London justice devolution MoU, cited by the measures it asks for
MOU = ("Working towards justice devolution to London (memorandum of understanding), March 2018; "
       "Hansard, written statement 'Justice Update', 26 March 2018",
       "https://hansard.parliament.uk/commons/2018-03-26/debates/1803264000011/JusticeUpdate")

HEADLINES = (
    Headline("proven_reoffending", "proven_reoffending", "Proven reoffending",
             "Share of the cohort with a proven reoffence within 12 months", "percent",
             "rate", "reoffenders", "offenders", "proven_reoffending_by_borough",
             references=(("Ministry of Justice, Proven reoffending statistics (and their guide)",
                          "https://www.gov.uk/government/collections/proven-reoffending-statistics"),)),
    Headline("repeat_victimisation", "repeat_victimisation", "Repeat victimisation",
             "Share of victims who are victims of another recorded crime within 12 months",
             "percent", "rate", "repeat_victims", "victims", "repeat_victimisation_by_borough",
             references=(MOU,)),
    Headline("youth_custody", "youth_custody", "Young people in custody far from home",
             "Share of young people in custody held outside the area, at the end of the period",
             "percent", "share_outside", "held_outside", "held", "youth_custody_by_borough",
             references=(("Youth Custody Service, Youth custody data",
                          "https://www.gov.uk/government/statistics/youth-custody-data"), MOU)),
    Headline("women_short_sentences", "women_short_sentences",
             "Women on short custodial sentences",
             "Share of women's sentences that are immediate custody of 12 months or less",
             "percent", "women_short_share", "women_short_custody", "women_sentences",
             references=(("Ministry of Justice, Female Offender Strategy (2018)",
                          "https://www.gov.uk/government/publications/female-offender-strategy"),)),
    Headline("community_sentences", "community_sentences", "Community sentence use",
             "Share of sentences that are community orders", "percent", "community_share",
             "community", "sentences", references=(MOU,)),
    Headline("electronic_monitoring", "electronic_monitoring", "Electronic monitoring violations",
             "Violations per monitoring order ended in the period", "rate",
             "violations_per_order", "violations", "ended", references=(MOU,)),
    Headline("disproportionality_custody", "disproportionality",
             "Disproportionality at custody (Relative Rate Index)",
             "Each group's rate of immediate custody on conviction over the White group's",
             "ratio", "rri", "reached", "base", group_table="disproportionality_custody",
             references=(("D. Lammy, The Lammy Review: final report (2017)",
                          "https://www.gov.uk/government/publications/lammy-review-final-report"),)),
)


def _cell(value: Any) -> tuple[str | None, float | None] | None:
    """(marker, value) of a published cell: the marker (``[c]``, ``[u]``) when it is withheld;
    None when the cell does not apply."""
    if value == "[z]" or value is None:
        return None
    if isinstance(value, str):
        return value, None
    return None, float(value)


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _interval(unit: str, row: dict[str, Any], numerator: int | None,
              denominator: int | None) -> tuple[float, float] | None:
    if unit == "ratio":
        low, high = _cell(row.get("rri_low")), _cell(row.get("rri_high"))
        if low and high and low[1] is not None and high[1] is not None:
            return round(low[1], 2), round(high[1], 2)
        return None
    if numerator is None or denominator is None:
        return None
    found = (wilson_interval(numerator, denominator) if unit == "percent" else
             poisson_rate_interval(numerator, denominator) if unit == "rate" else None)
    if found is None:
        return None
    places = 1 if unit == "percent" else 2
    return round(found[0], places), round(found[1], places)


def _observation(period: str, borough: str, cohort: str, row: dict[str, Any],
                 headline: Headline) -> dict[str, Any] | None:
    """One published figure with its count, base and 95% interval.

    A percentage or rate is published only where the disclosure rule for rates allows it, given
    the count and base printed beside it (``disclosure.rate_marker``, the one statement of rule 3:
    a share of 14.3% of 7 sentences would give away a suppressed count of 1). The measures'
    published cells already follow it; the feed applies the same rule to the pair it prints, so a
    figure never goes out beside a count that is withheld.
    """
    cell = _cell(row.get(headline.value))
    if cell is None:
        return None
    marker, value = cell
    numerator = _count(row.get(headline.numerator or ""))
    denominator = _count(row.get(headline.denominator or ""))
    if marker is None and headline.unit in ("percent", "rate"):
        # a count missing from the row is as good as withheld
        ruled = rate_marker(SUPPRESSED if numerator is None else numerator,
                            SUPPRESSED if denominator is None else denominator)
        if ruled == NOT_APPLICABLE:
            return None
        if ruled is not None:
            marker, value = ruled, None
    interval = None if marker else _interval(headline.unit, row, numerator, denominator)
    return {
        "period": period, "borough": borough, "cohort": cohort, "value": value,
        "numerator": None if marker else numerator, "denominator": denominator,
        "suppressed": marker is not None, "marker": marker,
        "low": interval[0] if interval else None, "high": interval[1] if interval else None,
    }


def _table(body: dict[str, Any], name: str | None) -> list[dict[str, Any]]:
    for table in body["breakdowns"]:
        if table["name"] == name:
            return list(table["rows"])
    return []


def _observations(warehouse: Warehouse, headline: Headline, period: str, label: str,
                  borough_codes: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    body = measure_tables(warehouse, headline.measure, period)
    out: list[dict[str, Any] | None] = []
    if headline.group_table:
        for row in _table(body, headline.group_table):
            out.append(_observation(label, WHOLE_AREA, str(row["category"]), row, headline))
        return [o for o in out if o is not None], body
    out.append(_observation(label, WHOLE_AREA, ALL_COHORTS, body, headline))
    for row in _table(body, headline.borough_table):
        code = borough_codes.get(str(row["category"]))
        if code is not None:
            out.append(_observation(label, code, ALL_COHORTS, row, headline))
    for (table, category), cohort in COHORT_ROWS.items():
        for row in _table(body, table):
            if row["category"] == category:
                out.append(_observation(label, WHOLE_AREA, cohort, row, headline))
    return [o for o in out if o is not None], body


def _methodology(body: dict[str, Any], headline: Headline) -> dict[str, Any]:
    """The methodology page's document: what is counted, how uncertain it is, when a figure is
    final, and the symbols, each under its heading, with the publications the method follows."""
    text = str(body.get("methodology", ""))
    source, _, summary = text.partition(": ")
    sections = [{"heading": "What is counted", "body": summary or text}]
    if headline.unit in INTERVAL_METHODS:
        sections.append({"heading": "How uncertain the figures are", "body": (
            "Each figure is shown with its 95% confidence interval: the "
            f"{INTERVAL_METHODS[headline.unit]}. A change is called better or worse only when the "
            "baseline lies outside the latest figure's interval.")})
    sections.append({"heading": "Final and provisional figures", "body": (
        "A period's figures are final once every event they count could have been recorded; until "
        "then they are provisional, drawn as hollow points on a dashed line and labelled, and "
        "never used as a headline.")})
    sections.append({"heading": "What the symbols mean", "body": "; ".join(
        f"{k} {v}" for k, v in body.get("legend", {}).items())})
    return {"summary": summary or text, "source": source if summary else "", "sections": sections,
            "references": [{"title": t, "url": u} for t, u in headline.references]}


def dashboard_payload(warehouse: Warehouse, *, periods: list[str] | None = None,
                      progress: Progress | None = None) -> dict[str, Any]:
    """The published measures for every quarter with data (or the ``periods`` given)."""
    progress = progress or NullProgress()
    chosen = periods if periods is not None else [
        p for p in available_periods(warehouse) if "Q" in p]
    chosen = sorted(chosen)
    area = load_area()
    borough_codes = {la.name: la.code for la in area.local_authorities}
    step = progress.step("publish measures for the dashboard", total=len(HEADLINES) * len(chosen))
    measures: list[dict[str, Any]] = []
    for headline in HEADLINES:
        observations: list[dict[str, Any]] = []
        methodology: dict[str, Any] = {"summary": "", "source": "", "sections": []}
        notes: list[str] = []
        provisional: dict[str, str] = {}
        for period in chosen:
            label = period.replace("Q", " Q")
            found, body = _observations(warehouse, headline, period, label, borough_codes)
            observations += found
            methodology = _methodology(body, headline)
            notes += [f"{label}: {n}" for n in body.get("notes", [])]
            provisional.update((label, n) for n in body.get("notes", []) if n.startswith("Provisional"))
            step.advance()
        if notes:
            methodology["sections"].append({"heading": "Notes", "body": " ".join(notes)})
        measures.append({
            "id": headline.id, "title": headline.title, "description": headline.description,
            "unit": headline.unit, "methodology": methodology, "observations": observations,
            # periods whose figures will still change (follow-up runs past the data), with why
            "provisional": provisional,
            "cohort_labels": {**({} if headline.group_table else COHORT_LABELS),
                              **{o["cohort"]: COHORT_LABELS.get(o["cohort"], o["cohort"])
                                 for o in observations}},
        })
    by_id = {m["id"]: m for m in measures}
    headlines = [outcome_headline(o, by_id[o.measure], WHOLE_AREA) for o in load_outcomes()
                 if o.measure in by_id]
    return {"published_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "area": area.name, "headlines": headlines, "measures": measures}


def publish_dashboard(warehouse: Warehouse, folder: Path, *, periods: list[str] | None = None,
                      progress: Progress | None = None) -> Path:
    """Write ``measures.json`` atomically (a reader never sees half a file), and beside it the
    whole publication as a spreadsheet (``measures.xlsx``) for the dashboard's download."""
    payload = dashboard_payload(warehouse, periods=periods, progress=progress)
    folder.mkdir(parents=True, exist_ok=True)
    area = load_area()
    names = {WHOLE_AREA: area.name} | {la.code: la.name for la in area.local_authorities}
    write_dashboard_spreadsheet(payload, folder / DASHBOARD_SPREADSHEET, area_names=names)
    path = folder / MEASURES_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(payload), encoding="utf-8")
    partial.replace(path)
    return path
