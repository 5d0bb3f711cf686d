"""The finance commands: ``localjustice finance statement|demand|publish`` and
``localjustice project``. Wiring only; the rules live in the package's other modules."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich import box
from rich.console import Console

from localjustice.cli_table import Table, escape
from localjustice.errors import LocalJusticeError
from localjustice.settings import Settings

app = typer.Typer(help="What custody and court demand costs, and what a reinvestment deal pays.",
                  no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", help="Where the warehouse lives \\[env: LOCALJUSTICE_DATA_DIR].")]
Format = Annotated[str, typer.Option("--format", help="table or json.")]
PriceYear = Annotated[str | None, typer.Option(
    "--price-year", help="Financial year whose prices to use, e.g. 2023-24 \\[default: the "
    "deal's, else the deflator series' base year].")]


def _fail(exc: LocalJusticeError) -> typer.Exit:
    err_console.print(f"[bold red]Error:[/] {escape(str(exc))}")
    return typer.Exit(code=1)


def _money(x: float) -> str:
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


def deal_table(data: dict[str, Any]) -> Table:
    """A deal's statement (``DealStatement.as_json``) as a table."""
    verified = "" if data["unit_cost_verified"] else ", unit cost not verified"
    table = Table(title=f"{data['name']}: {data['metric_label'].lower()}, {data['cohort']}, "
                        f"against {data['baseline']} ({data['model']}; "
                        f"{data['price_year']} prices{verified})",
                  box=box.SIMPLE_HEAD)
    columns = ("period", "baseline", "actual", "counterfactual", "reduction %",
               "threshold met", "savings", "payment", "clawback")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i in (0, 3) else "right")
    for p in data["periods"]:
        reduction = "-" if p["reduction_pct"] is None else f"{p['reduction_pct']:.2f}"
        table.add_row(p["period"] + ("" if p["complete"] else " (part)"),
                      f"{p['baseline_demand']:,.0f}", f"{p['actual_demand']:,.0f}",
                      f"{p['counterfactual']} ({p['counterfactual_demand']:,.0f})", reduction,
                      "yes" if p["threshold_met"] else "no", _money(p["savings"]),
                      _money(p["payment"]), _money(p["clawback"]))
    return table


def _settings(data_dir: Path | None) -> Settings:
    try:
        return Settings.from_env(data_dir)
    except LocalJusticeError as exc:
        raise _fail(exc) from None


@app.command()
def statement(deal: Annotated[str, typer.Argument(help="A deal file's path, or a shipped deal's "
                                                       "name.")],
              format: Format = "table", price_year: PriceYear = None,
              data_dir: DataDir = None) -> None:
    """Print a deal's statement: per test period, demand, reduction, savings and payment."""
    from localjustice.finance.deals import find_deal
    from localjustice.finance.statement import deal_statement
    from localjustice.warehouse import open_configured

    try:
        chosen = find_deal(deal)
        with open_configured(_settings(data_dir), read_only=True) as warehouse:
            data = deal_statement(warehouse, chosen, price_year=price_year).as_json()
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    if format == "json":
        console.print_json(json.dumps(data))
    else:
        console.print(deal_table(data))


@app.command()
def demand(period: Annotated[list[str], typer.Option("--period", help="A year (2024) or quarter "
                                                                      "(2024Q1); repeatable.")],
           borough: Annotated[str, typer.Option(help="A borough code, or all.")] = "all",
           format: Format = "table", data_dir: DataDir = None) -> None:
    """Demand by cohort: bed nights, receptions, time served, disposals, community orders."""
    from localjustice.finance.demand import METRICS, measure_demand
    from localjustice.warehouse import open_configured

    try:
        with open_configured(_settings(data_dir), read_only=True) as warehouse:
            result = measure_demand(warehouse, period)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    rows = [r for r in result.rows if r.borough == borough]
    if format == "json":
        console.print_json(json.dumps([r.__dict__ for r in rows]))
        return
    table = Table(title=f"Demand ({'London' if borough == 'all' else borough})",
                  box=box.SIMPLE_HEAD)
    cohorts = sorted({r.cohort for r in rows})
    table.add_column("period")
    table.add_column("metric")
    for c in cohorts:
        table.add_column(c, justify="right")
    values = {(r.period, r.metric, r.cohort): r.value for r in rows}
    for p in result.periods:
        for m in METRICS:
            table.add_row(p.label, m, *(f"{values.get((p.label, m, c), 0):,.1f}".removesuffix(".0")
                                        for c in cohorts))
    console.print(table)


