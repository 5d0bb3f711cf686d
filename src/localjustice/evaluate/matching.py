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
- ``nearest`` with ``replace=False`` takes each comparison person once, closest pairs first:
  the pair with the smallest distance is matched, then the next smallest among those left, and
  so on (greedy matching by distance, which unlike MatchIt's default does not depend on the order
  of the rows); it runs as rounds in which every participant and comparison person that are each
  other's nearest are paired at once (a "locally dominant" pair: the set of such pairs is what the
  one-at-a-time greedy method would choose), so it is array work, not a loop over people;
- ``optimal`` pairs without replacement so that the total distance is least (scipy's
  ``linear_sum_assignment``, the Hungarian method), among each participant's nearest candidates;
- ``subclass`` (stratification) cuts the score at the participants' quantiles into
  ``subclasses`` groups and weights each comparison person by the participants per comparison
  person of its group (the ATT weights of Rosenbaum and Rubin 1984 and MatchIt's
  ``method = "subclass"``); every comparison person in a group with participants is used, a group
  with no comparison person loses its participants (counted as without common support), and the
  caliper does not apply;
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

Method = Literal["nearest", "optimal", "subclass"]
METHODS: tuple[Method, ...] = ("nearest", "optimal", "subclass")
#: Subclasses of the score for ``subclass`` (MatchIt's default; Cochran 1968 showed five remove
#: about 90% of the bias of one covariate).
DEFAULT_SUBCLASSES = 6
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
    #: Nearest neighbour only: may one comparison person serve several participants?
    replace: bool = True
    #: Subclassification only: how many groups of the score.
    subclasses: int = DEFAULT_SUBCLASSES
    #: Exclude participants whose score is outside the comparison people's range (and count them).
    common_support: bool = True

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise LocalJusticeError(
                f"Unknown matching method {self.method!r}: choose one of {', '.join(METHODS)}.")
        if self.ratio < 1:
            raise LocalJusticeError(f"The matching ratio must be 1 or more; got {self.ratio}.")
        if self.subclasses < 1:
            raise LocalJusticeError(f"Subclasses must be 1 or more; got {self.subclasses}.")
        if self.caliper is not None and self.caliper <= 0:
            raise LocalJusticeError(
                f"The caliper must be a positive number of standard deviations; got {self.caliper}.")

    def describe(self) -> str:
        if self.method == "subclass":
            exact = f", exact on {', '.join(self.exact)}" if self.exact else ""
            support = "" if self.common_support else ", common support not enforced"
            return (f"subclassification into {self.subclasses} groups of a logistic propensity "
                    f"score at the participants' quantiles, comparison people weighted within "
                    f"each group{exact}{support}")
        how = ("optimal pair matching without replacement" if self.method == "optimal"
               else "nearest neighbour with replacement" if self.replace
               else "nearest neighbour without replacement, closest pairs first")
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
    if spec.method == "subclass":
        return _subclass(score, treated, np.asarray(strata, dtype=np.int64), spec)
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
        if spec.method == "nearest" and spec.replace:
            t_idx, c_idx = _nearest(score, t_rows, c_rows, spec.ratio, caliper)
        elif spec.method == "nearest":
            t_idx, c_idx = _greedy(score, t_rows, c_rows, spec.ratio, caliper)
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


def _greedy(score: FloatArray, t_rows: IntArray, c_rows: IntArray, ratio: int,
            caliper: float | None) -> tuple[IntArray, IntArray]:
    """Without replacement, closest pairs first, as rounds of mutually nearest pairs.

    Each round, every waiting participant proposes its nearest free comparison person (ties to
    the lower score) and each proposed person its nearest waiting participant; the pairs that
    chose each other are matched. If ties leave no such pair, the closest proposal is matched
    (no waiting pair can be closer), so every round matches someone. A participant whose nearest
    free person is outside the caliper stops waiting: the free set only shrinks. ``ratio``
    passes give each matched participant one more comparison person per pass."""
    order = np.argsort(score[c_rows], kind="stable")
    c_sorted = c_rows[order]
    c_score = score[c_sorted]
    t_score = score[t_rows]
    free = np.ones(c_sorted.size, dtype=bool)
    eligible = np.ones(t_rows.size, dtype=bool)
    pairs_t: list[IntArray] = []
    pairs_c: list[IntArray] = []
    for _ in range(ratio):
        waiting = eligible.copy()
        while waiting.any() and free.any():  # rounds, each matching at least one pair
            spare = np.flatnonzero(free)
            who = np.flatnonzero(waiting)
            pick, dist = _nearest_sorted(c_score[spare], t_score[who])
            if caliper is not None:
                beyond = dist > caliper
                waiting[who[beyond]] = eligible[who[beyond]] = False
                who, pick, dist = who[~beyond], pick[~beyond], dist[~beyond]
                if who.size == 0:
                    break
            t_order = np.argsort(t_score[who], kind="stable")
            back, _ = _nearest_sorted(t_score[who][t_order], c_score[spare[pick]])
            mutual = who[t_order][back] == who
            if not mutual.any():
                mutual = np.arange(who.size) == int(np.argmin(dist))
            chosen = spare[pick[mutual]]
            # two participants may share a nearest comparison person; only its choice is mutual
            pairs_t.append(t_rows[who[mutual]])
            pairs_c.append(c_sorted[chosen])
            free[chosen] = False
            waiting[who[mutual]] = False
    if not pairs_t:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return (np.concatenate(pairs_t).astype(np.int64), np.concatenate(pairs_c).astype(np.int64))


