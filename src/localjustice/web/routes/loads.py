"""Data loads: batches, row conservation, quarantine reasons with counts; and, for data stewards,
a batch's quarantined rows as sent, with a reason for access, and their download for the data
owner."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from localjustice.access import PurposeInvalid
from localjustice.web import access_reasons as reasons
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import PRINTABLE, DbSession
from localjustice.web.rendering import page
from localjustice.web.services.loads import LoadsView, loads_view
from localjustice.web.services.quarantine import (
    ALL,
    KIND,
    QuarantineView,
    quarantine_csv,
    quarantine_view,
    state_purpose,
)
from localjustice.web.services.record_history import RecordHistoryView, record_history_view

router = APIRouter()
QUARANTINE = "quarantine:view"
QUARANTINE_PAGE = "/loads/quarantine"
DOWNLOAD = QUARANTINE_PAGE + "/download"
REASON_PAGE = QUARANTINE_PAGE + "/reason"
RECORD_PAGE = "/loads/record"
Steward = Annotated[SignedIn, Depends(Permit(QUARANTINE))]
BatchId = Annotated[str, Query(min_length=1, max_length=200, pattern=PRINTABLE,
                               description="The batch, as the loads page lists it (`batch_id`)")]
#: The routes that show quarantined rows (personal data as sent): a refusal on one is audited
#: (``web.refused_access``), naming the batch asked for; the reason page names none ("").
PERSON_RECORDS = {**{path: ("quarantine_batch", "batch")
                     for path in (QUARANTINE_PAGE, "/api" + QUARANTINE_PAGE, DOWNLOAD)},
                  REASON_PAGE: ("quarantine_batch", ""),
                  **{path: ("identity_record", "extract+key")
                     for path in (RECORD_PAGE, "/api" + RECORD_PAGE)}}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
NO_BATCH = "No batch has that id. Choose a batch from the data loads page."


@page(router, "/loads", permission="loads:view", template="loads.html", title="Data loads",
      summary="Loaded batches with row conservation and what each changed, quarantine reasons "
              "with counts, the quarantined rows still waiting for a correction (by partner), and "
              "how many linkage pairs wait for review")
def loads(
    request: Request,
    partner: Annotated[str, Query(max_length=100, pattern=PRINTABLE)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page of the open items")] = 1,
    batches_page: Annotated[int, Query(ge=1, le=1_000_000, description="Page of the batches, "
                                       "newest first")] = 1,
) -> LoadsView:
    return loads_view(request.app.state.warehouse, partner=partner.strip(), page=page,
                      batches_page=batches_page)


@page(router, QUARANTINE_PAGE, permission=QUARANTINE, template="loads_quarantine.html",
      title="Quarantined rows",
      summary="One batch's quarantined rows as the partner sent them, with the rules they broke and "
              "whether a later delivery corrected them (needs a reason for access; every view is "
              "audited)")
def quarantine(
    request: Request, db: DbSession, user: Steward, batch: BatchId,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    purpose: reasons.PurposeCode = "", purpose_detail: reasons.PurposeDetail = "",
) -> QuarantineView:
    view = quarantine_view(request.app.state.warehouse, db, user, batch, page,
                           purpose=reasons.stated(KIND, purpose, purpose_detail),
                           stated_in=reasons.held(request, KIND, ALL))
    if view is None:
        raise HTTPException(404, NO_BATCH)
    return view


@page(router, RECORD_PAGE, permission=QUARANTINE, template="loads_record.html",
      title="Record history",
      summary="Every version of a record as the deliveries brought it (which delivery, when, which "
              "is current, what changed) and its rows held back; without `key`, the look-up form "
              "(a look-up needs a reason for access; every one is audited)")
def record_history(
    request: Request, db: DbSession, user: Steward,
    extract: Annotated[str, Query(max_length=100, pattern=PRINTABLE,
                                  description="The extract, as the contract names it")] = "",
    # checked by the service (KEY_MAX, printable), which says so on the form's field
    key: Annotated[str | None, Query(max_length=2000, description=(
        "The first column of the extract's key (a crime's victims: its crime_id)"))] = None,
    purpose: reasons.PurposeCode = "", purpose_detail: reasons.PurposeDetail = "",
) -> RecordHistoryView:
    view = record_history_view(request.app.state.warehouse, db, user, extract.strip(), key,
                               purpose=reasons.stated(KIND, purpose, purpose_detail),
                               stated_in=reasons.held(request, KIND, ALL))
    if view.errors and request.url.path.startswith("/api"):
        # the page shows the form with the errors on its fields; a program is told it failed
        raise HTTPException(422, "; ".join(view.errors.values()))
    return view


@router.get(DOWNLOAD, dependencies=[Depends(Permit(QUARANTINE))], include_in_schema=False)
def quarantine_download(request: Request, db: DbSession, user: Steward, batch: BatchId,
                        purpose: reasons.PurposeCode = "",
                        purpose_detail: reasons.PurposeDetail = "") -> Response:
    """The batch's quarantined rows as CSV for the data owner (audited as a download)."""
    found = quarantine_csv(request.app.state.warehouse, db, user, batch,
                           purpose=reasons.stated(KIND, purpose, purpose_detail),
                           stated_in=reasons.held(request, KIND, ALL))
    if found is None:
        raise HTTPException(404, NO_BATCH)
    held, text = found
    name = _SAFE_NAME.sub("-", f"quarantine-{held.delivery}-{held.source}") + ".csv"
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get(REASON_PAGE, dependencies=[Depends(Permit(QUARANTINE))], include_in_schema=False)
def quarantine_reason_form(request: Request, user: Steward,
                           next_page: Annotated[str, Query(alias="next", max_length=500)] = "") -> Response:
    return _reason_page(request, next_page)


