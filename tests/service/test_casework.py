"""Risk and safety, supervision and a case's life (issue 17): every rule against a hand-worked case,
on SQLite and PostgreSQL.

Dates are chosen around Easter 2024 so deadlines cross bank holidays: Good Friday 29 March and
Easter Monday 1 April. Two working days after Thursday 28 March is Wednesday 3 April.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.audit import AuditEvent
from localjustice.service import CaseService, InvalidInput, NotAllowed, parse_input
from localjustice.service.casework import Casework
from localjustice.service.casework_rules import load_casework_rules, parse_casework_rules
from localjustice.service.casework_schemas import (
    ApprovalDecisionIn,
    FlagIn,
    ReopenIn,
    RiskAssessmentIn,
    SafeContactIn,
    SafetyActionIn,
)
from localjustice.service.risk import load_checklist, parse_checklist
from localjustice.service.schemas import (
    CaseEventIn,
    CloseIn,
    ContactIn,
    ContactPreferencesIn,
    OnwardReferralIn,
    ReferralIn,
)
from tests.service.conftest import CASEWORKER, COLLEAGUE, SUPERVISOR, Clock

Referral = Callable[..., ReferralIn]
CHECKLIST = load_checklist()
ALL_YES = {q.key: True for q in CHECKLIST.questions}


@pytest.fixture
def work(service: CaseService, tmp_path: Path) -> Casework:
    return Casework(service, documents_dir=tmp_path / "documents")


@pytest.fixture
def case_id(service: CaseService, referral: Referral, clock: Clock) -> int:
    clock.today = date(2024, 3, 28)
    return service.receive_referral(CASEWORKER, referral(referral_date=date(2024, 3, 28))).case_id


def _events(sessions: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _yes(n: int) -> dict[str, bool]:
    """``n`` yes answers among the questions that carry no ``at_least``."""
    plain = [q.key for q in CHECKLIST.questions if q.at_least is None]
    return dict.fromkeys(plain[:n], True)


# --- risk ---------------------------------------------------------------------------------------


def test_a_checklist_scores_yes_answers_against_its_thresholds_and_at_least() -> None:
    checklist = parse_checklist("""
        key = "t"
        title = "Test checklist"
        version = "1"
        citation = "test"
        reassess_after = "new_incident"
        reassess_within_working_days = 1
        [thresholds]
        medium = 3
        high = 5
        [[questions]]
        key = "a"
        text = "A?"
        score = 2
        [[questions]]
        key = "b"
        text = "B?"
        [[questions]]
        key = "c"
        text = "C?"
        score = 3
        [[questions]]
        key = "d"
        text = "D?"
        score = 0
        at_least = "high"
    """)
    assert checklist.score({}) == (0, "standard")
    assert checklist.score({"a": True}) == (2, "standard")
    assert checklist.score({"a": True, "b": True}) == (3, "medium")
    assert checklist.score({"a": True, "c": True}) == (5, "high")
    assert checklist.score({"b": True, "a": False}) == (1, "standard")
    assert checklist.score({"d": True}) == (0, "high")


def test_the_shipped_checklist_is_high_at_14_yes_answers_and_medium_at_8() -> None:
    assert CHECKLIST.score(_yes(7)) == (7, "standard")
    assert CHECKLIST.score(_yes(8)) == (8, "medium")
    assert CHECKLIST.score(_yes(13)) == (13, "medium")
    assert CHECKLIST.score(_yes(14)) == (14, "high")
    assert CHECKLIST.score({"strangled": True}) == (1, "high")


def test_a_high_level_creates_marac_and_idva_tasks_due_in_two_working_days_past_easter(
        work: Casework, case_id: int) -> None:
    result = work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(14)))
    assert result.assessment.level == "high" and result.assessment.status == "in_force"
    assert result.assessment.trigger == "initial"
    tasks = {t.key: t for t in result.tasks_created}
    assert set(tasks) == {"marac_referral", "idva_contact"}
    assert {t.due_on for t in tasks.values()} == {date(2024, 4, 3)}  # Good Friday and Easter Monday skipped
    assert all(t.working_days == 2 and t.clock_start == date(2024, 3, 28) for t in tasks.values())
    # assessed high again while the tasks are open: no second set
    again = work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(15)))
    assert again.tasks_created == []


def test_judgement_raises_the_level_only_with_a_reason(work: Casework, case_id: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(3), professional_level="high"))
    assert "judgement_reason" in refused.value.errors
    raised = work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(
        answers=_yes(3), professional_level="high", judgement_reason="Recent escalation reported by police"))
    assert (raised.assessment.scored_level, raised.assessment.level) == ("standard", "high")
    assert {t.key for t in raised.tasks_created} == {"marac_referral", "idva_contact"}


def test_lowering_the_level_waits_for_a_supervisor_and_is_never_silent(
        work: Casework, case_id: int, sessions: sessionmaker[Session]) -> None:
    work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(14)))
    # a checklist re-done with fewer yes answers is a lowering: it needs a reason
    with pytest.raises(InvalidInput) as refused:
        work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(2)))
    assert "not high" in refused.value.errors["judgement_reason"]
    lowered = work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(
        answers=_yes(2), judgement_reason="Perpetrator remanded in custody"))
    assert lowered.assessment.status == "pending_approval" and lowered.approval is not None
    assert lowered.in_force is not None and lowered.in_force.level == "high"
    view = work.cases.get_case(CASEWORKER, case_id).casework
    assert view is not None and view.risk is not None and view.risk.level == "high"
    assert view.risk_pending is not None and view.risk_pending.level == "standard"
    # the person who asked cannot approve; a caseworker cannot either
    with pytest.raises(NotAllowed):
        work.decide(COLLEAGUE, lowered.approval.id, ApprovalDecisionIn(decision="approve"),
                    expected_version=lowered.approval.version)
    decided = work.decide(SUPERVISOR, lowered.approval.id, ApprovalDecisionIn(decision="approve"),
                          expected_version=lowered.approval.version)
    assert decided.status == "approved" and decided.decided_by == SUPERVISOR.username
    after = work.cases.get_case(CASEWORKER, case_id).casework
    assert after is not None and after.risk is not None and after.risk.level == "standard"
    assert [a.status for a in after.risk_history] == ["superseded", "in_force"]
    assert _events(sessions, "approval.approved")


def test_a_returned_lowering_leaves_the_level_in_force(work: Casework, case_id: int) -> None:
    work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(9)))
    lowered = work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(
        answers={}, professional_level="standard", judgement_reason="Feels safer"))
    assert lowered.approval is not None
    with pytest.raises(InvalidInput) as no_comment:  # returning needs a comment
        parse_input(ApprovalDecisionIn, {"decision": "return"})
    assert "Say why" in no_comment.value.errors["comment"]
    work.decide(SUPERVISOR, lowered.approval.id, ApprovalDecisionIn(
        decision="return", comment="Check with the police first"), expected_version=lowered.approval.version)
    view = work.cases.get_case(CASEWORKER, case_id).casework
    assert view is not None and view.risk is not None and view.risk.level == "medium"
    assert view.risk_pending is None
    returned = view.approvals[0]
    assert (returned.status, returned.comment) == ("returned", "Check with the police first")


def test_a_supervisor_lowering_applies_at_once_with_its_reason(work: Casework, case_id: int) -> None:
    work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(14)))
    lowered = work.assess_risk(SUPERVISOR, case_id, RiskAssessmentIn(
        answers=_yes(14), professional_level="medium", judgement_reason="Reviewed at supervision"))
    assert lowered.approval is None and lowered.assessment.status == "in_force"


def test_a_new_incident_asks_for_the_checklist_again_within_one_working_day(
        service: CaseService, work: Casework, case_id: int, clock: Clock) -> None:
    work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(2)))
    service.record_event(CASEWORKER, case_id, CaseEventIn(kind="new_incident", occurred_on=date(2024, 3, 28)))
    view = service.get_case(CASEWORKER, case_id).casework
    assert view is not None and view.reassessment_due
    task = next(t for t in view.tasks if t.key == "risk_reassessment")
    assert task.due_on == date(2024, 4, 2) and task.status == "open"
    clock.today = date(2024, 4, 2)
    again = work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(14)))
    assert again.assessment.trigger == "new_incident"
    after = service.get_case(CASEWORKER, case_id).casework
    assert after is not None and not after.reassessment_due
    assert next(t for t in after.tasks if t.key == "risk_reassessment").status == "done"


# --- safety plan and safe contact ---------------------------------------------------------------


def test_contacts_that_break_the_safe_contact_plan_are_refused(
        service: CaseService, work: Casework, case_id: int) -> None:
    work.save_safe_contact(CASEWORKER, case_id, SafeContactIn(
        safe_to_call=True, safe_to_email=False, safe_from="10:00", safe_until="12:00", safe_address="",
        no_messages=True), expected_version=None)

    def refused(**fields: object) -> dict[str, str]:
        with pytest.raises(InvalidInput) as caught:
            service.log_contact(CASEWORKER, case_id, ContactIn.model_validate(
                {"direction": "outbound", "summary": "Called", "occurred_on": "2024-03-28", **fields}))
        return caught.value.errors

    assert "not safe to email" in refused(channel="email", preference_override="phone unanswered")["channel"]
    assert "no safe address" in refused(channel="letter", preference_override="no phone")["channel"]
    assert "between 10:00 and 12:00" in refused(channel="phone", time_of_contact="13:15")["time_of_contact"]
    assert "Enter the time" in refused(channel="phone")["time_of_contact"]
    assert "Do not leave messages" in refused(channel="phone", time_of_contact="10:30",
                                              left_message=True)["left_message"]
    ok = service.log_contact(CASEWORKER, case_id, ContactIn.model_validate(
        {"direction": "outbound", "channel": "phone", "summary": "Spoke to them", "time_of_contact": "10:30",
         "occurred_on": "2024-03-28"}))
    inbound = service.log_contact(CASEWORKER, case_id, ContactIn(
        channel="email", direction="inbound", summary="They wrote", occurred_on=date(2024, 3, 28)))
    assert ok.id and inbound.id
    case = service.get_case(CASEWORKER, case_id)
    with pytest.raises(InvalidInput) as prefs:
        service.set_contact_preferences(CASEWORKER, case_id, ContactPreferencesIn(
            contact_preference="letter"), expected_version=case.version)
    assert "letter is not safe" in prefs.value.errors["contact_preference"]


def test_a_safety_plan_has_actions_with_owners_reviews_and_progress(
        work: Casework, case_id: int, clock: Clock) -> None:
    action = work.add_safety_action(CASEWORKER, case_id, SafetyActionIn(
        action="Fit a door alarm", owner="Housing officer", review_on=date(2024, 4, 2)))
    assert action.progress == "not_started" and not action.review_due
    clock.today = date(2024, 4, 2)
    view = work.cases.get_case(CASEWORKER, case_id).casework
    assert view is not None and view.safety_actions[0].review_due
    from localjustice.service.casework_schemas import SafetyActionUpdate
    done = work.update_safety_action(CASEWORKER, action.id, SafetyActionUpdate(
        progress="done", review_on=date(2024, 4, 9)), expected_version=action.version)
    assert done.progress == "done" and not done.review_due


# --- supervision --------------------------------------------------------------------------------


def test_closing_needs_approval_and_keeps_an_outcome_and_feedback(
        service: CaseService, work: Casework, case_id: int) -> None:
    case = service.get_case(CASEWORKER, case_id)
    with pytest.raises(InvalidInput) as no_outcome:
        service.close_case(CASEWORKER, case_id, CloseIn(reason="Support completed"),
                           expected_version=case.version)
    assert "outcome" in no_outcome.value.errors
    asked = service.close_case(CASEWORKER, case_id, CloseIn.model_validate(
        {"outcome": "support_completed", "reason": "Support completed", "closed_on": "2024-03-28",
         "feedback_overall": "4", "feedback_kept_informed": "5", "feedback_felt_safer": ""}),
        expected_version=case.version)
    assert not asked.applied and asked.approval is not None
    assert service.get_case(CASEWORKER, case_id).status == "open"
    approved = work.decide(SUPERVISOR, asked.approval.id, ApprovalDecisionIn(decision="approve",
                                                                             comment="OK"),
                           expected_version=asked.approval.version)
    assert approved.status == "approved"
    closed = service.get_case(CASEWORKER, case_id)
    assert closed.status == "closed" and closed.casework is not None
    closure = closed.casework.closures[0]
    assert (closure.outcome, closure.closed_by, closure.approved_by) == (
        "support_completed", CASEWORKER.username, SUPERVISOR.username)
    report = work.feedback_report(SUPERVISOR)
    assert report.cases_with_feedback is None  # one response: fewer than 5, withheld


def test_a_referral_the_rules_name_waits_for_approval_then_is_sent(
        service: CaseService, work: Casework, case_id: int) -> None:
    asked = service.refer_onward(CASEWORKER, case_id, OnwardReferralIn(
        service="restorative_justice", provider="RJ Hub", sent_on=date(2024, 3, 28)))
    assert getattr(asked, "action", None) == "onward_referral"
    assert service.get_case(CASEWORKER, case_id).onward_referrals == []
    work.decide(SUPERVISOR, asked.id, ApprovalDecisionIn(decision="approve"), expected_version=asked.version)
    [sent] = service.get_case(CASEWORKER, case_id).onward_referrals
    assert (sent.service, sent.provider) == ("restorative_justice", "RJ Hub")
    direct = service.refer_onward(CASEWORKER, case_id, OnwardReferralIn(
        service="idva", provider="IDVA service", sent_on=date(2024, 3, 28)))
    assert getattr(direct, "provider", None) == "IDVA service"


def test_the_supervisors_home_shows_approvals_caseloads_overdue_and_unplanned_high_risk(
        service: CaseService, work: Casework, case_id: int, referral: Referral, clock: Clock) -> None:
    other = service.receive_referral(COLLEAGUE, referral(referral_id="R2", source_person_id="P-2",
                                                         forename="Bea", referral_date=date(2024, 3, 28),
                                                         crime_id="CR-2"), spoc_username=COLLEAGUE.username)
    work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=_yes(14)))
    work.assess_risk(COLLEAGUE, other.case_id, RiskAssessmentIn(answers=_yes(14)))
    work.add_safety_action(COLLEAGUE, other.case_id, SafetyActionIn(
        action="Agree a code word", owner="IDVA", review_on=date(2024, 4, 10)))
    case = service.get_case(CASEWORKER, case_id)
    service.close_case(CASEWORKER, case_id, CloseIn(outcome="declined_support", reason="Declined"),
                       expected_version=case.version)
    clock.today = date(2024, 4, 4)  # the MARAC and IDVA tasks were due 3 April
    page = work.supervision(SUPERVISOR)
    assert [a.reference for a in page.approvals] == [case.reference]
    loads = {c.username: c for c in page.caseloads}
    assert loads[CASEWORKER.username].open_cases == 1 and loads[CASEWORKER.username].high_risk == 1
    assert loads[CASEWORKER.username].overdue_tasks == 2 and loads[COLLEAGUE.username].overdue_tasks == 2
    assert {c.case_id for c in page.overdue} == {case_id, other.case_id}
    assert [c.case_id for c in page.high_risk_without_plan] == [case_id]
    with pytest.raises(NotAllowed):
        work.supervision(CASEWORKER)


# --- a case's life --------------------------------------------------------------------------------


def test_reopening_keeps_the_history_of_the_closure_and_the_case(
        service: CaseService, work: Casework, case_id: int, clock: Clock) -> None:
    service.log_contact(CASEWORKER, case_id, ContactIn(channel="phone", direction="inbound", summary="Hello",
                                                       occurred_on=date(2024, 3, 28)))
    case = service.get_case(CASEWORKER, case_id)
    assert service.close_case(SUPERVISOR, case_id, CloseIn(outcome="no_contact", reason="No answer",
                                                           closed_on=date(2024, 3, 28)),
                              expected_version=case.version).applied
    closed = service.get_case(CASEWORKER, case_id)
    clock.today = date(2024, 4, 8)
    work.reopen(CASEWORKER, case_id, ReopenIn(reason="They called back"), expected_version=closed.version)
    reopened = service.get_case(CASEWORKER, case_id)
    assert reopened.status == "open" and reopened.closed_on is None
    assert reopened.casework is not None
    [closure] = reopened.casework.closures
    assert (closure.outcome, closure.reason, closure.reopened_on, closure.reopen_reason) == (
        "no_contact", "No answer", date(2024, 4, 8), "They called back")
    assert len(reopened.contacts) == 1
    assert {e.status for e in reopened.entitlements} >= {"not_applicable"}
    assert [e.kind for e in reopened.events][-1] == "case_reopened"
    with pytest.raises(InvalidInput):
        service.record_event(CASEWORKER, case_id, CaseEventIn(kind="case_reopened",
                                                              occurred_on=date(2024, 4, 8)))


def test_an_interpreter_flag_starts_the_right_1_duty_and_is_raised_once(
        service: CaseService, work: Casework, case_id: int) -> None:
    flag = work.raise_flag(CASEWORKER, case_id, FlagIn(kind="interpreter_needed", detail="Polish"))
    assert flag.label == "Interpreter needed"
    case = service.get_case(CASEWORKER, case_id)
    right_1 = [e for e in case.entitlements if e.rule_key == "communication_support_arranged"]
    assert len(right_1) == 1 and right_1[0].right_number == 1 and right_1[0].status == "open"
    with pytest.raises(InvalidInput):
        work.raise_flag(CASEWORKER, case_id, FlagIn(kind="interpreter_needed"))
    staff = work.raise_flag(CASEWORKER, case_id, FlagIn(kind="risk_to_staff"))
    assert staff.alert
    assert len([e for e in service.get_case(CASEWORKER, case_id).entitlements if e.right_number == 1]) == 2
    with pytest.raises(InvalidInput):
        work.raise_flag(CASEWORKER, case_id, FlagIn(kind="made_up"))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_documents_are_checked_by_content_and_size_and_downloads_are_audited(
        service: CaseService, case_id: int, tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    text = (Path(__file__).parents[2] / "src/localjustice/service/casework.toml").read_text()
    small = parse_casework_rules(text.replace("max_bytes = 10_485_760", "max_bytes = 2_000_000"))
    work = Casework(service, documents_dir=tmp_path / "docs", rules=small)
    with pytest.raises(InvalidInput) as renamed:
        work.attach_document(CASEWORKER, case_id, filename="letter.pdf", content=b"MZ\x90\x00 not a pdf")
    assert "content was checked" in renamed.value.errors["document"]
    with pytest.raises(InvalidInput) as big:
        work.attach_document(CASEWORKER, case_id, filename="big.pdf", content=PDF + b"0" * 2_000_000)
    assert "smaller than 1 MB" in big.value.errors["document"]
    doc = work.attach_document(CASEWORKER, case_id, filename="../../etc/statement.pdf", content=PDF)
    assert (doc.kind, doc.filename, doc.size_bytes) == ("pdf", "statement.pdf", len(PDF))
    stored = list((tmp_path / "docs" / str(case_id)).iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    view, content = work.document(CASEWORKER, doc.id)
    assert content == PDF and view.sha256 == doc.sha256
    [download] = _events(sessions, "document.download")
    assert download.actor == CASEWORKER.username and download.subject_id == str(case_id)
    assert load_casework_rules().document_max_bytes == 10_485_760
