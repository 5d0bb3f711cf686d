"""The victims-and-witnesses case pages and their JSON API: thin routes over ``CaseService``.

Each route parses, authorises (one ``Permit``), calls one service method and renders. Pages have
JSON twins from the same call (``page``); changes have JSON endpoints under ``/api/`` documented in
the OpenAPI file. Service errors map to pages and statuses: bad input re-shows the form with a
GOV.UK error summary (422 in the API), a stale edit shows both versions (409), a case outside the
user's teams is not found (404). Every view and change is audited by the service.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from localjustice.service import (
    CaseService,
    ComplianceReports,
    InvalidInput,
    MatchDecision,
    NotAllowed,
    NotFound,
    PossibleMatch,
    PossibleMatches,
    PurposeInvalid,
    StaleEdit,
    load_victims_code,
    parse_input,
    schemas,
)
from localjustice.service.casework_rules import load_casework_rules
from localjustice.service.casework_schemas import ApprovalView, Outcome
from localjustice.web import access_reasons as reasons
from localjustice.web.accounts.caseworkers import AccountsStaff
from localjustice.web.authorise import Forbidden, Permit, SignedIn
from localjustice.web.deps import PRINTABLE, RecordId
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page, render
from localjustice.web.roles import Permission

router = APIRouter()
VIEW, EDIT, REPORT = "cases:view", "cases:edit", "cases:report"
PERMISSIONS = (
    Permission(VIEW, "See the victims-and-witnesses cases of your teams (names, contact details, "
               "assessments); every view is audited", frozenset({"caseworker", "supervisor", "admin"})),
    Permission(EDIT, "Open cases from referrals and record assessments, contacts, referrals, events and "
               "entitlements on your teams' cases", frozenset({"caseworker", "supervisor", "admin"})),
    Permission(REPORT, "See Victims' Code compliance by right, team and month (counts only)",
               frozenset({"caseworker", "supervisor", "admin", "analyst", "board"})),
)
Viewer = Annotated[SignedIn, Depends(Permit(VIEW))]
Editor = Annotated[SignedIn, Depends(Permit(EDIT))]
Reporter = Annotated[SignedIn, Depends(Permit(REPORT))]
T = TypeVar("T")


def _service(request: Request) -> CaseService:
    sessions = request.app.state.sessions
    return CaseService(sessions, staff=AccountsStaff(sessions),
                       checklist=request.app.state.settings.risk_checklist)


def _reports(request: Request) -> ComplianceReports:
    return ComplianceReports(request.app.state.sessions)


def _guard(call: Callable[[], T]) -> T:
    """Run a service call, turning not-found and not-allowed into the web app's own errors."""
    try:
        return call()
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except NotAllowed as exc:
        raise Forbidden(str(exc)) from None


# --- pages (each with its JSON twin under /api) ---------------------------------------------


class CaseListPage(BaseModel):
    page: schemas.CasePage
    filters: schemas.CaseFilters
    teams: list[str]


@page(router, "/cases", permission=VIEW, template="cases/list.html", title="Cases",
      summary="Cases of your teams, filtered and paged, with overdue entitlements")
def case_list(request: Request, user: Viewer,
              status: Annotated[str, Query(max_length=10, pattern=PRINTABLE)] = "open",
              team: Annotated[str, Query(max_length=100, pattern=PRINTABLE)] = "",
              role: Annotated[str, Query(max_length=10, pattern=PRINTABLE)] = "",
              mine: Annotated[bool, Query()] = False,
              overdue_only: Annotated[bool, Query()] = False,
              reference: Annotated[str, Query(max_length=20, pattern=PRINTABLE)] = "",
              page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1) -> CaseListPage:
    raw = {"status": status or None, "team": team or None, "role": role or None,
           "spoc_username": user.actor.username if mine else None, "overdue_only": overdue_only,
           "reference": reference or None, "page": page_number}
    try:
        filters = parse_input(schemas.CaseFilters, raw)
    except InvalidInput:
        filters = schemas.CaseFilters()
    result = _guard(lambda: _service(request).list_cases(user.actor, filters, purpose="caseload"))
    return CaseListPage(page=result, filters=filters, teams=list(user.actor.teams))


@page(router, "/cases/overdue", permission=VIEW, template="cases/overdue.html", title="Overdue work",
      summary="Victims' Code entitlements past their deadline, per caseworker and team")
def overdue(request: Request, user: Viewer,
            team: Annotated[str, Query(max_length=100, pattern=PRINTABLE)] = "",
            mine: Annotated[bool, Query()] = False) -> schemas.OverdueReport:
    return _guard(lambda: _reports(request).overdue(
        user.actor, team=team or None, spoc_username=user.actor.username if mine else None))


class CompliancePage(BaseModel):
    rows: list[schemas.ComplianceRow]
    team: str


