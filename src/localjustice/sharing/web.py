"""The data-sharing pages (each with its JSON twin): agreements, a new request, my requests and
grants, the reviewers' queue and decision, the escalated requests, the register of requests; and
the download of a granted pseudonymous dataset, ``/data/{dataset}``.

Routes are thin: parse, authorise (one ``Permit`` each), call ``localjustice.sharing``, render.
A download needs both the permission and a grant current on the app's clock (``app.state.clock``,
which tests move); without one it answers 403, which the web app audits as ``access.refused``
(``person_records`` below), as it audits a download itself (``sharing.download``).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from localjustice.sharing.agreements import AgreementsView, agreements_view
from localjustice.sharing.grants import GrantsView, current_grant, dataset_csv, grants_view
from localjustice.sharing.models import Grant
from localjustice.sharing.register import RegisterView, register_csv, register_view
from localjustice.sharing.requests import (
    RequestChanged,
    RequestForm,
    RequestInvalid,
    RequestNotFound,
    decide,
    resubmit,
    submit,
)
from localjustice.sharing.rules import load_datasets
from localjustice.sharing.views import (
    DecisionPage,
    FormOptions,
    Reminders,
    RequestsView,
    RequestView,
    decision_page,
    escalations_view,
    form_options,
    mine_view,
    queue_view,
    reminders,
    request_views,
)
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, DbSession, RecordId
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page, render

router = APIRouter()
AGREEMENTS = "sharing:agreements"
REQUEST = "sharing:request"
DOWNLOAD = "sharing:download"
REVIEW = "sharing:review"
ESCALATIONS = "sharing:escalations"
REGISTER = "sharing:register"
Requester = Annotated[SignedIn, Depends(Permit(REQUEST))]
Reviewer = Annotated[SignedIn, Depends(Permit(REVIEW))]
DatasetName = Annotated[str, PathParam(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Form(max_length=4000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Line = Annotated[str, Form(max_length=300, pattern=PRINTABLE)]
DOWNLOAD_PAGE = "/data/{dataset}"
_SAFE = re.compile(r"[^a-z0-9_-]+")


def today(request: Request) -> date:
    """The day by the app's clock (naive UTC), so tests can move it past a grant's end."""
    day: date = request.app.state.clock().date()
    return day


@page(router, "/sharing/agreements", permission=AGREEMENTS, template="sharing/agreements.html",
      title="Information-sharing agreements",
      summary="The register of agreements: parties, datasets, purposes, legal basis and period")
def agreements(request: Request, db: DbSession) -> AgreementsView:
    return agreements_view(db, today(request))


@page(router, "/sharing/requests/new", permission=REQUEST, template="sharing/request_new.html",
      title="Request data", summary="The choices of a new data request: agreements in force, "
                                    "organisations, purposes, datasets and their fields")
def request_new(request: Request, db: DbSession) -> FormOptions:
    return form_options(db, today(request))


def _form(agreement: str, organisation: str, purpose: str, purpose_detail: str, datasets: list[str],
          level: str, duration_days: str, fields: str) -> tuple[RequestForm, dict[str, str]]:
    errors = {}
    try:
        duration = int(duration_days)
    except ValueError:
        duration, errors = 0, {"duration_days": "Enter the number of days, for example 90"}
    named = tuple(f for f in re.split(r"[,\s]+", fields) if f)
    return RequestForm(agreement=agreement, organisation=organisation, purpose=purpose,
                       purpose_detail=purpose_detail, datasets=tuple(datasets), level=level,
                       duration_days=duration, fields=named), errors


@router.post("/sharing/requests", dependencies=[Depends(Permit(REQUEST))], include_in_schema=False)
def request_submit(request: Request, db: DbSession, user: Requester, agreement: Line = "",
                   organisation: Line = "", purpose: Line = "", purpose_detail: Text = "",
                   datasets: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006
                   level: Line = "", duration_days: Line = "", fields: Text = "") -> Response:
    form, errors = _form(agreement, organisation, purpose, purpose_detail, datasets, level, duration_days,
                         fields)
    try:
        if errors:
            raise RequestInvalid(errors)
        made = submit(db, user.actor, form, today(request))
    except RequestInvalid as exc:
        db.rollback()
        values = {"agreement": agreement, "organisation": organisation, "purpose": purpose,
                  "purpose_detail": purpose_detail, "datasets": datasets, "level": level,
                  "duration_days": duration_days, "fields": fields}
        return render(request, "sharing/request_new.html", {
            "data": form_options(db, today(request)), "title": "Request data",
            "form": {"errors": exc.errors, **values}}, status_code=400)
    db.commit()
    return RedirectResponse(f"/sharing/requests?submitted={made.id}", status_code=303)


class RequestIn(BaseModel):
    agreement: str = Field(max_length=30, description="The agreement's code, e.g. ISA-2024-01")
    organisation: str = Field(max_length=200, pattern=PRINTABLE)
    purpose: str = Field(max_length=50, description="A purpose code the agreement allows")
    purpose_detail: str = Field(max_length=2000)
    datasets: list[str] = Field(max_length=20)
    level: str = Field(description="aggregate or pseudonymous")
    duration_days: int = Field(ge=1, le=3650)
    fields: list[str] = Field(default_factory=list, max_length=200,
                              description="Columns wanted; empty for every column of the datasets")


def _json_errors(exc: RequestInvalid) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=422)


@router.post("/api/sharing/requests", dependencies=[Depends(Permit(REQUEST))], status_code=201,
             response_model=RequestView, responses={422: {"description": "{'errors': {field: message}}"}},
             summary="Request data under an agreement (refused when outside its datasets, purposes, "
                     "levels or period; audited)")
def api_request_submit(request: Request, db: DbSession, user: Requester, body: RequestIn) -> Response:
    form = RequestForm(agreement=body.agreement, organisation=body.organisation, purpose=body.purpose,
                       purpose_detail=body.purpose_detail, datasets=tuple(body.datasets), level=body.level,
                       duration_days=body.duration_days, fields=tuple(body.fields))
    try:
        made = submit(db, user.actor, form, today(request))
    except RequestInvalid as exc:
        db.rollback()
        return _json_errors(exc)
    db.commit()
    view = request_views(db, [made], today(request))[0]
    return Response(view.model_dump_json(), status_code=201, media_type="application/json")


@page(router, "/sharing/requests", permission=REQUEST, template="sharing/requests.html",
      title="My data requests", summary="The caller's data requests with their steps, deadlines and "
                                        "decisions")
def my_requests(request: Request, db: DbSession, user: Requester) -> RequestsView:
    return mine_view(db, user.actor.username, today(request))


@router.post("/sharing/requests/{request_id}/resubmit", dependencies=[Depends(Permit(REQUEST))],
             include_in_schema=False)
def request_resubmit(request: Request, db: DbSession, user: Requester, request_id: RecordId,
                     comment: Text = "", purpose_detail: Text = "",
                     version: Annotated[int | None, Form(ge=1)] = None) -> Response:
    try:
        resubmit(db, user.actor, request_id, purpose_detail, comment, today(request), version=version)
    except RequestNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except (RequestInvalid, RequestChanged) as exc:
        db.rollback()
        message = " ".join(exc.errors.values()) if isinstance(exc, RequestInvalid) else str(exc)
        view = mine_view(db, user.actor.username, today(request))
        return render(request, "sharing/requests.html", {"data": view, "title": "My data requests",
                                                         "problem": {"id": request_id, "text": message}},
                      status_code=409 if isinstance(exc, RequestChanged) else 400)
    db.commit()
    return RedirectResponse(f"/sharing/requests?resubmitted={request_id}", status_code=303)


@page(router, "/sharing/grants", permission=REQUEST, template="sharing/grants.html",
      title="My data access", summary="The caller's grants: which datasets and columns, until when")
def my_grants(request: Request, db: DbSession, user: Requester) -> GrantsView:
    return grants_view(db, user.actor.username, today(request))


def held_grant(request: Request, db: DbSession, dataset: DatasetName,
               user: Annotated[SignedIn, Depends(Permit(DOWNLOAD))]) -> Grant:
    """The caller's grant of ``dataset`` current today, or 404 (no such dataset) / 403 (none
    current: never granted, or ended), each refusal audited by the web app."""
    if dataset not in load_datasets():
        raise HTTPException(404, "No dataset has that name. See your data access page.")
    grant = current_grant(db, user.actor.username, dataset, today(request))
    if grant is None:
        raise HTTPException(403, "You hold no current grant of this dataset: request it under an "
                                 "agreement, or ask again if your access has ended.")
    return grant


@router.get(DOWNLOAD_PAGE, dependencies=[Depends(Permit(DOWNLOAD))],
            summary="A granted pseudonymous dataset as CSV: the columns granted, while the grant is "
                    "current (audited)")
def download(request: Request, db: DbSession, dataset: DatasetName,
             grant: Annotated[Grant, Depends(held_grant)],
             user: Annotated[SignedIn, Depends(Permit(DOWNLOAD))]) -> Response:
    with request.app.state.warehouse.open() as warehouse:
        body = dataset_csv(warehouse, db, user.actor, grant)
    db.commit()
    name = _SAFE.sub("-", f"{dataset}-request-{grant.request_id}") + ".csv"
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@page(router, "/sharing/review", permission=REVIEW, template="sharing/review.html",
      title="Data requests to review", summary="Submitted requests, soonest deadline first, with "
                                               "each deadline's standing (due soon, overdue)")
def review_queue(request: Request, db: DbSession) -> RequestsView:
    return queue_view(db, today(request))


@page(router, "/sharing/review/{request_id}", permission=REVIEW, template="sharing/decision.html",
      title="Decide a data request", summary="One request with its steps, for a decision")
def review_request(request: Request, db: DbSession, request_id: RecordId) -> DecisionPage:
    view = decision_page(db, request_id, today(request))
    if view is None:
        raise HTTPException(404, "No such request. Choose one from the review queue.")
    return view


def _decide(request: Request, db: Session, user: SignedIn, request_id: int, decision: str, comment: str,
            version: int | None) -> None:
    try:
        decide(db, user.actor, request_id, decision, comment, today(request), version=version)
    except RequestNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/sharing/review/{request_id}", dependencies=[Depends(Permit(REVIEW))], include_in_schema=False)
def review_decide(request: Request, db: DbSession, user: Reviewer, request_id: RecordId,
                  decision: Line = "", comment: Text = "",
                  version: Annotated[int | None, Form(ge=1)] = None) -> Response:
    try:
        _decide(request, db, user, request_id, decision, comment, version)
    except (RequestInvalid, RequestChanged) as exc:
        db.rollback()
        view = decision_page(db, request_id, today(request))
        if view is None:
            raise HTTPException(404, "No such request.") from None
        errors = exc.errors if isinstance(exc, RequestInvalid) else {"decision": str(exc)}
        return render(request, "sharing/decision.html", {
            "data": view, "title": "Decide a data request",
            "form": {"errors": errors, "decision": decision, "comment": comment}},
            status_code=409 if isinstance(exc, RequestChanged) else 400)
    db.commit()
    return RedirectResponse(f"/sharing/review?decided={request_id}", status_code=303)


class DecisionIn(BaseModel):
    decision: str = Field(description="approve, refuse or return")
    comment: str = Field(default="", max_length=2000, description="Needed to refuse or return")
    version: int | None = Field(default=None, ge=1, description="The request's version as read")


@router.post("/api/sharing/review/{request_id}", dependencies=[Depends(Permit(REVIEW))],
             response_model=RequestView, responses={409: {"description": "changed since read"},
                                                    422: {"description": "{'errors': {field: message}}"}},
             summary="Decide a submitted data request: approve (grants access), refuse or return "
                     "(audited)")
def api_review_decide(request: Request, db: DbSession, user: Reviewer, request_id: RecordId,
                      body: DecisionIn) -> Response:
    try:
        _decide(request, db, user, request_id, body.decision, body.comment, body.version)
    except RequestInvalid as exc:
        db.rollback()
        return _json_errors(exc)
    except RequestChanged as exc:
        db.rollback()
        return JSONResponse({"detail": str(exc)}, status_code=409)
    db.commit()
    found = decision_page(db, request_id, today(request))
    assert found is not None
    return Response(found.request.model_dump_json(), media_type="application/json")


@page(router, "/sharing/escalations", permission=ESCALATIONS, template="sharing/escalations.html",
      title="Escalated data requests", summary="Requests past their step's deadline (escalated)")
def escalations(request: Request, db: DbSession) -> RequestsView:
    return escalations_view(db, today(request))


@page(router, "/sharing/register", permission=REGISTER, template="sharing/register.html",
      title="Register of data requests",
      summary="Every data request without personal data, with the median working days to decision")
def register(request: Request, db: DbSession) -> RegisterView:
    return register_view(db, today(request))


@router.get("/sharing/register.csv", dependencies=[Depends(Permit(REGISTER))],
            summary="The register of data requests as CSV (no personal data)")
def register_download(request: Request, db: DbSession) -> Response:
    text = register_csv(register_view(db, today(request)))
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="data-requests-register.csv"'})


def home_reminders(request: Request, role: str) -> Reminders | None:
    """The reminders for the home page of a reviewer (and the escalated count for the escalation
    role), or ``None`` for a role that holds neither permission."""
    matrix = request.app.state.matrix
    review, escalate = matrix.allows(role, REVIEW), matrix.allows(role, ESCALATIONS)
    if not (review or escalate):
        return None
    with request.app.state.sessions() as db:
        return reminders(db, today(request), escalations=escalate)


extension = WebExtension(
    name="sharing", router=router, templates=Path(__file__).parent / "templates",
    nav=(NavItem("Data sharing", "/sharing/agreements", AGREEMENTS),
         NavItem("My data requests", "/sharing/requests", REQUEST),
         NavItem("Request reviews", "/sharing/review", REVIEW),
         NavItem("Escalated requests", "/sharing/escalations", ESCALATIONS)),
    person_records={DOWNLOAD_PAGE: ("pseudonymous_dataset", "dataset")},
)
