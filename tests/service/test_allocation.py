"""Issue 10 finding 2: a case is held only by an active caseworker or supervisor of its team.

Allocation on opening (including a named ``spoc_username``), handover and a supervisor's
reallocation of one case or many are each checked against the ``Staff`` directory the service is
given, and audited with who received the case.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor, load_access_reasons
from localjustice.audit import AuditEvent
from localjustice.service import (
    CaseService,
    InvalidInput,
    NotAllowed,
    NotFound,
    StaffList,
    StaleEdit,
    parse_input,
)
from localjustice.service.schemas import HandoverIn, ReallocationIn, ReferralIn
from tests.service.conftest import (
    ADMIN,
    ANALYST,
    BOARD,
    CASEWORKER,
    COLLEAGUE,
    OTHER_TEAM,
    STAFF,
    SUPERVISOR,
)

REASON = load_access_reasons().parse("case", "supervision")

Referral = Callable[..., ReferralIn]
NORTH_SUPERVISOR = Actor("sv.ivy", "supervisor", ("north",), "Ivy Supervisor")


def _events(sessions: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.mark.parametrize("to_username",
                         ["no-such-user", ANALYST.username, BOARD.username, OTHER_TEAM.username])
def test_a_handover_only_to_a_caseworker_of_the_team(
        service: CaseService, referral: Referral, to_username: str) -> None:
    """Issue 10 finding 2: handing over to a stranger, an analyst or another team's caseworker is refused."""
    case_id = service.receive_referral(CASEWORKER, referral()).case_id
    case = service.get_case(CASEWORKER, case_id, purpose=REASON)
    with pytest.raises(InvalidInput) as raised:
        service.hand_over(CASEWORKER, case_id, HandoverIn(to_username=to_username, to_name="Anyone",
                                                          reason="Leaving"), expected_version=case.version)
    assert list(raised.value.errors) == ["to_username"]
    after = service.get_case(CASEWORKER, case_id, purpose=REASON)
    assert after.spoc_username == "cw.amber" and len(after.handovers) == 1


