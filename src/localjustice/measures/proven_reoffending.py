"""Proven reoffending, exactly as the Ministry of Justice measures it.

Source: Ministry of Justice, "Guide to proven reoffending statistics" (the Guide); section
numbers below refer to it.

* **Cohort** (Guide, "The cohort"): everyone who in the cohort period (a calendar quarter, or a
  calendar year as before the October 2015 revision) was released from sentenced custody,
  received a non-custodial conviction at court, or received a caution. Releases from remand are
  not index events. Breach offences are neither index offences nor reoffences (Guide, "Offences
  counted"). A court case that ends in immediate custody is not a court index event: its index
  event is the release.
* **Index event** (Guide, "Index offence"): a person's first eligible event in the period, one
  row per person. It starts the follow-up: the release date for custody, the court outcome date
  for a non-custodial conviction, the caution date for a caution. Where a person has more than
  one eligible event on that first day, the most severe disposal is the index (custody of 12
  months or more, custody under 12 months, court order, other court disposal, caution).
* **Proven reoffence** (Guide, "Proven reoffence"): an offence *committed* in the 12 months after
  the index date - from the day after it to the same date a year later (29 February runs to 28
  February) - and proven by a court conviction or a caution by the end of a further 6-month
  waiting period (18 months after the index date). An offence committed on or before the index
  date and proven later is not a reoffence. Each offence dealt with counts once.
* **The month rule** (one rule on every engine): n months after a day is the same day of the
  month n months later, or that month's last day when it is shorter, so the follow-up of an
  index date on 31 August 2018 takes offences committed to 31 August 2019 and proven by 29
  February 2020, and of 29 February 2020 offences committed to 28 February 2021. It is the
  Guide's "same date a year later", and a day, not a count of days (365 or 366) or of month
  boundaries crossed (DuckDB's ``date_diff('month', ...)``), or Spark's fractional
  ``months_between``: those put the end of a follow-up that starts on a month end a day or more
  away from the Guide's. In SQL it is ``warehouse.dialect.add_months`` (the whole months between
  two days, ``dialect.months_between``, is its inverse); in Python ``period.add_months``.
* **Measures** (Guide, "Headline measures"): the binary rate (share of the cohort with at least
  one proven reoffence), the number of proven reoffences, reoffences per reoffender and
  reoffences per offender; split (Guide, "Breakdowns") by adult (18+) / juvenile (10-17) and age
  band at the index date, the MoU's young adults (18-24), sex, ethnic group, index disposal,
  index offence group and borough of residence.

**Age at the index date**: exact for cautions and court outcomes (the analysis zone's
``age_at_event``, computed from the full date of birth inside the restricted zone). For releases
the analysis zone holds the age at reception, not at release, and the year of birth. Every record
of the person being dealt with as an offender (court, caution, custody, probation, monitoring)
says whether the birthday had passed by its date, so together they place the birthday within a
range of days; the age at release is exact unless the release falls inside that range, where the
birthday is taken at its middle. Where the records contradict each other (a source's mistyped
date of birth) the reception alone is used. On synthetic London this gets the age at release
right for about 99% of releases, against 86% from the reception alone. Full dates of birth never
enter the analysis zone.

**Sentence length** of a release (custody under 12 months / 12 months or more) is that of the
person's latest immediate custody sentence on or before the reception date; a release with no
such sentence in the data is "Custody: length not known".
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from localjustice.errors import LocalJusticeError
from localjustice.measures.breakdowns import (
    AGE_BAND_ORDER,
    Breakdown,
    Classification,
    build_tables,
    labelled_breakdown_sql,
    raw_grouping_sql,
)
from localjustice.measures.classification import (
    NOT_KNOWN,
    age_classes_sql,
    age_on_sql,
    age_within_bounds_sql,
    birthday_evidence_sql,
    boroughs_sql,
    ethnic_group_sql,
    outside_area_label,
    sex_sql,
)
from localjustice.measures.period import Period, add_months
from localjustice.measures.pipeline import DEFAULT_DIALECT, Pipeline, Step, first_rows_sql
from localjustice.measures.tables import CountColumn, MeasureResult, RateColumn
from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.analysis_layout import EVENT_TABLE, PERSON_TABLE

NAME = "proven_reoffending"
TITLE = "Proven reoffending"
METHODOLOGY = (
    "Ministry of Justice, Guide to proven reoffending statistics: cohort of people cautioned, "
    "convicted at court without immediate custody, or released from sentenced custody in the "
    "period (remand releases excluded); index event = first eligible event; a proven reoffence "
    "is an offence committed in the 12 months after the index date and proven by caution or "
    "conviction within a further 6 months; breach offences excluded."
)

FOLLOW_UP_MONTHS = 12
WAITING_MONTHS = 6

CUSTODY_LONG = "Custody: 12 months or more"
CUSTODY_SHORT = "Custody: under 12 months"
CUSTODY_UNKNOWN = "Custody: length not known"
COURT_ORDER = "Court order (community or suspended)"
OTHER_COURT = "Other court disposal"
CAUTION = "Caution"
DISPOSAL_ORDER = (CUSTODY_LONG, CUSTODY_SHORT, CUSTODY_UNKNOWN, COURT_ORDER, OTHER_COURT, CAUTION)
#: Sentence types the Guide counts as court orders (community sentences and suspended sentences).
COURT_ORDER_SENTENCES = ("community_order", "suspended_sentence", "youth_rehabilitation_order")
#: Days in 12 months of sentence: the boundary of the Guide's "less than 12 months" band.
TWELVE_MONTHS_DAYS = 365
#: Same-day ties: the most severe disposal is the index (lower comes first). The steps carry
#: this rank, a small number, and label it only on the grouped rows or the person-level step.
_PRIORITY = {label: rank for rank, label in enumerate(DISPOSAL_ORDER, start=1)}


def _disposal_label(rank: str) -> str:
    """The disposal's label from its rank (SQL over the column ``rank``)."""
    return (f"CASE {rank} " + " ".join(f"WHEN {r} THEN '{label}'" for label, r in _PRIORITY.items())
            + " END")


