"""Worklists: who needs a practitioner now, each one rule (``worklists.toml``) and one query.

Every list is worked out set-wise in the warehouse from the analysis zone (``analysis.event``,
``analysis.person``) for a given "today"; the rule's numbers are data, the query's shape is its
``kind``. One exception: the 18th birthday needs the date of birth, which the analysis zone keeps
only as a year, so ``youth_turning_18`` reads the youth order's own court record (identity zone)
through linkage's map of source persons; the list itself shows no identity.

Working days (through the gate) come from ``service.working_days`` (the England and Wales bank
holidays of ``govuk-bank-holidays``): a table of days with a running count of working days is
registered in the engine, and the day due is the working day whose count is the release day's
plus n, so "n working days after release" is one join, not a loop.

"Today" defaults to the end of the data (``data_end``): the synthetic deliveries end at a month's
end, and lists for the real date would be empty.
"""

from __future__ import annotations

import calendar
import functools
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from localjustice.errors import LocalJusticeError
from localjustice.linkage.store import UNIT_PERSON_TABLE
from localjustice.warehouse import Warehouse, current_table
from localjustice.warehouse.analysis_layout import EVENT_TABLE, PERSON_TABLE

WORKLISTS_FILE = Path(__file__).with_name("worklists.toml")
WORKING_DAYS = "lj_working_day"
KINDS = ("released_unsupervised", "youth_turning_18", "moved_to_adult_probation",
         "women_short_custody", "persistent_em", "victim_and_offender")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
#: The columns every list's query returns, in order.
COLUMNS = ("person_id", "key_date", "due_date", "establishment_code", "in_area", "detail")


class WorklistsInvalid(LocalJusticeError):
    """``worklists.toml`` is malformed; the message names the list and what to fix."""


@dataclass(frozen=True)
class WorklistRule:
    code: str
    kind: str
    title: str
    rule: str
    params: dict[str, Any] = field(default_factory=dict)
    needs_victim_events: bool = False

    def number(self, name: str) -> int:
        value = self.params.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise WorklistsInvalid(f"worklists.toml ({self.code}): {name} must be a whole number.")
        return value

    def codes(self, name: str) -> list[str]:
        value = self.params.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and _CODE.match(v)
                                                               for v in value):
            raise WorklistsInvalid(f"worklists.toml ({self.code}): {name} must list codes.")
        return value


_NEEDS: dict[str, tuple[str, ...]] = {
    "released_unsupervised": ("lookback_days", "within_working_days"),
    "youth_turning_18": ("months_ahead", "order_months"),
    "moved_to_adult_probation": ("lookback_months", "max_age"),
    "women_short_custody": ("max_custody_days",),
    "persistent_em": ("min_proven_offences", "period_months"),
    "victim_and_offender": ("period_months",),
}


def parse_worklists(text: str) -> tuple[WorklistRule, ...]:
    raw = tomllib.loads(text)
    rules: list[WorklistRule] = []
    for n, entry in enumerate(raw.get("worklist", []), start=1):
        code, kind = entry.get("code"), entry.get("kind")
        if not isinstance(code, str) or not _CODE.match(code) or any(r.code == code for r in rules):
            raise WorklistsInvalid(f"worklists.toml: worklist {n} needs a unique snake_case code.")
        if kind not in KINDS:
            raise WorklistsInvalid(f"worklists.toml ({code}): kind must be one of {list(KINDS)}.")
        params = {k: v for k, v in entry.items()
                  if k not in {"code", "kind", "title", "rule", "needs_victim_events"}}
        rule = WorklistRule(code, kind, str(entry.get("title", code)), str(entry.get("rule", "")),
                            params, bool(entry.get("needs_victim_events", False)))
        for name in _NEEDS[kind]:
            rule.number(name)
        if kind in {"youth_turning_18", "moved_to_adult_probation"}:
            rule.codes("youth_orders")
        if "sex" in params and params["sex"] not in {"F", "M"}:
            raise WorklistsInvalid(f"worklists.toml ({code}): sex is F or M.")
        if kind == "victim_and_offender" and not rule.needs_victim_events:
            raise WorklistsInvalid(f"worklists.toml ({code}): a victim list needs needs_victim_events.")
        rules.append(rule)
    if not rules:
        raise WorklistsInvalid("worklists.toml defines no worklist.")
    return tuple(rules)


