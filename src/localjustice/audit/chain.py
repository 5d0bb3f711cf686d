"""Write, seal and verify the hash chain.

Each sealed event's hash covers its own fields and the previous event's hash, so editing, deleting
or reordering any event breaks every hash after it.

Writing and linking are two steps. A request writes its event in its own transaction, so a change
and its audit event commit together or not at all, but it only inserts a row: no writer waits for
another. The sealer (``seal_pending``: every half second in the web app, and before
``localjustice audit verify``) then takes the chain head's row lock, links every committed unsealed
event in storage order and advances the head, in one transaction. Linking at write time instead
made every audited request, reads included, queue on that one row lock until it committed.

The database's append-only guard refuses deletes, and refuses updates except the one that seals an
unsealed event (its position and hashes filled in, nothing else changed), so an event cannot be
altered in the moment before it is sealed either. What is hashed is what the database stored.

Someone who can write to the database can still drop the guard, rewrite an event and recompute
every hash after it. Signed checkpoints of the head, kept outside the database
(``localjustice.audit.anchor``), catch that: the sealer signs one as it seals, and ``verify_chain``
checks the chain passes through each of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from localjustice.audit.models import AuditEvent, AuditHead
from localjustice.errors import LocalJusticeError

if TYPE_CHECKING:
    from localjustice.audit.anchor import Anchor, Checkpoint

GENESIS = "0" * 64


class AuditTampered(LocalJusticeError):
    """The chain does not verify: an event was edited, deleted or inserted out of order."""


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _fields(event: AuditEvent, seq: int | None = None) -> dict[str, Any]:
    return {
        "seq": event.seq if seq is None else seq,
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
) -> int:
    """Write one event in the session's transaction (the caller commits); the sealer links it
    later. Its id is returned, for a view that cites the event where its reason was given.

    One prebuilt INSERT, not an ORM object: nothing reads the event back, and on a read the
    unit of work's flush of this one object cost more server CPU than the statement itself
    (issue 17's profile of ``benchmarks/bench_service.py``).
    """
    return int(session.execute(_INSERT_EVENT, {
        "occurred_at": datetime.now(UTC).replace(tzinfo=None), "actor": actor, "role": role,
        "action": action, "subject_type": subject_type, "subject_id": subject_id,
        "purpose": purpose, "detail": detail or {},
    }).scalar_one())


_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)


def _lock_head(session: Session, *, wait: bool) -> tuple[int, str] | None:
    """The head's (seq, hash), locked to this transaction; None when another sealer holds it."""
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(text(
            "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE" + ("" if wait else " SKIP LOCKED")
        )).one_or_none()
        if row is None and not wait and session.get(AuditHead, 1) is not None:
            return None
    else:
        # SQLite has one writer at a time: taking the write lock is the head lock
        row = session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq)
                              .returning(AuditHead.seq, AuditHead.hash)).one_or_none()
    if row is None:
        raise LocalJusticeError("The audit log is not set up: run the database migrations.")
    return int(row[0]), str(row[1])


def seal_pending(session: Session, *, wait: bool = False, batch: int = 2000,
                 anchor: Anchor | None = None) -> int:
    """Link every committed unsealed event into the chain, in storage order; how many were sealed.

    Commits once per batch. With ``wait`` False it returns 0 at once when another sealer is at work
    (that one will seal them); with ``wait`` True it queues behind it, so that everything committed
    before the call is sealed when it returns. With an ``anchor``, the head is then signed as a
    checkpoint when one is due (always with ``wait``), after the commit, so a checkpoint never names
    a head that was rolled back.
    """
    sealed = 0
    while True:
        head = _lock_head(session, wait=wait)
        if head is None:
            session.rollback()
            return sealed
        seq, prev_hash = head
        events = session.scalars(select(AuditEvent).where(AuditEvent.seq.is_(None))
                                 .order_by(AuditEvent.id).limit(batch)).all()
        links = []
        for event in events:  # a chain is sequential: each hash needs the one before it
            seq += 1
            digest = _digest(prev_hash, _fields(event, seq))
            links.append({"id": event.id, "seq": seq, "prev_hash": prev_hash, "hash": digest})
            prev_hash = digest
        if links:
            session.expunge_all()
            session.execute(update(AuditEvent), links)
            session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev_hash))
        session.commit()
        sealed += len(links)
        if len(links) < batch:
            if anchor is not None:
                anchor.after_seal(session, seq, prev_hash, force=wait)
                session.rollback()  # end the read the anchor made
            return sealed


