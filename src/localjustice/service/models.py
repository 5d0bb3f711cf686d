"""The case service's tables (SQLAlchemy 2, typed).

Every record a person edits carries ``version`` as SQLAlchemy's ``version_id_col``: an UPDATE only
succeeds against the version that was read, so two people saving the same record cannot overwrite
each other (the loser gets ``StaleEdit``). Logs (events, contacts, handovers, revisions) are
append-only and need no version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from localjustice.appdb import Base

OPEN_ONLY = text("status = 'open'")


class Person(Base):
    """A victim or witness as one team knows them (identity kept here, not in the warehouse).

    Each team holds its own record of a person, with what it was told: a referral is matched only
    against its own team's people, so what a client sends (a source id, a name and date of birth)
    never reaches another team's record. A case's person is always of the case's team. The same
    person known to two teams is a ``PossibleDuplicate`` for a supervisor of both to review.
    """

    __tablename__ = "svc_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(100), server_default="", index=True)
    #: the other team's record this one was copied from, when a case moved team (or teams were
    #: separated by migration ``s2_team_scoped_intake``)
    copied_from: Mapped[int | None] = mapped_column(Integer)
    forename: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))

    __table_args__ = (Index("ix_svc_person_name_key_dob", "name_key", "date_of_birth"),)


class PersonIdentifier(Base):
    """A source system's id for a person: within one team, (source, source_person_id) is one person."""

    __tablename__ = "svc_person_identifier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("svc_person.id"), index=True)
    team: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(50))
    source_person_id: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("team", "source", "source_person_id",
                                       name="uq_svc_person_identifier_team"),)


class Case(Base):
    """One person's case for one crime (or none); one named single point of contact while open."""

    __tablename__ = "svc_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("svc_person.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    crime_id: Mapped[str | None] = mapped_column(String(100))
    team: Mapped[str] = mapped_column(String(100), index=True)
    #: the linkage's person id, when the referral carried one: it decides possible matches at intake
    linkage_person_id: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    enhanced_rights: Mapped[list[str]] = mapped_column(JSON, default=list)
    spoc_username: Mapped[str | None] = mapped_column(String(200), index=True)
    spoc_name: Mapped[str | None] = mapped_column(String(200))
    contact_preference: Mapped[str] = mapped_column(String(20), default="phone")
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    safe_to_leave_message: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("status = 'closed' OR spoc_username IS NOT NULL", name="open_has_spoc"),
        Index("uq_svc_case_open_person_crime", "person_id", text("coalesce(crime_id, '')"),
              unique=True, sqlite_where=OPEN_ONLY, postgresql_where=OPEN_ONLY),
    )

    @property
    def enhanced(self) -> bool:
        return bool(self.enhanced_rights)


class IncomingReferral(Base):
    """A referral that reached the service: opened its case or joined an open one.

    Idempotent per team: a ``referral_id`` names one referral within the team that received it, so
    an id another team used selects nothing of theirs. Who the referral said the person is (names,
    date of birth, source id) is kept as typed, so joining a known person loses none of it and a
    caseworker can see where the two differ.
    """

    __tablename__ = "svc_incoming_referral"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(100))
    referral_id: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    referrer: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    referral_date: Mapped[date] = mapped_column(Date)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    service: Mapped[str] = mapped_column(String(30))
    joined_existing: Mapped[bool] = mapped_column(Boolean, default=False)
    received_by: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
    source: Mapped[str | None] = mapped_column(String(50))
    source_person_id: Mapped[str | None] = mapped_column(String(100))
    forename: Mapped[str | None] = mapped_column(String(100))
    surname: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    #: when intake offered possible matches: 'joined' (the caseworker joined one) or 'new' (opened a
    #: new case), the reason given for a new one, and the case ids offered
    match_decision: Mapped[str | None] = mapped_column(String(10))
    match_reason: Mapped[str | None] = mapped_column(String(500))
    match_offered: Mapped[list[int] | None] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("team", "referral_id", name="uq_svc_incoming_referral_team"),)


class PossibleDuplicate(Base):
    """Two teams' records that may be one person (same source id, or same name and date of birth).

    Found at intake and never shown to the person who sent the referral: only a supervisor of both
    teams, or an administrator, sees it and decides. One row per pair of person records.
    """

    __tablename__ = "svc_possible_duplicate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("svc_person.id"), index=True)
    other_person_id: Mapped[int] = mapped_column(ForeignKey("svc_person.id"), index=True)
    team: Mapped[str] = mapped_column(String(100))
    other_team: Mapped[str] = mapped_column(String(100))
    matched_on: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="open")
    flagged_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("status IN ('open', 'same_person', 'different_people')", name="status"),
        CheckConstraint("matched_on IN ('source_id', 'name_and_date_of_birth')", name="matched_on"),
        UniqueConstraint("person_id", "other_person_id", name="uq_svc_possible_duplicate_pair"),
    )


