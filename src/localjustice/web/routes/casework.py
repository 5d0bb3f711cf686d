"""Risk and safety, supervision and a case's life (issue 17): thin routes over ``Casework``, in the
manner of ``routes.cases`` (whose helpers they use).

Pages with JSON twins: a case's risk page (the checklist, the level in force, its history and the
tasks it created), its safety plan (actions, safe contact plan), the supervisor's page (approvals
waiting, caseloads, overdue work, high-risk cases with no safety plan) and the closure feedback
report (aggregate only). Forms post to the case's routes; every change has a JSON endpoint under
``/api/``. Registered before the case pages, so ``/cases/supervision`` is not read as a case id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from localjustice.service import InvalidInput, StaleEdit, parse_input, schemas
from localjustice.service.casework import Casework
from localjustice.service.casework_schemas import (
    ApprovalDecisionIn,
    ApprovalView,
    DocumentView,
    FeedbackReport,
    FlagIn,
    FlagView,
    ReopenIn,
    RiskAssessmentIn,
    RiskResult,
    SafeContactIn,
    SafeContactView,
    SafetyActionIn,
    SafetyActionUpdate,
    SafetyActionView,
    SupervisionPage,
    TaskDoneIn,
    TaskView,
)
from localjustice.service.documents import MEDIA_TYPES
from localjustice.service.risk import RiskChecklist
from localjustice.web import access_reasons as reasons
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, RecordId
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page
from localjustice.web.roles import Permission
from localjustice.web.routes import cases as case_pages

router = APIRouter()
SUPERVISE = "cases:supervise"
PERMISSIONS = (
    Permission(SUPERVISE, "See the supervision page of the teams you supervise (approvals waiting, "
               "caseloads, overdue work, high-risk cases with no safety plan) and approve or return the "
               "actions that need a supervisor", frozenset({"supervisor", "admin"})),
)
Supervisor = Annotated[SignedIn, Depends(Permit(SUPERVISE))]
Viewer = case_pages.Viewer
Editor = case_pages.Editor
Reporter = case_pages.Reporter
JsonBody = case_pages.JsonBody
Version = case_pages.Version
OptionalVersion = case_pages.OptionalVersion
VIEW, EDIT = case_pages.VIEW, case_pages.EDIT


def _work(request: Request) -> Casework:
    return Casework(case_pages._service(request),
                    documents_dir=request.app.state.settings.data_dir / "case-documents")


def _checklist(request: Request) -> RiskChecklist:
    """The deployment's checklist (``LOCALJUSTICE_RISK_CHECKLIST``, read once at start-up)."""
    checklist: RiskChecklist = request.app.state.settings.risk_checklist
    return checklist


