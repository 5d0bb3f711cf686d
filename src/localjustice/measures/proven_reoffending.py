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
* **Measures** (Guide, "Headline measures"): the binary rate (share of the cohort with at least
  one proven reoffence), the number of proven reoffences, reoffences per reoffender and
  reoffences per offender; split (Guide, "Breakdowns") by adult (18+) / juvenile (10-17) and age
  band at the index date, the MoU's young adults (18-24), sex, ethnic group, index disposal,
  index offence group and borough of residence.

**Age at the index date**: exact for cautions and court outcomes (the analysis zone's
``age_at_event``, computed from the full date of birth inside the restricted zone). For releases
the analysis zone holds only the age at reception and the year of birth, which fix the age at
release exactly unless the birthday's position in the year cannot be told apart; then the
birthday is taken at the middle of the possible range, so an age can be out by one for a
release close to a birthday. Full dates of birth never enter the analysis zone.

**Sentence length** of a release (custody under 12 months / 12 months or more) is that of the
person's latest immediate custody sentence on or before the reception date; a release with no
such sentence in the data is "Custody: length not known".
"""

from __future__ import annotations

import re
from typing import Any

from localjustice.errors import LocalJusticeError
from localjustice.measures.breakdowns import (
    AGE_BAND_ORDER,
    Breakdown,
    build_tables,
    grouping_sets_sql,
)
from localjustice.measures.classification import (
    NOT_KNOWN,
    age_classes_sql,
    age_on_sql,
    boroughs_sql,
    ethnic_group_sql,
    outside_area_label,
    sex_sql,
)
from localjustice.measures.period import Period
from localjustice.measures.pipeline import Pipeline, Step, fetch_dicts
from localjustice.measures.tables import CountColumn, MeasureResult, RateColumn
from localjustice.warehouse import Warehouse
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

#: Same-day ties: the most severe disposal is the index (lower comes first).
_PRIORITY = {CUSTODY_LONG: 1, CUSTODY_SHORT: 2, CUSTODY_UNKNOWN: 3, COURT_ORDER: 4,
             OTHER_COURT: 5, CAUTION: 6}


_CANDIDATE_FIELDS = ("index_date", "disposal", "offence_group", "borough_code", "age_at_event",
                     "age_known_on")


def _in_period(column: str, period: Period) -> str:
    return f"{column} >= {period.sql_start()} AND {column} < {period.sql_end()}"


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


def pipeline(period: Period, *, borough: str | None = None, cohort: str | None = None) -> Pipeline:
    """The measure as named steps, ending at one grouped row per breakdown category."""
    court_order_list = ", ".join(f"'{s}'" for s in COURT_ORDER_SENTENCES)
    borough_filter = _filters(borough, cohort)
    return Pipeline.of([
        Step("custody_sentence", f"""
            -- Immediate custody sentences, one per person, case and sentencing date.
            SELECT person_id, case_key, event_date AS sentence_date,
                   max(custody_days) AS custody_days,
                   arg_max(offence_group, custody_days) AS offence_group
            FROM {EVENT_TABLE}
            WHERE event_type = 'court_outcome' AND outcome = 'convicted'
              AND sentence_type = 'immediate_custody'
            GROUP BY person_id, case_key, event_date"""),
        Step("release", f"""
            -- Releases from sentenced custody in the period (remand releases are never index
            -- events), with the sentence served: the latest on or before reception.
            SELECT c.person_id, c.end_date AS index_date, c.borough_code,
                   s.custody_days, s.offence_group, c.age_at_event, c.event_date AS age_known_on
            FROM {EVENT_TABLE} AS c
            LEFT JOIN custody_sentence AS s
              ON s.person_id = c.person_id AND s.sentence_date <= c.event_date
            WHERE c.event_type = 'custody' AND c.custody_type = 'sentenced'
              AND {_in_period('c.end_date', period)}
            QUALIFY row_number() OVER (PARTITION BY c.event_key
                                       ORDER BY s.sentence_date DESC, s.custody_days DESC) = 1"""),
        Step("court_disposal", f"""
            -- Convictions at court in the period without immediate custody on that case and day.
            SELECT e.person_id, e.event_date AS index_date, e.borough_code, e.offence_group,
                   e.sentence_type, e.age_at_event, e.event_date AS age_known_on
            FROM {EVENT_TABLE} AS e
            LEFT JOIN custody_sentence AS s
              ON s.person_id = e.person_id AND s.case_key = e.case_key
             AND s.sentence_date = e.event_date
            WHERE e.event_type = 'court_outcome' AND e.outcome = 'convicted'
              AND coalesce(e.offence_group, '') <> 'breach'
              AND coalesce(e.sentence_type, '') <> 'immediate_custody'
              AND s.person_id IS NULL
              AND {_in_period('e.event_date', period)}"""),
        Step("caution", f"""
            -- Cautions (out-of-court disposals) in the period.
            SELECT e.person_id, e.event_date AS index_date, e.borough_code, e.offence_group,
                   e.age_at_event, e.event_date AS age_known_on
            FROM {EVENT_TABLE} AS e
            WHERE e.event_type = 'out_of_court_disposal'
              AND coalesce(e.offence_group, '') <> 'breach'
              AND {_in_period('e.event_date', period)}"""),
        Step("index_candidate", f"""
            SELECT *, CASE disposal {' '.join(f"WHEN '{k}' THEN {v}" for k, v in _PRIORITY.items())}
                      END AS priority
            FROM (
            SELECT person_id, index_date, borough_code, offence_group, age_at_event, age_known_on,
                   CASE WHEN custody_days >= {TWELVE_MONTHS_DAYS} THEN '{CUSTODY_LONG}'
                        WHEN custody_days IS NOT NULL THEN '{CUSTODY_SHORT}'
                        ELSE '{CUSTODY_UNKNOWN}' END AS disposal
            FROM release WHERE coalesce(offence_group, '') <> 'breach'
            UNION ALL
            SELECT person_id, index_date, borough_code, offence_group, age_at_event, age_known_on,
                   CASE WHEN sentence_type IN ({court_order_list}) THEN '{COURT_ORDER}'
                        ELSE '{OTHER_COURT}' END AS disposal
            FROM court_disposal
            UNION ALL
            SELECT person_id, index_date, borough_code, offence_group, age_at_event, age_known_on,
                   '{CAUTION}' AS disposal
            FROM caution
            ) AS c"""),
        Step("index_event", f"""
            -- One row per person: the first eligible event; same day, most severe disposal
            -- (then offence group, borough and age, so the choice is always the same).
            SELECT person_id, {', '.join(f'first_event.{f} AS {f}' for f in _CANDIDATE_FIELDS)}
            FROM (
                SELECT person_id,
                       arg_min(struct_pack({', '.join(f'{f} := {f}' for f in _CANDIDATE_FIELDS)}),
                               struct_pack(d := index_date, p := priority, g := offence_group,
                                           b := borough_code, a := age_at_event)) AS first_event
                FROM index_candidate GROUP BY person_id
            ) AS f"""),
        Step("proven_offence", f"""
            -- Offences proven by a conviction or a caution, breaches excluded.
            SELECT person_id, offence_date, event_date AS proven_date
            FROM {EVENT_TABLE}
            WHERE ((event_type = 'court_outcome' AND outcome = 'convicted')
                   OR event_type = 'out_of_court_disposal')
              AND coalesce(offence_group, '') <> 'breach' AND offence_date IS NOT NULL"""),
        Step("proven_reoffence", f"""
            -- Committed after the index date and within 12 months; proven within 18 months.
            SELECT i.person_id, count(*) AS proven_reoffences
            FROM index_event AS i
            JOIN proven_offence AS o ON o.person_id = i.person_id
            WHERE o.offence_date > i.index_date
              AND o.offence_date <= CAST(i.index_date + INTERVAL {FOLLOW_UP_MONTHS} MONTH AS DATE)
              AND o.proven_date <= CAST(i.index_date
                                        + INTERVAL {FOLLOW_UP_MONTHS + WAITING_MONTHS} MONTH AS DATE)
            GROUP BY i.person_id"""),
        Step("aged_index", f"""
            -- Age at the index date: exact where the event's own age is known on that day.
            SELECT i.*, p.sex, p.ethnicity, p.borough_code AS home_borough,
                   {age_on_sql('i.age_at_event', 'i.age_known_on', 'i.index_date', 'p.year_of_birth')}
                       AS age_at_index
            FROM index_event AS i
            LEFT JOIN {PERSON_TABLE} AS p ON p.person_id = i.person_id"""),
        Step("offender", f"""
            SELECT * FROM (
                SELECT i.person_id, i.index_date, i.disposal, i.age_at_index,
                       coalesce(i.borough_code, i.home_borough) AS borough_code,
                       coalesce(r.proven_reoffences, 0) AS proven_reoffences,
                       CASE WHEN r.proven_reoffences > 0 THEN 1 ELSE 0 END AS reoffended,
                       coalesce(age_class.adult_juvenile, '{NOT_KNOWN}') AS adult_juvenile,
                       coalesce(age_class.age_band, '{NOT_KNOWN}') AS age_band,
                       coalesce(age_class.young_adult, '{NOT_KNOWN}') AS young_adult,
                       {sex_sql('i.sex')} AS sex,
                       {ethnic_group_sql('i.ethnicity')} AS ethnic_group,
                       coalesce(i.offence_group, 'not known') AS offence_group,
                       coalesce(area_borough.name, '{outside_area_label()}') AS borough
                FROM aged_index AS i
                LEFT JOIN proven_reoffence AS r ON r.person_id = i.person_id
                LEFT JOIN {age_classes_sql()} ON age_class.age = i.age_at_index
                LEFT JOIN {boroughs_sql()} ON area_borough.code = coalesce(i.borough_code, i.home_borough)
            ) AS o {borough_filter}"""),
        Step("breakdown", grouping_sets_sql(
            "offender", BREAKDOWNS,
            "count(*) AS offenders, sum(reoffended) AS reoffenders, "
            "sum(proven_reoffences) AS proven_reoffences")),
    ])


def follow_up_end(period: Period) -> str:
    """The last day on which a reoffence by this cohort can still be proven (ISO date)."""
    last = period.last_day
    month = last.month + FOLLOW_UP_MONTHS + WAITING_MONTHS
    year, month = last.year + (month - 1) // 12, (month - 1) % 12 + 1
    day = min(last.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                         31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return f"{year:04d}-{month:02d}-{day:02d}"


def data_end(warehouse: Warehouse) -> str | None:
    """The latest date a conviction or caution is recorded: how far follow-up can see."""
    row = warehouse.connection.execute(
        f"SELECT max(event_date) FROM {EVENT_TABLE} "
        "WHERE event_type IN ('court_outcome', 'out_of_court_disposal')").fetchone()
    return row[0].isoformat() if row and row[0] is not None else None


def compute(warehouse: Warehouse, period: Period, *, borough: str | None = None,
            cohort: str | None = None) -> MeasureResult:
    rows = fetch_dicts(warehouse, pipeline(period, borough=borough, cohort=cohort).sql())
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
    headline: dict[str, Any] = {
        "offenders": offenders,
        "reoffenders": reoffenders,
        "proven_reoffences": reoffences,
        "rate": round(100.0 * reoffenders / offenders, 1) if offenders else None,
        "reoffences_per_reoffender": round(reoffences / reoffenders, 2) if reoffenders else None,
        "reoffences_per_offender": round(reoffences / offenders, 2) if offenders else None,
    }
    notes = [] if complete else [
        f"Provisional: reoffences can be proven up to {ends}, but the data reach only "
        f"{seen or 'no date'}; the rate will rise as later convictions arrive."]
    return MeasureResult(
        measure=NAME, title=TITLE, period=period, headline=headline, tables=tables,
        methodology=METHODOLOGY, notes=notes,
        scope={"cohort": {"period": period.label, "start": period.start.isoformat(),
                          "end": period.last_day.isoformat(), "follow_up_ends": ends,
                          "data_end": seen, "follow_up_complete": complete,
                          "borough": borough, "sub_cohort": cohort, "rate_unit": "percent"}},
    )
