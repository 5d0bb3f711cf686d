"""Synthetic pilots with a known truth (issue 14): the generator chooses participants on risk and
prevents a known share of their reoffending; the engine, on the delivered extracts, must find it.

Persons come from the truth map (no linkage), so what is tested is the evaluation, not Splink.
At two seeds: every estimated 95% interval covers the true effect on the participants from
``truth/programme_effects.csv``; the null programme is never called significant; the programme
that works finds a reduction; the tiny one is refused or not significant; and for TTG, whose
participants are chosen on risk, the naive comparison lies outside the matched interval.

Why the naive comparison must miss at this size (the planted selection, ``calibration.toml``
``[programmes.TTG]``: log-odds of joining +0.8 per previous proven offence and -0.2 per year of
age, in 60% of boroughs). On the pool's own reoffending (a logistic fit at seed 1: +0.27 log-odds
per previous offence, -0.047 per year of age) those weights make the participants' expected rate
without the programme about 0.12 above the pool's (0.05 with the earlier, weaker +0.35 and -0.05,
which left the naive gap inside the interval at seed 2): the naive difference is biased by about
+0.12. At scale 0.2 over three years about 290 participants are matched and the interval's
half-width is about 0.08, so the naive difference lies outside it unless the estimate errs by
about 0.04 towards it, with the noise of (naive - estimate) about 0.03 (the comparison means'
standard errors): a miss would take an error of more than 1.2 standard deviations, about a 1 in
9 chance per seed, not a guarantee. Stronger selection buys little (it also widens the interval:
the pool of young prolific people is what limits it); a guarantee at 99% would need about four
times the scale (half-width 0.04), four times this test's generation time. Seeds 1 and 2 are
fixed, not chosen; at them the naive gap misses by 0.02 to 0.03 (measured while writing this).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from localjustice.evaluate.programme_run import ProgrammeEvaluation, evaluate_programme
from localjustice.ingest import ingest_delivery
from localjustice.linkage import build_analysis_zone_from_person_map, install_pseudonym
from localjustice.synth import generate
from localjustice.warehouse import open_warehouse

pytestmark = pytest.mark.slow
SCALE, UNTIL, YEARS = 0.2, "2017-12", 3
Evaluated = tuple[dict[str, ProgrammeEvaluation], pd.DataFrame]


@pytest.fixture(scope="module", params=[1, 2], ids=["seed 1", "seed 2"])
def evaluated(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evaluated]:
    out = tmp_path_factory.mktemp(f"pilots{request.param}")
    generate(out, scale=SCALE, until=UNTIL, years=YEARS, seed=request.param, error_rate=0.0)
    truth = pd.read_csv(out / "truth" / "programme_effects.csv").set_index("programme")
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        ingest_delivery(warehouse, out / "delivery")
        install_pseudonym(warehouse, b"test-key-not-secret")
        build_analysis_zone_from_person_map(warehouse, Path(out / "truth" / "person_map.csv"))
        results = {code: evaluate_programme(warehouse, code) for code in ("TTG", "AAMR", "WOMEN", "GPS")}
    yield results, truth


def test_every_interval_covers_the_true_effect(evaluated: Evaluated) -> None:
    results, truth = evaluated
    for code in ("TTG", "AAMR", "WOMEN"):
        result = results[code]
        assert result.refusal is None, (code, result.refusal)
        assert result.evaluation is not None
        # a failed balance (a rare category, at this size) withholds the headline, never the truth
        assert (result.headline is None) == (not result.evaluation.balance.balanced), code
        rate = result.evaluation.estimates[0]
        true = float(truth.loc[code, "true_effect"])
        assert rate.ci_lower <= true <= rate.ci_upper, (code, rate, true)


def test_the_null_programme_is_not_significant_and_the_selected_one_is_biased_naively(
        evaluated: Evaluated) -> None:
    results, _ = evaluated
    assert not results["AAMR"].evaluation.estimates[0].significant  # type: ignore[union-attr]
    ttg = results["TTG"].evaluation.estimates[0]  # type: ignore[union-attr]
    # participants are chosen for their risk, so the naive gap understates the reduction that
    # matching finds, by more than the matched interval's width (the module docstring derives it)
    assert ttg.ci_upper < 0
    assert ttg.naive_difference > ttg.ci_upper


def test_a_programme_too_small_to_detect_gets_no_significant_result(
        evaluated: Evaluated) -> None:
    gps = evaluated[0]["GPS"]
    assert gps.refusal is not None or not gps.evaluation.estimates[0].significant  # type: ignore[union-attr]
