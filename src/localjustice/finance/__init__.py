"""Financial devolution: what custody and court demand costs, what a reinvestment deal pays,
and where custody demand is heading (London MoU, section 4.4).

Downstream of the analysis zone (read through a ``Warehouse``, set-based) and the measures'
rules. ``demand`` measures, ``costs`` prices (unit costs and the GDP deflator as data),
``deals`` and ``statement`` settle deals, ``projection`` and ``scenarios`` project custody;
``publish`` writes the feed the web page reads. docs/finance.md documents the files and rules.
The names below are loaded on first use, so the command line does not import statsmodels
until a projection is asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PUBLIC = {
    "convert": "costs", "load_unit_costs": "costs", "unit_cost": "costs",
    "Deal": "deals", "DealError": "deals", "find_deal": "deals", "load_deal": "deals",
    "METRICS": "demand", "Demand": "demand", "measure_demand": "demand",
    "backtest": "projection", "fit_cohort": "projection", "project": "projection",
    "demo_finance": "publish", "publish_finance": "publish", "read_finance": "publish",
    "find_scenario": "scenarios", "run_scenario": "scenarios",
    "deal_statement": "statement", "payment": "statement",
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"localjustice.finance.{_PUBLIC[name]}"), name)


__all__ = sorted(_PUBLIC)
