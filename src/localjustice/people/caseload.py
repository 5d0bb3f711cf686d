"""Practitioners' caseloads: taking a person on from a worklist, recording contact, handing back.

A practitioner sees a person's journey while the person is on a caseload they hold (an open
``Allocation``); each change is audited with who, when and the worklist it came from. A
supervisor's lists show who in their teams holds whom and when contact was made. Allocations
name persons by their pseudonymous ``person_id`` only: the app database holds no identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.audit import record_event
from localjustice.errors import LocalJusticeError
from localjustice.people.models import Allocation, Contact

SUBJECT = "person"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class NotOnCaseload(LocalJusticeError):
    """The person is not on a caseload the user holds, so there is no contact to record."""


def held(db: Session, username: str, person_id: str) -> Allocation | None:
    """The user's open allocation of the person, if they hold one."""
    return db.scalar(select(Allocation).where(
        Allocation.person_id == person_id, Allocation.username == username,
        Allocation.ended_at.is_(None)))


def take_on(db: Session, actor: Actor, person_id: str, worklist: str = "") -> Allocation:
    """Put the person on the actor's caseload (once: taking them on again changes nothing)."""
    existing = held(db, actor.username, person_id)
    if existing is not None:
        return existing
    allocation = Allocation(person_id=person_id, username=actor.username,
                            team=actor.teams[0] if actor.teams else "", worklist=worklist,
                            allocated_at=_now(), allocated_by=actor.username)
    db.add(allocation)
    db.flush()
    record_event(db, actor=actor.username, role=actor.role, action="person.take_on",
                 subject_type=SUBJECT, subject_id=person_id, purpose="caseload: taken on",
                 detail={"worklist": worklist, "allocation": allocation.id, "teams": list(actor.teams)})
    return allocation


def hand_back(db: Session, actor: Actor, person_id: str) -> bool:
    """End the actor's allocation of the person; whether they held one."""
    allocation = held(db, actor.username, person_id)
    if allocation is None:
        return False
    allocation.ended_at, allocation.ended_by = _now(), actor.username
    record_event(db, actor=actor.username, role=actor.role, action="person.hand_back",
                 subject_type=SUBJECT, subject_id=person_id, purpose="caseload: handed back",
                 detail={"allocation": allocation.id})
    return True


def record_contact(db: Session, actor: Actor, person_id: str) -> Contact:
    """Record that the holder made contact with the person today."""
    allocation = held(db, actor.username, person_id)
    if allocation is None:
        raise NotOnCaseload("Take the person onto your caseload before recording contact.")
    contact = Contact(allocation_id=allocation.id, contacted_on=_now(), recorded_by=actor.username)
    db.add(contact)
    record_event(db, actor=actor.username, role=actor.role, action="person.contact",
                 subject_type=SUBJECT, subject_id=person_id, purpose="caseload: contact made",
                 detail={"allocation": allocation.id})
    return contact


@dataclass(frozen=True)
class Holding:
    """Who holds a person (one of the viewer's teams' practitioners) and their last contact."""

    username: str
    team: str
    allocated_at: datetime
    last_contact: datetime | None


def holdings(db: Session, person_ids: Iterable[str]) -> dict[str, list[Holding]]:
    """Every open allocation of these persons, with its latest contact (one query over the open
    allocations, which are a practitioner team's caseloads: hundreds, not the worklist's size)."""
    ids = set(person_ids)
    if not ids:
        return {}
    latest = (select(Contact.allocation_id, func.max(Contact.contacted_on).label("last"))
              .group_by(Contact.allocation_id).subquery())
    rows = db.execute(
        select(Allocation.person_id, Allocation.username, Allocation.team, Allocation.allocated_at,
               latest.c.last)
        .outerjoin(latest, latest.c.allocation_id == Allocation.id)
        .where(Allocation.ended_at.is_(None))
        .order_by(Allocation.allocated_at)).all()
    found: dict[str, list[Holding]] = {}
    for person_id, username, team, at, last in rows:
        if person_id in ids:
            found.setdefault(person_id, []).append(Holding(username, team, at, last))
    return found


def caseload(db: Session, username: str) -> list[Allocation]:
    return list(db.scalars(select(Allocation).where(Allocation.username == username,
                                                    Allocation.ended_at.is_(None))
                           .order_by(Allocation.allocated_at.desc())))
