"""A data request's deadlines in working days: weekends and England and Wales bank holidays do
not count (workflow.toml's 10 working days for review), with reminders and escalation."""

from __future__ import annotations

from datetime import date

from localjustice.sharing import due_on, load_workflow, median_days, standing, working_days_to_decision

REVIEW = load_workflow().step("submitted")


def test_ten_working_days_skip_christmas_boxing_day_new_year_and_the_weekends() -> None:
    # Thu 18 Dec 2025: Fri 19 (1), Mon 22-Wed 24 (2-4); Thu 25 and Fri 26 are bank holidays, then a
    # weekend; Mon 29-Wed 31 (5-7); Thu 1 Jan is a bank holiday; Fri 2 (8), Mon 5 (9), Tue 6 (10)
    assert REVIEW.working_days == 10
    assert due_on(REVIEW, date(2025, 12, 18)) == date(2026, 1, 6)


def test_a_step_begun_on_a_saturday_counts_from_the_monday() -> None:
    # Sat 7 Jun 2025: Mon 9 is the first working day, so ten end on Fri 20 Jun
    assert due_on(REVIEW, date(2025, 6, 7)) == date(2025, 6, 20)


def test_reminder_within_three_working_days_and_escalation_the_day_after_the_deadline() -> None:
    due = date(2026, 1, 6)
    assert REVIEW.remind_within == 3
    assert standing(REVIEW, due, date(2025, 12, 30)) == "on_time"  # 31 Dec, 2, 5, 6 Jan: 4 left
    assert standing(REVIEW, due, date(2025, 12, 31)) == "due_soon"  # 1 Jan is a holiday: 3 left
    assert standing(REVIEW, due, date(2026, 1, 6)) == "due_soon"  # the deadline itself
    assert standing(REVIEW, due, date(2026, 1, 7)) == "overdue"


def test_working_days_to_decision_count_after_submission_up_to_the_decision() -> None:
    assert working_days_to_decision(date(2025, 12, 18), date(2025, 12, 18)) == 0
    assert working_days_to_decision(date(2025, 12, 18), date(2025, 12, 19)) == 1
    # Fri 19, Mon 22, Tue 23, Wed 24, Mon 29 (Christmas, Boxing Day and the weekend skipped)
    assert working_days_to_decision(date(2025, 12, 18), date(2025, 12, 29)) == 5


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert median_days([5, 2, 9, 0]) == 3.5
    assert median_days([4, 1, 7]) == 4
    assert median_days([]) is None