@page(router, "/cases/compliance", permission=REPORT, template="cases/compliance.html",
      title="Victims' Code compliance", summary="Share of entitlements met on time by right, team and month")
def compliance(request: Request, user: Reporter,
               team: Annotated[str, Query(max_length=100, pattern=PRINTABLE)] = "") -> CompliancePage:
    rows = _guard(lambda: _reports(request).compliance(user.actor, team=team or None))
    return CompliancePage(rows=rows, team=team)


@page(router, "/cases/{case_id}", permission=VIEW, template="cases/case.html", title="Case",
      summary="One case: person, single point of contact, entitlements, referrals and timeline (audited; "
              "anyone but the allocated caseworker gives a reason for access)")
def case_page(request: Request, user: Viewer, case_id: RecordId, purpose: reasons.PurposeCode = "",
              purpose_detail: reasons.PurposeDetail = "") -> schemas.CaseDetail:
    given = reasons.stated("case", purpose, purpose_detail)
    return _guard(lambda: _service(request).get_case(user.actor, case_id, purpose=given,
                                                     stated_in=reasons.held(request, "case", case_id)))


@router.get("/cases/{case_id}/reason", dependencies=[Depends(Permit(VIEW))], include_in_schema=False)
def case_reason_form(request: Request, user: Viewer, case_id: RecordId,
                     next_page: Annotated[str, Query(alias="next", max_length=500)] = "") -> Response:
    return _reason_page(request, case_id, next_page)


@router.post("/cases/{case_id}/reason", dependencies=[Depends(Permit(VIEW))], include_in_schema=False)
async def case_reason(request: Request, user: Viewer, case_id: RecordId) -> Response:
    """Record why the person is opening the case, then show what they asked for."""
    code, detail, next_page = await reasons.reason_form(request)
    try:
        given = reasons.chosen("case", code, detail)
    except PurposeInvalid as exc:
        return _reason_page(request, case_id, next_page, {"purpose": code, "purpose_detail": detail},
                            exc.errors, 422)
    event_id = await run_in_threadpool(_guard, lambda: _service(request).state_purpose(user.actor, case_id,
                                                                                       given))
    reasons.keep(request, "case", case_id, event_id)
    return RedirectResponse(reasons.safe_next(next_page, f"/cases/{case_id}"), status_code=303)


def _reason_page(request: Request, case_id: int, next_page: str, values: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    return reasons.reason_page(
        request, kind="case", action=f"/cases/{case_id}/reason", back="/cases",
        caption=schemas.case_reference(case_id), heading="Why are you opening this case?",
        intro="Only the case's allocated caseworker can open it without giving a reason.",
        next_page=reasons.safe_next(next_page, f"/cases/{case_id}"), values=values, errors=errors,
        status_code=status_code)


# --- HTML forms ---------------------------------------------------------------------------------

DATE_FIELDS = {"date_of_birth", "referral_date", "occurred_on", "met_on", "hearing_on", "sent_on",
               "status_on", "closed_on", "claimed_on", "pretrial_visit_offered_on", "pretrial_visit_on",
               "special_measures_applied_on", "special_measures_decided_on", "review_on"}
LIST_FIELDS = {"needs", "enhanced_rights", "special_measures_applied", "special_measures_granted"}
BOOL_FIELDS = {"health_need", "housing_need", "financial_need", "emotional_need", "court_preparation_need",
               "share_contact_details", "share_assessment", "share_case_details", "safe_to_leave_message",
               "attending", "left_message", "safe_to_call", "safe_to_email", "no_messages"}
RECIPIENTS = frozenset(typing.get_args(schemas.Recipient))
#: What a form saves over: the saved values (keyed like the form's input model) and their version.
Saved = tuple[dict[str, Any], int | None]
#: Reads what a form saves over from the case as it is now and what the person gave (the query on
#: a form page, the posted answers on a save: the consent form edits the consent of one recipient).
Record = Callable[[schemas.CaseDetail, Mapping[str, Any]], Saved]


async def _form(request: Request) -> tuple[dict[str, Any], int | None, dict[str, str]]:
    """The posted form as service input, the version the person saw, and the raw fields.

    A GOV.UK date input arrives as its parts (``name-day``, ``name-month``, ``name-year``) and is
    passed on as parts, for ``parse_input`` to read with the date-input messages.
    """
    raw = await request.form()
    flat = {k: str(v) for k, v in raw.items()}
    data: dict[str, Any] = {}
    for key in raw:
        base = key.rsplit("-", 1)[0] if key.endswith(("-day", "-month", "-year")) else key
        if base in ("csrf_token", "version", "purpose"):
            continue
        if base in DATE_FIELDS:
            parts = {p: flat.get(f"{base}-{p}", "") for p in ("day", "month", "year")}
            data[base] = parts if any(v.strip() for v in parts.values()) else None
        elif base in LIST_FIELDS:
            data[base] = [str(v) for v in raw.getlist(key) if str(v)]
        elif base in BOOL_FIELDS:
            data[base] = flat[key] in ("yes", "true", "on")
        else:
            data[base] = flat[key]
    data = {k: v for k, v in data.items() if v is not None}
    version = flat.get("version", "")
    return data, int(version) if version.isascii() and version.isdigit() else None, flat


def _form_page(request: Request, template: str, *, title: str, values: Mapping[str, Any],
               errors: Mapping[str, str] | None = None, status_code: int = 200,
               conflict: str = "", changes: list[dict[str, str]] | None = None, **extra: Any) -> Response:
    # field_order: the form's fields append their names as they render, so the error summary
    # (rendered after the fields, shown before them) lists errors in the order of the page
    return render(request, template, {"title": title, "values": dict(values), "errors": dict(errors or {}),
                                      "conflict": conflict, "changes": changes or [], "field_order": [],
                                      "date_fields": DATE_FIELDS, "code": load_victims_code(),
                                      "casework_rules": load_casework_rules(), **extra},
                  status_code=status_code)


def _display(model: type[BaseModel], field: str, value: Any) -> str:
    """A saved or attempted answer as a person reads it in the what-changed table."""
    if value is None or value == "" or value == []:
        return "Not given"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_display(model, field, v) for v in value)
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = date.fromisoformat(text)
        return f"{day.day} {day:%B %Y}"
    if schemas.is_choice(model, field):
        return text.replace("_", " ").capitalize()
    return text


