"""A programme evaluated end to end on an analysis zone with a planted effect and selection on
risk: the matched estimate finds the truth where the naive comparison does not."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from localjustice.evaluate.programme_run import evaluate_programme
from localjustice.evaluate.programmes import parse_programmes
from tests.measures.zone import Zone

PILOT = parse_programmes("""
[programmes.TTG]
name = "Through the Gate"
commissioner = "MOPAC"
index_event = "release"
joins_within_days = 90
eligibility = ["age_at_index >= 18"]
matching = ["age_at_index", "previous_offences", "previous_custody"]
exact = ["sex"]
""")["TTG"]


def planted(zone: Zone, n: int, effect: float, seed: int) -> float:
    """``n`` people released in 2019; the riskier join more; taking part changes the chance of
    reoffending by ``effect``. Returns the true effect on the participants (their realised rate
    minus the rate the same people would have had without the programme, by the same draws)."""
    rng = np.random.default_rng(seed)
    priors = rng.poisson(3, n)
    age = rng.integers(19, 60, n)
    join = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.35 * priors - 0.02 * (age - 30))))
    base = 1 / (1 + np.exp(-(-1.0 + 0.3 * priors - 0.03 * (age - 30))))
    u = rng.random(n)
    without = u < base
    with_ = u < np.clip(base + effect, 0, 1)
    reoffends = np.where(join, with_, without)
    persons, events = [], []
    for i in range(n):  # building the test's data, not the code under test
        pid = f"P{i}"
        release = date(2019, 1, 1) + timedelta(days=int(rng.integers(0, 360)))
        persons.append({"person_id": pid, "year_of_birth": 2019 - int(age[i]), "sex": "M",
                        "ethnicity": "W1", "borough_code": "E09000007"})
        for k in range(int(priors[i])):
            day = date(2012, 1, 1) + timedelta(days=200 * k + 5)
            events.append({"person_id": pid, "event_type": "court_outcome", "event_date": day,
                           "offence_date": day, "outcome": "convicted", "sentence_type": "fine",
                           "offence_group": "theft", "case_key": f"K{i}-{k}"})
        reception = release - timedelta(days=120)
        events.append({"person_id": pid, "event_type": "court_outcome", "event_date": reception,
                       "offence_date": reception, "outcome": "convicted",
                       "sentence_type": "immediate_custody", "custody_days": 240,
                       "offence_group": "burglary", "case_key": f"C{i}"})
        events.append({"person_id": pid, "event_type": "custody", "event_date": reception,
                       "end_date": release, "custody_type": "sentenced"})
        if join[i]:
            events.append({"person_id": pid, "event_type": "participation",
                           "event_date": release + timedelta(days=7), "programme_code": "TTG"})
        if reoffends[i]:
            day = release + timedelta(days=int(rng.integers(5, 300)))
            events.append({"person_id": pid, "event_type": "court_outcome",
                           "event_date": day + timedelta(days=30), "offence_date": day,
                           "outcome": "convicted", "sentence_type": "fine",
                           "offence_group": "theft", "case_key": f"R{i}"})
    events.append({"person_id": "P0", "event_type": "out_of_court_disposal",
                   "event_date": date(2021, 12, 31), "offence_date": date(2021, 12, 30)})
    zone.person_rows(persons)
    zone.event_rows(events)
    return float(with_[join].mean() - without[join].mean())


@pytest.mark.parametrize(("effect", "seed"), [(-0.15, 1), (0.0, 2)])
def test_the_matched_estimate_covers_the_planted_effect(zone: Zone, effect: float, seed: int) -> None:
    truth = planted(zone, 3000, effect, seed)
    result = evaluate_programme(zone.warehouse, PILOT, start=date(2019, 1, 1),
                                end=date(2020, 1, 1))
    assert result.refusal is None and result.evaluation is not None
    rate = result.evaluation.estimates[0]
    assert rate.ci_lower <= truth <= rate.ci_upper
    # selection on risk: the participants are riskier, so the naive gap is biased upwards
    assert rate.naive_difference > truth + 0.05
    if effect == 0.0:
        assert not rate.significant
    else:
        assert rate.significant and "lower by between" in result.statements[0].estimate
    assert result.counts.treated == result.evaluation.sample.treated_total


def test_too_few_participants_give_no_estimate_and_say_why(zone: Zone) -> None:
    planted(zone, 120, -0.1, 3)
    result = evaluate_programme(zone.warehouse, PILOT, start=date(2019, 1, 1),
                                end=date(2020, 1, 1))
    assert result.refusal is not None and "at least 60" in result.refusal
    assert result.headline is None


def _treated_reoffenders(result: object) -> int:
    evaluation = result.evaluation  # type: ignore[attr-defined]
    rate = evaluation.estimates[0]
    return round(rate.treated_mean * evaluation.sample.matched_treated)


def test_time_to_first_reoffence_is_shown_with_30_treated_reoffenders_and_omitted_under(
        zone: Zone) -> None:
    # a programme that stops almost all reoffending: enough participants to match, but fewer
    # than 30 of them reoffend, so the JDL's third headline outcome is left out and says why
    planted(zone, 700, -0.5, 5)
    result = evaluate_programme(zone.warehouse, PILOT, start=date(2019, 1, 1),
                                end=date(2020, 1, 1))
    assert result.refusal is None and result.evaluation is not None
    reoffenders = _treated_reoffenders(result)
    assert 0 < reoffenders < 30
    assert result.time_to_first is None
    assert result.time_omitted == (f"Time to first proven reoffence is not shown: {reoffenders} "
                                   "participant(s) reoffended, fewer than 30.")
    assert len(result.statements) == 2  # rate and frequency, no days


def test_time_to_first_reoffence_is_estimated_among_reoffenders(zone: Zone) -> None:
    planted(zone, 3000, -0.15, 1)
    result = evaluate_programme(zone.warehouse, PILOT, start=date(2019, 1, 1),
                                end=date(2020, 1, 1))
    assert _treated_reoffenders(result) >= 30
    assert result.time_to_first is not None and result.time_omitted is None
    assert result.statements[2].typical.endswith(
        "days was the average time before a reoffender committed their first proven reoffence.")
    # the planted reoffences fall 5 to 300 days after release: so must the average
    assert 5 <= result.time_to_first.treated_mean <= 300
