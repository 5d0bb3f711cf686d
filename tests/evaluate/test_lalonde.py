"""The evaluation engine against the published LaLonde benchmark (docs/evaluation.md).

Figures from /work/shared/reference/EVALUATION.md: naive difference -$635; MatchIt 4.5.1's 1:1
matching without replacement on a logistic score, 95% CI -$609 to $2,150; the experimental effect
$1,794 (Dehejia and Wahba's experimental sample). Implementations differ in tie and order
handling, so the checks compare within intervals, not to the dollar.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from localjustice.cli import app
from localjustice.evaluate import MatchingSpec, evaluate_frame

DATA = Path(__file__).parent / "data" / "lalonde.csv"
COVARIATES = ["age", "educ", "black", "hispan", "married", "nodegree", "re74", "re75"]
PAIRS = MatchingSpec(method="optimal", caliper=None, common_support=False)


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_the_naive_difference_is_negative_as_published(lalonde: pd.DataFrame) -> None:
    result = evaluate_frame(lalonde, treatment="treat", outcomes=["re78"], covariates=COVARIATES,
                            spec=PAIRS)
    assert result.estimates[0].naive_difference == pytest.approx(-635.03, abs=0.01)


def test_one_to_one_matching_lands_inside_matchits_interval(lalonde: pd.DataFrame) -> None:
    result = evaluate_frame(lalonde, treatment="treat", outcomes=["re78"], covariates=COVARIATES,
                            spec=PAIRS)
    estimate = result.estimates[0]
    assert result.sample.matched_treated == 185
    assert result.sample.matched_controls == 185  # without replacement: 370 people in all
    assert estimate.treated_mean == pytest.approx(6349.14, abs=0.01)
    assert -609 < estimate.estimate < 2150
    assert estimate.naive_difference < 0 < estimate.estimate


def test_with_covariate_adjustment_the_interval_covers_the_experimental_effect(
        lalonde: pd.DataFrame) -> None:
    result = evaluate_frame(lalonde, treatment="treat", outcomes=["re78"], covariates=COVARIATES,
                            spec=PAIRS, adjust=True)
    estimate = result.estimates[0]
    assert estimate.adjusted
    assert estimate.ci_lower < 1794 < estimate.ci_upper
    # the naive comparison's sign is wrong; matching plus adjustment gets it right
    assert estimate.estimate > 0


def test_lalonde_balance_on_race_fails_and_the_result_says_so(lalonde: pd.DataFrame) -> None:
    """Race is famously not balanced by a propensity score alone on these data (MatchIt's own
    vignette shows it); the engine must not present a headline as if it were."""
    result = evaluate_frame(lalonde, treatment="treat", outcomes=["re78"], covariates=COVARIATES,
                            spec=PAIRS)
    assert "black" in result.balance.unbalanced
    assert not result.headline_allowed
    by_name = {v.variable: v for v in result.balance.variables}
    # matching closes most of the earnings gap it started with
    assert abs(by_name["re74"].smd_after) < abs(by_name["re74"].smd_before) / 3


def test_the_command_writes_the_documented_json(lalonde: pd.DataFrame) -> None:
    run = CliRunner().invoke(app, [
        "evaluate-table", str(DATA), "--treatment", "treat", "--outcome", "re78",
        "--covariates", ",".join(COVARIATES), "--method", "optimal", "--caliper", "none",
        "--no-common-support", "--format", "json"])
    assert run.exit_code == 0, run.output
    out = json.loads(run.output)
    for key in ("estimate", "ci_lower", "ci_upper", "p_value", "naive_difference",
                "matched_treated"):
        assert key in out
    assert out["matched_treated"] == 185
    assert out["ci_lower"] < out["estimate"] < out["ci_upper"]
    assert -609 < out["estimate"] < 2150
    assert out["naive_difference"] == pytest.approx(-635.03, abs=0.01)


def test_the_command_says_balance_fails_with_its_threshold_instead_of_a_headline() -> None:
    run = CliRunner().invoke(app, [
        "evaluate-table", str(DATA), "--treatment", "treat", "--outcome", "re78",
        "--covariates", ",".join(COVARIATES), "--method", "optimal", "--caliper", "none",
        "--no-common-support"], env={"COLUMNS": "250"})
    assert run.exit_code == 0, run.output
    text = " ".join(run.output.split())
    assert "Balance fails the threshold" in text and "is more than 0.1 either way" in text
    assert "critical Gamma (Rosenbaum)" in text


@pytest.mark.parametrize(("options", "controls", "published"), [
    # one comparison person per participant, closest pairs first: EVALUATION.md's "plain greedy
    # match on identical scores gives $894"
    (["--method", "nearest", "--no-replace"], 185, 894.0),
    # every comparison person in a subclass with participants
    (["--method", "subclass"], None, None),
])
def test_the_other_methods_also_land_inside_matchits_interval(
        options: list[str], controls: int | None, published: float | None) -> None:
    run = CliRunner().invoke(app, [
        "evaluate-table", str(DATA), "--treatment", "treat", "--outcome", "re78",
        "--covariates", ",".join(COVARIATES), "--caliper", "none", "--no-common-support",
        "--format", "json", *options])
    assert run.exit_code == 0, run.output
    out = json.loads(run.output)
    assert out["matched_treated"] == 185
    if controls is not None:
        assert out["matched_comparison"] == controls
    if published is not None:
        assert out["estimate"] == pytest.approx(published, abs=1.0)
    assert -609 < out["estimate"] < 2150