def _changes(model: type[BaseModel], saved: Mapping[str, Any],
             attempted: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each answer where what is saved now differs from what the person tried to save."""
    rows = []
    for field, info in model.model_fields.items():
        if field not in saved and field not in attempted:
            continue
        now, tried = _display(model, field, saved.get(field)), _display(model, field, attempted.get(field))
        if now != tried:
            rows.append({"field": field, "label": info.title or field, "saved": now, "attempted": tried})
    return rows


def _attempted(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return parse_input(model, data).model_dump(mode="json")
    except InvalidInput:
        return {}


async def _submit(request: Request, template: str, title: str,
                  call: Callable[[dict[str, Any], int | None], Any],
                  success: Callable[[Any], str], *, values: Mapping[str, Any] | None = None,
                  model: type[BaseModel] | None = None,
                  saved_now: Callable[[dict[str, Any]], tuple[Saved, dict[str, Any]]] | None = None,
                  **extra: Any) -> Response:
    """Post-redirect-get: on success go to ``success(result)``; otherwise re-show the form.

    The person's answers are re-shown as they typed them. On a stale save, ``saved_now`` reads the
    record as it is now: the page shows its saved answers beside theirs, and the form carries the
    current version, so saving again (having seen what changed) goes through.
    """
    data, version, flat = await _form(request)
    typed = {k: ("" if k in DATE_FIELDS else v) for k, v in data.items()}
    shown = {**(values or {}), **flat, **typed, "version": version}
    try:
        result = await run_in_threadpool(_guard, lambda: call(data, version))
    except InvalidInput as exc:
        return _form_page(request, template, title=title, values=shown, errors=exc.errors, status_code=422,
                          **extra)
    except StaleEdit as exc:
        changes: list[dict[str, str]] = []
        if saved_now is not None:
            (saved, current_version), context = await run_in_threadpool(_guard, lambda: saved_now(data))
            shown["version"] = current_version
            extra.update(context)
            if model is not None:
                changes = _changes(model, saved, exc.attempted or _attempted(model, data))
        return _form_page(request, template, title=title, values=shown, status_code=409, conflict=str(exc),
                          changes=changes, **extra)
    return RedirectResponse(success(result), status_code=303)


def _case_or_404(request: Request, user: SignedIn, case_id: RecordId) -> schemas.CaseDetail:
    """The case a form is about, read with the reason the session holds for it (or none needed)."""
    return _guard(lambda: _service(request).get_case(user.actor, case_id,
                                                     stated_in=reasons.held(request, "case", case_id)))


@router.get("/cases/new/referral", dependencies=[Depends(Permit(EDIT))], include_in_schema=False)
def new_referral_form(request: Request, user: Editor) -> Response:
    today = date.today()
    return _form_page(request, "cases/referral.html", title="Add a referral", values={
        "team": user.actor.teams[0] if user.actor.teams else "", "referral_date": today.isoformat()},
        team_options=[(t, t) for t in user.actor.teams])


def _match_decision(data: dict[str, Any]) -> MatchDecision | None:
    """The caseworker's answer to the possible matches offered (``match_choice``: 'new' or a case
    id to join), taken out of the referral's fields; ``None`` before any were offered."""
    choice, reason = str(data.pop("match_choice", "")), str(data.pop("match_reason", ""))
    data.pop("match_offered", None)
    if choice == "new":
        return MatchDecision(new_case_reason=reason[:500])
    if choice.isascii() and choice.isdigit():
        return MatchDecision(join_case_id=int(choice))
    return None


