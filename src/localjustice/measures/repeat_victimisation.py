"""Repeat victimisation: the share of a period's victims who are victims again within a year.

The MoU's second outcome (London MoU, "Outcomes": a reduction in repeat victimisation). The
cohort is every person recorded as the victim of a crime committed in the period (one row per
person, after linkage, so one person known to several agencies counts once); their index crime
is the first in the period. A *repeat victim* is the victim of another recorded crime (a
different crime) committed from the index date to 12 months after it (the same day of the month a
year later, 29 February running to 28 February: the month rule of ``proven_reoffending``), the
window the Home
Office uses for repeat victimisation in the Crime Survey for England and Wales (ONS, "Crime in
England and Wales: Annual trend and demographic tables", repeat victimisation). Splits: offence
group of the index crime, borough where it was committed (the victim's borough when the crime's
is not recorded), sex, age band and ethnic group of the victim.
"""

from __future__ import annotations

from typing import Any

from localjustice.measures.breakdowns import AGE_BAND_ORDER, Breakdown, build_tables, grouping_sets_sql
from localjustice.measures.classification import age_band_sql, borough_sql, ethnic_group_sql, sex_sql
from localjustice.measures.period import Period, add_months
from localjustice.measures.pipeline import DEFAULT_DIALECT, Pipeline, Step, first_rows_sql
from localjustice.measures.tables import CountColumn, MeasureResult, RateColumn
from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.analysis_layout import CRIME_TABLE, EVENT_TABLE, PERSON_TABLE

NAME = "repeat_victimisation"
TITLE = "Repeat victimisation"
METHODOLOGY = ("Victims of crimes committed in the period (one row per person); a repeat victim "
               "is the victim of another recorded crime within 12 months of the first "
               "(Home Office / ONS repeat victimisation, 12-month window).")
WINDOW_MONTHS = 12

BREAKDOWNS = (
    Breakdown("offence_group", "Offence group of the first crime"),
    Breakdown("borough", "Borough"),
    Breakdown("sex", "Sex", ("Male", "Female")),
    Breakdown("age_band", "Age band", AGE_BAND_ORDER),
    Breakdown("ethnic_group", "Ethnic group"),
)
COUNTS = (
    CountColumn("victims", "Victims"),
    CountColumn("repeat_victims", "Repeat victims", part_of="victims"),
    CountColumn("single_victims", "Not victimised again", part_of="victims", hidden=True),
)
RATES = (RateColumn("rate", "Proportion victimised again within 12 months (%)", "repeat_victims",
                    "victims"),)


def pipeline(period: Period, *, borough: str | None = None,
             dialect: Dialect = DEFAULT_DIALECT) -> Pipeline:
    """The measure as named steps; ``dialect`` spells the 12-month window for its engine."""
    borough_filter = f"WHERE borough_code = '{borough}'" if borough else ""
    columns = ("person_id", "crime_key", "event_date", "age_at_event", "offence_group",
               "borough_code")
    return Pipeline.of([
        Step("victimisation", f"""
            SELECT e.event_key, e.person_id, e.crime_key, e.event_date, e.age_at_event,
                   coalesce(c.offence_group, e.offence_group) AS offence_group,
                   coalesce(c.borough_code, e.borough_code) AS borough_code
            FROM {EVENT_TABLE} AS e
            LEFT JOIN {CRIME_TABLE} AS c ON c.crime_key = e.crime_key
            WHERE e.event_type = 'victimisation' AND e.event_date IS NOT NULL""", materialise=True),
        Step("first_victimisation", first_rows_sql(f"""
            -- Each victim's first crime in the period (of one day's, by crime, then by record).
            SELECT * FROM victimisation
            WHERE event_date >= {period.sql_start()} AND event_date < {period.sql_end()}""",
            columns, partition_by="person_id",
            order_by="event_date, crime_key NULLS LAST, event_key"), materialise=True),
        Step("repeat", f"""
            SELECT DISTINCT f.person_id
            FROM first_victimisation AS f
            JOIN victimisation AS v ON v.person_id = f.person_id
            WHERE v.crime_key <> f.crime_key AND v.event_date >= f.event_date
              AND v.event_date <= {dialect.add_months('f.event_date', WINDOW_MONTHS)}"""),
        Step("victim", f"""
            SELECT * FROM (
                SELECT f.person_id, coalesce(f.borough_code, p.borough_code) AS borough_code,
                       CASE WHEN r.person_id IS NULL THEN 0 ELSE 1 END AS repeated,
                       coalesce(f.offence_group, 'not known') AS offence_group,
                       {borough_sql('coalesce(f.borough_code, p.borough_code)')} AS borough,
                       {sex_sql('p.sex')} AS sex,
                       {age_band_sql('f.age_at_event')} AS age_band,
                       {ethnic_group_sql('p.ethnicity')} AS ethnic_group
                FROM first_victimisation AS f
                LEFT JOIN {PERSON_TABLE} AS p ON p.person_id = f.person_id
                LEFT JOIN repeat AS r ON r.person_id = f.person_id
            ) AS v {borough_filter}"""),
        Step("breakdown", grouping_sets_sql(
            "victim", BREAKDOWNS, "count(*) AS victims, sum(repeated) AS repeat_victims")),
    ], name=NAME)


def compute(warehouse: Warehouse, period: Period, *, borough: str | None = None) -> MeasureResult:
    rows = pipeline(period, borough=borough, dialect=warehouse.dialect).run(warehouse)
    total, tables = build_tables(rows, BREAKDOWNS, name_prefix=NAME, title=TITLE, counts=COUNTS,
                                 rates=RATES, complements={"single_victims": ("victims",
                                                                              "repeat_victims")})
    for row in tables[0].rows:
        row["category"] = str(row["category"]).replace("_", " ").capitalize()
    # fetchall, not fetchone: a partly read result blocks the connection's next register().
    seen = warehouse.execute(
        f"SELECT max(event_date) FROM {EVENT_TABLE} WHERE event_type = 'victimisation'",
        step=f"{NAME}: data end").fetchall()
    data_end = seen[0][0].isoformat() if seen and seen[0][0] else None
    window_end = add_months(period.last_day, WINDOW_MONTHS).isoformat()
    victims, repeats = total["victims"], total["repeat_victims"]
    headline: dict[str, Any] = {
        "victims": victims, "repeat_victims": repeats,
        "rate": round(100.0 * repeats / victims, 1) if victims else None,
    }
    complete = data_end is not None and data_end >= window_end
    notes = [] if complete else [
        f"Provisional: the 12-month window runs to {window_end} but the data reach only "
        f"{data_end or 'no date'}; the rate will rise as later crimes are recorded."]
    return MeasureResult(NAME, TITLE, period, headline, tables, METHODOLOGY, notes,
                         scope={"cohort": {"period": period.label, "data_end": data_end,
                                           "window_complete": complete, "borough": borough,
                                           "rate_unit": "percent"}})
