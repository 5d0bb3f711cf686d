"""Linkage review for data stewards: the queue, one pair side by side, and the decision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from localjustice.access import PurposeInvalid
from localjustice.web import access_reasons as reasons
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, DbSession
from localjustice.web.rendering import page
from localjustice.web.services.review import (
    QUEUE,
    PairView,
    QueueView,
    decide,
    pair_view,
    queue_view,
    state_purpose,
)

router = APIRouter()
PERMISSION = "linkage:review"
Steward = Annotated[SignedIn, Depends(Permit(PERMISSION))]


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
