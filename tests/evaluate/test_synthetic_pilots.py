"""Synthetic pilots with a known truth (issue 14): the generator chooses participants on risk and
prevents a known share of their reoffending; the engine, on the delivered extracts, must find it.

Persons come from the truth map (no linkage), so what is tested is the evaluation, not Splink.
At two seeds: every estimated 95% interval covers the true effect on the participants from
``truth/programme_effects.csv``; the null programme is never called significant; the programme
that works finds a reduction; the tiny one is refused or not significant.
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
    # matching finds (at this size the naive gap still lies inside the matched interval)
    assert ttg.naive_difference > ttg.estimate
    assert ttg.ci_upper < 0


def test_a_programme_too_small_to_detect_gets_no_significant_result(
        evaluated: Evaluated) -> None:
    gps = evaluated[0]["GPS"]
    assert gps.refusal is not None or not gps.evaluation.estimates[0].significant  # type: ignore[union-attr]
