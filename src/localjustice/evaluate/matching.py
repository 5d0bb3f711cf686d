"""Propensity score matching: who, among the people who did not take part, is like each participant.

The Justice Data Lab builds its comparison group by propensity score matching (Ministry of
Justice, *Justice Data Lab Methodology Paper*, 2013). Its exact algorithm is not published, so the
choices here follow the matching literature and say so:

- the score is an unpenalised logistic regression of taking part on the matching variables
  (statsmodels ``Logit``), and people are compared on the score's logit, whose scale is closer to
  normal than the probability's (Rosenbaum and Rubin 1985);
- ``nearest`` (the default) takes each participant's ``ratio`` nearest non-participants *with
  replacement*, within a caliper of 0.2 standard deviations of the logit score (Austin 2011,
  "Optimal caliper widths for propensity-score matching", *Pharmaceutical Statistics* 10:150-161);
  neighbours come from scikit-learn's ``NearestNeighbors``;
- ``optimal`` pairs without replacement so that the total distance is least (scipy's
  ``linear_sum_assignment``, the Hungarian method), among each participant's nearest candidates;
- variables that must agree exactly (sex, adult or youth) split the data into strata matched
  separately;
- common support: a participant whose score lies outside the range of the non-participants'
  scores in its stratum has no comparable person and is excluded and counted, never silently
  extrapolated.

The result is a *matched sample*: one row per participant and per matched comparison person within
each matched set, with the ATT weights (1 for a participant, ``1/k`` for each of its ``k``
matches), so estimation and balance read the same rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from sklearn.neighbors import NearestNeighbors
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
)

from localjustice.errors import LocalJusticeError

Method = Literal["nearest", "optimal"]
METHODS: tuple[Method, ...] = ("nearest", "optimal")
#: Austin (2011): 0.2 standard deviations of the logit of the propensity score.
DEFAULT_CALIPER = 0.2
#: Candidates per participant considered by optimal matching (times the ratio).
OPTIMAL_CANDIDATES = 10

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class MatchingSpec:
    """How to match: stated in every report, so a reader can repeat it."""

    method: Method = "nearest"
    ratio: int = 1
    caliper: float | None = DEFAULT_CALIPER
    exact: tuple[str, ...] = ()
    #: Exclude participants whose score is outside the comparison people's range (and count them).
    common_support: bool = True

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise LocalJusticeError(
                f"Unknown matching method {self.method!r}: choose one of {', '.join(METHODS)}.")
        if self.ratio < 1:
            raise LocalJusticeError(f"The matching ratio must be 1 or more; got {self.ratio}.")
        if self.caliper is not None and self.caliper <= 0:
            raise LocalJusticeError(
                f"The caliper must be a positive number of standard deviations; got {self.caliper}.")

    def describe(self) -> str:
        how = ("nearest neighbour with replacement" if self.method == "nearest"
               else "optimal pair matching without replacement")
        caliper = ("no caliper" if self.caliper is None else
                   f"a caliper of {self.caliper:g} standard deviations of the logit score")
        exact = f", exact on {', '.join(self.exact)}" if self.exact else ""
        support = "" if self.common_support else ", common support not enforced"
        return f"{self.ratio}:1 {how} on a logistic propensity score, {caliper}{exact}{support}"


@dataclass(frozen=True)
class MatchedSample:
    """Participants kept, their matches, and who was left out and why."""

    #: Row positions (into the input frame) of the matched sample, participants first per set.
    rows: IntArray
    #: 1 for a participant, 0 for a comparison person.
    treated: IntArray
    #: ATT weight of each row: 1 for a participant, 1/k for each of its k matches.
    weights: FloatArray
    #: Matched set of each row (the participant's own number).
    matched_set: IntArray
    #: Logit propensity score of every input row.
    score: FloatArray
    #: Participants excluded because no comparison person had a score in their range.
    off_support: int
    #: Participants excluded because no comparison person lay within the caliper.
    outside_caliper: int
    #: Participants in the input.
    treated_total: int
    spec: MatchingSpec

    @property
    def matched_treated(self) -> int:
        return int(self.treated.sum())

    @property
    def matched_controls(self) -> int:
        """Distinct comparison people used (one may serve several participants with replacement)."""
        return int(np.unique(self.rows[self.treated == 0]).size)


def design_matrix(frame: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Numbers for the model: numeric columns as they are, text columns as indicator columns.

    A categorical variable becomes one indicator per category but its first (drop_first), the
    usual coding for a model with an intercept."""
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise LocalJusticeError(f"No column named {', '.join(missing)} in the data.")
    parts: list[pd.DataFrame] = []
    for name in covariates:
        column = frame[name]
        if column.isna().any():
            raise LocalJusticeError(
                f"Column {name!r} has {int(column.isna().sum())} missing value(s): matching needs "
                "every variable for every person (fill or drop them first).")
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            parts.append(column.astype(float).rename(name).to_frame())
        else:
            dummies = pd.get_dummies(column.astype(str), prefix=name, prefix_sep="=",
                                     drop_first=True, dtype=float)
            parts.append(dummies)
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def propensity_score(design: pd.DataFrame, treated: IntArray) -> FloatArray:
    """Logit of the probability of taking part, from an unpenalised logistic regression."""
    x = design.loc[:, design.std(ddof=0) > 0]
    x = sm.add_constant(x.to_numpy(dtype=float), has_constant="add")
    with warnings.catch_warnings():
        # Separation and non-convergence show up in the balance check, which says so; the
        # warnings themselves would only reach a log (and name no person).
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", HessianInversionWarning)
        model = sm.Logit(treated.astype(float), x)
        try:
            fit = model.fit(disp=0, maxiter=100, method="newton")
            converged = bool(fit.mle_retvals.get("converged", True))
        except np.linalg.LinAlgError:
            converged = False
        if not converged:
            fit = model.fit(disp=0, maxiter=1000, method="bfgs")
    linear: FloatArray = np.asarray(x @ fit.params, dtype=float)
    return linear


