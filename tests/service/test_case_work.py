"""Assessed once, one named caseworker, consented sharing, contact as asked, and no lost edits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from localjustice.service import CaseService, InvalidInput, InvalidTransition, StaleEdit, parse_input
from localjustice.service.schemas import (
    AssessmentIn,
    CloseIn,
    ConsentIn,
    ContactIn,
    ContactPreferencesIn,
    CourtDateIn,
    ExpenseIn,
    ExpenseStatusIn,
    HandoverIn,
    OnwardReferralIn,
    OnwardReferralUpdate,
    ReferralIn,
    WitnessSupportIn,
)
from tests.service.conftest import CASEWORKER, COLLEAGUE, SUPERVISOR

Referral = Callable[..., ReferralIn]


@pytest.fixture
def case_id(service: CaseService, referral: Referral) -> int:
    return service.receive_referral(CASEWORKER, referral()).case_id


def test_the_assessment_is_done_once_and_a_second_first_assessment_is_told_it_is_stale(
        service: CaseService, case_id: int) -> None:
    service.save_assessment(CASEWORKER, case_id, AssessmentIn(risk_level="high", housing_need=True),
                            expected_version=None)
    with pytest.raises(StaleEdit) as raised:
        service.save_assessment(COLLEAGUE, case_id, AssessmentIn(risk_level="standard"),
                                expected_version=None)
    assert raised.value.attempted["risk_level"] == "standard"  # what they typed is kept
    case = service.get_case(CASEWORKER, case_id)
    assert case.assessment is not None and case.assessment.answers["risk_level"] == "high"


def test_a_revision_needs_a_reason_and_the_version_seen_and_keeps_every_version(
        service: CaseService, case_id: int) -> None:
    first = service.save_assessment(CASEWORKER, case_id, AssessmentIn(risk_level="medium"),
                                    expected_version=None)
    with pytest.raises(InvalidInput) as raised:
        service.save_assessment(CASEWORKER, case_id, AssessmentIn(risk_level="high"),
                                expected_version=first.version)
    assert "change_reason" in raised.value.errors
    second = service.save_assessment(CASEWORKER, case_id, AssessmentIn(
        risk_level="high", change_reason="Suspect released on bail"), expected_version=first.version)
    assert second.version == first.version + 1
    with pytest.raises(StaleEdit, match="changed by someone else"):
        service.save_assessment(COLLEAGUE, case_id, AssessmentIn(risk_level="standard", change_reason="x"),
                                expected_version=first.version)
    case = service.get_case(CASEWORKER, case_id)
    assert [r.assessment_version for r in case.assessment_revisions] == [1, 2]
    assert [r.answers["risk_level"] for r in case.assessment_revisions] == ["medium", "high"]


def test_a_provider_sees_only_what_consent_allows(service: CaseService, case_id: int) -> None:
    service.save_assessment(CASEWORKER, case_id, AssessmentIn(risk_level="high", emotional_need=True),
                            expected_version=None)
    isva = service.refer_onward(CASEWORKER, case_id, OnwardReferralIn(service="isva", provider="ISVA team"))
    pack = service.provider_pack(CASEWORKER, isva.id)
    assert pack.assessment is None and pack.forename is None
    assert set(pack.withheld) == {"contact_details", "case_details", "assessment"}
    service.set_consent(CASEWORKER, case_id, ConsentIn(recipient="isva", share_assessment=True,
                                                       share_contact_details=True), expected_version=None)
    pack = service.provider_pack(CASEWORKER, isva.id)
    assert pack.assessment is not None and pack.assessment["emotional_need"] is True  # no need to ask again
    assert pack.forename == "Ada" and pack.crime_id is None and pack.withheld == ["case_details"]


def test_consent_changes_need_the_version_seen(service: CaseService, case_id: int) -> None:
    first = service.set_consent(CASEWORKER, case_id, ConsentIn(recipient="idva"), expected_version=None)
    service.set_consent(CASEWORKER, case_id, ConsentIn(recipient="idva", share_assessment=True),
                        expected_version=first.version)
    with pytest.raises(StaleEdit):
        service.set_consent(COLLEAGUE, case_id, ConsentIn(recipient="idva"), expected_version=first.version)


def test_a_handover_is_recorded_with_its_reason_and_there_is_always_one_name(
        service: CaseService, case_id: int) -> None:
    case = service.get_case(CASEWORKER, case_id)
    service.hand_over(SUPERVISOR, case_id, HandoverIn(to_username="cw.basil", to_name="Basil Caseworker",
                                                      reason="Amber on leave"), expected_version=case.version)
    case = service.get_case(COLLEAGUE, case_id)  # Basil is now the allocated caseworker
    assert (case.spoc_username, case.spoc_name) == ("cw.basil", "Basil Caseworker")
    assert [(h.from_username, h.to_username, h.reason) for h in case.handovers] == [
        (None, "cw.amber", "Case opened"), ("cw.amber", "cw.basil", "Amber on leave")]
    with pytest.raises(StaleEdit):
        service.hand_over(CASEWORKER, case_id, HandoverIn(to_username="cw.amber", to_name="Amber",
                                                          reason="Back"), expected_version=case.version - 1)


def test_a_handover_to_a_team_out_of_reach_is_refused(service: CaseService, case_id: int) -> None:
    case = service.get_case(CASEWORKER, case_id)
    with pytest.raises(InvalidInput) as raised:
        service.hand_over(CASEWORKER, case_id, HandoverIn(to_username="cw.cedar", to_name="Cedar",
                                                          to_team="south", reason="Moved"),
                          expected_version=case.version)
    assert "to_team" in raised.value.errors


def test_onward_referrals_follow_their_life_cycle(service: CaseService, case_id: int) -> None:
    sent = service.refer_onward(CASEWORKER, case_id, OnwardReferralIn(service="counselling", provider="Talk"))
    accepted = service.update_onward_referral(CASEWORKER, sent.id, OnwardReferralUpdate(status="accepted"),
                                              expected_version=sent.version)
    with pytest.raises(InvalidInput) as raised:
        parse_input(OnwardReferralUpdate, {"status": "completed"})
    assert raised.value.errors == {"outcome": "Enter the outcome when a referral is declined or completed"}
    done = service.update_onward_referral(
        CASEWORKER, sent.id, OnwardReferralUpdate(status="completed", outcome="Six sessions"),
        expected_version=accepted.version)
    assert done.status == "completed"
    with pytest.raises(InvalidInput):
        service.update_onward_referral(CASEWORKER, sent.id, OnwardReferralUpdate(status="accepted"),
                                       expected_version=done.version)


def test_contact_honours_the_persons_preference(service: CaseService, case_id: int) -> None:
    case = service.get_case(CASEWORKER, case_id)
    service.set_contact_preferences(CASEWORKER, case_id, ContactPreferencesIn(
        contact_preference="email", email="ada@example.com"), expected_version=case.version)
    with pytest.raises(InvalidInput) as raised:
        service.log_contact(CASEWORKER, case_id, ContactIn(channel="phone", direction="outbound",
                                                           summary="Update on charge"))
    assert "preference_override" in raised.value.errors
    service.log_contact(CASEWORKER, case_id, ContactIn(channel="email", direction="outbound",
                                                       summary="Update on charge"))
    service.log_contact(CASEWORKER, case_id, ContactIn(channel="phone", direction="outbound", summary="Now",
                                                       preference_override="Safety risk: urgent warning"))
    service.log_contact(CASEWORKER, case_id, ContactIn(channel="phone", direction="inbound", summary="Rang"))
    assert len(service.get_case(CASEWORKER, case_id).contacts) == 3


def test_witness_pre_trial_support_court_dates_special_measures_and_expenses(
        service: CaseService, case_id: int) -> None:
    court = service.add_court_date(CASEWORKER, case_id, CourtDateIn(
        hearing_on=date(2024, 5, 1), hearing_type="trial", court="Snaresbrook Crown Court"))
    support = service.save_witness_support(CASEWORKER, case_id, WitnessSupportIn(
        pretrial_visit_offered_on=date(2024, 3, 4), special_measures_applied=["screens", "live_link"],
        special_measures_applied_on=date(2024, 3, 4)), expected_version=None)
    service.save_witness_support(CASEWORKER, case_id, WitnessSupportIn(
        pretrial_visit_offered_on=date(2024, 3, 4), pretrial_visit_on=date(2024, 4, 20),
        special_measures_applied=["screens", "live_link"], special_measures_applied_on=date(2024, 3, 4),
        special_measures_granted=["screens"], special_measures_decided_on=date(2024, 3, 4)),
        expected_version=support.version)
    claim = service.add_expense(CASEWORKER, case_id,
                                parse_input(ExpenseIn, {"kind": "travel", "amount": "12.40"}))
    paid = service.update_expense(CASEWORKER, claim.id, ExpenseStatusIn(status="paid"),
                                  expected_version=claim.version)
    case = service.get_case(CASEWORKER, case_id)
    assert court.court == "Snaresbrook Crown Court" and paid.status == "paid" and claim.amount_pence == 1240
    assert case.witness_support is not None and case.witness_support.special_measures_granted == ["screens"]
    kinds = [e.kind for e in case.events]
    assert kinds == ["case_opened", "hearing_date_set", "special_measures_decision"]
    hearing = next(e for e in case.entitlements if e.rule_key == "told_of_hearing")
    assert hearing.due_on == date(2024, 3, 5)  # 1 working day for every victim


def test_closing_lapses_clocks_not_yet_due_and_then_refuses_changes(
        service: CaseService, case_id: int) -> None:
    case = service.get_case(CASEWORKER, case_id)
    service.close_case(SUPERVISOR, case_id, CloseIn(outcome="support_completed", reason="Support completed",
                                                    closed_on=date(2024, 3, 4)),
                       expected_version=case.version)
    closed = service.get_case(CASEWORKER, case_id)
    assert closed.status == "closed" and closed.closed_on == date(2024, 3, 4)
    assert {e.status for e in closed.entitlements} == {"not_applicable"}
    with pytest.raises(InvalidTransition):
        service.log_contact(CASEWORKER, case_id, ContactIn(channel="phone", direction="inbound", summary="x"))
