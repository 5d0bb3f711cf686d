"""Custody demand projected month by month: a stock-flow model of one cohort's custody
population, with uncertainty from simulation.

As the Ministry of Justice projects the prison population (flows of receptions and time served
that count the population each month; "Prison population projections", methodology) and the
public US tools do (JFA's "Wizard", the Urban Institute's Prison Population Forecaster), for
three flows of each cohort: remand, sentences of 12 months or less, and longer sentences:

- **Receptions**: monthly counts fitted with a Poisson regression on a linear trend and, with two
  years of data or more, the month of the year (statsmodels GLM), on the last ``FIT_MONTHS``
  months before the fit date (the trend only where it is clear, p < ``TREND_P_VALUE``: an
  extrapolated chance rise overshot the synthetic London's backtest by 7%; the season only
  where a likelihood-ratio test is below ``SEASON_P_VALUE``: eleven month effects from two
  years' data widened the intervals of a flow with no season by a fifth), leaving out the
  first ``WARM_UP_MONTHS`` of the data (remands and recalls of cases begun before the data
  start are missing from them).
- **Time served**: the Kaplan-Meier survival curve of custody lengths (statsmodels
  ``SurvfuncRight``), with periods still open at the fit date censored there; beyond the longest
  observed length the curve falls away exponentially with a mean of ``TAIL_DAYS``.
- **Stock**: the people in custody at the fit date, each staying on with the curve's chance given
  the time already served; **releases** are what leaves.
- **Population** on a night is everyone received by that day and not yet released (the bed
  night rule of ``demand``); **bed nights** in a month are the sum over its nights.

Uncertainty, ``sims`` simulations (vectorised numpy): each draws the reception model's
coefficients from their estimated sampling distribution, the daily receptions as Poisson counts
from it, and adds the binomial spread of who is still in custody at each month end (a normal
approximation). Intervals are the 2.5th to 97.5th percentiles. Bed night intervals carry the
reception and coefficient uncertainty only. Scenarios (``scenarios``) change the flows of new
receptions (the people already in custody serve as they would have), with common random numbers,
so a scenario's difference from the baseline is not simulation noise.
"""

from __future__ import annotations

import calendar
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy.signal import fftconvolve
from scipy.stats import chi2
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from localjustice.errors import LocalJusticeError
from localjustice.finance.cohorts import cohort_match_sql, cohorts_sql
from localjustice.finance.demand import custody_pipeline
from localjustice.measures.period import Period, add_months, parse_period
from localjustice.measures.pipeline import Pipeline, Step, fetch_dicts, first_rows_sql
from localjustice.measures.sentencing import SHORT_CUSTODY_DAYS
from localjustice.warehouse import Warehouse
from localjustice.warehouse.analysis_layout import EVENT_TABLE

FLOWS = ("remand", "sentenced_short", "sentenced_long")
FLOW_LABELS = {"remand": "Remand", "sentenced_short": "Sentences of 12 months or less",
               "sentenced_long": "Sentences of more than 12 months"}
FIT_MONTHS = 24
#: A reception trend is extrapolated only when its p-value is below this.
TREND_P_VALUE = 0.01
#: And a season only when a likelihood-ratio test puts its p-value below this.
SEASON_P_VALUE = 0.01
WARM_UP_MONTHS = 6
#: Mean of the exponential tail of time served beyond the longest length observed (days).
TAIL_DAYS = 365
SIMS = 1000
#: Mean receptions a month below which no seasonal pattern is fitted, and total receptions below
#: which no trend is (the level alone).
MIN_SEASONAL_MONTHLY = 10
MIN_TREND_TOTAL = 30
INTERVAL = (2.5, 97.5)