BREAKDOWNS = (
    Breakdown("adult_juvenile", "Adult or juvenile", ("Adult (18+)", "Juvenile (10-17)")),
    Breakdown("age_band", "Age band", AGE_BAND_ORDER),
    Breakdown("young_adult", "Young adults",
              ("Juveniles (10-17)", "Young adults (18-24)", "Adults 25 and over")),
    Breakdown("sex", "Sex", ("Male", "Female")),
    Breakdown("ethnic_group", "Ethnic group"),
    Breakdown("disposal", "Index disposal", DISPOSAL_ORDER),
    Breakdown("offence_group", "Index offence group"),
    Breakdown("borough", "Borough of residence"),
)

#: Each breakdown's categories as labels of a raw column of ``offender`` (grouped raw first).
CLASSIFICATIONS = (
    Classification("adult_juvenile", "age_at_index",
                   f"coalesce(age_class.adult_juvenile, '{NOT_KNOWN}')",
                   f"LEFT JOIN {age_classes_sql()} ON age_class.age = g.age_at_index"),
    Classification("age_band", "age_at_index", f"coalesce(age_class.age_band, '{NOT_KNOWN}')",
                   f"LEFT JOIN {age_classes_sql()} ON age_class.age = g.age_at_index"),
    Classification("young_adult", "age_at_index",
                   f"coalesce(age_class.young_adult, '{NOT_KNOWN}')",
                   f"LEFT JOIN {age_classes_sql()} ON age_class.age = g.age_at_index"),
    Classification("sex", "sex", sex_sql("g.sex")),
    Classification("ethnic_group", "ethnicity", ethnic_group_sql("g.ethnicity")),
    Classification("disposal", "priority", _disposal_label("g.priority")),
    Classification("offence_group", "offence_group", "coalesce(g.offence_group, 'not known')"),
    Classification("borough", "borough_code",
                   f"coalesce(area_borough.name, '{outside_area_label()}')",
                   f"LEFT JOIN {boroughs_sql()} ON area_borough.code = g.borough_code"),
)

