"""Is the comparison group like the participants? Standardised differences, overlap, sample sizes.

A matched comparison is only as good as its balance. The JDL shows the standardised difference of
every matching variable before and after matching (Justice Data Lab Methodology Paper, 2013).
Here the standardised mean difference is the difference in (weighted) means over the pooled
standard deviation *before* matching, ``sqrt((s_t^2 + s_c^2) / 2)`` (Austin 2009, "Balance
diagnostics for comparing the distribution of baseline covariates between treatment groups in
propensity-score matched samples", *Statistics in Medicine* 28:3083-3107), so the before and after
figures share a denominator and differ only by the means. A variable is balanced when its
absolute difference after matching is at most the threshold (0.1 by default, Austin's rule; the
JDL's own threshold is not published).

The effective sample size of the weighted comparison group is Kish's ``(sum w)^2 / sum w^2``: a
few comparison people reused for many participants count for less than their rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from localjustice.evaluate.matching import FloatArray, MatchedSample

DEFAULT_THRESHOLD = 0.1


@dataclass(frozen=True)
class VariableBalance:
    variable: str
    treated_mean: float
    comparison_mean_before: float
    comparison_mean_after: float
    smd_before: float
    smd_after: float


@dataclass(frozen=True)
class Balance:
    variables: tuple[VariableBalance, ...]
    threshold: float
    effective_comparison: float
    effective_treated: float

    @property
    def unbalanced(self) -> tuple[str, ...]:
        return tuple(v.variable for v in self.variables
                     if not abs(v.smd_after) <= self.threshold)  # NaN (nobody matched) fails

    @property
    def balanced(self) -> bool:
        return not self.unbalanced

    @property
    def worst_after(self) -> float:
        return max((abs(v.smd_after) for v in self.variables), default=0.0)


def kish(weights: FloatArray) -> float:
    """Kish's effective sample size of a weighted group."""
    total = float(weights.sum())
    squares = float((weights**2).sum())
    return total * total / squares if squares else 0.0


def balance(design: pd.DataFrame, treated: np.ndarray, sample: MatchedSample,
            threshold: float = DEFAULT_THRESHOLD) -> Balance:
    """Standardised mean differences of every design column, before and after matching."""
    values = design.to_numpy(dtype=float)
    t_mask = treated == 1
    before_t = values[t_mask]
    before_c = values[~t_mask]
    pooled = np.sqrt((before_t.var(axis=0, ddof=1) + before_c.var(axis=0, ddof=1)) / 2)
    matched = values[sample.rows]
    is_t = sample.treated == 1
    w_c = sample.weights[~is_t]
    if is_t.any():
        mean_t_after = matched[is_t].mean(axis=0)
        mean_c_after = (matched[~is_t] * w_c[:, None]).sum(axis=0) / w_c.sum()
    else:  # nobody matched: there is no "after", and nothing can be called balanced
        mean_t_after = mean_c_after = np.full(values.shape[1], np.nan)
    mean_c_before = before_c.mean(axis=0)
    mean_t_before = before_t.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        smd_before = np.where(pooled > 0, (mean_t_before - mean_c_before) / pooled, 0.0)
        smd_after = np.where(pooled > 0, (mean_t_after - mean_c_after) / pooled, 0.0)
    rows = tuple(
        VariableBalance(variable=str(name), treated_mean=float(mean_t_after[i]),
                        comparison_mean_before=float(mean_c_before[i]),
                        comparison_mean_after=float(mean_c_after[i]),
                        smd_before=float(smd_before[i]), smd_after=float(smd_after[i]))
        for i, name in enumerate(design.columns))
    per_person = np.bincount(sample.rows[~is_t], weights=w_c).astype(np.float64)
    return Balance(variables=rows, threshold=threshold,
                   effective_comparison=kish(per_person[per_person > 0]),
                   effective_treated=float(is_t.sum()))


def overlap(sample: MatchedSample, treated: np.ndarray, bins: int = 20) -> list[dict[str, object]]:
    """Counts of logit scores per bin, participants and non-participants, before matching."""
    try:
        edges = np.histogram_bin_edges(sample.score, bins=bins)
    except ValueError:  # scores too close together for that many bins: one bin says it all
        edges = np.histogram_bin_edges(sample.score, bins=1)
    rows: list[dict[str, object]] = []
    for group, mask in (("participants", treated == 1), ("non-participants", treated == 0)):
        counts, _ = np.histogram(sample.score[mask], bins=edges)
        rows.extend({"group": group, "score_from": float(edges[i]), "score_to": float(edges[i + 1]),
                     "people": int(n)} for i, n in enumerate(counts))
    return rows
