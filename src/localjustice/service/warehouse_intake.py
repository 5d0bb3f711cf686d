"""Open cases in bulk from the warehouse's ``identity.victim_referrals`` (the narrow, audited lookup).

Set-wise (STYLE rule 5): DuckDB reads the referrals, gives each its team (by borough), finds the
ones not yet imported (idempotent by ``referral_id``), groups them into people with the same rule as
single intake (``identity``: within one team, same source person id, or same normalised name and
date of birth, closed transitively), matches them to the people and open cases that team already
has (never another team's), flags people other teams hold who may be the same as possible
duplicates, and computes the Victims' Code deadlines by joining a working-day table. The
application database then receives a handful of bulk INSERTs in one transaction, with one audit
event for the whole import. Python only orchestrates.

Enhanced rights and contact preference come from ``identity.police_victims`` for the same crime,
name and date of birth, when police recorded the person as a victim.

Given a ``History`` (the demo's import of years of referrals), cases whose referral is older than
its ``open_weeks`` before 'today' are closed with an outcome and their entitlements recorded as
delivered (mostly on time); today's open cases have their past deadlines met except one in
``overdue_every``, which stay genuinely overdue. All of it is computed in the same DuckDB pass and
goes in with the same bulk INSERTs (``caseload.toml`` holds the numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor
from localjustice.audit import record_event
from localjustice.service.bulk_insert import insert_ids
from localjustice.service.caseload import History
from localjustice.service.errors import CaseServiceError
from localjustice.service.identity import name_key_sql
from localjustice.service.models import (
    Case,
    CaseEvent,
    Entitlement,
    Handover,
    IncomingReferral,
    Person,
    PersonIdentifier,
    PossibleDuplicate,
)
from localjustice.service.rules import VictimsCode, load_victims_code
from localjustice.service.scope import require_bulk_import
from localjustice.service.working_days import WorkingCalendar, england_and_wales
from localjustice.warehouse import Warehouse, as_duckdb, current_table

SOURCE = "victim_referrals"
MAX_LABEL_ROUNDS = 50


@dataclass(frozen=True)
class Allocation:
    """Where imported cases go: a team per borough of residence, and each team's caseworkers, who
    become single points of contact in turn."""

    default_team: str
    caseworkers: Mapping[str, Sequence[tuple[str, str]]]
    team_by_borough: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportReport:
    referrals_read: int
    already_imported: int
    cases_opened: int
    referrals_joined: int
    persons_created: int
    possible_duplicates: int = 0
    #: of the cases opened, those a ``History`` closed at once (older than its open window)
    cases_closed: int = 0


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def import_referrals(warehouse: Warehouse, sessions: sessionmaker[Session], actor: Actor,
                     allocation: Allocation, *, code: VictimsCode | None = None,
                     calendar: WorkingCalendar | None = None, history: History | None = None) -> ImportReport:
    """Open or join cases for every referral in the warehouse not yet imported; all or nothing.

    With ``history``, cases older than its open window are opened already closed (see above)."""
    require_bulk_import(actor)
    code = code or load_victims_code()
    calendar = calendar or england_and_wales()
    con = as_duckdb(warehouse).connection.cursor()
    with sessions() as s, s.begin():
        _load_service_state(con, s, allocation, code, calendar)
        total = int(con.execute(f"SELECT count(DISTINCT referral_id) FROM {current_table(SOURCE)}")
                    .fetchone()[0])  # type: ignore[index]
        con.execute(_FRESH_SQL.format(referrals=current_table(SOURCE),
                                      victims=current_table("police_victims"),
                                      ref_key=name_key_sql("r.forename", "r.surname"),
                                      vic_key=name_key_sql("v.forename", "v.surname")))
        fresh = int(con.execute("SELECT count(*) FROM svc_fresh").fetchone()[0])  # type: ignore[index]
        if fresh == 0:
            _audit(s, actor, ImportReport(total, total, 0, 0, 0))
            return ImportReport(total, total, 0, 0, 0)
        _group_people(con)
        con.execute(_CASES_SQL)
        _settle_history(con, history)
        unstaffed = [t for (t,) in con.execute(
            "SELECT DISTINCT team FROM svc_new_cases WHERE team NOT IN (SELECT team FROM svc_workers)"
        ).fetchall()]
        if unstaffed:
            raise CaseServiceError(f"No caseworkers given for team(s) {', '.join(sorted(unstaffed))}: add "
                                   "them to the allocation and run the import again (nothing was imported).")
        persons = _insert_persons(con, s)
        cases = _insert_cases(con, s, persons)
        _insert_rest(con, s, actor)
        duplicates = _flag_possible_duplicates(con, s)
        report = _report(con, total, fresh, persons, cases, duplicates)
        _audit(s, actor, report)
    return report


def _load_service_state(con: Any, s: Session, allocation: Allocation, code: VictimsCode,
                        calendar: WorkingCalendar) -> None:
    """What the service already holds, and the rules and calendar, as DuckDB tables."""
    tables: dict[str, pd.DataFrame] = {
        "svc_imported": _frame(s.execute(select(IncomingReferral.team, IncomingReferral.referral_id,
                                                IncomingReferral.channel)).all(),
                               ["team", "referral_id", "channel"]),
        "svc_known_ids": _frame(s.execute(select(PersonIdentifier.source_person_id,
                                                 PersonIdentifier.person_id, PersonIdentifier.team)
                                          .where(PersonIdentifier.source == SOURCE)).all(),
                                ["source_person_id", "person_id", "team"]),
        "svc_known_people": _frame(s.execute(select(Person.name_key, Person.date_of_birth, Person.id,
                                                    Person.team)).all(),
                                   ["name_key", "date_of_birth", "person_id", "team"]),
        "svc_flagged": _frame(s.execute(select(PossibleDuplicate.person_id,
                                               PossibleDuplicate.other_person_id)).all(),
                              ["person_id", "other_person_id"]),
        "svc_open_cases": _frame(s.execute(select(Case.person_id, Case.crime_id, Case.id, Case.team)
                                           .where(Case.status == "open")).all(),
                                 ["person_id", "crime_id", "case_id", "team"]),
        "svc_boroughs": pd.DataFrame(list(allocation.team_by_borough.items()),
                                     columns=["borough_code", "team"]),
        "svc_workers": pd.DataFrame(
            [(team, i, u, n) for team, people in allocation.caseworkers.items()
             for i, (u, n) in enumerate(people)], columns=["team", "slot", "username", "display_name"]),
        "svc_rules": pd.DataFrame(
            [(r.key, r.right, r.working_days, r.enhanced_working_days, role)
             for r in code.rules_started_by("case_opened", "victim") + code.rules_started_by("case_opened",
                                                                                              "witness")
             for role in sorted(r.applies_to)],
            columns=["rule_key", "right_number", "working_days", "enhanced_working_days", "role"],
        ).drop_duplicates(),
    }
    first = date(2000, 1, 1)
    last = max(date.today(), calendar.last_known) + timedelta(days=400)
    tables["svc_calendar"] = pd.DataFrame(calendar.working_day_table(first, last),
                                          columns=["day", "working", "ordinal"])
    for name, frame in tables.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({_STATE_TYPES[name]})")
        if len(frame):
            con.register(f"{name}_df", frame)
            con.execute(f"INSERT INTO {name} SELECT * FROM {name}_df")
            con.unregister(f"{name}_df")
    default = _quote(allocation.default_team)
    con.execute(f"CREATE OR REPLACE TEMP TABLE svc_default AS SELECT '{default}' AS team")


#: Column types of the service state copied into DuckDB (typed even when a table is empty).
_STATE_TYPES = {
    "svc_imported": "team VARCHAR, referral_id VARCHAR, channel VARCHAR",
    "svc_known_ids": "source_person_id VARCHAR, person_id BIGINT, team VARCHAR",
    "svc_known_people": "name_key VARCHAR, date_of_birth DATE, person_id BIGINT, team VARCHAR",
    "svc_flagged": "person_id BIGINT, other_person_id BIGINT",
    "svc_open_cases": "person_id BIGINT, crime_id VARCHAR, case_id BIGINT, team VARCHAR",
    "svc_boroughs": "borough_code VARCHAR, team VARCHAR",
    "svc_workers": "team VARCHAR, slot BIGINT, username VARCHAR, display_name VARCHAR",
    "svc_rules": "rule_key VARCHAR, right_number BIGINT, working_days BIGINT, enhanced_working_days BIGINT, "
                 "role VARCHAR",
    "svc_calendar": "day DATE, working BOOLEAN, ordinal BIGINT",
}


def _quote(text: str) -> str:
    return text.replace("'", "''")


_FRESH_SQL = """
CREATE OR REPLACE TEMP TABLE svc_fresh AS
WITH src AS (
    SELECT r.*, {ref_key} AS name_key,
           row_number() OVER (PARTITION BY r.referral_id ORDER BY r.batch_id, r.source_row) AS copy
    FROM {referrals} r
),
victims AS (
    SELECT v.crime_id, {vic_key} AS name_key, v.date_of_birth,
           list_sort(list_distinct(flatten(list(coalesce(v.enhanced_rights, []))))) AS enhanced_rights,
           min(v.contact_preference) AS contact_preference
    FROM {victims} v GROUP BY ALL
)
SELECT row_number() OVER (ORDER BY s.referral_date, s.referral_id) AS rid,
       coalesce(b.team, (SELECT team FROM svc_default)) AS team,
       s.referral_id, s.source_person_id, s.forename, s.surname, s.date_of_birth, s.name_key,
       s.crime_id, coalesce(s.crime_id, '') AS crime_key, s.referral_date, s.referrer, s.role,
       coalesce(s.needs, []) AS needs, s.service, s.borough_code,
       coalesce(v.enhanced_rights, []) AS enhanced_rights,
       coalesce(v.contact_preference, 'phone') AS contact_preference