class ProjectionError(LocalJusticeError):
    pass


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def flow_pipeline(warehouse: Warehouse, cohort: str, fit_end: date) -> Pipeline:
    """The cohort's custody periods with their flow (remand; sentenced of 12 months or less, by
    the longest custodial sentence passed on them by the day of reception; longer), and what was
    known of each at ``fit_end``: received, and released or still open."""
    dialect = warehouse.dialect
    end = f"DATE '{fit_end.isoformat()}'"
    custody = custody_pipeline([parse_period("2000")], dialect, (cohort,)).steps[0]
    return Pipeline.of([
        custody,
        Step("cohort_custody", f"""
            SELECT c.* FROM custody AS c CROSS JOIN {cohorts_sql((cohort,))}
            WHERE {cohort_match_sql('c.age', 'c.sex', (cohort,))} AND c.received < {end}"""),
        Step("flow", first_rows_sql(f"""
            SELECT c.event_key, c.received,
                   CASE WHEN c.released < {end} THEN c.released END AS released,
                   CASE WHEN c.custody_type = 'remand' THEN 'remand'
                        WHEN s.custody_days <= {SHORT_CUSTODY_DAYS} THEN 'sentenced_short'
                        ELSE 'sentenced_long' END AS flow,
                   s.event_date AS sentence_date, s.custody_days
            FROM cohort_custody AS c
            LEFT JOIN {EVENT_TABLE} AS s
              ON s.person_id = c.person_id AND s.event_type = 'court_outcome'
             AND s.outcome = 'convicted' AND s.sentence_type = 'immediate_custody'
             AND s.event_date <= c.received AND c.custody_type = 'sentenced'""",
            ("event_key", "received", "released", "flow"), partition_by="event_key",
            order_by="sentence_date DESC NULLS LAST, custody_days DESC NULLS LAST")),
        Step("receptions", """
            SELECT flow, year(received) * 12 + month(received) - 1 AS month, count(*) AS n
            FROM flow GROUP BY flow, year(received) * 12 + month(received) - 1"""),
        Step("lengths", f"""
            SELECT flow, coalesce({dialect.date_diff_days('received', 'released')},
                                  {dialect.date_diff_days('received', end)}) AS days,
                   CASE WHEN released IS NULL THEN 1 ELSE 0 END AS open_at_fit, count(*) AS n
            FROM flow GROUP BY 1, 2, 3"""),
    ], name="finance_projection")


@dataclass(frozen=True)
class FlowData:
    """What the data say of one flow at the fit date."""

    flow: str
    #: receptions per calendar month index (year * 12 + month - 1)
    receptions: dict[int, int]
    #: custody lengths (days), whether still open at the fit date, how many
    days: NDArray[np.float64]
    open_at_fit: NDArray[np.bool_]
    counts: NDArray[np.float64]


def read_flows(warehouse: Warehouse, cohort: str, fit_end: date) -> dict[str, FlowData]:
    pipe = pipeline = flow_pipeline(warehouse, cohort, fit_end)
    received = pipe.run(warehouse, "receptions")
    lengths = pipeline.run(warehouse, "lengths")
    out = {}
    for flow in FLOWS:
        rows = [r for r in lengths if r["flow"] == flow]
        out[flow] = FlowData(
            flow, {int(r["month"]): int(r["n"]) for r in received if r["flow"] == flow},
            np.array([float(r["days"]) for r in rows]),
            np.array([bool(r["open_at_fit"]) for r in rows], dtype=bool),
            np.array([float(r["n"]) for r in rows]))
    return out


def survival_curve(days: NDArray[np.float64], open_at_fit: NDArray[np.bool_],
                   counts: NDArray[np.float64], horizon: int) -> NDArray[np.float64]:
    """S(k) = P(time served > k days) for k = 0 .. horizon - 1: Kaplan-Meier with the still-open
    periods censored, an exponential tail (mean ``TAIL_DAYS``) beyond the longest length seen."""
    k = np.arange(horizon, dtype=np.float64)
    if counts.sum() == 0:
        return np.zeros(horizon)
    closed = ~open_at_fit
    if not closed.any():
        return np.exp(-k / TAIL_DAYS)
    # Open at the fit date after e nights means T >= e, i.e. T > e - 1: censored between.
    fit = SurvfuncRight(np.where(closed, days, days - 0.5), closed.astype(float),
                        freq_weights=counts)
    times, probs = np.asarray(fit.surv_times, dtype=float), np.asarray(fit.surv_prob, dtype=float)
    # S(k) is the survival just after the last event time at or before k (P(T > k)).
    at = np.searchsorted(times, k, side="right") - 1
    curve = np.where(at >= 0, probs[np.clip(at, 0, None)], 1.0)
    longest = float(days.max())
    tail = k > longest
    last = curve[min(int(longest), horizon - 1)] if horizon else 0.0
    curve[tail] = last * np.exp(-(k[tail] - longest) / TAIL_DAYS)
    return curve


