"""Financial devolution for the board: custody budgets by cohort, deal statements and scenarios,
with a JSON twin and the scenario chart's Vega-Lite specification. Reads the feed written by
``localjustice finance publish`` (and the demo); computes nothing on a page view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from localjustice.finance.publish import read_finance
from localjustice.web.authorise import Permit
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page

router = APIRouter()
PERMISSION = "finance:view"
#: GOV.UK Design System colours: blue for the saving, black for its interval.
FIGURE_COLOUR, INTERVAL_COLOUR = "#1d70b8", "#0b0c0c"


class FinanceView(BaseModel):
    published: bool
    finance: dict[str, Any] | None


def finance_view(request: Request) -> FinanceView:
    data = read_finance(request.app.state.settings.published_dir)
    return FinanceView(published=data is not None, finance=data)


@page(router, "/finance", permission=PERMISSION, template="finance.html",
      title="Financial devolution",
      summary="Custody budgets by cohort if devolved, reinvestment deal statements and custody "
              "scenarios against the baseline projection, with intervals")
def finance(request: Request) -> FinanceView:
    return finance_view(request)


def scenario_chart_spec(data: dict[str, Any]) -> dict[str, Any]:
    """Each scenario's saving with its 95% interval, as a Vega-Lite bar and rule chart."""
    rows = [{"scenario": s["name"], "saving": s["cost"]["saving"]["mean"],
             "low": s["cost"]["saving"]["low"], "high": s["cost"]["saving"]["high"]}
            for s in data.get("scenarios", []) if "cost" in s]
    axis = {"title": f"Saving over the projection (£, {data.get('price_year')} prices)"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Saving of each custody scenario against the baseline projection, with "
                       "its 95% interval.",
        "data": {"values": rows}, "width": "container", "height": {"step": 40},
        "layer": [
            {"mark": {"type": "bar", "color": FIGURE_COLOUR},
             "encoding": {"y": {"field": "scenario", "type": "nominal", "title": None,
                                "axis": {"labelLimit": 320}},
                          "x": {"field": "saving", "type": "quantitative", **axis}}},
            {"mark": {"type": "rule", "color": INTERVAL_COLOUR, "strokeWidth": 2},
             "encoding": {"y": {"field": "scenario", "type": "nominal"},
                          "x": {"field": "low", "type": "quantitative"},
                          "x2": {"field": "high"}}},
        ],
    }


@router.get("/api/finance/scenario-chart", dependencies=[Depends(Permit(PERMISSION))],
            summary="The scenario comparison chart as a Vega-Lite specification")
def scenario_chart(request: Request) -> dict[str, Any]:
    data = read_finance(request.app.state.settings.published_dir)
    if data is None:
        raise HTTPException(404, "Finance has not been published: run `localjustice finance "
                                 "publish`.")
    return scenario_chart_spec(data)


extension = WebExtension(name="finance", router=router,
                         nav=(NavItem("Finance", "/finance", PERMISSION),))
