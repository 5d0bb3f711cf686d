"""The publication's finance section: the finance feed (``localjustice.finance.publish``) as the
tables the HTML report and the spreadsheet print.

The feed is already disclosure-controlled (counts of people of 1 to 4, and projected numbers of
people that round to one, are ``[c]``); this module only lays its figures out, so the report,
the spreadsheet, the /finance page and its JSON twin show the same figures. Three kinds of table:
the custody budget each cohort would bring if devolved, each shipped deal's statement by test
period, and the scenario comparison against the baseline projection with its 95% intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localjustice.errors import LocalJusticeError
from localjustice.measures import PublishedTable
from localjustice.warehouse import Warehouse

#: Simulations behind the published scenario intervals (as ``localjustice finance publish``).
SIMS = 1000
#: A figure the feed does not have (a scenario the projection could not serve).
NOT_AVAILABLE = "[x]"

DEFLATOR_NOT_VERIFIED = (
    "The GDP deflator series used to restate costs is not verified ({count} of its values are "
    "not checked against the source, {years}): each must be replaced from HM Treasury's release "
    "(GDP deflators at market prices, and money GDP) before these figures are relied on.")

BUDGET_COLUMNS = [("cohort", "Cohort"), ("budget", "Budget (£)"), ("bed_nights", "Bed nights"),
                  ("remand_bed_nights", "Of which remand"), ("receptions", "Receptions"),
                  ("price_per_night", "£ a night"), ("unit_cost", "Unit cost"),
                  ("verified", "Unit cost verified")]
DEAL_COLUMNS = [("period", "Test period"), ("complete", "Data cover the whole period"),
                ("baseline_demand", "Baseline"), ("counterfactual", "Counterfactual"),
                ("counterfactual_demand", "Counterfactual demand"),
                ("actual_demand", "Actual"), ("reduction_pct", "Reduction (%)"),
                ("threshold_met", "Threshold met"), ("savings", "Savings (£)"),
                ("payment", "Payment (£)"), ("clawback", "Clawback (£)")]
_INTERVAL_BLOCKS = [("population_end", "baseline", "Baseline population at the end"),
                    ("population_end", "scenario", "Scenario population at the end"),
                    ("population_end", "difference", "Population difference"),
                    ("bed_nights", "difference", "Bed nights difference"),
                    ("cost", "baseline", "Baseline cost (£)"),
                    ("cost", "scenario", "Scenario cost (£)"),
                    ("cost", "saving", "Saving (£)")]
_BOUNDS = (("mean", "mean"), ("low", "95% CI lower"), ("high", "95% CI upper"))
SCENARIO_COLUMNS = [("scenario", "Scenario"), ("cohort", "Cohort"), ("months", "Months"),
                    *((f"{block}_{key}_{bound}", f"{label}, {bound_label}")
                      for block, key, label in _INTERVAL_BLOCKS for bound, bound_label in _BOUNDS)]


@dataclass(frozen=True)
class FinanceSection:
    """What the report and spreadsheet print: sentences, then tables, then notes."""

    intro: list[str]
    tables: list[PublishedTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the feed itself (for the scenario chart), or None when there is no finance to publish
    feed: dict[str, Any] | None = None


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def budget_table(feed: dict[str, Any]) -> PublishedTable:
    rows = [{"cohort": b["label"], "budget": b["budget"], "bed_nights": b["bed_nights"],
             "remand_bed_nights": b["remand_bed_nights"], "receptions": b["receptions"],
             "price_per_night": b["price_per_night"], "unit_cost": b["unit_cost_label"],
             "verified": _yes(b["unit_cost_verified"])} for b in feed["budgets"]]
    return PublishedTable(
        "finance_budgets",
        f"Custody budget each cohort would bring if devolved, {feed['budget_year']}, at "
        f"{feed['price_year']} prices", BUDGET_COLUMNS, rows,
        "Cohorts overlap (a woman of 20 is in three), so the budgets do not add up.")


def deal_table(deal: dict[str, Any]) -> PublishedTable:
    rows = [{"period": p["period"], "complete": _yes(p["complete"]),
             "baseline_demand": p["baseline_demand"],
             "counterfactual": p["counterfactual"],
             "counterfactual_demand": p["counterfactual_demand"],
             "actual_demand": p["actual_demand"],
             "reduction_pct": NOT_AVAILABLE if p["reduction_pct"] is None else p["reduction_pct"],
             "threshold_met": _yes(p["threshold_met"]), "savings": p["savings"],
             "payment": p["payment"], "clawback": p["clawback"]} for p in deal["periods"]]
    return PublishedTable(
        f"finance_deal_{deal['deal']}",
        f"{deal['name']}: {deal['metric_label'].lower()}, {deal['cohort']}, against "
        f"{deal['baseline']} ({deal['model']}; {deal['price_year']} prices)",
        DEAL_COLUMNS, rows, deal.get("description", ""))


def scenario_row(scenario: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": scenario["name"], "cohort": scenario["cohort"],
                           "months": NOT_AVAILABLE}
    if "refusal" in scenario:
        row.update({name: NOT_AVAILABLE for name, _ in SCENARIO_COLUMNS[3:]})
        return row
    row["months"] = f"{scenario['from']} to {scenario['to']}"
    for block, key, _ in _INTERVAL_BLOCKS:
        for bound, _ in _BOUNDS:
            row[f"{block}_{key}_{bound}"] = scenario[block][key][bound]
    return row


def scenario_table(feed: dict[str, Any]) -> PublishedTable:
    return PublishedTable(
        "finance_scenarios",
        f"Scenarios against the baseline projection from {feed['fit_end']}, at "
        f"{feed['price_year']} prices, with 95% intervals",
        SCENARIO_COLUMNS, [scenario_row(s) for s in feed["scenarios"]],
        "The mean of the simulations with the 2.5th and 97.5th percentiles; people already in "
        "custody at the start serve as they would have.")


def section_from_feed(feed: dict[str, Any]) -> FinanceSection:
    """The finance section of a finance feed (``finance_feed``), figures copied as they are."""
    deflator = feed["deflator"]
    intro = [f"All money is at {feed['price_year']} prices, restated with the GDP deflator "
             f"({deflator['source']}). Data to {feed['data_end']}; projections from "
             f"{feed['fit_end']}.",
             "Counts of 1 to 4 people, and projected numbers of people that round to 1 to 4, "
             "are shown as [c]; bed nights and pounds do not count people. [x]: not available "
             "(a figure the projection could not make)."]
    if not deflator["verified"]:
        years = deflator.get("unverified_years", [])
        intro.append(DEFLATOR_NOT_VERIFIED.format(
            count=len(years), years=f"{years[0]} to {years[-1]}" if years else "all"))
    unverified = [c["label"] for c in feed["unit_costs"] if not c["verified"]]
    if unverified:
        intro.append("Unit costs not verified against their source: " + "; ".join(unverified)
                     + ".")
    tables, notes = [], []
    if feed["budgets"]:
        tables.append(budget_table(feed))
    else:
        notes.append("Custody budgets: the data cover no whole calendar year yet.")
    for deal in feed["deals"]:
        if "refusal" in deal:
            notes.append(f"{deal['name']}: not settled. {deal['refusal']}")
        elif deal["periods"]:
            tables.append(deal_table(deal))
    if feed["scenarios"]:
        tables.append(scenario_table(feed))
    notes += [f"{s['name']}: not projected. {s['refusal']}" for s in feed["scenarios"]
              if "refusal" in s]
    return FinanceSection(intro, tables, notes, feed)


def finance_section(warehouse: Warehouse, *, sims: int = SIMS) -> FinanceSection:
    """The finance section of the analysis zone, or one sentence saying why there is none."""
    from localjustice.finance.publish import finance_feed

    try:
        feed = finance_feed(warehouse, sims=sims)
    except LocalJusticeError as exc:
        return FinanceSection([f"No finance figures: {exc}"])
    return section_from_feed(feed)


__all__ = ["FinanceSection", "finance_section", "section_from_feed"]