@functools.cache
def load_worklists() -> tuple[WorklistRule, ...]:
    return parse_worklists(WORKLISTS_FILE.read_text("utf-8"))


def rule_of(code: str) -> WorklistRule:
    for rule in load_worklists():
        if rule.code == code:
            return rule
    raise LocalJusticeError(f"There is no worklist {code!r}.")


def months_before(day: date, months: int) -> date:
    """``day`` less whole months, clamped to the month's end (31 May - 3 months = 28/29 Feb)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


def _day(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def _in(codes: list[str]) -> str:
    return ", ".join(f"'{c}'" for c in codes)


_PROVEN = ("((e.event_type = 'court_outcome' AND e.outcome = 'convicted') "
           "OR e.event_type = 'out_of_court_disposal')")
_LATEST = "QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY key_date DESC, detail) = 1"


def _released_unsupervised(rule: WorklistRule, today: date) -> str:
    """Released in (today - lookback, today], no probation supervision started from the release day
    to the n-th working day after it (the day due, shown)."""
    since = today - timedelta(days=rule.number("lookback_days"))
    n = rule.number("within_working_days")
    women = (f"AND r.person_id IN (SELECT person_id FROM {PERSON_TABLE} WHERE sex = '{rule.params['sex']}')"
             if "sex" in rule.params else "")
    return f"""
        SELECT r.person_id, r.end_date AS key_date, d2.day AS due_date, r.establishment_code,
               r.in_area, coalesce(r.custody_type, '') AS detail
        FROM {EVENT_TABLE} AS r
        JOIN {WORKING_DAYS} AS d1 ON d1.day = r.end_date
        JOIN {WORKING_DAYS} AS d2 ON d2.working AND d2.n = d1.n + {n}
        WHERE r.event_type = 'custody' AND r.end_date > {_day(since)} AND r.end_date <= {_day(today)}
          {women}
          AND NOT EXISTS (SELECT 1 FROM {EVENT_TABLE} AS s
                          WHERE s.person_id = r.person_id AND s.event_type = 'supervision'
                            AND s.event_date >= r.end_date AND s.event_date <= d2.day)
        QUALIFY row_number() OVER (PARTITION BY r.person_id ORDER BY r.end_date DESC, r.event_key) = 1"""


def _youth_turning_18(rule: WorklistRule, today: date, warehouse: Warehouse) -> str:
    since = months_before(today, rule.number("order_months"))
    until = months_after(today, rule.number("months_ahead"))
    birthday = warehouse.dialect.add_months("t.date_of_birth", 18 * 12)
    return f"""
        SELECT person_id, key_date, due_date, establishment_code, in_area, detail FROM (
            SELECT up.person_id, t.outcome_date AS key_date, {birthday} AS due_date,
                   CAST(NULL AS VARCHAR) AS establishment_code, CAST(NULL AS BOOLEAN) AS in_area,
                   t.sentence_type AS detail
            FROM {current_table('court_outcomes')} AS t
            JOIN {UNIT_PERSON_TABLE} AS up
              ON up.source = 'court_outcomes' AND up.source_person_id = t.source_person_id
            WHERE t.outcome = 'convicted' AND t.sentence_type IN ({_in(rule.codes('youth_orders'))})
              AND t.outcome_date > {_day(since)} AND t.outcome_date <= {_day(today)}
        ) AS orders
        WHERE due_date > {_day(today)} AND due_date <= {_day(until)}
        {_LATEST}"""


def _moved_to_adult_probation(rule: WorklistRule, today: date) -> str:
    since = months_before(today, rule.number("lookback_months"))
    return f"""
        SELECT s.person_id, s.event_date AS key_date, CAST(NULL AS DATE) AS due_date,
               CAST(NULL AS VARCHAR) AS establishment_code, CAST(NULL AS BOOLEAN) AS in_area,
               s.order_type AS detail
        FROM {EVENT_TABLE} AS s
        WHERE s.event_type = 'supervision' AND s.event_date > {_day(since)}
          AND s.event_date <= {_day(today)}
          AND s.age_at_event BETWEEN 18 AND {rule.number('max_age')}
          AND EXISTS (SELECT 1 FROM {EVENT_TABLE} AS y
                      WHERE y.person_id = s.person_id AND y.event_type = 'court_outcome'
                        AND y.sentence_type IN ({_in(rule.codes('youth_orders'))})
                        AND y.event_date <= s.event_date)
        {_LATEST}"""


def _women_short_custody(rule: WorklistRule, today: date) -> str:
    first = today.replace(day=1)
    women = f"e.person_id IN (SELECT person_id FROM {PERSON_TABLE} WHERE sex = 'F')"
    return f"""
        SELECT person_id, key_date, due_date, establishment_code, in_area, detail FROM (
            SELECT e.person_id, e.event_date AS key_date, CAST(NULL AS DATE) AS due_date,
                   e.establishment_code, e.in_area, 'remand' AS detail
            FROM {EVENT_TABLE} AS e
            WHERE {women} AND e.event_type = 'custody' AND e.custody_type = 'remand'
              AND e.event_date >= {_day(first)} AND e.event_date <= {_day(today)}
            UNION ALL
            SELECT e.person_id, e.event_date, CAST(NULL AS DATE), CAST(NULL AS VARCHAR),
                   CAST(NULL AS BOOLEAN), 'sentenced: ' || CAST(e.custody_days AS VARCHAR) || ' days'
            FROM {EVENT_TABLE} AS e
            WHERE {women} AND e.event_type = 'court_outcome' AND e.sentence_type = 'immediate_custody'
              AND e.custody_days <= {rule.number('max_custody_days')}
              AND e.event_date >= {_day(first)} AND e.event_date <= {_day(today)}
        ) AS received
        {_LATEST}"""


def _proven_since(since: date, today: date) -> str:
    return f"""SELECT e.person_id, count(*) AS proven, max(e.event_date) AS last_proven
               FROM {EVENT_TABLE} AS e
               WHERE {_PROVEN} AND e.event_date > {_day(since)} AND e.event_date <= {_day(today)}
               GROUP BY e.person_id"""


def _persistent_em(rule: WorklistRule, today: date) -> str:
    since = months_before(today, rule.number("period_months"))
    return f"""
        SELECT p.person_id, p.last_proven AS key_date, CAST(NULL AS DATE) AS due_date,
               CAST(NULL AS VARCHAR) AS establishment_code, CAST(NULL AS BOOLEAN) AS in_area,
               CAST(p.proven AS VARCHAR) || ' proven offences, ' || CAST(m.violations AS VARCHAR)
                 || ' monitoring violations' AS detail
        FROM ({_proven_since(since, today)}) AS p
        JOIN (SELECT person_id, sum(violations) AS violations FROM {EVENT_TABLE}
              WHERE event_type = 'monitoring' AND violations > 0 AND event_date <= {_day(today)}
                AND (end_date IS NULL OR end_date > {_day(since)})
              GROUP BY person_id) AS m ON m.person_id = p.person_id
        WHERE p.proven >= {rule.number('min_proven_offences')}"""


def _victim_and_offender(rule: WorklistRule, today: date) -> str:
    since = months_before(today, rule.number("period_months"))
    return f"""
        SELECT p.person_id, greatest(p.last_proven, v.last_victimised) AS key_date,
               CAST(NULL AS DATE) AS due_date, CAST(NULL AS VARCHAR) AS establishment_code,
               CAST(NULL AS BOOLEAN) AS in_area,
               CAST(v.victimisations AS VARCHAR) || ' victimisations, ' || CAST(p.proven AS VARCHAR)
                 || ' proven offences' AS detail
        FROM ({_proven_since(since, today)}) AS p
        JOIN (SELECT person_id, count(*) AS victimisations, max(event_date) AS last_victimised
              FROM {EVENT_TABLE}
              WHERE event_type = 'victimisation' AND event_date > {_day(since)}
                AND event_date <= {_day(today)}
              GROUP BY person_id) AS v ON v.person_id = p.person_id"""


def worklist_sql(rule: WorklistRule, today: date, warehouse: Warehouse) -> str:
    """The query of one list: ``COLUMNS``, one row per person."""
    if rule.kind == "released_unsupervised":
        return _released_unsupervised(rule, today)
    if rule.kind == "youth_turning_18":
        return _youth_turning_18(rule, today, warehouse)
    if rule.kind == "moved_to_adult_probation":
        return _moved_to_adult_probation(rule, today)
    if rule.kind == "women_short_custody":
        return _women_short_custody(rule, today)
    if rule.kind == "persistent_em":
        return _persistent_em(rule, today)
    return _victim_and_offender(rule, today)


def register_working_days(warehouse: Warehouse, today: date,
                          rules: tuple[WorklistRule, ...] | None = None) -> None:
    """The day table the through-the-gate lists join: every day around the lists' windows, whether
    it is a working day, and the running count of working days."""
    from localjustice.service.working_days import england_and_wales  # the service package is heavy

    rules = rules or load_worklists()
    back = max((r.number("lookback_days") for r in rules if r.kind == "released_unsupervised"),
               default=0)
    ahead = max((r.number("within_working_days") for r in rules if r.kind == "released_unsupervised"),
                default=0)
    table = england_and_wales().working_day_table(today - timedelta(days=back + 7),
                                                  today + timedelta(days=2 * ahead + 14))
    warehouse.register_arrow(WORKING_DAYS, pa.table({
        "day": pa.array([d for d, _, _ in table], pa.date32()),
        "working": pa.array([w for _, w, _ in table], pa.bool_()),
        "n": pa.array([n for _, _, n in table], pa.int64()),
    }))


def data_end(warehouse: Warehouse) -> date:
    """The last event date in the analysis zone: the lists' default "today"."""
    if not warehouse.has_table(EVENT_TABLE):
        raise LocalJusticeError("The analysis zone is empty: run `localjustice link` first.")
    # read to the end (not ``scalar``): DuckDB registers no table while a result is unfinished
    value = warehouse.execute(f"SELECT max(event_date) FROM {EVENT_TABLE}").fetchall()[0][0]
    if value is None:
        raise LocalJusticeError("The analysis zone has no events: load and link some deliveries.")
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class WorklistCount:
    code: str
    title: str
    rule: str
    count: int
    outside_area: int


