"""Financial devolution for the board: custody budgets by cohort, deal statements and scenarios,
with a JSON twin and the scenario chart's Vega-Lite specification. Reads the feed written by
``localjustice finance publish`` (and the demo); computes nothing on a page view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from localjustice.finance.publish import read_finance, scenario_chart_spec
from localjustice.web.authorise import Permit
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page

router = APIRouter()
PERMISSION = "finance:view"


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
