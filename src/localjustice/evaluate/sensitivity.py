"""Rosenbaum bounds: how strong a hidden bias in who took part would overturn the result.

Matching removes the differences the data show; a person's motivation, say, is not in the data.
Rosenbaum's sensitivity analysis (Rosenbaum 2002, *Observational Studies*, 2nd ed., Springer,
chapter 4) asks: if, within a matched set, one person could be up to ``Gamma`` times as likely to
take part as another for reasons the data do not show, how large could the p-value of the test of
no effect be? ``Gamma = 1`` is the randomised case; the **critical Gamma** is the smallest bias at
which the result would stop being significant. A critical Gamma of 1.1 says a slight hidden bias
could explain the result away; 2 or more is a robust result.

Two tests, as Rosenbaum gives them:

- a **binary outcome** (reoffended or not): in a matched set of ``n`` people of whom ``m`` have
  the outcome (one participant and ``n - 1`` comparison people), the chance that the participant
  is one of the ``m`` lies between ``m / (m + Gamma (n - m))`` and ``Gamma m / (Gamma m + n - m)``
  (Rosenbaum 2002, section 4.4, matching with multiple controls); the number of participants with
  the outcome is then a sum of independent Bernoulli variables in each set, whose distribution is
  computed exactly (a convolution of binomials, one per kind of set). With 1:1 pairs this is the
  sensitivity analysis of McNemar's test (section 4.3.2): ``Binomial(D, Gamma / (1 + Gamma))``
  over the ``D`` discordant pairs;
- a **count or duration** (proven reoffences, days): Wilcoxon's signed rank statistic on each
  set's participant-minus-comparison difference (the comparison side is the mean of the set's
  comparison people), with the large-sample bound of section 4.3.3: expectation
  ``p sum(ranks)`` and variance ``p (1 - p) sum(ranks^2)`` with ``p = Gamma / (1 + Gamma)``
  (average ranks for ties, zero differences dropped).

The test is one-sided in the direction of the estimate; the bound is compared with 0.025, half
of the Justice Data Lab's two-sided 0.05, so "significant at Gamma = 1" agrees with the estimate's
own significance in spirit (the tests differ: these are randomisation tests, the estimate's p is a
regression's). Matching *with replacement* lets one comparison person sit in several sets, which
the theory treats as separate people, so the bound is then an approximation; with subclassification
there are no matched sets of one participant and no bound is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.stats import rankdata

from localjustice.evaluate.matching import FloatArray, IntArray, MatchedSample

#: The Gammas every report shows (the critical one is found between them).
GAMMAS = (1.0, 1.1, 1.2, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0)
#: Beyond this the result is called insensitive to any plausible hidden bias.
GAMMA_MAX = 20.0
#: One-sided level: half the JDL's two-sided 0.05.
ALPHA_ONE_SIDED = 0.025


@dataclass(frozen=True)
class GammaBound:
    gamma: float
    #: The largest one-sided p-value any hidden bias of this size could give.
    p_upper: float


@dataclass(frozen=True)
class Sensitivity:
    test: str
    #: "lower" when the participants' outcome is lower (a reduction), else "higher".
    direction: str
    #: Matched sets that carry information (discordant sets; non-zero differences).
    informative_sets: int
    #: The smallest Gamma at which the bound exceeds the level; None: not even at GAMMA_MAX.
    critical_gamma: float | None
    bounds: tuple[GammaBound, ...]


def _binary_bound(kinds: dict[tuple[int, int], int], observed: int, gamma: float,
                  lower: bool) -> float:
    """P(T <= observed) (``lower``) or P(T >= observed) under the worst case at ``gamma``."""
    pmf = np.ones(1)
    for (n, m), count in kinds.items():
        p = (m / (m + gamma * (n - m))) if lower else (gamma * m / (gamma * m + n - m))
        pmf = np.convolve(pmf, stats.binom.pmf(np.arange(count + 1), count, p))
    tail = pmf[: observed + 1].sum() if lower else pmf[observed:].sum()
    return float(min(1.0, max(0.0, tail)))


def _signed_rank_bound(ranks: FloatArray, positive: np.ndarray, gamma: float) -> float:
    """P(T >= t) bound for the sum ``t`` of the ranks of differences in the tested direction."""
    p = gamma / (1 + gamma)
    observed = float(ranks[positive].sum())
    mean = p * float(ranks.sum())
    var = p * (1 - p) * float((ranks**2).sum())
    if var <= 0:
        return 1.0
    return float(stats.norm.sf((observed - mean) / math.sqrt(var)))


def _critical(bound: Callable[[float], float], alpha: float) -> float | None:
    """The smallest Gamma in [1, GAMMA_MAX] whose bound exceeds ``alpha`` (bisection, to 0.01;
    the bound rises with Gamma)."""
    if bound(1.0) > alpha:
        return 1.0
    if bound(GAMMA_MAX) <= alpha:
        return None
    low, high = 1.0, GAMMA_MAX
    while high - low > 0.005:
        middle = (low + high) / 2
        if bound(middle) > alpha:
            high = middle
        else:
            low = middle
    return round(high, 2)


def mcnemar_sensitivity(kinds: dict[tuple[int, int], int], observed: int, lower: bool,
                        alpha: float = ALPHA_ONE_SIDED,
                        gammas: tuple[float, ...] = GAMMAS) -> Sensitivity:
    """Bounds for a 0/1 outcome from the kinds of informative set: ``kinds[(n, m)]`` sets of
    ``n`` people with ``m`` outcomes (``0 < m < n``), ``observed`` of whose participants had the
    outcome. For pairs, ``kinds = {(2, 1): D}`` and ``observed`` is the pairs in which the
    participant had the outcome: McNemar's test."""
    def bound(gamma: float) -> float:
        return _binary_bound(kinds, observed, gamma, lower)

    return Sensitivity(
        test=("McNemar's test (matched pairs)" if set(kinds) <= {(2, 1)} else
              "Exact test for matched sets with a binary outcome (McNemar's, generalised)"),
        direction="lower" if lower else "higher", informative_sets=sum(kinds.values()),
        critical_gamma=_critical(bound, alpha),
        bounds=tuple(GammaBound(g, bound(g)) for g in gammas))