@router.post(REASON_PAGE, dependencies=[Depends(Permit(QUARANTINE))], include_in_schema=False)
async def quarantine_reason(request: Request, db: DbSession, user: Steward) -> Response:
    """Record why the steward is viewing quarantined rows, then show the page they asked for."""
    code, detail, next_page = await reasons.reason_form(request)
    try:
        given = reasons.chosen(KIND, code, detail)
    except PurposeInvalid as exc:
        return _reason_page(request, next_page, {"purpose": code, "purpose_detail": detail}, exc.errors, 422)
    reasons.keep(request, KIND, ALL, await run_in_threadpool(state_purpose, db, user, given))
    return RedirectResponse(_next(next_page), status_code=303)


def _next(next_page: str) -> str:
    """The quarantine page (or download) or record history asked for; without one, the loads
    page to choose a batch."""
    if next_page.startswith(RECORD_PAGE):
        return reasons.safe_next(next_page, RECORD_PAGE)
    target = reasons.safe_next(next_page, QUARANTINE_PAGE)
    if target == QUARANTINE_PAGE:
        return "/loads#open"
    # a fragment never reaches the server, so the withdrawn count's link names its section in
    # the query too, and the page opens there once the reason is given
    return target + "#withdrawn" if "section=withdrawn" in target else target


def _reason_page(request: Request, next_page: str, values: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    target = _next(next_page)
    if target.startswith(RECORD_PAGE):
        # one reason serves both (the steward's data-quality work), but the page says which
        back, heading = RECORD_PAGE, "Why are you looking up this record?"
    else:
        back, heading = "/loads#open", "Why are you viewing these rows?"
    return reasons.reason_page(
        request, kind=KIND, action=REASON_PAGE, back=back, caption="Data loads", heading=heading,
        intro="The quarantine and record history pages show rows as the partner sent them: names, "
              "dates of birth and ids. A reason given here holds for both.",
        next_page=target, values=values, errors=errors, status_code=status_code)