FROM src s
LEFT JOIN victims v ON v.crime_id = s.crime_id AND v.name_key = s.name_key
                   AND v.date_of_birth = s.date_of_birth
LEFT JOIN svc_boroughs b ON b.borough_code = s.borough_code
WHERE s.copy = 1
  -- imported before (into any team), or this referral id already received by its team
  AND s.referral_id NOT IN (SELECT referral_id FROM svc_imported WHERE channel = 'warehouse')
  AND NOT EXISTS (SELECT 1 FROM svc_imported i WHERE i.referral_id = s.referral_id
                  AND i.team = coalesce(b.team, (SELECT team FROM svc_default)))
"""


def _group_people(con: Any) -> None:
    """Label each fresh referral with its person: connected, within its team, through source person
    id or name and date of birth (label propagation to a fixed point), then matched to the people
    that team already knows."""
    con.execute("""CREATE OR REPLACE TEMP TABLE svc_label AS
                   SELECT rid, team, source_person_id, name_key, date_of_birth, rid AS label
                   FROM svc_fresh""")
    for _ in range(MAX_LABEL_ROUNDS):
        con.execute("""
            CREATE OR REPLACE TEMP TABLE svc_label_next AS
            WITH by_id AS (
                SELECT *, min(label) OVER (PARTITION BY team, coalesce(source_person_id, 'rid:' || rid)) AS l1
                FROM svc_label
            ), by_name AS (
                SELECT *, min(l1) OVER (PARTITION BY team,
                    CASE WHEN name_key <> '|' AND date_of_birth IS NOT NULL
                         THEN name_key || date_of_birth ELSE 'rid:' || rid END) AS l2
                FROM by_id
            ), spread AS (SELECT *, min(l2) OVER (PARTITION BY label) AS l3 FROM by_name)
            SELECT rid, team, source_person_id, name_key, date_of_birth, least(label, l3) AS label
            FROM spread
        """)
        moved = con.execute("""SELECT count(*) FROM svc_label a JOIN svc_label_next b USING (rid)
                               WHERE a.label <> b.label""").fetchone()[0]
        con.execute("CREATE OR REPLACE TEMP TABLE svc_label AS SELECT * FROM svc_label_next")
        if moved == 0:
            break
    con.execute("""
        CREATE OR REPLACE TEMP TABLE svc_people AS
        WITH matched AS (
            SELECT l.label, least(min(i.person_id), min(p.person_id)) AS person_id
            FROM svc_label l
            LEFT JOIN svc_known_ids i ON i.source_person_id = l.source_person_id AND i.team = l.team
            LEFT JOIN svc_known_people p ON p.name_key = l.name_key AND p.date_of_birth = l.date_of_birth
                                        AND l.name_key <> '|' AND p.team = l.team
            GROUP BY l.label
        )
        SELECT l.rid, l.label, l.team, m.person_id FROM svc_label l JOIN matched m USING (label)
    """)


_CASES_SQL = """
CREATE OR REPLACE TEMP TABLE svc_grouped AS
SELECT f.*, p.label, p.person_id AS known_person_id, o.case_id AS open_case_id,
       row_number() OVER (PARTITION BY p.label, f.crime_key ORDER BY f.referral_date, f.referral_id) AS nth