class Assessment(Base):
    """The one needs assessment of a case; each save is a new version, kept in the revisions."""

    __tablename__ = "svc_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    assessed_by: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[date] = mapped_column(Date)
    change_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AssessmentRevision(Base):
    """Append-only: what the assessment said at each version, and why it changed."""

    __tablename__ = "svc_assessment_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("svc_assessment.id"), index=True)
    assessment_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
    change_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("assessment_id", "assessment_version",
                                       name="uq_svc_assessment_revision_version"),)


class Handover(Base):
    """Append-only: each change of single point of contact, with its reason."""

    __tablename__ = "svc_handover"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    from_username: Mapped[str | None] = mapped_column(String(200))
    to_username: Mapped[str] = mapped_column(String(200))
    to_name: Mapped[str] = mapped_column(String(200))
    from_team: Mapped[str | None] = mapped_column(String(100))
    to_team: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    by_username: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))


class OnwardReferral(Base):
    """A referral from the service to a support provider, through its status life cycle."""

    __tablename__ = "svc_onward_referral"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    service: Mapped[str] = mapped_column(String(30))
    provider: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="sent")
    sent_on: Mapped[date] = mapped_column(Date)
    status_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(1000))
    sent_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (CheckConstraint("status IN ('sent', 'accepted', 'declined', 'completed')",
                                      name="status"),)


class CaseEvent(Base):
    """Append-only: something that happened in the case; some events start Victims' Code clocks."""

    __tablename__ = "svc_case_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))


class Entitlement(Base):
    """One Victims' Code entitlement instance: a rule applied to a case from one starting event."""

    __tablename__ = "svc_entitlement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    rule_key: Mapped[str] = mapped_column(String(60))
    right_number: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("svc_case_event.id"))
    clock_start: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int | None] = mapped_column(Integer)
    enhanced: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    met_on: Mapped[date | None] = mapped_column(Date)
    met_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("status IN ('open', 'met', 'superseded', 'not_applicable')", name="status"),
        Index("ix_svc_entitlement_status_due", "status", "due_on"),
    )


class WitnessSupport(Base):
    """Pre-trial witness support for a case: the visit, special measures, and their dates."""

    __tablename__ = "svc_witness_support"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), unique=True)
    pretrial_visit_offered_on: Mapped[date | None] = mapped_column(Date)
    pretrial_visit_on: Mapped[date | None] = mapped_column(Date)
    special_measures_applied: Mapped[list[str]] = mapped_column(JSON, default=list)
    special_measures_applied_on: Mapped[date | None] = mapped_column(Date)
    special_measures_granted: Mapped[list[str]] = mapped_column(JSON, default=list)
    special_measures_decided_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CourtDate(Base):
    """A hearing the victim or witness needs to know about."""

    __tablename__ = "svc_court_date"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    hearing_on: Mapped[date] = mapped_column(Date)
    hearing_type: Mapped[str] = mapped_column(String(30))
    court: Mapped[str] = mapped_column(String(200))
    attending: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ExpenseClaim(Base):
    """A witness expenses claim (amounts in pence)."""

    __tablename__ = "svc_expense_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    amount_pence: Mapped[int] = mapped_column(Integer)
    claimed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'paid', 'rejected')", name="status"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
    )


class Consent(Base):
    """What the person agrees may be shared with one recipient (a provider type or agency)."""

    __tablename__ = "svc_consent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(50))
    share_contact_details: Mapped[bool] = mapped_column(Boolean, default=False)
    share_assessment: Mapped[bool] = mapped_column(Boolean, default=False)
    share_case_details: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (UniqueConstraint("case_id", "recipient", name="uq_svc_consent_case_recipient"),)


class ContactLog(Base):
    """Append-only: each contact with the person, by channel and direction."""

    __tablename__ = "svc_contact_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("svc_case.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    preference_override: Mapped[str | None] = mapped_column(String(500))
    #: the major incident's bulk communication this contact was part of, if any
    incident_message_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: whether a message was left (checked against the safe contact plan), and the time of a call
    left_message: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    time_of_contact: Mapped[str | None] = mapped_column(String(5))
    by_username: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime, server_default=text("CURRENT_TIMESTAMP"))