def _api_route(method: str, path: str, permission: str, model: type[BaseModel] | None, response: Any,
               summary: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    def decorate(fn: Callable[..., Response]) -> Callable[..., Response]:
        responses: dict[int | str, dict[str, Any]] = {**case_pages.ERRORS, 200: {"model": response}}
        router.add_api_route(path, fn, methods=[method], dependencies=[Depends(Permit(permission))],
                             summary=summary, responses=responses,
                             openapi_extra=case_pages._body(model) if model else None, name=fn.__name__,
                             response_class=JSONResponse)
        return fn
    return decorate


def _form_routes(path: str, template: str, title: str, model: type[BaseModel],
                 action: Callable[[Casework, SignedIn, int, dict[str, Any], int | None], Any], done: str,
                 version: Callable[[schemas.CaseDetail], int | None] | None = None) -> None:
    """GET (the form) and POST (save) of one form about one case, as ``routes.cases`` does."""

    def show(request: Request, user: Editor, case_id: RecordId) -> Response:
        case = case_pages._case_or_404(request, user, case_id)
        values: dict[str, Any] = {"version": version(case)} if version else {}
        if model is SafeContactIn and case.casework and case.casework.safe_contact:
            values.update(case.casework.safe_contact.model_dump(mode="json"))
        return case_pages._form_page(request, template, title=title, values=values, case=case,
                                     checklist=_checklist(request))

    async def save(request: Request, user: Editor, case_id: RecordId) -> Response:
        case = await run_in_threadpool(case_pages._case_or_404, request, user, case_id)

        def call(data: dict[str, Any], seen: int | None) -> Any:
            return action(_work(request), user, case_id, data, seen)
        return await case_pages._submit(request, template, title, call,
                                        lambda r: f"/cases/{case_id}?{case_pages._done(r, done)}=1",
                                        model=model, case=case, checklist=_checklist(request))

    name = path.strip("/").replace("/", "_").replace("{case_id}", "case").replace("-", "_")
    router.add_api_route(path, show, methods=["GET"], dependencies=[Depends(Permit(EDIT))],
                         include_in_schema=False, name=f"{name}_form")
    router.add_api_route(path, save, methods=["POST"], dependencies=[Depends(Permit(EDIT))],
                         include_in_schema=False, name=f"{name}_save")


# --- pages --------------------------------------------------------------------------------------


@page(router, "/cases/supervision", permission=SUPERVISE, template="cases/supervision.html",
      title="Supervision", summary="Approvals waiting for you, caseloads, overdue work and high-risk cases "
                                   "with no safety plan, in the teams you supervise (audited)")
def supervision(request: Request, user: Supervisor) -> SupervisionPage:
    return case_pages._guard(lambda: _work(request).supervision(user.actor))


@page(router, "/cases/feedback", permission=case_pages.REPORT, template="cases/feedback.html",
      title="Feedback at closure", summary="The short satisfaction measure asked at closure, in aggregate "
                                           "only (small counts withheld)")
def feedback(request: Request, user: Reporter,
             team: Annotated[str, Query(max_length=100, pattern=PRINTABLE)] = "") -> FeedbackReport:
    try:
        return case_pages._guard(lambda: _work(request).feedback_report(user.actor, team or None))
    except InvalidInput as exc:
        raise HTTPException(404, "; ".join(exc.errors.values())) from None


class Question(BaseModel):
    key: str
    text: str
    score: int


class RiskPage(BaseModel):
    case: schemas.CaseDetail
    #: the checklist in use now (its title, key and version); each assessment names its own
    checklist: str
    key: str
    version: str
    citation: str
    thresholds: dict[str, int]
    questions: list[Question]


@page(router, "/cases/{case_id}/risk", permission=VIEW, template="cases/risk.html", title="Risk",
      summary="A case's risk level in force, the checklist it came from, its history and the tasks it "
              "created (audited as a view of the case)")
def risk_page(request: Request, user: Viewer, case_id: RecordId, purpose: reasons.PurposeCode = "",
              purpose_detail: reasons.PurposeDetail = "") -> RiskPage:
    given = reasons.stated("case", purpose, purpose_detail)
    case = case_pages._guard(lambda: case_pages._service(request).get_case(
        user.actor, case_id, purpose=given, stated_in=reasons.held(request, "case", case_id)))
    checklist = _checklist(request)
    return RiskPage(case=case, checklist=checklist.title, key=checklist.key, version=checklist.version,
                    citation=checklist.citation,
                    thresholds=dict(checklist.thresholds),
                    questions=[Question(key=q.key, text=q.text, score=q.score) for q in checklist.questions])


@page(router, "/cases/{case_id}/safety-plan", permission=VIEW, template="cases/safety_plan.html",
      title="Safety plan", summary="A case's safety plan (actions, owners, review dates, progress) and safe "
                                   "contact plan (audited as a view of the case)")
def safety_plan(request: Request, user: Viewer, case_id: RecordId, purpose: reasons.PurposeCode = "",
                purpose_detail: reasons.PurposeDetail = "") -> schemas.CaseDetail:
    given = reasons.stated("case", purpose, purpose_detail)
    return case_pages._guard(lambda: case_pages._service(request).get_case(
        user.actor, case_id, purpose=given, stated_in=reasons.held(request, "case", case_id)))


# --- forms --------------------------------------------------------------------------------------


def _risk_answers(data: dict[str, Any]) -> dict[str, Any]:
    """The form's ``q-<key>`` radios as the checklist's answers."""
    answers = {k.removeprefix("q-"): v == "yes" for k, v in data.items() if k.startswith("q-")}
    rest = {k: v for k, v in data.items() if not k.startswith("q-")}
    return {**rest, "answers": answers, "professional_level": rest.get("professional_level") or None}


def _case_version(case: schemas.CaseDetail) -> int:
    return case.version


def _safe_contact_version(case: schemas.CaseDetail) -> int | None:
    return case.casework.safe_contact.version if case.casework and case.casework.safe_contact else None


_form_routes("/cases/{case_id}/risk/assess", "cases/risk_form.html", "Risk checklist", RiskAssessmentIn,
             lambda w, u, cid, data, v: w.assess_risk(u.actor, cid, parse_input(RiskAssessmentIn,
                                                                                _risk_answers(data))),
             "risk_assessed")
_form_routes("/cases/{case_id}/safe-contact", "cases/safe_contact.html", "Safe contact plan", SafeContactIn,
             lambda w, u, cid, data, v: w.save_safe_contact(u.actor, cid, parse_input(SafeContactIn, data),
                                                            expected_version=v),
             "safe_contact_saved", _safe_contact_version)
_form_routes("/cases/{case_id}/safety-plan/action", "cases/safety_action.html", "Add a safety plan action",
             SafetyActionIn,
             lambda w, u, cid, data, v: w.add_safety_action(u.actor, cid, parse_input(SafetyActionIn, data)),
             "safety_action_added")
_form_routes("/cases/{case_id}/flags", "cases/flag.html", "Add a flag", FlagIn,
             lambda w, u, cid, data, v: w.raise_flag(u.actor, cid, parse_input(FlagIn, data)), "flag_raised")
_form_routes("/cases/{case_id}/reopen", "cases/reopen.html", "Reopen the case", ReopenIn,
             lambda w, u, cid, data, v: w.reopen(u.actor, cid, parse_input(ReopenIn, data),
                                                 expected_version=v or 0), "reopened", _case_version)


async def _record_post(request: Request, case_id: int, anchor: str,
                       call: Callable[[dict[str, Any], int], Any], done: str) -> Response:
    """A small form on the case page (one button): back to the case, saying how it went."""
    data, version, _ = await case_pages._form(request)
    try:
        await run_in_threadpool(case_pages._guard, lambda: call(data, version or 0))
    except (InvalidInput, StaleEdit) as exc:
        problem = "stale" if isinstance(exc, StaleEdit) else "invalid"
        return RedirectResponse(f"/cases/{case_id}?casework_error={problem}#{anchor}", status_code=303)
    return RedirectResponse(f"/cases/{case_id}?{done}=1#{anchor}", status_code=303)


@router.post("/cases/{case_id}/tasks/{task_id}/done", dependencies=[Depends(Permit(EDIT))],
             include_in_schema=False)
async def task_done(request: Request, user: Editor, case_id: RecordId, task_id: RecordId) -> Response:
    return await _record_post(request, case_id, "casework-tasks", lambda d, v: _work(request).complete_task(
        user.actor, task_id, parse_input(TaskDoneIn, d), expected_version=v), "task_done")


@router.post("/cases/{case_id}/flags/{flag_id}/remove", dependencies=[Depends(Permit(EDIT))],
             include_in_schema=False)
async def flag_remove(request: Request, user: Editor, case_id: RecordId, flag_id: RecordId) -> Response:
    return await _record_post(request, case_id, "flags", lambda d, v: _work(request).remove_flag(
        user.actor, flag_id, expected_version=v), "flag_removed")


@router.post("/cases/{case_id}/safety-plan/{action_id}", dependencies=[Depends(Permit(EDIT))],
             include_in_schema=False)
async def safety_action_update(request: Request, user: Editor, case_id: RecordId,
                               action_id: RecordId) -> Response:
    data, version, _ = await case_pages._form(request)
    try:
        await run_in_threadpool(case_pages._guard, lambda: _work(request).update_safety_action(
            user.actor, action_id, parse_input(SafetyActionUpdate, data), expected_version=version or 0))
    except (InvalidInput, StaleEdit) as exc:
        problem = "stale" if isinstance(exc, StaleEdit) else "invalid"
        return RedirectResponse(f"/cases/{case_id}/safety-plan?error={problem}", status_code=303)
    return RedirectResponse(f"/cases/{case_id}/safety-plan?updated=1", status_code=303)


# --- documents ----------------------------------------------------------------------------------


@router.get("/cases/{case_id}/documents", dependencies=[Depends(Permit(EDIT))], include_in_schema=False)
def documents_form(request: Request, user: Editor, case_id: RecordId) -> Response:
    case = case_pages._case_or_404(request, user, case_id)
    return case_pages._form_page(request, "cases/documents.html", title="Attach a document", values={},
                                 case=case)


async def _upload(request: Request) -> tuple[str, bytes, str]:
    form = await request.form()
    upload, description = form.get("document"), str(form.get("description") or "")
    if not isinstance(upload, UploadFile) and not hasattr(upload, "read"):
        return "", b"", description
    assert upload is not None and not isinstance(upload, str)
    return upload.filename or "document", await upload.read(), description


@router.post("/cases/{case_id}/documents", dependencies=[Depends(Permit(EDIT))], include_in_schema=False)
async def documents_upload(request: Request, user: Editor, case_id: RecordId) -> Response:
    case = await run_in_threadpool(case_pages._case_or_404, request, user, case_id)
    filename, content, description = await _upload(request)
    try:
        await run_in_threadpool(case_pages._guard, lambda: _work(request).attach_document(
            user.actor, case_id, filename=filename, content=content, description=description))
    except InvalidInput as exc:
        return case_pages._form_page(request, "cases/documents.html", title="Attach a document",
                                     values={"description": description}, errors=exc.errors,
                                     status_code=422, case=case)
    return RedirectResponse(f"/cases/{case_id}?document_attached=1#documents", status_code=303)


def _download(request: Request, user: SignedIn, document_id: int, given: Any) -> Response:
    doc, content = case_pages._guard(lambda: _work(request).document(
        user.actor, document_id, purpose=given, stated_in=None))
    return Response(content, media_type=MEDIA_TYPES[doc.kind], headers={
        "Content-Disposition": f'attachment; filename="{doc.filename}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})


@router.get("/cases/{case_id}/documents/{document_id}", dependencies=[Depends(Permit(VIEW))],
            include_in_schema=False)
def document_download(request: Request, user: Viewer, case_id: RecordId, document_id: RecordId) -> Response:
    """The document's bytes, as stored; the download is audited with the reason held for the case."""
    doc, content = case_pages._guard(lambda: _work(request).document(
        user.actor, document_id, stated_in=reasons.held(request, "case", case_id)))
    if doc.case_id != case_id:
        raise HTTPException(404, f"No document {document_id} on case {schemas.case_reference(case_id)}.")
    return Response(content, media_type=MEDIA_TYPES[doc.kind], headers={
        "Content-Disposition": f'attachment; filename="{doc.filename}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})


@router.get("/api/documents/{document_id}", dependencies=[Depends(Permit(VIEW))],
            summary="Download a case document (needs a reason for access unless it is your case; audited)")
def api_document(request: Request, user: Viewer, document_id: RecordId, purpose: reasons.PurposeCode = "",
                 purpose_detail: reasons.PurposeDetail = "") -> Response:
    return _download(request, user, document_id, reasons.stated("case", purpose, purpose_detail))


@router.post("/api/cases/{case_id}/documents", dependencies=[Depends(Permit(EDIT))],
             summary="Attach a document (multipart field `document`; PDF, PNG, JPEG or DOCX by content)",
             responses={**case_pages.ERRORS, 200: {"model": DocumentView}}, response_class=JSONResponse)
async def api_documents_upload(request: Request, user: Editor, case_id: RecordId) -> Response:
    filename, content, description = await _upload(request)
    return await run_in_threadpool(case_pages._api, lambda: _work(request).attach_document(
        user.actor, case_id, filename=filename, content=content, description=description), 201)


# --- approvals ----------------------------------------------------------------------------------


def _approval(request: Request, user: SignedIn, approval_id: int) -> ApprovalView:
    found = next((a for a in _work(request).supervision(user.actor).approvals if a.id == approval_id), None)
    if found is None:
        raise HTTPException(404, f"No approval {approval_id} waiting for you.")
    return found


@router.get("/cases/approvals/{approval_id}", dependencies=[Depends(Permit(SUPERVISE))],
            include_in_schema=False)
def approval_form(request: Request, user: Supervisor, approval_id: RecordId) -> Response:
    approval = case_pages._guard(lambda: _approval(request, user, approval_id))
    return case_pages._form_page(request, "cases/approval.html", title="Approve or return",
                                 values={"version": approval.version}, approval=approval)


@router.post("/cases/approvals/{approval_id}", dependencies=[Depends(Permit(SUPERVISE))],
             include_in_schema=False)
async def approval_decide(request: Request, user: Supervisor, approval_id: RecordId) -> Response:
    approval = await run_in_threadpool(case_pages._guard, lambda: _approval(request, user, approval_id))

    def call(data: dict[str, Any], version: int | None) -> Any:
        return _work(request).decide(user.actor, approval_id, parse_input(ApprovalDecisionIn, data),
                                     expected_version=version or 0)
    return await case_pages._submit(request, "cases/approval.html", "Approve or return", call,
                                    lambda r: f"/cases/supervision?{r.status}=1", model=ApprovalDecisionIn,
                                    approval=approval)


# --- JSON API for changes -----------------------------------------------------------------------


@_api_route("POST", "/api/cases/{case_id}/risk-assessments", EDIT, RiskAssessmentIn, RiskResult,
            "Complete the risk checklist: scored on save; a lower level waits for a supervisor")
def api_risk(request: Request, user: Editor, case_id: RecordId, body: JsonBody) -> Response:
    return case_pages._api(lambda: _work(request).assess_risk(
        user.actor, case_id, parse_input(RiskAssessmentIn, body)), 201)


@_api_route("PUT", "/api/cases/{case_id}/safe-contact", EDIT, SafeContactIn, SafeContactView,
            "Record how the person may safely be contacted (every contact is checked against it)")
def api_safe_contact(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
                     expected_version: OptionalVersion = None) -> Response:
    return case_pages._api(lambda: _work(request).save_safe_contact(
        user.actor, case_id, parse_input(SafeContactIn, body), expected_version=expected_version))


@_api_route("POST", "/api/cases/{case_id}/safety-actions", EDIT, SafetyActionIn, SafetyActionView,
            "Add an action to the case's safety plan")
def api_safety_action(request: Request, user: Editor, case_id: RecordId, body: JsonBody) -> Response:
    return case_pages._api(lambda: _work(request).add_safety_action(
        user.actor, case_id, parse_input(SafetyActionIn, body)), 201)


@_api_route("PATCH", "/api/safety-actions/{action_id}", EDIT, SafetyActionUpdate, SafetyActionView,
            "Record a safety plan action's progress and next review")
def api_safety_action_update(request: Request, user: Editor, action_id: RecordId, body: JsonBody,
                             expected_version: Version) -> Response:
    return case_pages._api(lambda: _work(request).update_safety_action(
        user.actor, action_id, parse_input(SafetyActionUpdate, body), expected_version=expected_version))


@_api_route("POST", "/api/tasks/{task_id}/done", EDIT, TaskDoneIn, TaskView, "Record a task as done")
def api_task_done(request: Request, user: Editor, task_id: RecordId, body: JsonBody,
                  expected_version: Version) -> Response:
    return case_pages._api(lambda: _work(request).complete_task(
        user.actor, task_id, parse_input(TaskDoneIn, body), expected_version=expected_version))


@_api_route("POST", "/api/cases/{case_id}/flags", EDIT, FlagIn, FlagView,
            "Flag the case (an interpreter or accessibility need starts the Right 1 duty)")
def api_flag(request: Request, user: Editor, case_id: RecordId, body: JsonBody) -> Response:
    return case_pages._api(lambda: _work(request).raise_flag(user.actor, case_id, parse_input(FlagIn, body)),
                           201)


@_api_route("POST", "/api/flags/{flag_id}/remove", EDIT, None, FlagView, "Remove a flag from a case")
def api_flag_remove(request: Request, user: Editor, flag_id: RecordId, expected_version: Version) -> Response:
    return case_pages._api(lambda: _work(request).remove_flag(user.actor, flag_id,
                                                              expected_version=expected_version))


@_api_route("POST", "/api/cases/{case_id}/reopen", EDIT, ReopenIn, None,
            "Reopen a closed case; its history is kept")
def api_reopen(request: Request, user: Editor, case_id: RecordId, body: JsonBody,
               expected_version: Version) -> Response:
    return case_pages._api(lambda: _work(request).reopen(user.actor, case_id, parse_input(ReopenIn, body),
                                                         expected_version=expected_version))


@_api_route("POST", "/api/approvals/{approval_id}/decision", SUPERVISE, ApprovalDecisionIn, ApprovalView,
            "Approve (the action is done) or return with a comment an action waiting for a supervisor")
def api_decide(request: Request, user: Supervisor, approval_id: RecordId, body: JsonBody,
               expected_version: Version) -> Response:
    return case_pages._api(lambda: _work(request).decide(
        user.actor, approval_id, parse_input(ApprovalDecisionIn, body), expected_version=expected_version))


#: The id parameters of these routes that reach a person's record, and the kind each names.
_RECORDS = {"case_id": "case", "task_id": "case_task", "flag_id": "case_flag", "action_id": "safety_action",
            "document_id": "case_document", "approval_id": "approval"}


def _person_records() -> dict[str, tuple[str, str]]:
    found = {}
    for route in router.routes:
        path = getattr(route, "path", "")
        for param, kind in _RECORDS.items():
            if "{" + param + "}" in path:
                found[path] = (kind, param)
                break
    return found


extension = WebExtension(
    name="casework",
    router=router,
    nav=(NavItem("Supervision", "/cases/supervision", SUPERVISE),),
    permissions=PERMISSIONS,
    person_records=_person_records(),
)
