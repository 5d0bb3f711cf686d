"""Sentences as the Ministry of Justice counts them: one per person per sentencing occasion.

A court outcome row is one offence; a person sentenced for several offences on one case and day
receives one sentence, counted by its most severe disposal (Ministry of Justice, "Criminal
Justice Statistics: guide", principal offence and principal disposal basis). Both the women's
short sentences and the community sentence measures read this step.
"""

from __future__ import annotations

from localjustice.measures.period import Period
from localjustice.measures.pipeline import Step, first_rows_sql
from localjustice.warehouse.analysis_layout import EVENT_TABLE, PERSON_TABLE

#: Most severe first (Criminal Justice Statistics' disposal hierarchy).
SEVERITY = ("immediate_custody", "suspended_sentence", "community_order",
            "youth_rehabilitation_order", "referral_order", "fine", "conditional_discharge",
            "absolute_discharge", "other")
#: Community sentences (Criminal Justice Statistics): community orders for adults, youth
#: rehabilitation orders and referral orders for under-18s.
COMMUNITY = ("community_order", "youth_rehabilitation_order", "referral_order")
#: 12 months or less is a short custodial sentence (MoU, women's custody; Ministry of Justice,
#: "Female Offender Strategy", 2018).
SHORT_CUSTODY_DAYS = 365


def sentence_step(period: Period, *, borough: str | None = None) -> Step:
    rank = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(SEVERITY))
    borough_filter = f"AND coalesce(e.borough_code, p.borough_code) = '{borough}'" if borough else ""
    columns = ("person_id", "case_key", "sentence_date", "sentence_type", "custody_days",
               "offence_group", "requirements", "sex", "age_at_event", "home_borough")
    return Step("sentence", first_rows_sql(f"""
        -- One row per person, case and sentencing day: the principal (most severe) sentence;
        -- of equally severe ones the longest, then by offence group and row, so the choice (and
        -- the requirements it carries) is always the same.
        SELECT e.event_key, CASE e.sentence_type {rank} ELSE {len(SEVERITY)} END AS severity,
               e.person_id, e.case_key, e.event_date AS sentence_date, e.sentence_type,
               e.custody_days, e.offence_group, e.requirements, p.sex, e.age_at_event,
               coalesce(e.borough_code, p.borough_code) AS home_borough
        FROM {EVENT_TABLE} AS e
        LEFT JOIN {PERSON_TABLE} AS p ON p.person_id = e.person_id
        WHERE e.event_type = 'court_outcome' AND e.outcome = 'convicted'
          AND e.sentence_type IS NOT NULL
          AND e.event_date >= {period.sql_start()} AND e.event_date < {period.sql_end()}
          {borough_filter}""", columns,
        partition_by="person_id, case_key, sentence_date",
        order_by="severity, custody_days DESC NULLS LAST, offence_group NULLS LAST, event_key"))


def quarter_sql(column: str) -> str:
    return f"CAST(year({column}) AS STRING) || 'Q' || CAST(quarter({column}) AS STRING)"
