"""Registering a major incident's people in bulk: the case service's intake, set-wise.

The rules are single intake's (``CaseService._receive_in``, ``identity``): within the coordinating
team, the same normalised name and date of birth is the same person (a registration CSV carries no
source ids); a person with a case open for the incident's crime reference joins it, anyone else
has a case opened, with its first handover, its ``case_opened`` event and the Victims' Code clocks
that event starts (``entitlements.opening_clocks``); and people other teams hold who may be the
same are flagged as possible duplicates for a supervisor of both teams. Rows of one person in the
same upload come to what registering them one after another would: one case, the union of their
needs and enhanced rights, the first phone and email given, the most urgent priority group.

What differs is the shape. Each kind of record is looked up with one SELECT and written with one
bulk INSERT (``bulk_insert.insert_ids`` where the new ids are needed), in the caller's
transaction, so an upload registers all its valid rows or, on any failure, none; one audit event
covers the registration (case ids only). Only cases joined from earlier uploads are updated one by
one (their enhanced rights and deadlines), as single intake does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import uuid4

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.service import entitlements as clocks
from localjustice.service.bulk_insert import insert_ids
from localjustice.service.cases import CaseService
from localjustice.service.identity import BY_NAME_AND_DATE_OF_BIRTH, normalise_name
from localjustice.service.incident_models import Incident, IncidentCase, IncidentNeed
from localjustice.service.incident_schemas import IncidentPersonIn
from localjustice.service.incident_triage import Group, Triage
from localjustice.service.models import (
    Case,
    CaseEvent,
    Entitlement,
    Handover,
    IncomingReferral,
    Person,
    PossibleDuplicate,
)
from localjustice.service.staff import Caseworker

CHANNEL = "incident"


def incident_crime_id(incident_id: int) -> str:
    """The crime reference an incident's cases share, so one person registered twice is one case."""
    return f"INC{incident_id:06d}"


def triage_group(triage: Triage, incident: Incident, person: IncidentPersonIn) -> Group:
    """The person's priority group, on the facts of the day of the incident (age then)."""
    born, day = person.date_of_birth, incident.occurred_on
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return triage.group_for({"injury": person.injury, "bereaved": person.bereaved, "role": person.role,
                             "age_band": "child" if age < 18 else "adult", "needs": list(person.needs)})


@dataclass
class _Person:
    """The rows of one upload that are the same person (``identity``'s rule)."""

    rows: list[int]
    person_id: int = 0
    case_id: int = 0
    opened: bool = False
    group: str = ""
    needs: set[str] = field(default_factory=set)
    enhanced: set[str] = field(default_factory=set)


#: the people of an upload, by normalised name and date of birth (a row without a letter in its
#: name is keyed by its own index: only the row itself is that person, as in single intake)
Batch = dict[tuple[str, date | int | None], _Person]


def register_people(s: Session, cases: CaseService, actor: Actor, incident: Incident, spoc: Caseworker,
                    people: Sequence[IncidentPersonIn], triage: Triage) -> list[int]:
    """Register ``people`` (validated rows) into the coordinating team; their case ids, in order."""
    if not people:
        return []
    team, crime_id, today = incident.coordinating_team, incident_crime_id(incident.id), cases.today()
    order = [g.key for g in triage.groups]
    batch: Batch = {}
    for i, p in enumerate(people):
        name_key = normalise_name(p.forename, p.surname)
        key: tuple[str, date | int | None] = (name_key, p.date_of_birth) if name_key != "|" else ("|", i)
        one = batch.setdefault(key, _Person(rows=[]))
        one.rows.append(i)
        group = triage_group(triage, incident, p)
        if not one.group or order.index(group.key) < order.index(one.group):
            one.group = group.key
        one.needs |= set(p.needs)
        one.enhanced |= {group.enhanced_reason} if group.enhanced_reason else set()
    _find_or_add_people(s, team, people, batch)
    _open_or_join_cases(s, cases, actor, spoc, people, batch, team=team, crime_id=crime_id, today=today)
    _add_referrals(s, actor, people, batch, team=team, today=today)
    _link_to_incident(s, incident, batch, order)
    flagged = _flag_possible_duplicates(s, team, people, batch)
    cases._audit(s, actor, "incident.register", "incident", incident.id, "major incident coordination",
                 opened=sorted(p.case_id for p in batch.values() if p.opened),
                 joined=sorted(p.case_id for p in batch.values() if not p.opened),
                 possible_duplicates=flagged)
    case_of = {i: p.case_id for p in batch.values() for i in p.rows}
    return [case_of[i] for i in range(len(people))]


