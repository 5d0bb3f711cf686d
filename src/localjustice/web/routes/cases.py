"""The victims-and-witnesses case pages and their JSON API: thin routes over ``CaseService``.

Each route parses, authorises (one ``Permit``), calls one service method and renders. Pages have
JSON twins from the same call (``page``); changes have JSON endpoints under ``/api/`` documented in
the OpenAPI file. Service errors map to pages and statuses: bad input re-shows the form with a
GOV.UK error summary (422 in the API), a stale edit shows both versions (409), a case outside the
user's teams is not found (404). Every view and change is audited by the service.
"""

from __future__ import annotations

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
    NotAllowed,
    NotFound,
    PurposeInvalid,
    StaleEdit,
    load_victims_code,
    parse_input,
    schemas,
)
from localjustice.web import access_reasons as reasons
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
    return CaseService(request.app.state.sessions)


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
               "special_measures_applied_on", "special_measures_decided_on"}
LIST_FIELDS = {"needs", "enhanced_rights", "special_measures_applied", "special_measures_granted"}
BOOL_FIELDS = {"health_need", "housing_need", "financial_need", "emotional_need", "court_preparation_need",
               "share_contact_details", "share_assessment", "share_case_details", "safe_to_leave_message",
               "attending"}


def _date(form: Mapping[str, str], name: str) -> str | None:
    """A GOV.UK date input (name-day, name-month, name-year) as ISO text; bad parts stay bad."""
    parts = [form.get(f"{name}-{p}", "").strip() for p in ("year", "month", "day")]
    if not any(parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        return "not-a-date"


async def _form(request: Request) -> tuple[dict[str, Any], int | None, dict[str, str]]:
    """The posted form as service input, the version the person saw, and the raw fields."""
    raw = await request.form()
    flat = {k: str(v) for k, v in raw.items()}
    data: dict[str, Any] = {}
    for key in raw:
        base = key.rsplit("-", 1)[0] if key.endswith(("-day", "-month", "-year")) else key
        if base in ("csrf_token", "version", "purpose"):
            continue
        if base in DATE_FIELDS:
            data[base] = _date(flat, base)
        elif base in LIST_FIELDS:
            data[base] = [str(v) for v in raw.getlist(key) if str(v)]
        elif base in BOOL_FIELDS:
            data[base] = flat[key] in ("yes", "true", "on")
        else:
            data[base] = flat[key]
    data = {k: v for k, v in data.items() if v is not None}
    version = flat.get("version", "")
    return data, int(version) if version.isdigit() else None, flat


def _form_page(request: Request, template: str, *, title: str, values: Mapping[str, Any],
               errors: Mapping[str, str] | None = None, status_code: int = 200,
               conflict: str = "", **extra: Any) -> Response:
    return render(request, template, {"title": title, "values": dict(values), "errors": dict(errors or {}),
                                      "conflict": conflict, "code": load_victims_code(), **extra},
                  status_code=status_code)


async def _submit(request: Request, template: str, title: str,
                  call: Callable[[dict[str, Any], int | None], Any],
                  success: Callable[[Any], str], *, values: Mapping[str, Any] | None = None,
                  **extra: Any) -> Response:
    """Post-redirect-get: on success go to ``success(result)``; otherwise re-show the form."""
    data, version, flat = await _form(request)
    shown = {**(values or {}), **flat, **data, "version": version}
    try:
        result = await run_in_threadpool(_guard, lambda: call(data, version))
    except InvalidInput as exc:
        return _form_page(request, template, title=title, values=shown, errors=exc.errors, status_code=422,
                          **extra)
    except StaleEdit as exc:
        return _form_page(request, template, title=title, values=shown, status_code=409, conflict=str(exc),
                          **extra)
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


@router.post("/cases/new/referral", dependencies=[Depends(Permit(EDIT))], include_in_schema=False)
async def new_referral(request: Request, user: Editor) -> Response:
    def call(data: dict[str, Any], _: int | None) -> schemas.IntakeResult:
        return _service(request).receive_referral(user.actor, parse_input(schemas.ReferralIn, data))
    return await _submit(request, "cases/referral.html", "Add a referral", call,
                         lambda r: f"/cases/{r.case_id}?{'joined' if r.joined_existing else 'opened'}=1",
                         team_options=[(t, t) for t in user.actor.teams])


def _case_form(path: str, template: str, title: str,
               action: Callable[[CaseService, SignedIn, int, dict[str, Any], int | None], Any],
               prefill: Callable[[schemas.CaseDetail], dict[str, Any]] | None = None,
               done: str = "saved") -> None:
    """Register GET (the form) and POST (save) for one form about one case."""

    def show(request: Request, user: Editor, case_id: RecordId) -> Response:
        case = _case_or_404(request, user, case_id)
        values = prefill(case) if prefill else {}
        return _form_page(request, template, title=title, values=values, case=case)

    async def save(request: Request, user: Editor, case_id: RecordId) -> Response:
        case = await run_in_threadpool(_case_or_404, request, user, case_id)

        def call(data: dict[str, Any], version: int | None) -> Any:
            return action(_service(request), user, case_id, data, version)
        return await _submit(request, template, title, call, lambda _: f"/cases/{case_id}?{done}=1",
                             case=case)

    name = path.strip("/").replace("/", "_").replace("{case_id}", "case")
    router.add_api_route(path, show, methods=["GET"], dependencies=[Depends(Permit(EDIT))],
                         include_in_schema=False, name=f"{name}_form")
    router.add_api_route(path, save, methods=["POST"], dependencies=[Depends(Permit(EDIT))],
                         include_in_schema=False, name=f"{name}_save")


def _assessment_values(case: schemas.CaseDetail) -> dict[str, Any]:
    if case.assessment is None:
        return {"version": None}
    return {**case.assessment.answers, "version": case.assessment.version}


_case_form("/cases/{case_id}/assessment", "cases/assessment.html", "Needs assessment",
           lambda svc, u, cid, data, v: svc.save_assessment(
               u.actor, cid, parse_input(schemas.AssessmentIn, data), expected_version=v),
           _assessment_values, done="assessed")
_case_form("/cases/{case_id}/onward-referral", "cases/onward_referral.html", "Refer to a support service",
           lambda svc, u, cid, data, v: svc.refer_onward(
               u.actor, cid, parse_input(schemas.OnwardReferralIn, data)), done="referred")
_case_form("/cases/{case_id}/event", "cases/event.html", "Record what happened",
           lambda svc, u, cid, data, v: svc.record_event(
               u.actor, cid, parse_input(schemas.CaseEventIn, data)), done="recorded")
_case_form("/cases/{case_id}/handover", "cases/handover.html", "Change single point of contact",
           lambda svc, u, cid, data, v: svc.hand_over(
               u.actor, cid, parse_input(schemas.HandoverIn, data), expected_version=v or 0),
           lambda case: {"version": case.version}, done="handed_over")
_case_form("/cases/{case_id}/contact", "cases/contact.html", "Log a contact",
           lambda svc, u, cid, data, v: svc.log_contact(u.actor, cid, parse_input(schemas.ContactIn, data)),
           done="contact_logged")
_case_form("/cases/{case_id}/consent", "cases/consent.html", "Record consent to share",
           lambda svc, u, cid, data, v: _save_consent(svc, u, cid, data), done="consent_saved")
_case_form("/cases/{case_id}/court-date", "cases/court_date.html", "Add a court date",
           lambda svc, u, cid, data, v: svc.add_court_date(
               u.actor, cid, parse_input(schemas.CourtDateIn, data)),
           done="court_date_added")
_case_form("/cases/{case_id}/close", "cases/close.html", "Close the case",
           lambda svc, u, cid, data, v: svc.close_case(
               u.actor, cid, parse_input(schemas.CloseIn, data), expected_version=v or 0),
           lambda case: {"version": case.version}, done="closed")


def _save_consent(svc: CaseService, user: SignedIn, case_id: RecordId, data: dict[str, Any]) -> Any:
    consent = parse_input(schemas.ConsentIn, data)
    return svc.set_consent(user.actor, case_id, consent,
                           expected_version=svc.consent_version(user.actor, case_id, consent.recipient))


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


@router.post("/cases/{case_id}/onward-referral/{referral_id}", dependencies=[Depends(Permit(EDIT))],
             include_in_schema=False)
async def onward_status(request: Request, user: Editor, case_id: RecordId, referral_id: RecordId) -> Response:
    data, version, _ = await _form(request)
    try:
        await run_in_threadpool(_guard, lambda: _service(request).update_onward_referral(
            user.actor, referral_id, parse_input(schemas.OnwardReferralUpdate, data),
            expected_version=version or 0))
    except (InvalidInput, StaleEdit) as exc:
        problem = "stale" if isinstance(exc, StaleEdit) else "invalid"
        return RedirectResponse(f"/cases/{case_id}?referral_error={problem}#referrals", status_code=303)
    return RedirectResponse(f"/cases/{case_id}?referral_updated=1#referrals", status_code=303)


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
               response: type[Any] | None, summary: str) -> Callable[[Callable[..., Response]], Any]:
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
            "Receive a referral: open a case, or join the open case for the same person and crime")
