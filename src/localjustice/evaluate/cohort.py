"""Who is analysed for a programme: participants and the eligible pool, each at an index date,
with their criminal history before it and their proven reoffending after it.

All set-based, in the engine, as a pipeline of named steps (``measures.pipeline``) that DuckDB
and Spark read alike. Following the Justice Data Lab (Methodology Paper 2013):

- a participant's **index event** is their latest event of the programme's kind (a release from
  sentenced custody, a community sentence, or any conviction without immediate custody or a
  caution) at most ``joins_within_days`` before they started the programme; a participant with
  none is "not found" and counted;
- the **comparison pool** is everyone else with such an event in the period (their first), who
  never took part;
- both must pass the programme's eligibility filters, and their one-year follow-up must be
  complete in the data (18 months after the index date, the proven reoffending waiting period);
- the **matching variables** are measured at the index date from the analysis zone: age, sex,
  adult or youth, ethnic group, borough, previous proven offences, previous court convictions
  (cases), previous sentenced custody periods, years since the first proven offence, the index
  offence and disposal, and previous breach offences;
- the **outcomes** are the proven reoffending measure's own (``proven_reoffence_steps``: one
  definition, not a copy): reoffended within a year (rate), proven reoffences (frequency), days
  to the first proven reoffence (reoffenders only) and whether a reoffence brought immediate
  custody.

Age at a release is the age in the year of release from the year of birth (the analysis zone
holds no full date of birth), so it may be a year high; the same rule applies to participants and
the pool alike, so matching is not biased by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from localjustice.evaluate.programmes import Programme
from localjustice.measures.period import add_months
from localjustice.measures.pipeline import Pipeline, Step, first_rows_sql, sql_text
from localjustice.measures.proven_reoffending import (
    FOLLOW_UP_MONTHS,
    WAITING_MONTHS,
    data_end,
    proven_reoffence_steps,
)
from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.analysis_layout import EVENT_TABLE, PERSON_TABLE

PARTICIPATION = "participation"
_COMMUNITY = "('community_order', 'suspended_sentence', 'youth_rehabilitation_order')"
_PROVEN = ("((e.event_type = 'court_outcome' AND e.outcome = 'convicted') "
           "OR e.event_type = 'out_of_court_disposal')")

#: Each index event's candidates: person_id, index_date, index_offence, index_disposal.
INDEX_EVENTS = {
    "release": first_rows_sql(f"""
        SELECT c.event_key, c.person_id, c.end_date AS index_date,
               s.offence_group AS index_offence, 'Custody' AS index_disposal,
               s.event_date AS sentence_date
        FROM {EVENT_TABLE} AS c
        LEFT JOIN {EVENT_TABLE} AS s
          ON s.person_id = c.person_id AND s.event_type = 'court_outcome'
         AND s.outcome = 'convicted' AND s.sentence_type = 'immediate_custody'
         AND s.event_date <= c.event_date
        WHERE c.event_type = 'custody' AND c.custody_type = 'sentenced'
          AND c.end_date IS NOT NULL""",
        ("person_id", "index_date", "index_offence", "index_disposal"),
        partition_by="event_key",
        order_by="sentence_date DESC NULLS LAST, index_offence NULLS LAST"),
    "community_sentence": f"""
        SELECT e.person_id, e.event_date AS index_date, e.offence_group AS index_offence,
               'Court order (community or suspended)' AS index_disposal
        FROM {EVENT_TABLE} AS e
        WHERE e.event_type = 'court_outcome' AND e.outcome = 'convicted'
          AND e.sentence_type IN {_COMMUNITY}
          AND coalesce(e.offence_group, '') <> 'breach'""",
    "court_or_caution": f"""
        SELECT e.person_id, e.event_date AS index_date, e.offence_group AS index_offence,
               CASE WHEN e.event_type = 'out_of_court_disposal' THEN 'Caution'
                    WHEN e.sentence_type IN {_COMMUNITY}
                    THEN 'Court order (community or suspended)'
                    ELSE 'Other court disposal' END AS index_disposal
        FROM {EVENT_TABLE} AS e
        WHERE {_PROVEN} AND coalesce(e.sentence_type, '') <> 'immediate_custody'
          AND coalesce(e.offence_group, '') <> 'breach'""",
}


@dataclass(frozen=True)
class CohortCounts:
    """Who was analysed and who was not, and why (the JDL report's first table)."""

    participants: int
    not_found: int
    outside_period: int
    not_eligible: int
    not_followed_up: int
    treated: int
    pool: int


def _in(column: str, start: date, end: date) -> str:
    return f"{column} >= DATE '{start.isoformat()}' AND {column} < DATE '{end.isoformat()}'"


def cohort_pipeline(programme: Programme, start: date, end: date, followed_up_by: date,
                    dialect: Dialect) -> Pipeline:
    """Steps ending at ``analysed``: one row per person, treated or not, ready to match."""
    code = sql_text(programme.code)
    join_by = dialect.add_days("c.index_date", programme.joins_within_days)
    committed_by = f"DATE '{add_months(end, FOLLOW_UP_MONTHS).isoformat()}'"
    proven_by = f"DATE '{add_months(end, FOLLOW_UP_MONTHS + WAITING_MONTHS).isoformat()}'"
    return Pipeline.of([
        Step("candidate", first_rows_sql(
            INDEX_EVENTS[programme.index_event],
            ("person_id", "index_date", "index_offence", "index_disposal"),
            partition_by="person_id, index_date",
            order_by="index_offence NULLS LAST, index_disposal"), materialise=True),
        Step("participant", f"""
            -- Everyone who started the programme, at their first start.
            SELECT person_id, min(event_date) AS start_date
            FROM {EVENT_TABLE}
            WHERE event_type = '{PARTICIPATION}' AND programme_code = {code}
            GROUP BY person_id""", materialise=True),
        Step("treated_index", first_rows_sql(f"""
            -- A participant's latest index event at most joins_within_days before the start.
            SELECT p.person_id, c.index_date, c.index_offence, c.index_disposal
            FROM participant AS p
            JOIN candidate AS c ON c.person_id = p.person_id
             AND c.index_date <= p.start_date AND p.start_date <= {join_by}""",
            ("person_id", "index_date", "index_offence", "index_disposal"),
            partition_by="person_id", order_by="index_date DESC")),
        Step("pool_index", first_rows_sql(f"""
            -- Everyone else's first index event in the period (they never took part).
            SELECT c.person_id, c.index_date, c.index_offence, c.index_disposal
            FROM candidate AS c
            LEFT JOIN participant AS p ON p.person_id = c.person_id
            WHERE p.person_id IS NULL AND {_in('c.index_date', start, end)}""",
            ("person_id", "index_date", "index_offence", "index_disposal"),
            partition_by="person_id", order_by="index_date")),
        Step("indexed", f"""
            SELECT person_id, index_date, index_offence, index_disposal, 1 AS treated,
                   CASE WHEN {_in('index_date', start, end)} THEN 1 ELSE 0 END AS in_period
            FROM treated_index
            UNION ALL
            SELECT person_id, index_date, index_offence, index_disposal, 0 AS treated,
                   1 AS in_period
            FROM pool_index""", materialise=True),
        Step("history", f"""
            -- Criminal history before the index date, one row per person with any.
            SELECT i.person_id,
                   sum(CASE WHEN {_PROVEN} THEN 1 ELSE 0 END) AS previous_offences,
                   count(DISTINCT CASE WHEN e.event_type = 'court_outcome'
                                        AND e.outcome = 'convicted' THEN e.case_key END)
                       AS previous_convictions,
                   sum(CASE WHEN e.event_type = 'custody' AND e.custody_type = 'sentenced'
                            THEN 1 ELSE 0 END) AS previous_custody,
                   sum(CASE WHEN {_PROVEN} AND e.offence_group = 'breach' THEN 1 ELSE 0 END)
                       AS previous_breaches,
                   min(CASE WHEN {_PROVEN} THEN e.offence_date END) AS first_offence_date
            FROM indexed AS i
            JOIN {EVENT_TABLE} AS e ON e.person_id = i.person_id AND e.event_date < i.index_date
            WHERE i.in_period = 1
            GROUP BY i.person_id"""),
        Step("described", f"""
            SELECT i.person_id, i.treated, i.in_period, i.index_date,
                   coalesce(i.index_offence, 'not known') AS index_offence, i.index_disposal,
                   CAST(year(i.index_date) - p.year_of_birth AS BIGINT) AS age_at_index,
                   coalesce(p.sex, 'U') AS sex,
                   CASE WHEN year(i.index_date) - p.year_of_birth >= 18 THEN 1 ELSE 0 END AS adult,
                   coalesce(substr(p.ethnicity, 1, 1), 'N') AS ethnicity,
                   coalesce(p.borough_code, 'outside') AS borough_code,
                   CAST(coalesce(h.previous_offences, 0) AS BIGINT) AS previous_offences,
                   CAST(coalesce(h.previous_convictions, 0) AS BIGINT) AS previous_convictions,
                   CAST(coalesce(h.previous_custody, 0) AS BIGINT) AS previous_custody,
                   CAST(coalesce(h.previous_breaches, 0) AS BIGINT) AS previous_breaches,
                   coalesce({dialect.divide(dialect.date_diff_days('h.first_offence_date',
                                                                   'i.index_date'), '365.25')},
                            0.0) AS years_since_first_offence,
                   {dialect.add_months('i.index_date', FOLLOW_UP_MONTHS)} AS committed_by,
                   {dialect.add_months('i.index_date', FOLLOW_UP_MONTHS + WAITING_MONTHS)}
                       AS proven_by
            FROM indexed AS i
            JOIN {PERSON_TABLE} AS p ON p.person_id = i.person_id
            LEFT JOIN history AS h ON h.person_id = i.person_id
            WHERE i.in_period = 1""", materialise=True),
        Step("eligible", f"""
            SELECT *, CASE WHEN proven_by <= DATE '{followed_up_by.isoformat()}'
                           THEN 1 ELSE 0 END AS followed_up
            FROM described WHERE {programme.eligibility_sql}""", materialise=True),
        Step("cohort", "SELECT * FROM eligible WHERE followed_up = 1", materialise=True),
        *proven_reoffence_steps(committed_after=f"DATE '{start.isoformat()}'",
                                committed_by=committed_by, proven_by=proven_by),
        Step("analysed", f"""
            SELECT c.person_id, c.treated, c.age_at_index, c.sex, c.adult, c.ethnicity,
                   c.borough_code, c.previous_offences, c.previous_convictions,
                   c.previous_custody, c.previous_breaches, c.years_since_first_offence,
                   c.index_offence, c.index_disposal,
                   CASE WHEN r.person_id IS NULL THEN 0 ELSE 1 END AS reoffended,
                   CAST(coalesce(r.proven_reoffences, 0) AS BIGINT) AS proven_reoffences,
                   {dialect.date_diff_days('c.index_date', 'r.first_reoffence_date')}
                       AS days_to_first_reoffence,
                   CASE WHEN coalesce(r.custodial_reoffences, 0) > 0 THEN 1 ELSE 0 END
                       AS custodial_reoffence
            FROM cohort AS c LEFT JOIN proven_reoffence AS r ON r.person_id = c.person_id"""),
    ], name="evaluation")


def followed_up_by(warehouse: Warehouse) -> date | None:
    """The last day a proven reoffence is recorded: a follow-up ending after it is incomplete."""
    seen = data_end(warehouse)
    return date.fromisoformat(seen) if seen else None


def analysed_people(warehouse: Warehouse, programme: Programme, start: date, end: date,
                    followed_up: date) -> tuple[pd.DataFrame, CohortCounts]:
    """The analysed people as a frame (pseudonymous ids only) and who fell out, and why."""
    pipeline = cohort_pipeline(programme, start, end, followed_up, warehouse.dialect)
    done = pipeline.materialise(warehouse, "analysed", always=True)
    frame = warehouse.execute(pipeline.sql("analysed", materialised=done),
                              step="evaluation: analysed people").arrow().to_pandas()
    count = warehouse.execute(pipeline.sql("cohort", select="""
        SELECT (SELECT count(*) FROM participant) AS participants,
               (SELECT count(*) FROM indexed WHERE treated = 1) AS found,
               (SELECT count(*) FROM indexed WHERE treated = 1 AND in_period = 1) AS in_period,
               (SELECT count(*) FROM described WHERE treated = 1) AS described,
               (SELECT count(*) FROM eligible WHERE treated = 1) AS eligible,
               (SELECT count(*) FROM cohort WHERE treated = 1) AS treated,
               (SELECT count(*) FROM cohort WHERE treated = 0) AS pool""",
        materialised=done), step="evaluation: counts").dicts()[0]
    counts = CohortCounts(
        participants=int(count["participants"]),
        not_found=int(count["participants"]) - int(count["found"]),
        outside_period=int(count["found"]) - int(count["in_period"]),
        not_eligible=int(count["described"]) - int(count["eligible"]),
        not_followed_up=int(count["eligible"]) - int(count["treated"]),
        treated=int(count["treated"]), pool=int(count["pool"]))
    return frame, counts