def _find_or_add_people(s: Session, team: str, people: Sequence[IncidentPersonIn],
                        batch: Batch) -> None:
    named = {k[0] for k in batch if k[0] != "|"}
    if named:
        for person_id, name_key, born in s.execute(
                select(Person.id, Person.name_key, Person.date_of_birth)
                .where(Person.team == team, Person.name_key.in_(named)).order_by(Person.id.desc())).all():
            if (name_key, born) in batch:
                batch[(name_key, born)].person_id = int(person_id)  # the lowest id wins, as single intake
    fresh = [p for p in batch.values() if not p.person_id]
    ids = insert_ids(s, Person, [
        {"team": team, "forename": people[p.rows[0]].forename, "surname": people[p.rows[0]].surname,
         "name_key": normalise_name(people[p.rows[0]].forename, people[p.rows[0]].surname),
         "date_of_birth": people[p.rows[0]].date_of_birth} for p in fresh],
        ("team", "name_key", "date_of_birth")) if fresh else []
    for p, new_id in zip(fresh, ids, strict=True):
        p.person_id = new_id


def _first(people: Sequence[IncidentPersonIn], rows: list[int], attribute: str) -> str | None:
    return next((str(getattr(people[i], attribute)) for i in rows if getattr(people[i], attribute)), None)


def _open_or_join_cases(s: Session, cases: CaseService, actor: Actor, spoc: Caseworker,
                        people: Sequence[IncidentPersonIn], batch: Batch, *,
                        team: str, crime_id: str, today: date) -> None:
    by_person = {p.person_id: p for p in batch.values()}
    for case in s.scalars(select(Case).where(Case.person_id.in_(by_person), Case.team == team,
                                             Case.status == "open", Case.crime_id == crime_id)
                          .with_for_update()).all():
        joining = by_person.pop(case.person_id)
        joining.case_id = case.id
        added = sorted(joining.enhanced - set(case.enhanced_rights))
        if added:
            was_enhanced = case.enhanced
            case.enhanced_rights = sorted({*case.enhanced_rights, *added})
            if not was_enhanced:
                clocks.recompute_due_dates(case, cases._open_entitlements(s, case.id), cases.code,
                                           cases.calendar)
        case.phone = case.phone or _first(people, joining.rows, "phone")
        case.email = case.email or _first(people, joining.rows, "email")
    opening = list(by_person.values())
    if not opening:
        s.flush()
        return
    rows = []
    for p in opening:
        first = people[p.rows[0]]
        rows.append({"person_id": p.person_id, "role": first.role, "crime_id": crime_id, "team": team,
                     "status": "open", "enhanced_rights": sorted(p.enhanced), "spoc_username": spoc.username,
                     "spoc_name": spoc.display_name, "contact_preference": first.contact_preference,
                     "phone": _first(people, p.rows, "phone"), "email": _first(people, p.rows, "email"),
                     "safe_to_leave_message": False, "opened_on": today, "version": 1})
    for p, case_id in zip(opening, insert_ids(s, Case, rows, ("person_id", "crime_id", "role")), strict=True):
        p.case_id, p.opened = case_id, True
    s.execute(insert(Handover), [
        {"case_id": p.case_id, "from_username": None, "to_username": spoc.username,
         "to_name": spoc.display_name, "from_team": None, "to_team": team, "reason": "Case opened",
         "by_username": actor.username}
        for p in opening])
    events = insert_ids(s, CaseEvent, [{"case_id": p.case_id, "kind": "case_opened", "occurred_on": today,
                                        "recorded_by": actor.username} for p in opening], ("case_id",))
    started = [row for p, event_id in zip(opening, events, strict=True)
               for row in clocks.opening_clocks(cases.code, cases.calendar, case_id=p.case_id,
                                                role=people[p.rows[0]].role, enhanced=bool(p.enhanced),
                                                event_id=event_id, opened_on=today)]
    if started:
        # NULLs sent as NULLs: otherwise rules without a deadline break the batch into one per row
        s.execute(insert(Entitlement).execution_options(render_nulls=True), started)
    s.flush()