@router.post("/cases/new/referral", dependencies=[Depends(Permit(EDIT))], include_in_schema=False)
async def new_referral(request: Request, user: Editor) -> Response:
    """Take a referral; when it may belong to an open case of the caller's teams, show those cases
    on the same form for the caseworker to join one or open a new case with a reason."""
    matches: list[PossibleMatch] = []

    def call(data: dict[str, Any], _: int | None) -> schemas.IntakeResult:
        decision = _match_decision(data)
        try:
            return _service(request).receive_referral(user.actor, parse_input(schemas.ReferralIn, data),
                                                      offer_matches=True, decision=decision)
        except PossibleMatches as exc:
            matches[:] = exc.matches
            raise
    return await _submit(request, "cases/referral.html", "Add a referral", call,
                         lambda r: f"/cases/{r.case_id}?{'joined' if r.joined_existing else 'opened'}=1",
                         team_options=[(t, t) for t in user.actor.teams], matches=matches)


def _case_form(path: str, template: str, title: str,
               action: Callable[[CaseService, SignedIn, int, dict[str, Any], int | None], Any],
               model: type[BaseModel], record: Record | None = None, *, prefill: bool = True,
               done: str = "saved") -> None:
    """Register GET (the form) and POST (save) for one form about one case.

    A form that edits a record (``record`` given) carries that record's version, read when the
    page is shown (and its saved answers, when ``prefill``); the save names that version, so a
    record changed meanwhile is never overwritten unseen.
    """

    def show(request: Request, user: Editor, case_id: RecordId) -> Response:
        case = _case_or_404(request, user, case_id)
        values: dict[str, Any] = {}
        if record is not None:
            saved, version = record(case, request.query_params)
            values = {**(saved if prefill else {}), "version": version}
        return _form_page(request, template, title=title, values=values, case=case)

    async def save(request: Request, user: Editor, case_id: RecordId) -> Response:
        case = await run_in_threadpool(_case_or_404, request, user, case_id)

        def call(data: dict[str, Any], version: int | None) -> Any:
            return action(_service(request), user, case_id, data, version)

        def saved_now(data: dict[str, Any]) -> tuple[Saved, dict[str, Any]]:
            assert record is not None
            fresh = _case_or_404(request, user, case_id)
            return record(fresh, data), {"case": fresh}
        return await _submit(request, template, title, call, lambda r: f"/cases/{case_id}?{_done(r, done)}=1",
                             model=model, saved_now=saved_now if record is not None else None, case=case)

    name = path.strip("/").replace("/", "_").replace("{case_id}", "case")
    router.add_api_route(path, show, methods=["GET"], dependencies=[Depends(Permit(EDIT))],
                         include_in_schema=False, name=f"{name}_form")
    router.add_api_route(path, save, methods=["POST"], dependencies=[Depends(Permit(EDIT))],
                         include_in_schema=False, name=f"{name}_save")


def _done(result: Any, done: str) -> str:
    """The case page's banner after a save: what was done, or that it waits for a supervisor."""
    waiting = isinstance(result, ApprovalView) or (isinstance(result, Outcome) and not result.applied)
    return "approval_requested" if waiting else done


def _assessment_record(case: schemas.CaseDetail, _: Mapping[str, Any]) -> Saved:
    if case.assessment is None:
        return {}, None
    return dict(case.assessment.answers), case.assessment.version


def _spoc_record(case: schemas.CaseDetail, _: Mapping[str, Any]) -> Saved:
    return {"to_username": case.spoc_username, "to_name": case.spoc_name, "to_team": case.team}, case.version


def _close_record(case: schemas.CaseDetail, _: Mapping[str, Any]) -> Saved:
    return {"reason": case.closure_reason or "",
            "closed_on": case.closed_on.isoformat() if case.closed_on else None}, case.version


def _consent_record(case: schemas.CaseDetail, given: Mapping[str, Any]) -> Saved:
    """The consent to one recipient (the one asked for, or answered): one record per recipient."""
    recipient = given.get("recipient")
    current = next((c for c in case.consents if c.recipient == recipient), None)
    if current is None:
        return ({"recipient": recipient} if recipient in RECIPIENTS else {}), None
    return current.model_dump(mode="json", include={"recipient", "share_contact_details", "share_assessment",
                                                    "share_case_details"}), current.version


def _contact_preferences_record(case: schemas.CaseDetail, _: Mapping[str, Any]) -> Saved:
    return {"contact_preference": case.contact_preference, "phone": case.phone or "",
            "email": case.email or "", "safe_to_leave_message": case.safe_to_leave_message}, case.version


def _witness_support_record(case: schemas.CaseDetail, _: Mapping[str, Any]) -> Saved:
    support = case.witness_support
    if support is None:
        return {}, None
    return support.model_dump(mode="json", exclude={"id", "version"}), support.version


