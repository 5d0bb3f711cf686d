"""Input and output shapes of the case service (pydantic).

Inputs are validated once, here, into field-level errors a person can act on (GOV.UK style
messages keyed by field name); outputs are plain data the web pages and the JSON API both render.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from localjustice.service.errors import InvalidInput

if typing.TYPE_CHECKING:
    from localjustice.service.casework_schemas import CaseworkView
from localjustice.service.input_rules import DatePartError, date_from_parts, load_input_rules

CaseRole = Literal["victim", "witness"]
Referrer = Literal["police", "cps", "witness_care", "self", "other"]
Need = Literal["safety", "emotional", "health", "housing", "financial", "court_preparation", "language",
               "disability"]
SupportService = Literal["general_support", "isva", "idva", "witness_pretrial", "counselling",
                         "restorative_justice", "nhs_psychosocial"]
EnhancedReason = Literal["serious_crime", "persistently_targeted", "vulnerable_or_intimidated"]
ContactPreference = Literal["phone", "email", "letter", "none"]
ContactChannel = Literal["phone", "email", "letter", "in_person"]
OnwardStatus = Literal["sent", "accepted", "declined", "completed"]
RiskLevel = Literal["standard", "medium", "high"]
HearingType = Literal["first_hearing", "plea", "trial", "sentencing", "appeal", "other"]
SpecialMeasure = Literal["screens", "live_link", "evidence_in_private", "removal_of_wigs_and_gowns",
                         "video_recorded_evidence", "pre_recorded_cross_examination", "intermediary",
                         "communication_aids"]
ExpenseKind = Literal["travel", "loss_of_earnings", "childcare", "subsistence", "other"]
ExpenseStatus = Literal["submitted", "paid", "rejected"]
Recipient = Literal["general_support", "isva", "idva", "witness_pretrial", "counselling",
                    "restorative_justice", "nhs_psychosocial", "police", "cps", "witness_care"]

#: The sections of the assessment, in the order the form asks them (the contract's needs list).
ASSESSMENT_SECTIONS: tuple[Need, ...] = ("safety", "health", "housing", "financial", "emotional",
                                         "court_preparation", "language", "disability")

M = TypeVar("M", bound=BaseModel)


class Input(BaseModel):
    """Every input model: unknown fields refused, text stripped, and the rules of
    ``input_rules.toml`` applied to every field (refused characters in text, a plausible range for
    every date, a date typed as GOV.UK date-input parts read with its messages)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _date_parts(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, Mapping) and value and set(value) <= {"day", "month", "year"}:
            name = info.field_name or "date"
            try:
                return date_from_parts(value, field_label(cls, name))
            except DatePartError as exc:
                target = f"{name}-{exc.part}" if exc.part else name
                raise _field_error(target, exc.message) from None
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _plausible(cls, value: Any, info: ValidationInfo) -> Any:
        rules = load_input_rules()
        name = info.field_name or ""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and rules.refuses(text) for text in texts):
            raise ValueError(f"Enter {field_label(cls, name)} without control characters or hidden "
                             "text-direction marks")
        if isinstance(value, date):
            today = (info.context or {}).get("today") or date.today()
            message = rules.date_error(f"{cls.__name__}.{name}", value, field_label(cls, name), today)
            if message:
                raise ValueError(message)
        return value


def field_label(model: type[BaseModel], field: str) -> str:
    """The field's title as it goes into a message ("Enter hearing date")."""
    info = model.model_fields.get(field)
    return (info.title if info is not None and info.title else field.replace("_", " ")).lower()


def is_choice(model: type[BaseModel], field: str) -> bool:
    """Whether the field is answered by radios, checkboxes or a select (a fixed list or yes/no)."""
    info = model.model_fields.get(field)
    if info is None:
        return False
    kinds = [info.annotation]
    while kinds:
        kind = kinds.pop()
        if kind is bool or typing.get_origin(kind) is Literal:
            return True
        kinds.extend(a for a in typing.get_args(kind) if a is not type(None))
    return False


