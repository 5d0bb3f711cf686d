"""Working-day arithmetic for Victims' Code deadlines: weekends and bank holidays excluded.

The Code counts its deadlines in working days. Bank holidays for England and Wales come from
``govuk-bank-holidays`` using the copy it ships (``use_cached_holidays=True``), so the service
never needs the network. That copy runs a year or two ahead; past its last year only weekends are
excluded, and ``WorkingCalendar.covers`` says whether a date is inside the known range.

A deadline of *n* working days from day *d* is the *n*-th working day after *d*: *d* itself never
counts, and when *d* is not a working day counting starts from the next one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

ENGLAND_AND_WALES = "england-and-wales"


class WorkingCalendar:
    """Working days for one division, answered from a sorted list of its bank holidays."""

    def __init__(self, holidays: Iterable[date]) -> None:
        self.holidays = frozenset(holidays)
        self.last_known = max(self.holidays) if self.holidays else date.min

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def covers(self, day: date) -> bool:
        """Whether the bank-holiday data reaches this day's year."""
        return day.year <= self.last_known.year

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``days`` >= 0; 0 gives ``start`` itself)."""
        if days < 0:
            raise ValueError("days must be zero or more")
        day, counted = start, 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=i)))

    def working_day_table(self, first: date, last: date) -> list[tuple[date, bool, int]]:
        """Every day in [first, last] with whether it is a working day and a running count of
        working days up to and including it: the table the warehouse joins to compute due dates
        set-wise (due = the working day whose count is the start's count plus n)."""
        rows: list[tuple[date, bool, int]] = []
        count, day = 0, first
        while day <= last:
            working = self.is_working_day(day)
            count += working
            rows.append((day, working, count))
            day += timedelta(days=1)
        return rows

    def holidays_in(self, year: int) -> list[date]:
        return sorted(d for d in self.holidays if d.year == year)



@cache
def england_and_wales() -> WorkingCalendar:
    """The calendar for England and Wales from the bank-holiday data shipped with the package."""
    from govuk_bank_holidays.bank_holidays import BankHolidays

    holidays = BankHolidays(use_cached_holidays=True).get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    return WorkingCalendar(h["date"] for h in holidays)
