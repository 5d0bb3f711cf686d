"""Data loads: batches, row conservation, quarantine reasons with counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from localjustice.web.deps import PRINTABLE
from localjustice.web.rendering import page
from localjustice.web.services.loads import LoadsView, loads_view

router = APIRouter()


@page(router, "/loads", permission="loads:view", template="loads.html", title="Data loads",
      summary="Loaded batches with row conservation and what each changed, quarantine reasons "
              "with counts, and the quarantined rows still waiting for a correction (by partner)")
def loads(
    request: Request,
    partner: Annotated[str, Query(max_length=100, pattern=PRINTABLE)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> LoadsView:
    return loads_view(request.app.state.warehouse, partner=partner.strip(), page=page)
