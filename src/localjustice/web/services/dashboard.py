"""The MoU outcomes dashboard: headlines first, then per measure a trend, a borough (or group)
comparison and a tile map, each with its table, text summary and CSV download.

Shapes what a ``DashboardSource`` returns; computes no statistic (the intervals, headlines and
their verdicts are published with the figures by ``localjustice.publish``). Vega-Lite specs are
rendered by ``static/js/charts.js``; the table beside each chart holds the same figures, so the
page reads the same without the chart.

- *Trend*: one series over the periods published (London, or the borough asked for; all ages,
  or the cohort asked for). Final periods are solid; provisional ones (whose follow-up runs past
  the data) are hollow points on a dashed line and labelled "provisional" on the axis and in the
  table, so the difference is never colour alone.
- *Comparison*: one period (the measure's latest final one unless another is asked for), the
  boroughs ranked with their intervals and the London figure as a reference line; for the
  Relative Rate Index, the ethnic groups against 1 (parity with the White group).
- *Tile map*: one square per borough at its place on the area's grid (``tile_map.csv``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel

from localjustice.area import load_area
from localjustice.publish.dashboard_feed import ALL_COHORTS, WHOLE_AREA
from localjustice.publish.downloads import as_csv, observation_row
from localjustice.publish.headlines import format_value
from localjustice.web.dashboard import (
    DashboardSource,
    Headline,
    Measure,
    Methodology,
    Observation,
    Published,
)

WAITING = ("No measures have been published yet. The dashboard shows the official measures once "
           "they are computed and published (`localjustice publish`, which `localjustice demo` runs).")
UNIT_LABELS = {"percent": "%", "count": "count", "rate": "per order", "ratio": "RRI"}
ALL_PERIODS = "all"
CHARTS = ("trend", "comparison", "tiles")
Chart = Literal["trend", "comparison", "tiles"]
#: Dashboard views kept per published file and filter set (the same for every user).
VIEW_CACHE_SIZE = 256
#: GOV.UK Design System colours: blue for figures, dark grey for the reference line.
FIGURE_COLOUR, REFERENCE_COLOUR, WITHHELD_COLOUR = "#1d70b8", "#0b0c0c", "#f3f2f1"
VERDICT_TAGS = {"Better": "govuk-tag--green", "Worse": "govuk-tag--red",
                "No clear change": "govuk-tag--grey"}


class Filters(BaseModel):
    """Empty ``period``: each measure's latest final period; empty ``borough``: London as a
    whole; empty ``cohort``: all ages (or, for the RRI, the group its headline follows)."""

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
    """One published figure as a table row: the observation and how the page prints it."""

    period: str
    status: str
    place: str
    place_code: str
    cohort: str
    value: float | None
    display: str
    interval: str
    count: str
    base: str
    observation: Observation
    rank: int | None = None
    #: tile map square (column, row), for borough comparisons
    column: int | None = None
    grid_row: int | None = None
    short_name: str = ""


class HeadlineView(BaseModel):
    headline: Headline
    figure: str
    interval: str
    count: str
    baseline: str
    tag_class: str


class ChartPanel(BaseModel):
    chart: str
    title: str
    summary: str
    chart_url: str
    csv_url: str
    rows: list[Row]


class MeasurePanel(BaseModel):
    id: str
    title: str
    description: str
    unit: str
    series_label: str
    trend: ChartPanel
    comparison: ChartPanel | None
    tiles: ChartPanel | None
    comparison_kind: str
    comparison_period: str
    reference: Row | None
    #: for each period shown whose figures are provisional, why (e.g. follow-up runs past the data)
    provisional: list[str] = []
    notes: list[str] = []


class DashboardView(BaseModel):
    published: bool
    message: str
    published_at: str | None
    filters: Filters
    periods: list[Option]
    boroughs: list[Option]
    cohorts: list[Option]
    headlines: list[HeadlineView] = []
    spreadsheet_url: str | None = None
    measures: list[MeasurePanel]


class MethodologyView(BaseModel):
    id: str
    title: str
    description: str
    methodology: Methodology


@cache
def _borough_names() -> dict[str, str]:
    area = load_area("london")
    return {WHOLE_AREA: area.name} | {la.code: la.name for la in area.local_authorities}


@cache
def _tiles() -> dict[str, tuple[int, int, str]]:
    return {t.code: (t.column, t.row, t.short_name) for t in load_area("london").tiles}


def borough_name(code: str) -> str:
    return _borough_names().get(code, code)


def _withheld(o: Observation) -> bool:
    return o.suppressed or o.value is None


def _marker(o: Observation) -> str:
    return o.marker or "[c]"


def _display(o: Observation, unit: str) -> str:
    if _withheld(o):
        return f"{_marker(o)} {'suppressed' if _marker(o) == '[c]' else 'base under 30'}"
    return format_value(float(o.value or 0.0), unit)


def _interval(o: Observation, unit: str) -> str:
    if _withheld(o) or o.low is None or o.high is None:
        return ""
    return f"{format_value(o.low, unit)} to {format_value(o.high, unit)}"


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _status(measure: Measure, period: str) -> str:
    return "Provisional" if period in measure.provisional else "Final"


def _row(measure: Measure, o: Observation, place: str | None = None) -> Row:
    labels = measure.cohort_labels
    tile = _tiles().get(o.borough)
    return Row(period=o.period, status=_status(measure, o.period),
               place=place or borough_name(o.borough), place_code=o.borough,
               cohort=labels.get(o.cohort, o.cohort), value=None if _withheld(o) else o.value,
               display=_display(o, measure.unit), interval=_interval(o, measure.unit),
               count="" if _withheld(o) else _count(o.numerator), base=_count(o.denominator),
               observation=o, column=tile[0] if tile else None, grid_row=tile[1] if tile else None,
               short_name=tile[2] if tile else "")


def _periods(published: Published) -> list[str]:
    return sorted({o.period for m in published.measures for o in m.observations})


def final_periods(measure: Measure) -> list[str]:
    return sorted({o.period for o in measure.observations} - set(measure.provisional))


def is_group_measure(measure: Measure) -> bool:
    """A measure whose rows are groups (the RRI by ethnic group), not cohorts of ages."""
    return measure.unit == "ratio"


def _series_cohort(published: Published, measure: Measure, filters: Filters) -> str:
    cohorts = {o.cohort for o in measure.observations}
    if filters.cohort in cohorts:
        return filters.cohort
    if ALL_COHORTS in cohorts:
        return ALL_COHORTS
    followed = next((h.cohort for h in published.headlines if h.measure == measure.id), None)
    return followed if followed in cohorts else (sorted(cohorts)[0] if cohorts else ALL_COHORTS)


def comparison_period(measure: Measure, filters: Filters) -> str:
    """The period asked for, else the measure's latest final one (else its latest)."""
    periods = sorted({o.period for o in measure.observations})
    if filters.period and filters.period != ALL_PERIODS and filters.period in periods:
        return filters.period
    final = final_periods(measure)
    return final[-1] if final else (periods[-1] if periods else "")


