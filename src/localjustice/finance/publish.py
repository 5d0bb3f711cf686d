"""The finance feed for the board: each cohort's custody budget if devolved, every shipped deal's
statement and every shipped scenario against the baseline projection, written once as JSON
(``published/finance/finance.json``) for the web page, never computed on a page view.

Figures that count people pass disclosure control (DESIGN.md, "Zones and data protection";
``measures.disclosure``): a count of 1 to 4 people, or a projected number of people that rounds
to one, is printed as ``[c]``, with its interval. Bed nights and pounds do not count people; a
deal on a metric that does (receptions, disposals) has a period whose count is 1 to 4 withheld
whole (its reduction, savings and payment would give the count away). The HTML report and the
spreadsheet print this feed (``localjustice.publish.finance_section``), so they, the page and
its JSON twin show the same controlled figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from localjustice.errors import LocalJusticeError
from localjustice.finance.cohorts import load_cohorts
from localjustice.finance.costs import default_price_year, load_deflator, load_unit_costs
from localjustice.finance.deals import load_deal, shipped_deals
from localjustice.finance.demand import METRICS, data_end, measure_demand
from localjustice.finance.projection import ProjectionError, default_fit_end, fit_cohort, project
from localjustice.finance.scenarios import (
    budget_cost_name,
    night_price,
    run_scenario,
    shipped_scenarios,
)
from localjustice.finance.statement import deal_statement
from localjustice.measures.disclosure import is_sensitive
from localjustice.measures.tables import SUPPRESSED
from localjustice.warehouse import Warehouse

FOLDER = "finance"
FILE = "finance.json"
MONTHS = 36


def controlled_people(value: float) -> float | str:
    """A count (or projected number) of people as it may be printed."""
    whole = round(value)
    return SUPPRESSED if is_sensitive(whole) else value


def _control_interval(block: dict[str, float]) -> dict[str, Any]:
    if controlled_people(block["mean"]) == SUPPRESSED:
        return {k: SUPPRESSED for k in block}
    return dict(block)


def latest_whole_year(last: date) -> str | None:
    year = last.year if last >= date(last.year, 12, 31) else last.year - 1
    return str(year) if year >= 1990 else None


def budgets(warehouse: Warehouse, year: str, price_year: str) -> list[dict[str, Any]]:
    """The custody budget each cohort would bring if devolved: its bed nights in ``year`` at
    its budget cost (``budgets.toml``)."""
    demand = measure_demand(warehouse, [year])
    costs = load_unit_costs()
    out = []
    for name, cohort in load_cohorts().items():
        nights = demand.value(name, "custody_bed_nights", year)
        price = night_price(name, price_year)
        cost = costs[budget_cost_name(name)]
        out.append({"cohort": name, "label": cohort.label, "period": year,
                    "bed_nights": nights,
                    "remand_bed_nights": demand.value(name, "remand_bed_nights", year),
                    "receptions": controlled_people(demand.value(name, "receptions", year)),
                    "price_per_night": round(price, 2), "budget": round(nights * price, 2),
                    "unit_cost": cost.name, "unit_cost_label": cost.label,
                    "unit_cost_verified": cost.verified})
    return out


#: A deal period's figures withheld when its metric counts people and a count is 1 to 4.
DEAL_FIGURES = ("baseline_demand", "actual_demand", "counterfactual_demand", "reduction_pct",
                "savings", "payment", "upfront", "clawback")


def controlled_deal(data: dict[str, Any]) -> dict[str, Any]:
    """A deal statement (``DealStatement.as_json``) as it may be printed (module doc)."""
    if not METRICS[data["metric"]].counts_people:
        return data
    for period in data["periods"]:
        counts = (period["baseline_demand"], period["actual_demand"],
                  period["counterfactual_demand"])
        if any(controlled_people(c) == SUPPRESSED for c in counts):
            period.update({k: SUPPRESSED for k in DEAL_FIGURES})
    return data


def _controlled_scenario(data: dict[str, Any]) -> dict[str, Any]:
    for key in ("baseline", "scenario", "difference"):
        data["population_end"][key] = _control_interval(data["population_end"][key])
    for key in ("baseline", "scenario"):
        monthly = data["monthly"][key]
        hidden = [controlled_people(m) == SUPPRESSED for m in monthly["mean"]]
        data["monthly"][key] = {k: [SUPPRESSED if h else v for v, h in zip(vs, hidden,
                                                                            strict=True)]
                                for k, vs in monthly.items()}
    return data


@dataclass(frozen=True)
class FinanceFeed:
    data: dict[str, Any]
    path: Path | None = None


def finance_feed(warehouse: Warehouse, *, price_year: str | None = None, months: int = MONTHS,
                 sims: int = 1000) -> dict[str, Any]:
    year = price_year or default_price_year()
    last = data_end(warehouse)
    if last is None:
        raise LocalJusticeError("The analysis zone has no custody or court events: run "
                                "`localjustice link` first.")
    whole = latest_whole_year(last)
    deals = []
    for path in shipped_deals():
        deal = load_deal(path)
        try:
            deals.append(controlled_deal(
                deal_statement(warehouse, deal, price_year=year).as_json()))
        except ProjectionError as exc:  # a projection counterfactual with too little data
            deals.append({"deal": deal.slug, "name": deal.name, "refusal": str(exc),
                          "periods": []})
    fit_end = default_fit_end(last)
    scenarios: list[dict[str, Any]] = []
    fitted_by: dict[str, Any] = {}
    for scenario in shipped_scenarios():
        try:
            if scenario.cohort not in fitted_by:
                fitted = fit_cohort(warehouse, scenario.cohort, fit_end, horizon_days=31 * months)
                fitted_by[scenario.cohort] = (fitted, project(fitted, months, sims=sims))
            fitted, base = fitted_by[scenario.cohort]
            result = run_scenario(fitted, scenario, months, sims=sims, price_year=year,
                                  baseline=base)
            scenarios.append(_controlled_scenario(result.as_json()))
        except ProjectionError as exc:
            scenarios.append({"scenario": scenario.slug, "name": scenario.name,
                              "cohort": scenario.cohort, "refusal": str(exc)})
    deflator = load_deflator()
    return {
        "price_year": year, "data_end": last.isoformat(), "fit_end": fit_end.isoformat(),
        "deflator": {"source": deflator.source, "verified": deflator.verified,
                     "unverified_years": list(deflator.unverified), "note": deflator.note,
                     "base": deflator.base},
        "budgets": budgets(warehouse, whole, year) if whole else [],
        "budget_year": whole,
        "deals": deals,
        "scenarios": scenarios,
        "unit_costs": [c.as_json() for c in load_unit_costs().values()],
        "disclosure_controlled": True,
    }


#: The scenario chart's colours (GOV.UK Design System blue, and dark grey for the interval).
FIGURE_COLOUR = "#1d70b8"
INTERVAL_COLOUR = "#0b0c0c"


def scenario_chart_spec(data: dict[str, Any], *, width: int | str = "container") -> dict[str, Any]:
    """Each scenario's saving with its 95% interval, as a Vega-Lite bar and rule chart (the
    finance page, and the HTML report at a fixed ``width``)."""
    rows = [{"scenario": s["name"], "saving": s["cost"]["saving"]["mean"],
             "low": s["cost"]["saving"]["low"], "high": s["cost"]["saving"]["high"]}
            for s in data.get("scenarios", []) if "cost" in s]
    axis = {"title": f"Saving over the projection (£, {data.get('price_year')} prices)"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Saving of each custody scenario against the baseline projection, with "
                       "its 95% interval. " + "; ".join(
                           f"{r['scenario']}: £{r['saving']:,.0f} (£{r['low']:,.0f} to "
                           f"£{r['high']:,.0f})" for r in rows) + ".",
        "data": {"values": rows}, "width": width, "height": {"step": 40},
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


def publish_finance(warehouse: Warehouse, published_dir: Path, **options: Any) -> Path:
    data = finance_feed(warehouse, **options)
    folder = published_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def read_finance(published_dir: Path) -> dict[str, Any] | None:
    path = published_dir / FOLDER / FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def demo_finance(settings: Any, console: Console) -> None:
    """The demo's finance step: publish the feed, print one deal's statement and one
    scenario's saving."""
    from localjustice.finance.cli import deal_table
    from localjustice.warehouse import open_configured

    console.rule("7. Finance: what custody costs, a reinvestment deal, a scenario")
    try:
        with open_configured(settings, read_only=True) as warehouse:
            path = publish_finance(warehouse, settings.data_dir / "published")
    except LocalJusticeError as exc:
        console.print(f"Finance: not published. {escape(str(exc))}")
        return
    data = read_finance(settings.data_dir / "published") or {}
    settled = [d for d in data.get("deals", []) if "refusal" not in d]
    if settled:
        console.print(deal_table(settled[0]))
    for scenario in data.get("scenarios", []):
        if "cost" in scenario:
            saving = scenario["cost"]["saving"]
            console.print(f"{scenario['name']} ({scenario['cohort']}, {scenario['months']} "
                          f"months from {scenario['from']}): saves £{saving['mean']:,.0f} "
                          f"(95% interval £{saving['low']:,.0f} to £{saving['high']:,.0f}) "
                          f"at {scenario['price_year']} prices.")
            break
    console.print(f"Finance published: {path}; /finance in the web app.")