_case_form("/cases/{case_id}/assessment", "cases/assessment.html", "Needs assessment",
           lambda svc, u, cid, data, v: svc.save_assessment(
               u.actor, cid, parse_input(schemas.AssessmentIn, data), expected_version=v),
           schemas.AssessmentIn, _assessment_record, done="assessed")
_case_form("/cases/{case_id}/onward-referral", "cases/onward_referral.html", "Refer to a support service",
           lambda svc, u, cid, data, v: svc.refer_onward(
               u.actor, cid, parse_input(schemas.OnwardReferralIn, data)),
           schemas.OnwardReferralIn, done="referred")
_case_form("/cases/{case_id}/event", "cases/event.html", "Record what happened",
           lambda svc, u, cid, data, v: svc.record_event(
               u.actor, cid, parse_input(schemas.CaseEventIn, data)), schemas.CaseEventIn, done="recorded")
_case_form("/cases/{case_id}/contact", "cases/contact.html", "Log a contact",
           lambda svc, u, cid, data, v: svc.log_contact(u.actor, cid, parse_input(schemas.ContactIn, data)),
           schemas.ContactIn, done="contact_logged")
_case_form("/cases/{case_id}/consent", "cases/consent.html", "Record consent to share",
           lambda svc, u, cid, data, v: svc.set_consent(
               u.actor, cid, parse_input(schemas.ConsentIn, data), expected_version=v),
           schemas.ConsentIn, _consent_record, done="consent_saved")
_case_form("/cases/{case_id}/contact-preferences", "cases/contact_preferences.html", "How to contact them",
           lambda svc, u, cid, data, v: svc.set_contact_preferences(
               u.actor, cid, parse_input(schemas.ContactPreferencesIn, data), expected_version=v or 0),
           schemas.ContactPreferencesIn, _contact_preferences_record, done="contact_preferences_saved")
_case_form("/cases/{case_id}/witness-support", "cases/witness_support.html", "Witness pre-trial support",
           lambda svc, u, cid, data, v: svc.save_witness_support(
               u.actor, cid, parse_input(schemas.WitnessSupportIn, data), expected_version=v),
           schemas.WitnessSupportIn, _witness_support_record, done="witness_support_saved")
_case_form("/cases/{case_id}/court-date", "cases/court_date.html", "Add a court date",
           lambda svc, u, cid, data, v: svc.add_court_date(
               u.actor, cid, parse_input(schemas.CourtDateIn, data)),
           schemas.CourtDateIn, done="court_date_added")
_case_form("/cases/{case_id}/expense", "cases/expense.html", "Add a witness expenses claim",
           lambda svc, u, cid, data, v: svc.add_expense(u.actor, cid, parse_input(schemas.ExpenseIn, data)),
           schemas.ExpenseIn, done="expense_added")
_case_form("/cases/{case_id}/close", "cases/close.html", "Close the case",
           lambda svc, u, cid, data, v: svc.close_case(
               u.actor, cid, parse_input(schemas.CloseIn, data), expected_version=v or 0),
           schemas.CloseIn, _close_record, prefill=False, done="closed")


def _expense_of(case: schemas.CaseDetail, expense_id: int) -> schemas.ExpenseView:
    found = next((x for x in case.expenses if x.id == expense_id), None)
    if found is None:
        raise HTTPException(404, f"No expenses claim {expense_id} on case {case.reference}.")
    return found


EXPENSE_STATUS = "Record the decision on an expenses claim"


@router.get("/cases/{case_id}/expenses/{expense_id}", dependencies=[Depends(Permit(EDIT))],
            include_in_schema=False)
def expense_status_form(request: Request, user: Editor, case_id: RecordId, expense_id: RecordId) -> Response:
    case = _case_or_404(request, user, case_id)
    claim = _expense_of(case, expense_id)
    return _form_page(request, "cases/expense_status.html", title=EXPENSE_STATUS,
                      values={"version": claim.version}, case=case, claim=claim)


@router.post("/cases/{case_id}/expenses/{expense_id}", dependencies=[Depends(Permit(EDIT))],
             include_in_schema=False)
async def expense_status(request: Request, user: Editor, case_id: RecordId, expense_id: RecordId) -> Response:
    case = await run_in_threadpool(_case_or_404, request, user, case_id)
    claim = _expense_of(case, expense_id)

    def call(data: dict[str, Any], version: int | None) -> Any:
        return _service(request).update_expense(
            user.actor, expense_id, parse_input(schemas.ExpenseStatusIn, data), expected_version=version or 0)

    def saved_now(_: dict[str, Any]) -> tuple[Saved, dict[str, Any]]:
        fresh = _case_or_404(request, user, case_id)
        now = _expense_of(fresh, expense_id)
        return ({"status": now.status}, now.version), {"case": fresh, "claim": now}
    return await _submit(request, "cases/expense_status.html", EXPENSE_STATUS, call,
                         lambda _: f"/cases/{case_id}?expense_updated=1", model=schemas.ExpenseStatusIn,
                         saved_now=saved_now, case=case, claim=claim)


