"""Programme evaluations (Justice Data Lab style): the list and one report, with JSON twins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from localjustice.web.authorise import Permit
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.rendering import page
from localjustice.web.services.evaluations import (
    EvaluationsView,
    EvaluationView,
    evaluation_view,
    evaluations_view,
)

router = APIRouter()
PERMISSION = "evaluations:view"
Code = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")]


@page(router, "/evaluations", permission=PERMISSION, template="evaluations.html",
      title="Programme evaluations",
      summary="Every programme with its published impact evaluation: headline, balance, period")
def evaluations(request: Request) -> EvaluationsView:
    return evaluations_view(request.app.state.settings.published_dir)


@page(router, "/evaluations/{code}", permission=PERMISSION, template="evaluation.html",
      title="Programme evaluation",
      summary="One programme's published evaluation: who was analysed, the standard statements, "
              "estimates with intervals, balance before and after matching, and the method")
def evaluation(request: Request, code: Code) -> EvaluationView:
    view = evaluation_view(request.app.state.settings.published_dir, code)
    if view is None:
        raise HTTPException(404, "No published evaluation for that programme. Run "
                                 "`localjustice evaluate CODE` to publish one.")
    return view



@router.get("/api/evaluations/{code}/love-plot", dependencies=[Depends(Permit(PERMISSION))],
            summary="A published evaluation's balance (love plot) as a Vega-Lite specification")
def love_plot(request: Request, code: Code) -> dict[str, Any]:
    view = evaluation_view(request.app.state.settings.published_dir, code)
    if view is None or view.love_plot is None:
        raise HTTPException(404, "No published balance for that programme.")
    return view.love_plot


extension = WebExtension(name="evaluations", router=router,
                         nav=(NavItem("Evaluations", "/evaluations", PERMISSION),))
