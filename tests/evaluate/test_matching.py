"""Matching, balance and estimation on hand-worked cases small enough to check on paper.

With one covariate the logit score is a straight line in it, so "nearest on the score" is
"nearest on the covariate", and every matched pair below can be read off by eye.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from localjustice.errors import LocalJusticeError
from localjustice.evaluate import MatchingSpec, e_value, evaluate_frame, read_table
from localjustice.evaluate.balance import kish

CONTROLS = [0.0, 1.1, 2.0, 4.8, 6.0, 8.7, 10.0, 3.0, 7.0]
TREATED = [1.0, 5.0, 9.0, 2.9, 7.2]


def frame(treated: list[float] = TREATED, controls: list[float] = CONTROLS,
          effect: float = 5.0) -> pd.DataFrame:
    x = treated + controls
    t = [1] * len(treated) + [0] * len(controls)
    y = [10 * xi + effect * ti for xi, ti in zip(x, t, strict=True)]
    return pd.DataFrame({"x": x, "treat": t, "y": y})


def run(data: pd.DataFrame, spec: MatchingSpec, **kw: object):  # type: ignore[no-untyped-def]
    return evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"], spec=spec,
                          min_treated=1, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["nearest", "optimal"])
def test_each_participant_gets_its_nearest_comparison_person(method: str) -> None:
    # pairs by eye: 1->1.1, 5->4.8, 9->8.7, 2.9->3, 7.2->7; differences 10*dx + 5 = 4, 7, 8, 4, 7
    result = run(frame(), MatchingSpec(method=method, caliper=None))  # type: ignore[arg-type]
    sample = result.sample
    data = frame()
    pairs = sorted((float(data.x[t]), float(data.x[c]))
                   for t, c in zip(sample.rows[sample.treated == 1],
                                   sample.rows[sample.treated == 0], strict=True))
    assert pairs == [(1.0, 1.1), (2.9, 3.0), (5.0, 4.8), (7.2, 7.0), (9.0, 8.7)]
    assert result.estimates[0].estimate == pytest.approx(6.0)
    assert result.estimates[0].naive_difference == pytest.approx(
        statistics.mean([10 * x + 5 for x in TREATED]) - statistics.mean([10 * x for x in CONTROLS]))


def test_with_replacement_one_person_serves_two_participants_and_counts_less() -> None:
    # the groups' means differ (4.9 against 4.76): with equal means the logistic slope is exactly
    # 0, every score is the same and which neighbour is "nearest" is floating-point noise
    data = frame(treated=[4.9, 4.7, 1.0, 9.0], controls=[4.8, 0.5, 9.5, 2.0, 5.5, 8.0, 3.0])
    result = run(data, MatchingSpec(method="nearest", caliper=None))
    sample = result.sample
    used = data.x.to_numpy()[sample.rows[sample.treated == 0]]
    assert sorted(used.tolist()) == [0.5, 4.8, 4.8, 9.5]
    # weights per person 2, 1, 1: Kish's effective size (2+1+1)^2 / (4+1+1) = 16/6
    assert result.balance.effective_comparison == pytest.approx(16 / 6)
    assert sample.matched_controls == 3
    # without replacement the second participant near 4.8 takes the next nearest, 5.5
    optimal = run(data, MatchingSpec(method="optimal", caliper=None)).sample
    assert optimal.matched_controls == 4


def test_a_ratio_of_two_gives_each_match_half_a_participants_weight() -> None:
    result = run(frame(), MatchingSpec(method="nearest", ratio=2, caliper=None))
    sample = result.sample
    assert np.allclose(sample.weights[sample.treated == 0], 0.5)
    assert (sample.treated == 0).sum() == 2 * len(TREATED)


def test_the_caliper_excludes_a_participant_with_no_close_comparison_and_counts_it() -> None:
    data = frame(treated=[1.0, 5.0, 9.0, 2.9, 7.2, 5.5],
                 controls=[0.0, 1.1, 2.0, 4.8, 6.0, 8.7, 10.0, 3.0, 7.0, 15.0, 18.0, 20.0])
    # 15, 18 and 20 widen the score's spread; no participant near 12.5 -> add one there
    data = pd.concat([data, pd.DataFrame({"x": [12.5], "treat": [1], "y": [130.0]})],
                     ignore_index=True)
    wide = run(data, MatchingSpec(caliper=None)).sample
    tight = run(data, MatchingSpec(caliper=0.05)).sample
    assert wide.outside_caliper == 0 and wide.matched_treated == 7
    assert tight.outside_caliper >= 1
    assert tight.matched_treated == 7 - tight.outside_caliper
    assert tight.treated_total == 7


def test_participants_off_common_support_are_excluded_and_counted() -> None:
    data = frame(treated=[1.0, 5.0, 9.0, 12.0], controls=CONTROLS)  # 12 is above every control
    on = run(data, MatchingSpec(caliper=None))
    off = run(data, MatchingSpec(caliper=None, common_support=False))
    assert on.sample.off_support == 1 and on.sample.matched_treated == 3
    assert off.sample.off_support == 0 and off.sample.matched_treated == 4


def test_exact_matching_holds_even_when_a_nearer_person_differs() -> None:
    # the woman at 5.0 has a man at 5.1 beside her, but must be matched to the woman at 6.0;
    # the woman at 3.0 to the woman at 2.0 (the man at 3.1 is nearer)
    data = pd.DataFrame({
        "x":     [5.0, 3.0, 5.1, 3.1, 6.0, 2.0, 9.0, 8.0, 1.0, 7.0, 4.0],
        "sex":   ["F", "F", "M", "M", "F", "F", "F", "F", "M", "M", "M"],
        "treat": [1,   1,   0,   0,   0,   0,   0,   0,   0,   0,   0],
        "y":     [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]})
    exact = evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"],
                           spec=MatchingSpec(caliper=None, exact=("sex",)), min_treated=1)
    matched = data.iloc[exact.sample.rows[exact.sample.treated == 0]]
    assert set(matched.sex) == {"F"} and sorted(matched.x) == [2.0, 6.0]
    loose = evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"],
                           spec=MatchingSpec(caliper=None), min_treated=1)
    assert sorted(data.x[loose.sample.rows[loose.sample.treated == 0]]) == [3.1, 5.1]


def test_standardised_differences_use_the_pooled_deviation_before_matching() -> None:
    result = run(frame(), MatchingSpec(caliper=None))
    row = result.balance.variables[0]
    pooled = math.sqrt((statistics.variance(TREATED) + statistics.variance(CONTROLS)) / 2)
    before = (statistics.mean(TREATED) - statistics.mean(CONTROLS)) / pooled
    after = (statistics.mean(TREATED) - statistics.mean([1.1, 4.8, 8.7, 3.0, 7.0])) / pooled
    assert row.smd_before == pytest.approx(before)
    assert row.smd_after == pytest.approx(after)
    assert result.balance.balanced == (abs(after) <= 0.1)


def test_kish_effective_size() -> None:
    assert kish(np.array([1.0, 1.0, 1.0])) == pytest.approx(3.0)
    assert kish(np.array([3.0, 1.0])) == pytest.approx(16 / 10)


def test_e_values_match_vanderweele_and_dings_worked_example() -> None:
    # VanderWeele and Ding (2017): a risk ratio of 3.9 needs an E-value of 7.26
    assert e_value(3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value(0.5) == pytest.approx(2 + math.sqrt(2))
    assert e_value(1.0) == pytest.approx(1.0)


def test_a_rate_outcome_reports_significance_only_with_ten_affected_participants() -> None:
    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=n)
    treat = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    # a huge effect, so p is tiny, but only a few treated people have the outcome at all
    y = np.zeros(n, dtype=int)
    y[np.flatnonzero(treat == 1)[:6]] = 1
    data = pd.DataFrame({"x": x, "treat": treat, "y": y})
    result = evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"],
                            spec=MatchingSpec(), min_treated=1)
    estimate = result.estimates[0]
    assert estimate.kind == "rate"
    assert estimate.p_value < 0.05
    assert not estimate.significant  # 6 affected < the JDL's 10
    assert estimate.number_needed is None or estimate.number_needed >= 0


def test_a_null_effect_is_not_significant_and_says_how_many_would_be_needed() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    x = rng.normal(size=n)
    treat = (rng.random(n) < 1 / (1 + np.exp(1.5 - x))).astype(int)
    y = (rng.random(n) < 1 / (1 + np.exp(0.5 - 0.8 * x))).astype(int)  # depends on x only
    data = pd.DataFrame({"x": x, "treat": treat, "y": y})
    result = evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"])
    estimate = result.estimates[0]
    assert estimate.naive_difference > 0.1  # selection on x makes the naive comparison wrong
    assert estimate.ci_lower < 0 < estimate.ci_upper
    assert not estimate.significant
    assert estimate.number_needed is not None and estimate.number_needed > result.sample.matched_treated


def test_fewer_than_sixty_matched_participants_give_no_estimate() -> None:
    result = evaluate_frame(frame(), treatment="treat", outcomes=["y"], covariates=["x"],
                            spec=MatchingSpec(caliper=None))
    assert result.refusal is not None and "at least 60" in result.refusal
    out = result.as_json()
    assert out["estimate"] is None and out["estimates"] == []
    assert out["matched_treated"] == 5


@pytest.mark.parametrize(("change", "message"), [
    ({"treatment": "nope"}, "No treatment column 'nope'"),
    ({"covariates": ["z"]}, "No column named z"),
    ({"outcomes": ["missing"]}, "No outcome column 'missing'"),
])
def test_names_that_are_not_columns_are_refused_by_name(change: dict[str, object],
                                                        message: str) -> None:
    args: dict[str, object] = {"treatment": "treat", "outcomes": ["y"], "covariates": ["x"]}
    args.update(change)
    with pytest.raises(LocalJusticeError, match=message):
        evaluate_frame(frame(), **args)  # type: ignore[arg-type]


def test_bad_values_are_refused_with_the_reason() -> None:
    data = frame()
    data.loc[0, "treat"] = 2
    with pytest.raises(LocalJusticeError, match="only 0 and 1"):
        evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"])
    data = frame()
    data.loc[3, "x"] = np.nan
    with pytest.raises(LocalJusticeError, match="1 missing value"):
        evaluate_frame(data, treatment="treat", outcomes=["y"], covariates=["x"])
    with pytest.raises(LocalJusticeError, match="Unknown matching method 'kernel'"):
        MatchingSpec(method="kernel")  # type: ignore[arg-type]


def test_only_csv_and_parquet_files_are_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.xlsx"
    path.write_bytes(b"not a table")
    with pytest.raises(LocalJusticeError, match=r"give a \.csv or \.parquet file"):
        read_table(path)
    frame().to_parquet(tmp_path / "people.parquet")
    assert len(read_table(tmp_path / "people.parquet")) == len(TREATED) + len(CONTROLS)


def test_without_replacement_each_comparison_person_serves_once_closest_pairs_first() -> None:
    # closest first: 4.9-4.8 (0.1), then 1.0-0.5 and 9.0-9.5 (0.5 each); 4.6 lost 4.8 and takes
    # 3.0 (1.6, nearer than 6.5 at 1.9). With replacement 4.6 would have taken 4.8 as well.
    data = frame(treated=[4.9, 4.6, 1.0, 9.0], controls=[4.8, 0.5, 9.5, 2.0, 6.5, 8.0, 3.0])
    spec = MatchingSpec(method="nearest", replace=False, caliper=None)
    result = run(data, spec)
    sample = result.sample
    pairs = sorted((float(data.x[sample.rows[sample.matched_set == s][0]]),
                    float(data.x[sample.rows[sample.matched_set == s][1]]))
                   for s in np.unique(sample.matched_set))
    assert pairs == [(1.0, 0.5), (4.6, 3.0), (4.9, 4.8), (9.0, 9.5)]
    assert sample.matched_controls == 4 and "without replacement" in spec.describe()


def test_closest_pairs_first_equals_the_one_at_a_time_greedy_method() -> None:
    """The rounds of mutually nearest pairs choose what sorting every pair by distance and taking
    each whose two people are both free would choose (the textbook greedy method, run here as
    the reference, one pair at a time)."""
    rng = np.random.default_rng(11)
    treated = rng.normal(1.0, 1.0, 40).round(6).tolist()
    controls = rng.normal(0.0, 1.0, 90).round(6).tolist()
    data = frame(treated=treated, controls=controls)
    result = run(data, MatchingSpec(method="nearest", replace=False, caliper=None,
                                    common_support=False))
    score = result.sample.score
    edges = sorted((abs(score[t] - score[c]), t, c) for t in range(40) for c in range(40, 130))
    used_t: set[int] = set()
    used_c: set[int] = set()
    expected = set()
    for _, t, c in edges:
        if t not in used_t and c not in used_c:
            used_t.add(t)
            used_c.add(c)
            expected.add((t, c))
    sample = result.sample
    got = {(int(sample.rows[sample.matched_set == s][0]), int(sample.rows[sample.matched_set == s][1]))
           for s in np.unique(sample.matched_set)}
    assert got == expected


def test_without_replacement_the_caliper_leaves_the_unmatchable_out() -> None:
    # 5.0 and 5.1 both want 5.05; the loser's next free person (8.0) is far outside a tight
    # caliper, so it is excluded and counted, not paired badly
    data = frame(treated=[5.0, 5.1, 1.0], controls=[5.05, 8.0, 1.02, 0.0, 10.0])
    sd = float(np.std(run(data, MatchingSpec(caliper=None)).sample.score, ddof=1))
    slope = abs(run(data, MatchingSpec(caliper=None)).sample.score[0]
                - run(data, MatchingSpec(caliper=None)).sample.score[1]) / 0.1
    caliper_sd = 0.5 * slope / sd  # half a unit of x, in standard deviations of the score
    result = run(data, MatchingSpec(method="nearest", replace=False, caliper=caliper_sd))
    assert result.sample.matched_treated == 2 and result.sample.outside_caliper == 1


def test_subclassification_weights_comparison_people_within_each_group() -> None:
    # one covariate, two subclasses cut at the participants' median score: low group holds
    # participants 1.0, 2.0 and comparison people 0.5, 1.5, 2.5 (the cut is the midpoint 3.0 of
    # the participants' x: 1, 2 | 4, 5); high group participants 4.0, 5.0 and one comparison
    # person 4.5. Weights: 2/3 each low, 2/1 high. Outcome y = 10x + 5 for participants.
    data = frame(treated=[1.0, 2.0, 4.0, 5.0], controls=[0.5, 1.5, 2.5, 4.5])
    result = run(data, MatchingSpec(method="subclass", subclasses=2, caliper=None,
                                    common_support=False))  # 5.0 is above every 4.5
    sample = result.sample
    weights = dict(zip(data.x.to_numpy()[sample.rows[sample.treated == 0]].tolist(),
                       sample.weights[sample.treated == 0].tolist(), strict=True))
    assert weights == pytest.approx({0.5: 2 / 3, 1.5: 2 / 3, 2.5: 2 / 3, 4.5: 2.0})
    # weighted comparison mean: (2/3 * (5 + 15 + 25) + 2 * 45) / 4 = 30; participants 35
    estimate = result.estimates[0]
    assert estimate.comparison_mean == pytest.approx(30.0)
    assert estimate.estimate == pytest.approx(35.0 - 30.0)
    assert estimate.sensitivity is None  # no sets of one participant: no Rosenbaum bound
    assert "subclassification into 2 groups" in result.spec.describe()
