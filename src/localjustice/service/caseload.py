"""Staffing and history for a case service opened from years of referrals (the demo's import).

Opening every referral since the data begin as an open case gives one caseworker thousands of
cases, all overdue. A real service has closed most of them, each with an outcome, and holds only
the last few weeks' as open work. ``History`` says what 'today' is and how the past reads
(``caseload.toml``): ``import_referrals`` closes the cases older than ``open_weeks`` and records
their entitlements as delivered, mostly on time, set-wise in the same transaction. ``plan_staff``
sizes each team from the referral volume so that each caseworker holds about
``target_open_cases`` open cases, with synthetic names.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from localjustice.errors import LocalJusticeError
from localjustice.warehouse import Warehouse, as_duckdb, current_table


@dataclass(frozen=True)
class CaseloadPolicy:
    """How the demo staffs its teams and how its history reads (see ``caseload.toml``)."""

    target_open_cases: int
    open_weeks: int
    days_open: tuple[int, int]
    late_every: int
    overdue_every: int
    outcomes: tuple[str, ...]
    forenames: tuple[str, ...]
    surnames: tuple[str, ...]


@dataclass(frozen=True)
class History:
    """'Today' for an import, and the policy that closes what is older (injectable for tests)."""

    today: date
    policy: CaseloadPolicy = field(default_factory=lambda: _policy())

    @property
    def open_since(self) -> date:
        """Cases whose referral is on or after this day stay open."""
        return self.today - timedelta(weeks=self.policy.open_weeks)


def _policy() -> CaseloadPolicy:
    return load_caseload_policy()


@cache
def load_caseload_policy() -> CaseloadPolicy:
    raw = tomllib.loads((resources.files("localjustice.service") / "caseload.toml").read_text("utf-8"))
    return parse_caseload_policy(raw)


def parse_caseload_policy(raw: dict[str, Any]) -> CaseloadPolicy:
    """The policy from its TOML, refusing numbers that cannot work."""
    try:
        low, high = (int(d) for d in raw["days_open"])
        policy = CaseloadPolicy(
            target_open_cases=int(raw["target_open_cases"]), open_weeks=int(raw["open_weeks"]),
            days_open=(low, high), late_every=int(raw["late_every"]),
            overdue_every=int(raw["overdue_every"]), outcomes=tuple(str(o) for o in raw["outcomes"]),
            forenames=tuple(str(n) for n in raw["forenames"]),
            surnames=tuple(str(n) for n in raw["surnames"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LocalJusticeError(f"caseload.toml is invalid: {exc}") from None
    problems = [name for name, ok in (
        ("target_open_cases must be 1 or more", policy.target_open_cases >= 1),
        ("open_weeks must be 1 or more", policy.open_weeks >= 1),
        ("days_open must be two days, the first 1 or more and not after the second",
         1 <= policy.days_open[0] <= policy.days_open[1]),
        ("late_every and overdue_every must be 1 or more", min(policy.late_every, policy.overdue_every) >= 1),
        ("outcomes must not be empty", bool(policy.outcomes)),
        ("forenames and surnames must not be empty", bool(policy.forenames and policy.surnames)),
    ) if not ok]
    if problems:
        raise LocalJusticeError("caseload.toml is invalid: " + "; ".join(problems))
    return policy


def data_today(warehouse: Warehouse, history_weeks: int, *, real_today: date | None = None) -> date:
    """'Today' for the demo: the real date, unless the referrals end more than ``history_weeks``
    before it (old synthetic data), when the day after the last referral is used instead, so the
    demo still shows open work rather than a service where everything closed long ago."""
    real = real_today or date.today()
    last = as_duckdb(warehouse).connection.cursor().execute(
        f"SELECT max(referral_date) FROM {current_table('victim_referrals')}").fetchone()
    end: date | None = last[0] if last else None
    if end is None or end >= real - timedelta(weeks=history_weeks):
        return real
    return end + timedelta(days=1)


def open_referrals_by_team(warehouse: Warehouse, team_by_borough: dict[str, str], default_team: str,
                           history: History) -> dict[str, int]:
    """How many referrals each team receives in the open window (one query in the warehouse):
    close to the open cases each will hold, as referrals for one person and crime join a case."""
    con = as_duckdb(warehouse).connection.cursor()
    mapping = [(b, t) for b, t in team_by_borough.items()] or [("", default_team)]
    values = ", ".join("(?, ?)" for _ in mapping)
    rows = con.execute(f"""
        WITH teams(borough_code, team) AS (VALUES {values})
        SELECT coalesce(t.team, ?) AS team, count(DISTINCT r.referral_id)
        FROM {current_table('victim_referrals')} r LEFT JOIN teams t USING (borough_code)
        WHERE r.referral_date >= ? AND r.referral_date <= ?
        GROUP BY ALL""", [*(v for pair in mapping for v in pair), default_team, history.open_since,
                          history.today]).fetchall()
    return {str(team): int(n) for team, n in rows}


def plan_staff(teams: list[str], open_referrals: dict[str, int], policy: CaseloadPolicy,
               codes: dict[str, str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Caseworkers per team, (username, display name), enough that each holds about
    ``target_open_cases`` open cases (at least one per team). Names are synthetic: forenames and
    surnames from ``caseload.toml`` combined in turn, never a real person's."""
    codes = codes or {}
    staff: dict[str, list[tuple[str, str]]] = {}
    n_fore, n_sur = len(policy.forenames), len(policy.surnames)
    given = 0
    for t, team in enumerate(teams):
        count = max(1, math.ceil(open_referrals.get(team, 0) / policy.target_open_cases))
        prefix = (codes.get(team) or f"t{t + 1}").lower()
        people = []
        for i in range(count):
            forename = policy.forenames[given % n_fore]
            surname = policy.surnames[(given // n_fore + given * 5) % n_sur]
            people.append((f"cw-{prefix}-{i + 1:02d}", f"{forename} {surname}"))
            given += 1
        staff[team] = people
    return staff
