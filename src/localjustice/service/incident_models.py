"""The major-incident tables (MoU commitment V7: victims of terrorism and major incidents).

An incident is coordinated by one team; caseworkers of other teams are granted access to its
cases only, while it is open (``IncidentAccess``, checked by ``incident_access``). Its victims and
witnesses are registered in bulk from CSV uploads: every row is kept (``IncidentRow``), a bad row
as rejected with its reasons until it is fixed and resubmitted. A registered row opens (or joins)
a case in the coordinating team, linked to the incident with its triage group (``IncidentCase``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from localjustice.appdb import Base


class Incident(Base):
    """A major incident: what, when, which team coordinates, and whether it is still open."""

    __tablename__ = "svc_incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    occurred_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    coordinating_team: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_by: Mapped[str] = mapped_column(String(200))
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status"),)


class IncidentAccess(Base):
    """A caseworker of another team given the incident's cases while it is open."""

    __tablename__ = "svc_incident_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("svc_incident.id"), index=True)
    username: Mapped[str] = mapped_column(String(200), index=True)
    granted_by: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))

    __table_args__ = (UniqueConstraint("incident_id", "username", name="uq_svc_incident_access_user"),)


class IncidentCase(Base):
    """A case of the incident, with the priority group triage put it in."""

    __tablename__ = "svc_incident_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("svc_incident.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), unique=True)
    priority_group: Mapped[str] = mapped_column(String(30))


class IncidentNeed(Base):
    """One need of one incident case, as registered (counted by the dashboard in SQL)."""

    __tablename__ = "svc_incident_need"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("svc_incident.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"))
    need: Mapped[str] = mapped_column(String(30))

    __table_args__ = (UniqueConstraint("case_id", "need", name="uq_svc_incident_need_case"),)


class IncidentUpload(Base):
    """One CSV upload of people to register against an incident."""

    __tablename__ = "svc_incident_upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("svc_incident.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    spoc_username: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
    rows: Mapped[int] = mapped_column(Integer)


class IncidentRow(Base):
    """One row of an upload, as sent: registered (with its case) or rejected (with its reasons)."""

    __tablename__ = "svc_incident_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("svc_incident_upload.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("svc_incident.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    errors: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("svc_case.id"))
    updated_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (CheckConstraint("status IN ('registered', 'rejected')", name="status"),
                      UniqueConstraint("upload_id", "row_number", name="uq_svc_incident_row_number"))


class IncidentMessage(Base):
    """A bulk communication to the incident's people; each case reached has a contact logged."""

    __tablename__ = "svc_incident_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("svc_incident.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    priority_group: Mapped[str | None] = mapped_column(String(30))
    sent_on: Mapped[date] = mapped_column(Date)
    sent_by: Mapped[str] = mapped_column(String(200))
    sent: Mapped[int] = mapped_column(Integer)
    withheld: Mapped[int] = mapped_column(Integer)


class IncidentMessageRefusal(Base):
    """A case a bulk message did not go to, with why (its safe contact plan, or no contact)."""

    __tablename__ = "svc_incident_message_refusal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("svc_incident_message.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"))
    #: field -> the refusal's message, as ``safe_contact.contact_refusals`` words it
    reasons: Mapped[dict[str, str]] = mapped_column(JSON)