def _url(base: str, filters: Filters, **extra: str) -> str:
    from urllib.parse import urlencode

    query = urlencode({**{k: v for k, v in filters.model_dump().items() if v}, **extra})
    return base + (f"?{query}" if query else "")


def _trend_summary(measure: Measure, label: str, rows: list[Row]) -> str:
    shown = [r for r in rows if r.value is not None]
    if not shown:
        return f"{label}: no figures can be shown for this selection (all withheld or none published)."
    final = [r for r in shown if r.status == "Final"]
    parts = []
    if final:
        last, first = final[-1], final[0]
        parts.append(f"{label}: {last.display} in {last.period}, the latest final period"
                     + (f" (95% interval {last.interval})" if last.interval else "")
                     + (f", against {first.display} in {first.period}." if first is not last else "."))
    else:
        parts.append(f"{label}: no final period yet.")
    provisional = [r for r in rows if r.status == "Provisional"]
    if provisional:
        parts.append(f"{len(provisional)} provisional period{'s' if len(provisional) != 1 else ''} "
                     f"({provisional[0].period} to {provisional[-1].period}) will still change.")
    withheld = len(rows) - len(shown)
    if withheld:
        parts.append(f"{withheld} period{'s' if withheld != 1 else ''} withheld for disclosure control.")
    return " ".join(parts)


