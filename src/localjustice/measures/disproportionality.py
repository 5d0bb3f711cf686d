"""Disproportionality: Relative Rate Indices by ethnic group along the stages of the system.

Method of the Lammy Review (D. Lammy, "An independent review into the treatment of, and
outcomes for, Black, Asian and Minority Ethnic individuals in the Criminal Justice System",
2017, and its Ministry of Justice analysis annex "Statistics on the treatment of BAME
individuals in the criminal justice system"), also used by the Youth Justice Board's work on
ethnic disproportionality in youth justice. At each stage the *rate* is the number reaching the
stage over the number at the stage before; the Relative Rate Index (RRI) is a group's rate over
the White group's rate. Its 95% confidence interval is that of a ratio of two proportions on the
log scale (Katz: SE = sqrt(1/a - 1/n + 1/c - 1/m)); an interval that excludes 1 is flagged.

Stages, for cases dealt with formally in the period (one per person per case: a caution, or a
court case by its outcome date): *charged rather than cautioned* (court cases over all formal
cases), *convicted* (over court cases), *immediate custody* (over convictions). Ethnic group is
the person's (see ``classification``); "Not stated" has no RRI.
"""

from __future__ import annotations

from typing import Any

from localjustice.measures.classification import NOT_STATED, WHITE, ethnic_group_sql
from localjustice.measures.period import Period
from localjustice.measures.pipeline import DEFAULT_DIALECT, Pipeline, Step
from localjustice.measures.tables import (
    TOTAL,
    CountColumn,
    HeadlineCell,
    MeasureResult,
    MeasureTable,
    RateColumn,
)
from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.analysis_layout import EVENT_TABLE, PERSON_TABLE

NAME = "disproportionality"
TITLE = "Disproportionality by ethnic group (Relative Rate Index)"
METHODOLOGY = ("Relative Rate Index = a group's rate at a stage over the White group's rate "
               "(Lammy Review, 2017; YJB disproportionality work), 95% confidence interval on the "
               "log scale; stages: charged rather than cautioned, convicted, immediate custody.")

#: (stage, label, count column at the stage, count column at the stage before)
STAGES = (
    ("charged", "Charged rather than cautioned", "charged", "formal"),
    ("convicted", "Convicted, of those charged", "convicted", "charged"),
    ("custody", "Immediate custody, of those convicted", "custody", "convicted"),
)
Z_95 = 1.959964


def pipeline(period: Period, *, borough: str | None = None,
             dialect: Dialect = DEFAULT_DIALECT) -> Pipeline:
    """The measure as named steps; ``dialect`` makes every rate a DOUBLE division on its engine
    (Spark would give ``1.0 * a / b`` as a decimal of six places)."""
    div = dialect.divide
    borough_filter = f"AND coalesce(e.borough_code, p.borough_code) = '{borough}'" if borough else ""
    start, end = period.sql_start(), period.sql_end()
    rri_steps = []
    for stage, _, reached, base in STAGES:
        rri_steps.append(f"""
            SELECT '{stage}' AS stage, g.ethnic_group AS category, g.{base} AS base,
                   g.{reached} AS reached, g.{base} - g.{reached} AS not_reached,
                   CASE WHEN g.{reached} > 0 AND w.{reached} > 0 AND g.{base} > 0 AND w.{base} > 0
                        AND g.ethnic_group NOT IN ('{WHITE}', '{NOT_STATED}')
                        THEN {div(div(f'g.{reached}', f'g.{base}'), div(f'w.{reached}', f'w.{base}'))}
                        END AS rri,
                   CASE WHEN g.{reached} > 0 AND w.{reached} > 0 AND g.{base} > 0 AND w.{base} > 0
                        THEN sqrt({div('1', f'g.{reached}')} - {div('1', f'g.{base}')}
                                  + {div('1', f'w.{reached}')} - {div('1', f'w.{base}')}) END AS se
            FROM by_group AS g CROSS JOIN (SELECT * FROM by_group WHERE ethnic_group = '{WHITE}') AS w""")
    return Pipeline.of([
        Step("formal_case", f"""
            -- One row per person per case dealt with formally in the period.
            SELECT e.person_id, coalesce(e.case_key, e.crime_key, e.event_key) AS case_id,
                   max(CASE WHEN e.event_type = 'court_outcome' THEN 1 ELSE 0 END) AS charged,
                   max(CASE WHEN e.outcome = 'convicted' THEN 1 ELSE 0 END) AS convicted,
                   max(CASE WHEN e.sentence_type = 'immediate_custody' THEN 1 ELSE 0 END) AS custody,
                   {ethnic_group_sql('max(p.ethnicity)')} AS ethnic_group
            FROM {EVENT_TABLE} AS e
            LEFT JOIN {PERSON_TABLE} AS p ON p.person_id = e.person_id
            WHERE e.event_type IN ('court_outcome', 'out_of_court_disposal')
              AND e.event_date >= {start} AND e.event_date < {end} {borough_filter}
            GROUP BY e.person_id, coalesce(e.case_key, e.crime_key, e.event_key)"""),
        Step("by_group", """
            SELECT ethnic_group, count(*) AS formal, sum(charged) AS charged,
                   sum(convicted) AS convicted, sum(custody) AS custody
            FROM formal_case GROUP BY ethnic_group""", materialise=True),
        Step("relative_rate", "\nUNION ALL\n".join(rri_steps)),
        Step("rri", f"""
            SELECT stage, category, base, reached, not_reached, rri,
                   exp(ln(rri) - {Z_95} * se) AS rri_low, exp(ln(rri) + {Z_95} * se) AS rri_high
            FROM relative_rate"""),
    ], name=NAME)


