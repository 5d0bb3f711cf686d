"""Linkage review for data stewards: the queue, one pair side by side, and the decision; and a
manual link of two records outside the queue (its own permission, with a stated reason)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from localjustice.access import PurposeInvalid
from localjustice.web import access_reasons as reasons
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, DbSession
from localjustice.web.rendering import page, render
from localjustice.web.services.review import (
    QUEUE,
    ManualLinkForm,
    ManualLinkInvalid,
    ManualLinkOut,
    ManualLinkPage,
    PairView,
    QueueView,
    decide,
    link_manually,
    manual_link_page,
    pair_view,
    queue_view,
    state_purpose,
)

router = APIRouter()
PERMISSION = "linkage:review"
MANUAL_LINK = "linkage:manual_link"
Steward = Annotated[SignedIn, Depends(Permit(PERMISSION))]
Linker = Annotated[SignedIn, Depends(Permit(MANUAL_LINK))]


@page(router, "/linkage/review", permission=PERMISSION, template="review_queue.html",
      title="Linkage review", summary="Pairs waiting for a decision (probabilities only, no identities)")
def review(request: Request) -> QueueView:
    return queue_view(request.app.state.warehouse)


@page(router, "/linkage/review/pair", permission=PERMISSION, template="review_pair.html",
      title="Review a pair", summary="One queued pair side by side (identity zone; needs a reason for "
                                     "access; every view is audited)")
def review_pair(request: Request, db: DbSession, user: Steward,
                n: Annotated[int, Query(ge=1, le=10_000)] = 1, purpose: reasons.PurposeCode = "",
                purpose_detail: reasons.PurposeDetail = "") -> PairView:
    return pair_view(request.app.state.warehouse, db, user, n,
                     purpose=reasons.stated("linkage_review", purpose, purpose_detail),
                     stated_in=reasons.held(request, "linkage_review", QUEUE))


PAIR_PAGE = "/linkage/review/pair"
#: The routes that show identities: a refusal on one is audited (``web.refused_access``).
PERSON_RECORDS = {PAIR_PAGE: ("linkage_pair", "n"), "/api" + PAIR_PAGE: ("linkage_pair", "n")}


@router.get("/linkage/review/reason", dependencies=[Depends(Permit(PERMISSION))], include_in_schema=False)
def review_reason_form(request: Request, user: Steward,
                       next_page: Annotated[str, Query(alias="next", max_length=500)] = "") -> Response:
    return _reason_page(request, next_page)


@router.post("/linkage/review/reason", dependencies=[Depends(Permit(PERMISSION))], include_in_schema=False)
async def review_reason(request: Request, db: DbSession, user: Steward) -> Response:
    """Record why the steward is viewing identities, then show the pair they asked for."""
    code, detail, next_page = await reasons.reason_form(request)
    try:
        given = reasons.chosen("linkage_review", code, detail)
    except PurposeInvalid as exc:
        return _reason_page(request, next_page, {"purpose": code, "purpose_detail": detail}, exc.errors, 422)
    reasons.keep(request, "linkage_review", QUEUE, await run_in_threadpool(state_purpose, db, user, given))
    return RedirectResponse(reasons.safe_next(next_page, PAIR_PAGE), status_code=303)


def _reason_page(request: Request, next_page: str, values: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    return reasons.reason_page(
        request, kind="linkage_review", action="/linkage/review/reason", back="/linkage/review",
        caption="Linkage review", heading="Why are you viewing these records?",
        intro="The review pages show names and dates of birth from the identity zone.",
        next_page=reasons.safe_next(next_page, PAIR_PAGE), values=values, errors=errors,
        status_code=status_code)


@router.post("/linkage/review/decision", dependencies=[Depends(Permit(PERMISSION))], include_in_schema=False)
def review_decision(
    request: Request, db: DbSession, user: Steward,
    unit_id_l: Annotated[str, Form(max_length=300, pattern=PRINTABLE)] = "",
    unit_id_r: Annotated[str, Form(max_length=300, pattern=PRINTABLE)] = "",
    decision: Annotated[Literal["same", "not_same", "skip"] | None, Form()] = None,
    position: Annotated[int, Form(ge=1, le=10_000)] = 1,
) -> Response:
    if decision is None:
        return RedirectResponse(f"/linkage/review/pair?n={position}&error=choose", status_code=303)
    if decision == "skip":
        return RedirectResponse(f"/linkage/review/pair?n={position + 1}", status_code=303)
    decide(request.app.state.warehouse, db, user, unit_id_l, unit_id_r, same_person=decision == "same")
    return RedirectResponse(f"/linkage/review/pair?n={position}&decided=1", status_code=303)


@page(router, "/linkage/manual-link", permission=MANUAL_LINK, template="manual_link.html",
      title="Link two records manually",
      summary="The latest manual links (outside the review queue), which the next linkage run applies")
def manual_link(request: Request) -> ManualLinkPage:
    return manual_link_page(request.app.state.warehouse)


@router.post("/linkage/manual-link", dependencies=[Depends(Permit(MANUAL_LINK))], include_in_schema=False)
def manual_link_save(
    request: Request, db: DbSession, user: Linker,
    unit_id_a: Annotated[str, Form(max_length=300, pattern=PRINTABLE)] = "",
    unit_id_b: Annotated[str, Form(max_length=300, pattern=PRINTABLE)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = ManualLinkForm(unit_id_a=unit_id_a, unit_id_b=unit_id_b, reason=reason)
    try:
        link_manually(request.app.state.warehouse, db, user, form)
    except ManualLinkInvalid as exc:
        data = manual_link_page(request.app.state.warehouse)
        return render(request, "manual_link.html", {"data": data, "form": exc.form,
                                                    "title": "Link two records manually"},
                      status_code=400)
    return RedirectResponse("/linkage/manual-link?linked=1", status_code=303)


class ManualLinkIn(BaseModel):
    unit_id_a: str = Field(min_length=1, max_length=300, pattern=PRINTABLE,
                           description="One record: source:source_person_id")
    unit_id_b: str = Field(min_length=1, max_length=300, pattern=PRINTABLE,
                           description="The other record: source:source_person_id")
    reason: str = Field(min_length=1, max_length=2000, description="Why they are the same person")


@router.post("/api/linkage/manual-links", dependencies=[Depends(Permit(MANUAL_LINK))], status_code=201,
             response_model=ManualLinkOut, responses={422: {"description": "{'errors': {field: message}}"}},
             summary="Link two records outside the review queue, with the reason (audited; the next "
                     "linkage run applies it)")
def api_manual_link(request: Request, db: DbSession, user: Linker, body: ManualLinkIn) -> Response:
    form = ManualLinkForm(unit_id_a=body.unit_id_a, unit_id_b=body.unit_id_b, reason=body.reason)
    try:
        link = link_manually(request.app.state.warehouse, db, user, form)
    except ManualLinkInvalid as exc:
        return JSONResponse({"detail": str(exc), "errors": exc.form.errors}, status_code=422)
    return Response(link.model_dump_json(), status_code=201, media_type="application/json")
