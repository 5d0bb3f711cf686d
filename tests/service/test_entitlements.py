"""Events start Victims' Code clocks; enhanced rights shorten them; a new event restarts them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from localjustice.service import CaseService, InvalidInput, StaleEdit
from localjustice.service.schemas import AssessmentIn, CaseEventIn, EntitlementMetIn, ReferralIn
from tests.service.conftest import CASEWORKER, Clock

Referral = Callable[..., ReferralIn]


def _open(service: CaseService, referral: Referral, **overrides: object) -> int:
    return service.receive_referral(CASEWORKER, referral(**overrides)).case_id


def _by_key(service: CaseService, case_id: int, key: str) -> list[tuple[str, date | None]]:
    case = service.get_case(CASEWORKER, case_id)
    return [(e.status, e.due_on) for e in case.entitlements if e.rule_key == key]


def test_a_charge_decision_gives_five_working_days(service: CaseService, referral: Referral) -> None:
    case_id = _open(service, referral)
    [created] = service.record_event(CASEWORKER, case_id, CaseEventIn(kind="charge_decision",
                                                                      occurred_on=date(2024, 3, 1)))
    assert (created.rule_key, created.due_on, created.enhanced) == ("told_of_charge_decision",
                                                                    date(2024, 3, 8), False)


def test_an_enhanced_rights_victim_gets_one_working_day_friday_to_monday(
        service: CaseService, referral: Referral) -> None:
    case_id = _open(service, referral, enhanced_rights=["vulnerable_or_intimidated"])
    [created] = service.record_event(CASEWORKER, case_id, CaseEventIn(kind="charge_decision",
                                                                      occurred_on=date(2024, 3, 1)))
    assert created.enhanced and created.working_days == 1
    assert created.due_on == date(2024, 3, 4)


def test_a_charge_decision_before_christmas_2022_runs_over_the_bank_holidays(
        service: CaseService, referral: Referral, clock: Clock) -> None:
    clock.today = date(2022, 12, 22)
    case_id = _open(service, referral, referral_date=date(2022, 12, 22))
    assert _by_key(service, case_id, "referral_to_support") == [("open", date(2022, 12, 28))]


def test_a_new_bail_decision_restarts_a_running_clock(service: CaseService, referral: Referral) -> None:
    case_id = _open(service, referral)
    service.record_event(CASEWORKER, case_id, CaseEventIn(kind="bail_decision", occurred_on=date(2024, 3, 4)))
    service.record_event(CASEWORKER, case_id, CaseEventIn(kind="bail_decision", occurred_on=date(2024, 3, 6)))
    assert _by_key(service, case_id, "told_of_bail") == [("superseded", date(2024, 3, 11)),
                                                         ("open", date(2024, 3, 13))]


def test_a_restart_never_hides_a_deadline_already_missed(
        service: CaseService, referral: Referral, clock: Clock) -> None:
    case_id = _open(service, referral)
    service.record_event(CASEWORKER, case_id, CaseEventIn(kind="bail_decision", occurred_on=date(2024, 3, 4)))
    clock.today = date(2024, 3, 20)
    service.record_event(CASEWORKER, case_id,
                         CaseEventIn(kind="bail_decision", occurred_on=date(2024, 3, 20)))
    assert _by_key(service, case_id, "told_of_bail") == [("open", date(2024, 3, 11)),
                                                         ("open", date(2024, 3, 27))]


def test_a_once_only_entitlement_is_not_repeated(service: CaseService, referral: Referral) -> None:
    case_id = _open(service, referral)
    for day in (5, 6):
        service.record_event(CASEWORKER, case_id, CaseEventIn(kind="outcome", occurred_on=date(2024, 3, day)))
    assert len(_by_key(service, case_id, "told_of_outcome")) == 1


def test_the_assessment_meets_the_referral_to_support_entitlement(
        service: CaseService, referral: Referral) -> None:
    case_id = _open(service, referral)
    service.save_assessment(CASEWORKER, case_id, AssessmentIn(risk_level="standard"), expected_version=None)
    case = service.get_case(CASEWORKER, case_id)
    support = next(e for e in case.entitlements if e.rule_key == "referral_to_support")
    assert (support.status, support.met_on) == ("met", date(2024, 3, 4))


def test_marking_an_entitlement_met_on_time_or_late(
        service: CaseService, referral: Referral, clock: Clock) -> None:
    case_id = _open(service, referral)
    [on_time] = service.record_event(CASEWORKER, case_id, CaseEventIn(kind="charge_decision",
                                                                      occurred_on=date(2024, 3, 1)))
    met = service.mark_entitlement_met(CASEWORKER, on_time.id, EntitlementMetIn(met_on=date(2024, 3, 4)),
                                       expected_version=on_time.version)
    assert met.status == "met" and met.met_on is not None and met.due_on is not None
    assert met.met_on <= met.due_on
    with pytest.raises(StaleEdit):
        service.mark_entitlement_met(CASEWORKER, on_time.id, EntitlementMetIn(met_on=date(2024, 3, 4)),
                                     expected_version=on_time.version)


def test_an_entitlement_cannot_be_met_before_its_clock_started(
        service: CaseService, referral: Referral) -> None:
    case_id = _open(service, referral)
    [created] = service.record_event(CASEWORKER, case_id, CaseEventIn(kind="charge_decision",
                                                                      occurred_on=date(2024, 3, 1)))
    with pytest.raises(InvalidInput) as raised:
        service.mark_entitlement_met(CASEWORKER, created.id, EntitlementMetIn(met_on=date(2024, 2, 28)),
                                     expected_version=created.version)
    assert "met_on" in raised.value.errors


def test_unknown_or_system_events_are_refused_with_a_field_error(
        service: CaseService, referral: Referral) -> None:
    case_id = _open(service, referral)
    for kind in ("arrest_made", "case_opened"):
        with pytest.raises(InvalidInput) as raised:
            service.record_event(CASEWORKER, case_id, CaseEventIn(kind=kind, occurred_on=date(2024, 3, 1)))
        assert "kind" in raised.value.errors


def test_enhanced_rights_found_later_shorten_running_clocks(
        service: CaseService, referral: Referral) -> None:
    case_id = _open(service, referral)
    service.record_event(CASEWORKER, case_id,
                         CaseEventIn(kind="charge_decision", occurred_on=date(2024, 3, 1)))
    case = service.get_case(CASEWORKER, case_id)
    service.set_enhanced_rights(CASEWORKER, case_id, ["persistently_targeted"], expected_version=case.version)
    assert _by_key(service, case_id, "told_of_charge_decision") == [("open", date(2024, 3, 4))]