FROM svc_fresh f JOIN svc_people p USING (rid)
LEFT JOIN svc_open_cases o ON o.person_id = p.person_id AND coalesce(o.crime_id, '') = f.crime_key
                           AND o.team = f.team;

CREATE OR REPLACE TEMP TABLE svc_new_cases AS
WITH firsts AS (
    SELECT g.* FROM svc_grouped g WHERE g.nth = 1 AND g.open_case_id IS NULL
), enhanced AS (
    SELECT label, crime_key, list_sort(list_distinct(flatten(list(enhanced_rights)))) AS enhanced_rights
    FROM svc_grouped WHERE open_case_id IS NULL GROUP BY ALL
), numbered AS (
    SELECT f.*, e.enhanced_rights AS all_enhanced,
           row_number() OVER (PARTITION BY f.team ORDER BY f.rid) - 1 AS turn
    FROM firsts f JOIN enhanced e USING (label, crime_key)
)
SELECT n.rid, n.label, n.crime_key, n.crime_id, n.role, n.team, n.referral_date AS opened_on,
       n.all_enhanced AS enhanced_rights, n.contact_preference, n.known_person_id,
       w.username AS spoc_username, w.display_name AS spoc_name
FROM numbered n
LEFT JOIN (SELECT team, count(*) AS staff FROM svc_workers GROUP BY team) c USING (team)
LEFT JOIN svc_workers w ON w.team = n.team AND w.slot = n.turn % c.staff;
"""


def _settle_history(con: Any, history: History | None) -> None:
    """Each new case's state (``svc_history``): without a history every case opens; with one, those
    opened before its window are closed with an outcome some days later, and which open cases keep
    their past-due entitlements undelivered. Spread by the referral's row number, so the same data
    always give the same history."""
    if history is None:
        con.execute("""CREATE OR REPLACE TEMP TABLE svc_history AS
                       SELECT rid, 'open' AS status, CAST(NULL AS DATE) AS closed_on,
                              CAST(NULL AS VARCHAR) AS closure_reason, false AS deliver_past,
                              CAST(NULL AS DATE) AS today, 1 AS late_every FROM svc_new_cases""")
        return
    p = history.policy
    low, high = p.days_open
    con.execute("""
        CREATE OR REPLACE TEMP TABLE svc_history AS
        WITH h AS (SELECT rid, opened_on, opened_on < CAST($open_since AS DATE) AS old FROM svc_new_cases)
        SELECT rid,
               CASE WHEN old THEN 'closed' ELSE 'open' END AS status,
               CASE WHEN old THEN least(opened_on + CAST($low + rid % ($high - $low + 1) AS INTEGER),
                                        CAST($today AS DATE)) END AS closed_on,
               CASE WHEN old THEN list_extract($outcomes, CAST(rid * 7 % len($outcomes) + 1 AS INTEGER))
                    END AS closure_reason,
               rid % $overdue_every <> 0 AS deliver_past,
               CAST($today AS DATE) AS today, $late_every AS late_every
        FROM h""", {"open_since": history.open_since, "today": history.today, "low": low, "high": high,
                    "outcomes": list(p.outcomes), "overdue_every": p.overdue_every,
                    "late_every": p.late_every})


def _records(con: Any, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _insert_persons(con: Any, s: Session) -> int:
    rows = _records(con, """
        SELECT f.team, f.forename, f.surname, f.name_key, f.date_of_birth, p.label
        FROM svc_fresh f JOIN svc_people p USING (rid)
        WHERE p.person_id IS NULL
        QUALIFY row_number() OVER (PARTITION BY p.label ORDER BY f.referral_date, f.rid) = 1
        ORDER BY p.label""")
    if rows:
        labels = [r.pop("label") for r in rows]
        ids = insert_ids(s, Person, rows, ("team", "name_key", "date_of_birth"))
        con.register("svc_new_people_df", pd.DataFrame({"label": labels, "person_id": list(ids)}))
        con.execute("""UPDATE svc_people SET person_id = n.person_id FROM svc_new_people_df n
                       WHERE svc_people.label = n.label""")
        con.execute("UPDATE svc_new_cases SET known_person_id = p.person_id FROM svc_people p "
                    "WHERE svc_new_cases.rid = p.rid")
    identifiers = _records(con, """
        SELECT DISTINCT 'victim_referrals' AS source, f.source_person_id, p.person_id, f.team
        FROM svc_fresh f JOIN svc_people p USING (rid)
        WHERE f.source_person_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM svc_known_ids k
                          WHERE k.source_person_id = f.source_person_id AND k.team = f.team)
        QUALIFY row_number() OVER (PARTITION BY f.team, f.source_person_id ORDER BY p.person_id) = 1""")
    if identifiers:
        s.execute(insert(PersonIdentifier), identifiers)
    return len(rows)


def _insert_cases(con: Any, s: Session, persons: int) -> int:
    rows = _records(con, """
        SELECT n.rid, n.known_person_id AS person_id, n.role, n.crime_id, n.team, h.status,
               n.enhanced_rights, n.spoc_username, n.spoc_name, n.contact_preference,
               false AS safe_to_leave_message, n.opened_on, h.closed_on, h.closure_reason, 1 AS version
        FROM svc_new_cases n JOIN svc_history h USING (rid) ORDER BY n.rid""")
    if not rows:
        con.execute("CREATE OR REPLACE TEMP TABLE svc_case_ids (rid BIGINT, case_id BIGINT)")
        return 0
    rids = [r.pop("rid") for r in rows]
    for r in rows:
        r["enhanced_rights"] = list(r["enhanced_rights"])
    ids = insert_ids(s, Case, rows, ("person_id", "crime_id", "role"))
    con.register("svc_case_ids_df", pd.DataFrame({"rid": rids, "case_id": list(ids)}))
    con.execute("CREATE OR REPLACE TEMP TABLE svc_case_ids AS SELECT * FROM svc_case_ids_df")
    return len(rows)


def _insert_rest(con: Any, s: Session, actor: Actor) -> None:
    """Referrals (opening or joining), first handovers, case_opened events and their clocks."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE svc_referral_cases AS
        SELECT g.*, coalesce(g.open_case_id, first_case.case_id) AS case_id,
               (g.open_case_id IS NOT NULL OR g.nth > 1) AS joined_existing
        FROM svc_grouped g
        LEFT JOIN (SELECT n.label, n.crime_key, i.case_id
                   FROM svc_new_cases n JOIN svc_case_ids i USING (rid)) first_case
               ON first_case.label = g.label AND first_case.crime_key = g.crime_key
              AND g.open_case_id IS NULL""")
    by = _quote(actor.username)
    referrals = _records(con, f"""
        SELECT team, referral_id, case_id, 'warehouse' AS channel, referrer, role, referral_date, needs,
               service, joined_existing, '{by}' AS received_by, '{SOURCE}' AS source, source_person_id,
               forename, surname, date_of_birth
        FROM svc_referral_cases ORDER BY rid""")
    for r in referrals:
        r["needs"] = list(r["needs"])
    s.execute(insert(IncomingReferral), referrals)
    new_cases = _records(con, f"""
        SELECT i.case_id, n.spoc_username AS to_username, n.spoc_name AS to_name, n.team AS to_team,
               'Case opened' AS reason, '{by}' AS by_username, n.opened_on, n.role,
               len(n.enhanced_rights) > 0 AS enhanced
        FROM svc_new_cases n JOIN svc_case_ids i USING (rid) ORDER BY i.case_id""")
    if not new_cases:
        return
    s.execute(insert(Handover), [{k: c[k] for k in ("case_id", "to_username", "to_name", "to_team", "reason",
                                                   "by_username")} for c in new_cases])
    event_ids = insert_ids(s, CaseEvent, [
        {"case_id": c["case_id"], "kind": "case_opened", "occurred_on": c["opened_on"],
         "recorded_by": actor.username} for c in new_cases], ("case_id",))
    con.register("svc_events_df", pd.DataFrame({"case_id": [c["case_id"] for c in new_cases],
                                                "event_id": list(event_ids)}))
    entitlements = _records(con, """
        WITH opened AS (
            SELECT i.case_id, e.event_id, n.opened_on, n.role, len(n.enhanced_rights) > 0 AS enhanced,
                   n.rid, n.spoc_username
            FROM svc_new_cases n JOIN svc_case_ids i USING (rid) JOIN svc_events_df e USING (case_id)
        ), due AS (
            SELECT o.*, r.rule_key, r.right_number,
                   CASE WHEN o.enhanced THEN r.enhanced_working_days ELSE r.working_days END AS working_days
            FROM opened o JOIN svc_rules r ON r.role = o.role
        ), clocks AS (
            SELECT d.case_id, d.rule_key, d.right_number, d.event_id, d.opened_on AS clock_start,
                   CAST(d.working_days AS INTEGER) AS working_days, d.enhanced, c2.day AS due_on, d.rid,
                   d.spoc_username
            FROM due d
            JOIN svc_calendar c1 ON c1.day = d.opened_on
            LEFT JOIN svc_calendar c2 ON d.working_days IS NOT NULL AND c2.working
                                     AND c2.ordinal = c1.ordinal + d.working_days
        ), delivered AS (
            -- history: a closed case's entitlements were all delivered; an open case's past
            -- deadlines were met unless it is one of the few left overdue
            SELECT k.*, h.closed_on,
                   h.status = 'closed' OR (h.deliver_past AND k.due_on < h.today) AS met,
                   (k.rid + k.right_number) % h.late_every = 0 AND h.status = 'closed' AS late
            FROM clocks k JOIN svc_history h USING (rid)
        )
        SELECT case_id, rule_key, right_number, event_id, clock_start, working_days, enhanced, due_on,
               CASE WHEN met THEN 'met' ELSE 'open' END AS status,
               CASE WHEN NOT met THEN NULL
                    WHEN due_on IS NULL THEN least(clock_start + CAST(rid % 10 AS INTEGER), closed_on)
                    WHEN late THEN least(due_on + CAST(1 + rid % 5 AS INTEGER), closed_on)
                    ELSE greatest(clock_start, due_on - CAST(rid % 2 AS INTEGER)) END AS met_on,
               CASE WHEN met THEN spoc_username END AS met_by,
               CASE WHEN met THEN 'Recorded in the imported history' END AS note,
               1 AS version
        FROM delivered
        ORDER BY case_id, rule_key""")
    for e in entitlements:
        if e["working_days"] is not None and pd.isna(e["working_days"]):
            e["working_days"] = None
        if e["due_on"] is not None and pd.isna(e["due_on"]):
            e["due_on"] = None
    s.execute(insert(Entitlement), entitlements)


_DUPLICATES_SQL = """
WITH fresh AS (
    SELECT DISTINCT p.person_id, f.team, f.source_person_id, f.name_key, f.date_of_birth
    FROM svc_fresh f JOIN svc_people p USING (rid)
), ids AS (
    SELECT person_id, team, source_person_id FROM svc_known_ids
    UNION SELECT person_id, team, source_person_id FROM fresh WHERE source_person_id IS NOT NULL
), people AS (
    SELECT person_id, team, name_key, date_of_birth FROM svc_known_people
    UNION SELECT person_id, team, name_key, date_of_birth FROM fresh
), pairs AS (
    SELECT a.person_id AS a_id, a.team AS a_team, b.person_id AS b_id, b.team AS b_team,
           'source_id' AS matched_on, 1 AS preference
    FROM fresh a JOIN ids b ON b.source_person_id = a.source_person_id AND b.team <> a.team
    UNION ALL
    SELECT a.person_id, a.team, b.person_id, b.team, 'name_and_date_of_birth', 2
    FROM fresh a JOIN people b ON b.name_key = a.name_key AND b.date_of_birth = a.date_of_birth
                              AND a.name_key <> '|' AND b.team <> a.team
), ordered AS (
    SELECT least(a_id, b_id) AS person_id, greatest(a_id, b_id) AS other_person_id,
           CASE WHEN a_id < b_id THEN a_team ELSE b_team END AS team,
           CASE WHEN a_id < b_id THEN b_team ELSE a_team END AS other_team, matched_on, preference
    FROM pairs
)
SELECT person_id, other_person_id, team, other_team, matched_on, 'open' AS status, 1 AS version
FROM ordered o
WHERE NOT EXISTS (SELECT 1 FROM svc_flagged x
                  WHERE x.person_id = o.person_id AND x.other_person_id = o.other_person_id)