@dataclass(frozen=True)
class ChainReport:
    events: int
    ok: bool
    first_bad_seq: int | None
    problem: str
    #: events written but not yet sealed (``seal_pending`` links them; the web app does so twice a second)
    unsealed: int = 0
    #: signed checkpoints the chain was checked against
    checkpoints: int = 0
    #: the newest event a matching checkpoint covers (0: none)
    anchored_seq: int = 0
    #: the line (of the checkpoint file) of the checkpoint the chain does not match
    failed_checkpoint_line: int | None = None
    #: the newest sealed event's hash, when the chain verifies (what a new checkpoint signs)
    head: str = ""


def verify_chain(session: Session, *, batch: int = 5000,
                 checkpoints: Sequence[tuple[int, Checkpoint]] = ()) -> ChainReport:
    """Walk the sealed chain in order; report the first event or checkpoint that does not verify.

    ``checkpoints`` are (line number, checkpoint) whose signatures were checked
    (``localjustice.audit.anchor.read_checkpoints``): the chain must pass through each, which a
    chain rewritten and recomputed in the database does not. Read-only: events not yet sealed are
    counted, not checked (``seal_pending`` first to include them, as ``localjustice audit verify``
    does).
    """
    due: dict[int, list[tuple[int, Checkpoint]]] = {}
    for line, checkpoint in checkpoints:
        due.setdefault(checkpoint.seq, []).append((line, checkpoint))
    anchored = 0

    def report(seq: int, problem: str, line: int | None = None) -> ChainReport:
        return ChainReport(count, False, seq, problem, checkpoints=len(checkpoints), anchored_seq=anchored,
                           failed_checkpoint_line=line)

    prev_hash, expected_seq, count, last = GENESIS, 1, 0, 0
    while True:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            if event.seq != expected_seq or event.prev_hash is None or event.hash is None:
                return report(expected_seq, "an event is missing (deleted)")
            if event.prev_hash != prev_hash:
                return report(expected_seq, "the link to the previous event is broken")
            if _digest(prev_hash, _fields(event)) != event.hash:
                return report(expected_seq, "the event was edited after it was written")
            here = due.pop(expected_seq, [])
            for line, checkpoint in here:
                if checkpoint.head != event.hash:
                    return report(anchored + 1, _mismatch(line, checkpoint, anchored), line)
            if here:
                anchored = expected_seq
            prev_hash, last = event.hash, expected_seq
            expected_seq, count = expected_seq + 1, count + 1
    if due:
        line, checkpoint = min((entry for entries in due.values() for entry in entries),
                               key=lambda entry: entry[1].seq)
        return report(count + 1, f"the checkpoint on line {line} (event {checkpoint.seq}, signed "
                      f"{checkpoint.at}) is past the end of the log, which stops at event {count}: "
                      "events at the end of the log are missing", line)
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != prev_hash:
        return report(count + 1, "events at the end of the log are missing")
    unsealed = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None)))
    return ChainReport(count, True, None, "", int(unsealed or 0), checkpoints=len(checkpoints),
                       anchored_seq=anchored, head=prev_hash if count else "")


def _mismatch(line: int, checkpoint: Checkpoint, anchored: int) -> str:
    since = f"after event {anchored}, the last a checkpoint confirms," if anchored else "in the log"
    return (f"the chain does not match this signed checkpoint of event {checkpoint.seq} (signed "
            f"{checkpoint.at}, line {line}): an event {since} was rewritten and the hashes recomputed")