COUNTS = (
    CountColumn("offenders", "Offenders in cohort"),
    CountColumn("reoffenders", "Reoffenders", part_of="offenders"),
    CountColumn("non_reoffenders", "Did not reoffend", part_of="offenders", hidden=True),
    CountColumn("proven_reoffences", "Proven reoffences"),
)
RATES = (
    RateColumn("rate", "Proportion who reoffended (%)", "reoffenders", "offenders"),
    RateColumn("reoffences_per_reoffender", "Reoffences per reoffender", "proven_reoffences",
               "reoffenders", scale=1.0, decimals=2),
    RateColumn("reoffences_per_offender", "Reoffences per offender", "proven_reoffences",
               "offenders", scale=1.0, decimals=2),
)

#: Events whose recorded age places a released person's birthday in the year: records made where
#: the person was dealt with as an offender (a victim's or witness's age is often estimated).
AGE_EVIDENCE = ("court_outcome", "out_of_court_disposal", "custody", "supervision", "monitoring")



#: The index event's attributes, in the order that breaks same-day ties after the disposal's
#: priority, so the choice is always the same (an unknown value after any known one).
_TIE_BREAK = ("offence_group", "borough_code", "age_at_event", "age_known_on")
_CANDIDATE_COLUMNS = ("person_id", "index_date", "priority", *_TIE_BREAK)


def _in_period(column: str, period: Period) -> str:
    return f"{column} >= {period.sql_start()} AND {column} < {period.sql_end()}"


