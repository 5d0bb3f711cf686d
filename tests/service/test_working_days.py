"""Working-day arithmetic, hand-worked across weekends and England and Wales bank holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from localjustice.service import england_and_wales

CAL = england_and_wales()


def test_two_working_days_from_thursday_22_december_2022_cross_christmas() -> None:
    # Fri 23 is day 1; Sat 24, Sun 25, Mon 26 (Boxing Day) and Tue 27 (Christmas Day substitute)
    # do not count; Wed 28 is day 2.
    assert CAL.add_working_days(date(2022, 12, 22), 2) == date(2022, 12, 28)


def test_one_working_day_from_a_friday_is_the_monday() -> None:
    assert CAL.add_working_days(date(2024, 3, 1), 1) == date(2024, 3, 4)


def test_one_working_day_from_the_thursday_before_easter_skips_good_friday_and_easter_monday() -> None:
    assert CAL.add_working_days(date(2023, 4, 6), 1) == date(2023, 4, 11)


def test_a_clock_starting_at_the_weekend_counts_from_monday() -> None:
    assert CAL.add_working_days(date(2024, 3, 2), 1) == date(2024, 3, 4)
    assert CAL.add_working_days(date(2024, 3, 2), 5) == date(2024, 3, 8)


def test_five_working_days_over_the_early_may_bank_holiday() -> None:
    # Fri 3 May 2024 + 5: Tue 7, Wed 8, Thu 9, Fri 10, Mon 13 (Mon 6 May is a bank holiday)
    assert CAL.add_working_days(date(2024, 5, 3), 5) == date(2024, 5, 13)


def test_bank_holidays_are_not_working_days_and_weekdays_are() -> None:
    assert not CAL.is_working_day(date(2022, 12, 26))
    assert not CAL.is_working_day(date(2022, 9, 19))  # the state funeral bank holiday
    assert not CAL.is_working_day(date(2024, 3, 2))
    assert CAL.is_working_day(date(2024, 3, 5))


def test_zero_days_is_the_start_and_negative_is_refused() -> None:
    assert CAL.add_working_days(date(2024, 3, 5), 0) == date(2024, 3, 5)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2024, 3, 5), -1)


def test_working_days_between_counts_days_after_the_start() -> None:
    assert CAL.working_days_between(date(2022, 12, 22), date(2022, 12, 28)) == 2
    assert CAL.working_days_between(date(2022, 12, 28), date(2022, 12, 22)) == -2
    assert CAL.working_days_between(date(2024, 3, 4), date(2024, 3, 4)) == 0


def test_the_working_day_table_gives_the_same_due_dates_as_the_arithmetic() -> None:
    first, last = date(2022, 11, 1), date(2023, 6, 30)
    table = CAL.working_day_table(first, last)
    ordinal = {d: n for d, _, n in table}
    by_ordinal = {n: d for d, working, n in table if working}
    day = first
    while day < date(2023, 5, 1):
        for days in (1, 2, 5):
            assert by_ordinal[ordinal[day] + days] == CAL.add_working_days(day, days), (day, days)
        day += timedelta(days=1)


def test_the_shipped_bank_holiday_data_is_offline_and_covers_recent_years() -> None:
    assert CAL.covers(date(2025, 6, 1))
    assert date(2025, 12, 25) in CAL.holidays
