"""Cohort and reporting periods: a calendar quarter (``2018Q1``) or a calendar year (``2018``).

The Ministry of Justice has published proven reoffending for quarterly cohorts since the October
2015 revision and for twelve-month cohorts before it (Ministry of Justice, "Guide to proven
reoffending statistics", section 2, "The cohort"); every measure here accepts either.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from localjustice.errors import LocalJusticeError

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:[Qq](?P<quarter>[1-4]))?$")


class BadPeriodError(LocalJusticeError):
    """A period that is neither a quarter like 2018Q1 nor a year like 2018."""


@dataclass(frozen=True)
class Period:
    """A half-open range of days ``[start, end)`` with the label it was asked for."""

    label: str
    start: date
    end: date

    @property
    def kind(self) -> str:
        return "quarter" if "Q" in self.label else "year"

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    def quarters(self) -> list[Period]:
        """The calendar quarters making up this period (itself when it is a quarter)."""
        if self.kind == "quarter":
            return [self]
        return [parse_period(f"{self.start.year}Q{q}") for q in range(1, 5)]

    def as_json(self) -> dict[str, str]:
        return {"label": self.label, "kind": self.kind, "start": self.start.isoformat(),
                "end": self.last_day.isoformat()}

    def sql_start(self) -> str:
        return f"DATE '{self.start.isoformat()}'"

    def sql_end(self) -> str:
        """The first day after the period, as a SQL literal (ranges are half-open)."""
        return f"DATE '{self.end.isoformat()}'"


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months: the same day of the month, or the month's last day
    where the month is shorter (31 August + 6 months = 28 or 29 February; 29 February + 12 months
    = 28 February). The one month rule of every measure, in Python for the literal bounds of a
    scan; in SQL it is ``warehouse.dialect.add_months``, the same rule on both engines.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def parse_period(text: str) -> Period:
    """``2018Q1`` is January to March 2018; ``2018`` is the calendar year."""
    match = _PERIOD.match(text.strip())
    if match is None:
        raise BadPeriodError(
            f"Period {text!r} is not understood. Give a quarter like 2018Q1 or a year like 2018."
        )
    year = int(match["year"])
    if not 1990 <= year <= 2100:
        raise BadPeriodError(f"Period {text!r}: the year must be between 1990 and 2100.")
    if match["quarter"] is None:
        return Period(label=str(year), start=date(year, 1, 1), end=date(year + 1, 1, 1))
    quarter = int(match["quarter"])
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(label=f"{year}Q{quarter}", start=start, end=end)
