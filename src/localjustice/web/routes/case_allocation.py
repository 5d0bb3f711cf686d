"""Who holds a case: handing one over, reallocating a team's cases, and possible duplicates across
teams. Thin routes over ``CaseService``, in the manner of ``routes.cases`` (whose helpers they use).

Supervisors (of their teams) and admins reallocate from a page listing the team's caseworkers with
each one's open caseload, one case or many at once; every case moved is audited. Possible
duplicates (the same person held by two teams) are shown only to a supervisor of both teams, or an
admin. Registered before the case pages, so ``/cases/allocation`` is not read as a case id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from localjustice.access import PurposeInvalid, PurposeRequired
from localjustice.service import DUPLICATE_LIST, InvalidInput, StaleEdit, parse_input, schemas
from localjustice.web import access_reasons as reasons
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, RecordId
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page, render
from localjustice.web.roles import Permission
from localjustice.web.routes import cases as case_pages

router = APIRouter()
ALLOCATE, DUPLICATES = "cases:allocate", "cases:duplicates"
PERMISSIONS = (
    Permission(ALLOCATE, "See the caseworkers of the teams you supervise with their open caseloads, and "
               "reallocate those teams' cases (each move audited)", frozenset({"supervisor", "admin"})),
    Permission(DUPLICATES, "Review possible duplicates: the same person held by two teams (shown only when "
               "you supervise both), after giving a reason for access; every view and decision is "
               "audited with it", frozenset({"supervisor", "admin"})),
)
Allocator = Annotated[SignedIn, Depends(Permit(ALLOCATE))]
Reviewer = Annotated[SignedIn, Depends(Permit(DUPLICATES))]
Editor = case_pages.Editor
TeamQuery = Annotated[str, Query(max_length=100, pattern=PRINTABLE)]
UserQuery = Annotated[str, Query(max_length=200, pattern=PRINTABLE)]


def _api_route(path: str, permission: str, model: type[BaseModel], response: type[BaseModel],
               summary: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A JSON endpoint documented like those of ``routes.cases``, on this module's router."""
    def decorate(fn: Callable[..., Response]) -> Callable[..., Response]:
        router.add_api_route(path, fn, methods=["POST"], dependencies=[Depends(Permit(permission))],
                             summary=summary, responses={**case_pages.ERRORS, 200: {"model": response}},
                             openapi_extra=case_pages._body(model), name=fn.__name__,
                             response_class=JSONResponse)
        return fn
    return decorate


# --- handing one case over ------------------------------------------------------------------------


def _caseworker_options(request: Request, team: str) -> list[tuple[str, str]]:
    return [(c.username, f"{c.display_name} ({c.role})")
            for c in case_pages._service(request).staff.team_caseworkers(team)]


def _after_handover(moved: schemas.CaseSummary) -> str:
    """Back to the case list, showing the case with its new caseworker: the person who handed it
    over is no longer its allocated caseworker, so opening it again would ask them for a reason for
    access (issue 10 finding 5)."""
    return f"/cases?reference={moved.reference}&status=&handed_over={moved.reference}"


@router.get("/cases/{case_id}/handover", dependencies=[Depends(Permit(case_pages.EDIT))],
            include_in_schema=False, name="cases_case_handover_form")
def handover_form(request: Request, user: Editor, case_id: RecordId) -> Response:
    case = case_pages._case_or_404(request, user, case_id)
    return case_pages._form_page(request, "cases/handover.html", title="Change single point of contact",
                                 values={"version": case.version}, case=case,
                                 caseworker_options=_caseworker_options(request, case.team))


@router.post("/cases/{case_id}/handover", dependencies=[Depends(Permit(case_pages.EDIT))],
             include_in_schema=False, name="cases_case_handover_save")
async def handover_save(request: Request, user: Editor, case_id: RecordId) -> Response:
    case = await run_in_threadpool(case_pages._case_or_404, request, user, case_id)
    options = await run_in_threadpool(_caseworker_options, request, case.team)

    def call(data: dict[str, Any], version: int | None) -> Any:
        return case_pages._service(request).hand_over(
            user.actor, case_id, parse_input(schemas.HandoverIn, data), expected_version=version or 0)
    def saved_now(data: dict[str, Any]) -> tuple[case_pages.Saved, dict[str, Any]]:
        fresh = case_pages._case_or_404(request, user, case_id)
        return case_pages._spoc_record(fresh, data), {"case": fresh}
    return await case_pages._submit(request, "cases/handover.html", "Change single point of contact", call,
                                    _after_handover, case=case,
                                    model=schemas.HandoverIn, saved_now=saved_now,
                                    caseworker_options=options)