def _per_set(y: np.ndarray, sample: MatchedSample) -> tuple[FloatArray, FloatArray, IntArray]:
    """Each matched set's participant outcome, its comparison people's outcomes summed, and
    how many comparison people it has (sets without any are dropped by the callers)."""
    sets = int(sample.matched_set.max()) + 1 if sample.matched_set.size else 0
    is_t = sample.treated == 1
    values = y[sample.rows]
    treated_y = np.bincount(sample.matched_set[is_t], weights=values[is_t], minlength=sets)
    control_sum = np.bincount(sample.matched_set[~is_t], weights=values[~is_t], minlength=sets)
    controls = np.bincount(sample.matched_set[~is_t], minlength=sets).astype(np.int64)
    has_treated = np.bincount(sample.matched_set[is_t], minlength=sets) == 1
    keep = has_treated & (controls > 0)
    return treated_y[keep], control_sum[keep], controls[keep]


def rosenbaum_bounds(y: np.ndarray, sample: MatchedSample, rate: bool, estimate: float,
                     alpha: float = ALPHA_ONE_SIDED) -> Sensitivity | None:
    """Rosenbaum bounds for one outcome (``y`` over every input row) on the matched sets."""
    if estimate == 0 or sample.spec.method == "subclass":
        return None
    treated_y, control_sum, controls = _per_set(y, sample)
    if treated_y.size == 0:
        return None
    lower = estimate < 0
    if rate:
        n = controls + 1
        m = (treated_y + control_sum).round().astype(np.int64)
        informative = (m > 0) & (m < n)
        kinds: dict[tuple[int, int], int] = {}
        for key in zip(n[informative].tolist(), m[informative].tolist(), strict=True):
            kinds[key] = kinds.get(key, 0) + 1  # a handful of kinds of set, not people
        observed = int(treated_y[informative].round().sum())
        return mcnemar_sensitivity(kinds, observed, lower, alpha)
    difference = treated_y - control_sum / controls
    nonzero = difference != 0
    ranks = np.asarray(rankdata(np.abs(difference[nonzero])), dtype=float)
    tested = difference[nonzero] < 0 if lower else difference[nonzero] > 0

    def bound(gamma: float) -> float:
        return _signed_rank_bound(ranks, tested, gamma)

    return Sensitivity(test="Wilcoxon's signed rank test (set differences)",
                       direction="lower" if lower else "higher",
                       informative_sets=int(nonzero.sum()), critical_gamma=_critical(bound, alpha),
                       bounds=tuple(GammaBound(g, bound(g)) for g in GAMMAS))