def api_receive_referral(request: Request, user: Editor, body: JsonBody,
                         spoc_username: Annotated[str, Query(max_length=200, pattern=PRINTABLE)] = "",
                         spoc_name: Annotated[str, Query(max_length=200, pattern=PRINTABLE)] = "",
                         ) -> Response:
    spoc = (spoc_username, spoc_name or spoc_username) if spoc_username else None
    return _api(lambda: _service(request).receive_referral(
        user.actor, parse_input(schemas.ReferralIn, body), channel="api", spoc=spoc), 201)


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
            schemas.OnwardReferralView, "Refer the person on to a support provider")
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
            "Change the single point of contact, with a reason")
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


@_api_route("POST", "/api/cases/{case_id}/close", EDIT, schemas.CloseIn, None, "Close the case")
def api_close(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
              expected_version: Version) -> Response:
    return _api(lambda: _service(request).close_case(
        user.actor, case_id, parse_input(schemas.CloseIn, body), expected_version=expected_version))


#: The id parameters of the routes that reach a person's record, and the kind of record each names.
_RECORD_PARAMS = {"case_id": "case", "referral_id": "onward_referral", "entitlement_id": "entitlement",
                  "expense_id": "expense_claim"}


def _person_records() -> dict[str, tuple[str, str]]:
    """Every route naming a case or one of its records: a refusal on one is audited."""
    found = {}
    for route in router.routes:
        path = getattr(route, "path", "")
        for param, kind in _RECORD_PARAMS.items():
            if "{" + param + "}" in path:
                found[path] = (kind, param)
                break
    return found


extension = WebExtension(
    name="cases",
    router=router,
    nav=(NavItem("Cases", "/cases", VIEW), NavItem("Compliance", "/cases/compliance", REPORT)),
    permissions=PERMISSIONS,
    person_records=_person_records(),
)