def case_date_errors(data: BaseModel, opened_on: date) -> dict[str, str]:
    """Dates in ``data`` too long before the case opened on ``opened_on`` (``input_rules.toml``)."""
    rules = load_input_rules()
    errors: dict[str, str] = {}
    for name in type(data).model_fields:
        value = getattr(data, name)
        if isinstance(value, date):
            message = rules.case_date_error(f"{type(data).__name__}.{name}", value,
                                            field_label(type(data), name), opened_on)
            if message:
                errors[name] = message
    return errors


def _field_error(field: str, message: str) -> ValueError:
    """An error from a check across fields, still shown against the field to correct."""
    return ValueError(f"{field}{_FIELD_SEP}{message}")


_FIELD_SEP = " :: "


def _message(error: Mapping[str, Any], label: str, choice: bool = False) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing" or (kind != "value_error" and error.get("input") == ""):  # left empty
        return f"Select {label}" if choice else f"Enter {label}"
    if kind.startswith("date") or kind == "date_from_datetime_parsing":
        return f"{label.capitalize()} must be a real date, like 27 3 2024"
    if kind == "literal_error" or kind == "enum":
        return f"Select {label}"
    if kind == "string_too_short":
        return f"Enter {label}"
    if kind == "string_too_long":
        return f"{label.capitalize()} must be {error.get('ctx', {}).get('max_length')} characters or fewer"
    if kind == "extra_forbidden":
        return "This field is not recognised"
    if kind in ("bool_parsing", "bool_type"):
        return f"Select yes or no for {label}"
    if kind.startswith(("decimal", "int", "greater_than", "less_than")):
        return f"{label.capitalize()} must be a number in range"
    text = str(error.get("msg", "is not valid"))
    return text.removeprefix("Value error, ")


def parse_input(model: type[M], data: Mapping[str, Any], *, today: date | None = None) -> M:
    """Validate raw input into ``model``, or raise ``InvalidInput`` with one message per field.

    A date may come as ISO text (the JSON API) or as the parts of a GOV.UK date input
    (``{"day": ..., "month": ..., "year": ...}``, the forms); ``today`` anchors the plausible date
    ranges (the real date when not given). An error about one part of a date is keyed
    ``field-part`` (``hearing_on-year``), the input a person must correct.
    """
    try:
        return model.model_validate(dict(data), context={"today": today or date.today()})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", ())]
            field = loc[0] if loc else "form"
            text = str(error.get("msg", "")).removeprefix("Value error, ")
            if _FIELD_SEP in text:
                field, message = text.split(_FIELD_SEP, 1)
                errors.setdefault(field, message)
                continue
            errors.setdefault(field, _message(error, field_label(model, field), is_choice(model, field)))
        raise InvalidInput(errors) from None


# --- inputs ------------------------------------------------------------------------------------


class ReferralIn(Input):
    """A referral into the service: from an agency's extract, the JSON API or a caseworker."""

    referral_id: str | None = Field(default=None, max_length=100, title="Referral reference")
    source: str = Field(default="caseworker", min_length=1, max_length=50, title="Source system")
    source_person_id: str | None = Field(default=None, max_length=100, title="Source person id")
    linkage_person_id: str | None = Field(default=None, max_length=100, title="Linkage person id")
    forename: str = Field(min_length=1, max_length=100, title="First name")
    surname: str = Field(min_length=1, max_length=100, title="Last name")
    date_of_birth: date = Field(title="Date of birth")
    crime_id: str | None = Field(default=None, max_length=100, title="Crime reference")
    referral_date: date = Field(title="Referral date")
    referrer: Referrer = Field(title="Who referred")
    role: CaseRole = Field(title="Victim or witness")
    needs: list[Need] = Field(default_factory=list, title="Needs")
    service: SupportService = Field(default="general_support", title="Service asked for")
    team: str = Field(min_length=1, max_length=100, title="Team")
    enhanced_rights: list[EnhancedReason] = Field(default_factory=list, title="Enhanced rights")
    contact_preference: ContactPreference = Field(default="phone", title="Contact preference")

    @field_validator("crime_id", "referral_id", "source_person_id", "linkage_person_id")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class AssessmentIn(Input):
    """The structured needs assessment, one section per need; asked once, revised on change."""

    risk_level: RiskLevel = Field(title="Risk level")
    safety_notes: str = Field(default="", max_length=2000, title="Safety and risk notes")
    health_need: bool = Field(default=False, title="Health need")
    health_notes: str = Field(default="", max_length=2000, title="Health notes")
    housing_need: bool = Field(default=False, title="Housing need")
    housing_notes: str = Field(default="", max_length=2000, title="Housing notes")
    financial_need: bool = Field(default=False, title="Financial need")
    financial_notes: str = Field(default="", max_length=2000, title="Financial notes")
    emotional_need: bool = Field(default=False, title="Emotional need")
    emotional_notes: str = Field(default="", max_length=2000, title="Emotional notes")
    court_preparation_need: bool = Field(default=False, title="Court preparation need")
    court_preparation_notes: str = Field(default="", max_length=2000, title="Court preparation notes")
    interpreter_language: str = Field(default="", max_length=100, title="Interpreter language")
    disability_adjustments: str = Field(default="", max_length=2000, title="Disability adjustments")
    change_reason: str = Field(default="", max_length=500, title="What has changed")