def _comparison_summary(measure: Measure, period: str, rows: list[Row], reference: Row | None,
                        kind: str) -> str:
    shown = [r for r in rows if r.value is not None]
    things = "boroughs" if kind == "borough" else "groups"
    if not shown:
        return f"{measure.title}, {period}: every {things[:-1]}'s figure is withheld for disclosure control."
    high, low = shown[0], shown[-1]
    text = (f"{measure.title}, {period}, {len(shown)} {things} ranked: highest {high.place} "
            f"({high.display}), lowest {low.place} ({low.display}).")
    ref_value = reference.value if reference is not None else (1.0 if kind == "group" else None)
    if ref_value is not None:
        above = [r for r in shown if r.observation.low is not None and r.observation.low > ref_value]
        below = [r for r in shown if r.observation.high is not None and r.observation.high < ref_value]
        what = (f"London's {reference.display}" if reference is not None and kind == "borough"
                else "1 (the White group's rate)")
        text += (f" Against {what}: {len(above)} wholly above at 95% confidence"
                 + (f" ({', '.join(r.place for r in above)})" if above else "")
                 + f", {len(below)} wholly below"
                 + (f" ({', '.join(r.place for r in below)})" if below else "")
                 + ".")
    withheld = [r.place for r in rows if r.value is None]
    if withheld:
        text += f" Withheld for disclosure control: {', '.join(withheld)}."
    return text


def _panel(published: Published, measure: Measure, filters: Filters) -> MeasurePanel:
    boroughs = {o.borough for o in measure.observations} - {WHOLE_AREA}
    notes: list[str] = []
    place = filters.borough if filters.borough in boroughs else WHOLE_AREA
    if filters.borough and place == WHOLE_AREA and filters.borough != WHOLE_AREA:
        notes.append(f"{measure.title} is not published by borough; the trend shows "
                     f"{borough_name(WHOLE_AREA)} as a whole.")
    cohort = _series_cohort(published, measure, filters)
    if filters.cohort and cohort != filters.cohort:
        notes.append(f"{measure.title} is not published for that cohort; the trend shows "
                     f"{measure.cohort_labels.get(cohort, cohort)}.")
    series = sorted((o for o in measure.observations if o.borough == place and o.cohort == cohort),
                    key=lambda o: o.period)
    if not series and place != WHOLE_AREA and cohort != ALL_COHORTS:
        # boroughs are published for all ages only: a borough by cohort could undo suppression
        notes.append(f"{measure.title} is not published by borough and cohort together; the "
                     f"trend shows {borough_name(place)} for all ages.")
        cohort = ALL_COHORTS
        series = sorted((o for o in measure.observations if o.borough == place and o.cohort == cohort),
                        key=lambda o: o.period)
    if filters.period and filters.period != ALL_PERIODS:
        series = [o for o in series if o.period <= filters.period]
    label = f"{borough_name(place)}, {measure.cohort_labels.get(cohort, cohort)}"
    trend_rows = [_row(measure, o) for o in series]
    base = f"/api/dashboard/{measure.id}/chart"
    csv_base = f"/dashboard/{measure.id}"
    trend = ChartPanel(chart="trend", title=f"{measure.title}: trend, {label}",
                       summary=_trend_summary(measure, label, trend_rows),
                       chart_url=_url(base, filters, chart="trend"),
                       csv_url=_url(f"{csv_base}/trend.csv", filters), rows=trend_rows)
    period = comparison_period(measure, filters)
    kind = "group" if is_group_measure(measure) else "borough"
    if kind == "group":
        chosen = [o for o in measure.observations if o.period == period and o.borough == WHOLE_AREA]
        reference = None
    else:
        chosen = [o for o in measure.observations if o.period == period and o.borough in boroughs
                  and o.cohort == ALL_COHORTS]
        ref = next((o for o in measure.observations if o.period == period
                    and o.borough == WHOLE_AREA and o.cohort == ALL_COHORTS), None)
        reference = _row(measure, ref) if ref is not None else None
    rows = [_row(measure, o, place=measure.cohort_labels.get(o.cohort, o.cohort) if kind == "group"
                 else None) for o in chosen]
    rows.sort(key=lambda r: (r.value is None, -(r.value or 0.0), r.place))
    for rank, r in enumerate((r for r in rows if r.value is not None), start=1):
        r.rank = rank
    status = _status(measure, period) if period else ""
    comparison = tiles = None
    if rows:
        comparison = ChartPanel(
            chart="comparison",
            title=f"{measure.title}, {period} ({status.lower()}): "
                  + ("boroughs ranked" if kind == "borough" else "ethnic groups against White = 1"),
            summary=_comparison_summary(measure, period, rows, reference, kind),
            chart_url=_url(base, filters, chart="comparison"),
            csv_url=_url(f"{csv_base}/comparison.csv", filters), rows=rows)
        if kind == "borough" and _tiles():
            by_name = sorted(rows, key=lambda r: r.place)
            tiles = ChartPanel(
                chart="tiles", title=f"{measure.title}, {period}: tile map of the boroughs",
                summary=(f"Tile map of {measure.title.lower()} in {period}: one square per borough "
                         "at its place on the London grid, shaded by its figure and labelled with "
                         "it; the table below lists every borough."),
                chart_url=_url(base, filters, chart="tiles"),
                csv_url=_url(f"{csv_base}/tiles.csv", filters), rows=by_name)
    shown = {r.period for r in trend_rows} | ({period} if period else set())
    provisional = [f"{p}: {measure.provisional[p].removeprefix('Provisional: ')}"
                   for p in sorted(shown & measure.provisional.keys())]
    return MeasurePanel(id=measure.id, title=measure.title, description=measure.description,
                        unit=measure.unit, series_label=label, trend=trend, comparison=comparison,
                        tiles=tiles, comparison_kind=kind, comparison_period=period,
                        reference=reference, provisional=provisional, notes=notes)


