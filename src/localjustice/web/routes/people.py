"""People pages for practitioners: worklists, taking a person on, a person's journey, flagging a
wrong link, and the supervisor's report of reason-based access. Thin routes over
``localjustice.people``, which checks access and writes every audit event.

A journey is shown to a practitioner who holds the person on their caseload, or after a reason
for access (the page redirects to ``/people/{id}/reason``; the JSON twin answers 422 with the
reasons it accepts). "Today" for the worklists is the end of the data unless the app sets
``app.state.people_today``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from localjustice.access import PurposeInvalid
from localjustice.people import (
    Journey,
    JourneyFilters,
    NotOnCaseload,
    PersonNotFound,
    TeamAccesses,
    WorklistPage,
    WorklistSummary,
    flag_wrong_link,
    open_journey,
    record_contact,
    state_reason,
    take_on,
    team_accesses,
    worklist_page,
    worklist_summary,
)
from localjustice.web import access_reasons as reasons
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, DbSession
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page

router = APIRouter()
JOURNEY, WORKLISTS, ACCESSES = "people:journey", "people:worklists", "people:accesses"
Practitioner = Annotated[SignedIn, Depends(Permit(JOURNEY))]
Viewer = Annotated[SignedIn, Depends(Permit(WORKLISTS))]
Supervisor = Annotated[SignedIn, Depends(Permit(ACCESSES))]
PERSON_ID = r"^[A-Za-z0-9_-]{1,64}$"
PersonId = Annotated[str, Path(min_length=1, max_length=64, pattern=PERSON_ID)]
ListCode = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]
Agency = Annotated[str, Query(max_length=50, pattern=r"^[a-z_]*$")]


def _today(request: Request) -> date | None:
    today: date | None = getattr(request.app.state, "people_today", None)
    return today


def _area(request: Request) -> str:
    return str(request.app.state.settings.area)


@page(router, "/worklists", permission=WORKLISTS, template="people/worklists.html", title="Worklists",
      summary="The worklists your role works from, each with its rule and count (no identities)")
def worklists(request: Request, user: Viewer) -> WorklistSummary:
    return worklist_summary(request.app.state.warehouse.open, user.actor, _today(request))


@page(router, "/people/accesses", permission=ACCESSES, template="people/accesses.html",
      title="Journeys opened with a reason",
      summary="Journey views by your teams' practitioners that needed a reason for access")
def accesses(request: Request, db: DbSession, user: Supervisor) -> TeamAccesses:
    return team_accesses(db, user.actor)


@page(router, "/worklists/{code}", permission=WORKLISTS, template="people/worklist.html", title="Worklist",
      summary="One worklist's people (pseudonymous ids and facts), who holds each and their last contact")
def worklist(request: Request, db: DbSession, user: Viewer, code: ListCode) -> WorklistPage:
    try:
        return worklist_page(request.app.state.warehouse.open, db, user.actor, code, _today(request),
                             _area(request))
    except PersonNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/worklists/{code}/take-on", dependencies=[Depends(Permit(JOURNEY))], include_in_schema=False)
def worklist_take_on(db: DbSession, user: Practitioner, code: ListCode,
                     person_id: Annotated[str, Form(max_length=64, pattern=PERSON_ID)] = "") -> Response:
    if not person_id:
        raise HTTPException(400, "Choose a person to take on.")
    take_on(db, user.actor, person_id, code)
    db.commit()
    return RedirectResponse(f"/worklists/{code}?taken={person_id}", status_code=303)


@page(router, "/people/{person_id}", permission=JOURNEY, template="people/journey.html",
      title="A person's journey",
      summary="One person's identity and events from every agency in time order, with where each "
              "came from (identity zone: on your caseload or with a reason; every view audited)")
def journey(request: Request, db: DbSession, user: Practitioner, person_id: PersonId,
            agency: Agency = "", period_from: Annotated[date | None, Query()] = None,
            period_to: Annotated[date | None, Query()] = None, purpose: reasons.PurposeCode = "",
            purpose_detail: reasons.PurposeDetail = "") -> Journey:
    filters = JourneyFilters(agency=agency, period_from=period_from, period_to=period_to)
    try:
        return open_journey(request.app.state.warehouse.open, db, user.actor, person_id, filters,
                            given=reasons.stated("person_journey", purpose, purpose_detail),
                            stated_in=reasons.held(request, "person_journey", person_id),
                            area=_area(request))
    except PersonNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/people/{person_id}/reason", dependencies=[Depends(Permit(JOURNEY))], include_in_schema=False)
def journey_reason_form(request: Request, user: Practitioner, person_id: PersonId,
                        next_page: Annotated[str, Query(alias="next", max_length=500)] = "") -> Response:
    return _reason_page(request, person_id, next_page)


@router.post("/people/{person_id}/reason", dependencies=[Depends(Permit(JOURNEY))], include_in_schema=False)
async def journey_reason(request: Request, db: DbSession, user: Practitioner,
                         person_id: PersonId) -> Response:
    code, detail, next_page = await reasons.reason_form(request)
    try:
        given = reasons.chosen("person_journey", code, detail)
    except PurposeInvalid as exc:
        return _reason_page(request, person_id, next_page, {"purpose": code, "purpose_detail": detail},
                            exc.errors, 422)
    event_id = await run_in_threadpool(state_reason, db, user.actor, person_id, given)
    reasons.keep(request, "person_journey", person_id, event_id)
    return RedirectResponse(reasons.safe_next(next_page, f"/people/{person_id}"), status_code=303)


def _reason_page(request: Request, person_id: str, next_page: str, values: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    return reasons.reason_page(
        request, kind="person_journey", action=f"/people/{person_id}/reason", back="/worklists",
        caption="A person's journey", heading="Why are you opening this person's journey?",
        intro="The person is not on your caseload. The journey shows their names, dates of birth and "
              "records from every agency.",
        next_page=reasons.safe_next(next_page, f"/people/{person_id}"), values=values, errors=errors,
        status_code=status_code)


@router.post("/people/{person_id}/contact", dependencies=[Depends(Permit(JOURNEY))], include_in_schema=False)
def journey_contact(db: DbSession, user: Practitioner, person_id: PersonId) -> Response:
    try:
        record_contact(db, user.actor, person_id)
    except NotOnCaseload as exc:
        raise HTTPException(409, str(exc)) from None
    db.commit()
    return RedirectResponse(f"/people/{person_id}?contact=1", status_code=303)


def _flag(request: Request, db: Session, user: SignedIn, person_id: str, unit_id: str) -> bool:
    return flag_wrong_link(request.app.state.warehouse.open, db, user.actor, person_id, unit_id,
                           stated_in=reasons.held(request, "person_journey", person_id))


@router.post("/people/{person_id}/flag", dependencies=[Depends(Permit(JOURNEY))], include_in_schema=False)
def journey_flag(request: Request, db: DbSession, user: Practitioner, person_id: PersonId,
                 unit_id: Annotated[str, Form(max_length=300, pattern=PRINTABLE)] = "") -> Response:
    if not unit_id:
        raise HTTPException(400, "Choose the record that is not this person.")
    try:
        _flag(request, db, user, person_id, unit_id)
    except PersonNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse(f"/people/{person_id}?flagged=1", status_code=303)


PERSON_RECORDS = {"/people/{person_id}": ("person_journey", "person_id"),
                  "/api/people/{person_id}": ("person_journey", "person_id"),
                  "/people/{person_id}/flag": ("person_journey", "person_id"),
                  "/people/{person_id}/contact": ("person_journey", "person_id")}

extension = WebExtension(
    name="people", router=router,
    nav=(NavItem("Worklists", "/worklists", WORKLISTS),
         NavItem("Journey access", "/people/accesses", ACCESSES)),
    person_records=PERSON_RECORDS,
)
