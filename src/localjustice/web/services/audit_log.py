"""The audit log viewer: newest events first, filterable, with the hash chain's state."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from localjustice.audit import AuditEvent, verify_chain
from localjustice.web.services.types import UtcDateTime

PAGE_SIZE = 50


class Event(BaseModel):
    id: int
    #: place in the hash chain; None for the moment between writing and sealing
    seq: int | None
    occurred_at: UtcDateTime
    actor: str
    role: str
    action: str
    subject_type: str
    subject_id: str
    purpose: str
    detail: dict[str, object]


class AuditView(BaseModel):
    events: list[Event]
    total: int
    page: int
    pages: int
    actor: str
    subject_type: str
    chain_checked: bool
    chain_ok: bool | None
    chain_events: int | None
    chain_unsealed: int | None
    chain_problem: str


def audit_view(db: Session, *, page: int = 1, actor: str = "", subject_type: str = "",
               verify: bool = False) -> AuditView:
    """A page of events; with ``verify`` also walks the whole chain (as `localjustice audit verify`)."""
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if subject_type:
        query = query.where(AuditEvent.subject_type == subject_type)
    total = int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = db.scalars(query.order_by(AuditEvent.id.desc()).offset((page - 1) * PAGE_SIZE)
                      .limit(PAGE_SIZE)).all()
    report = verify_chain(db) if verify else None
    return AuditView(
        events=[Event.model_validate(r, from_attributes=True) for r in rows], total=total, page=page,
        pages=pages, actor=actor, subject_type=subject_type, chain_checked=report is not None,
        chain_ok=report.ok if report else None, chain_events=report.events if report else None,
        chain_unsealed=report.unsealed if report else None,
        chain_problem=("" if report is None or report.ok
                       else f"event {report.first_bad_seq}: {report.problem}"),
    )