def test_a_handover_names_the_receiver_from_their_account_and_audits_them(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    """Issue 10 finding 2: the audit event records who received the case."""
    case_id = service.receive_referral(CASEWORKER, referral()).case_id
    case = service.get_case(CASEWORKER, case_id, purpose=REASON)
    service.hand_over(CASEWORKER, case_id, HandoverIn(to_username="cw.basil", to_name="Mallory Spoof",
                                                      reason="Leave"), expected_version=case.version)
    assert service.get_case(CASEWORKER, case_id, purpose=REASON).spoc_name == "Basil Caseworker"
    (event,) = _events(sessions, "case.handover")
    assert event.detail["to_username"] == "cw.basil" and event.detail["from_username"] == "cw.amber"
    (opened,) = _events(sessions, "case.open")
    assert opened.detail["spoc_username"] == "cw.amber"


@pytest.mark.parametrize("spoc", [BOARD.username, ANALYST.username, "no-such-user", OTHER_TEAM.username])
def test_a_new_case_is_allocated_only_to_a_caseworker_of_its_team(
        service: CaseService, referral: Referral, spoc: str) -> None:
    """Issue 10 finding 2: spoc_username on creation must be an active caseworker of the case's team."""
    with pytest.raises(InvalidInput) as raised:
        service.receive_referral(CASEWORKER, referral(), spoc_username=spoc)
    assert list(raised.value.errors) == ["spoc_username"]
    with pytest.raises(InvalidInput):
        service.receive_referral(ADMIN, referral())  # an admin must name who holds it
    opened = service.receive_referral(ADMIN, referral(), spoc_username="cw.basil")
    assert service.get_case(ADMIN, opened.case_id, purpose=REASON).spoc_name == "Basil Caseworker"


def test_a_supervisor_reallocates_many_cases_at_once_each_audited(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    """Issue 10 finding 2: reallocation lists each caseworker's caseload and moves chosen cases."""
    ids = [service.receive_referral(CASEWORKER, referral(crime_id=f"CR-{i}")).case_id for i in range(3)]
    page = service.allocation(SUPERVISOR, "north", from_username="cw.amber")
    loads = {w.username: w.open_cases for w in page.caseworkers}
    assert loads == {"cw.amber": 3, "cw.basil": 0, "sv.dove": 0}
    versions = {c.id: c.version for c in page.cases}
    assert sorted(versions) == ids
    chosen = [{"case_id": i, "version": versions[i]} for i in ids[:2]]
    result = service.reallocate(SUPERVISOR, parse_input(ReallocationIn, {
        "team": "north", "cases": chosen, "to_username": "cw.basil", "reason": "Amber on leave"}))
    assert result.cases == ids[:2] and result.to_name == "Basil Caseworker"
    loads = {w.username: w.open_cases for w in service.allocation(SUPERVISOR, "north").caseworkers}
    assert loads == {"cw.amber": 1, "cw.basil": 2, "sv.dove": 0}
    events = _events(sessions, "case.reallocate")
    assert [(e.subject_id, e.detail["to_username"], e.detail["from_username"]) for e in events] == [
        (str(i), "cw.basil", "cw.amber") for i in ids[:2]]
    handovers = service.get_case(SUPERVISOR, ids[0], purpose=REASON).handovers
    assert [(h.to_username, h.reason, h.by_username) for h in handovers][-1] == (
        "cw.basil", "Amber on leave", "sv.dove")


def test_a_reallocation_is_all_or_nothing_and_only_for_supervisors_of_the_team(
        service: CaseService, referral: Referral) -> None:
    """Issue 10 finding 2: a stale case, another team's case or a non-caseworker moves nothing."""
    first, second = (service.receive_referral(CASEWORKER, referral(crime_id=f"CR-{i}")).case_id
                     for i in range(2))
    south = service.receive_referral(OTHER_TEAM, referral(team="south", crime_id="CR-S")).case_id

    def move(actor: object, cases: list[tuple[int, int]], to: str = "cw.basil",
             team: str = "north") -> object:
        return service.reallocate(actor, parse_input(ReallocationIn, {  # type: ignore[arg-type]
            "team": team, "cases": [{"case_id": c, "version": v} for c, v in cases], "to_username": to,
            "reason": "Rebalancing"}))

    with pytest.raises(StaleEdit):
        move(SUPERVISOR, [(first, 1), (second, 0)])
    with pytest.raises(NotFound):
        move(SUPERVISOR, [(first, 1), (south, 1)])
    with pytest.raises(InvalidInput) as raised:
        move(SUPERVISOR, [(first, 1)], to=ANALYST.username)
    assert list(raised.value.errors) == ["to_username"]
    with pytest.raises(NotAllowed):
        move(COLLEAGUE, [(first, 1)])
    with pytest.raises(InvalidInput):
        move(NORTH_SUPERVISOR, [(south, 1)], to="cw.cedar", team="south")
    held = service.allocation(SUPERVISOR, "north", from_username="cw.amber").cases
    assert [c.id for c in held] == [first, second] and {c.spoc_username for c in held} == {"cw.amber"}
    with pytest.raises(InvalidInput) as empty:
        parse_input(ReallocationIn, {"team": "north", "reason": "x" * 5})
    assert empty.value.errors == {"cases": "Select at least one case to reallocate",
                                  "to_username": "Select the caseworker who will take the cases"}


def test_someone_no_longer_a_caseworker_of_the_team_still_shows_with_the_cases_they_hold(
        sessions: sessionmaker[Session], referral: Referral, clock: object) -> None:
    """Issue 10 finding 2: the cases of someone who left (deactivated, or moved team) can be moved."""
    service = CaseService(sessions, staff=STAFF, today=clock)  # type: ignore[arg-type]
    case_id = service.receive_referral(CASEWORKER, referral()).case_id
    left = StaffList({"north": [c for c in STAFF.team_caseworkers("north") if c.username != "cw.amber"]})
    after = CaseService(sessions, staff=left, today=clock)  # type: ignore[arg-type]
    rows = {w.username: (w.role, w.open_cases) for w in after.allocation(ADMIN, "north").caseworkers}
    assert rows["cw.amber"] == ("not a caseworker of this team", 1)
    assert after.allocation(ADMIN).teams == ["north"]
    held = after.allocation(SUPERVISOR, "north", from_username="cw.amber").cases
    after.reallocate(SUPERVISOR, parse_input(ReallocationIn, {
        "team": "north", "cases": [{"case_id": case_id, "version": held[0].version}],
        "to_username": "cw.basil", "reason": "Amber has left"}))
    rows = {w.username: w.open_cases for w in after.allocation(SUPERVISOR, "north").caseworkers}
    assert "cw.amber" not in rows and rows["cw.basil"] == 1