def worklist_counts(warehouse: Warehouse, today: date,
                    rules: tuple[WorklistRule, ...] | None = None) -> list[WorklistCount]:
    """Every list's count (and how many left a prison outside the area), in one query."""
    rules = rules or load_worklists()
    register_working_days(warehouse, today, rules)
    union = "\nUNION ALL\n".join(
        f"SELECT '{r.code}' AS code, in_area FROM ({worklist_sql(r, today, warehouse)}) AS l{i}"
        for i, r in enumerate(rules))
    counted = dict((code, (int(n), int(outside))) for code, n, outside in warehouse.execute(f"""
        SELECT code, count(*), count(*) FILTER (WHERE in_area = false) FROM ({union}) AS lists
        GROUP BY code""", step="worklists: counts").fetchall())
    warehouse.unregister(WORKING_DAYS)
    return [WorklistCount(r.code, r.title, r.rule, *counted.get(r.code, (0, 0))) for r in rules]


@dataclass(frozen=True)
class WorklistEntry:
    person_id: str
    key_date: date
    due_date: date | None
    establishment_code: str | None
    in_area: bool | None
    detail: str


def worklist_entries(warehouse: Warehouse, rule: WorklistRule, today: date) -> list[WorklistEntry]:
    """The people on one list, most recent first (pseudonymous ids and facts, no identity)."""
    register_working_days(warehouse, today, (rule,))
    rows = warehouse.execute(f"SELECT {', '.join(COLUMNS)} FROM ({worklist_sql(rule, today, warehouse)}) "
                             "AS l ORDER BY key_date DESC, person_id",
                             step=f"worklist {rule.code}").fetchall()
    warehouse.unregister(WORKING_DAYS)
    return [WorklistEntry(*row) for row in rows]