@router.post("/cases/{case_id}/entitlements/{entitlement_id}/met", dependencies=[Depends(Permit(EDIT))],
             include_in_schema=False)
async def entitlement_met(request: Request, user: Editor, case_id: RecordId,
                          entitlement_id: RecordId) -> Response:
    data, version, _ = await _form(request)
    try:
        await run_in_threadpool(_guard, lambda: _service(request).mark_entitlement_met(
            user.actor, entitlement_id, parse_input(schemas.EntitlementMetIn, data),
            expected_version=version or 0))
    except (InvalidInput, StaleEdit) as exc:
        problem = "stale" if isinstance(exc, StaleEdit) else "invalid"
        return RedirectResponse(f"/cases/{case_id}?entitlement_error={problem}#entitlements", status_code=303)
    return RedirectResponse(f"/cases/{case_id}?met=1#entitlements", status_code=303)


def _onward_of(case: schemas.CaseDetail, referral_id: int) -> schemas.OnwardReferralView:
    found = next((o for o in case.onward_referrals if o.id == referral_id), None)
    if found is None:
        raise HTTPException(404, f"No referral {referral_id} on case {case.reference}.")
    return found


ONWARD_STATUS = "Update a referral to a support service"


@router.get("/cases/{case_id}/onward-referral/{referral_id}", dependencies=[Depends(Permit(EDIT))],
            include_in_schema=False)
def onward_status_form(request: Request, user: Editor, case_id: RecordId, referral_id: RecordId) -> Response:
    case = _case_or_404(request, user, case_id)
    onward = _onward_of(case, referral_id)
    return _form_page(request, "cases/onward_status.html", title=ONWARD_STATUS,
                      values={"version": onward.version}, case=case, onward=onward)


@router.post("/cases/{case_id}/onward-referral/{referral_id}", dependencies=[Depends(Permit(EDIT))],
             include_in_schema=False)
async def onward_status(request: Request, user: Editor, case_id: RecordId, referral_id: RecordId) -> Response:
    """The status form on the case page posts here; a refused or stale update is re-shown on a page
    of its own, with the outcome the person typed, rather than lost in a redirect."""
    case = await run_in_threadpool(_case_or_404, request, user, case_id)
    onward = _onward_of(case, referral_id)

    def call(data: dict[str, Any], version: int | None) -> Any:
        return _service(request).update_onward_referral(
            user.actor, referral_id, parse_input(schemas.OnwardReferralUpdate, data),
            expected_version=version or 0)

    def saved_now(_: dict[str, Any]) -> tuple[Saved, dict[str, Any]]:
        fresh = _case_or_404(request, user, case_id)
        now = _onward_of(fresh, referral_id)
        return (now.model_dump(mode="json", include={"status", "status_on", "outcome"}), now.version), {
            "case": fresh, "onward": now}
    return await _submit(request, "cases/onward_status.html", ONWARD_STATUS, call,
                         lambda _: f"/cases/{case_id}?referral_updated=1#referrals",
                         model=schemas.OnwardReferralUpdate, saved_now=saved_now, case=case, onward=onward)


# --- JSON API for changes -------------------------------------------------------------------------


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _api(call: Callable[[], BaseModel | list[Any] | None], status_code: int = 200) -> Response:
    """Service errors as JSON: 422 with field errors, 409 for a stale edit, 404, 403."""
    try:
        result = _guard(call)
    except InvalidInput as exc:
        return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=422)
    except StaleEdit as exc:
        return JSONResponse({"detail": str(exc), "current_version": exc.current_version,
                             "attempted": exc.attempted}, status_code=409)
    if result is None:
        return Response(status_code=204)
    if isinstance(result, list):
        return JSONResponse([r.model_dump(mode="json") for r in result], status_code=status_code)
    return JSONResponse(result.model_dump(mode="json"), status_code=status_code)


JsonBody = Annotated[dict[str, Any], Body()]
Version = Annotated[int, Query(ge=0, description="The version of the record you read (optimistic locking)")]
OptionalVersion = Annotated[int | None, Query(ge=0, description="The version you read; omit when creating")]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such record in your teams"}, 409: {"description": "Changed by someone else"},
    422: {"description": "Field-level errors: {'errors': {field: message}}"}}


def _api_route(method: str, path: str, permission: str, model: type[BaseModel] | None,
               response: Any, summary: str) -> Callable[[Callable[..., Response]], Any]:
    def decorate(fn: Callable[..., Response]) -> Callable[..., Response]:
        responses: dict[int | str, dict[str, Any]] = dict(ERRORS)
        if response is not None:
            responses[200] = {"model": response}
        router.add_api_route(path, fn, methods=[method], dependencies=[Depends(Permit(permission))],
                             summary=summary, responses=responses,
                             openapi_extra=_body(model) if model else None,
                             name=fn.__name__, response_class=JSONResponse)
        return fn
    return decorate