@dataclass(frozen=True)
class ReceptionModel:
    """log(receptions in month) = b0 + b1 * months since the fit start (+ month of year)."""

    params: NDArray[np.float64]
    cov: NDArray[np.float64]
    first_month: int
    seasonal: bool

    def design(self, months: NDArray[np.int64]) -> NDArray[np.float64]:
        t = (months - self.first_month).astype(float)
        columns = [np.ones_like(t), t]
        if self.seasonal:
            columns += [(months % 12 == m).astype(float) for m in range(1, 12)]
        return np.column_stack(columns)

    def expected(self, months: NDArray[np.int64]) -> NDArray[np.float64]:
        """Expected receptions a day in each month (the model's exposure is the month's days,
        so a leap February is not a short one)."""
        return np.asarray(np.exp(self.design(months) @ self.params))

    def draws(self, months: NDArray[np.int64], sims: int,
              rng: np.random.Generator) -> NDArray[np.float64]:
        """Expected receptions a day in each month (sims x months) with coefficients drawn from
        their sampling distribution."""
        beta = rng.multivariate_normal(self.params, self.cov, size=sims, method="svd")
        return np.asarray(np.exp(np.clip(beta @ self.design(months).T, -30, 30)))


def fit_receptions(receptions: dict[int, int], fit_start: int, fit_end: int) -> ReceptionModel:
    """The Poisson regression of monthly receptions on trend and season (module doc)."""
    with warnings.catch_warnings():
        # A flow that fits exactly (a constant, hand-built flow) is no cause for alarm.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        return _fit_receptions(receptions, fit_start, fit_end)


def _glm(y: NDArray[np.float64], design: NDArray[np.float64], exposure: NDArray[np.float64],
         used: list[int]) -> Any:
    return sm.GLM(y, design[:, used], family=sm.families.Poisson(), offset=exposure).fit()