class HandoverIn(Input):
    """A new single point of contact: one of the team's caseworkers (their name comes from their
    account; ``to_name`` is accepted for older clients and ignored)."""

    to_username: str = Field(default="", max_length=200, validate_default=True, title="New caseworker")
    to_name: str = Field(default="", max_length=200, title="New caseworker's name")
    to_team: str | None = Field(default=None, max_length=100, title="Team")
    reason: str = Field(min_length=3, max_length=500, title="Reason for handover")

    @field_validator("to_username")
    @classmethod
    def _someone(cls, value: str) -> str:
        if not value:
            raise ValueError("Select the new caseworker")
        return value


class CaseVersion(Input):
    case_id: int = Field(ge=1, le=2_147_483_647, title="Case")
    version: int = Field(ge=0, title="Version")


class ReallocationIn(Input):
    """A supervisor moves one or many of a team's open cases to one of its caseworkers."""

    team: str = Field(min_length=1, max_length=100, title="Team")
    cases: list[CaseVersion] = Field(default_factory=list, max_length=500, validate_default=True,
                                     title="Cases")
    to_username: str = Field(default="", max_length=200, validate_default=True, title="New caseworker")
    reason: str = Field(min_length=3, max_length=500, title="Reason for reallocation")

    @field_validator("cases")
    @classmethod
    def _some_cases(cls, value: list[CaseVersion]) -> list[CaseVersion]:
        if not value:
            raise ValueError("Select at least one case to reallocate")
        return value

    @field_validator("to_username")
    @classmethod
    def _someone(cls, value: str) -> str:
        if not value:
            raise ValueError("Select the caseworker who will take the cases")
        return value


class DuplicateDecisionIn(Input):
    decision: Literal["same_person", "different_people"] = Field(title="Decision")
    note: str = Field(default="", max_length=500, title="Note")


class OnwardReferralIn(Input):
    service: SupportService = Field(title="Service")
    provider: str = Field(min_length=1, max_length=200, title="Provider")
    sent_on: date = Field(default_factory=date.today, title="Date sent")


class OnwardReferralUpdate(Input):
    status: Literal["accepted", "declined", "completed"] = Field(title="Status")
    status_on: date = Field(default_factory=date.today, title="Date of change")
    outcome: str = Field(default="", max_length=1000, title="Outcome")

    @model_validator(mode="after")
    def _outcome_when_finished(self) -> OnwardReferralUpdate:
        if self.status in ("declined", "completed") and not self.outcome:
            raise _field_error(
                "outcome", "Enter the outcome when a referral is declined or completed")
        return self


class CaseEventIn(Input):
    kind: str = Field(min_length=1, max_length=50, title="What happened")
    occurred_on: date = Field(title="Date")
    note: str = Field(default="", max_length=1000, title="Note")


class EntitlementMetIn(Input):
    met_on: date = Field(default_factory=date.today, title="Date met")
    note: str = Field(default="", max_length=1000, title="Note")


