"""Compliance by right, team and month; overdue work per caseworker and team."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from localjustice.service import CaseService, ComplianceReports, NotAllowed
from localjustice.service.schemas import CaseEventIn, EntitlementMetIn, HandoverIn, ReferralIn
from tests.service.conftest import BOARD, CASEWORKER, OTHER_TEAM, STEWARD, SUPERVISOR, Clock

Referral = Callable[..., ReferralIn]


def _charge(service: CaseService, case_id: int, on: date) -> tuple[int, int]:
    [e] = service.record_event(CASEWORKER, case_id, CaseEventIn(kind="charge_decision", occurred_on=on))
    return e.id, e.version


def test_compliance_counts_on_time_late_and_overdue_by_right_team_and_month(
        service: CaseService, reports: ComplianceReports, referral: Referral, clock: Clock) -> None:
    clock.today = date(2024, 3, 1)
    ids = [service.receive_referral(CASEWORKER, referral(referral_id=f"R{i}", crime_id=f"C{i}",
                                                         referral_date=date(2024, 3, 1))).case_id
           for i in range(3)]
    on_time, late, _missed = (_charge(service, i, date(2024, 3, 1)) for i in ids)  # due Fri 8 March
    clock.today = date(2024, 3, 20)
    service.mark_entitlement_met(CASEWORKER, on_time[0], EntitlementMetIn(met_on=date(2024, 3, 8)),
                                 expected_version=on_time[1])
    service.mark_entitlement_met(CASEWORKER, late[0], EntitlementMetIn(met_on=date(2024, 3, 11)),
                                 expected_version=late[1])
    rows = {(r.right_number, r.team, r.month): r for r in reports.compliance(BOARD)}
    right6 = rows[(6, "north", "2024-03")]
    assert (right6.due, right6.met_on_time, right6.met_late, right6.overdue) == (3, 1, 1, 1)
    assert right6.share_on_time == pytest.approx(1 / 3, abs=1e-4)
    right4 = rows[(4, "north", "2024-03")]  # referral to support due 5 March, never met
    assert (right4.due, right4.overdue, right4.share_on_time) == (3, 3, 0.0)
    assert reports.compliance(OTHER_TEAM) == []


def test_clocks_still_running_are_not_counted_yet(
        service: CaseService, reports: ComplianceReports, referral: Referral) -> None:
    service.receive_referral(CASEWORKER, referral())  # today 4 March; referral_to_support due 6 March
    assert reports.compliance(SUPERVISOR) == []


def test_overdue_work_is_listed_per_caseworker_and_team(
        service: CaseService, reports: ComplianceReports, referral: Referral, clock: Clock) -> None:
    first = service.receive_referral(CASEWORKER, referral(referral_id="R1", crime_id="C1")).case_id
    service.receive_referral(CASEWORKER, referral(referral_id="R2", crime_id="C2"))
    case = service.get_case(CASEWORKER, first)
    service.hand_over(SUPERVISOR, first, HandoverIn(to_username="cw.basil", to_name="Basil", reason="Leave"),
                      expected_version=case.version)
    clock.today = date(2024, 3, 8)
    report = reports.overdue(SUPERVISOR)
    assert {(c.key, c.overdue) for c in report.by_caseworker} == {("cw.amber", 1), ("cw.basil", 1)}
    assert [(t.key, t.overdue) for t in report.by_team] == [("north", 2)]
    assert {i.rule_key for i in report.items} == {"referral_to_support"}
    assert all(i.working_days_late == 2 for i in report.items)  # due Wed 6, today Fri 8
    assert len(reports.overdue(CASEWORKER, spoc_username="cw.basil").items) == 1
    assert reports.overdue(OTHER_TEAM).items == []


def test_roles_without_case_access_cannot_list_overdue_work(reports: ComplianceReports) -> None:
    with pytest.raises(NotAllowed):
        reports.overdue(BOARD)
    with pytest.raises(NotAllowed):
        reports.compliance(STEWARD)
