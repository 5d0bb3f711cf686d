"""Write and verify the hash chain.

Each event's hash covers its own fields and the previous event's hash, so editing, deleting or
reordering any event breaks every hash after it. Writers first update the single ``audit_head``
row, which takes a row lock on PostgreSQL and the write lock on SQLite, so two requests can never
chain onto the same predecessor. The event is written in the caller's transaction: a change and
its audit event commit together or not at all.

The head row lock is held from that update until the transaction ends, so it serialises every
audited transaction; callers write their event as the last statement before commit. On PostgreSQL
the lock, the link, the hash and the insert are one statement (one round trip): the row is locked
``FOR UPDATE`` (which reads its newest committed version), the hash is computed by the server from
the canonical text built here (only ``seq`` is left to fill in), and the event is inserted from the
same values. The hash is the same SHA-256 ``verify_chain`` recomputes in Python.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update
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


#: Lock the head, advance it and insert the event, in one round trip (PostgreSQL).
_APPEND_PG = text("""
WITH head AS (
    SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE
), linked AS (
    SELECT head.seq + 1 AS seq, head.hash AS prev_hash,
           encode(sha256(convert_to(head.hash || :prefix || (head.seq + 1)::text || :suffix, 'UTF8')),
                  'hex') AS hash
    FROM head
), advanced AS (
    UPDATE audit_head SET seq = linked.seq, hash = linked.hash FROM linked WHERE audit_head.id = 1
    RETURNING audit_head.seq
), inserted AS (
    INSERT INTO audit_event (seq, occurred_at, actor, role, action, subject_type, subject_id, purpose,
                             detail, prev_hash, hash)
    SELECT linked.seq, :occurred_at, :actor, :role, :action, :subject_type, :subject_id, :purpose,
           CAST(:detail AS json), linked.prev_hash, linked.hash
    FROM linked
    RETURNING seq
)
SELECT linked.seq, linked.prev_hash, linked.hash, (SELECT count(*) FROM advanced),
       (SELECT count(*) FROM inserted)
FROM linked
""")


def record_event(
    session: Session, *, actor: str, role: str, action: str, subject_type: str, subject_id: str,
    purpose: str, detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the session's transaction (the caller commits).

    Pending ORM changes are flushed first, so the head row is locked only from here to commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        return _record_postgresql(session, actor=actor, role=role, action=action,
                                  subject_type=subject_type, subject_id=subject_id, purpose=purpose,
                                  detail=detail or {})
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


def _record_postgresql(session: Session, *, actor: str, role: str, action: str, subject_type: str,
                       subject_id: str, purpose: str, detail: dict[str, Any]) -> AuditEvent:
    session.flush()
    event = AuditEvent(
        seq=0, occurred_at=datetime.now(UTC).replace(tzinfo=None), actor=actor, role=role, action=action,
        subject_type=subject_type, subject_id=subject_id, purpose=purpose, detail=detail, prev_hash="",
        hash="",
    )
    # the canonical text with a one-off marker where seq goes; the server puts the number there
    marker = f"seq-{secrets.token_hex(16)}"
    fields = _fields(event) | {"seq": marker}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    parts = canonical.split(json.dumps(marker))
    if len(parts) != 2:  # pragma: no cover - a random marker does not occur in the fields
        raise LocalJusticeError("Could not build the audit event's canonical form.")
    row = session.execute(_APPEND_PG, {
        "prefix": parts[0], "suffix": parts[1], "occurred_at": event.occurred_at, "actor": actor,
        "role": role, "action": action, "subject_type": subject_type, "subject_id": subject_id,
        "purpose": purpose, "detail": json.dumps(detail),
    }).one_or_none()
    if row is None or row[3] != 1 or row[4] != 1:
        raise LocalJusticeError("The audit log is not set up: run the database migrations.")
    event.seq, event.prev_hash, event.hash = int(row[0]), str(row[1]), str(row[2])
    if _digest(event.prev_hash, _fields(event)) != event.hash:  # pragma: no cover - a server mismatch
        raise LocalJusticeError("The audit event's hash does not match its canonical form.")
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
