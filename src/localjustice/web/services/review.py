"""Clerical review of linkage: a data steward sees an uncertain pair side by side and decides.

Uses the linkage package's queue (``localjustice.linkage.review_queue`` / ``record_decision``);
decisions override the model on every later ``localjustice link`` run. Showing a pair shows names
and dates of birth from the identity zone, so the steward first gives a reason for access (from
``localjustice.access``; a reason given on the page holds for the queue for ``reuse_minutes``) and
each view writes an audit event with it before anything is returned; if the event cannot be
written, nothing is shown.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from localjustice.access import Purpose, load_access_reasons
from localjustice.audit import record_event
from localjustice.errors import LocalJusticeError
from localjustice.linkage import record_decision, review_queue
from localjustice.linkage.review import REVIEW_FIELDS
from localjustice.web.authorise import SignedIn
from localjustice.web.deps import WarehouseGate

PURPOSE = "clerical review of uncertain linkage pairs"
#: What a reason for seeing identities on the review pages is given for: the queue as a whole,
#: as the pairs in it move while the steward works through them.
QUEUE = "queue"
#: How many queued pairs the queue page lists (without identities).
QUEUE_PAGE = 50
FIELD_LABELS = {"source": "Source", "forename": "Forename", "surname": "Surname",
                "date_of_birth": "Date of birth", "sex": "Sex", "postcode": "Postcode",
                "pnc_id": "PNC ID"}


class QueuedPair(BaseModel):
    position: int
    match_probability: float


class QueueView(BaseModel):
    pairs: list[QueuedPair]
    more: bool


class FieldRow(BaseModel):
    field: str
    label: str
    left: list[str]
    right: list[str]
    agree: bool


class Pair(BaseModel):
    unit_id_l: str
    unit_id_r: str
    match_probability: float
    match_weight: float | None
    rows: list[FieldRow]


class PairView(BaseModel):
    """The pair at ``position`` in the queue, or ``pair`` None when the queue is shorter."""

    position: int
    pair: Pair | None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)


def subject_id(unit_id_l: str, unit_id_r: str) -> str:
    left, right = sorted((unit_id_l, unit_id_r))
    return f"{left}|{right}"


def queue_view(gate: WarehouseGate) -> QueueView:
    with gate.open(write=True) as warehouse:
        pairs = review_queue(warehouse, limit=QUEUE_PAGE + 1)
    return QueueView(pairs=[QueuedPair(position=n, match_probability=round(p.match_probability, 4))
                            for n, p in enumerate(pairs[:QUEUE_PAGE], start=1)],
                     more=len(pairs) > QUEUE_PAGE)


def state_purpose(db: Session, user: SignedIn, purpose: Purpose) -> int:
    """Record the reason a steward gives for seeing identities on the review pages; the id of its
    audit event, which pair views in the next ``reuse_minutes`` cite as ``stated_in``."""
    event_id = load_access_reasons().stated(db, user.actor, "linkage_review", QUEUE, purpose)
    db.commit()
    return event_id


def pair_view(gate: WarehouseGate, db: Session, user: SignedIn, position: int, *,
              purpose: Purpose | None = None, stated_in: int | None = None) -> PairView:
    """The pair at ``position`` in the queue (1 = nearest the threshold), audited before it is shown.

    Needs a reason for access (``purpose``, or ``stated_in`` citing one stated in this session),
    else ``PurposeRequired`` before anything is read."""
    used = load_access_reasons().resolve(db, user.actor, "linkage_review", QUEUE, given=purpose,
                                         stated_in=stated_in)
    with gate.open(write=True) as warehouse:
        pairs = review_queue(warehouse, limit=position)
    if len(pairs) < position:
        return PairView(position=position, pair=None)
    pair = pairs[position - 1]
    record_event(db, actor=user.actor.username, role=user.role, action="view",
                 subject_type="linkage_pair", subject_id=subject_id(pair.unit_id_l, pair.unit_id_r),
                 purpose=used.text, detail={"fields": list(REVIEW_FIELDS), **used.audit_detail()})
    db.commit()
    rows = []
    for name in REVIEW_FIELDS:
        left = [_text(v[name]) for v in pair.left]
        right = [_text(v[name]) for v in pair.right]
        rows.append(FieldRow(field=name, label=FIELD_LABELS.get(name, name), left=left, right=right,
                             agree=bool(set(left) & set(right) - {""})))
    return PairView(position=position, pair=Pair(
        unit_id_l=pair.unit_id_l, unit_id_r=pair.unit_id_r, match_probability=pair.match_probability,
        match_weight=pair.match_weight, rows=rows))


def decide(gate: WarehouseGate, db: Session, user: SignedIn, unit_id_l: str, unit_id_r: str,
           same_person: bool) -> None:
    """Store the decision through the linkage package, with its audit event; both or neither."""
    if not unit_id_l or not unit_id_r:
        raise LocalJusticeError("Choose a pair from the review queue.")
    record_event(db, actor=user.actor.username, role=user.role, action="decide",
                 subject_type="linkage_pair", subject_id=subject_id(unit_id_l, unit_id_r),
                 purpose=PURPOSE, detail={"same_person": same_person})
    with gate.open(write=True) as warehouse:
        record_decision(warehouse, unit_id_l, unit_id_r, same_person=same_person,
                        reviewer=user.actor.username)
    db.commit()