def _headline_view(h: Headline) -> HeadlineView:
    latest = h.latest
    figure = format_value(latest.value, h.unit) if latest else h.verdict
    interval = (f"{format_value(latest.low, h.unit)} to {format_value(latest.high, h.unit)}"
                if latest and latest.low is not None and latest.high is not None else "")
    count = (f"{latest.numerator:,} of {latest.denominator:,}"
             if latest and latest.numerator is not None and latest.denominator is not None else "")
    baseline = f"{format_value(h.baseline.value, h.unit)} ({h.baseline.label})" if h.baseline else ""
    return HeadlineView(headline=h, figure=figure, interval=interval, count=count, baseline=baseline,
                        tag_class=VERDICT_TAGS.get(h.verdict, "govuk-tag--grey"))


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
    view = _build_view(published, filters, source.spreadsheet() is not None)
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


def _cohort_options(published: Published) -> list[Option]:
    labels: dict[str, str] = {}
    for m in published.measures:
        if not is_group_measure(m):
            for o in m.observations:
                labels.setdefault(o.cohort, m.cohort_labels.get(o.cohort, o.cohort))
    labels.pop(ALL_COHORTS, None)
    return [Option(value="", text="All ages"),
            *(Option(value=c, text=t) for c, t in sorted(labels.items(), key=lambda x: x[1]))]


def _build_view(published: Published, filters: Filters, has_spreadsheet: bool) -> DashboardView:
    boroughs = sorted({o.borough for m in published.measures for o in m.observations} - {WHOLE_AREA},
                      key=borough_name)
    periods = list(reversed(_periods(published)))
    return DashboardView(
        published=True, message="", published_at=published.published_at, filters=filters,
        periods=[Option(value="", text="Latest final period of each measure"),
                 *(Option(value=p, text=p) for p in periods)],
        boroughs=[Option(value="", text=f"{borough_name(WHOLE_AREA)} (all boroughs)"),
                  *(Option(value=b, text=borough_name(b)) for b in boroughs)],
        cohorts=_cohort_options(published),
        headlines=[_headline_view(h) for h in published.headlines],
        spreadsheet_url="/dashboard/publication.xlsx" if has_spreadsheet else None,
        measures=[_panel(published, m, filters) for m in published.measures],
    )


def find_measure(source: DashboardSource, measure_id: str) -> Measure | None:
    published = source.load()
    if published is None:
        return None
    return next((m for m in published.measures if m.id == measure_id), None)


def methodology_view(measure: Measure) -> MethodologyView:
    return MethodologyView(id=measure.id, title=measure.title, description=measure.description,
                           methodology=measure.methodology)


