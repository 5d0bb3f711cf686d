"""Events follow from one another as in a life, not as independent rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localjustice.area import load_area
from localjustice.contract import load_contract
from localjustice.progress import NullProgress
from localjustice.synth.calendar import DAYS_PER_YEAR, TimeFrame, age_years
from localjustice.synth.offending import (
    KIND_REMAND,
    KIND_SENTENCED,
    ROUTE_CAUTION,
    ROUTE_COURT,
    JusticeHistory,
    simulate_justice,
)
from localjustice.synth.parameters import Parameters, load_parameters
from localjustice.synth.population import People, build_people


@pytest.fixture(scope="module")
def simulated() -> tuple[People, JusticeHistory]:
    params = load_parameters()
    frame = TimeFrame.ending("2018-12", 1, 6, 2)
    rng = np.random.default_rng(3)
    people = build_people(rng, params, load_area(), frame, 0.03)
    return people, simulate_justice(people, params, frame, rng, NullProgress().step("test"))


def test_offending_peaks_in_late_teens_and_early_twenties(simulated: tuple[People, JusticeHistory]) -> None:
    people, history = simulated
    offences = history.offences
    age = age_years(offences["offence_day"].to_numpy(), people.birth_day[offences["person"].to_numpy()])
    # offences per person-year of the pool by age: people's birth days are spread evenly
    by_age = np.bincount(age, minlength=80)
    peak = int(np.argmax(by_age))
    assert 15 <= peak <= 24
    assert by_age[45] < by_age[peak] / 2


def test_no_offence_is_committed_while_in_custody(simulated: tuple[People, JusticeHistory]) -> None:
    _, history = simulated
    joined = history.offences.merge(history.custody, on="person")
    inside = (joined["offence_day"] >= joined["start"]) & (joined["offence_day"] < joined["end"])
    assert not inside.any()


def test_sentenced_custody_releases_at_about_half_the_sentence(
    simulated: tuple[People, JusticeHistory],
) -> None:
    _, history = simulated
    sentenced = history.custody[history.custody["kind"] == KIND_SENTENCED].merge(
        history.cases[["case", "custody_days", "remanded"]], on="case"
    )
    plain = sentenced[~sentenced["remanded"]]
    served = (plain["end"] - plain["start"]) / plain["custody_days"]
    assert served.between(0.45, 0.55).mean() > 0.95


def test_remand_ends_in_release_or_sentence(simulated: tuple[People, JusticeHistory]) -> None:
    _, history = simulated
    remand = history.custody[history.custody["kind"] == KIND_REMAND].merge(history.cases, on="case")
    sentenced_after = remand["sentence"] == load_contract().code_lists["sentence_type"].index(
        "immediate_custody"
    )
    assert 0 < sentenced_after.mean() < 1
    assert (remand["end"] == remand["decision_day"]).all()
    later = history.custody[history.custody["kind"] == KIND_SENTENCED].set_index("case")["start"]
    starts = remand.loc[sentenced_after, "case"].map(later)
    assert (starts.to_numpy() == remand.loc[sentenced_after, "end"].to_numpy()).all()


def test_cautions_go_to_first_offenders_and_custody_to_those_with_records(
    simulated: tuple[People, JusticeHistory],
) -> None:
    _, history = simulated
    cases = history.cases
    formal = cases[cases["route"].isin([ROUTE_CAUTION, ROUTE_COURT])]
    first = formal["priors"] == 0
    cautioned = formal["route"] == ROUTE_CAUTION
    assert cautioned[first].mean() > 2 * cautioned[~first].mean()
    immediate = load_contract().code_lists["sentence_type"].index("immediate_custody")
    sentenced = formal[formal["sentence"] >= 0]
    custody = sentenced["sentence"] == immediate
    many = sentenced["priors"] >= 5
    assert custody[many].mean() > 1.5 * custody[sentenced["priors"] <= 1].mean()


def test_women_offend_less_than_men(simulated: tuple[People, JusticeHistory]) -> None:
    people, history = simulated
    sex = pd.Series(people.sex[history.offences["person"].to_numpy()])
    pool = pd.Series(people.sex[: people.n_offender])
    per_head = sex.value_counts() / pool.value_counts()
    assert per_head["F"] < 0.6 * per_head["M"]
    assert DAYS_PER_YEAR > 365


def _offences_within_a_year_of_release(multiplier: float) -> int:
    """Offences in the 365 days after a sentenced release, same seed, given release multiplier."""
    params = load_parameters()
    offending = {**params.section("offending"), "after_release_multiplier": multiplier}
    changed = Parameters({**params.raw, "offending": offending}, params.targets, params.offence_groups)
    frame = TimeFrame.ending("2018-12", 1, 6, 2)
    rng = np.random.default_rng(3)
    people = build_people(rng, changed, load_area(), frame, 0.03)
    history = simulate_justice(people, changed, frame, rng, NullProgress().step("test"))
    released = history.custody[history.custody["kind"] == KIND_SENTENCED][["person", "end"]]
    joined = history.offences.merge(released, on="person")
    after = (joined["offence_day"] >= joined["end"]) & (joined["offence_day"] < joined["end"] + 365)
    return int(after.sum())


def test_people_offend_more_in_the_year_after_leaving_custody() -> None:
    assert _offences_within_a_year_of_release(2.0) > 1.5 * _offences_within_a_year_of_release(1.0)
