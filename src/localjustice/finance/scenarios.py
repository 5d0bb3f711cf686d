"""Policy scenarios as data (``scenarios/*.toml``) and what each does to custody and its cost.

A scenario names a cohort and changes to the flows of its new receptions (``projection.FLOWS``):
``receptions_pct`` (fewer people received: -30 diverts three in ten), ``time_served_pct`` (each
serves that much longer or shorter) and ``diverted_to`` (the unit cost of what a diverted person
gets instead, such as a community order). Its result is the projected population, bed nights and
cost against the baseline projection with the same random numbers, as the US Justice
Reinvestment Initiative sets a population projection per policy option against the baseline.
Costs are bed nights at the cohort's budget cost (``budgets.toml``) plus the diverted people's
alternative, at one price year.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from localjustice.errors import LocalJusticeError
from localjustice.finance.cohorts import load_cohorts
from localjustice.finance.costs import default_price_year, per_unit, unit_cost
from localjustice.finance.projection import (
    FLOWS,
    INTERVAL,
    FittedCohort,
    FlowChange,
    Projection,
    project,
)

HERE = Path(__file__).parent
SCENARIOS_DIR = HERE / "scenarios"
BUDGETS_FILE = HERE / "budgets.toml"


class ScenarioError(LocalJusticeError):
    pass


@dataclass(frozen=True)
class Scenario:
    slug: str
    name: str
    description: str
    cohort: str
    changes: tuple[FlowChange, ...]


def load_scenario(path: Path) -> Scenario:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"Scenario file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"Scenario file {path} is not valid TOML: {exc}") from None
    for key in ("name", "cohort", "change"):
        if key not in raw:
            raise ScenarioError(f"Scenario file {path}: key {key!r} is missing.")
    if raw["cohort"] not in load_cohorts():
        raise ScenarioError(f"Scenario file {path}: key 'cohort': unknown cohort "
                            f"{raw['cohort']!r}; known: {', '.join(load_cohorts())}.")
    changes = []
    for entry in raw["change"]:
        if entry.get("flow") not in FLOWS:
            raise ScenarioError(f"Scenario file {path}: key 'change.flow' must be one of "
                                f"{', '.join(FLOWS)}, not {entry.get('flow')!r}.")
        for key in ("receptions_pct", "time_served_pct"):
            if not -100 <= float(entry.get(key, 0)) <= 1000 or (
                    key == "time_served_pct" and float(entry.get(key, 0)) <= -100):
                raise ScenarioError(f"Scenario file {path}: key 'change.{key}' is out of range.")
        if entry.get("diverted_to") is not None:
            unit_cost(entry["diverted_to"])
        changes.append(FlowChange(entry["flow"], float(entry.get("receptions_pct", 0)),
                                  float(entry.get("time_served_pct", 0)),
                                  entry.get("diverted_to")))
    return Scenario(path.stem, str(raw["name"]), str(raw.get("description", "")), raw["cohort"],
                    tuple(changes))


def shipped_scenarios() -> list[Scenario]:
    return [load_scenario(p) for p in sorted(SCENARIOS_DIR.glob("*.toml"))]


def find_scenario(name_or_path: str) -> Scenario:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return load_scenario(path)
    shipped = SCENARIOS_DIR / f"{name_or_path}.toml"
    if shipped.is_file():
        return load_scenario(shipped)
    names = ", ".join(p.stem for p in sorted(SCENARIOS_DIR.glob("*.toml")))
    raise ScenarioError(f"No scenario {name_or_path!r}: give a file's path or a shipped one "
                        f"({names}).")


@cache
def budget_cost_name(cohort: str) -> str:
    return str(tomllib.loads(BUDGETS_FILE.read_text(encoding="utf-8"))["budget_cost"][cohort])


def night_price(cohort: str, price_year: str) -> float:
    return per_unit(unit_cost(budget_cost_name(cohort)), "night", price_year)


def _interval(values: NDArray[np.float64]) -> dict[str, float]:
    low, high = np.percentile(values, INTERVAL)
    return {"mean": round(float(values.mean()), 1), "low": round(float(low), 1),
            "high": round(float(high), 1)}


def projection_cost(result: Projection, cohort: str, price_year: str,
                    changes: tuple[FlowChange, ...] = ()) -> NDArray[np.float64]:
    """Each simulation's cost over the horizon: bed nights at the cohort's price plus the
    alternative of each diverted reception."""
    cost = result.bed_nights["total"].sum(axis=1) * night_price(cohort, price_year)
    for change in changes:
        if change.diverted_to:
            price = per_unit(unit_cost(change.diverted_to), "order", price_year)
            cost = cost + result.diverted[change.flow].sum(axis=1) * price
    return np.asarray(cost)


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    price_year: str
    baseline: Projection
    projected: Projection

    def as_json(self) -> dict[str, Any]:
        base_cost = projection_cost(self.baseline, self.scenario.cohort, self.price_year)
        cost = projection_cost(self.projected, self.scenario.cohort, self.price_year,
                               self.scenario.changes)
        end_base = self.baseline.population["total"][:, -1]
        end = self.projected.population["total"][:, -1]
        nights_base = self.baseline.bed_nights["total"].sum(axis=1)
        nights = self.projected.bed_nights["total"].sum(axis=1)
        return {
            "scenario": self.scenario.slug, "name": self.scenario.name,
            "description": self.scenario.description, "cohort": self.scenario.cohort,
            "months": len(self.baseline.months), "from": self.baseline.months[0],
            "to": self.baseline.months[-1], "price_year": self.price_year,
            "population_end": {"baseline": _interval(end_base), "scenario": _interval(end),
                               "difference": _interval(end - end_base)},
            "bed_nights": {"baseline": _interval(nights_base), "scenario": _interval(nights),
                           "difference": _interval(nights - nights_base)},
            "cost": {"baseline": _interval(base_cost), "scenario": _interval(cost),
                     "saving": _interval(base_cost - cost)},
            "monthly": {"months": list(self.baseline.months),
                        "baseline": self.baseline.summary(self.baseline.population["total"]),
                        "scenario": self.projected.summary(self.projected.population["total"])},
        }


def run_scenario(fitted: FittedCohort, scenario: Scenario, months: int, *, sims: int = 1000,
                 seed: int = 1, price_year: str | None = None,
                 baseline: Projection | None = None) -> ScenarioResult:
    if fitted.cohort != scenario.cohort:
        raise ScenarioError(f"Scenario {scenario.slug!r} is for cohort {scenario.cohort!r}, not "
                            f"{fitted.cohort!r}.")
    base = baseline or project(fitted, months, sims=sims, seed=seed)
    changed = project(fitted, months, sims=sims, seed=seed, changes=scenario.changes)
    return ScenarioResult(scenario, price_year or default_price_year(), base, changed)