def _chart_panel(source: DashboardSource, measure: Measure, filters: Filters,
                 chart: str) -> tuple[MeasurePanel, ChartPanel | None]:
    published = source.load() or Published(published_at="", measures=[measure])
    panel = _panel(published, measure, filters)
    return panel, {"trend": panel.trend, "comparison": panel.comparison, "tiles": panel.tiles}[chart]


def chart_csv(source: DashboardSource, measure: Measure, filters: Filters, chart: str) -> str:
    """A chart's data as CSV: the rows of the table beside it, laid out as the spreadsheet lays
    them out, withheld figures as their markers (``publish.downloads``)."""
    _, shown = _chart_panel(source, measure, filters, chart)
    rows = [observation_row(r.observation.model_dump(), status=r.status, area=borough_name(r.place_code),
                            cohort=r.cohort) for r in (shown.rows if shown else [])]
    return as_csv(rows, measure.unit)


def chart_spec(source: DashboardSource, measure: Measure, filters: Filters,
               chart: str = "trend") -> dict[str, Any]:
    """A Vega-Lite spec of one of a measure's charts; withheld figures are left out (and named
    in the description), never drawn as zero, and nothing is stacked or summed."""
    panel, shown = _chart_panel(source, measure, filters, chart)
    if shown is None:
        return _spec(f"{measure.title}: no figures for this chart.", [], {"type": "point"}, {})
    unit = UNIT_LABELS[measure.unit]
    axis_title = f"{measure.title} ({unit})"
    if chart == "trend":
        return _trend_spec(shown, axis_title)
    if chart == "comparison":
        return _comparison_spec(shown, panel, axis_title)
    return _tiles_spec(shown, axis_title)


def _spec(description: str, values: list[dict[str, Any]], mark: dict[str, Any],
          encoding: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "description": description,
            "data": {"values": values}, "mark": mark, "encoding": encoding, "width": "container",
            "height": 280, **more}


def _trend_spec(panel: ChartPanel, axis_title: str) -> dict[str, Any]:
    """Final periods as filled points on a solid line; provisional ones as hollow points on a
    dashed line, their axis labels saying "(provisional)"; 95% intervals as vertical rules."""
    shown = [r for r in panel.rows if r.value is not None]
    values = [{"period": r.period + (" (provisional)" if r.status == "Provisional" else ""),
               "status": r.status, "value": r.value, "low": r.observation.low,
               "high": r.observation.high, "display": r.display, "interval": r.interval}
              for r in shown]
    order = [v["period"] for v in values]
    # the dashed line starts at the last final point, so the series reads as one line
    line = [dict(v, segment=v["status"]) for v in values]
    finals = [v for v in values if v["status"] == "Final"]
    if finals and any(v["status"] == "Provisional" for v in values):
        line.append(dict(finals[-1], segment="Provisional"))
    x = {"field": "period", "type": "ordinal", "title": "Period", "sort": order,
         "axis": {"labelAngle": -45}}
    y = {"field": "value", "type": "quantitative", "title": axis_title, "scale": {"zero": False}}
    status_scale = {"domain": ["Final", "Provisional"]}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": panel.summary, "width": "container", "height": 280,
        "layer": [
            {"data": {"values": [v for v in values if v["low"] is not None]},
             "mark": {"type": "rule", "color": FIGURE_COLOUR, "opacity": 0.6},
             "encoding": {"x": x, "y": {**y, "field": "low"}, "y2": {"field": "high"}}},
            {"data": {"values": line},
             "mark": {"type": "line", "color": FIGURE_COLOUR},
             "encoding": {"x": x, "y": y, "detail": {"field": "segment"},
                          "strokeDash": {"field": "segment", "type": "nominal", "title": "Status",
                                         "scale": {**status_scale, "range": [[1, 0], [6, 4]]}}}},
            {"data": {"values": values},
             "mark": {"type": "point", "color": FIGURE_COLOUR, "size": 60, "strokeWidth": 2},
             "encoding": {"x": x, "y": y,
                          "shape": {"field": "status", "type": "nominal", "title": "Status",
                                    "scale": {**status_scale, "range": ["circle", "diamond"]}},
                          "fill": {"field": "status", "type": "nominal", "legend": None,
                                   "scale": {**status_scale, "range": [FIGURE_COLOUR, "#ffffff"]}},
                          "tooltip": [{"field": "period", "title": "Period"},
                                      {"field": "display", "title": "Figure"},
                                      {"field": "interval", "title": "95% interval"}]}},
        ],
    }


