"""The effect on the participants, with its uncertainty, and how strong a hidden bias would have to be.

The estimate is the average effect on the treated (ATT): the weighted difference in mean outcome
between the participants and their matched comparison people, from a weighted least-squares
regression of the outcome on taking part (and, when asked, the matching variables, which removes
what matching left over: Ho, Imai, King and Stuart 2007, "Matching as nonparametric
preprocessing"). Standard errors are *matched-set robust*: clustered on the matched set, and with
replacement also on the comparison person (two-way), because one person reused in several sets
ties those sets together (MatchIt's "Estimating effects after matching" guidance; Abadie and
Spiess 2022). With subclassification the groups are few and large, so the errors are
heteroskedasticity-robust (HC1) on the weights instead. Intervals are 95% and two-sided.

Significance follows the Justice Data Lab: p <= 0.05 *and*, for a rate, at least 10 participants
with the outcome (JDL Methodology Paper 2013). When a difference is not significant, the
*number needed* is the number of participants at which the same difference, with the same spread
per person, would reach p = 0.05 (standard errors shrink with the square root of the sample).

Sensitivity to an unmeasured confounder is the E-value (VanderWeele and Ding 2017, "Sensitivity
analysis in observational research: introducing the E-value", *Annals of Internal Medicine*
167:268-274): the strength of association, on the risk-ratio scale, a hidden confounder would
need with both taking part and the outcome to explain the estimate away. A rate's risk ratio is
the matched rates' ratio; another outcome's is approximated from its standardised difference
``d`` as ``exp(0.91 d)`` (VanderWeele and Ding's conversion). Rosenbaum bounds on the matched
sets (``sensitivity``) answer the same question on the scale of who takes part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from localjustice.errors import LocalJusticeError
from localjustice.evaluate.matching import MatchedSample
from localjustice.evaluate.sensitivity import Sensitivity, rosenbaum_bounds

Z95 = float(stats.norm.ppf(0.975))
#: JDL: a rate's difference is significant only with at least this many participants affected.
JDL_MIN_AFFECTED = 10


@dataclass(frozen=True)
class Estimate:
    outcome: str
    kind: str  # "rate" (0/1 outcome, shown per 100) or "mean"
    treated_mean: float
    comparison_mean: float
    estimate: float
    standard_error: float
    ci_lower: float
    ci_upper: float
    p_value: float
    naive_difference: float
    matched_treated: int
    significant: bool
    number_needed: int | None
    e_value: float
    e_value_ci: float
    adjusted: bool
    #: Rosenbaum bounds on the matched sets (None with subclassification or no difference).
    sensitivity: Sensitivity | None = None


def _is_rate(values: pd.Series) -> bool:
    return bool(set(pd.unique(values.dropna())) <= {0, 1})


def effect(frame: pd.DataFrame, treatment: str, outcome: str, sample: MatchedSample,
           adjust: pd.DataFrame | None = None) -> Estimate:
    """The ATT of taking part on ``outcome`` in the matched sample."""
    if np.unique(sample.matched_set).size < 2 or sample.matched_treated < 2:
        raise LocalJusticeError("An interval needs at least two matched participants; "
                                f"{sample.matched_treated} could be matched.")
    y_all = frame[outcome].astype(float).to_numpy()
    treated_all = frame[treatment].astype(int).to_numpy()
    naive = float(y_all[treated_all == 1].mean() - y_all[treated_all == 0].mean())
    y = y_all[sample.rows]
    t = sample.treated.astype(float)
    columns = [np.ones_like(t), t]
    if adjust is not None:
        x = adjust.to_numpy(dtype=float)[sample.rows]
        x = x[:, x.std(axis=0) > 0]
        columns.extend(x.T)
    design = np.column_stack(columns)
    groups: np.ndarray = sample.matched_set
    if sample.spec.method == "nearest" and sample.spec.replace:
        groups = np.column_stack([sample.matched_set, sample.rows])
    model = sm.WLS(y, design, weights=sample.weights)
    # subclasses are a few large groups, too few to cluster on: robust (HC1) errors instead, as
    # MatchIt's guidance says for subclassification weights
    fit = (model.fit(cov_type="HC1") if sample.spec.method == "subclass" else
           model.fit(cov_type="cluster", cov_kwds={"groups": groups}))
    est = float(fit.params[1])
    se = float(fit.bse[1])
    p = float(fit.pvalues[1]) if se > 0 else (0.0 if est else 1.0)
    is_t = sample.treated == 1
    w_c = sample.weights[~is_t]
    treated_mean = float(y[is_t].mean())
    comparison_mean = float((y[~is_t] * w_c).sum() / w_c.sum())
    rate = _is_rate(frame[outcome])
    affected = treated_mean * sample.matched_treated
    significant = p <= 0.05 and (not rate or affected >= JDL_MIN_AFFECTED)
    needed = None
    if not significant and est != 0 and se > 0:
        needed = math.ceil(sample.matched_treated * (Z95 * se / abs(est)) ** 2)
    sd = float(np.std(y_all[treated_all == 0], ddof=1)) or 1.0
    e_point, e_ci = _e_values(rate, treated_mean, comparison_mean, est, se, sd)
    return Estimate(outcome=outcome, kind="rate" if rate else "mean", treated_mean=treated_mean,
                    comparison_mean=comparison_mean, estimate=est, standard_error=se,
                    ci_lower=est - Z95 * se, ci_upper=est + Z95 * se, p_value=p,
                    naive_difference=naive, matched_treated=sample.matched_treated,
                    significant=significant, number_needed=needed, e_value=e_point,
                    e_value_ci=e_ci, adjusted=adjust is not None,
                    sensitivity=rosenbaum_bounds(y_all, sample, rate, est))


def e_value(risk_ratio: float) -> float:
    """VanderWeele and Ding's E-value of a risk ratio (1 means no confounding is needed)."""
    if not math.isfinite(risk_ratio) or risk_ratio <= 0:
        return math.inf
    rr = risk_ratio if risk_ratio >= 1 else 1 / risk_ratio
    return rr + math.sqrt(rr * (rr - 1))


def _e_values(rate: bool, treated_mean: float, comparison_mean: float, est: float, se: float,
              sd: float) -> tuple[float, float]:
    """E-value of the estimate and of the interval limit nearest no effect."""
    low, high = est - Z95 * se, est + Z95 * se
    if rate and comparison_mean > 0:
        def ratio(difference: float) -> float:
            return (comparison_mean + difference) / comparison_mean
        point = e_value(treated_mean / comparison_mean)
    else:
        def ratio(difference: float) -> float:
            return math.exp(0.91 * difference / sd)
        point = e_value(ratio(est))
    if low <= 0 <= high:
        return point, 1.0
    nearest = low if est > 0 else high
    return point, e_value(max(ratio(nearest), 1e-12))