@app.command("publish")
def publish(data_dir: DataDir = None, price_year: PriceYear = None) -> None:
    """Publish the finance feed for the web page (budgets, deals, scenarios)."""
    from localjustice.finance.publish import publish_finance
    from localjustice.warehouse import open_configured

    settings = _settings(data_dir)
    try:
        with open_configured(settings, read_only=True) as warehouse:
            path = publish_finance(warehouse, settings.data_dir / "published",
                                   price_year=price_year)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(f"Finance published: {path}")


def project_command(
    cohort: Annotated[str, typer.Option(help="women, young_adults, youth or all.")] = "all",
    months: Annotated[int, typer.Option(help="Months to project.")] = 36,
    scenario: Annotated[str | None, typer.Option(
        help="A scenario file's path or a shipped scenario's name.")] = None,
    backtest: Annotated[bool, typer.Option(
        "--backtest", help="Fit on the data to --fit-end (default: 12 months before the data "
        "end), project the next 12 months and report the error.")] = False,
    fit_end: Annotated[str | None, typer.Option(
        "--fit-end", metavar="YYYY-MM-DD", help="First day after the data fitted (a month's "
        "first day) \\[default: after the last complete month].")] = None,
    sims: Annotated[int, typer.Option(help="Simulations.")] = 1000,
    price_year: PriceYear = None,
    format: Format = "table",
    data_dir: DataDir = None,
) -> None:
    """Project a cohort's custody population month by month, with intervals; or backtest it."""
    from localjustice.finance.cohorts import load_cohorts
    from localjustice.finance.costs import default_price_year
    from localjustice.finance.demand import data_end
    from localjustice.finance.projection import backtest as run_backtest
    from localjustice.finance.projection import default_fit_end, fit_cohort, project
    from localjustice.finance.scenarios import find_scenario, projection_cost, run_scenario
    from localjustice.measures.period import add_months
    from localjustice.warehouse import open_configured

    try:
        if cohort not in load_cohorts():
            raise LocalJusticeError(f"Unknown cohort {cohort!r}; known: "
                                    f"{', '.join(load_cohorts())}.")
        chosen = find_scenario(scenario) if scenario else None
        if chosen is not None and chosen.cohort != cohort:
            cohort = chosen.cohort
        with open_configured(_settings(data_dir), read_only=True) as warehouse:
            last = data_end(warehouse)
            if last is None:
                raise LocalJusticeError("The analysis zone holds no custody: run "
                                        "`localjustice link` first.")
            end = date.fromisoformat(fit_end) if fit_end else default_fit_end(last)
            if backtest:
                start = date.fromisoformat(fit_end) if fit_end else add_months(
                    default_fit_end(last), -12)
                result = run_backtest(warehouse, cohort, start, sims=min(sims, 1000))
                _print_backtest(result, format)
                return
            fitted = fit_cohort(warehouse, cohort, end, horizon_days=31 * months)
            year = price_year or default_price_year()
            if chosen is not None:
                outcome = run_scenario(fitted, chosen, months, sims=sims, price_year=year)
                data = outcome.as_json()
            else:
                base = project(fitted, months, sims=sims)
                cost = projection_cost(base, cohort, year)
                data = {"cohort": cohort, "fit_end": end.isoformat(), "price_year": year,
                        "months": list(base.months),
                        "population": base.summary(base.population["total"]),
                        "bed_nights": base.summary(base.bed_nights["total"]),
                        "cost": {"mean": round(float(cost.mean()), 2),
                                 "low": round(float(np.percentile(cost, 2.5)), 2),
                                 "high": round(float(np.percentile(cost, 97.5)), 2)}}
    except (LocalJusticeError, ValueError) as exc:
        raise _fail(exc if isinstance(exc, LocalJusticeError) else LocalJusticeError(str(exc))
                    ) from None
    if format == "json":
        console.print_json(json.dumps(data))
        return
    if chosen is not None:
        _print_scenario(data)
    else:
        _print_projection(data)