def _comparison_spec(panel: ChartPanel, measure_panel: MeasurePanel, axis_title: str) -> dict[str, Any]:
    """Places ranked highest first, each a point with its 95% interval, and the reference as a
    labelled vertical line: London's figure, or 1 for the RRI."""
    shown = [r for r in panel.rows if r.value is not None]
    values = [{"place": r.place, "value": r.value, "low": r.observation.low, "high": r.observation.high,
               "display": r.display, "interval": r.interval} for r in shown]
    order = [v["place"] for v in values]
    if measure_panel.comparison_kind == "group":
        ref_value, ref_label = 1.0, "White group = 1"
    elif measure_panel.reference is not None and measure_panel.reference.value is not None:
        ref_value = measure_panel.reference.value
        ref_label = f"London {measure_panel.reference.display}"
    else:
        ref_value, ref_label = None, ""
    y = {"field": "place", "type": "nominal", "sort": order,
         "title": "Borough" if measure_panel.comparison_kind == "borough" else "Ethnic group"}
    x = {"field": "value", "type": "quantitative", "title": axis_title, "scale": {"zero": False}}
    layers: list[dict[str, Any]] = [
        {"data": {"values": [v for v in values if v["low"] is not None]},
         "mark": {"type": "rule", "color": FIGURE_COLOUR},
         "encoding": {"y": y, "x": {**x, "field": "low"}, "x2": {"field": "high"}}},
        {"data": {"values": values},
         "mark": {"type": "point", "filled": True, "color": FIGURE_COLOUR, "size": 50},
         "encoding": {"y": y, "x": x, "tooltip": [
             {"field": "place", "title": y["title"]}, {"field": "display", "title": "Figure"},
             {"field": "interval", "title": "95% interval"}]}},
    ]
    if ref_value is not None:
        layers.append({"data": {"values": [{"value": ref_value, "label": ref_label}]},
                       "layer": [
                           {"mark": {"type": "rule", "color": REFERENCE_COLOUR, "strokeDash": [4, 3]},
                            "encoding": {"x": {"field": "value", "type": "quantitative"}}},
                           {"mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "y": 0,
                                     "color": REFERENCE_COLOUR},
                            "encoding": {"x": {"field": "value", "type": "quantitative"},
                                         "text": {"field": "label"}}}]})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "description": panel.summary, "width": "container",
            "height": max(120, 18 * len(values)), "layer": layers}


def _tiles_spec(panel: ChartPanel, axis_title: str) -> dict[str, Any]:
    """A square per borough at its grid place, shaded by its figure (a light range, so the black
    label stays readable) and labelled with its short name and figure: the shade is never the
    only carrier of the value. Withheld boroughs are pale grey, labelled with their marker."""
    tiles = [r for r in panel.rows if r.column is not None]
    values = [{"column": r.column, "row": r.grid_row, "place": r.place, "value": r.value,
               "label": f"{r.short_name}\n{r.display.split(' ')[0]}", "display": r.display}
              for r in tiles]
    x = {"field": "column", "type": "ordinal", "axis": None}
    y = {"field": "row", "type": "ordinal", "axis": None}
    tooltip = [{"field": "place", "title": "Borough"}, {"field": "display", "title": "Figure"}]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": panel.summary, "width": 400, "height": 350,
        "layer": [
            {"data": {"values": [v for v in values if v["value"] is None]},
             "mark": {"type": "rect", "fill": WITHHELD_COLOUR, "stroke": "#ffffff", "strokeWidth": 2},
             "encoding": {"x": x, "y": y, "tooltip": tooltip}},
            {"data": {"values": [v for v in values if v["value"] is not None]},
             "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 2},
             "encoding": {"x": x, "y": y, "tooltip": tooltip,
                          "color": {"field": "value", "type": "quantitative", "title": axis_title,
                                    "scale": {"range": ["#e8f1f8", "#6fa4d2"]}}}},
            {"data": {"values": values},
             "mark": {"type": "text", "lineBreak": "\n", "fontSize": 10, "color": "#0b0c0c"},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
        ],
        "config": {"view": {"stroke": None}},
    }
