"""Published programme evaluations, for analysts and the board: disclosure-controlled reports
written by ``localjustice evaluate`` (``evaluate.report.publish_report``), never computed on a
page view (an evaluation against a pool of hundreds of thousands takes seconds), and never a
participant's name or id: the reports hold counts, rates and balance only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from localjustice.evaluate.programmes import load_programmes
from localjustice.evaluate.report import PUBLISHED_FOLDER, love_plot_spec


class EvaluationSummary(BaseModel):
    code: str
    name: str
    commissioner: str
    published: bool
    headline: str | None
    refusal: str | None
    balanced: bool | None
    period: str | None


class EvaluationsView(BaseModel):
    evaluations: list[EvaluationSummary]


class EvaluationView(BaseModel):
    code: str
    report: dict[str, Any]
    love_plot: dict[str, Any] | None


def _read(published_dir: Path, code: str) -> dict[str, Any] | None:
    path = published_dir / PUBLISHED_FOLDER / f"{code}.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def evaluations_view(published_dir: Path) -> EvaluationsView:
    """Every programme the deployment knows, with its published result where there is one."""
    rows = []
    for code, programme in load_programmes().items():
        data = _read(published_dir, code)
        rows.append(EvaluationSummary(
            code=code, name=programme.name, commissioner=programme.commissioner,
            published=data is not None, headline=data.get("headline") if data else None,
            refusal=data.get("refusal") if data else None,
            balanced=data.get("balanced") if data else None,
            period=(f"{data['period']['from']} to {data['period']['to']}" if data else None)))
    return EvaluationsView(evaluations=rows)


def evaluation_view(published_dir: Path, code: str) -> EvaluationView | None:
    if code not in load_programmes():
        return None
    data = _read(published_dir, code)
    if data is None:
        return None
    return EvaluationView(code=code, report=data,
                          love_plot=love_plot_spec(data) if data.get("balance") else None)