def _nearest_sorted(sorted_values: FloatArray, queries: FloatArray) -> tuple[IntArray, FloatArray]:
    """Position of each query's nearest value in a sorted array (ties to the lower), and the
    distance."""
    pos = np.searchsorted(sorted_values, queries)
    left = np.clip(pos - 1, 0, sorted_values.size - 1)
    right = np.clip(pos, 0, sorted_values.size - 1)
    d_left = np.abs(queries - sorted_values[left])
    d_right = np.abs(sorted_values[right] - queries)
    pick = np.where(d_right < d_left, right, left)
    return pick.astype(np.int64), np.minimum(d_left, d_right)


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


def _supported(score: FloatArray, t_rows: IntArray, c_rows: IntArray,
               spec: MatchingSpec) -> NDArray[np.bool_]:
    if not spec.common_support or c_rows.size == 0:
        return np.full(t_rows.size, c_rows.size > 0)
    low, high = score[c_rows].min(), score[c_rows].max()
    supported: NDArray[np.bool_] = (score[t_rows] >= low) & (score[t_rows] <= high)
    return supported


def _subclass(score: FloatArray, treated: IntArray, strata: IntArray,
              spec: MatchingSpec) -> MatchedSample:
    """Subclasses of the score within each exact stratum, with ATT weights: a comparison person
    in group ``s`` weighs (participants in s) / (comparison people in s)."""
    rows: list[IntArray] = []
    flags: list[IntArray] = []
    weights: list[FloatArray] = []
    groups: list[IntArray] = []
    off_support = 0
    next_group = 0
    for stratum in np.unique(strata):  # a handful of exact strata
        t_rows = np.flatnonzero((strata == stratum) & (treated == 1))
        c_rows = np.flatnonzero((strata == stratum) & (treated == 0))
        if t_rows.size == 0:
            continue
        keep = _supported(score, t_rows, c_rows, spec)
        off_support += int((~keep).sum())
        t_rows = t_rows[keep]
        if t_rows.size == 0:
            continue
        cuts = np.unique(np.quantile(score[t_rows], np.linspace(0, 1, spec.subclasses + 1)[1:-1]))
        t_group = np.searchsorted(cuts, score[t_rows], side="right")
        c_group = np.searchsorted(cuts, score[c_rows], side="right")
        n_t = np.bincount(t_group, minlength=cuts.size + 1)
        n_c = np.bincount(c_group, minlength=cuts.size + 1)
        lost = n_c[t_group] == 0
        off_support += int(lost.sum())
        t_rows, t_group = t_rows[~lost], t_group[~lost]
        used = n_t[c_group] > 0
        c_rows, c_group = c_rows[used], c_group[used]
        rows += [t_rows, c_rows]
        flags += [np.ones(t_rows.size, dtype=np.int64), np.zeros(c_rows.size, dtype=np.int64)]
        weights += [np.ones(t_rows.size), n_t[c_group] / n_c[c_group]]
        groups += [t_group + next_group, c_group + next_group]
        next_group += cuts.size + 1
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return MatchedSample(rows=empty, treated=empty, weights=np.empty(0), matched_set=empty,
                             score=score, off_support=off_support, outside_caliper=0,
                             treated_total=int(treated.sum()), spec=spec)
    return MatchedSample(rows=np.concatenate(rows).astype(np.int64),
                         treated=np.concatenate(flags), weights=np.concatenate(weights),
                         matched_set=np.concatenate(groups).astype(np.int64), score=score,
                         off_support=off_support, outside_caliper=0,
                         treated_total=int(treated.sum()), spec=spec)


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
