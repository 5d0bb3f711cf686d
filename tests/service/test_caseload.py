"""The demo's import of years of referrals: teams by borough, caseloads of tens, history closed."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.area import load_case_teams
from localjustice.errors import LocalJusticeError
from localjustice.service import Allocation, import_referrals
from localjustice.service.caseload import (
    History,
    data_today,
    load_caseload_policy,
    open_referrals_by_team,
    parse_caseload_policy,
    plan_staff,
)
from localjustice.service.models import Case, Entitlement
from localjustice.warehouse import Warehouse
from tests.service.conftest import STEWARD
from tests.service.referral_data import load_referrals

TODAY = date(2026, 11, 18)  # a Wednesday
TEAMS = load_case_teams("london")
# two boroughs of Central East, one of North West, and the City (served by Central East)
BOROUGHS = ["E09000012", "E09000030", "E09000005", "E09000001"]


def test_london_teams_are_the_twelve_basic_command_units() -> None:
    assert len(TEAMS.teams) == 12
    assert len(TEAMS.team_by_borough) == 33  # every authority reaches exactly one team
    by = TEAMS.team_by_borough
    assert by["E09000012"] == by["E09000030"] == "Central East"  # Hackney, Tower Hamlets
    assert {by[c] for c in ("E09000003", "E09000005", "E09000015")} == {"North West"}  # Barnet, Brent, Harrow
    assert sorted(b for b, t in by.items() if t == "South West") == [
        "E09000021", "E09000024", "E09000027", "E09000032"]  # Kingston, Merton, Richmond, Wandsworth
    assert by["E09000001"] == "Central East"  # the City: not Met-policed, served by its neighbour


def test_a_bad_policy_is_refused_with_what_is_wrong() -> None:
    raw = {"target_open_cases": 0, "open_weeks": 6, "days_open": [14, 40], "late_every": 12,
           "overdue_every": 15, "outcomes": ["Done"], "forenames": ["A"], "surnames": ["B"]}
    with pytest.raises(LocalJusticeError, match="target_open_cases must be 1 or more"):
        parse_caseload_policy(raw)


def test_staff_are_sized_from_the_open_referrals(warehouse: Warehouse) -> None:
    load_referrals(warehouse, TODAY, weeks=20, per_day=8, boroughs=BOROUGHS)
    history = History(TODAY)
    counts = open_referrals_by_team(warehouse, TEAMS.team_by_borough, "Central East", history)
    open_days = (TODAY - history.open_since).days
    assert counts == {"Central East": open_days * 6, "North West": open_days * 2}
    staff = plan_staff(TEAMS.names, counts, history.policy)
    target = history.policy.target_open_cases
    assert len(staff["Central East"]) == math.ceil(open_days * 6 / target)
    assert len(staff["South Area"]) == 1  # no referrals: still someone to hold a case
    names = [n for people in staff.values() for _, n in people]
    assert len(set(names)) == len(names)


def test_data_today_is_the_real_date_unless_the_data_are_old(warehouse: Warehouse) -> None:
    load_referrals(warehouse, TODAY, weeks=4, per_day=1, boroughs=BOROUGHS)
    assert data_today(warehouse, 6, real_today=TODAY + timedelta(days=10)) == TODAY + timedelta(days=10)
    assert data_today(warehouse, 6, real_today=date(2030, 1, 1)) == TODAY  # day after the last referral


def test_history_is_closed_with_outcomes_and_today_is_open_work(
        warehouse: Warehouse, sessions: sessionmaker[Session]) -> None:
    load_referrals(warehouse, TODAY, weeks=20, per_day=8, boroughs=BOROUGHS)
    history = History(TODAY)
    policy = history.policy
    counts = open_referrals_by_team(warehouse, TEAMS.team_by_borough, "Central East", history)
    staff = plan_staff(TEAMS.names, counts, policy)
    report = import_referrals(warehouse, sessions, STEWARD, Allocation(
        default_team="Central East", caseworkers=staff, team_by_borough=TEAMS.team_by_borough),
        history=history)
    assert report.cases_opened == 20 * 7 * 8
    with sessions() as s:
        cases = s.scalars(select(Case)).all()
        closed = [c for c in cases if c.status == "closed"]
        still_open = [c for c in cases if c.status == "open"]
        assert {c.opened_on < history.open_since for c in closed} == {True}
        assert {c.opened_on >= history.open_since for c in still_open} == {True}
        low, high = policy.days_open
        assert all(low <= (c.closed_on - c.opened_on).days <= high for c in closed if c.closed_on)
        assert {c.closure_reason for c in closed} == set(policy.outcomes)
        assert {c.team for c in cases} == {"Central East", "North West"}
        # tens of open cases each, shared evenly
        loads = dict(s.execute(select(Case.spoc_username, func.count()).where(Case.status == "open")
                               .group_by(Case.spoc_username)).all())
        assert max(loads.values()) <= policy.target_open_cases + 1
        assert max(loads.values()) - min(loads.values()) <= 1
        ents = s.scalars(select(Entitlement)).all()
        by_case = {c.id: c for c in cases}
        closed_ents = [e for e in ents if by_case[e.case_id].status == "closed"]
        assert {e.status for e in closed_ents} == {"met"}
        timed = [e for e in closed_ents if e.due_on is not None]
        late = [e for e in timed if e.met_on and e.met_on > e.due_on]
        assert 0 < len(late) < len(timed) / 5  # mostly on time
        assert all(e.clock_start <= e.met_on <= by_case[e.case_id].closed_on for e in closed_ents
                   if e.met_on and by_case[e.case_id].closed_on)
        open_ents = [e for e in ents if by_case[e.case_id].status == "open" and e.due_on is not None]
        overdue = {e.case_id for e in open_ents if e.status == "open" and e.due_on < TODAY}
        upcoming = [e for e in open_ents if e.status == "open" and e.due_on >= TODAY]
        assert upcoming  # today's cases have deadlines to come
        assert 0 < len(overdue) <= len(still_open) / policy.overdue_every + 1  # a few genuinely overdue
        assert all(e.met_on <= e.due_on for e in open_ents if e.status == "met" and e.met_on)


def test_policy_ships_with_outcomes_and_synthetic_names() -> None:
    policy = load_caseload_policy()
    assert policy.outcomes and policy.target_open_cases >= 10
