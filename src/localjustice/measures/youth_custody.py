"""Young people in custody far from home: young Londoners held on a snapshot day, and how many
are held outside London.

The MoU quotes 290 young Londoners in custody in November 2017, 152 of them outside London
(Youth Custody Service, "Youth custody data", monthly snapshot, which counts under-18s held on
remand or sentenced on the last day of the month). The snapshot day is the last day of a
quarter, or 30 November for a year (the month the MoU quotes). A young Londoner is someone aged
10-17 on the snapshot day whose borough of residence is in the area (or not recorded: the
extract is the area's own). Whether an establishment is inside the area comes from the area's
reference data (``in_area``). Age on the snapshot day is derived from the age at reception and
the year of birth (see ``classification.age_on_sql``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from localjustice.measures.breakdowns import Breakdown, build_tables, grouping_sets_sql
from localjustice.measures.classification import age_on_sql, area_codes_sql, borough_sql
from localjustice.measures.period import Period
from localjustice.measures.pipeline import (
    DEFAULT_DIALECT,
    Pipeline,
    Step,
    first_rows_sql,
    sql_text,
)
from localjustice.measures.tables import CountColumn, MeasureResult, RateColumn
from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.analysis_layout import EVENT_TABLE, PERSON_TABLE

NAME = "youth_custody"
TITLE = "Young people in custody far from home"
METHODOLOGY = ("Young Londoners (10-17) in custody, on remand or sentenced, on a snapshot day, and "
               "the number held outside London (Youth Custody Service monthly snapshot; London "
               "MoU: 290, of whom 152 outside London, November 2017).")

ESTATE_LABELS = {"yoi": "Young offender institution", "stc": "Secure training centre",
                 "sch": "Secure children's home"}
BREAKDOWNS = (
    Breakdown("estate", "Establishment type", (*ESTATE_LABELS.values(), "Other establishment")),
    Breakdown("custody_type", "Custody type", ("Remand", "Sentenced")),
    Breakdown("age", "Age on the snapshot day", ("10-14", "15", "16", "17")),
    Breakdown("borough", "Home borough"),
)
COUNTS = (
    CountColumn("held", "Young people in custody"),
    CountColumn("held_outside", "Held outside the area", part_of="held"),
    CountColumn("held_inside", "Held inside the area", part_of="held"),
)
RATES = (RateColumn("share_outside", "Share held outside the area (%)", "held_outside", "held"),)


def snapshot_day(period: Period) -> date:
    return date(period.start.year, 11, 30) if period.kind == "year" else period.last_day


def pipeline(period: Period, *, borough: str | None = None,
             dialect: Dialect = DEFAULT_DIALECT) -> Pipeline:
    """The measure as named steps; ``dialect`` is taken for the common signature (this measure's
    SQL is the same on every engine)."""
    snap = f"DATE '{snapshot_day(period).isoformat()}'"
    estate = " ".join(f"WHEN c.youth_estate = '{k}' THEN {sql_text(v)}" for k, v in ESTATE_LABELS.items())
    home = "coalesce(p.borough_code, c.borough_code)"
    borough_filter = f"AND {home} = '{borough}'" if borough else ""
    return Pipeline.of([
        Step("held", f"""
            SELECT c.event_key, c.event_date, c.person_id, c.in_area, c.youth_estate,
                   c.custody_type, {home} AS home_borough,
                   {age_on_sql('c.age_at_event', 'c.event_date', snap, 'p.year_of_birth')} AS age,
                   CASE {estate} ELSE 'Other establishment' END AS estate
            FROM {EVENT_TABLE} AS c
            LEFT JOIN {PERSON_TABLE} AS p ON p.person_id = c.person_id
            WHERE c.event_type = 'custody' AND c.event_date <= {snap}
              AND (c.end_date IS NULL OR c.end_date > {snap})
              AND ({home} IS NULL OR {home} IN ({area_codes_sql()})) {borough_filter}"""),
        Step("young_person", first_rows_sql("""
            -- One row per young person held: a sentence before a remand, then the latest
            -- reception, then by record, so the choice is always the same.
            SELECT * FROM held WHERE age BETWEEN 10 AND 17""",
            ("person_id", "in_area", "youth_estate", "custody_type", "home_borough", "age",
             "estate"),
            partition_by="person_id",
            order_by="custody_type DESC NULLS LAST, event_date DESC NULLS LAST, event_key")),
        Step("classified", f"""
            SELECT estate,
                   CASE WHEN custody_type = 'remand' THEN 'Remand' ELSE 'Sentenced' END
                       AS custody_type,
                   CASE WHEN age <= 14 THEN '10-14' ELSE CAST(age AS STRING) END AS age,
                   {borough_sql('home_borough')} AS borough,
                   CASE WHEN in_area THEN 0 ELSE 1 END AS outside
            FROM young_person"""),
        Step("breakdown", grouping_sets_sql(
            "classified", BREAKDOWNS, "count(*) AS held, sum(outside) AS held_outside")),
    ], name=NAME)


def compute(warehouse: Warehouse, period: Period, *, borough: str | None = None) -> MeasureResult:
    rows = pipeline(period, borough=borough, dialect=warehouse.dialect).run(warehouse)
    total, tables = build_tables(rows, BREAKDOWNS, name_prefix=NAME, title=TITLE, counts=COUNTS,
                                 rates=RATES, complements={"held_inside": ("held", "held_outside")})
    held, outside = total["held"], total["held_outside"]
    headline: dict[str, Any] = {
        "snapshot_day": snapshot_day(period).isoformat(),
        "held": held, "held_outside": outside,
        "share_outside": round(100.0 * outside / held, 1) if held else None,
    }
    return MeasureResult(NAME, TITLE, period, headline, tables, METHODOLOGY, [],
                         scope={"snapshot": {"day": snapshot_day(period).isoformat(),
                                             "borough": borough}})