def _fit_receptions(receptions: dict[int, int], fit_start: int, fit_end: int) -> ReceptionModel:
    months = np.arange(fit_start, fit_end, dtype=np.int64)
    y = np.array([receptions.get(int(m), 0) for m in months], dtype=float)
    if len(months) < 6:
        raise ProjectionError(f"Only {len(months)} month(s) of receptions before the fit date; "
                              "the projection needs at least 6.")
    # A season needs two years and enough receptions a month to estimate twelve levels; a
    # trend needs enough receptions not to chase a handful (else the level alone).
    seasonal = len(months) >= 24 and y.mean() >= MIN_SEASONAL_MONTHLY
    trend = y.sum() >= MIN_TREND_TOTAL
    model = ReceptionModel(np.zeros(2 + 11 * seasonal), np.zeros((2 + 11 * seasonal,) * 2),
                           fit_start, seasonal)
    if y.sum() == 0:
        params = np.zeros(model.params.shape)
        params[0] = -30.0
        return ReceptionModel(params, np.zeros(model.cov.shape), fit_start, seasonal)
    design = model.design(months)
    exposure = np.log([calendar.monthrange(int(m) // 12, int(m) % 12 + 1)[1] for m in months])
    season = list(range(2, design.shape[1]))
    used = [0, *([1] if trend else []), *season]
    result = _glm(y, design, exposure, used)
    if trend and float(result.pvalues[1]) >= TREND_P_VALUE:
        # A trend the data do not show clearly is not extrapolated.
        used.remove(1)
        result = _glm(y, design, exposure, used)
    if season:
        # Nor is a season: eleven month effects from two years are mostly noise unless the
        # data show them clearly (a likelihood-ratio test against the model without them).
        without = [u for u in used if u not in season]
        plain = _glm(y, design, exposure, without)
        if chi2.sf(float(plain.deviance - result.deviance), len(season)) >= SEASON_P_VALUE:
            used, result = without, plain
    params = np.zeros(model.params.shape)
    cov = np.zeros(model.cov.shape)
    params[used] = np.asarray(result.params, dtype=float)
    cov[np.ix_(used, used)] = np.asarray(result.cov_params(), dtype=float)
    return ReceptionModel(params, (cov + cov.T) / 2, fit_start, seasonal)


@dataclass(frozen=True)
class FlowChange:
    """What a scenario does to one flow's new receptions."""

    flow: str
    receptions_pct: float = 0.0
    time_served_pct: float = 0.0
    #: the unit cost (unit_costs.toml) of the alternative each diverted reception receives
    diverted_to: str | None = None


@dataclass(frozen=True)
class Projection:
    cohort: str
    fit_end: date
    months: tuple[str, ...]
    #: per flow and "total": population at each month end, sims x months
    population: dict[str, NDArray[np.float64]]
    #: per flow and "total": bed nights in each month, sims x months
    bed_nights: dict[str, NDArray[np.float64]]
    #: the point projection (coefficients at their estimates, no noise), per flow and "total"
    expected_population: dict[str, NDArray[np.float64]]
    expected_bed_nights: dict[str, NDArray[np.float64]]
    #: receptions diverted per flow (sims x months), for the cost of the alternative
    diverted: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    def summary(self, values: NDArray[np.float64]) -> dict[str, list[float]]:
        low, high = np.percentile(values, INTERVAL, axis=0)
        return {"mean": values.mean(axis=0).round(1).tolist(),
                "low": low.round(1).tolist(), "high": high.round(1).tolist()}


@dataclass(frozen=True)
class FittedCohort:
    """Everything the projection needs, read and fitted once (so scenarios share it)."""

    cohort: str
    fit_end: date
    models: dict[str, ReceptionModel]
    #: survival curves S(k), k = 0 .. length - 1
    curves: dict[str, NDArray[np.float64]]
    #: the people in custody at the fit date: days already served and how many, per flow
    stock: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]


def fit_cohort(warehouse: Warehouse, cohort: str, fit_end: date, *, horizon_days: int,
               fit_months: int = FIT_MONTHS) -> FittedCohort:
    flows = read_flows(warehouse, cohort, fit_end)
    first = min((m for f in flows.values() for m in f.receptions), default=None)
    if first is None:
        raise ProjectionError(f"No custody receptions of cohort {cohort!r} before {fit_end}.")
    end_month = _month_index(fit_end)
    start = max(first + WARM_UP_MONTHS, end_month - fit_months)
    longest = max((float(f.days.max()) for f in flows.values() if len(f.days)), default=0.0)
    length = int(horizon_days + longest + 2)
    models, curves, stock = {}, {}, {}
    for flow, data in flows.items():
        models[flow] = fit_receptions(data.receptions, start, end_month)
        curves[flow] = survival_curve(data.days, data.open_at_fit, data.counts, length)
        stock[flow] = (data.days[data.open_at_fit], data.counts[data.open_at_fit])
    return FittedCohort(cohort, fit_end, models, curves, stock)


def _scaled_curve(curve: NDArray[np.float64], pct: float) -> NDArray[np.float64]:
    """S'(k) = S(k / (1 + pct/100)): every new period's time served changed by ``pct``."""
    if pct == 0:
        return curve
    k = np.arange(len(curve), dtype=float)
    return np.asarray(np.interp(k / (1.0 + pct / 100.0), k, curve))


def project(fitted: FittedCohort, months: int, *, sims: int = SIMS, seed: int = 1,
            changes: Sequence[FlowChange] = ()) -> Projection:
    """Population and bed nights for ``months`` months from the fit date (module doc)."""
    start = _month_index(fitted.fit_end)
    if fitted.fit_end.day != 1:
        raise ProjectionError("The fit date must be the first day of a month.")
    month_ids = np.arange(start, start + months, dtype=np.int64)
    lengths = np.array([calendar.monthrange(int(m) // 12, int(m) % 12 + 1)[1] for m in month_ids])
    horizon = int(lengths.sum())
    month_of_day = np.repeat(np.arange(months), lengths)
    month_ends = np.cumsum(lengths) - 1
    by_flow = {c.flow: c for c in changes}
    population: dict[str, NDArray[np.float64]] = {}
    nights: dict[str, NDArray[np.float64]] = {}
    expected_pop: dict[str, NDArray[np.float64]] = {}
    expected_nights: dict[str, NDArray[np.float64]] = {}
    diverted: dict[str, NDArray[np.float64]] = {}
    for number, flow in enumerate(FLOWS):
        # One stream per flow and one for thinning: a scenario's changes leave the baseline's
        # random numbers where they were (common random numbers).
        rng = np.random.default_rng((seed, number))
        thinning = np.random.default_rng((seed, number, 1))
        change = by_flow.get(flow, FlowChange(flow))
        keep = 1.0 + change.receptions_pct / 100.0
        model, curve = fitted.models[flow], fitted.curves[flow]
        new_curve = _scaled_curve(curve, change.time_served_pct)[:horizon]
        # The stock: P(still in on night t) = S(e + t) / S(e - 1) for e days already served.
        served, counts = fitted.stock[flow]
        index = served[:, None] + np.arange(horizon)[None, :]
        before = np.interp(served - 1, np.arange(len(curve)), curve)[:, None]
        stay = np.where(before > 0, np.interp(index, np.arange(len(curve)), curve)
                        / np.where(before > 0, before, 1.0), 0.0)
        stock_mean = (counts[:, None] * stay).sum(axis=0)
        stock_var = (counts[:, None] * stay * (1 - stay)).sum(axis=0)
        # New receptions: daily rates from the monthly model.
        per_day_point = model.expected(month_ids)[month_of_day]
        point = fftconvolve(per_day_point * keep, new_curve)[:horizon] + stock_mean
        rates = model.draws(month_ids, sims, rng)[:, month_of_day]
        arrivals = rng.poisson(rates).astype(float)
        kept = (thinning.binomial(arrivals.astype(np.int64), keep).astype(float) if keep < 1.0
                else arrivals * keep)
        mean_new = fftconvolve(kept, new_curve[None, :], axes=1)[:, :horizon]
        var_new = fftconvolve(kept, (new_curve * (1 - new_curve))[None, :], axes=1)[:, :horizon]
        daily = np.clip(mean_new, 0, None) + stock_mean[None, :]
        spread = np.sqrt(np.clip(var_new[:, month_ends] + stock_var[None, month_ends], 0, None))
        population[flow] = np.clip(daily[:, month_ends]
                                   + spread * rng.standard_normal(spread.shape), 0, None)
        nights[flow] = np.add.reduceat(daily, np.r_[0, month_ends[:-1] + 1], axis=1)
        expected_pop[flow] = point[month_ends]
        expected_nights[flow] = np.add.reduceat(point, np.r_[0, month_ends[:-1] + 1])
        diverted[flow] = np.add.reduceat(arrivals - kept, np.r_[0, month_ends[:-1] + 1], axis=1)
    for table in (population, nights, expected_pop, expected_nights):
        table["total"] = sum((table[f] for f in FLOWS), start=np.zeros_like(table[FLOWS[0]]))
    labels = tuple(f"{m // 12}-{m % 12 + 1:02d}" for m in month_ids)
    return Projection(fitted.cohort, fitted.fit_end, labels, population, nights, expected_pop,
                      expected_nights, diverted)


def actual_population(warehouse: Warehouse, cohort: str, month_starts: Sequence[date]) -> list[int]:
    """People of the cohort in custody on the night of each month's last day (the projection's
    month-end population), counted in the engine."""
    ends = [date.fromordinal(add_months(m, 1).toordinal() - 1) for m in month_starts]
    days = ", ".join(f"(DATE '{d.isoformat()}')" for d in ends)
    custody = custody_pipeline([parse_period("2000")], warehouse.dialect, (cohort,)).steps[0]
    sql = Pipeline.of([custody]).sql("custody", f"""
        SELECT d.day, count(c.event_key) AS held
        FROM (VALUES {days}) AS d(day)
        LEFT JOIN (SELECT c.* FROM custody AS c CROSS JOIN {cohorts_sql((cohort,))}
                   WHERE {cohort_match_sql('c.age', 'c.sex', (cohort,))}) AS c
          ON c.received <= d.day AND (c.released IS NULL OR c.released > d.day)
        GROUP BY d.day ORDER BY d.day""")
    return [int(r["held"]) for r in fetch_dicts(warehouse, sql, step="finance: population")]


@dataclass(frozen=True)
class Backtest:
    cohort: str
    fit_end: date
    months: tuple[str, ...]
    actual: tuple[int, ...]
    projected: tuple[float, ...]
    mape: float
    #: the error the model itself expects: the median, over its simulated futures, of the
    #: median projection's MAPE against each (None when every future has a month with nobody)
    expected_mape: float | None = None


def expected_mape(paths: NDArray[np.float64]) -> float | None:
    """What a backtest's MAPE would be if the model were exactly right: chance alone.

    A month-end population of people each received and released at random is about Poisson,
    so a month of N people is off by some sqrt(2N/pi) (about 15% at 30 people, 3% at 600)
    however good the model; a backtest's 5% target means something only where this is below it.
    Futures with a month of nobody (no percentage) are left out."""
    point = np.median(paths, axis=0)
    whole = paths[(paths > 0).all(axis=1)]
    if not len(whole):
        return None
    return round(float(np.median(np.mean(np.abs(point - whole) / whole, axis=1)) * 100), 2)


def backtest(warehouse: Warehouse, cohort: str, fit_end: date, *, months: int = 12,
             sims: int = 200, seed: int = 1) -> Backtest:
    """Fit on the data before ``fit_end``, project ``months`` months, and compare the median
    projected month-end population with what the data show: mean absolute percentage error,
    beside the error chance alone would give (``expected_mape``)."""
    fitted = fit_cohort(warehouse, cohort, fit_end, horizon_days=31 * months)
    result = project(fitted, months, sims=sims, seed=seed)
    paths = result.population["total"]
    projected = np.median(paths, axis=0)
    starts = [add_months(fit_end, i) for i in range(months)]
    actual = np.array(actual_population(warehouse, cohort, starts), dtype=float)
    if (actual == 0).any():
        raise ProjectionError(f"Cohort {cohort!r} has a month with nobody in custody: the "
                              "percentage error is not defined.")
    mape = float(np.mean(np.abs(projected - actual) / actual) * 100)
    return Backtest(cohort, fit_end, result.months, tuple(int(a) for a in actual),
                    tuple(float(round(p, 1)) for p in projected), round(mape, 2),
                    expected_mape(paths))


def projected_bed_nights(warehouse: Warehouse, cohort: str, *, fit_end: date,
                         periods: Sequence[Period]) -> dict[str, float]:
    """Expected bed nights in each period (months from ``fit_end`` on), the point projection."""
    last = max(p.end for p in periods)
    months = _month_index(last) - _month_index(fit_end)
    fitted = fit_cohort(warehouse, cohort, fit_end, horizon_days=31 * months)
    result = project(fitted, months, sims=1)
    nights = result.expected_bed_nights["total"]
    out = {}
    for p in periods:
        a, b = _month_index(p.start) - _month_index(fit_end), _month_index(p.end) - _month_index(fit_end)
        out[p.label] = float(nights[max(a, 0):b].sum())
    return out


def default_fit_end(last_day: date) -> date:
    """The first day of the month after the last complete month of data."""
    following = date.fromordinal(last_day.toordinal() + 1)
    return date(following.year, following.month, 1) if following.day == 1 else date(
        last_day.year, last_day.month, 1)


__all__ = ["FLOWS", "Backtest", "FittedCohort", "FlowChange", "Projection", "ProjectionError",
           "actual_population", "backtest", "default_fit_end", "expected_mape", "fit_cohort",
           "project",
           "projected_bed_nights", "survival_curve"]
