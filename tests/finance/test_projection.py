"""The custody projection on a hand-built steady state: one remand a day, each held exactly 30
nights, so 30 people are in custody every night. The projection must stay at 30, and cutting
remands by 20% must bring it to 24 (0.8 a day for 30 nights) once the people already held have
left, which takes 30 days."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from localjustice.finance.projection import FlowChange, backtest, fit_cohort, project
from localjustice.finance.scenarios import find_scenario, run_scenario
from tests.measures.zone import Zone

FIT_END = date(2024, 1, 1)
START, END = date(2021, 1, 1), date(2024, 12, 31)


def _steady(zone: Zone) -> None:
    days = (END - START).days + 1
    zone.event_rows([{"person_id": f"P{i}", "event_type": "custody",
                      "event_date": START + timedelta(days=i),
                      "end_date": START + timedelta(days=i + 30), "custody_type": "remand",
                      "age_at_event": 30} for i in range(days)])


def test_a_steady_state_stays_steady(zone: Zone) -> None:
    _steady(zone)
    fitted = fit_cohort(zone.warehouse, "all", FIT_END, horizon_days=12 * 31)
    result = project(fitted, 12, sims=200)
    assert result.expected_population["total"] == pytest.approx(np.full(12, 30.0), abs=1e-6)
    # January's 31 nights and February's 29, 30 people each night.
    assert result.expected_bed_nights["total"][:2] == pytest.approx([930.0, 870.0], abs=1e-6)
    assert result.population["total"].mean(axis=0) == pytest.approx(np.full(12, 30.0), rel=0.05)
    assert backtest(zone.warehouse, "all", FIT_END, sims=200).mape < 5


def test_cutting_remand_by_a_fifth_moves_the_population_from_30_to_24(zone: Zone) -> None:
    _steady(zone)
    fitted = fit_cohort(zone.warehouse, "all", FIT_END, horizon_days=12 * 31)
    cut = project(fitted, 12, sims=200, changes=[FlowChange("remand", receptions_pct=-20)])
    assert cut.expected_population["total"] == pytest.approx(np.full(12, 24.0), abs=1e-6)
    assert cut.expected_bed_nights["total"][1] == pytest.approx(24.0 * 29, abs=1e-6)
    shorter = project(fitted, 12, sims=200, changes=[FlowChange("remand", time_served_pct=-10)])
    # 27 nights each instead of 30: 27 people once the stock has gone.
    assert shorter.expected_population["total"][2:] == pytest.approx(np.full(10, 27.0), abs=0.5)


def test_a_shipped_scenario_reports_its_saving(zone: Zone) -> None:
    _steady(zone)
    scenario = find_scenario("short_sentence_time_served")
    fitted = fit_cohort(zone.warehouse, scenario.cohort, FIT_END, horizon_days=12 * 31)
    data = run_scenario(fitted, scenario, 12, sims=50).as_json()
    # Only remand here: changing short sentences saves nothing.
    assert data["cost"]["saving"]["mean"] == pytest.approx(0.0, abs=1e-6)
    assert data["population_end"]["baseline"]["mean"] == pytest.approx(30, rel=0.1)


def test_the_backtest_says_what_chance_alone_would_miss_by(zone: Zone) -> None:
    """Thirty people in custody, each night's thirty received at random over the last thirty
    days (Poisson with mean 30 in the model): a month is off by E|X - 30| / X, about 15%, however
    good the model. The steady data here are exact, so the model's own miss is far smaller."""
    _steady(zone)
    from scipy.stats import poisson

    k = np.arange(1, 120)
    by_hand = float(np.sum(poisson.pmf(k, 30) * np.abs(k - 30) / k)) * 100
    assert 14 < by_hand < 16
    result = backtest(zone.warehouse, "all", FIT_END, sims=400)
    assert result.expected_mape == pytest.approx(by_hand, rel=0.15)
    assert result.mape < result.expected_mape / 3


def test_a_season_is_kept_only_where_the_data_show_it() -> None:
    """Two years of 30 receptions a month: no season (eleven month effects would only add
    noise); the same with every December at 60: December's effect is log 2."""
    from localjustice.finance.projection import fit_receptions

    first = 2022 * 12
    flat = {first + i: 30 for i in range(24)}
    december = {m: (60 if m % 12 == 11 else n) for m, n in flat.items()}
    assert not fit_receptions(flat, first, first + 24).params[2:].any()
    season = fit_receptions(december, first, first + 24).params
    # Month effects are against January; log receptions a day, so month lengths cancel out.
    assert season[2 + 10] - season[2 + 9] == pytest.approx(np.log(2) + np.log(30 / 31), abs=0.01)
