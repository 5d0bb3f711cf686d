"""JSON-ready measures for the web dashboard: disclosure-controlled tables, a Vega-Lite chart
specification and a text summary for each, from the same code as the report.

The dashboard never computes statistics and never sees raw counts: everything here has been
through ``measures.disclosure``.
"""

from __future__ import annotations

from typing import Any

from localjustice.errors import LocalJusticeError
from localjustice.measures import MEASURES, parse_period, published_measure
from localjustice.publish.charts import chart_spec
from localjustice.publish.summaries import table_summary
from localjustice.warehouse import Warehouse
from localjustice.warehouse.analysis_layout import EVENT_TABLE

#: Cohorts the dashboard can narrow proven reoffending to (see ``proven_reoffending.COHORTS``).
COHORT_MEASURES = {"proven_reoffending"}


def measure_tables(warehouse: Warehouse, measure: str, period: str, *, borough: str | None = None,
                   cohort: str | None = None) -> dict[str, Any]:
    """One measure for one period, disclosure-controlled, as a JSON-ready dict.

    ``borough`` (an ONS code) restricts to people living in (or crimes in) that borough;
    ``cohort`` (``adult``, ``juvenile`` or ``young_adult``) narrows proven reoffending. The dict
    is the measure's published JSON with, on every entry of ``breakdowns``, a ``chart``
    (Vega-Lite specification, or None) and a ``summary`` (plain English).
    """
    if cohort is not None and measure not in COHORT_MEASURES:
        raise LocalJusticeError(f"Only {', '.join(sorted(COHORT_MEASURES))} can be narrowed to a "
                                "cohort.")
    options: dict[str, Any] = {"borough": borough}
    if cohort is not None:
        options["cohort"] = cohort
    published = published_measure(warehouse, measure, parse_period(period), **options)
    body = published.as_json()
    for entry, table in zip(body["breakdowns"], published.tables, strict=True):
        entry["chart"] = chart_spec(table)
        entry["summary"] = table_summary(table)
    return body


def available_periods(warehouse: Warehouse) -> list[str]:
    """Years and quarters the data cover whole, newest first (``2025``, ``2025Q4``, ``2025Q3``,
    ...); empty before linkage has built the analysis zone.

    Partners deliver whole months, so the data cover the months from the first to the last that
    hold a court outcome or caution. A period is published only when every one of its months is
    covered: a window that begins in December holds only a third of that year's fourth quarter,
    and one extracted at the end of November only part of the current quarter and year, and
    either would otherwise be published as if it were complete (a count a third of the truth, a
    reoffending cohort of one month's offenders). Whether a covered period's follow-up is complete
    is the measure's business (its "Provisional" note), not this list's.
    """
    if not warehouse.has_table(EVENT_TABLE):
        return []
    rows = warehouse.execute(f"""
        SELECT min(event_date), max(event_date) FROM {EVENT_TABLE}
        WHERE event_type IN ('court_outcome', 'out_of_court_disposal')""").fetchall()
    first, last = rows[0] if rows else (None, None)
    if first is None or last is None:
        return []
    first_month, last_month = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    out: list[str] = []
    for year in range(last.year, first.year - 1, -1):
        if first_month <= year * 12 and year * 12 + 11 <= last_month:
            out.append(str(year))
        for quarter in range(4, 0, -1):
            start = year * 12 + 3 * quarter - 3
            if first_month <= start and start + 2 <= last_month:
                out.append(f"{year}Q{quarter}")
    return out


def measure_catalogue() -> list[dict[str, str]]:
    """Every measure the dashboard can show: name, title and methodology line."""
    return [{"name": m.name, "title": m.title, "methodology": m.methodology}
            for m in MEASURES.values()]
