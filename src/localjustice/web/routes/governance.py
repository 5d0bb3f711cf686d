"""The governance pages: the MoU commitments register, one commitment with its history and its
lead's update form, the board packs (list, draft, approve, decisions) and the board's home.

Thin routes over ``localjustice.governance`` (views in ``web.services.governance``). The service
holds the rules: only a commitment's named lead records its updates; a pack needs two approvers
other than its drafter; the board sees approved packs only (a draft answers 404 to the board).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from localjustice import governance as gov
from localjustice.web.authorise import Forbidden, Permit, SignedIn, current_user
from localjustice.web.deps import PRINTABLE, DbSession, RecordId
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page, render
from localjustice.web.services.governance import (
    BoardHomeView,
    CommitmentView,
    PackListView,
    PackView,
    RegisterView,
    board_home_view,
    commitment_view,
    pack_view,
    packs_view,
    register_view,
)

router = APIRouter()
VIEW, UPDATE, BOARD = "governance:view", "governance:update", "board:view"
DRAFT, APPROVE, DECIDE = "governance:draft", "governance:approve", "governance:decide"
CommitmentId = Annotated[str, PathParam(min_length=2, max_length=3, pattern=r"^[A-Z][0-9]{1,2}$")]
AsAt = Annotated[date | None, Query(description="Work the RAG status out as at this date (default: today)")]
#: text of several lines: tabs and line breaks allowed, other control characters not
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Text = Annotated[str, Form(max_length=4000, pattern=MULTILINE)]


def _user(request: Request) -> SignedIn:
    user = current_user(request)
    assert user is not None  # every route here needs a permission, so someone is signed in
    return user


def _allows(request: Request, permission: str) -> bool:
    return bool(request.app.state.matrix.allows(_user(request).role, permission))


def _published(request: Request) -> Path:
    folder: Path = request.app.state.settings.published_dir
    return folder


@page(router, "/commitments", permission=VIEW, template="governance/register.html",
      title="MoU commitments register",
      summary="Every MoU commitment with its lead, due date, latest update and RAG status (with why)")
def commitments(request: Request, db: DbSession, as_at: AsAt = None) -> RegisterView:
    return register_view(db, _published(request), as_at or date.today())


def _commitment(request: Request, db: DbSession, commitment_id: str, as_at: date | None) -> CommitmentView:
    try:
        return commitment_view(db, _published(request), commitment_id, as_at or date.today(),
                               _user(request).actor.username, _allows(request, UPDATE))
    except gov.NotFound:
        raise HTTPException(404, "No such commitment.") from None


@page(router, "/commitments/{commitment_id}", permission=VIEW, template="governance/commitment.html",
      title="Commitment",
      summary="One commitment: its text, milestones, tied measures and evaluations, RAG with why, every "
              "update by its lead and the board's decisions on it")
def commitment(request: Request, db: DbSession, commitment_id: CommitmentId,
               as_at: AsAt = None) -> CommitmentView:
    return _commitment(request, db, commitment_id, as_at)


@router.post("/commitments/{commitment_id}/updates", dependencies=[Depends(Permit(UPDATE))],
             include_in_schema=False)
def record_update(
    request: Request, db: DbSession, commitment_id: CommitmentId,
    progress: Annotated[str, Form(max_length=20)] = "",
    summary: Text = "",
    evidence_url: Annotated[str, Form(max_length=500, pattern=PRINTABLE)] = "",
    milestones_done: Annotated[list[str] | None, Form(max_length=50)] = None,
    override_status: Annotated[str, Form(max_length=10)] = "",
    override_reason: Text = "",
    after: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
) -> Response:
    form = gov.UpdateForm(progress=progress, summary=summary, evidence_url=evidence_url.strip(),
                          milestones_done=tuple(milestones_done or ()), override_status=override_status,
                          override_reason=override_reason, after=after)
    try:
        gov.record_update(db, _user(request).actor, commitment_id, form)
    except gov.NotFound:
        raise HTTPException(404, "No such commitment.") from None
    except gov.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except (gov.Invalid, gov.Conflict) as exc:
        db.rollback()
        view = _commitment(request, db, commitment_id, None)
        errors = exc.errors if isinstance(exc, gov.Invalid) else {}
        conflict = "" if isinstance(exc, gov.Invalid) else str(exc)
        return render(request, "governance/commitment.html",
                      {"data": view, "title": "Commitment", "form": form, "errors": errors,
                       "conflict": conflict}, status_code=400 if errors else 409)
    return RedirectResponse(f"/commitments/{commitment_id}?updated=1", status_code=303)


@page(router, "/board", permission=BOARD, template="governance/board_home.html", title="The board",
      summary="The board's home: the latest approved pack, its RAG summary, red commitments and the "
              "decisions asked and taken")
def board_home(request: Request, db: DbSession) -> BoardHomeView:
    return board_home_view(db)


@page(router, "/board/packs", permission=BOARD, template="governance/packs.html", title="Board packs",
      summary="Board packs, newest first, with their approvals (the board sees approved packs only)")
def packs(request: Request, db: DbSession) -> PackListView:
    return packs_view(db, _user(request).role, _allows(request, DRAFT))


@router.post("/board/packs", dependencies=[Depends(Permit(DRAFT))], include_in_schema=False)
def draft(request: Request, db: DbSession,
          quarter: Annotated[str, Form(max_length=10)] = "") -> Response:
    try:
        made = gov.draft_pack(db, _user(request).actor, request.app.state.settings.data_dir, quarter.strip())
    except gov.Invalid as exc:
        db.rollback()
        return render(request, "governance/packs.html",
                      {"data": packs_view(db, _user(request).role, True), "title": "Board packs",
                       "errors": exc.errors, "quarter": quarter}, status_code=400)
    return RedirectResponse(f"/board/packs/{made.id}?drafted=1", status_code=303)


def _pack(request: Request, db: DbSession, pack_id: int) -> PackView:
    user = _user(request)
    try:
        return pack_view(db, pack_id, user.actor.username, user.role, _allows(request, APPROVE),
                         _allows(request, DECIDE))
    except gov.NotFound:
        raise HTTPException(404, "No such board pack.") from None


@page(router, "/board/packs/{pack_id}", permission=BOARD, template="governance/pack.html", title="Board pack",
      summary="One board pack: what it shows, who approved it, and the decisions recorded against it")
def board_pack(request: Request, db: DbSession, pack_id: RecordId) -> PackView:
    return _pack(request, db, pack_id)


@router.post("/board/packs/{pack_id}/approve", dependencies=[Depends(Permit(APPROVE))],
             include_in_schema=False)
def approve(request: Request, db: DbSession, pack_id: RecordId) -> Response:
    try:
        gov.approve(db, _user(request).actor, request.app.state.settings.data_dir, pack_id)
    except gov.NotFound:
        raise HTTPException(404, "No such board pack.") from None
    except gov.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    return RedirectResponse(f"/board/packs/{pack_id}?approved=1", status_code=303)


@router.post("/board/packs/{pack_id}/decisions", dependencies=[Depends(Permit(DECIDE))],
             include_in_schema=False)
def record_decision(request: Request, db: DbSession, pack_id: RecordId, text: Text = "",
                    commitment: Annotated[str, Form(max_length=3)] = "") -> Response:
    try:
        gov.record_decision(db, _user(request).actor, pack_id, text, commitment or None)
    except gov.NotFound:
        raise HTTPException(404, "No such board pack.") from None
    except gov.Invalid as exc:
        db.rollback()
        return render(request, "governance/pack.html",
                      {"data": _pack(request, db, pack_id), "title": "Board pack", "errors": exc.errors,
                       "decision_text": text}, status_code=400)
    return RedirectResponse(f"/board/packs/{pack_id}?decided=1#decisions", status_code=303)


@router.get("/board/packs/{pack_id}/document.{kind}", dependencies=[Depends(Permit(BOARD))],
            summary="A board pack's document: its PDF or its accessible HTML, as a download")
def document(request: Request, db: DbSession, pack_id: RecordId,
             kind: Annotated[str, PathParam(pattern="^(pdf|html)$")]) -> Response:
    try:
        found = gov.get_pack(db, pack_id, _user(request).role)
    except gov.NotFound:
        raise HTTPException(404, "No such board pack.") from None
    path = request.app.state.settings.data_dir / (found.pdf_file if kind == "pdf" else found.html_file)
    if not path.is_file():
        raise HTTPException(404, "The pack's document is missing: build the pack again.")
    media = "application/pdf" if kind == "pdf" else "text/html; charset=utf-8"
    return FileResponse(path, media_type=media, filename=path.name,
                        content_disposition_type="attachment")


extension = WebExtension(name="governance", router=router,
                         nav=(NavItem("Commitments", "/commitments", VIEW),
                              NavItem("Board", "/board", BOARD)))
