"""The MoU outcomes dashboard, a methodology page per measure, and each chart's Vega-Lite spec."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.exceptions import HTTPException

from localjustice.web.authorise import Permit
from localjustice.web.rendering import page
from localjustice.web.services.dashboard import (
    DashboardView,
    Filters,
    MethodologyView,
    cached_dashboard_view,
    chart_spec,
    dashboard_view,
    find_measure,
    methodology_view,
)

router = APIRouter()
FilterText = Annotated[str, Query(max_length=100)]
MeasureId = Annotated[str, Query(max_length=100)]


def _filters(period: str, borough: str, cohort: str) -> Filters:
    return Filters(period=period.strip(), borough=borough.strip(), cohort=cohort.strip())


def _dashboard_at_hand(request: Request, period: str = "", borough: str = "",
                      cohort: str = "") -> DashboardView | None:
    return cached_dashboard_view(request.app.state.dashboard, _filters(period, borough, cohort))


@page(router, "/dashboard", permission="dashboard:view", template="dashboard.html",
      title="MoU outcomes dashboard",
      summary="Every published measure as a table and chart summary, filtered by period, borough, cohort",
      at_hand=_dashboard_at_hand)
def dashboard(request: Request, period: FilterText = "", borough: FilterText = "",
              cohort: FilterText = "") -> DashboardView:
    return dashboard_view(request.app.state.dashboard, _filters(period, borough, cohort))


@page(router, "/dashboard/{measure_id}/methodology", permission="dashboard:view",
      template="methodology.html", title="Methodology", summary="How a measure is defined and computed")
def methodology(request: Request, measure_id: str) -> MethodologyView:
    measure = find_measure(request.app.state.dashboard, measure_id)
    if measure is None:
        raise HTTPException(404)
    return methodology_view(measure)


@router.get("/api/dashboard/{measure_id}/chart", dependencies=[Depends(Permit("dashboard:view"))],
            summary="A measure's chart as a Vega-Lite specification, for the same filters")
def chart(request: Request, measure_id: str, period: FilterText = "", borough: FilterText = "",
          cohort: FilterText = "") -> dict[str, Any]:
    measure = find_measure(request.app.state.dashboard, measure_id)
    if measure is None:
        raise HTTPException(404, "No published measure with that id.")
    return chart_spec(request.app.state.dashboard, measure, _filters(period, borough, cohort))
