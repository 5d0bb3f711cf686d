"""Days as integers (days since 1970-01-01) and the simulation's time frame.

The generator keeps every date as an int64 day number so that date arithmetic is plain integer
arithmetic on arrays; conversion to ISO text happens once, when a delivery file is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from localjustice.errors import LocalJusticeError

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


def month_day(month: int) -> int:
    """The day number of the first day of ``month`` (months since January 1970)."""
    return int(np.datetime64(month, "M").astype("datetime64[D]").astype(np.int64))


def month_name(month: int) -> str:
    """``YYYY-MM`` for a month counted from January 1970."""
    return str(np.datetime64(month, "M"))


def parse_month(text: str, what: str = "month") -> int:
    """A ``YYYY-MM`` month as months since January 1970; a clear error for anything else."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise LocalJusticeError(f"{what} must be a month written YYYY-MM, such as 2026-11; got {text!r}.")
    return (int(found.group(1)) - 1970) * 12 + int(found.group(2)) - 1


def last_full_month(today: date) -> int:
    """The last month that has ended before ``today`` (2026-12-02 gives 2026-11), since 1970-01."""
    return (today.year - 1970) * 12 + today.month - 2


@dataclass(frozen=True)
class TimeFrame:
    """Burn-in, delivery window and internal follow-up, as day numbers (end exclusive).

    The window is ``years`` twelve-month years ending with the month ``until`` (months since
    January 1970): a delivery is extracted at a month's end, so the window is end-aligned on the
    last full month and need not begin in January. Its years are twelve-month spans counted from
    the window's first month (``year_spans``), which is what the calibration targets are per.
    """

    until: int
    years: int
    burn_in_years: int
    follow_up_years: int

    @classmethod
    def ending(cls, until: str, years: int, burn_in_years: int, follow_up_years: int) -> TimeFrame:
        return cls(parse_month(until, "until"), years, burn_in_years, follow_up_years)

    @property
    def first_month(self) -> int:
        """The window's first month, counted from January 1970."""
        return self.until - 12 * self.years + 1

    @property
    def months(self) -> int:
        return 12 * self.years

    @property
    def simulation_start(self) -> int:
        return month_day(self.first_month - 12 * self.burn_in_years)

    @property
    def window_start(self) -> int:
        return month_day(self.first_month)

    @property
    def window_end(self) -> int:
        """First day after the delivery window (the extract is taken the day before)."""
        return month_day(self.until + 1)

    @property
    def simulation_end(self) -> int:
        return month_day(self.until + 1 + 12 * self.follow_up_years)

    def year_spans(self) -> list[tuple[int, int]]:
        """Each twelve-month year of the window as ``[first day, first day after)``."""
        return [(month_day(self.first_month + 12 * k), month_day(self.first_month + 12 * (k + 1)))
                for k in range(self.years)]

    def year_labels(self) -> list[str]:
        """A label per window year: ``2024`` when it is a calendar year, else
        ``2022-12..2023-11``."""
        labels = []
        for k in range(self.years):
            first, last = self.first_month + 12 * k, self.first_month + 12 * k + 11
            labels.append(month_name(first)[:4] if first % 12 == 0
                          else f"{month_name(first)}..{month_name(last)}")
        return labels

    def month_bounds(self) -> IntArray:
        """First day of every simulated month, plus the simulation end."""
        first = self.first_month - 12 * self.burn_in_years
        last = self.until + 1 + 12 * self.follow_up_years
        months = np.arange(first, last + 1).astype("datetime64[M]")
        return months.astype("datetime64[D]").astype(np.int64)

    def in_window(self, days: IntArray) -> NDArray[np.bool_]:
        return (days >= self.window_start) & (days < self.window_end)