# --- reallocating a team's cases ------------------------------------------------------------------


def _allocation(request: Request, user: SignedIn, team: str, from_username: str,
                page_number: int = 1) -> schemas.AllocationPage:
    try:
        return case_pages._guard(lambda: case_pages._service(request).allocation(
            user.actor, team or None, from_username=from_username or None, page=page_number))
    except InvalidInput as exc:
        raise HTTPException(404, "; ".join(exc.errors.values())) from None


@page(router, "/cases/allocation", permission=ALLOCATE, template="cases/allocation.html",
      title="Allocate cases",
      summary="A team's caseworkers with each one's open caseload, and one caseworker's open cases to move")
def allocation(request: Request, user: Allocator, team: TeamQuery = "", from_username: UserQuery = "",
               page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
               ) -> schemas.AllocationPage:
    return _allocation(request, user, team, from_username, page_number)


@router.post("/cases/allocation", dependencies=[Depends(Permit(ALLOCATE))], include_in_schema=False)
async def reallocate_form(request: Request, user: Allocator) -> Response:
    form = await request.form()
    team, from_username = str(form.get("team", "")), str(form.get("from_username", ""))
    chosen = [str(v) for v in form.getlist("cases")]
    raw = {"team": team, "to_username": str(form.get("to_username", "")),
           "reason": str(form.get("reason", "")),
           "cases": [dict(zip(("case_id", "version"), v.split(":", 1), strict=False)) for v in chosen]}
    try:
        result = await run_in_threadpool(case_pages._guard, lambda: case_pages._service(request).reallocate(
            user.actor, parse_input(schemas.ReallocationIn, raw)))
    except (InvalidInput, StaleEdit) as exc:
        data = await run_in_threadpool(_allocation, request, user, team, from_username)
        errors = exc.errors if isinstance(exc, InvalidInput) else {}
        conflict = str(exc) if isinstance(exc, StaleEdit) else ""
        return render(request, "cases/allocation.html", {
            "data": data, "title": "Allocate cases", "errors": errors, "conflict": conflict,
            "values": {"to_username": raw["to_username"], "reason": raw["reason"], "cases": chosen}},
            status_code=422 if errors else 409)
    query = urlencode({"team": team, "from_username": from_username, "moved": len(result.cases)})
    return RedirectResponse(f"/cases/allocation?{query}", status_code=303)


@_api_route("/api/cases/reallocate", ALLOCATE, schemas.ReallocationIn,
                       schemas.ReallocationResult,
                       "Move one or many of a team's open cases to one of its caseworkers (give each "
                       "case's version)")
def api_reallocate(request: Request, user: Allocator, body: case_pages.JsonBody) -> Response:
    return case_pages._api(lambda: case_pages._service(request).reallocate(
        user.actor, parse_input(schemas.ReallocationIn, body)))


# --- possible duplicates across teams -------------------------------------------------------------


DUPLICATES_PAGE = "/cases/duplicates"


@page(router, DUPLICATES_PAGE, permission=DUPLICATES, template="cases/duplicates.html",
      title="Possible duplicates",
      summary="People held by two teams who may be the same person (needs a reason for access; every "
              "view is audited)")
def duplicates(request: Request, user: Reviewer, purpose: reasons.PurposeCode = "",
               purpose_detail: reasons.PurposeDetail = "") -> schemas.DuplicateList:
    given = reasons.stated("possible_duplicate", purpose, purpose_detail)
    return case_pages._guard(lambda: case_pages._service(request).possible_duplicates(
        user.actor, purpose=given, stated_in=reasons.held(request, "possible_duplicate", DUPLICATE_LIST)))


# registered before the decision route, which would otherwise read "reason" as a duplicate's id
@router.get("/cases/duplicates/reason", dependencies=[Depends(Permit(DUPLICATES))], include_in_schema=False)
def duplicates_reason_form(request: Request, user: Reviewer,
                           next_page: Annotated[str, Query(alias="next", max_length=500)] = "") -> Response:
    return _reason_page(request, next_page)


