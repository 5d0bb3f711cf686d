"""The MoU outcomes dashboard: published measures filtered by period, borough and cohort.

Shapes what a ``DashboardSource`` returns into tables, a sentence summarising each chart, and a
Vega-Lite spec per chart (rendered by ``static/js/charts.js``; the table beside it holds the same
figures, so the page works and reads the same without the chart).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache
from typing import Any

from pydantic import BaseModel

from localjustice.area import load_area
from localjustice.publish.dashboard_feed import WHOLE_AREA
from localjustice.web.dashboard import DashboardSource, Measure, Methodology, Observation, Published

WAITING = ("No measures have been published yet. The dashboard shows the official measures once "
           "the measures are computed and published (`localjustice measures`, then "
           "`localjustice report`).")
UNIT_LABELS = {"percent": "%", "count": "count", "rate": "rate", "ratio": "ratio"}


ALL_PERIODS = "all"
#: Dashboard views kept per published file and filter set (the same for every user).
VIEW_CACHE_SIZE = 256


class Filters(BaseModel):
    """Empty ``period`` means the latest published period; ``all`` means every period."""

    period: str = ""
    borough: str = ""
    cohort: str = ""

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.model_dump().items() if v})


class Option(BaseModel):
    value: str
    text: str


class Row(BaseModel):
    period: str
    borough: str
    borough_name: str
    cohort: str
    value: float | None
    display: str
    suppressed: bool


class MeasurePanel(BaseModel):
    id: str
    title: str
    description: str
    unit: str
    summary: str
    chart_url: str
    rows: list[Row]
    #: for each period shown whose figures are provisional, why (e.g. follow-up runs past the data)
    provisional: list[str] = []


class DashboardView(BaseModel):
    published: bool
    message: str
    published_at: str | None
    filters: Filters
    periods: list[Option]
    boroughs: list[Option]
    cohorts: list[Option]
    measures: list[MeasurePanel]


class MethodologyView(BaseModel):
    id: str
    title: str
    description: str
    methodology: Methodology


@cache
def _borough_names() -> dict[str, str]:
    area = load_area("london")
    return {WHOLE_AREA: f"{area.name} (all boroughs)"} | {
        la.code: la.name for la in area.local_authorities}


def borough_name(code: str) -> str:
    return _borough_names().get(code, code)


def _display(observation: Observation, unit: str) -> str:
    if observation.suppressed or observation.value is None:
        return "[c] suppressed"
    if unit == "percent":
        return f"{observation.value:.1f}%"
    if unit == "count":
        return f"{observation.value:,.0f}"
    return f"{observation.value:,.2f}"


def _selected(measure: Measure, filters: Filters) -> list[Observation]:
    return [o for o in measure.observations
            if (filters.period == ALL_PERIODS or o.period == filters.period)
            and (not filters.borough or o.borough == filters.borough)
            and (not filters.cohort or o.cohort == filters.cohort)]


def _summary(measure: Measure, rows: list[Row]) -> str:
    shown = [r for r in rows if r.value is not None]
    suppressed = len(rows) - len(shown)
    if not rows:
        return f"{measure.title}: no figures for this selection."
    if not shown:
        return f"{measure.title}: every figure for this selection is suppressed for disclosure control."
    high = max(shown, key=lambda r: r.value or 0.0)
    low = min(shown, key=lambda r: r.value or 0.0)
    text = (f"{measure.title}: {len(shown)} figure{'s' if len(shown) != 1 else ''} shown, highest "
            f"{high.display} ({high.borough_name}, {high.period}, {high.cohort}), lowest {low.display} "
            f"({low.borough_name}, {low.period}, {low.cohort}).")
    if suppressed:
        text += f" {suppressed} suppressed for disclosure control."
    return text


def _panel(measure: Measure, filters: Filters) -> MeasurePanel:
    rows = [Row(period=o.period, borough=o.borough, borough_name=borough_name(o.borough), cohort=o.cohort,
                value=None if o.suppressed else o.value, display=_display(o, measure.unit),
                suppressed=o.suppressed or o.value is None)
            for o in _selected(measure, filters)]
    query = filters.query()
    shown = {r.period for r in rows}
    provisional = [f"{period}: {measure.provisional[period].removeprefix('Provisional: ')}"
                   for period in sorted(shown & measure.provisional.keys())]
    return MeasurePanel(id=measure.id, title=measure.title, description=measure.description,
                        unit=measure.unit, summary=_summary(measure, rows), rows=rows,
                        provisional=provisional,
                        chart_url=f"/api/dashboard/{measure.id}/chart" + (f"?{query}" if query else ""))


def _options(values: set[str], label: Any = str) -> list[Option]:
    ordered = sorted(values, key=label)
    return [Option(value="", text="All"), *(Option(value=v, text=label(v)) for v in ordered)]


def _periods(published: Published) -> list[str]:
    return sorted({o.period for m in published.measures for o in m.observations})


def resolved(published: Published, filters: Filters) -> Filters:
    """The filters with the default period made explicit: the latest published."""
    if filters.period:
        return filters
    periods = _periods(published)
    return filters.model_copy(update={"period": periods[-1] if periods else ALL_PERIODS})


_views: OrderedDict[tuple[int, tuple[str, str, str]], tuple[Published, DashboardView]] = OrderedDict()
_views_lock = threading.Lock()


def dashboard_view(source: DashboardSource, filters: Filters) -> DashboardView:
    published = source.load()
    if published is None:
        return DashboardView(published=False, message=WAITING, published_at=None, filters=filters,
                             periods=[], boroughs=[], cohorts=[], measures=[])
    key = (id(published), (filters.period, filters.borough, filters.cohort))
    with _views_lock:
        hit = _views.get(key)
        if hit is not None and hit[0] is published:
            _views.move_to_end(key)
            return hit[1]
    view = _build_view(published, resolved(published, filters))
    with _views_lock:
        _views[key] = (published, view)
        while len(_views) > VIEW_CACHE_SIZE:
            _views.popitem(last=False)
    return view


def cached_dashboard_view(source: DashboardSource, filters: Filters) -> DashboardView | None:
    """The view ``dashboard_view`` would return, if it is already built for the measures in
    memory; ``None`` otherwise. Reads nothing and computes nothing, so it never blocks."""
    published = source.loaded()
    if published is None:
        return None
    key = (id(published), (filters.period, filters.borough, filters.cohort))
    with _views_lock:
        hit = _views.get(key)
        if hit is None or hit[0] is not published:
            return None
        _views.move_to_end(key)
        return hit[1]


def _build_view(published: Published, filters: Filters) -> DashboardView:
    observations = [o for m in published.measures for o in m.observations]
    return DashboardView(
        published=True, message="", published_at=published.published_at, filters=filters,
        periods=[Option(value=ALL_PERIODS, text="All periods")]
        + [Option(value=p, text=p) for p in reversed(_periods(published))],
        boroughs=_options({o.borough for o in observations}, borough_name),
        cohorts=_options({o.cohort for o in observations}),
        measures=[_panel(m, filters) for m in published.measures],
    )


def find_measure(source: DashboardSource, measure_id: str) -> Measure | None:
    published = source.load()
    if published is None:
        return None
    return next((m for m in published.measures if m.id == measure_id), None)


def methodology_view(measure: Measure) -> MethodologyView:
    return MethodologyView(id=measure.id, title=measure.title, description=measure.description,
                           methodology=measure.methodology)


def chart_spec(source: DashboardSource, measure: Measure, filters: Filters) -> dict[str, Any]:
    """A Vega-Lite spec with one mark per figure shown; suppressed cells left out.

    A rate (or a count) of one period and group is never added to another's: Vega-Lite stacks
    bars that share a position by default, which showed every quarter of ``period=all`` piled
    into one bar (four quarterly rates summed to a meaningless 77%). So stacking is off, nothing
    is aggregated, and every figure has a position of its own:

    - several periods, one borough: a line over the periods, one per cohort;
    - several periods and boroughs: a bar per period, side by side, for each borough (and cohort);
    - one period: a bar per borough, side by side per cohort.

    Boroughs are ordered by their highest figure, computed here, so the chart sorts by no sum.
    """
    published = source.load()
    panel = _panel(measure, resolved(published, filters) if published else filters)
    shown = [r for r in panel.rows if r.value is not None]
    several_cohorts = len({r.cohort for r in shown}) > 1
    values = [{"period": r.period, "borough": r.borough_name, "cohort": r.cohort, "value": r.value,
               "group": f"{r.borough_name}: {r.cohort}" if several_cohorts else r.borough_name}
              for r in shown]
    periods = sorted({r.period for r in shown})
    over_time = len(periods) > 1
    one_place = len({r.borough for r in shown}) <= 1
    unit = UNIT_LABELS[measure.unit]
    y = {"field": "value", "type": "quantitative", "title": f"{measure.title} ({unit})", "stack": None}
    if over_time and one_place:
        mark: dict[str, Any] = {"type": "line", "point": True}
        encoding: dict[str, Any] = {
            "x": {"field": "period", "type": "ordinal", "title": "Period", "sort": periods},
            "y": y, "color": {"field": "cohort", "type": "nominal", "title": "Cohort"}}
    elif over_time:
        mark = {"type": "bar"}
        encoding = {
            "x": {"field": "group", "type": "nominal",
                  "title": "Borough and cohort" if several_cohorts else "Borough",
                  "sort": _by_highest(values, "group")},
            "xOffset": {"field": "period", "type": "ordinal", "sort": periods},
            "y": y, "color": {"field": "period", "type": "ordinal", "title": "Period", "sort": periods}}
    else:
        mark = {"type": "bar"}
        encoding = {
            "x": {"field": "borough", "type": "nominal", "title": "Borough",
                  "sort": _by_highest(values, "borough")},
            "xOffset": {"field": "cohort", "type": "nominal"},
            "y": y, "color": {"field": "cohort", "type": "nominal", "title": "Cohort"}}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": panel.summary,
        "data": {"values": values},
        "mark": mark,
        "encoding": encoding,
        "width": "container",
        "height": 280,
    }


def _by_highest(values: list[dict[str, Any]], field: str) -> list[str]:
    """Each ``field`` value once, highest figure first: an order, not a total."""
    return list(dict.fromkeys(v[field] for v in sorted(values, key=lambda v: -float(v["value"]))))