@_api_route("POST", "/api/cases", EDIT, schemas.ReferralIn, schemas.IntakeResult,
            "Receive a referral: open a case, or join your team's open case for the same person and crime")
def api_receive_referral(request: Request, user: Editor, body: JsonBody,
                         spoc_username: Annotated[str, Query(
                             max_length=200, pattern=PRINTABLE,
                             description="The single point of contact of a new case: an active caseworker "
                                         "or supervisor of its team (default: you)")] = "",
                         check_matches: Annotated[bool, Query(
                             description="Answer 409 with the open cases of your teams this person may "
                                         "already have, instead of taking the referral")] = False,
                         join_case_id: Annotated[int | None, Query(
                             ge=1, description="Join this case, one of the possible matches")] = None,
                         new_case_reason: Annotated[str, Query(
                             max_length=500, pattern=PRINTABLE,
                             description="Open a new case despite possible matches, saying why")] = "",
                         ) -> Response:
    decision = (MatchDecision(join_case_id=join_case_id, new_case_reason=new_case_reason)
                if join_case_id is not None or new_case_reason else None)
    try:
        referral = parse_input(schemas.ReferralIn, body)
        return _api(lambda: _service(request).receive_referral(
            user.actor, referral, channel="api", spoc_username=spoc_username or None,
            offer_matches=check_matches, decision=decision), 201)
    except PossibleMatches as exc:
        return JSONResponse({"detail": str(exc), "errors": exc.errors,
                             "possible_matches": [m.model_dump(mode="json") for m in exc.matches]},
                            status_code=409)
    except InvalidInput as exc:
        return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=422)


@_api_route("PUT", "/api/cases/{case_id}/assessment", EDIT, schemas.AssessmentIn, schemas.AssessmentView,
            "Do the case's one needs assessment, or revise it (give the version you read)")
def api_assessment(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
                   expected_version: OptionalVersion = None) -> Response:
    return _api(lambda: _service(request).save_assessment(
        user.actor, case_id, parse_input(schemas.AssessmentIn, body), expected_version=expected_version))


@_api_route("GET", "/api/onward-referrals/{referral_id}/provider-pack", VIEW, None, schemas.ProviderPack,
            "What the provider receives: only what the person consented to share (audited)")
def api_provider_pack(request: Request, user: Viewer, referral_id: RecordId,
                      purpose: reasons.PurposeCode = "", purpose_detail: reasons.PurposeDetail = "",
                      ) -> Response:
    given = reasons.stated("case", purpose, purpose_detail)
    return _api(lambda: _service(request).provider_pack(user.actor, referral_id, purpose=given))


@_api_route("POST", "/api/cases/{case_id}/onward-referrals", EDIT, schemas.OnwardReferralIn,
            schemas.OnwardReferralView | ApprovalView,
            "Refer the person on to a support provider (to some services, a request for a supervisor's "
            "approval: an approval is returned)")
def api_refer_onward(request: Request, user: Editor, case_id: RecordId, body: JsonBody) -> Response:
    return _api(lambda: _service(request).refer_onward(
        user.actor, case_id, parse_input(schemas.OnwardReferralIn, body)), 201)


@_api_route("PATCH", "/api/onward-referrals/{referral_id}", EDIT, schemas.OnwardReferralUpdate,
            schemas.OnwardReferralView, "Record that a referral was accepted, declined or completed")
def api_onward_status(request: Request, user: Editor, referral_id: RecordId, body: JsonBody,
                      expected_version: Version) -> Response:
    return _api(lambda: _service(request).update_onward_referral(
        user.actor, referral_id, parse_input(schemas.OnwardReferralUpdate, body),
        expected_version=expected_version))


@_api_route("POST", "/api/cases/{case_id}/events", EDIT, schemas.CaseEventIn, None,
            "Record an event (charge decision, bail, hearing date, outcome...); returns the clocks started")
def api_event(request: Request, user: Editor, case_id: RecordId, body: JsonBody) -> Response:
    return _api(lambda: _service(request).record_event(
        user.actor, case_id, parse_input(schemas.CaseEventIn, body)), 201)


@_api_route("POST", "/api/entitlements/{entitlement_id}/met", EDIT, schemas.EntitlementMetIn,
            schemas.EntitlementView, "Record that a Victims' Code entitlement was met")
def api_entitlement_met(request: Request, user: Editor, entitlement_id: RecordId, body: JsonBody,
                        expected_version: Version) -> Response:
    return _api(lambda: _service(request).mark_entitlement_met(
        user.actor, entitlement_id, parse_input(schemas.EntitlementMetIn, body),
        expected_version=expected_version))