class WitnessSupportIn(Input):
    pretrial_visit_offered_on: date | None = Field(default=None, title="Pre-trial visit offered on")
    pretrial_visit_on: date | None = Field(default=None, title="Pre-trial visit date")
    special_measures_applied: list[SpecialMeasure] = Field(default_factory=list,
                                                           title="Special measures applied for")
    special_measures_applied_on: date | None = Field(default=None, title="Date applied")
    special_measures_granted: list[SpecialMeasure] = Field(default_factory=list,
                                                           title="Special measures granted")
    special_measures_decided_on: date | None = Field(default=None, title="Date decided")

    @model_validator(mode="after")
    def _consistent(self) -> WitnessSupportIn:
        if not set(self.special_measures_granted) <= set(self.special_measures_applied):
            raise _field_error(
                "special_measures_granted", "Special measures granted must be among those applied for")
        if self.special_measures_applied and self.special_measures_applied_on is None:
            raise _field_error(
                "special_measures_applied_on", "Enter the date the special measures were applied for")
        if self.special_measures_granted and self.special_measures_decided_on is None:
            raise _field_error(
                "special_measures_decided_on", "Enter the date the special measures were decided")
        if (self.special_measures_applied_on and self.special_measures_decided_on
                and self.special_measures_decided_on < self.special_measures_applied_on):
            raise _field_error(
                "special_measures_decided_on", "The decision date must be on or after the date applied")
        return self


class CourtDateIn(Input):
    hearing_on: date = Field(title="Hearing date")
    hearing_type: HearingType = Field(title="Hearing type")
    court: str = Field(min_length=1, max_length=200, title="Court")
    attending: bool = Field(default=True, title="Attending")


class ExpenseIn(Input):
    kind: ExpenseKind = Field(title="Type of expense")
    amount: Decimal = Field(gt=0, le=10000, max_digits=7, decimal_places=2, title="Amount in pounds")
    claimed_on: date = Field(default_factory=date.today, title="Date claimed")


class ExpenseStatusIn(Input):
    status: ExpenseStatus = Field(title="Status")


class ConsentIn(Input):
    recipient: Recipient = Field(title="Who it may be shared with")
    share_contact_details: bool = Field(default=False, title="Share contact details")
    share_assessment: bool = Field(default=False, title="Share the needs assessment")
    share_case_details: bool = Field(default=False, title="Share case details")


class ContactPreferencesIn(Input):
    contact_preference: ContactPreference = Field(title="How to contact")
    phone: str = Field(default="", max_length=50, title="Phone number")
    email: str = Field(default="", max_length=200, title="Email address")
    safe_to_leave_message: bool = Field(default=False, title="Safe to leave a message")

    @model_validator(mode="after")
    def _details_for_preference(self) -> ContactPreferencesIn:
        if self.contact_preference == "phone" and not self.phone:
            raise _field_error("phone", "Enter a phone number to contact by phone")
        if self.contact_preference == "email" and "@" not in self.email:
            raise _field_error(
                "email", "Enter an email address, like name@example.com, to contact by email")
        return self


class ContactIn(Input):
    occurred_on: date = Field(default_factory=date.today, title="Date of contact")
    channel: ContactChannel = Field(title="How")
    direction: Literal["outbound", "inbound"] = Field(title="Who made contact")
    summary: str = Field(min_length=1, max_length=4000, title="Summary")
    preference_override: str = Field(default="", max_length=500,
                                     title="Reason for not using their preference")
    left_message: bool = Field(default=False, title="Left a message")
    time_of_contact: str = Field(default="", max_length=5, pattern=r"^(([01]\d|2[0-3]):[0-5]\d)?$",
                                 title="Time of contact")


class CloseIn(Input):
    """Closing a case: an outcome from ``casework.toml``, a reason, and the person's feedback
    (each question 1 to 5, or unanswered; a form sends them as ``feedback_<question>``)."""

    outcome: str = Field(default="", max_length=50, title="Outcome")
    reason: str = Field(min_length=3, max_length=500, title="Reason for closing")
    closed_on: date = Field(default_factory=date.today, title="Date closed")
    feedback: dict[str, int] = Field(default_factory=dict, title="Their feedback")

    @model_validator(mode="before")
    @classmethod
    def _feedback_fields(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and any(str(k).startswith("feedback_") for k in data):
            data = dict(data)
            answers = dict(data.get("feedback") or {})
            for key in [k for k in data if str(k).startswith("feedback_")]:
                value = data.pop(key)
                if value not in ("", None):
                    answers[str(key).removeprefix("feedback_")] = value
            data["feedback"] = answers
        return data


class CaseFilters(Input):
    team: str | None = None
    status: Literal["open", "closed"] | None = "open"
    spoc_username: str | None = None
    role: CaseRole | None = None
    reference: str | None = Field(default=None, max_length=20)
    overdue_only: bool = False
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=25, ge=1, le=200)