def _print_backtest(result: Any, format: str) -> None:
    if format == "json":
        console.print_json(json.dumps({"cohort": result.cohort,
                                       "fit_end": result.fit_end.isoformat(),
                                       "months": list(result.months), "actual": result.actual,
                                       "projected": result.projected, "mape": result.mape,
                                       "expected_mape": result.expected_mape}))
        return
    table = Table(title=f"Backtest, {result.cohort}: fitted to {result.fit_end}",
                  box=box.SIMPLE_HEAD)
    for name in ("month", "actual", "projected (median)", "error %"):
        table.add_column(name, justify="right")
    for m, a, p in zip(result.months, result.actual, result.projected, strict=True):
        table.add_row(m, f"{a:,}", f"{p:,.1f}", f"{100 * (p - a) / a:+.1f}")
    console.print(table)
    console.print(f"Mean absolute percentage error over {len(result.months)} months: "
                  f"{result.mape:.2f}%")
    if result.expected_mape is not None:
        console.print(f"Chance alone would give about {result.expected_mape:.1f}% (the median "
                      "error of this projection against its own simulated futures): a cohort "
                      "of few people cannot be projected closer than that.")


def _print_projection(data: dict[str, Any]) -> None:
    table = Table(title=f"Custody projection, {data['cohort']}, from {data['fit_end']} "
                        "(95% intervals)", box=box.SIMPLE_HEAD)
    for name in ("month", "population", "interval", "bed nights", "interval"):
        table.add_column(name, justify="right")
    pop, nights = data["population"], data["bed_nights"]
    for i, m in enumerate(data["months"]):
        table.add_row(m, f"{pop['mean'][i]:,.0f}", f"{pop['low'][i]:,.0f}-{pop['high'][i]:,.0f}",
                      f"{nights['mean'][i]:,.0f}",
                      f"{nights['low'][i]:,.0f}-{nights['high'][i]:,.0f}")
    console.print(table)
    cost = data["cost"]
    console.print(f"Cost of the bed nights: {_money(cost['mean'])} ({_money(cost['low'])} to "
                  f"{_money(cost['high'])}) at {data['price_year']} prices.")


def _print_scenario(data: dict[str, Any]) -> None:
    table = Table(title=f"{data['name']} ({data['cohort']}, {data['months']} months from "
                        f"{data['from']}; {data['price_year']} prices; 95% intervals)",
                  box=box.SIMPLE_HEAD)
    for name in ("", "baseline", "scenario", "difference"):
        table.add_column(name, justify="right")

    def cell(block: dict[str, Any], money: bool = False) -> str:
        f = _money if money else (lambda x: f"{x:,.0f}")
        return f"{f(block['mean'])} ({f(block['low'])} to {f(block['high'])})"

    pop, nights, cost = data["population_end"], data["bed_nights"], data["cost"]
    table.add_row("population at the end", cell(pop["baseline"]), cell(pop["scenario"]),
                  cell(pop["difference"]))
    table.add_row("bed nights", cell(nights["baseline"]), cell(nights["scenario"]),
                  cell(nights["difference"]))
    table.add_row("cost", cell(cost["baseline"], True), cell(cost["scenario"], True),
                  "saving " + cell(cost["saving"], True))
    console.print(table)