@_api_route("POST", "/api/cases/{case_id}/handover", EDIT, schemas.HandoverIn, schemas.CaseSummary,
            "Change the single point of contact (an active caseworker or supervisor of the team), with a "
            "reason")
def api_handover(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
                 expected_version: Version) -> Response:
    return _api(lambda: _service(request).hand_over(
        user.actor, case_id, parse_input(schemas.HandoverIn, body), expected_version=expected_version))


@_api_route("PUT", "/api/cases/{case_id}/consent", EDIT, schemas.ConsentIn, schemas.ConsentView,
            "Record what may be shared with one recipient")
def api_consent(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
                expected_version: OptionalVersion = None) -> Response:
    return _api(lambda: _service(request).set_consent(
        user.actor, case_id, parse_input(schemas.ConsentIn, body), expected_version=expected_version))


@_api_route("PUT", "/api/cases/{case_id}/contact-preferences", EDIT, schemas.ContactPreferencesIn, None,
            "Set how the person wants to be contacted")
def api_contact_preferences(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
                            expected_version: Version) -> Response:
    return _api(lambda: _service(request).set_contact_preferences(
        user.actor, case_id, parse_input(schemas.ContactPreferencesIn, body),
        expected_version=expected_version))


@_api_route("POST", "/api/cases/{case_id}/contacts", EDIT, schemas.ContactIn, schemas.ContactView,
            "Log a contact (outbound contact against the person's preference needs a reason)")
def api_contact(request: Request, user: Editor, case_id: RecordId, body: JsonBody) -> Response:
    return _api(lambda: _service(request).log_contact(
        user.actor, case_id, parse_input(schemas.ContactIn, body)), 201)


@_api_route("PUT", "/api/cases/{case_id}/witness-support", EDIT, schemas.WitnessSupportIn,
            schemas.WitnessSupportView, "Pre-trial visit and special measures")
def api_witness_support(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
                        expected_version: OptionalVersion = None) -> Response:
    return _api(lambda: _service(request).save_witness_support(
        user.actor, case_id, parse_input(schemas.WitnessSupportIn, body), expected_version=expected_version))


@_api_route("POST", "/api/cases/{case_id}/court-dates", EDIT, schemas.CourtDateIn, schemas.CourtDateView,
            "Add a hearing date (starts the Right 8 clock)")
def api_court_date(request: Request, user: Editor, case_id: RecordId, body: JsonBody) -> Response:
    return _api(lambda: _service(request).add_court_date(
        user.actor, case_id, parse_input(schemas.CourtDateIn, body)), 201)


@_api_route("POST", "/api/cases/{case_id}/expenses", EDIT, schemas.ExpenseIn, schemas.ExpenseView,
            "Add a witness expenses claim")
def api_expense(request: Request, user: Editor, case_id: RecordId, body: JsonBody) -> Response:
    return _api(lambda: _service(request).add_expense(
        user.actor, case_id, parse_input(schemas.ExpenseIn, body)), 201)


@_api_route("PATCH", "/api/expenses/{expense_id}", EDIT, schemas.ExpenseStatusIn, schemas.ExpenseView,
            "Mark an expenses claim paid or rejected")
def api_expense_status(request: Request, user: Editor, expense_id: RecordId, body: JsonBody,
                       expected_version: Version) -> Response:
    return _api(lambda: _service(request).update_expense(
        user.actor, expense_id, parse_input(schemas.ExpenseStatusIn, body),
        expected_version=expected_version))


@_api_route("POST", "/api/cases/{case_id}/close", EDIT, schemas.CloseIn, Outcome,
            "Close the case with an outcome and their feedback, or ask a supervisor to (applied: false)")
def api_close(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
              expected_version: Version) -> Response:
    return _api(lambda: _service(request).close_case(
        user.actor, case_id, parse_input(schemas.CloseIn, body), expected_version=expected_version))


#: The id parameters of the routes that reach a person's record, and the kind of record each names.
_RECORD_PARAMS = {"case_id": "case", "referral_id": "onward_referral", "entitlement_id": "entitlement",
                  "expense_id": "expense_claim"}


def person_records(routes: APIRouter) -> dict[str, tuple[str, str]]:
    """Every route naming a case or one of its records: a refusal on one is audited."""
    found = {}
    for route in routes.routes:
        path = getattr(route, "path", "")
        for param, kind in _RECORD_PARAMS.items():
            if "{" + param + "}" in path:
                found[path] = (kind, param)
                break
    return found


extension = WebExtension(
    name="cases",
    router=router,
    nav=(NavItem("Cases", "/cases", VIEW), NavItem("Due this week", "/cases/due", VIEW),
         NavItem("Find a person", "/cases/search", VIEW), NavItem("Compliance", "/cases/compliance", REPORT)),
    permissions=PERMISSIONS,
    person_records=person_records(router),
)
