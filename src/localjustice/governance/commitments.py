"""The commitments register in the app database: loaded from ``commitments.toml``, leads named,
status updates recorded (versioned: a new row each time, never overwritten) and audited, and each
commitment's RAG status as at a date (``rag.compute_rag`` over the lead's record and the
published evidence)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.audit import record_event
from localjustice.governance.errors import Conflict, Invalid, NotAllowed, NotFound
from localjustice.governance.evidence import Published, evidence_for
from localjustice.governance.models import PROGRESS, CommitmentRow, CommitmentUpdate
from localjustice.governance.rag import LeadRecord, Rag, compute_rag
from localjustice.governance.register import (
    STATUSES,
    Commitment,
    MeasureTie,
    Milestone,
    load_register,
)

SUBJECT = "commitment"
SUMMARY_MAX = 2000


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def seed_register(session: Session, actor: Actor, register: tuple[Commitment, ...] | None = None) -> int:
    """Load the register into the database: new commitments added, changed wording and ties
    refreshed; leads named and updates recorded are kept. Returns how many rows changed."""
    register = register if register is not None else load_register()
    existing = {row.id: row for row in session.scalars(select(CommitmentRow))}
    changed = 0
    stamp = utcnow()
    for position, c in enumerate(register):
        values: dict[str, Any] = {
            "position": position, "section": c.section, "title": c.title, "text": c.text,
            "owners": list(c.owners), "lead": c.lead, "due": c.due, "due_text": c.due_text,
            "milestones": [{"name": m.name, "due": m.due.isoformat()} for m in c.milestones],
            "measures": [{"measure": m.measure, "cohort": m.cohort} for m in c.measures],
            "evaluations": list(c.evaluations)}
        row = existing.get(c.id)
        if row is None:
            session.add(CommitmentRow(id=c.id, loaded_at=stamp, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.loaded_at = stamp
            changed += 1
    if changed:
        record_event(session, actor=actor.username, role=actor.role, action="governance.register_loaded",
                     subject_type=SUBJECT, subject_id="*", purpose="Load the MoU commitments register",
                     detail={"changed": changed})
    session.commit()
    return changed


def as_commitment(row: CommitmentRow) -> Commitment:
    return Commitment(
        id=row.id, section=row.section, title=row.title, text=row.text, owners=tuple(row.owners),
        lead=row.lead, due=row.due, due_text=row.due_text,
        milestones=tuple(Milestone(m["name"], date.fromisoformat(m["due"])) for m in row.milestones),
        measures=tuple(MeasureTie(m["measure"], m["cohort"]) for m in row.measures),
        evaluations=tuple(row.evaluations))


def get_row(session: Session, commitment_id: str) -> CommitmentRow:
    row = session.get(CommitmentRow, commitment_id)
    if row is None:
        raise NotFound(f"No commitment {commitment_id!r} in the register.")
    return row


def assign_lead(session: Session, actor: Actor, commitment_id: str, username: str, name: str) -> None:
    """Name the person who leads a commitment (MoU section 5: each party names an individual)."""
    row = get_row(session, commitment_id)
    row.lead_username, row.lead_name = username, name or username
    record_event(session, actor=actor.username, role=actor.role, action="governance.lead_assigned",
                 subject_type=SUBJECT, subject_id=commitment_id, purpose="Name a commitment's lead",
                 detail={"lead": username})
    session.commit()


@dataclass(frozen=True)
class UpdateForm:
    progress: str
    summary: str
    evidence_url: str = ""
    milestones_done: tuple[str, ...] = ()
    override_status: str = ""
    override_reason: str = ""
    #: the number of the latest update the form was opened on (optimistic locking)
    after: int = 0


def _checked(form: UpdateForm, row: CommitmentRow) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form.progress not in PROGRESS:
        errors["progress"] = "Choose where the commitment stands: not started, in progress or delivered."
    if not form.summary.strip():
        errors["summary"] = "Say what has happened since the last update."
    elif len(form.summary) > SUMMARY_MAX:
        errors["summary"] = f"Keep the update to {SUMMARY_MAX} characters."
    if form.evidence_url:
        parsed = urlparse(form.evidence_url)
        if parsed.scheme not in ("https", "http") or not parsed.netloc or len(form.evidence_url) > 500:
            errors["evidence_url"] = "Give the evidence as a web address starting https://."
    names = {m["name"] for m in row.milestones}
    if set(form.milestones_done) - names:
        errors["milestones_done"] = "Choose milestones from the commitment's own list."
    if form.override_status and form.override_status not in STATUSES:
        errors["override_status"] = "An override is red, amber or green."
    if form.override_status and not form.override_reason.strip():
        errors["override_reason"] = ("Give the reason for overriding the computed status: it is shown "
                                     "beside it.")
    if form.override_reason.strip() and not form.override_status:
        errors["override_status"] = "Choose the status you are overriding to, or clear the reason."
    return errors


def record_update(session: Session, actor: Actor, commitment_id: str, form: UpdateForm,
                  at: datetime | None = None) -> CommitmentUpdate:
    """A lead's status update, as a new numbered row; only the commitment's named lead may."""
    row = get_row(session, commitment_id)
    if row.lead_username is None:
        raise NotAllowed(f"No lead is named for {commitment_id} yet: an administrator names one "
                         "(`localjustice governance assign-lead`).")
    if row.lead_username != actor.username:
        raise NotAllowed(f"Only {commitment_id}'s named lead ({row.lead_name}) records its updates.")
    errors = _checked(form, row)
    if errors:
        raise Invalid(errors)
    latest = session.scalar(select(func.max(CommitmentUpdate.number))
                            .where(CommitmentUpdate.commitment_id == commitment_id)) or 0
    if latest != form.after:
        raise Conflict(f"Someone recorded an update to {commitment_id} since you opened the form. "
                       "Read it, then record yours again.")
    update = CommitmentUpdate(
        commitment_id=commitment_id, number=latest + 1, author_username=actor.username,
        author_name=actor.display_name or actor.username, recorded_at=at or utcnow(),
        progress=form.progress, summary=form.summary.strip(), evidence_url=form.evidence_url or None,
        milestones_done=sorted(form.milestones_done), override_status=form.override_status or None,
        override_reason=form.override_reason.strip() or None)
    session.add(update)
    record_event(session, actor=actor.username, role=actor.role, action="governance.commitment_updated",
                 subject_type=SUBJECT, subject_id=commitment_id, purpose="Record a commitment's progress",
                 detail={"number": latest + 1, "progress": form.progress,
                         "override": form.override_status or None})
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"Someone recorded an update to {commitment_id} at the same moment. Read it, "
                       "then record yours again.") from None
    return update


def history(session: Session, commitment_id: str) -> list[CommitmentUpdate]:
    """Every update, newest first."""
    query = select(CommitmentUpdate).where(CommitmentUpdate.commitment_id == commitment_id)
    return list(session.scalars(query.order_by(CommitmentUpdate.number.desc())))


def lead_record(updates: list[CommitmentUpdate], as_at: date) -> LeadRecord:
    """The lead's record as it stood at the end of ``as_at`` (updates recorded by then)."""
    by_then = sorted((u for u in updates if u.recorded_at.date() <= as_at), key=lambda u: u.number)
    if not by_then:
        return LeadRecord()
    latest = by_then[-1]
    return LeadRecord(delivered=latest.progress == "delivered",
                      milestones_done=frozenset(n for u in by_then for n in u.milestones_done),
                      last_update=latest.recorded_at.date(), override=latest.override_status,
                      override_reason=latest.override_reason or "")


@dataclass(frozen=True)
class CommitmentStatus:
    row: CommitmentRow
    commitment: Commitment
    record: LeadRecord
    rag: Rag
    latest: CommitmentUpdate | None


def register_status(session: Session, published_dir: Path, as_at: date,
                    published: Published | None = None) -> list[CommitmentStatus]:
    """Every commitment with its RAG as at a date, in the register's order."""
    published = published or Published.read(published_dir)
    rows = list(session.scalars(select(CommitmentRow).order_by(CommitmentRow.position)))
    updates: dict[str, list[CommitmentUpdate]] = {}
    for update in session.scalars(select(CommitmentUpdate)):
        updates.setdefault(update.commitment_id, []).append(update)
    out = []
    for row in rows:
        commitment = as_commitment(row)
        mine = updates.get(row.id, [])
        record = lead_record(mine, as_at)
        by_then = [u for u in mine if u.recorded_at.date() <= as_at]
        rag = compute_rag(commitment, record, evidence_for(commitment, published), as_at)
        out.append(CommitmentStatus(row, commitment, record, rag,
                                    max(by_then, key=lambda u: u.number) if by_then else None))
    return out
