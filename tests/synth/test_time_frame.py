"""The window is end-aligned on a month: ``years`` twelve-month years ending with ``until``."""

from __future__ import annotations

import numpy as np
import pytest

from localjustice.errors import LocalJusticeError
from localjustice.synth.calendar import TimeFrame, day_number, iso, parse_month
from localjustice.synth.monthly import DeliverySettings
from localjustice.synth.parameters import load_parameters


def test_four_years_to_november_begin_the_december_four_years_before() -> None:
    frame = TimeFrame.ending("2026-11", 4, 6, 2)
    assert frame.window_start == day_number(2022, 12, 1)
    assert frame.window_end == day_number(2026, 12, 1)  # the extract is taken on 30 November
    assert frame.months == 48
    assert frame.simulation_start == day_number(2016, 12, 1)
    assert frame.simulation_end == day_number(2028, 12, 1)
    assert frame.year_spans()[0] == (day_number(2022, 12, 1), day_number(2023, 12, 1))
    assert frame.year_spans()[-1] == (day_number(2025, 12, 1), day_number(2026, 12, 1))
    assert frame.year_labels()[0] == "2022-12..2023-11"
    bounds = frame.month_bounds()
    assert iso(bounds[[0, -1]]).tolist() == ["2016-12-01", "2028-12-01"]
    assert len(bounds) == 12 * (6 + 4 + 2) + 1


def test_a_window_ending_in_december_is_made_of_calendar_years() -> None:
    frame = TimeFrame.ending("2018-12", 2, 6, 2)
    assert frame.window_start == day_number(2017, 1, 1)
    assert frame.window_end == day_number(2019, 1, 1)
    assert frame.year_labels() == ["2017", "2018"]
    days = np.array([day_number(2016, 12, 31), day_number(2017, 1, 1), day_number(2018, 12, 31),
                     day_number(2019, 1, 1)])
    assert frame.in_window(days).tolist() == [False, True, True, False]


@pytest.mark.parametrize("text", ["2026-00", "2026-13", "26-11", "2026/11", "November 2026", ""])
def test_a_month_that_is_not_yyyy_mm_is_refused(text: str) -> None:
    with pytest.raises(LocalJusticeError, match="YYYY-MM"):
        parse_month(text)


def test_police_snapshots_fall_on_calendar_quarter_ends_wherever_the_window_begins() -> None:
    """A window beginning in December still has police_crimes snapshots at the ends of March,
    June, September and December, as the force sends them."""
    settings = DeliverySettings.from_parameters(load_parameters())
    frame = TimeFrame.ending("2026-11", 1, 6, 2)  # December 2025 to November 2026
    months = settings.snapshot_months("police_crimes", frame.months, frame.first_month)
    names = [str(np.datetime64(frame.first_month + int(m), "M")) for m in months]
    assert names == ["2025-12", "2026-03", "2026-06", "2026-09"]
