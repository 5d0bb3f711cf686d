"""The tables of a caseworker's daily tools (issue 17): risk, safety, supervision, a case's life.

Risk assessments, closures and approvals are append-only histories (a new assessment is a new
row; the one in force is the latest with status ``in_force``), so nothing a caseworker or
supervisor decided is ever overwritten. Records people edit (safety actions, the safe contact
plan, tasks, flags, approvals) carry ``version`` for optimistic locking, as in ``models``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from localjustice.appdb import Base


class RiskAssessment(Base):
    """One completion of a risk checklist: the answers, the score and the level it gives, and the
    level in force after professional judgement (raised with a reason; lowered only with a
    supervisor's approval, while ``status`` is ``pending_approval``)."""

    __tablename__ = "svc_risk_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    checklist: Mapped[str] = mapped_column(String(50))
    checklist_version: Mapped[str] = mapped_column(String(30))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[int] = mapped_column(Integer)
    scored_level: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(10))
    judgement_reason: Mapped[str | None] = mapped_column(String(1000))
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    assessed_by: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("level IN ('standard', 'medium', 'high')", name="level"),
        CheckConstraint("status IN ('in_force', 'superseded', 'pending_approval', 'returned')",
                        name="status"),
    )


class CaseTask(Base):
    """A task the rules create (a MARAC referral when the risk is high, a re-assessment after a new
    incident) with its deadline in working days, in the manner of an entitlement."""

    __tablename__ = "svc_case_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(100))
    clock_start: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    done_on: Mapped[date | None] = mapped_column(Date)
    done_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status"),)


class SafetyAction(Base):
    """One action of a case's safety plan: who does it, when it is reviewed, how far it has got."""

    __tablename__ = "svc_safety_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(1000))
    owner: Mapped[str] = mapped_column(String(200))
    review_on: Mapped[date] = mapped_column(Date)
    progress: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(1000))
    updated_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (CheckConstraint(
        "progress IN ('not_started', 'in_progress', 'done', 'no_longer_needed')", name="progress"),)


class SafeContact(Base):
    """How the person may safely be contacted; every contact logged is checked against it."""

    __tablename__ = "svc_safe_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), unique=True)
    safe_to_call: Mapped[bool] = mapped_column(Boolean)
    safe_to_email: Mapped[bool] = mapped_column(Boolean)
    safe_from: Mapped[str | None] = mapped_column(String(5))
    safe_until: Mapped[str | None] = mapped_column(String(5))
    #: where letters may go; none means no letters at all
    safe_address: Mapped[str | None] = mapped_column(String(500))
    no_messages: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_on: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Approval(Base):
    """An action waiting for (or given) a supervisor's approval; ``payload`` is what to do."""

    __tablename__ = "svc_approval"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    comment: Mapped[str | None] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (CheckConstraint("status IN ('pending', 'approved', 'returned')", name="status"),)


class CaseClosure(Base):
    """Append-only: each time the case closed (outcome, reason, who approved) and, if it was
    reopened, when, by whom and why; reopening keeps every earlier closure."""

    __tablename__ = "svc_case_closure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(String(500))
    closed_on: Mapped[date] = mapped_column(Date)
    closed_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    reopened_on: Mapped[date | None] = mapped_column(Date)
    reopened_by: Mapped[str | None] = mapped_column(String(200))
    reopen_reason: Mapped[str | None] = mapped_column(String(500))


class CaseFeedback(Base):
    """The person's answers to the short satisfaction measure at closure: read only in aggregate."""

    __tablename__ = "svc_case_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    team: Mapped[str] = mapped_column(String(100), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    given_on: Mapped[date] = mapped_column(Date)


class CaseFlag(Base):
    """A flag or alert on a case (risk to staff, interpreter needed...), raised and later removed."""

    __tablename__ = "svc_case_flag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_on: Mapped[date] = mapped_column(Date)
    removed_by: Mapped[str | None] = mapped_column(String(200))
    removed_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (CheckConstraint("status IN ('active', 'removed')", name="status"),)


class CaseDocument(Base):
    """A document attached to a case; its bytes are a file under the data directory, not a row."""

    __tablename__ = "svc_case_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
