"""A deal's statement: per test period, the demand against the baseline, what it saved and what
the deal pays (or claws back).

The payment rule (issue 15, after the Local Justice Reinvestment Pilot: Ministry of Justice,
"Local Justice Reinvestment Pilot: final process evaluation", 2014): nothing when the reduction
misses ``threshold_pct``; otherwise ``share_at_threshold`` of the savings on the reduction up to
the threshold plus ``share_above_threshold`` of the savings on the reduction beyond it, the
reduction counted no further than ``cap_pct``. The reduction is measured against the
counterfactual demand: the baseline itself (``none``), the baseline moved as a comparator moved
(``comparator``: England and Wales fell 33% in the Pathfinder's second year on its own), or the
custody projection fitted on the data up to the end of the baseline (``projection``).

The **upfront** model (after the Youth Justice Reinvestment Custody Pathfinder, YJB 2011-13) pays
at the start of each test period what the deal would pay for a reduction of exactly the
threshold; at the end the area is paid the rest of what the rule gives, or, when it missed the
threshold, the upfront sum is clawed back (``clawback_share`` of it; all by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from localjustice.finance.costs import default_price_year, per_unit, unit_cost
from localjustice.finance.deals import Deal
from localjustice.finance.demand import AREA, METRICS, Demand, data_end, measure_demand
from localjustice.warehouse import Warehouse

#: A reduction this close to the threshold counts as meeting it (floating point).
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Payment:
    threshold_met: bool
    #: savings on the counted reduction, split at the threshold
    savings_to_threshold: float
    savings_beyond_threshold: float
    payment: float


def payment(reduction_pct: float, counterfactual_cost: float, *, threshold_pct: float,
            share_at_threshold: float, share_above_threshold: float, cap_pct: float) -> Payment:
    """The deal's payment for a reduction of ``reduction_pct`` of a counterfactual demand
    costing ``counterfactual_cost`` (module docstring)."""
    if reduction_pct < threshold_pct - TOLERANCE:
        return Payment(False, 0.0, 0.0, 0.0)
    counted = min(reduction_pct, cap_pct)
    to_threshold = counterfactual_cost * threshold_pct / 100.0
    beyond = counterfactual_cost * max(counted - threshold_pct, 0.0) / 100.0
    return Payment(True, to_threshold, beyond,
                   share_at_threshold * to_threshold + share_above_threshold * beyond)


@dataclass(frozen=True)
class PeriodStatement:
    period: str
    baseline_demand: float
    actual_demand: float
    counterfactual: str
    counterfactual_demand: float
    reduction_pct: float | None
    threshold_met: bool
    savings: float
    payment: float
    upfront: float
    clawback: float
    #: whether the data cover the whole period (demand after the data's last day is not known)
    complete: bool

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period, "baseline_demand": self.baseline_demand,
                "actual_demand": self.actual_demand, "counterfactual": self.counterfactual,
                "counterfactual_demand": round(self.counterfactual_demand, 1),
                "reduction_pct": (None if self.reduction_pct is None
                                  else round(self.reduction_pct, 2)),
                "threshold_met": self.threshold_met, "savings": round(self.savings, 2),
                "payment": round(self.payment, 2), "upfront": round(self.upfront, 2),
                "clawback": round(self.clawback, 2), "complete": self.complete}


@dataclass(frozen=True)
class DealStatement:
    deal: Deal
    price_year: str
    pounds_per_unit: float
    unit_cost_source: str
    unit_cost_verified: bool
    periods: tuple[PeriodStatement, ...]

    def as_json(self) -> dict[str, Any]:
        d = self.deal
        return {"deal": d.slug, "name": d.name, "description": d.description,
                "cohort": d.cohort, "metric": d.metric, "metric_label": METRICS[d.metric].label,
                "baseline": d.baseline.label, "model": d.model,
                "threshold_pct": d.threshold_pct, "share_at_threshold": d.share_at_threshold,
                "share_above_threshold": d.share_above_threshold, "cap_pct": d.cap_pct,
                "counterfactual": d.counterfactual, "boroughs": list(d.boroughs),
                "price_year": self.price_year, "pounds_per_unit": round(self.pounds_per_unit, 4),
                "unit_cost": d.unit_cost, "unit_cost_source": self.unit_cost_source,
                "unit_cost_verified": self.unit_cost_verified,
                "periods": [p.as_json() for p in self.periods]}


def pounds_per_unit(deal: Deal, price_year: str) -> tuple[float, str, bool]:
    """The deal's price of one unit of its metric at ``price_year`` prices, its source and
    whether the figure is verified."""
    unit = METRICS[deal.metric].unit
    if isinstance(deal.unit_cost, str):
        cost = unit_cost(deal.unit_cost)
        return per_unit(cost, unit, price_year), cost.source, cost.verified
    from localjustice.finance.costs import convert

    assert deal.price_year is not None  # checked when the deal was read
    return convert(deal.unit_cost, deal.price_year, price_year), "the deal file", True


def _demand(demand: Demand, deal: Deal, period: str) -> float:
    if not deal.boroughs:
        return demand.value(deal.cohort, deal.metric, period, AREA)
    return sum(demand.value(deal.cohort, deal.metric, period, b) for b in deal.boroughs)


def period_statement(deal: Deal, period: str, baseline: float, actual: float,
                     counterfactual_demand: float, price: float, *,
                     complete: bool = True) -> PeriodStatement:
    """One test period's line: the pure arithmetic of the deal, given the demand figures."""
    reduction = (100.0 * (counterfactual_demand - actual) / counterfactual_demand
                 if counterfactual_demand > 0 else None)
    cost = counterfactual_demand * price
    paid = payment(reduction if reduction is not None else 0.0, cost,
                   threshold_pct=deal.threshold_pct, share_at_threshold=deal.share_at_threshold,
                   share_above_threshold=deal.share_above_threshold, cap_pct=deal.cap_pct)
    met = paid.threshold_met and reduction is not None
    savings = (counterfactual_demand - actual) * price
    upfront = clawback = 0.0
    pay = paid.payment if met else 0.0
    if deal.model == "upfront":
        upfront = deal.share_at_threshold * cost * deal.threshold_pct / 100.0
        if met:
            pay = pay - upfront
        else:
            clawback = deal.clawback_share * upfront
            pay = -clawback
    if not complete:
        # Open custody counts to the period's end, so a period the data do not yet cover is
        # not settled: no payment and no clawback until it is.
        met, pay, clawback = False, 0.0, 0.0
    return PeriodStatement(period, baseline, actual, deal.counterfactual, counterfactual_demand,
                           reduction, met, savings, pay, upfront, clawback, complete)


