"""A caseworker's daily tools beyond the Victims' Code (issue 17): risk and safety, supervision,
and a case's life (closure with an outcome and feedback, reopening, flags, documents).

``Casework`` works beside a ``CaseService``, sharing its transactions, reach checks, clocks and
audit: every method is one transaction that checks the actor's teams, does the work and writes one
audit event. The rules are data: the risk checklist (``risk_checklists/``), and which actions wait
for a supervisor, the closure outcomes, the feedback questions, the flags and the document types
(``casework.toml``). A risk level is scored on save; professional judgement may raise it with a
reason; a level lower than the score's or than the one in force needs a reason and, for a
caseworker, a supervisor's approval, and stays pending until then (never silently lowered). The
tasks a level creates get deadlines in working days, computed as the entitlements' are.

The few hooks ``CaseService`` calls (``after_event``, ``contact_errors``, ``preference_errors``,
``request_close``) are module functions, so the core service needs no more than a line for each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from localjustice.access import Actor, Purpose
from localjustice.service import documents as files
from localjustice.service.case_records import of_case, with_case_for_change
from localjustice.service.casework_models import (
    Approval,
    CaseClosure,
    CaseDocument,
    CaseFeedback,
    CaseFlag,
    CaseTask,
    RiskAssessment,
    SafeContact,
    SafetyAction,
)
from localjustice.service.casework_rules import CaseworkRules, load_casework_rules
from localjustice.service.casework_schemas import (
    ApprovalDecisionIn,
    ApprovalView,
    CaseworkerLoad,
    CaseworkView,
    ClosureView,
    DocumentView,
    FeedbackQuestionResult,
    FeedbackReport,
    FlagIn,
    FlagView,
    Outcome,
    ReopenIn,
    RiskAssessmentIn,
    RiskAssessmentView,
    RiskResult,
    SafeContactIn,
    SafeContactView,
    SafetyActionIn,
    SafetyActionUpdate,
    SafetyActionView,
    SupervisionCase,
    SupervisionPage,
    TaskDoneIn,
    TaskView,
)
from localjustice.service.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from localjustice.service.models import Case, CaseEvent, Entitlement
from localjustice.service.risk import RiskChecklist, higher, load_checklist, rank
from localjustice.service.safe_contact import Plan, contact_refusals, plan_applies, preference_refusals
from localjustice.service.schemas import CloseIn, ContactIn, ContactPreferencesIn, case_reference
from localjustice.service.scope import require_team, teams_for
from localjustice.service.staff import CASEWORKING_ROLES
from localjustice.service.working_days import WorkingCalendar

if TYPE_CHECKING:
    from localjustice.service.cases import CaseService

REASSESSMENT = "risk_reassessment"


#: The statements that read one case's records for its page, built once: building them anew for
#: every case read cost more CPU than running them (as ``cases._CASE_RECORDS``).
_CASE_RECORDS: dict[str, Select[Any]] = {
    "assessments": of_case(RiskAssessment, RiskAssessment.id),
    "tasks": of_case(CaseTask, CaseTask.id),
    "actions": of_case(SafetyAction, SafetyAction.id),
    "contact": of_case(SafeContact),
    "approvals": of_case(Approval, Approval.id.desc()).limit(20),
    "closures": of_case(CaseClosure, CaseClosure.id),
    "flags": of_case(CaseFlag, CaseFlag.id).where(CaseFlag.status == "active"),
    "documents": of_case(CaseDocument, CaseDocument.id),
}


#: The kinds of record above, whose presence the case page asks for with the case itself
#: (``case_records.presence``): most cases have few kinds.
RECORD_KINDS: dict[str, Any] = {
    "assessments": RiskAssessment, "tasks": CaseTask, "actions": SafetyAction, "contact": SafeContact,
    "approvals": Approval, "closures": CaseClosure, "flags": CaseFlag, "documents": CaseDocument}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- hooks the core case service calls ------------------------------------------------------------


def after_event(s: Session, case: Case, event: CaseEvent, calendar: WorkingCalendar,
                checklist: RiskChecklist | None = None) -> None:
    """The checklist's ``reassess_after`` event (a new incident, in the shipped one) means the risk
    checklist is done again: a task, due in working days."""
    checklist = checklist or load_checklist()
    if event.kind != checklist.reassess_after:
        return
    if s.scalar(select(CaseTask.id).where(CaseTask.case_id == case.id, CaseTask.key == REASSESSMENT,
                                          CaseTask.status == "open")) is not None:
        return
    days = checklist.reassess_within_working_days
    after = event.kind.replace("_", " ")
    s.add(CaseTask(case_id=case.id, key=REASSESSMENT, summary=f"Do the {checklist.title.lower()} again "
                   f"after the {after}", source=f"event:{event.id}", clock_start=event.occurred_on,
                   working_days=days, due_on=calendar.add_working_days(event.occurred_on, days),
                   status="open"))
    s.flush()


def _open_tasks(s: Session, case_id: int) -> list[CaseTask]:
    """The case's open tasks, read once for all a save needs to know of them (each statement costs
    the server more CPU than its rows): a change holds the case's row lock, so none appear since."""
    return list(s.scalars(select(CaseTask).where(CaseTask.case_id == case_id,
                                                 CaseTask.status == "open")).all())