@router.post("/cases/duplicates/reason", dependencies=[Depends(Permit(DUPLICATES))], include_in_schema=False)
async def duplicates_reason(request: Request, user: Reviewer) -> Response:
    """Record why the person is reviewing possible duplicates, then show the list."""
    code, detail, next_page = await reasons.reason_form(request)
    try:
        given = reasons.chosen("possible_duplicate", code, detail)
    except PurposeInvalid as exc:
        return _reason_page(request, next_page, {"purpose": code, "purpose_detail": detail}, exc.errors, 422)
    event_id = await run_in_threadpool(case_pages._guard, lambda: case_pages._service(request)
                                       .state_duplicates_purpose(user.actor, given))
    reasons.keep(request, "possible_duplicate", DUPLICATE_LIST, event_id)
    return RedirectResponse(reasons.safe_next(next_page, DUPLICATES_PAGE), status_code=303)


def _reason_page(request: Request, next_page: str, values: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    return reasons.reason_page(
        request, kind="possible_duplicate", action="/cases/duplicates/reason", back="/cases",
        caption="Possible duplicates", heading="Why are you reviewing possible duplicates?",
        intro="The list shows the names and dates of birth of people held by two teams.",
        next_page=reasons.safe_next(next_page, DUPLICATES_PAGE), values=values, errors=errors,
        status_code=status_code)


@router.post("/cases/duplicates/{duplicate_id}", dependencies=[Depends(Permit(DUPLICATES))],
             include_in_schema=False)
async def decide_duplicate_form(request: Request, user: Reviewer, duplicate_id: RecordId) -> Response:
    data, version, _ = await case_pages._form(request)
    try:
        await run_in_threadpool(case_pages._guard, lambda: case_pages._service(request).decide_duplicate(
            user.actor, duplicate_id, parse_input(schemas.DuplicateDecisionIn, data),
            expected_version=version or 0,
            stated_in=reasons.held(request, "possible_duplicate", DUPLICATE_LIST)))
    except PurposeRequired:
        # the reason given for the list has run out: ask again, then show the list (not this POST)
        return RedirectResponse(f"/cases/duplicates/reason?next={quote(DUPLICATES_PAGE, safe='')}",
                                status_code=303)
    except (InvalidInput, StaleEdit) as exc:
        problem = "stale" if isinstance(exc, StaleEdit) else "invalid"
        return RedirectResponse(f"/cases/duplicates?error={problem}&duplicate={duplicate_id}",
                                status_code=303)
    return RedirectResponse("/cases/duplicates?decided=1", status_code=303)


@_api_route("/api/possible-duplicates/{duplicate_id}/decision", DUPLICATES,
                       schemas.DuplicateDecisionIn, schemas.PossibleDuplicateView,
                       "Record whether two teams' records are the same person (needs a reason for access)")
def api_decide_duplicate(request: Request, user: Reviewer, duplicate_id: RecordId, body: case_pages.JsonBody,
                         expected_version: case_pages.Version, purpose: reasons.PurposeCode = "",
                         purpose_detail: reasons.PurposeDetail = "") -> Response:
    given = reasons.stated("possible_duplicate", purpose, purpose_detail)
    return case_pages._api(lambda: case_pages._service(request).decide_duplicate(
        user.actor, duplicate_id, parse_input(schemas.DuplicateDecisionIn, body),
        expected_version=expected_version, purpose=given,
        stated_in=reasons.held(request, "possible_duplicate", DUPLICATE_LIST)))


#: The duplicates routes show two teams' people: a refusal on one is audited like one on a case
#: route (``web.refused_access``); the list and its reason page name no single record ("").
DUPLICATE_RECORDS = {
    DUPLICATES_PAGE: ("possible_duplicate", ""), "/api" + DUPLICATES_PAGE: ("possible_duplicate", ""),
    "/cases/duplicates/reason": ("possible_duplicate", ""),
    "/cases/duplicates/{duplicate_id}": ("possible_duplicate", "duplicate_id"),
    "/api/possible-duplicates/{duplicate_id}/decision": ("possible_duplicate", "duplicate_id"),
}


extension = WebExtension(
    name="case_allocation",
    router=router,
    nav=(NavItem("Allocation", "/cases/allocation", ALLOCATE),),
    permissions=PERMISSIONS,
    person_records={**case_pages.person_records(router), **DUPLICATE_RECORDS},
)