def deal_statement(warehouse: Warehouse, deal: Deal, *, price_year: str | None = None,
                   demand: Demand | None = None) -> DealStatement:
    """The statement of ``deal`` on the analysis zone, priced at ``price_year`` (default: the
    deal's own, else the deflator series' base year)."""
    year = price_year or deal.price_year or default_price_year()
    price, source, verified = pounds_per_unit(deal, year)
    labels = [deal.baseline.label, *(t.label for t in deal.test)]
    demand = demand or measure_demand(warehouse, labels, cohorts=(deal.cohort,))
    last: date | None = data_end(warehouse)
    baseline = _demand(demand, deal, deal.baseline.label)
    projected = _projected(warehouse, deal) if deal.counterfactual == "projection" else {}
    lines = []
    for t in deal.test:
        actual = _demand(demand, deal, t.label)
        if deal.counterfactual == "comparator":
            expected = baseline * (1.0 + deal.comparator_change_pct[t.label] / 100.0)
        elif deal.counterfactual == "projection":
            expected = projected.get(t.label, baseline)
        else:
            expected = baseline
        lines.append(period_statement(deal, t.label, baseline, actual, expected, price,
                                      complete=last is not None and last >= t.last_day))
    return DealStatement(deal, year, price, source, verified, tuple(lines))


def _projected(warehouse: Warehouse, deal: Deal) -> dict[str, float]:
    """Bed nights the custody projection expects in each test period, fitted on the data up to
    the end of the baseline (the deal's counterfactual ``projection``)."""
    from localjustice.finance.projection import projected_bed_nights

    return projected_bed_nights(warehouse, deal.cohort, fit_end=deal.baseline.end,
                                periods=deal.test)