def plan_of(found: SafeContact | None) -> Plan | None:
    """The rules of a case's safe contact plan record (none without one)."""
    if found is None:
        return None
    return Plan(found.safe_to_call, found.safe_to_email, found.safe_from, found.safe_until,
                found.safe_address, found.no_messages)


def _plan(s: Session, case_id: int) -> Plan | None:
    return plan_of(s.scalar(select(SafeContact).where(SafeContact.case_id == case_id)))


def contact_errors(s: Session, case_id: int, data: ContactIn) -> dict[str, str]:
    """Where a contact logged breaks the case's safe contact plan (``safe_contact``); the plan is
    read only for a contact it applies to (most logged are the person calling in)."""
    if not plan_applies(data.direction):
        return {}
    return contact_refusals(_plan(s, case_id), channel=data.channel, direction=data.direction,
                            left_message=data.left_message, time_of_contact=data.time_of_contact or None)


def preference_errors(s: Session, case_id: int, data: ContactPreferencesIn) -> dict[str, str]:
    return preference_refusals(_plan(s, case_id), contact_preference=data.contact_preference,
                               safe_to_leave_message=data.safe_to_leave_message)


def _approval_view(a: Approval) -> ApprovalView:
    view = ApprovalView.model_validate(a)
    view.reference = case_reference(a.case_id)
    return view


def _request_approval(s: Session, actor: Actor, case: Case, action: str, payload: dict[str, Any],
                      summary: str) -> Approval:
    waiting = s.scalar(select(Approval.id).where(Approval.case_id == case.id, Approval.action == action,
                                                 Approval.status == "pending"))
    if waiting is not None and action == "close_case":
        raise InvalidInput({"outcome": "Closing this case is already waiting for a supervisor's approval"})
    approval = Approval(case_id=case.id, action=action, payload=payload, summary=summary[:500],
                        requested_by=actor.username, status="pending")
    s.add(approval)
    s.flush()
    return approval


def _check_close(rules: CaseworkRules, data: CloseIn) -> None:
    errors: dict[str, str] = {}
    if data.outcome not in rules.outcomes:
        errors["outcome"] = "Select the outcome of the case"
    points = len(rules.feedback_scale)
    for key, value in data.feedback.items():
        if key not in rules.feedback_questions or not 1 <= value <= points:
            errors[f"feedback_{key}" if key in rules.feedback_questions else "feedback"] = (
                f"Choose an answer from 1 to {points}, or leave it unanswered")
    if errors:
        raise InvalidInput(errors)


def request_close(cases: CaseService, actor: Actor, case_id: int, data: CloseIn, *,
                  expected_version: int, rules: CaseworkRules | None = None) -> Outcome:
    """Close the case now, or (for a role that needs approval) ask a supervisor to."""
    rules = rules or load_casework_rules()
    _check_close(rules, data)
    attempted = data.model_dump(mode="json")
    with cases._tx() as s:
        case = cases._case(s, actor, case_id, change=True)
        cases._expect("case", case_reference(case_id), case.version, expected_version, attempted)
        cases._check_dates(case, data)
        if rules.needs_approval(actor.role, "close_case"):
            approval = _request_approval(s, actor, case, "close_case", attempted,
                                         f"Close the case: {rules.outcomes[data.outcome]}")
            cases._audit(s, actor, "approval.request", "case", case.id, approval=approval.id,
                         requested="close_case")
            return Outcome(applied=False, approval=_approval_view(approval))
        _apply_close(s, case, data, closed_by=actor.username, approved_by=None)
        cases._flush(s, "case", case_reference(case_id), attempted)
        cases._audit(s, actor, "case.close", "case", case.id, outcome=data.outcome)
        return Outcome(applied=True)


