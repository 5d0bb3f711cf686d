"""The audit log viewer: newest events first, filterable, with the hash chain's state."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from localjustice.audit import Anchor, AuditEvent, ChainReport, verify_chain
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
    #: signed checkpoints (kept outside the database) the chain was checked against
    chain_checkpoints: int | None = None
    #: every kind of record the log holds events about, for the filter
    subject_types: list[str] = []


def audit_view(db: Session, *, page: int = 1, actor: str = "", subject_type: str = "",
               verify: bool = False, anchor: Anchor | None = None) -> AuditView:
    """A page of events; with ``verify`` also walks the whole chain (as `localjustice audit verify`),
    against the signed checkpoints of ``anchor``'s file when given."""
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
    report, forged = None, ""
    if verify:
        read = anchor.read() if anchor is not None else None
        report = verify_chain(db, checkpoints=read.good if read else ())
        if read and read.bad:
            forged = f"checkpoint line {read.bad[0][0]}: {read.bad[0][1]}"
    return AuditView(
        events=[Event.model_validate(r, from_attributes=True) for r in rows], total=total, page=page,
        pages=pages, actor=actor, subject_type=subject_type, chain_checked=report is not None,
        chain_ok=(report.ok and not forged) if report else None,
        chain_events=report.events if report else None,
        chain_unsealed=report.unsealed if report else None,
        chain_problem=forged or ("" if report is None or report.ok else _problem(report)),
        chain_checkpoints=report.checkpoints if report else None,
        # read from the log, so a new kind of record (a quarantine batch, an identity record)
        # can be filtered on as soon as it is audited
        subject_types=sorted(db.scalars(select(AuditEvent.subject_type).distinct()).all()),
    )


def _problem(report: ChainReport) -> str:
    if report.failed_checkpoint_line is not None:
        return f"checkpoint line {report.failed_checkpoint_line}: {report.problem}"
    return f"event {report.first_bad_seq}: {report.problem}"
