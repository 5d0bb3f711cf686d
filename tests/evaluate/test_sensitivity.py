"""Rosenbaum bounds against the textbook example and hand-worked matched sets.

Source of the published example: Rosenbaum, P. R. (2002), *Observational Studies*, 2nd ed.,
Springer, section 4.3.2 (the example rbounds' ``binarysens(12, 110)`` reproduces, "Example From
Rosenbaum Observational Studies Pg 112"): Hammond's (1964) 36,975 matched pairs of a heavy smoker
and a non-smoker; 122 pairs are discordant for death from lung cancer, in 110 of them the smoker
died. Rosenbaum's conclusion: the association is insensitive to a hidden bias of Gamma = 5 and
becomes sensitive at Gamma = 6 (the bound passes 0.05 between them). The exact bound is the
binomial tail P(Binomial(122, Gamma / (1 + Gamma)) >= 110), summed by hand below with math.comb.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from localjustice.evaluate import MatchingSpec, evaluate_frame
from localjustice.evaluate.sensitivity import mcnemar_sensitivity


def binomial_tail(n: int, k: int, p: float) -> float:
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


def test_hammonds_smoking_pairs_become_sensitive_between_gamma_five_and_six() -> None:
    result = mcnemar_sensitivity({(2, 1): 122}, 110, lower=False, alpha=0.05,
                                 gammas=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    assert result.test == "McNemar's test (matched pairs)"
    assert result.informative_sets == 122
    for bound in result.bounds:
        p = bound.gamma / (1 + bound.gamma)
        assert bound.p_upper == pytest.approx(binomial_tail(122, 110, p), rel=1e-9)
    by_gamma = {b.gamma: b.p_upper for b in result.bounds}
    assert by_gamma[1.0] < 1e-20 and by_gamma[4.0] < 0.01  # overwhelming without hidden bias
    assert by_gamma[5.0] < 0.05 < by_gamma[6.0]  # Rosenbaum's conclusion
    assert result.critical_gamma is not None and 5.0 < result.critical_gamma < 6.0
    gamma = result.critical_gamma
    assert binomial_tail(122, 110, (gamma - 0.01) / (1 + gamma - 0.01)) <= 0.05
    assert binomial_tail(122, 110, gamma / (1 + gamma)) > 0.05


def test_matched_sets_of_different_sizes_by_hand() -> None:
    # set A: 3 people, 1 had the outcome, it was the participant; set B: a pair, the participant
    # had it. At Gamma = 2 the participant's largest chances are 2/(2+2) and 2/(2+1), so
    # P(T >= 2) = 1/2 * 2/3 = 1/3; at Gamma = 1 they are 1/3 and 1/2: P = 1/6.
    result = mcnemar_sensitivity({(3, 1): 1, (2, 1): 1}, 2, lower=False, gammas=(1.0, 2.0))
    assert [b.p_upper for b in result.bounds] == pytest.approx([1 / 6, 1 / 3])
    assert result.critical_gamma == 1.0  # two sets can never be significant
    # the other tail: P(T <= 0) with the smallest chances 1/(1+2*2) and 1/(1+2): 4/5 * 2/3
    low = mcnemar_sensitivity({(3, 1): 1, (2, 1): 1}, 0, lower=True, gammas=(2.0,))
    assert low.bounds[0].p_upper == pytest.approx(4 / 5 * 2 / 3)


def pairs_frame(discordant_treated: int, discordant_control: int, concordant: int) -> pd.DataFrame:
    """Pairs with identical covariates in each pair (so matching pairs them exactly) and a 0/1
    outcome: ``discordant_treated`` pairs where only the participant has it, and so on."""
    rows = []
    kinds = ([(1, 0)] * discordant_treated + [(0, 1)] * discordant_control
             + [(1, 1), (0, 0)] * (concordant // 2))
    for i, (yt, yc) in enumerate(kinds):
        x = float(i)
        rows.append({"x": x, "treat": 1, "y": yt})
        rows.append({"x": x + 1e-6, "treat": 0, "y": yc})
    return pd.DataFrame(rows)


def test_the_engine_finds_the_discordant_pairs_and_reports_the_bound() -> None:
    # 10 pairs in which only the participant has the outcome, 40 in which only the comparison
    # person has it (a reduction), 30 concordant; pairs are exact by construction
    data = pairs_frame(discordant_treated=10, discordant_control=40, concordant=30)
    result = evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"],
                            spec=MatchingSpec(method="optimal", caliper=None,
                                              common_support=False), min_treated=1)
    estimate = result.estimates[0]
    assert estimate.estimate == pytest.approx(-30 / 80)
    sensitivity = estimate.sensitivity
    assert sensitivity is not None and sensitivity.direction == "lower"
    assert sensitivity.informative_sets == 50
    # by hand: P(Binomial(50, 1 / (1 + Gamma)) <= 10) at each Gamma
    for bound in sensitivity.bounds:
        p = 1 / (1 + bound.gamma)
        assert bound.p_upper == pytest.approx(1 - binomial_tail(50, 11, p), rel=1e-9)
    gamma = sensitivity.critical_gamma
    assert gamma is not None and gamma > 1.5
    assert 1 - binomial_tail(50, 11, 1 / (1 + gamma)) > 0.025


def test_a_count_outcome_gets_the_signed_rank_bound() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    data = pd.DataFrame({"x": np.concatenate([x, x + 1e-6]), "treat": [1] * 200 + [0] * 200,
                         "y": np.concatenate([rng.poisson(1.0, 200), rng.poisson(2.0, 200)])})
    result = evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"],
                            spec=MatchingSpec(method="optimal", caliper=None), min_treated=1)
    sensitivity = result.estimates[0].sensitivity
    assert sensitivity is not None and sensitivity.test.startswith("Wilcoxon")
    ps = [b.p_upper for b in sensitivity.bounds]
    assert ps == sorted(ps)  # a larger hidden bias can only weaken the evidence
    assert ps[0] < 0.001 and sensitivity.critical_gamma is not None
    assert sensitivity.critical_gamma > 1.5