def _apply_close(s: Session, case: Case, data: CloseIn, *, closed_by: str, approved_by: str | None) -> None:
    """Clocks not yet due lapse (not applicable); overdue ones stay open and keep counting as
    missed, so closing never improves the compliance figures. Open tasks are cancelled."""
    for entitlement in s.scalars(select(Entitlement).where(Entitlement.case_id == case.id,
                                                           Entitlement.status == "open")).all():
        if entitlement.due_on is None or entitlement.due_on >= data.closed_on:
            entitlement.status = "not_applicable"
            entitlement.note = "Case closed before it was due"
    for task in s.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.status == "open")):
        task.status, task.note = "cancelled", "Case closed"
    case.status, case.closed_on, case.closure_reason = "closed", data.closed_on, data.reason
    s.add(CaseClosure(case_id=case.id, outcome=data.outcome, reason=data.reason, closed_on=data.closed_on,
                      closed_by=closed_by, approved_by=approved_by))
    if data.feedback:
        s.add(CaseFeedback(case_id=case.id, team=case.team, answers=dict(data.feedback),
                           given_on=data.closed_on))


def onward_needs_approval(actor: Actor, service: str, rules: CaseworkRules | None = None) -> bool:
    return (rules or load_casework_rules()).needs_approval(actor.role, "onward_referral", service=service)


def request_onward(s: Session, actor: Actor, case: Case, payload: dict[str, Any]) -> Approval:
    return _request_approval(s, actor, case, "onward_referral", payload,
                             f"Refer to {payload.get('provider')} "
                             f"({str(payload.get('service')).replace('_', ' ')})")


# --- the tools --------------------------------------------------------------------------------------


