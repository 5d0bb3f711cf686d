"""Write and verify the hash chain.

Each event's hash covers its own fields and the previous event's hash, so editing, deleting or
reordering any event breaks every hash after it. Writers first update the single ``audit_head``
row, which takes a row lock on PostgreSQL and the write lock on SQLite, so two requests can never
chain onto the same predecessor. The event is written in the caller's transaction: a change and
its audit event commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from localjustice.audit.models import AuditEvent, AuditHead
from localjustice.errors import LocalJusticeError

GENESIS = "0" * 64


class AuditTampered(LocalJusticeError):
    """The chain does not verify: an event was edited, deleted or inserted out of order."""


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "purpose": event.purpose,
        "detail": event.detail,
    }


def record_event(
    session: Session, *, actor: str, role: str, action: str, subject_type: str, subject_id: str,
    purpose: str, detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the session's transaction (the caller commits)."""
    updated = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    ).one_or_none()
    if updated is None:
        raise LocalJusticeError("The audit log is not set up: run the database migrations.")
    seq, prev_hash = int(updated[0]), str(updated[1])
    event = AuditEvent(
        seq=seq, occurred_at=datetime.now(UTC).replace(tzinfo=None), actor=actor, role=role,
        action=action, subject_type=subject_type, subject_id=subject_id, purpose=purpose,
        detail=detail or {}, prev_hash=prev_hash, hash="",
    )
    event.hash = _digest(prev_hash, _fields(event))
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=event.hash))
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    events: int
    ok: bool
    first_bad_seq: int | None
    problem: str


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the whole chain in order; report the first event that does not verify."""
    prev_hash, expected_seq, count, last = GENESIS, 1, 0, 0
    while True:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            if event.seq != expected_seq:
                return ChainReport(count, False, expected_seq, "an event is missing (deleted)")
            if event.prev_hash != prev_hash:
                return ChainReport(count, False, event.seq, "the link to the previous event is "
                                   "broken")
            if _digest(prev_hash, _fields(event)) != event.hash:
                return ChainReport(count, False, event.seq, "the event was edited after it was "
                                   "written")
            prev_hash, expected_seq, count, last = event.hash, event.seq + 1, count + 1, event.seq
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != prev_hash:
        return ChainReport(count, False, count + 1, "events at the end of the log are missing")
    return ChainReport(count, True, None, "")