def _date(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


#: Sub-cohorts the measure can be narrowed to (the MoU's groups), as filters on ``offender``.
COHORTS = {
    "adult": "age_at_index >= 18",
    "juvenile": "age_at_index BETWEEN 10 AND 17",
    "young_adult": "age_at_index BETWEEN 18 AND 24",
}


def _filters(borough: str | None, cohort: str | None) -> str:
    if cohort is not None and cohort not in COHORTS:
        raise LocalJusticeError(f"No cohort {cohort!r}. Cohorts: {', '.join(COHORTS)}.")
    if borough is not None and not re.fullmatch(r"[EWSN]\d{8}", borough):
        raise LocalJusticeError(f"Borough {borough!r} is not an ONS code such as E09000007.")
    clauses = ([f"borough_code = '{borough}'"] if borough else []) + (
        [COHORTS[cohort]] if cohort else [])
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def pipeline(period: Period, *, borough: str | None = None, cohort: str | None = None,
             dialect: Dialect = DEFAULT_DIALECT) -> Pipeline:
    """The measure as named steps, ending at one grouped row per breakdown category.

    The headline figures need only who is in the cohort, when their follow-up starts and what
    they were proven to have done after it (steps up to ``proven_reoffence``; ``headline`` sums
    them for the whole cohort). Which event was the index, and so the disposal, offence, age and
    borough that the breakdowns classify by, is worked out separately (``index_event``): it is
    the costlier question and the headline does not depend on it. A narrowed pipeline (a borough
    or a sub-cohort) has no ``headline`` step; its total is the breakdown's total row.
    ``dialect`` spells the follow-up's months for the engine the SQL will run on.
    """
    court_order_list = ", ".join(f"'{s}'" for s in COURT_ORDER_SENTENCES)
    borough_filter = _filters(borough, cohort)
    # Bounds every reoffence of this cohort lies within, so the scan can skip the rest: committed
    # after the period starts and by 12 months after its last day, proven by 18 months after it.
    committed_by = _date(add_months(period.last_day, FOLLOW_UP_MONTHS))
    proven_by = _date(add_months(period.last_day, FOLLOW_UP_MONTHS + WAITING_MONTHS))
    headline = [] if borough_filter else [
        Step("headline", """
            -- The whole cohort's totals (the headline of the Guide's tables).
            SELECT count(*) AS offenders, count(r.person_id) AS reoffenders,
                   coalesce(sum(r.proven_reoffences), 0) AS proven_reoffences
            FROM cohort AS c LEFT JOIN proven_reoffence AS r ON r.person_id = c.person_id""")]
    candidate_columns = ", ".join(f"c.{f}" for f in _CANDIDATE_COLUMNS)
    first_of_several = first_rows_sql(f"""
            SELECT {candidate_columns}
            FROM index_candidate AS c
            SEMI JOIN cohort AS f ON f.person_id = c.person_id AND f.index_date = c.index_date
             AND f.candidates > 1""",
        _CANDIDATE_COLUMNS, partition_by="person_id",
        order_by=", ".join(["priority", *(f"{f} NULLS LAST" for f in _TIE_BREAK)]))
    return Pipeline.of([
        Step("custody_sentence", f"""
            -- Immediate custody sentences, a row for each offence sentenced.
            SELECT person_id, case_key, event_date AS sentence_date, custody_days, offence_group
            FROM {EVENT_TABLE}
            WHERE event_type = 'court_outcome' AND outcome = 'convicted'
              AND sentence_type = 'immediate_custody'""", materialise=True),
        Step("release", first_rows_sql(f"""
            -- Releases from sentenced custody in the period (remand releases are never index
            -- events), with the sentence served: the latest on or before reception (of one
            -- day's, the longest, then by offence group and case, so the choice is always the
            -- same; so of one case's offences on that day, the longest and its offence).
            SELECT c.event_key, c.person_id, c.end_date AS index_date, c.borough_code,
                   s.case_key, s.sentence_date, s.custody_days, s.offence_group, c.age_at_event,
                   c.event_date AS age_known_on
            FROM {EVENT_TABLE} AS c
            LEFT JOIN custody_sentence AS s
              ON s.person_id = c.person_id AND s.sentence_date <= c.event_date
            WHERE c.event_type = 'custody' AND c.custody_type = 'sentenced'
              AND {_in_period('c.end_date', period)}""",
            ("person_id", "index_date", "borough_code", "custody_days", "offence_group",
             "age_at_event", "age_known_on"),
            partition_by="event_key",
            order_by="sentence_date DESC NULLS LAST, custody_days DESC NULLS LAST, "
                     "offence_group NULLS LAST, case_key NULLS LAST")),
        Step("court_or_caution", f"""
            -- Convictions at court in the period without immediate custody on that case and
            -- day, and cautions (out-of-court disposals) in the period: one scan for both.
            SELECT e.person_id, e.event_date AS index_date, e.borough_code, e.offence_group,
                   e.age_at_event, e.event_date AS age_known_on,
                   CASE WHEN e.event_type = 'out_of_court_disposal' THEN {_PRIORITY[CAUTION]}
                        WHEN e.sentence_type IN ({court_order_list}) THEN {_PRIORITY[COURT_ORDER]}
                        ELSE {_PRIORITY[OTHER_COURT]} END AS priority
            FROM {EVENT_TABLE} AS e
            LEFT JOIN custody_sentence AS s
              ON e.event_type = 'court_outcome' AND s.person_id = e.person_id
             AND s.case_key = e.case_key AND s.sentence_date = e.event_date
            WHERE ((e.event_type = 'court_outcome' AND e.outcome = 'convicted'
                    AND coalesce(e.sentence_type, '') <> 'immediate_custody')
                   OR e.event_type = 'out_of_court_disposal')
              AND coalesce(e.offence_group, '') <> 'breach'
              AND s.person_id IS NULL
              AND {_in_period('e.event_date', period)}"""),
        Step("index_candidate", f"""
            -- Every eligible event, with its disposal as the rank that settles same-day ties.
            SELECT person_id, index_date, borough_code, offence_group, age_at_event, age_known_on,
                   CASE WHEN custody_days >= {TWELVE_MONTHS_DAYS} THEN {_PRIORITY[CUSTODY_LONG]}
                        WHEN custody_days IS NOT NULL THEN {_PRIORITY[CUSTODY_SHORT]}
                        ELSE {_PRIORITY[CUSTODY_UNKNOWN]} END AS priority
            FROM release WHERE coalesce(offence_group, '') <> 'breach'
            UNION ALL
            SELECT person_id, index_date, borough_code, offence_group, age_at_event, age_known_on,
                   priority
            FROM court_or_caution""", materialise=True),
        Step("cohort", f"""
            -- One row per person: the first eligible event's date starts the follow-up, which
            -- takes in offences committed to 12 months after it, proven by 18 months after it.
            -- ``candidates``: the person's eligible events in the period (one for most people).
            SELECT person_id, index_date, candidates,
                   {dialect.add_months('index_date', FOLLOW_UP_MONTHS)} AS committed_by,
                   {dialect.add_months('index_date', FOLLOW_UP_MONTHS + WAITING_MONTHS)} AS proven_by
            FROM (SELECT person_id, min(index_date) AS index_date, count(*) AS candidates
                  FROM index_candidate GROUP BY person_id) AS first_event""", materialise=True),
        *proven_reoffence_steps(committed_after=period.sql_start(), committed_by=committed_by,
                                proven_by=proven_by),
        *headline,
        Step("index_event", f"""
            -- One row per person: the event that starts the follow-up. A person with one eligible
            -- event (most people) has it as the index; for the others, of the events on the
            -- first day (nearly always one), the most severe disposal, then offence group,
            -- borough and age (an unknown one last), so the choice is always the same.
            SELECT {candidate_columns}
            FROM index_candidate AS c
            JOIN cohort AS f ON f.person_id = c.person_id AND f.candidates = 1
            UNION ALL
            {first_of_several}""", materialise=True),
        Step("birthday", birthday_evidence_sql(
            EVENT_TABLE,
            f"SELECT i.person_id, p.year_of_birth FROM index_event AS i "
            f"JOIN {PERSON_TABLE} AS p ON p.person_id = i.person_id "
            "WHERE i.age_at_event IS NULL OR i.age_known_on <> i.index_date",
            AGE_EVIDENCE)),
        Step("aged_index", f"""
            -- Age at the index date: the event's own where it is known on that day (cautions,
            -- court outcomes); else from where the person's records place the birthday.
            SELECT i.*, p.sex, p.ethnicity, p.borough_code AS home_borough,
                   CASE WHEN i.age_known_on = i.index_date AND i.age_at_event IS NOT NULL
                        THEN i.age_at_event
                        ELSE coalesce(
                            {age_within_bounds_sql('i.index_date', 'p.year_of_birth',
                                                   'b.born_after', 'b.born_by')},
                            {age_on_sql('i.age_at_event', 'i.age_known_on', 'i.index_date',
                                        'p.year_of_birth')}) END AS age_at_index
            FROM index_event AS i
            LEFT JOIN {PERSON_TABLE} AS p ON p.person_id = i.person_id
            LEFT JOIN birthday AS b ON b.person_id = i.person_id"""),
        Step("offender", f"""
            -- One row per person in the cohort, with what the breakdowns classify, unlabelled.
            SELECT * FROM (
                SELECT i.person_id, i.index_date, i.priority, {_disposal_label('i.priority')} AS disposal,
                       i.age_at_index, i.sex, i.ethnicity,
                       i.offence_group,
                       coalesce(i.borough_code, i.home_borough) AS borough_code,
                       coalesce(r.proven_reoffences, 0) AS proven_reoffences,
                       CASE WHEN r.proven_reoffences > 0 THEN 1 ELSE 0 END AS reoffended
                FROM aged_index AS i
                LEFT JOIN proven_reoffence AS r ON r.person_id = i.person_id
            ) AS o {borough_filter}"""),
        Step("offender_group", raw_grouping_sql(
            "offender", sorted({c.raw for c in CLASSIFICATIONS}),
            "count(*) AS offenders, sum(reoffended) AS reoffenders, "
            "sum(proven_reoffences) AS proven_reoffences")),
        Step("breakdown", labelled_breakdown_sql(
            "offender_group", CLASSIFICATIONS,
            ("offenders", "reoffenders", "proven_reoffences"))),
    ], name=NAME)


def proven_reoffence_steps(*, committed_after: str, committed_by: str, proven_by: str,
                           cohort: str = "cohort") -> list[Step]:
    """The Guide's proven reoffence, for any cohort: one definition for the measure and for
    impact evaluation (``localjustice.evaluate``), never a copy.

    ``cohort`` is a step or table with ``person_id``, ``index_date``, ``committed_by`` and
    ``proven_by`` (12 and 18 months after the index date, by the month rule); the bounds are SQL
    date expressions every reoffence of the cohort lies within, so the scan of proven offences can
    skip the rest. ``proven_reoffence`` has one row per reoffender: the number of proven
    reoffences, the date of the first (for the JDL's time to first proven reoffence) and how many
    were sentenced to immediate custody (the JDL's custodial outcome).
    """
    return [
        Step("proven_offence", f"""
            -- Offences proven by a conviction or a caution, breaches excluded; only those that
            -- can fall in this cohort's follow-up.
            SELECT person_id, offence_date, event_date AS proven_date,
                   CASE WHEN event_type = 'court_outcome'
                         AND sentence_type = 'immediate_custody' THEN 1 ELSE 0 END AS custodial
            FROM {EVENT_TABLE}
            WHERE ((event_type = 'court_outcome' AND outcome = 'convicted')
                   OR event_type = 'out_of_court_disposal')
              AND coalesce(offence_group, '') <> 'breach'
              AND offence_date > {committed_after}
              AND offence_date <= {committed_by}
              AND event_date <= {proven_by}"""),
        Step("proven_reoffence", f"""
            -- Committed after the index date and within 12 months; proven within 18 months.
            SELECT c.person_id, count(*) AS proven_reoffences,
                   min(o.offence_date) AS first_reoffence_date,
                   sum(o.custodial) AS custodial_reoffences
            FROM {cohort} AS c
            JOIN proven_offence AS o ON o.person_id = c.person_id
            WHERE o.offence_date > c.index_date AND o.offence_date <= c.committed_by
              AND o.proven_date <= c.proven_by
            GROUP BY c.person_id""", materialise=True),
    ]


def follow_up_end(period: Period) -> str:
    """The last day on which a reoffence by this cohort can still be proven (ISO date)."""
    return add_months(period.last_day, FOLLOW_UP_MONTHS + WAITING_MONTHS).isoformat()


def data_end(warehouse: Warehouse) -> str | None:
    """The latest date a conviction or caution is recorded: how far follow-up can see."""
    # fetchall, not fetchone: a partly read result blocks the connection's next register().
    rows = warehouse.execute(
        f"SELECT max(event_date) FROM {EVENT_TABLE} "
        "WHERE event_type IN ('court_outcome', 'out_of_court_disposal')",
        step=f"{NAME}: data end").fetchall()
    return rows[0][0].isoformat() if rows and rows[0][0] is not None else None


def _headline(offenders: int, reoffenders: int, reoffences: int) -> dict[str, Any]:
    return {
        "offenders": offenders,
        "reoffenders": reoffenders,
        "proven_reoffences": reoffences,
        "rate": round(100.0 * reoffenders / offenders, 1) if offenders else None,
        "reoffences_per_reoffender": round(reoffences / reoffenders, 2) if reoffenders else None,
        "reoffences_per_offender": round(reoffences / offenders, 2) if offenders else None,
    }


def headline(warehouse: Warehouse, period: Period) -> dict[str, Any]:
    """The whole cohort's headline figures alone (raw, not disclosure-controlled), without the
    breakdowns: the same numbers as ``compute(...).headline``, for a caller that needs only them."""
    row = pipeline(period, dialect=warehouse.dialect).run(warehouse, "headline")[0]
    return _headline(int(row["offenders"]), int(row["reoffenders"]), int(row["proven_reoffences"]))


def compute(warehouse: Warehouse, period: Period, *, borough: str | None = None,
            cohort: str | None = None) -> MeasureResult:
    rows = pipeline(period, borough=borough, cohort=cohort, dialect=warehouse.dialect).run(warehouse)
    total, tables = build_tables(
        rows, BREAKDOWNS, name_prefix=NAME, title=TITLE, counts=COUNTS, rates=RATES,
        complements={"non_reoffenders": ("offenders", "reoffenders")})
    for table in tables:
        if table.name.endswith("offence_group"):
            for row in table.rows:
                row["category"] = str(row["category"]).replace("_", " ").capitalize()
    offenders, reoffenders = total["offenders"], total["reoffenders"]
    reoffences = total["proven_reoffences"]
    ends = follow_up_end(period)
    seen = data_end(warehouse)
    complete = seen is not None and seen >= ends
    notes = [] if complete else [
        f"Provisional: reoffences can be proven up to {ends}, but the data reach only "
        f"{seen or 'no date'}; the rate will rise as later convictions arrive."]
    return MeasureResult(
        measure=NAME, title=TITLE, period=period,
        headline=_headline(offenders, reoffenders, reoffences), tables=tables,
        methodology=METHODOLOGY, notes=notes,
        scope={"cohort": {"period": period.label, "start": period.start.isoformat(),
                          "end": period.last_day.isoformat(), "follow_up_ends": ends,
                          "data_end": seen, "follow_up_complete": complete,
                          "borough": borough, "sub_cohort": cohort, "rate_unit": "percent"}},
    )
