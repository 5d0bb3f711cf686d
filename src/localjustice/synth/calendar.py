"""Days as integers (days since 1970-01-01) and the simulation's time frame.

The generator keeps every date as an int64 day number so that date arithmetic is plain integer
arithmetic on arrays; conversion to ISO text happens once, when a delivery file is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
DAYS_PER_YEAR = 365.2425
#: Days after birth from which a person is certainly 10 or older on any reckoning of age
#: (ten years is at most 3,653 days; one more day guards against off-by-one age rules).
TEN_YEARS_SAFE = 3654


def day_number(year: int, month: int = 1, day: int = 1) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))


def iso(days: IntArray) -> NDArray[np.str_]:
    """ISO ``YYYY-MM-DD`` text for an array of day numbers."""
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D")


def year_of(days: IntArray) -> IntArray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def age_years(on_day: IntArray, birth_day: IntArray) -> IntArray:
    """Completed years of age on a day (calendar reckoning: birthday reached or not)."""
    on = on_day.astype("datetime64[D]")
    born = birth_day.astype("datetime64[D]")
    years = on.astype("datetime64[Y]").astype(np.int64) - born.astype("datetime64[Y]").astype(np.int64)
    on_m = on.astype("datetime64[M]").astype(np.int64) % 12
    born_m = born.astype("datetime64[M]").astype(np.int64) % 12
    on_d = (on - on.astype("datetime64[M]")).astype(np.int64)
    born_d = (born - born.astype("datetime64[M]")).astype(np.int64)
    before_birthday = (on_m < born_m) | ((on_m == born_m) & (on_d < born_d))
    age: IntArray = years - before_birthday.astype(np.int64)
    return age


@dataclass(frozen=True)
class TimeFrame:
    """Burn-in, delivery window and internal follow-up, as day numbers (end exclusive)."""

    start_year: int
    years: int
    burn_in_years: int
    follow_up_years: int

    @property
    def simulation_start(self) -> int:
        return day_number(self.start_year - self.burn_in_years)

    @property
    def window_start(self) -> int:
        return day_number(self.start_year)

    @property
    def window_end(self) -> int:
        """First day after the delivery window (the extract is taken the day before)."""
        return day_number(self.start_year + self.years)

    @property
    def simulation_end(self) -> int:
        return day_number(self.start_year + self.years + self.follow_up_years)

    @property
    def window_years(self) -> range:
        return range(self.start_year, self.start_year + self.years)

    def month_bounds(self) -> IntArray:
        """First day of every simulated month, plus the simulation end."""
        first = np.datetime64(f"{self.start_year - self.burn_in_years:04d}-01", "M")
        last = np.datetime64(f"{self.start_year + self.years + self.follow_up_years:04d}-01", "M")
        months = np.arange(first, last + 1, dtype="datetime64[M]")
        return months.astype("datetime64[D]").astype(np.int64)

    def in_window(self, days: IntArray) -> NDArray[np.bool_]:
        return (days >= self.window_start) & (days < self.window_end)
