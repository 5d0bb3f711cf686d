"""Who reaches a major incident's cases beyond its coordinating team: granted caseworkers, while
the incident is open.

The case service's scope check (``CaseService._case``) asks this when a case is outside the
caller's teams. The grant covers the incident's cases only, ends the moment the incident closes
(the check reads the incident's status, so nothing needs revoking), and holds only for the
case-working roles: an account later made an analyst reaches nothing through it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.service.incident_models import Incident, IncidentAccess, IncidentCase
from localjustice.service.staff import CASEWORKING_ROLES


def incident_reach(session: Session, actor: Actor, case_id: int) -> bool:
    """Whether an open incident holding the case grants the actor access to it."""
    if actor.role not in CASEWORKING_ROLES:
        return False
    return session.scalar(
        select(IncidentCase.id)
        .join(Incident, Incident.id == IncidentCase.incident_id)
        .join(IncidentAccess, IncidentAccess.incident_id == Incident.id)
        .where(IncidentCase.case_id == case_id, Incident.status == "open",
               IncidentAccess.username == actor.username).limit(1)) is not None


def granted_incidents(session: Session, actor: Actor) -> list[int]:
    """The open incidents the actor is granted (beyond their own teams')."""
    if actor.role not in CASEWORKING_ROLES:
        return []
    return list(session.scalars(
        select(Incident.id).join(IncidentAccess, IncidentAccess.incident_id == Incident.id)
        .where(Incident.status == "open", IncidentAccess.username == actor.username)
        .order_by(Incident.id)).all())