def _add_referrals(s: Session, actor: Actor, people: Sequence[IncidentPersonIn],
                   batch: Batch, *, team: str, today: date) -> None:
    """One incoming referral per row: the first row of a new case opened it, the others joined."""
    rows: list[dict[str, Any]] = []
    for p in batch.values():
        for nth, i in enumerate(p.rows):
            person = people[i]
            rows.append({"team": team, "referral_id": f"{CHANNEL}-{uuid4().hex[:16]}", "case_id": p.case_id,
                         "channel": CHANNEL, "referrer": person.referrer, "role": person.role,
                         "referral_date": today, "needs": list(person.needs), "service": "general_support",
                         "joined_existing": not (p.opened and nth == 0), "received_by": actor.username,
                         "source": CHANNEL, "source_person_id": None, "forename": person.forename,
                         "surname": person.surname, "date_of_birth": person.date_of_birth})
    s.execute(insert(IncomingReferral), rows)


def _link_to_incident(s: Session, incident: Incident, batch: Batch,
                      order: list[str]) -> None:
    """Each case linked to the incident with its priority group (the more urgent holds), and its needs."""
    by_case = {p.case_id: p for p in batch.values()}
    for link in s.scalars(select(IncidentCase).where(IncidentCase.case_id.in_(by_case))).all():
        group = by_case[link.case_id].group
        if link.priority_group not in order or order.index(group) < order.index(link.priority_group):
            link.priority_group = group
    linked = set(s.scalars(select(IncidentCase.case_id).where(IncidentCase.case_id.in_(by_case))).all())
    new_links = [{"incident_id": incident.id, "case_id": c, "priority_group": p.group}
                 for c, p in by_case.items() if c not in linked]
    if new_links:
        s.execute(insert(IncidentCase), new_links)
    known = {(int(c), str(n)) for c, n in s.execute(select(IncidentNeed.case_id, IncidentNeed.need)
                                                    .where(IncidentNeed.case_id.in_(by_case))).all()}
    needs = [{"incident_id": incident.id, "case_id": c, "need": n}
             for c, p in by_case.items() for n in sorted(p.needs) if (c, n) not in known]
    if needs:
        s.execute(insert(IncidentNeed), needs)
    s.flush()


def _flag_possible_duplicates(s: Session, team: str, people: Sequence[IncidentPersonIn],
                              batch: Batch) -> int:
    """People other teams hold with the same name and date of birth: flagged, never joined."""
    named = {k[0] for k in batch if k[0] != "|"}
    if not named:
        return 0
    pairs: dict[tuple[int, int], dict[str, Any]] = {}
    for other_id, other_team, name_key, born in s.execute(
            select(Person.id, Person.team, Person.name_key, Person.date_of_birth)
            .where(Person.team != team, Person.name_key.in_(named))).all():
        mine = batch.get((name_key, born))
        if mine is None:
            continue
        (first, first_team), (second, second_team) = sorted(((mine.person_id, team),
                                                             (int(other_id), str(other_team))))
        pairs[(first, second)] = {"person_id": first, "other_person_id": second, "team": first_team,
                                  "other_team": second_team, "matched_on": BY_NAME_AND_DATE_OF_BIRTH,
                                  "status": "open", "version": 1}
    if not pairs:
        return 0
    ids = {i for pair in pairs for i in pair}
    flagged = {(int(a), int(b)) for a, b in s.execute(
        select(PossibleDuplicate.person_id, PossibleDuplicate.other_person_id)
        .where(PossibleDuplicate.person_id.in_(ids))).all()}
    rows = [row for pair, row in sorted(pairs.items()) if pair not in flagged]
    if rows:
        s.execute(insert(PossibleDuplicate), rows)
    return len(rows)
