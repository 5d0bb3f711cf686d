"""Reinvestment deals as data (``deals/*.toml``), read and checked once.

A deal says whose demand is measured (``cohort``), which demand (``metric``), against which
``baseline`` period and in which ``test`` periods, how much reduction earns a payment
(``threshold_pct``), what share of the savings is paid at and beyond the threshold, up to which
reduction (``cap_pct``), whether the money is a reward after the fact or an upfront budget with
clawback (``model``), what a unit of demand costs (``unit_cost``: pounds, or a name in
``unit_costs.toml``) and what demand would have been without the deal (``counterfactual``). The
format is documented in docs/finance.md; the payment rule is ``statement.payment``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localjustice.errors import LocalJusticeError
from localjustice.finance.cohorts import load_cohorts
from localjustice.finance.costs import CostError, financial_year, unit_cost
from localjustice.finance.demand import METRICS
from localjustice.measures.period import BadPeriodError, Period, parse_period

DEALS_DIR = Path(__file__).with_name("deals")
MODELS = ("reward", "upfront")
COUNTERFACTUALS = ("none", "comparator", "projection")
REQUIRED = ("cohort", "metric", "baseline", "test", "threshold_pct", "share_at_threshold",
            "share_above_threshold", "cap_pct", "model", "unit_cost")
OPTIONAL = ("name", "description", "counterfactual", "comparator_change_pct", "boroughs",
            "price_year", "clawback_share", "source")


class DealError(LocalJusticeError):
    """A deal file that cannot be read: names the file and the key."""


@dataclass(frozen=True)
class Deal:
    slug: str
    path: Path
    name: str
    description: str
    cohort: str
    metric: str
    baseline: Period
    test: tuple[Period, ...]
    threshold_pct: float
    share_at_threshold: float
    share_above_threshold: float
    cap_pct: float
    model: str
    #: pounds per unit at ``price_year`` prices, or a name in unit_costs.toml
    unit_cost: float | str
    counterfactual: str = "none"
    comparator_change_pct: dict[str, float] = field(default_factory=dict)
    boroughs: tuple[str, ...] = ()
    price_year: str | None = None
    clawback_share: float = 1.0
    source: str = ""


def _fail(path: Path, key: str, why: str) -> DealError:
    return DealError(f"Deal file {path}: key {key!r}: {why}")


def _number(path: Path, raw: dict[str, Any], key: str, *, low: float = 0.0,
            high: float | None = None) -> float:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, key, f"must be a number, not {value!r}.")
    if value < low or (high is not None and value > high):
        upper = f" and at most {high:g}" if high is not None else ""
        raise _fail(path, key, f"must be at least {low:g}{upper}; got {value!r}.")
    return float(value)


def _period(path: Path, key: str, value: Any) -> Period:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _fail(path, key, f"must be a period like \"2024\" or \"2024Q1\", not {value!r}.")
    try:
        return parse_period(str(value))
    except BadPeriodError as exc:
        raise _fail(path, key, str(exc)) from None


def load_deal(path: Path) -> Deal:
    """Read and check one deal file; every problem names the file and the key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DealError(f"Deal file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise DealError(f"Deal file {path} is not valid TOML: {exc}") from None
    for key in REQUIRED:
        if key not in raw:
            raise _fail(path, key, "is missing (docs/finance.md lists every key).")
    unknown = set(raw) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise _fail(path, sorted(unknown)[0], "is not a deal key (docs/finance.md lists them).")
    cohorts = load_cohorts()
    if raw["cohort"] not in cohorts:
        raise _fail(path, "cohort", f"unknown cohort {raw['cohort']!r}; known: "
                                    f"{', '.join(cohorts)}.")
    if raw["metric"] not in METRICS:
        raise _fail(path, "metric", f"unknown metric {raw['metric']!r}; known: "
                                    f"{', '.join(METRICS)}.")
    if not METRICS[raw["metric"]].additive:
        raise _fail(path, "metric", f"{raw['metric']!r} is an average, so a reduction in it "
                                    "has no savings; choose a count.")
    baseline = _period(path, "baseline", raw["baseline"])
    tests = raw["test"]
    if not isinstance(tests, list) or not tests:
        raise _fail(path, "test", "must be a list of one or more periods, e.g. [\"2024\"].")
    test = tuple(_period(path, "test", t) for t in tests)
    for t in test:
        if t.start < baseline.end:
            raise _fail(path, "test", f"period {t.label} does not come after the baseline "
                                      f"{baseline.label}.")
        if t.kind != baseline.kind:
            raise _fail(path, "test", f"period {t.label} is a {t.kind} but the baseline is a "
                                      f"{baseline.kind}: compare like with like.")
    threshold = _number(path, raw, "threshold_pct", high=100)
    cap = _number(path, raw, "cap_pct", high=100)
    if cap < threshold:
        raise _fail(path, "cap_pct", f"{cap:g} is below threshold_pct {threshold:g}.")
    model = raw["model"]
    if model not in MODELS:
        raise _fail(path, "model", f"must be one of {', '.join(MODELS)}, not {model!r}.")
    counterfactual = raw.get("counterfactual", "none")
    if counterfactual not in COUNTERFACTUALS:
        raise _fail(path, "counterfactual", f"must be one of {', '.join(COUNTERFACTUALS)}, not "
                                            f"{counterfactual!r}.")
    change: dict[str, float] = {}
    if counterfactual == "comparator":
        table = raw.get("comparator_change_pct")
        if not isinstance(table, dict) or not table:
            raise _fail(path, "comparator_change_pct", "is needed with counterfactual = "
                        "\"comparator\": the comparator's change from the baseline, per test "
                        "period, in per cent (e.g. {\"2024\" = -12.0}).")
        for t in test:
            if t.label not in table:
                raise _fail(path, "comparator_change_pct", f"has no value for test period "
                                                           f"{t.label}.")
            change[t.label] = _number(path, table, t.label, low=-100)
    if counterfactual == "projection" and raw["metric"] != "custody_bed_nights":
        raise _fail(path, "counterfactual", "a projection is of custody, so it serves only "
                                            "the metric custody_bed_nights.")
    cost = raw["unit_cost"]
    if isinstance(cost, str):
        try:
            unit_cost(cost)
        except CostError as exc:
            raise _fail(path, "unit_cost", str(exc)) from None
    else:
        cost = _number(path, raw, "unit_cost")
    price_year = raw.get("price_year")
    if price_year is not None:
        try:
            price_year = financial_year(str(price_year))
        except CostError as exc:
            raise _fail(path, "price_year", str(exc)) from None
    if not isinstance(cost, str) and price_year is None:
        raise _fail(path, "price_year", "is needed when unit_cost is a number: at which year's "
                                        "prices is it?")
    return Deal(
        slug=path.stem, path=path, name=str(raw.get("name", path.stem)),
        description=str(raw.get("description", "")), cohort=raw["cohort"], metric=raw["metric"],
        baseline=baseline, test=test, threshold_pct=threshold,
        share_at_threshold=_number(path, raw, "share_at_threshold", high=1),
        share_above_threshold=_number(path, raw, "share_above_threshold", high=1),
        cap_pct=cap, model=model, unit_cost=cost, counterfactual=counterfactual,
        comparator_change_pct=change, boroughs=tuple(raw.get("boroughs", ())),
        price_year=price_year,
        clawback_share=(_number(path, raw, "clawback_share", high=1)
                        if "clawback_share" in raw else 1.0),
        source=str(raw.get("source", "")))


def shipped_deals() -> list[Path]:
    return sorted(DEALS_DIR.glob("*.toml"))


def find_deal(name_or_path: str) -> Deal:
    """A deal by file path, or by the name of a shipped deal (its file name without .toml)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return load_deal(path)
    shipped = DEALS_DIR / f"{name_or_path}.toml"
    if shipped.is_file():
        return load_deal(shipped)
    names = ", ".join(p.stem for p in shipped_deals())
    raise DealError(f"No deal {name_or_path!r}: give a deal file's path or a shipped deal "
                    f"({names}).")
