"""Inputs and views of major-incident mode (``incidents``), validated as the case service's are."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from localjustice.service.schemas import (
    CaseRole,
    ContactPreference,
    Input,
    Need,
    Referrer,
    View,
)

IncidentKind = Literal["terrorism", "transport", "public_disorder", "fire", "crowd", "other"]
Injury = Literal["none", "minor", "serious"]
YesNo = Literal["yes", "no"]
#: The columns a registration CSV has, in this order (extra columns are refused, missing ones named).
CSV_COLUMNS = ("forename", "surname", "date_of_birth", "role", "injury", "bereaved", "needs",
               "contact_preference", "phone", "email", "referrer")
REQUIRED_COLUMNS = ("forename", "surname", "date_of_birth", "role")


class IncidentIn(Input):
    name: str = Field(min_length=3, max_length=200, title="Incident name")
    occurred_on: date = Field(title="Date of the incident")
    kind: IncidentKind = Field(title="Type of incident")
    coordinating_team: str = Field(min_length=1, max_length=100, title="Coordinating team")


class AccessGrantIn(Input):
    username: str = Field(min_length=1, max_length=200, title="Caseworker's username")
    team: str = Field(min_length=1, max_length=100, title="Their team")


class IncidentPersonIn(Input):
    """One person of a registration CSV (every value arrives as text, validated like a form)."""

    forename: str = Field(min_length=1, max_length=100, title="First name")
    surname: str = Field(min_length=1, max_length=100, title="Last name")
    date_of_birth: date = Field(title="Date of birth")
    role: CaseRole = Field(title="Victim or witness")
    injury: Injury = Field(default="none", title="Injury")
    bereaved: YesNo = Field(default="no", title="Bereaved")
    needs: list[Need] = Field(default_factory=list, title="Needs")
    contact_preference: ContactPreference = Field(default="phone", title="Contact preference")
    phone: str = Field(default="", max_length=50, title="Phone")
    email: str = Field(default="", max_length=200, title="Email")
    referrer: Referrer = Field(default="police", title="Who referred")

    @field_validator("needs", mode="before")
    @classmethod
    def _split_needs(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.replace(",", ";").split(";") if v.strip()]
        return value

    @field_validator("injury", "bereaved", "contact_preference", "referrer", "role", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class MessageIn(Input):
    summary: str = Field(min_length=3, max_length=2000, title="Message")
    priority_group: str = Field(default="", max_length=30, title="Priority group")
    sent_on: date = Field(title="Date sent")
    #: checked against each phone case's safe window (a case with one is refused without it)
    time_sent: str = Field(default="", max_length=5, pattern=r"^(([01]\d|2[0-3]):[0-5]\d)?$",
                           title="Time sent")


class IncidentView(View):
    id: int
    name: str
    occurred_on: date
    kind: str
    coordinating_team: str
    status: str
    opened_by: str
    closed_on: date | None
    version: int


class AccessView(View):
    username: str
    granted_by: str
    granted_at: datetime


class RowView(View):
    id: int
    incident_id: int
    upload_id: int
    row_number: int
    values: dict[str, Any]
    status: str
    errors: dict[str, str]
    case_id: int | None
    version: int


class UploadResult(View):
    upload_id: int
    rows: int
    registered: int
    rejected: int
    rejected_rows: list[RowView]


class IncidentCaseRow(View):
    case_id: int
    reference: str
    forename: str
    surname: str
    role: str
    priority_group: str
    priority_label: str
    status: str
    spoc_name: str | None


class RefusedContact(View):
    """A case a bulk message was refused for, and why (the rules broken, never their details)."""

    case_id: int
    reference: str
    reasons: list[str]


class MessageView(View):
    id: int
    summary: str
    priority_group: str | None
    sent_on: date
    sent_by: str
    sent: int
    withheld: int
    refused: list[RefusedContact]


class IncidentDetail(View):
    incident: IncidentView
    access: list[AccessView]
    cases: list[IncidentCaseRow]
    rejected_rows: list[RowView]
    messages: list[MessageView]
    may_manage: bool
    groups: list[tuple[str, str]]


class Count(View):
    key: str
    label: str
    count: int


class IncidentDashboard(View):
    incident: IncidentView
    cases_by_status: list[Count]
    rows_by_status: list[Count]
    priority_groups: list[Count]
    needs: list[Count]
    onward_referrals: list[Count]
    deadlines: list[Count]
    messages: int
