"""Data loads: batches, row conservation, quarantine reasons with counts."""

from __future__ import annotations

from fastapi import APIRouter, Request

from localjustice.web.rendering import page
from localjustice.web.services.loads import LoadsView, loads_view

router = APIRouter()


@page(router, "/loads", permission="loads:view", template="loads.html", title="Data loads",
      summary="Loaded batches with row conservation, and quarantine reasons with counts")
def loads(request: Request) -> LoadsView:
    return loads_view(request.app.state.warehouse)