def match(frame: pd.DataFrame, treatment: str, covariates: list[str],
          spec: MatchingSpec | None = None, design: pd.DataFrame | None = None) -> MatchedSample:
    """Match every participant (``treatment`` = 1) to comparison people (``treatment`` = 0).

    ``design`` is ``design_matrix(frame, covariates)`` when the caller has it already (the
    indicator columns of a pool of hundreds of thousands are worth building once)."""
    spec = spec or MatchingSpec()
    if treatment not in frame.columns:
        raise LocalJusticeError(f"No treatment column {treatment!r} in the data.")
    values = frame[treatment]
    if values.isna().any() or not set(pd.unique(values)) <= {0, 1}:
        raise LocalJusticeError(
            f"The treatment column {treatment!r} must hold only 0 and 1 (or true and false).")
    treated: IntArray = np.asarray(values.astype(int).to_numpy(), dtype=np.int64)
    if treated.sum() == 0 or treated.sum() == treated.size:
        raise LocalJusticeError("Matching needs both participants and non-participants.")
    for name in spec.exact:
        if name not in frame.columns:
            raise LocalJusticeError(f"No column named {name!r} to match exactly on.")
    if design is None:
        design = design_matrix(frame, covariates)
    score = propensity_score(design, treated)
    caliper = None if spec.caliper is None else spec.caliper * float(np.std(score, ddof=1))
    strata = (frame.groupby(list(spec.exact), sort=True, dropna=False).ngroup().to_numpy()
              if spec.exact else np.zeros(len(frame), dtype=np.int64))
    pairs_t: list[IntArray] = []
    pairs_c: list[IntArray] = []
    off_support = 0
    outside = 0
    for stratum in np.unique(strata):  # a handful of strata, each matched set-wise
        t_rows = np.flatnonzero((strata == stratum) & (treated == 1))
        c_rows = np.flatnonzero((strata == stratum) & (treated == 0))
        if t_rows.size == 0:
            continue
        if c_rows.size == 0:
            off_support += t_rows.size
            continue
        low, high = score[c_rows].min(), score[c_rows].max()
        supported = ((score[t_rows] >= low) & (score[t_rows] <= high) if spec.common_support
                     else np.ones(t_rows.size, dtype=bool))
        off_support += int((~supported).sum())
        t_rows = t_rows[supported]
        if t_rows.size == 0:
            continue
        if spec.method == "nearest":
            t_idx, c_idx = _nearest(score, t_rows, c_rows, spec.ratio, caliper)
        else:
            t_idx, c_idx = _optimal(score, t_rows, c_rows, spec.ratio, caliper)
        outside += t_rows.size - np.unique(t_idx).size
        pairs_t.append(t_idx)
        pairs_c.append(c_idx)
    t_all = np.concatenate(pairs_t) if pairs_t else np.empty(0, dtype=np.int64)
    c_all = np.concatenate(pairs_c) if pairs_c else np.empty(0, dtype=np.int64)
    return _sample(t_all, c_all, score, spec, off_support, outside, int(treated.sum()))