QUALIFY row_number() OVER (PARTITION BY person_id, other_person_id ORDER BY preference) = 1
ORDER BY person_id, other_person_id
"""


def _flag_possible_duplicates(con: Any, s: Session) -> int:
    """People other teams hold who may be the same as those imported: flagged for a supervisor of
    both teams, never joined (a team's cases use only that team's records)."""
    rows = _records(con, _DUPLICATES_SQL)
    if rows:
        s.execute(insert(PossibleDuplicate), rows)
    return len(rows)


def _report(con: Any, total: int, fresh: int, persons: int, cases: int, duplicates: int) -> ImportReport:
    joined = int(con.execute("SELECT count(*) FROM svc_referral_cases WHERE joined_existing")
                 .fetchone()[0])
    closed = int(con.execute("SELECT count(*) FROM svc_history WHERE status = 'closed'").fetchone()[0])
    return ImportReport(referrals_read=total, already_imported=total - fresh, cases_opened=cases,
                        referrals_joined=joined, persons_created=persons, possible_duplicates=duplicates,
                        cases_closed=closed)


def _audit(s: Session, actor: Actor, report: ImportReport) -> None:
    record_event(s, actor=actor.username, role=actor.role, action="case.bulk_open", subject_type="import",
                 subject_id=SOURCE, purpose="opening cases from agency referrals",
                 detail={"cases_opened": report.cases_opened, "referrals_joined": report.referrals_joined,
                         "persons_created": report.persons_created,
                         "possible_duplicates": report.possible_duplicates,
                         "cases_closed": report.cases_closed,
                         "already_imported": report.already_imported})
