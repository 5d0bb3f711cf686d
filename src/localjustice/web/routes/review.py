"""Linkage review for data stewards: the queue, one pair side by side, and the decision."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, DbSession
from localjustice.web.rendering import page
from localjustice.web.services.review import PairView, QueueView, decide, pair_view, queue_view

router = APIRouter()
PERMISSION = "linkage:review"
Steward = Annotated[SignedIn, Depends(Permit(PERMISSION))]


@page(router, "/linkage/review", permission=PERMISSION, template="review_queue.html",
      title="Linkage review", summary="Pairs waiting for a decision (probabilities only, no identities)")
def review(request: Request) -> QueueView:
    return queue_view(request.app.state.warehouse)


@page(router, "/linkage/review/pair", permission=PERMISSION, template="review_pair.html",
      title="Review a pair", summary="One queued pair side by side (identity zone; every view is audited)")
def review_pair(request: Request, db: DbSession, user: Steward,
                n: Annotated[int, Query(ge=1, le=10_000)] = 1) -> PairView:
    return pair_view(request.app.state.warehouse, db, user, n)


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