DueWhen = Literal["overdue", "today", "week"]


class DueFilters(Input):
    """Which of a caseworker's deadlines to list: overdue, due today, or due this working week."""

    when: DueWhen = "week"
    mine: bool = True
    team: str | None = Field(default=None, max_length=100)
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=25, ge=1, le=200)


class SearchIn(Input):
    """A search of the teams' cases by the person's name, date of birth, or both."""

    name: str = Field(default="", max_length=100, title="Name")
    date_of_birth: date | None = Field(default=None, title="Date of birth")
    include_closed: bool = Field(default=True, title="Include closed cases")
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=25, ge=1, le=200)

    @model_validator(mode="after")
    def _something_to_search_for(self) -> SearchIn:
        letters = sum(c.isalpha() for c in self.name)
        if not self.name and self.date_of_birth is None:
            raise _field_error("name", "Enter a name or a date of birth to search for")
        if self.name and letters < 2:
            raise _field_error("name", "Enter at least 2 letters of the name")
        return self


# --- outputs -----------------------------------------------------------------------------------


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def case_reference(case_id: int) -> str:
    return f"VW{case_id:06d}"


class IntakeResult(View):
    case_id: int
    reference: str
    referral_id: str
    joined_existing: bool


class CaseSummary(View):
    id: int
    reference: str
    forename: str
    surname: str
    role: str
    crime_id: str | None
    team: str
    status: str
    spoc_username: str | None
    spoc_name: str | None
    opened_on: date
    enhanced: bool
    overdue: int = 0
    next_due_on: date | None = None


class DueItem(View):
    """One open entitlement with a deadline, on a case the reader may see."""

    entitlement_id: int
    case_id: int
    reference: str
    forename: str
    surname: str
    team: str
    spoc_name: str | None
    right_number: int
    right_title: str
    summary: str
    due_on: date
    overdue: bool


class DueCounts(View):
    """How much is due: past deadlines, today's, and the rest of this working week's."""

    today: date
    week_ends: date
    overdue: int
    due_today: int
    due_this_week: int


class DueList(View):
    counts: DueCounts
    when: str
    items: list[DueItem]
    total: int
    page: int
    page_size: int


class SearchHit(View):
    case_id: int
    reference: str
    forename: str
    surname: str
    date_of_birth: date | None
    role: str
    team: str
    status: str
    spoc_name: str | None
    opened_on: date


class SearchPage(View):
    hits: list[SearchHit]
    total: int
    page: int
    page_size: int


class CasePage(View):
    cases: list[CaseSummary]
    total: int
    page: int
    page_size: int


class AssessmentView(View):
    id: int
    case_id: int
    answers: dict[str, Any]
    assessed_by: str
    assessed_on: date
    change_reason: str | None
    version: int


class AssessmentRevisionView(View):
    assessment_version: int
    answers: dict[str, Any]
    saved_by: str
    change_reason: str | None


class EntitlementView(View):
    id: int
    rule_key: str
    right_number: int
    right_title: str = ""
    summary: str = ""
    clock_start: date
    working_days: int | None
    enhanced: bool
    due_on: date | None
    status: str
    met_on: date | None
    met_by: str | None
    note: str | None
    verified: bool = True
    version: int
    overdue: bool = False


class OnwardReferralView(View):
    id: int
    case_id: int
    service: str
    provider: str
    status: str
    sent_on: date
    status_on: date
    outcome: str | None
    version: int


class EventView(View):
    id: int
    kind: str
    label: str = ""
    occurred_on: date
    note: str | None
    recorded_by: str


class HandoverView(View):
    from_username: str | None
    to_username: str
    to_name: str
    from_team: str | None
    to_team: str
    reason: str
    by_username: str


class ConsentView(View):
    id: int
    recipient: str
    share_contact_details: bool
    share_assessment: bool
    share_case_details: bool
    recorded_on: date
    version: int


class ContactView(View):
    id: int
    occurred_on: date
    channel: str
    direction: str
    summary: str
    preference_override: str | None
    by_username: str


