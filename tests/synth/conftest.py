"""Deliveries generated once per test session and shared by the synth tests (read-only)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from localjustice.synth import SynthSummary, generate

SMALL_SCALE = 0.02
#: One calendar year, 2018, for the tests that look at a delivery's content, not its dates.
YEAR_2018 = {"until": "2018-12", "years": 1}
#: Big enough that the calibration tolerances exceed one year's sampling noise (youth cohort
#: ~1,000 a year, young adults leaving custody ~1,000, youth in custody on the snapshot ~70).
CALIBRATION_SCALE = 0.25
#: The demo's window as of 2 December 2026: four years to November 2026, which begin in December,
#: so that each year is checked on its own and the years are not calendar years. ``today`` is
#: given so that the test never depends on the real date.
CALIBRATION_WINDOW = {"until": "2026-11", "years": 4, "today": date(2026, 12, 2)}


@pytest.fixture(scope="session")
def clean_delivery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("clean")
    return out, generate(out, **YEAR_2018, scale=SMALL_SCALE, seed=7, error_rate=0.0)


@pytest.fixture(scope="session")
def faulty_delivery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("faulty")
    return out, generate(out, **YEAR_2018, scale=SMALL_SCALE, seed=11, error_rate=0.01)


@pytest.fixture(scope="session")
def calibration_delivery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("calibration")
    return out, generate(out, **CALIBRATION_WINDOW, scale=CALIBRATION_SCALE, seed=3,  # type: ignore[arg-type]
                         error_rate=0.0)


#: One seed and error rate for a monthly series and the single delivery it must end in.
SERIES = {**YEAR_2018, "scale": 0.01, "seed": 13, "error_rate": 0.01}


@pytest.fixture(scope="session")
def monthly_series(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("monthly")
    return out, generate(out, deliveries="monthly", **SERIES)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def history_series(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("history")
    return out, generate(out, deliveries="monthly", history_until="2018-09", **SERIES)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def series_final_state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("final")
    return out, generate(out, **SERIES)  # type: ignore[arg-type]
