"""Clerical review of linkage: a data steward sees an uncertain pair side by side and decides.

Uses the linkage package's queue (``localjustice.linkage.review_queue`` / ``record_decision``);
decisions override the model on every later ``localjustice link`` run. Showing a pair shows names
and dates of birth from the identity zone, so the steward first gives a reason for access (from
``localjustice.access``; a reason given on the page holds for the queue for ``reuse_minutes``) and
each view writes an audit event with it before anything is returned; if the event cannot be
written, nothing is shown.

Decisions are only on queued pairs; a decision naming any other pair is refused, stores nothing
and is audited as refused (``decision_refused``). Linking two records outside the queue is its own
act (``manual_link``), under its own permission, with a stated reason kept with the link and in
its audit event. Pages only read the warehouse (read-only, no write lock, so ``localjustice link``
can run meanwhile); decisions and manual links open it for writing for the moment they need.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from localjustice.access import Purpose, load_access_reasons
from localjustice.audit import record_event
from localjustice.errors import LocalJusticeError
from localjustice.linkage import (
    ManualLinkRefused,
    PairNotQueued,
    manual_links,
    record_decision,
    record_manual_link,
    review_queue,
    review_queue_size,
)
from localjustice.linkage.review import REASON_MAX, REVIEW_FIELDS
from localjustice.web.authorise import SignedIn
from localjustice.web.deps import WarehouseGate

PURPOSE = "clerical review of uncertain linkage pairs"
MANUAL_PURPOSE = "manual link of two records outside the review queue"
#: How many of the latest manual links the manual link page lists.
MANUAL_PAGE = 20
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
    #: every pair waiting, of which ``pairs`` are the first
    total: int


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
    with gate.open() as warehouse:
        pairs = review_queue(warehouse, limit=QUEUE_PAGE + 1)
        total = review_queue_size(warehouse)
    return QueueView(pairs=[QueuedPair(position=n, match_probability=round(p.match_probability, 4))
                            for n, p in enumerate(pairs[:QUEUE_PAGE], start=1)],
                     more=len(pairs) > QUEUE_PAGE, total=total)


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
    with gate.open() as warehouse:
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
    """Store the decision on a queued pair, with its audit event; both or neither.

    A pair the queue does not hold is refused (``PairNotQueued``): nothing reaches the warehouse
    and the attempt is audited as refused.
    """
    if not unit_id_l or not unit_id_r:
        raise LocalJusticeError("Choose a pair from the review queue.")
    subject = subject_id(unit_id_l, unit_id_r)
    record_event(db, actor=user.actor.username, role=user.role, action="decide",
                 subject_type="linkage_pair", subject_id=subject,
                 purpose=PURPOSE, detail={"same_person": same_person})
    try:
        with gate.open(write=True) as warehouse:
            record_decision(warehouse, unit_id_l, unit_id_r, same_person=same_person,
                            reviewer=user.actor.username)
    except PairNotQueued:
        db.rollback()
        record_event(db, actor=user.actor.username, role=user.role, action="decision_refused",
                     subject_type="linkage_pair", subject_id=subject, purpose=PURPOSE,
                     detail={"same_person": same_person, "refused": "pair not in the review queue"})
        db.commit()
        raise
    db.commit()


class ManualLinkForm(BaseModel):
    """What the steward typed, kept to show the form again, with errors by field in form order."""

    unit_id_a: str = ""
    unit_id_b: str = ""
    reason: str = ""
    errors: dict[str, str] = {}


class ManualLinkOut(BaseModel):
    unit_id_l: str
    unit_id_r: str
    reason: str
    linked_by: str
    linked_at: datetime


class ManualLinkPage(BaseModel):
    """The manual link page: the latest manual links (newest first), which the next run applies."""

    links: list[ManualLinkOut]
    reason_max: int = REASON_MAX


class ManualLinkInvalid(LocalJusticeError):
    """The manual link form has errors; ``form`` holds them by field."""

    def __init__(self, form: ManualLinkForm) -> None:
        super().__init__("; ".join(form.errors.values()))
        self.form = form


def manual_link_page(gate: WarehouseGate) -> ManualLinkPage:
    with gate.open() as warehouse:
        links = manual_links(warehouse, limit=MANUAL_PAGE)
    return ManualLinkPage(links=[ManualLinkOut(**vars(link)) for link in links])


def link_manually(gate: WarehouseGate, db: Session, user: SignedIn, form: ManualLinkForm
                  ) -> ManualLinkOut:
    """Link two records outside the queue for the stated reason, audited as a manual link.

    The event (action ``manual_link``, the reason in its detail) and the link are both stored or
    neither; a refusal raises ``ManualLinkInvalid`` with the field at fault.
    """
    errors = {}
    if not form.unit_id_a.strip():
        errors["unit_id_a"] = "Enter record A's source and person id"
    if not form.unit_id_b.strip():
        errors["unit_id_b"] = "Enter record B's source and person id"
    if not form.reason.strip():
        errors["reason"] = "Enter the reason for linking these records"
    if errors:
        raise ManualLinkInvalid(form.model_copy(update={"errors": errors}))
    unit_a, unit_b = form.unit_id_a.strip(), form.unit_id_b.strip()
    record_event(db, actor=user.actor.username, role=user.role, action="manual_link",
                 subject_type="linkage_pair", subject_id=subject_id(unit_a, unit_b),
                 purpose=MANUAL_PURPOSE, detail={"reason": " ".join(form.reason.split())})
    try:
        with gate.open(write=True) as warehouse:
            link = record_manual_link(warehouse, unit_a, unit_b, reason=form.reason,
                                      linked_by=user.actor.username)
    except ManualLinkRefused as exc:
        db.rollback()
        field = exc.field or "unit_id_a"
        raise ManualLinkInvalid(form.model_copy(update={"errors": {field: str(exc)}})) from None
    db.commit()
    return ManualLinkOut(**vars(link))
