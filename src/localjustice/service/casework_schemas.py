"""Inputs and outputs of a caseworker's daily tools (issue 17): risk, safety, supervision, a
case's life. Validated as ``schemas`` validates (``parse_input``; field-level GOV.UK messages)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from localjustice.service.schemas import Input, RiskLevel, View, _field_error

Progress = Literal["not_started", "in_progress", "done", "no_longer_needed"]
TIME = r"^([01]\d|2[0-3]):[0-5]\d$"


class RiskAssessmentIn(Input):
    """A completed risk checklist: a yes/no per question (unanswered is no), and professional
    judgement: a level other than the score's needs a reason."""

    answers: dict[str, bool] = Field(default_factory=dict, title="Answers")
    professional_level: RiskLevel | None = Field(default=None, title="Level from professional judgement")
    judgement_reason: str = Field(default="", max_length=1000, title="Reason for your judgement")


class SafeContactIn(Input):
    safe_to_call: bool = Field(default=False, title="Safe to call")
    safe_to_email: bool = Field(default=False, title="Safe to email")
    safe_from: str = Field(default="", max_length=5, title="Safe to call from")
    safe_until: str = Field(default="", max_length=5, title="Safe to call until")
    safe_address: str = Field(default="", max_length=500, title="Safe address for letters")
    no_messages: bool = Field(default=True, title="Do not leave messages")

    @field_validator("safe_from", "safe_until")
    @classmethod
    def _time(cls, value: str) -> str:
        import re

        if value and not re.fullmatch(TIME, value):
            raise ValueError("Enter a time like 09:30 (24-hour clock)")
        return value

    @model_validator(mode="after")
    def _window(self) -> SafeContactIn:
        if bool(self.safe_from) != bool(self.safe_until):
            raise _field_error("safe_until", "Enter both times of the safe window, or neither")
        if self.safe_from and self.safe_from >= self.safe_until:
            raise _field_error("safe_until", "The end of the safe window must be after its start")
        return self


class SafetyActionIn(Input):
    action: str = Field(min_length=3, max_length=1000, title="Action")
    owner: str = Field(min_length=2, max_length=200, title="Who does it")
    review_on: date = Field(title="Review date")
    progress: Progress = Field(default="not_started", title="Progress")
    note: str = Field(default="", max_length=1000, title="Note")


class SafetyActionUpdate(Input):
    progress: Progress = Field(title="Progress")
    review_on: date = Field(title="Review date")
    note: str = Field(default="", max_length=1000, title="Note")


class TaskDoneIn(Input):
    note: str = Field(default="", max_length=1000, title="Note")


class FlagIn(Input):
    kind: str = Field(min_length=1, max_length=50, title="Flag")
    detail: str = Field(default="", max_length=500, title="Detail")


class ApprovalDecisionIn(Input):
    decision: Literal["approve", "return"] = Field(title="Decision")
    comment: str = Field(default="", max_length=1000, title="Comment")

    @model_validator(mode="after")
    def _comment_when_returned(self) -> ApprovalDecisionIn:
        if self.decision == "return" and len(self.comment) < 3:
            raise _field_error("comment", "Say why you are returning it, so the caseworker can act on it")
        return self


class ReopenIn(Input):
    reason: str = Field(min_length=3, max_length=500, title="Reason for reopening")


# --- outputs ------------------------------------------------------------------------------------


class RiskAssessmentView(View):
    id: int
    checklist: str
    checklist_version: str
    answers: dict[str, Any]
    score: int
    scored_level: str
    level: str
    judgement_reason: str | None
    trigger: str
    status: str
    assessed_by: str
    assessed_on: date


class TaskView(View):
    id: int
    case_id: int
    key: str
    summary: str
    source: str
    clock_start: date
    working_days: int | None
    due_on: date | None
    status: str
    done_on: date | None
    done_by: str | None
    version: int
    overdue: bool = False


class SafetyActionView(View):
    id: int
    action: str
    owner: str
    review_on: date
    progress: str
    note: str | None
    updated_by: str
    version: int
    review_due: bool = False


class SafeContactView(View):
    safe_to_call: bool
    safe_to_email: bool
    safe_from: str | None
    safe_until: str | None
    safe_address: str | None
    no_messages: bool
    recorded_by: str
    recorded_on: date
    version: int


class ApprovalView(View):
    id: int
    case_id: int
    reference: str = ""
    action: str
    summary: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    version: int


class ClosureView(View):
    outcome: str | None
    outcome_label: str = ""
    reason: str
    closed_on: date
    closed_by: str
    approved_by: str | None
    reopened_on: date | None
    reopened_by: str | None
    reopen_reason: str | None


class FlagView(View):
    id: int
    kind: str
    label: str = ""
    alert: bool = False
    detail: str | None
    status: str
    raised_by: str
    raised_on: date
    version: int


class DocumentView(View):
    id: int
    case_id: int
    filename: str
    description: str | None
    kind: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class CaseworkView(View):
    """What a case page shows of risk, safety, supervision and the case's life."""

    risk: RiskAssessmentView | None
    risk_pending: RiskAssessmentView | None
    risk_history: list[RiskAssessmentView]
    reassessment_due: bool
    tasks: list[TaskView]
    safety_actions: list[SafetyActionView]
    safe_contact: SafeContactView | None
    approvals: list[ApprovalView]
    closures: list[ClosureView]
    flags: list[FlagView]
    documents: list[DocumentView]


class RiskResult(View):
    """A risk assessment saved: what is in force, and whether a lowering waits for approval."""

    assessment: RiskAssessmentView
    in_force: RiskAssessmentView | None
    approval: ApprovalView | None
    tasks_created: list[TaskView]


class Outcome(View):
    """A change that applied at once (``approval`` None) or waits for a supervisor."""

    applied: bool
    approval: ApprovalView | None = None


class CaseworkerLoad(View):
    username: str
    display_name: str
    open_cases: int
    overdue_entitlements: int
    overdue_tasks: int
    high_risk: int


class SupervisionCase(View):
    case_id: int
    reference: str
    team: str
    spoc_name: str | None
    detail: str


class SupervisionPage(View):
    """A supervisor's home: approvals waiting, caseloads, overdue work, high risk with no plan."""

    teams: list[str]
    approvals: list[ApprovalView]
    caseloads: list[CaseworkerLoad]
    overdue: list[SupervisionCase]
    high_risk_without_plan: list[SupervisionCase]


class FeedbackQuestionResult(View):
    key: str
    text: str
    responses: int | None
    #: count per point of the scale, None where withheld (fewer than the minimum)
    counts: list[int | None]


class FeedbackReport(View):
    team: str
    scale: list[str]
    cases_with_feedback: int | None
    minimum_count: int
    questions: list[FeedbackQuestionResult]


def _attach_to_case_detail() -> None:
    """``CaseDetail.casework`` names ``CaseworkView``, defined here after ``schemas``: resolve it."""
    from localjustice.service.schemas import CaseDetail

    CaseDetail.model_rebuild(_types_namespace={"CaseworkView": CaseworkView})


_attach_to_case_detail()