class WitnessSupportView(View):
    id: int
    pretrial_visit_offered_on: date | None
    pretrial_visit_on: date | None
    special_measures_applied: list[str]
    special_measures_applied_on: date | None
    special_measures_granted: list[str]
    special_measures_decided_on: date | None
    version: int


class CourtDateView(View):
    id: int
    hearing_on: date
    hearing_type: str
    court: str
    attending: bool
    version: int


class ExpenseView(View):
    id: int
    kind: str
    amount_pence: int
    claimed_on: date
    status: str
    version: int


class IncomingReferralView(View):
    referral_id: str
    channel: str
    referrer: str
    role: str
    referral_date: date
    needs: list[str]
    service: str
    joined_existing: bool
    source: str | None = None
    source_person_id: str | None = None
    forename: str | None = None
    surname: str | None = None
    date_of_birth: date | None = None
    #: the details this referral gave that differ from the person's record ('name', 'date_of_birth')
    differs: list[str] = Field(default_factory=list)


class CaseloadRow(View):
    username: str
    display_name: str
    role: str
    open_cases: int
    overdue_cases: int


class AllocationCase(View):
    id: int
    reference: str
    role: str
    crime_id: str | None
    spoc_username: str | None
    spoc_name: str | None
    opened_on: date
    version: int


class AllocationPage(View):
    """A team's caseworkers with their open caseloads, and its open cases to reallocate."""

    team: str
    teams: list[str]
    caseworkers: list[CaseloadRow]
    cases: list[AllocationCase]
    from_username: str | None = None
    #: how many open cases ``from_username`` holds in the team; ``cases`` is one page of them
    cases_total: int = 0
    page: int = 1
    page_size: int = 50


class ReallocationResult(View):
    to_username: str
    to_name: str
    cases: list[int]


class DuplicateSide(View):
    team: str
    forename: str
    surname: str
    date_of_birth: date | None
    cases: list[str]


class PossibleDuplicateView(View):
    id: int
    matched_on: str
    status: str
    flagged_at: datetime
    decided_by: str | None
    note: str | None
    version: int
    person: DuplicateSide
    other: DuplicateSide


class DuplicateList(View):
    duplicates: list[PossibleDuplicateView]


class TimelineItem(View):
    on: date
    kind: str
    text: str


class CaseDetail(CaseSummary):
    date_of_birth: date | None
    enhanced_rights: list[str]
    contact_preference: str
    phone: str | None
    email: str | None
    safe_to_leave_message: bool
    closed_on: date | None
    closure_reason: str | None
    version: int
    assessment: AssessmentView | None
    assessment_revisions: list[AssessmentRevisionView]
    entitlements: list[EntitlementView]
    onward_referrals: list[OnwardReferralView]
    events: list[EventView]
    handovers: list[HandoverView]
    consents: list[ConsentView]
    contacts: list[ContactView]
    witness_support: WitnessSupportView | None
    court_dates: list[CourtDateView]
    expenses: list[ExpenseView]
    referrals: list[IncomingReferralView]
    timeline: list[TimelineItem]
    #: risk, safety plan, safe contact, tasks, approvals, closures, flags and documents
    #: (``casework_schemas``, which resolves this name)
    casework: CaseworkView | None = None


class ProviderPack(View):
    """What one provider may see for one referral, as the person's consent allows."""

    onward_referral: OnwardReferralView
    case_reference: str
    forename: str | None
    surname: str | None
    phone: str | None
    email: str | None
    contact_preference: str | None
    crime_id: str | None
    role: str | None
    assessment: dict[str, Any] | None
    withheld: list[str]


class ComplianceRow(View):
    right_number: int
    right_title: str
    team: str
    month: str
    due: int
    met_on_time: int
    met_late: int
    overdue: int
    share_on_time: float | None


class OverdueItem(View):
    entitlement_id: int
    case_id: int
    reference: str
    team: str
    spoc_username: str | None
    spoc_name: str | None
    rule_key: str
    right_number: int
    summary: str
    due_on: date
    working_days_late: int


class OverdueCount(View):
    key: str
    overdue: int


class OverdueReport(View):
    as_of: date
    items: list[OverdueItem]
    by_caseworker: list[OverdueCount]
    by_team: list[OverdueCount]
