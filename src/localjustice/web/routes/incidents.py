"""Major-incident pages (MoU V7) and their JSON API: thin routes over ``IncidentService``.

The list, the incident and its dashboard are pages with JSON twins (``page``). Registering people
is a CSV upload (a multipart form; the CSRF token travels in it); rows that fail are listed on the
incident page with their reasons and each is fixed on its own page. Who may do what is in
``roles.toml`` (``incidents:view``, ``incidents:work``, ``incidents:manage``); which incidents and
cases each person reaches is the service's business (the coordinating team; other teams'
caseworkers granted access, until the incident closes). Every view and change is audited there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.responses import Response

from localjustice.service import (
    IncidentService,
    InvalidInput,
    InvalidTransition,
    StaleEdit,
    incident_schemas,
    parse_input,
)
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, RecordId
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page, render
from localjustice.web.routes import cases as case_pages

router = APIRouter()
VIEW, WORK, MANAGE = "incidents:view", "incidents:work", "incidents:manage"
Viewer = Annotated[SignedIn, Depends(Permit(VIEW))]
Worker = Annotated[SignedIn, Depends(Permit(WORK))]
Manager = Annotated[SignedIn, Depends(Permit(MANAGE))]
KINDS = [("terrorism", "Terrorism"), ("transport", "Transport"), ("public_disorder", "Public disorder"),
         ("fire", "Fire"), ("crowd", "Crowd"), ("other", "Other")]


def _service(request: Request) -> IncidentService:
    return IncidentService(case_pages._service(request))


def _guard(call: Callable[[], Any]) -> Any:
    try:
        return case_pages._guard(call)
    except InvalidTransition as exc:
        raise InvalidInput({"form": str(exc)}) from None


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


# --- pages ----------------------------------------------------------------------------------------


class IncidentList(BaseModel):
    incidents: list[incident_schemas.IncidentView]
    may_open: bool


@page(router, "/incidents", permission=VIEW, template="incidents/list.html", title="Major incidents",
      summary="Major incidents you coordinate or have been given access to")
def incident_list(request: Request, user: Viewer) -> IncidentList:
    found = _guard(lambda: _service(request).list_incidents(user.actor))
    return IncidentList(incidents=found, may_open=user.actor.role in ("supervisor", "admin"))


@page(router, "/incidents/{incident_id}", permission=VIEW, template="incidents/incident.html",
      title="Major incident", summary="One incident: its people by priority group, rows to fix, access "
                                      "given to other teams, and messages sent (audited)")
def incident_page(request: Request, user: Viewer, incident_id: RecordId) -> incident_schemas.IncidentDetail:
    detail: incident_schemas.IncidentDetail = _guard(lambda: _service(request).get_incident(user.actor,
                                                                                            incident_id))
    return detail


@page(router, "/incidents/{incident_id}/dashboard", permission=VIEW, template="incidents/dashboard.html",
      title="Incident dashboard",
      summary="Counts for one incident: cases and rows by status, priority groups, needs, onward referrals "
              "and Victims' Code deadlines")
def incident_dashboard(request: Request, user: Viewer,
                       incident_id: RecordId) -> incident_schemas.IncidentDashboard:
    board: incident_schemas.IncidentDashboard = _guard(lambda: _service(request).dashboard(user.actor,
                                                                                           incident_id))
    return board


# --- forms ----------------------------------------------------------------------------------------


def _new_page(request: Request, user: SignedIn, values: Mapping[str, Any],
              errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    return case_pages._form_page(request, "incidents/new.html", title="Open a major incident", values=values,
                                 errors=errors, status_code=status_code,
                                 team_options=[(t, t) for t in user.actor.teams], kinds=KINDS)


@router.get("/incidents/new/incident", dependencies=[Depends(Permit(MANAGE))], include_in_schema=False)
def new_incident_form(request: Request, user: Manager) -> Response:
    return _new_page(request, user, {"occurred_on": date.today().isoformat(),
                                     "coordinating_team": user.actor.teams[0] if user.actor.teams else ""})


@router.post("/incidents/new/incident", dependencies=[Depends(Permit(MANAGE))], include_in_schema=False)
async def new_incident(request: Request, user: Manager) -> Response:
    data, _, flat = await case_pages._form(request)
    try:
        made = await run_in_threadpool(_guard, lambda: _service(request).create_incident(
            user.actor, parse_input(incident_schemas.IncidentIn, data)))
    except InvalidInput as exc:
        return _new_page(request, user, {**flat, "occurred_on": ""}, exc.errors, 422)
    return RedirectResponse(f"/incidents/{made.id}?opened=1", status_code=303)


def _incident_with_errors(request: Request, user: SignedIn, incident_id: int, errors: Mapping[str, str],
                          values: Mapping[str, Any]) -> Response:
    detail = _guard(lambda: _service(request).get_incident(user.actor, incident_id))
    return render(request, "incidents/incident.html", {"data": detail, "title": "Major incident",
                                                       "errors": dict(errors), "values": dict(values),
                                                       "field_order": []}, status_code=422)


@router.post("/incidents/{incident_id}/upload", dependencies=[Depends(Permit(WORK))], include_in_schema=False)
async def upload(request: Request, user: Worker, incident_id: RecordId) -> Response:
    form = await request.form()
    file = form.get("file")
    spoc = str(form.get("spoc_username") or user.actor.username)
    content = await file.read() if isinstance(file, UploadFile) else b""
    filename = file.filename or "upload.csv" if isinstance(file, UploadFile) else ""
    try:
        if not content:
            raise InvalidInput({"file": "Choose a CSV file to upload"})
        result = await run_in_threadpool(_guard, lambda: _service(request).upload(
            user.actor, incident_id, filename=filename, content=content, spoc_username=spoc))
    except InvalidInput as exc:
        return await run_in_threadpool(_incident_with_errors, request, user, incident_id, exc.errors,
                                       {"spoc_username": spoc})
    counts = f"registered={result.registered}&rejected={result.rejected}"
    return RedirectResponse(f"/incidents/{incident_id}?{counts}#rows", status_code=303)


@router.post("/incidents/{incident_id}/messages", dependencies=[Depends(Permit(WORK))],
             include_in_schema=False)
async def message(request: Request, user: Worker, incident_id: RecordId) -> Response:
    data, _, flat = await case_pages._form(request)
    data.setdefault("sent_on", date.today().isoformat())
    try:
        sent = await run_in_threadpool(_guard, lambda: _service(request).send_message(
            user.actor, incident_id, parse_input(incident_schemas.MessageIn, data)))
    except InvalidInput as exc:
        return await run_in_threadpool(_incident_with_errors, request, user, incident_id, exc.errors, flat)
    return RedirectResponse(f"/incidents/{incident_id}?sent={sent.sent}&withheld={sent.withheld}#messages",
                            status_code=303)


@router.post("/incidents/{incident_id}/access", dependencies=[Depends(Permit(MANAGE))],
             include_in_schema=False)
async def grant(request: Request, user: Manager, incident_id: RecordId) -> Response:
    data = await _fields(request)
    try:
        await run_in_threadpool(_guard, lambda: _service(request).grant_access(
            user.actor, incident_id, parse_input(incident_schemas.AccessGrantIn, data)))
    except InvalidInput as exc:
        return await run_in_threadpool(_incident_with_errors, request, user, incident_id, exc.errors, data)
    return RedirectResponse(f"/incidents/{incident_id}?granted=1#access", status_code=303)


@router.post("/incidents/{incident_id}/close", dependencies=[Depends(Permit(MANAGE))],
             include_in_schema=False)
async def close(request: Request, user: Manager, incident_id: RecordId) -> Response:
    data = await _fields(request)
    version = int(data["version"]) if data.get("version", "").isdigit() else 0
    try:
        await run_in_threadpool(_guard, lambda: _service(request).close_incident(
            user.actor, incident_id, expected_version=version))
    except (InvalidInput, StaleEdit) as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else {"form": str(exc)}
        return await run_in_threadpool(_incident_with_errors, request, user, incident_id, errors, {})
    return RedirectResponse(f"/incidents/{incident_id}?closed=1", status_code=303)


def _row_page(request: Request, row: incident_schemas.RowView, values: Mapping[str, Any],
              errors: Mapping[str, str], status_code: int = 200, conflict: str = "") -> Response:
    return case_pages._form_page(request, "incidents/row.html", title=f"Fix row {row.row_number}",
                                 values=values, errors=errors, status_code=status_code, conflict=conflict,
                                 row=row, columns=incident_schemas.CSV_COLUMNS)


@router.get("/incidents/rows/{row_id}", dependencies=[Depends(Permit(WORK))], include_in_schema=False)
def row_form(request: Request, user: Worker, row_id: RecordId) -> Response:
    row = _guard(lambda: _service(request).get_row(user.actor, row_id))
    return _row_page(request, row, {**row.values, "version": row.version}, row.errors)


@router.post("/incidents/rows/{row_id}", dependencies=[Depends(Permit(WORK))], include_in_schema=False)
async def row_fix(request: Request, user: Worker, row_id: RecordId) -> Response:
    data = await _fields(request)
    version = int(data["version"]) if data.get("version", "").isdigit() else 0
    try:
        row = await run_in_threadpool(_guard, lambda: _service(request).fix_row(
            user.actor, row_id, data, expected_version=version))
    except (InvalidInput, StaleEdit) as exc:
        current = await run_in_threadpool(_guard, lambda: _service(request).get_row(user.actor, row_id))
        message = str(exc) if isinstance(exc, StaleEdit) else ""
        errors = exc.errors if isinstance(exc, InvalidInput) else {}
        return _row_page(request, current, {**data, "version": current.version}, errors,
                         409 if message else 422, message)
    if row.status == "rejected":
        return _row_page(request, row, {**row.values, "version": row.version}, row.errors, 422)
    return RedirectResponse(f"/incidents/{row.incident_id}?fixed={row.row_number}#rows", status_code=303)


# --- JSON API for changes -------------------------------------------------------------------------

JsonBody = Annotated[dict[str, Any], Body()]
Version = Annotated[int, Query(ge=0, description="The version of the record you read")]


def _api_route(method: str, path: str, permission: str, model: type[BaseModel] | None,
               response: type[Any] | None, summary: str) -> Callable[[Callable[..., Any]], Any]:
    return case_pages._api_route(method, path, permission, model, response, summary)


def _api(call: Callable[[], BaseModel | None], status_code: int = 200) -> Response:
    try:
        return case_pages._api(lambda: _guard(call), status_code)
    except InvalidInput as exc:
        return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=422)


@_api_route("POST", "/api/incidents", MANAGE, incident_schemas.IncidentIn, incident_schemas.IncidentView,
            "Open a major incident, coordinated by a team you supervise")
def api_create(request: Request, user: Manager, body: JsonBody) -> Response:
    return _api(lambda: _service(request).create_incident(
        user.actor, parse_input(incident_schemas.IncidentIn, body)), 201)


@_api_route("POST", "/api/incidents/{incident_id}/upload", WORK, None, incident_schemas.UploadResult,
            "Register people from a CSV (the request body, text/csv): each row kept, bad rows rejected "
            "with reasons")
async def api_upload(request: Request, user: Worker, incident_id: RecordId,
                     spoc_username: Annotated[str, Query(max_length=200, pattern=PRINTABLE)] = "",
                     filename: Annotated[str, Query(max_length=200, pattern=PRINTABLE)] = "upload.csv",
                     ) -> Response:
    content = await request.body()
    return await run_in_threadpool(_api, lambda: _service(request).upload(
        user.actor, incident_id, filename=filename, content=content,
        spoc_username=spoc_username or user.actor.username), 201)


@_api_route("PUT", "/api/incidents/rows/{row_id}", WORK, None, incident_schemas.RowView,
            "Resubmit a rejected row with corrections (a JSON object of its columns)")
def api_fix_row(request: Request, user: Worker, row_id: RecordId, body: JsonBody,
                expected_version: Version) -> Response:
    values = {k: str(v) for k, v in body.items()}
    return _api(lambda: _service(request).fix_row(user.actor, row_id, values,
                                                  expected_version=expected_version))


@_api_route("POST", "/api/incidents/{incident_id}/messages", WORK, incident_schemas.MessageIn,
            incident_schemas.MessageView, "Send a bulk message: logged as a contact on each case reached")
def api_message(request: Request, user: Worker, incident_id: RecordId, body: JsonBody) -> Response:
    return _api(lambda: _service(request).send_message(
        user.actor, incident_id, parse_input(incident_schemas.MessageIn, body)), 201)


@_api_route("POST", "/api/incidents/{incident_id}/access", MANAGE, incident_schemas.AccessGrantIn,
            incident_schemas.AccessView,
            "Give a caseworker of another team the incident's cases until it closes")
def api_grant(request: Request, user: Manager, incident_id: RecordId, body: JsonBody) -> Response:
    return _api(lambda: _service(request).grant_access(
        user.actor, incident_id, parse_input(incident_schemas.AccessGrantIn, body)), 201)


@_api_route("POST", "/api/incidents/{incident_id}/close", MANAGE, None, incident_schemas.IncidentView,
            "Close the incident: access given to other teams ends")
def api_close(request: Request, user: Manager, incident_id: RecordId, expected_version: Version) -> Response:
    return _api(lambda: _service(request).close_incident(user.actor, incident_id,
                                                         expected_version=expected_version))


extension = WebExtension(
    name="incidents",
    router=router,
    nav=(NavItem("Incidents", "/incidents", VIEW),),
    # a refusal of an incident or one of its rows is audited as a refused view of person records
    person_records={path: (("incident", "incident_id") if "{incident_id}" in path
                           else ("incident_row", "row_id"))
                    for path in (getattr(r, "path", "") for r in router.routes)
                    if "{incident_id}" in path or "{row_id}" in path},
)
