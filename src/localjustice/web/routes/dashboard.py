"""The MoU outcomes dashboard, a methodology page per measure, each chart's Vega-Lite spec and
CSV, and the whole publication as a spreadsheet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException

from localjustice.web.authorise import Permit
from localjustice.web.rendering import page
from localjustice.web.services.dashboard import (
    Chart,
    DashboardView,
    Filters,
    MethodologyView,
    cached_dashboard_view,
    chart_csv,
    chart_spec,
    dashboard_view,
    find_measure,
    methodology_view,
)

router = APIRouter()
FilterText = Annotated[str, Query(max_length=100)]
MeasureId = Annotated[str, Path(max_length=100)]
ChartName = Annotated[Chart, Query()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(period: str, borough: str, cohort: str) -> Filters:
    return Filters(period=period.strip(), borough=borough.strip(), cohort=cohort.strip())


def _dashboard_at_hand(request: Request, period: str = "", borough: str = "",
                      cohort: str = "") -> DashboardView | None:
    return cached_dashboard_view(request.app.state.dashboard, _filters(period, borough, cohort))


@page(router, "/dashboard", permission="dashboard:view", template="dashboard.html",
      title="MoU outcomes dashboard",
      summary="Headlines against the MoU's baselines, then each measure's trend, borough comparison "
              "and tile map, filtered by period, borough, cohort",
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
            summary="A measure's chart (trend, comparison or tiles) as a Vega-Lite specification")
def chart(request: Request, measure_id: MeasureId, period: FilterText = "", borough: FilterText = "",
          cohort: FilterText = "", chart: ChartName = "trend") -> dict[str, Any]:
    measure = find_measure(request.app.state.dashboard, measure_id)
    if measure is None:
        raise HTTPException(404, "No published measure with that id.")
    return chart_spec(request.app.state.dashboard, measure, _filters(period, borough, cohort), chart)


@router.get("/dashboard/publication.xlsx", dependencies=[Depends(Permit("dashboard:view"))],
            summary="The whole publication (every figure the dashboard shows) as a spreadsheet",
            response_class=FileResponse)
def publication(request: Request) -> FileResponse:
    path = request.app.state.dashboard.spreadsheet()
    if path is None:
        raise HTTPException(404, "No spreadsheet has been published yet.")
    return FileResponse(path, media_type=XLSX, filename="local-justice-outcomes.xlsx")


@router.get("/dashboard/{measure_id}/{chart}.csv", dependencies=[Depends(Permit("dashboard:view"))],
            summary="A chart's data as CSV, disclosure-controlled as published, for the same filters",
            response_class=Response)
def chart_data(request: Request, measure_id: MeasureId, chart: Annotated[Chart, Path()],
               period: FilterText = "", borough: FilterText = "", cohort: FilterText = "") -> Response:
    measure = find_measure(request.app.state.dashboard, measure_id)
    if measure is None:
        raise HTTPException(404, "No published measure with that id.")
    body = chart_csv(request.app.state.dashboard, measure, _filters(period, borough, cohort), chart)
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{measure.id}-{chart}.csv"'})