def _stage_table(stage: str, label: str, rows: list[dict[str, Any]]) -> MeasureTable:
    body = sorted((r for r in rows if r["stage"] == stage),
                  key=lambda r: (r["category"] != WHITE, r["category"] == NOT_STATED, r["category"]))
    for r in body:
        low, high = r["rri_low"], r["rri_high"]
        r["significant"] = ("Yes" if low is not None and (low > 1 or high < 1) else
                            "No" if low is not None else None)
    total = {"category": "Total", **{k: sum(int(r[k] or 0) for r in body)
                                     for k in ("base", "reached", "not_reached")},
             "rri": None, "rri_low": None, "rri_high": None, "significant": None}
    reached_label, base_label = label.split(", of those ") if ", of those" in label else (label, "")
    counts = (
        CountColumn("base", f"At the stage before ({base_label or 'dealt with formally'})"),
        CountColumn("reached", reached_label, part_of="base"),
        CountColumn("not_reached", "Not reaching the stage", part_of="base", hidden=True),
    )
    derived = tuple(
        RateColumn(name, title, "reached", "base", scale=1.0, decimals=2)
        for name, title in (("rri", "Relative Rate Index (White = 1)"), ("rri_low", "95% CI lower"),
                            ("rri_high", "95% CI upper"), ("significant", "Interval excludes 1")))
    return MeasureTable(
        name=f"{NAME}_{stage}", title=f"{label}: rate and Relative Rate Index by ethnic group",
        dimension="category", dimension_label="Ethnic group", counts=counts,
        rates=(RateColumn("rate", "Rate (%)", "reached", "base"),), derived=derived,
        rows=body, total=total, reference_category=WHITE)


def compute(warehouse: Warehouse, period: Period, *, borough: str | None = None) -> MeasureResult:
    rows = pipeline(period, borough=borough, dialect=warehouse.dialect).run(warehouse)
    tables = [_stage_table(stage, label, rows) for stage, label, _, _ in STAGES]
    headline: dict[str, Any] = {"formal_cases": tables[0].total["base"] if tables[0].total else 0}
    return MeasureResult(NAME, TITLE, period, headline, tables, METHODOLOGY,
                         ["The RRI compares each group's rate with the White group's; values over 1 "
                          "mean a higher rate. Small groups give wide intervals."],
                         scope={"borough": borough},
                         headline_cells={"formal_cases": HeadlineCell(tables[0].name, TOTAL, "base")})