class Casework:
    """Risk, safety, supervision and a case's life, for one ``CaseService``."""

    def __init__(self, cases: CaseService, *, documents_dir: Path | None = None,
                 rules: CaseworkRules | None = None, checklist: RiskChecklist | None = None) -> None:
        self.cases = cases
        self.rules = rules or load_casework_rules()
        self.checklist = checklist or cases.checklist
        self.documents_dir = documents_dir

    # --- reading --------------------------------------------------------------------------------

    def view(self, s: Session, case: Case, present: Mapping[str, bool]) -> CaseworkView:
        """Everything of this module about one case, for the case page (in its transaction);
        ``present`` says which of ``RECORD_KINDS`` it has, read with the case."""
        today = self.cases.today()

        def rows(name: str) -> list[Any]:
            if not present[name]:
                return []
            return list(s.scalars(_CASE_RECORDS[name], {"case_id": case.id}).all())

        assessments = rows("assessments")
        in_force = next((a for a in reversed(assessments) if a.status == "in_force"), None)
        pending = next((a for a in reversed(assessments) if a.status == "pending_approval"), None)
        tasks = [self._task_view(t, today) for t in rows("tasks")]
        actions = [self._action_view(a, today) for a in rows("actions")]
        contact = s.scalar(_CASE_RECORDS["contact"], {"case_id": case.id}) if present["contact"] else None
        approvals = rows("approvals")
        closures = rows("closures")
        flags = rows("flags")
        docs = rows("documents")
        return CaseworkView(
            risk=RiskAssessmentView.model_validate(in_force) if in_force else None,
            risk_pending=RiskAssessmentView.model_validate(pending) if pending else None,
            risk_history=[RiskAssessmentView.model_validate(a) for a in assessments],
            reassessment_due=any(t.key == REASSESSMENT and t.status == "open" for t in tasks),
            tasks=tasks, safety_actions=actions,
            safe_contact=SafeContactView.model_validate(contact) if contact else None,
            approvals=[_approval_view(a) for a in approvals],
            closures=[ClosureView.model_validate(c).model_copy(
                update={"outcome_label": self.rules.outcomes.get(c.outcome or "", "Not recorded")})
                for c in closures],
            flags=[self._flag_view(f) for f in flags],
            documents=[DocumentView.model_validate(d) for d in docs])

    @staticmethod
    def _task_view(t: CaseTask, today: date) -> TaskView:
        view = TaskView.model_validate(t)
        view.overdue = t.status == "open" and t.due_on is not None and t.due_on < today
        return view

    @staticmethod
    def _action_view(a: SafetyAction, today: date) -> SafetyActionView:
        view = SafetyActionView.model_validate(a)
        view.review_due = a.progress not in ("done", "no_longer_needed") and a.review_on <= today
        return view

    def _flag_view(self, f: CaseFlag) -> FlagView:
        kind = self.rules.flags.get(f.kind)
        return FlagView.model_validate(f).model_copy(update={
            "label": kind.label if kind else f.kind, "alert": bool(kind and kind.alert)})

    # --- risk -----------------------------------------------------------------------------------

    def assess_risk(self, actor: Actor, case_id: int, data: RiskAssessmentIn) -> RiskResult:
        """Score the checklist; put the level in force, or (lowered by a caseworker) ask a
        supervisor; create the tasks the level in force calls for, due in working days."""
        known = {q.key for q in self.checklist.questions}
        if set(data.answers) - known:
            raise InvalidInput({"answers": "Answer the questions of the checklist only"})
        score, scored = self.checklist.score(data.answers)
        level = data.professional_level or scored
        svc, today = self.cases, self.cases.today()
        with svc._tx() as s:
            case = svc._case(s, actor, case_id, change=True)
            history = list(s.scalars(select(RiskAssessment).where(RiskAssessment.case_id == case.id)
                                     .order_by(RiskAssessment.id)).all())
            current = next((a for a in reversed(history) if a.status == "in_force"), None)
            floor = higher(scored, current.level) if current else scored
            lowering = rank(level) < rank(floor)
            if (level != scored or lowering) and len(data.judgement_reason) < 3:
                raise InvalidInput({"judgement_reason": f"Say why the level should be {level}, not "
                                    f"{floor}: professional judgement is recorded with its reason"})
            open_tasks = _open_tasks(s, case.id)
            reassess = [t for t in open_tasks if t.key == REASSESSMENT]
            trigger = "initial" if not history else ("new_incident" if reassess else "review")
            pending = lowering and self.rules.needs_approval(actor.role, "lower_risk")
            row = RiskAssessment(
                case_id=case.id, checklist=self.checklist.key, checklist_version=self.checklist.version,
                answers={q.key: bool(data.answers.get(q.key)) for q in self.checklist.questions},
                score=score, scored_level=scored, level=level, judgement_reason=data.judgement_reason or None,
                trigger=trigger, status="pending_approval" if pending else "in_force",
                assessed_by=actor.username, assessed_on=today)
            s.add(row)
            s.flush()
            for task in reassess:
                task.status, task.done_on, task.done_by = "done", today, actor.username
                task.note = f"Risk assessment {row.id}"
            approval, created = None, []
            if pending:
                approval = _request_approval(s, actor, case, "lower_risk", {"assessment_id": row.id},
                                             f"Lower the risk level from {floor} to {level}: "
                                             f"{data.judgement_reason}")
            else:
                if current is not None:
                    current.status = "superseded"
                created = self._risk_tasks(s, case, row, open_tasks)
            s.flush()
            svc._audit(s, actor, "risk_assessment.save", "case", case.id, assessment=row.id, score=score,
                       scored_level=scored, level=level, pending_approval=pending,
                       tasks=[t.id for t in created])
            return RiskResult(assessment=RiskAssessmentView.model_validate(row),
                              in_force=RiskAssessmentView.model_validate(current if pending else row)
                              if (current if pending else row) is not None else None,
                              approval=_approval_view(approval) if approval else None,
                              tasks_created=[self._task_view(t, today) for t in created])

    def _risk_tasks(self, s: Session, case: Case, assessment: RiskAssessment,
                    open_tasks: list[CaseTask] | None = None) -> list[CaseTask]:
        """The tasks the level in force creates, unless one of the same kind is still open
        (``open_tasks``: the case's tasks read open in this transaction, some maybe done since;
        read here if not given and the level creates any)."""
        created: list[CaseTask] = []
        rules = self.checklist.tasks_for(assessment.level)
        if rules and open_tasks is None:
            open_tasks = _open_tasks(s, case.id)
        open_keys = {t.key for t in open_tasks or () if t.status == "open"}
        for rule in rules:
            if rule.key in open_keys:
                continue
            open_keys.add(rule.key)
            task = CaseTask(case_id=case.id, key=rule.key, summary=rule.summary,
                            source=f"risk_assessment:{assessment.id}", clock_start=assessment.assessed_on,
                            working_days=rule.working_days,
                            due_on=self.cases.calendar.add_working_days(assessment.assessed_on,
                                                                        rule.working_days),
                            status="open")
            s.add(task)
            created.append(task)
        s.flush()
        return created

    def complete_task(self, actor: Actor, task_id: int, data: TaskDoneIn, *,
                      expected_version: int) -> TaskView:
        svc = self.cases
        with svc._tx() as s:
            task = s.get(CaseTask, task_id)
            if task is None:
                raise NotFound("task", task_id)
            case = svc._case(s, actor, task.case_id, change=True)
            svc._expect("task", task_id, task.version, expected_version, data.model_dump(mode="json"))
            if task.status != "open":
                raise InvalidInput({"note": f"This task is already {task.status}"})
            task.status, task.done_on, task.done_by = "done", svc.today(), actor.username
            task.note = data.note or None
            svc._flush(s, "task", task_id, data.model_dump(mode="json"))
            svc._audit(s, actor, "task.done", "case", case.id, task=task.id, key=task.key,
                       on_time=task.due_on is None or task.done_on <= task.due_on)
            return self._task_view(task, svc.today())

    # --- safety plan and safe contact ------------------------------------------------------------

    def add_safety_action(self, actor: Actor, case_id: int, data: SafetyActionIn) -> SafetyActionView:
        svc = self.cases
        with svc._tx() as s:
            case = svc._case(s, actor, case_id, change=True)
            action = SafetyAction(case_id=case.id, action=data.action, owner=data.owner,
                                  review_on=data.review_on, progress=data.progress, note=data.note or None,
                                  updated_by=actor.username)
            s.add(action)
            s.flush()
            svc._audit(s, actor, "safety_action.add", "case", case.id, safety_action=action.id)
            return self._action_view(action, svc.today())

    def update_safety_action(self, actor: Actor, action_id: int, data: SafetyActionUpdate, *,
                             expected_version: int) -> SafetyActionView:
        svc, attempted = self.cases, data.model_dump(mode="json")
        with svc._tx() as s:
            action = s.get(SafetyAction, action_id)
            if action is None:
                raise NotFound("safety plan action", action_id)
            case = svc._case(s, actor, action.case_id, change=True)
            svc._expect("safety plan action", action_id, action.version, expected_version, attempted)
            action.progress, action.review_on = data.progress, data.review_on
            action.note, action.updated_by = data.note or None, actor.username
            svc._flush(s, "safety plan action", action_id, attempted)
            svc._audit(s, actor, "safety_action.update", "case", case.id, safety_action=action.id,
                       progress=data.progress)
            return self._action_view(action, svc.today())

    def save_safe_contact(self, actor: Actor, case_id: int, data: SafeContactIn, *,
                          expected_version: int | None) -> SafeContactView:
        svc, attempted = self.cases, data.model_dump(mode="json")
        values = {"safe_to_call": data.safe_to_call, "safe_to_email": data.safe_to_email,
                  "safe_from": data.safe_from or None, "safe_until": data.safe_until or None,
                  "safe_address": data.safe_address or None, "no_messages": data.no_messages}
        try:
            with svc._tx() as s:
                case = svc._case(s, actor, case_id, change=True)
                plan = s.scalar(select(SafeContact).where(SafeContact.case_id == case.id))
                if plan is None:
                    svc._expect("safe contact plan", case_reference(case_id), 0, expected_version or 0,
                                attempted)
                    plan = SafeContact(case_id=case.id, recorded_by=actor.username, recorded_on=svc.today(),
                                       **values)
                    s.add(plan)
                else:
                    svc._expect("safe contact plan", case_reference(case_id), plan.version, expected_version,
                                attempted)
                    for name, value in values.items():
                        setattr(plan, name, value)
                    plan.recorded_by, plan.recorded_on = actor.username, svc.today()
                svc._flush(s, "safe contact plan", case_reference(case_id), attempted)
                svc._audit(s, actor, "safe_contact.save", "case", case.id, version=plan.version)
                return SafeContactView.model_validate(plan)
        except IntegrityError:
            from localjustice.service.errors import StaleEdit
            raise StaleEdit("safe contact plan", case_reference(case_id), attempted=attempted) from None

    # --- flags ----------------------------------------------------------------------------------

    def raise_flag(self, actor: Actor, case_id: int, data: FlagIn) -> FlagView:
        """Raise a flag; an interpreter or accessibility need starts the Right 1 duty (an event)."""
        kind = self.rules.flags.get(data.kind)
        if kind is None:
            raise InvalidInput({"kind": "Select a flag from the list"})
        svc = self.cases
        with svc._tx() as s:
            case = svc._case(s, actor, case_id, change=True)
            if s.scalar(select(CaseFlag.id).where(CaseFlag.case_id == case.id, CaseFlag.kind == data.kind,
                                                  CaseFlag.status == "active")) is not None:
                raise InvalidInput({"kind": f"This case is already flagged: {kind.label}"})
            flag = CaseFlag(case_id=case.id, kind=data.kind, detail=data.detail or None, status="active",
                            raised_by=actor.username, raised_on=svc.today())
            s.add(flag)
            s.flush()
            started = svc._event(s, actor, case, kind.event, svc.today(), kind.label) if kind.event else []
            svc._audit(s, actor, "flag.raise", "case", case.id, flag=flag.id, kind=data.kind,
                       entitlements=[e.id for e in started])
            return self._flag_view(flag)

    def remove_flag(self, actor: Actor, flag_id: int, *, expected_version: int) -> FlagView:
        svc = self.cases
        with svc._tx() as s:
            flag = s.get(CaseFlag, flag_id)
            if flag is None:
                raise NotFound("flag", flag_id)
            case = svc._case(s, actor, flag.case_id, change=True)
            svc._expect("flag", flag_id, flag.version, expected_version, {})
            flag.status, flag.removed_by, flag.removed_on = "removed", actor.username, svc.today()
            svc._flush(s, "flag", flag_id, {})
            svc._audit(s, actor, "flag.remove", "case", case.id, flag=flag.id, kind=flag.kind)
            return self._flag_view(flag)

    # --- documents ------------------------------------------------------------------------------

    def _folder(self) -> Path:
        if self.documents_dir is None:
            raise NotAllowed("Documents are not set up here: the service has no documents folder.")
        return self.documents_dir

    def attach_document(self, actor: Actor, case_id: int, *, filename: str, content: bytes,
                        description: str = "") -> DocumentView:
        """Check size and type (by content), store the bytes on disk, record the row."""
        limit = self.rules.document_max_bytes
        if not content:
            raise InvalidInput({"document": "Choose a file to attach: the one chosen is empty"})
        if len(content) > limit:
            raise InvalidInput({"document": f"The file must be smaller than {limit // (1024 * 1024)} MB"})
        kind = files.sniff(content)
        if kind is None or kind not in self.rules.document_types:
            raise InvalidInput({"document": "The file must be a PDF, PNG, JPEG or Word (DOCX) document: "
                                            "its content was checked, not its name"})
        if len(description) > 1000:
            raise InvalidInput({"description": "Description must be 1000 characters or fewer"})
        folder, svc = self._folder(), self.cases
        stored_as = ""
        try:
            with svc._tx() as s:
                case = svc._case(s, actor, case_id, change=True)
                stored_as, digest = files.store(folder, case.id, content)
                doc = CaseDocument(case_id=case.id, filename=files.safe_filename(filename),
                                   description=description or None, kind=kind, size_bytes=len(content),
                                   sha256=digest, stored_as=stored_as, uploaded_by=actor.username)
                s.add(doc)
                s.flush()
                svc._audit(s, actor, "document.attach", "case", case.id, document=doc.id, kind=kind,
                           size_bytes=len(content))
                return DocumentView.model_validate(doc)
        except Exception:
            if stored_as:
                (folder / stored_as).unlink(missing_ok=True)
            raise

    def document(self, actor: Actor, document_id: int, *, purpose: Purpose | None = None,
                 stated_in: int | None = None) -> tuple[DocumentView, bytes]:
        """A document's bytes, audited with the purpose of the download as a case view is."""
        svc = self.cases
        with svc._tx() as s:
            doc = s.get(CaseDocument, document_id)
            if doc is None:
                raise NotFound("document", document_id)
            case = svc._case(s, actor, doc.case_id, change=False)
            used = svc._purpose(s, actor, case, purpose, stated_in)
            content = files.read(self._folder(), doc.stored_as)
            svc._audit(s, actor, "document.download", "case", case.id, used.text, document=doc.id,
                       **used.audit_detail())
            return DocumentView.model_validate(doc), content

    # --- approvals ------------------------------------------------------------------------------

    def decide(self, actor: Actor, approval_id: int, data: ApprovalDecisionIn, *,
               expected_version: int) -> ApprovalView:
        """Approve (the action is done now, as the requester asked) or return it with a comment."""
        if actor.role not in self.rules.approver_roles:
            raise NotAllowed("Only a supervisor of the case's team can approve or return this.")
        svc, attempted = self.cases, data.model_dump(mode="json")
        with svc._tx() as s:
            row = s.execute(with_case_for_change(Approval), {"record_id": approval_id}).one_or_none()
            if row is None:
                raise NotFound("approval", approval_id)
            approval, case = row
            require_team(actor, case.team, "reallocate", kind="approval", record_id=approval_id)
            svc._expect("approval", approval_id, approval.version, expected_version, attempted)
            if approval.status != "pending":
                raise InvalidInput({"decision": f"This has already been {approval.status}"})
            if approval.requested_by == actor.username:
                raise InvalidInput({"decision": "Someone other than the person who asked must decide this"})
            approval.status = "approved" if data.decision == "approve" else "returned"
            approval.decided_by, approval.decided_at = actor.username, _now()
            approval.comment = data.comment or None
            if data.decision == "approve":
                self._apply(s, actor, case, approval)
            elif approval.action == "lower_risk":
                pending = s.get(RiskAssessment, approval.payload["assessment_id"])
                if pending is not None and pending.status == "pending_approval":
                    pending.status = "returned"
            svc._flush(s, "approval", approval_id, attempted)
            svc._audit(s, actor, f"approval.{approval.status}", "case", case.id, approval=approval.id,
                       requested=approval.action)
            return _approval_view(approval)

    def _apply(self, s: Session, actor: Actor, case: Case, approval: Approval) -> None:
        if case.status != "open":
            raise InvalidTransition(f"Case {case_reference(case.id)} is closed: it cannot be changed.")
        if approval.action == "close_case":
            _apply_close(s, case, CloseIn.model_validate(approval.payload), closed_by=approval.requested_by,
                         approved_by=actor.username)
        elif approval.action == "lower_risk":
            # the assessment waiting and the case's level in force, in one statement
            waiting_id = approval.payload["assessment_id"]
            found = s.scalars(select(RiskAssessment).where(or_(
                RiskAssessment.id == waiting_id,
                and_(RiskAssessment.case_id == case.id, RiskAssessment.status == "in_force")))).all()
            pending = next((a for a in found if a.id == waiting_id), None)
            if pending is None or pending.status != "pending_approval":
                raise InvalidInput({"decision": "That risk assessment is no longer waiting for approval"})
            for current in found:
                if current.status == "in_force":
                    current.status = "superseded"
            pending.status = "in_force"
            self._risk_tasks(s, case, pending)
        elif approval.action == "onward_referral":
            from localjustice.service.schemas import OnwardReferralIn

            requester = Actor(approval.requested_by, "caseworker", (case.team,), approval.requested_by)
            self.cases._send_onward(s, requester, case, OnwardReferralIn.model_validate(approval.payload))

    # --- a case's life --------------------------------------------------------------------------

    def reopen(self, actor: Actor, case_id: int, data: ReopenIn, *, expected_version: int) -> None:
        """Reopen a closed case: its history (closures, events, contacts, entitlements) is kept."""
        svc, attempted = self.cases, data.model_dump(mode="json")
        with svc._tx() as s:
            case = s.scalar(select(Case).where(Case.id == case_id).with_for_update())
            if case is None:
                raise NotFound("case", case_reference(case_id))
            require_team(actor, case.team, "change_cases", kind="case", record_id=case_reference(case_id))
            svc._expect("case", case_reference(case_id), case.version, expected_version, attempted)
            if case.status != "closed":
                raise InvalidTransition(f"Case {case_reference(case_id)} is open already.")
            holders = {c.username: c for c in svc.staff.team_caseworkers(case.team)}
            if case.spoc_username not in holders:
                if actor.username not in holders or actor.role not in CASEWORKING_ROLES:
                    raise InvalidInput({"reason": "Its caseworker is no longer in the team: ask a supervisor "
                                                  "of the team to reopen it and take it"})
                svc._assign(s, actor, case, holders[actor.username], case.team, "Case reopened")
            last = s.scalar(select(CaseClosure).where(CaseClosure.case_id == case.id)
                            .order_by(CaseClosure.id.desc()).limit(1))
            if last is not None:
                last.reopened_on, last.reopened_by = svc.today(), actor.username
                last.reopen_reason = data.reason
            case.status, case.closed_on, case.closure_reason = "open", None, None
            try:
                svc._flush(s, "case", case_reference(case_id), attempted)
            except IntegrityError:
                raise InvalidInput({"reason": "This person has another open case for the same crime: work "
                                              "on that case instead"}) from None
            svc._event(s, actor, case, "case_reopened", svc.today(), None)
            svc._audit(s, actor, "case.reopen", "case", case.id)

    # --- supervision ----------------------------------------------------------------------------

    def supervision(self, actor: Actor) -> SupervisionPage:
        """A supervisor's view of the teams they supervise: approvals waiting for them, each
        caseworker's open caseload with its overdue work and high-risk cases, the overdue tasks,
        and high-risk cases with no safety plan. Case references and caseworkers only, no names."""
        teams = teams_for(actor, "reallocate")
        svc, today = self.cases, self.cases.today()
        in_teams = (Case.team.in_(teams) if teams is not None else Case.id.is_not(None))
        with svc._tx() as s:
            approvals = s.scalars(select(Approval).join(Case, Case.id == Approval.case_id).where(
                in_teams, Approval.status == "pending", Approval.requested_by != actor.username)
                .order_by(Approval.id).limit(200)).all()
            open_cases = select(Case.id).where(in_teams, Case.status == "open")
            high = (select(RiskAssessment.case_id).where(RiskAssessment.status == "in_force",
                                                         RiskAssessment.level == "high",
                                                         RiskAssessment.case_id.in_(open_cases)))
            loads: dict[str, dict[str, Any]] = {}
            for user, name, n in s.execute(select(Case.spoc_username, func.max(Case.spoc_name), func.count())
                                           .where(in_teams, Case.status == "open")
                                           .group_by(Case.spoc_username)).all():
                loads[str(user)] = {"display_name": str(name or user), "open_cases": int(n),
                                    "overdue_entitlements": 0, "overdue_tasks": 0, "high_risk": 0}
            counts = (
                ("overdue_entitlements", select(Case.spoc_username, func.count()).join(
                    Entitlement, Entitlement.case_id == Case.id).where(
                    in_teams, Case.status == "open", Entitlement.status == "open",
                    Entitlement.due_on < today)),
                ("overdue_tasks", select(Case.spoc_username, func.count()).join(
                    CaseTask, CaseTask.case_id == Case.id).where(
                    in_teams, Case.status == "open", CaseTask.status == "open", CaseTask.due_on < today)),
                ("high_risk", select(Case.spoc_username, func.count()).where(Case.id.in_(high))),
            )
            for field, query in counts:
                for user, n in s.execute(query.group_by(Case.spoc_username)).all():
                    if str(user) in loads:
                        loads[str(user)][field] = int(n)
            overdue = s.execute(
                select(CaseTask, Case.team, Case.spoc_name).join(Case, Case.id == CaseTask.case_id)
                .where(in_teams, Case.status == "open", CaseTask.status == "open", CaseTask.due_on < today)
                .order_by(CaseTask.due_on).limit(100)).all()
            planned = select(SafetyAction.case_id).where(SafetyAction.progress != "no_longer_needed")
            unplanned = s.execute(select(Case.id, Case.team, Case.spoc_name).where(
                Case.id.in_(high), Case.id.not_in(planned)).order_by(Case.id).limit(100)).all()
            page = SupervisionPage(
                teams=list(teams) if teams is not None else [],
                approvals=[_approval_view(a) for a in approvals],
                caseloads=[CaseworkerLoad(username=u, **v) for u, v in sorted(loads.items())],
                overdue=[SupervisionCase(case_id=t.case_id, reference=case_reference(t.case_id), team=team,
                                         spoc_name=spoc, detail=f"{t.summary} (due {t.due_on:%d %B %Y})")
                         for t, team, spoc in overdue],
                high_risk_without_plan=[SupervisionCase(case_id=c, reference=case_reference(c), team=team,
                                                        spoc_name=spoc, detail="High risk, no safety plan")
                                        for c, team, spoc in unplanned])
            svc._audit(s, actor, "supervision.view", "team", ",".join(teams or ("*",)), "supervision",
                       cases=sorted({a.case_id for a in approvals} | {c.case_id for c in page.overdue}
                                    | {c.case_id for c in page.high_risk_without_plan}))
            return page

    def feedback_report(self, actor: Actor, team: str | None = None) -> FeedbackReport:
        """Closure feedback in aggregate only: counts per answer, counts under the minimum withheld."""
        teams = teams_for(actor, "reports")
        if team and teams is not None and team not in teams:
            raise InvalidInput({"team": "Choose one of your own teams"})
        query = select(CaseFeedback.answers)
        if team:
            query = query.where(CaseFeedback.team == team)
        elif teams is not None:
            query = query.where(CaseFeedback.team.in_(teams))
        minimum, points = self.rules.feedback_minimum_count, len(self.rules.feedback_scale)
        with self.cases._tx() as s:
            rows = [dict(a) for a in s.scalars(query).all()]
            self.cases._audit(s, actor, "feedback.report", "team", team or "*", "reporting")

        def shown(n: int) -> int | None:
            return n if n == 0 or n >= minimum else None

        results = []
        for key, text in self.rules.feedback_questions.items():
            tally = Counter(int(r[key]) for r in rows if key in r)
            results.append(FeedbackQuestionResult(
                key=key, text=text, responses=shown(sum(tally.values())),
                counts=[shown(tally.get(point, 0)) for point in range(1, points + 1)]))
        return FeedbackReport(team=team or "", scale=list(self.rules.feedback_scale),
                              cases_with_feedback=shown(len(rows)), minimum_count=minimum, questions=results)
