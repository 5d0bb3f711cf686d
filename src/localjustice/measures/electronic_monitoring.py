"""Electronic monitoring: orders started by type and source, orders ended, and violations.

The MoU's electronic monitoring commitments (London MoU, "Electronic monitoring": GPS location
monitoring and alcohol abstinence monitoring tags) are followed with the measures of the Ministry
of Justice's "Electronic monitoring statistics" (orders by type of monitoring and by the order
it enforces: a court order, a licence on release, or bail). Orders *started* in the period are
cross-tabulated by type and source. Orders *ended* in the period (the extract records an end
date but not why, so every ended order is counted as completed) give violations per order and
the share with at least one violation.
"""

from __future__ import annotations

from typing import Any

from localjustice.measures.breakdowns import Breakdown, build_tables, grouping_sets_sql
from localjustice.measures.period import Period
from localjustice.measures.pipeline import DEFAULT_DIALECT, Pipeline, Step
from localjustice.measures.tables import CountColumn, MeasureResult, MeasureTable, RateColumn
from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.analysis_layout import EVENT_TABLE, PERSON_TABLE

NAME = "electronic_monitoring"
TITLE = "Electronic monitoring"
METHODOLOGY = ("Monitoring orders started in the period by type (curfew, GPS location, alcohol) "
               "and source (court, licence, bail); orders ended in the period, violations per "
               "ended order (MoJ Electronic monitoring statistics).")

TYPE_LABELS = {"curfew_rf": "Curfew (radio frequency)", "gps_location": "GPS location",
               "alcohol_aamr": "Alcohol (AAMR)"}
BY_TYPE = (Breakdown("monitoring_type", "Type of monitoring", tuple(TYPE_LABELS.values())),)
STARTED = (
    CountColumn("started", "Orders started"),
    CountColumn("court", "Court order", part_of="started"),
    CountColumn("licence", "Licence", part_of="started"),
    CountColumn("bail", "Bail", part_of="started"),
)
ENDED = (
    CountColumn("ended", "Orders ended (completed)"),
    CountColumn("with_violation", "Ended with at least one violation", part_of="ended"),
    CountColumn("without_violation", "Ended without a violation", part_of="ended", hidden=True),
    CountColumn("violations", "Violations"),
)
ENDED_RATES = (
    RateColumn("violation_share", "Share with a violation (%)", "with_violation", "ended"),
    RateColumn("violations_per_order", "Violations per order", "violations", "ended", scale=1.0,
               decimals=2),
)


def pipeline(period: Period, *, borough: str | None = None,
             dialect: Dialect = DEFAULT_DIALECT) -> Pipeline:
    """The measure as named steps; ``dialect`` is taken for the common signature (this measure's
    SQL is the same on every engine)."""
    label = " ".join(f"WHEN e.monitoring_type = '{k}' THEN '{v}'" for k, v in TYPE_LABELS.items())
    borough_filter = f"AND coalesce(e.borough_code, p.borough_code) = '{borough}'" if borough else ""
    start, end = period.sql_start(), period.sql_end()
    return Pipeline.of([
        Step("monitoring_order", f"""
            SELECT e.event_date AS start_date, e.end_date, e.source_order,
                   coalesce(e.violations, 0) AS violations,
                   CASE {label} ELSE 'Other' END AS monitoring_type
            FROM {EVENT_TABLE} AS e
            LEFT JOIN {PERSON_TABLE} AS p ON p.person_id = e.person_id
            WHERE e.event_type = 'monitoring' {borough_filter}"""),
        Step("started", grouping_sets_sql(
            f"(SELECT * FROM monitoring_order WHERE start_date >= {start} AND start_date < {end}) AS s",
            BY_TYPE,
            "count(*) AS started, sum(CASE WHEN source_order = 'court' THEN 1 ELSE 0 END) AS court, "
            "sum(CASE WHEN source_order = 'licence' THEN 1 ELSE 0 END) AS licence, "
            "sum(CASE WHEN source_order NOT IN ('court', 'licence') OR source_order IS NULL "
            "THEN 1 ELSE 0 END) AS bail")),
        Step("ended", grouping_sets_sql(
            f"(SELECT * FROM monitoring_order WHERE end_date >= {start} AND end_date < {end}) AS x",
            BY_TYPE,
            "count(*) AS ended, sum(CASE WHEN violations > 0 THEN 1 ELSE 0 END) AS with_violation, "
            "sum(violations) AS violations")),
    ], name=NAME)


def compute(warehouse: Warehouse, period: Period, *, borough: str | None = None) -> MeasureResult:
    pipe = pipeline(period, borough=borough, dialect=warehouse.dialect)
    started_total, started = build_tables(
        pipe.run(warehouse, "started"), BY_TYPE, name_prefix=f"{NAME}_started",
        title="Monitoring orders started, by source", counts=STARTED, rates=())
    ended_total, ended = build_tables(
        pipe.run(warehouse, "ended"), BY_TYPE, name_prefix=f"{NAME}_ended",
        title="Monitoring orders ended, and violations", counts=ENDED, rates=ENDED_RATES,
        complements={"without_violation": ("ended", "with_violation")})
    tables: list[MeasureTable] = [*started, *ended]
    n_ended = ended_total["ended"]
    headline: dict[str, Any] = {
        "started": started_total["started"], "ended": n_ended,
        "violations": ended_total["violations"],
        "violations_per_order": round(ended_total["violations"] / n_ended, 2) if n_ended else None,
    }
    return MeasureResult(NAME, TITLE, period, headline, tables, METHODOLOGY, [],
                         scope={"borough": borough})
