"""What the people pages show, each call checking access and writing its audit event first.

- ``open_journey``: a person's journey for a practitioner who holds the person on their caseload,
  or who has given a reason for access (``access_reasons.toml``, kind ``person_journey``); with
  neither it is refused, and the refusal is audited (``access.refused``) before the page asks for
  a reason. Every view is audited as ``person.view`` with its purpose, the viewer's teams and how
  many events were shown, committed before anything is returned.
- ``worklist_summary`` / ``worklist_page``: the lists a role works from, counts and entries
  (pseudonymous ids and facts), with who holds each person and their last contact.
- ``flag_wrong_link``: "not the same person" on a record of the journey: the pair goes into the
  linkage review queue (``linkage.flag_pair``), audited.
- ``team_accesses``: for a supervisor, the reason-based views by their teams' practitioners.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.access import Actor, Purpose, PurposeRequired, RecordKind, load_access_reasons
from localjustice.area import load_area
from localjustice.audit import AuditEvent, record_event
from localjustice.errors import LocalJusticeError
from localjustice.linkage import flag_pair
from localjustice.people.caseload import SUBJECT, held, holdings
from localjustice.people.journey import Journey, JourneyFilters, read_journey
from localjustice.people.practitioners import PractitionerRole, load_practitioners
from localjustice.people.worklists import (
    data_end,
    load_worklists,
    rule_of,
    worklist_counts,
    worklist_entries,
)
from localjustice.warehouse import Warehouse

KIND: RecordKind = "person_journey"
VIEW = "person.view"
#: The purpose recorded for a practitioner's view of a person on their own caseload.
ON_CASELOAD = Purpose("on_caseload", "caseload: the person is on the practitioner's caseload")
#: How many of the latest journey views the supervisor's page looks through.
ACCESS_WINDOW = 2000

#: Opens the warehouse for one piece of work (the web app's ``WarehouseGate.open``).
OpenWarehouse = Callable[..., AbstractContextManager[Warehouse]]


class PersonNotFound(LocalJusticeError):
    """Linkage knows no person with that id (or none the role may see anything of)."""


class NotPractitioner(LocalJusticeError):
    """The role has no journey rules in ``practitioners.toml``."""


def _role(actor: Actor) -> PractitionerRole:
    role = load_practitioners().get(actor.role)
    if role is None:
        raise NotPractitioner("Only practitioners (offender managers, IOM officers and youth "
                              "offending team workers) open a person's journey.")
    return role


def may_view(db: Session, actor: Actor, person_id: str, *, given: Purpose | None,
             stated_in: int | None) -> Purpose:
    """The purpose of this view: on the actor's caseload, or a reason given now or earlier in the
    session. Neither: the refusal is audited and ``PurposeRequired`` raised (nothing is shown)."""
    if held(db, actor.username, person_id) is not None:
        return ON_CASELOAD
    try:
        return load_access_reasons().resolve(db, actor, KIND, person_id, given=given,
                                             stated_in=stated_in)
    except PurposeRequired:
        record_event(db, actor=actor.username, role=actor.role, action="access.refused",
                     subject_type=KIND, subject_id=person_id, purpose="none given",
                     detail={"outcome": "refused: not on a caseload the user holds, and no reason "
                                        "for access given"})
        db.commit()
        raise


def open_journey(warehouse: OpenWarehouse, db: Session, actor: Actor, person_id: str,
                 filters: JourneyFilters, *, given: Purpose | None = None,
                 stated_in: int | None = None, area: str = "london") -> Journey:
    role = _role(actor)
    purpose = may_view(db, actor, person_id, given=given, stated_in=stated_in)
    with warehouse() as wh:
        journey = read_journey(wh, person_id, role, filters, area)
    if journey is None:
        raise PersonNotFound("There is no such person.")
    record_event(db, actor=actor.username, role=actor.role, action=VIEW, subject_type=SUBJECT,
                 subject_id=person_id, purpose=purpose.text,
                 detail={**purpose.audit_detail(), "teams": list(actor.teams),
                         "events_shown": len(journey.events),
                         "filters": filters.model_dump(mode="json", exclude_defaults=True)})
    db.commit()
    return journey


def state_reason(db: Session, actor: Actor, person_id: str, purpose: Purpose) -> int:
    event_id = load_access_reasons().stated(db, actor, KIND, person_id, purpose)
    db.commit()
    return event_id


def flag_wrong_link(warehouse: OpenWarehouse, db: Session, actor: Actor, person_id: str, unit_id: str,
                    *, stated_in: int | None) -> bool:
    """Queue the record ``unit_id`` and its strongest link in the person for a steward; whether
    it joined the queue now (False: queued or decided already). Needs the same right as the view."""
    role = _role(actor)
    purpose = may_view(db, actor, person_id, given=None, stated_in=stated_in)
    with warehouse() as wh:
        journey = read_journey(wh, person_id, role, JourneyFilters())
    record = next((r for r in journey.identities if r.unit_id == unit_id), None) if journey else None
    if record is None or record.link_partner is None:
        raise PersonNotFound("That record is not linked to this person by a scored link.")
    with warehouse(write=True) as wh:
        queued = flag_pair(wh, unit_id, record.link_partner, flagged_by=actor.username)
    record_event(db, actor=actor.username, role=actor.role, action="linkage.flagged",
                 subject_type=SUBJECT, subject_id=person_id, purpose=purpose.text,
                 detail={**purpose.audit_detail(), "queued": queued})
    db.commit()
    return queued


# --- worklists -------------------------------------------------------------------------------------


class ListCount(BaseModel):
    code: str
    title: str
    rule: str
    count: int
    outside_area: int


class WorklistSummary(BaseModel):
    today: date
    lists: list[ListCount]


class Entry(BaseModel):
    person_id: str
    key_date: date
    due_date: date | None
    establishment: str | None
    outside_area: bool | None
    detail: str
    held_by_me: bool
    #: the team practitioners holding the person (usernames; the viewer's teams only)
    held_by: list[str]
    last_contact: datetime | None


class WorklistPage(BaseModel):
    code: str
    title: str
    rule: str
    today: date
    entries: list[Entry]
    may_take_on: bool


def visible_lists(actor: Actor) -> tuple[str, ...]:
    """The lists a role works from; supervisors and admins see them all."""
    role = load_practitioners().get(actor.role)
    return role.worklists if role else tuple(r.code for r in load_worklists())


def worklist_summary(warehouse: OpenWarehouse, actor: Actor, today: date | None) -> WorklistSummary:
    codes = visible_lists(actor)
    rules = tuple(r for r in load_worklists() if r.code in codes)
    with warehouse() as wh:
        day = today or data_end(wh)
        counts = worklist_counts(wh, day, rules)
    return WorklistSummary(today=day, lists=[ListCount(code=c.code, title=c.title, rule=c.rule,
                                                       count=c.count, outside_area=c.outside_area)
                                             for c in counts])


def worklist_page(warehouse: OpenWarehouse, db: Session, actor: Actor, code: str,
                  today: date | None, area: str = "london") -> WorklistPage:
    if code not in visible_lists(actor):
        raise PersonNotFound("There is no such worklist for your role.")
    rule = rule_of(code)
    with warehouse() as wh:
        day = today or data_end(wh)
        entries = worklist_entries(wh, rule, day)
    names = {e.code: e.name for e in load_area(area).establishments}
    held_now = holdings(db, (e.person_id for e in entries))
    teams = set(actor.teams)
    rows = []
    for e in entries:  # the list's rows as shown: formatting only
        holders = held_now.get(e.person_id, [])
        mine = [h for h in holders if h.username == actor.username]
        team = [h for h in holders if h.team in teams or actor.role == "admin"]
        contacts = [h.last_contact for h in (mine or team) if h.last_contact]
        rows.append(Entry(person_id=e.person_id, key_date=e.key_date, due_date=e.due_date,
                          establishment=names.get(e.establishment_code or "", e.establishment_code),
                          outside_area=None if e.in_area is None else not e.in_area, detail=e.detail,
                          held_by_me=bool(mine), held_by=[h.username for h in team],
                          last_contact=max(contacts) if contacts else None))
    record_event(db, actor=actor.username, role=actor.role, action="worklist.view",
                 subject_type="worklist", subject_id=code, purpose="worklist",
                 detail={"entries": len(rows), "today": day.isoformat()})
    db.commit()
    return WorklistPage(code=code, title=rule.title, rule=rule.rule, today=day, entries=rows,
                        may_take_on=actor.role in load_practitioners())


# --- the supervisor's report of reason-based access ------------------------------------------------


class AccessRow(BaseModel):
    at: datetime
    practitioner: str
    role: str
    person_id: str
    reason: str
    purpose: str


class TeamAccesses(BaseModel):
    teams: list[str]
    accesses: list[AccessRow]


def _latest_views(db: Session) -> Iterator[AuditEvent]:
    yield from db.scalars(select(AuditEvent).where(AuditEvent.action == VIEW)
                          .order_by(AuditEvent.id.desc()).limit(ACCESS_WINDOW))


def team_accesses(db: Session, actor: Actor) -> TeamAccesses:
    """Journey views with a stated reason (not the viewer's own caseload) by practitioners of the
    supervisor's teams (all teams for an admin), newest first, from the latest views."""
    teams = set(actor.teams)
    rows = []
    for event in _latest_views(db):
        detail = event.detail
        viewer_teams = detail.get("teams")
        if detail.get("reason") == ON_CASELOAD.code or not isinstance(viewer_teams, list):
            continue
        if actor.role != "admin" and not teams & {str(t) for t in viewer_teams}:
            continue
        rows.append(AccessRow(at=event.occurred_at, practitioner=event.actor, role=event.role,
                              person_id=event.subject_id, reason=str(detail.get("reason", "")),
                              purpose=event.purpose))
    return TeamAccesses(teams=sorted(teams), accesses=rows)
