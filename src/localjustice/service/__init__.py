"""The victims-and-witnesses case service: assessed once, one named caseworker, every entitlement on time.

Others import only from here. ``CaseService`` does every case operation for an ``Actor`` (scoped to
their teams, audited); ``ComplianceReports`` gives the Victims' Code compliance report and overdue
lists; ``WorkLists`` what is due today and this week, and search by name or date of birth;
``import_referrals`` opens cases in bulk from the warehouse; ``IncidentService`` runs major-incident
mode (MoU V7: an incident, its people registered from CSV, triage, access across teams while it
is open, bulk messages, a dashboard). Whoever builds a ``CaseService``
hands it a ``Staff`` directory (who the active caseworkers of a team are): the service allocates
cases only to them, and never imports the accounts that answer it. Inputs are parsed with
``parse_input`` into the ``schemas`` models, giving field-level errors.
"""

from localjustice.service import incident_schemas, schemas
from localjustice.service.cases import DUPLICATE_LIST, CaseService
from localjustice.service.duplicates import MatchDecision, PossibleMatch, PossibleMatches
from localjustice.service.errors import (
    CaseServiceError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
    PurposeInvalid,
    PurposeRequired,
    StaleEdit,
)
from localjustice.service.identity import PersonClaim, find_same_person, normalise_name
from localjustice.service.incident_triage import Triage, load_triage, parse_triage
from localjustice.service.incidents import IncidentService
from localjustice.service.input_rules import load_input_rules
from localjustice.service.reports import ComplianceReports
from localjustice.service.rules import EntitlementRule, VictimsCode, load_victims_code, parse_victims_code
from localjustice.service.schemas import parse_input
from localjustice.service.staff import CASEWORKING_ROLES, Caseworker, Staff, StaffList
from localjustice.service.warehouse_intake import Allocation, ImportReport, import_referrals
from localjustice.service.working_days import WorkingCalendar, england_and_wales
from localjustice.service.worklists import WorkLists

__all__ = [
    "CASEWORKING_ROLES",
    "DUPLICATE_LIST",
    "Allocation",
    "CaseService",
    "CaseServiceError",
    "Caseworker",
    "ComplianceReports",
    "EntitlementRule",
    "ImportReport",
    "IncidentService",
    "InvalidInput",
    "InvalidTransition",
    "MatchDecision",
    "NotAllowed",
    "NotFound",
    "PersonClaim",
    "PossibleMatch",
    "PossibleMatches",
    "PurposeInvalid",
    "PurposeRequired",
    "Staff",
    "StaffList",
    "StaleEdit",
    "Triage",
    "VictimsCode",
    "WorkLists",
    "WorkingCalendar",
    "england_and_wales",
    "find_same_person",
    "import_referrals",
    "incident_schemas",
    "load_input_rules",
    "load_triage",
    "load_victims_code",
    "normalise_name",
    "parse_input",
    "parse_triage",
    "parse_victims_code",
    "schemas",
]