def _nearest(score: FloatArray, t_rows: IntArray, c_rows: IntArray, ratio: int,
             caliper: float | None) -> tuple[IntArray, IntArray]:
    """Each participant's ``ratio`` nearest comparison people, with replacement, in the caliper."""
    k = min(ratio, c_rows.size)
    finder = NearestNeighbors(n_neighbors=k).fit(score[c_rows].reshape(-1, 1))
    distance, index = finder.kneighbors(score[t_rows].reshape(-1, 1))
    keep = np.ones_like(distance, dtype=bool) if caliper is None else distance <= caliper
    t_idx = np.repeat(t_rows, k).reshape(-1, k)[keep]
    c_idx = c_rows[index][keep]
    return t_idx.astype(np.int64), c_idx.astype(np.int64)


def _optimal(score: FloatArray, t_rows: IntArray, c_rows: IntArray, ratio: int,
             caliper: float | None) -> tuple[IntArray, IntArray]:
    """Pairs without replacement minimising the total distance (Hungarian method).

    Only each participant's nearest candidates enter the cost matrix, so a pool of hundreds of
    thousands stays a small problem; ``ratio`` copies of each participant give k:1 matching."""
    width = min(c_rows.size, max(OPTIMAL_CANDIDATES * ratio, ratio))
    finder = NearestNeighbors(n_neighbors=width).fit(score[c_rows].reshape(-1, 1))
    _, index = finder.kneighbors(score[t_rows].reshape(-1, 1))
    pool = np.unique(index)
    if pool.size < t_rows.size * ratio:  # too few near candidates: let every one compete
        pool = np.arange(c_rows.size)
    copies = np.repeat(t_rows, ratio)
    cost = np.abs(score[copies][:, None] - score[c_rows[pool]][None, :])
    t_pos, c_pos = linear_sum_assignment(cost)
    chosen_cost = cost[t_pos, c_pos]
    keep = np.ones_like(chosen_cost, dtype=bool) if caliper is None else chosen_cost <= caliper
    return copies[t_pos][keep].astype(np.int64), c_rows[pool[c_pos]][keep].astype(np.int64)


def _sample(t_idx: IntArray, c_idx: IntArray, score: FloatArray, spec: MatchingSpec,
            off_support: int, outside: int, treated_total: int) -> MatchedSample:
    """Rows of the matched sample with ATT weights, one matched set per participant."""
    participants, set_of_pair = np.unique(t_idx, return_inverse=True)
    per_set = np.bincount(set_of_pair, minlength=participants.size).astype(float)
    rows = np.concatenate([participants, c_idx])
    treated = np.concatenate([np.ones(participants.size, dtype=np.int64),
                              np.zeros(c_idx.size, dtype=np.int64)])
    weights = np.concatenate([np.ones(participants.size), 1.0 / per_set[set_of_pair]])
    matched_set = np.concatenate([np.arange(participants.size), set_of_pair]).astype(np.int64)
    return MatchedSample(rows=rows.astype(np.int64), treated=treated, weights=weights,
                         matched_set=matched_set, score=score, off_support=off_support,
                         outside_caliper=outside, treated_total=treated_total, spec=spec)
