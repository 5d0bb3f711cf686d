"""Deadlines of a data request's steps, counted in working days (weekends and England and Wales
bank holidays excluded), with the reminder and escalation each step's rules call for.

The days per step are data (``workflow.toml``); the arithmetic is the case service's
(``localjustice.service.working_days``: the n-th working day after the day a step began), so a
Victims' Code deadline and a data request's deadline are counted by one implementation.
"""

from __future__ import annotations

from datetime import date
from statistics import median
from typing import Literal

from localjustice.service.working_days import WorkingCalendar, england_and_wales
from localjustice.sharing.rules import Step

Standing = Literal["on_time", "due_soon", "overdue"]


def calendar() -> WorkingCalendar:
    return england_and_wales()


def due_on(step: Step, started_on: date, days: WorkingCalendar | None = None) -> date:
    """The step's deadline: its ``working_days``-th working day after ``started_on``."""
    return (days or calendar()).add_working_days(started_on, step.working_days)


def standing(step: Step, due: date, today: date, days: WorkingCalendar | None = None) -> Standing:
    """Overdue once ``today`` is past the deadline (escalated); due soon when the deadline is
    ``remind_within`` working days away or fewer (a reminder on the reviewers' home)."""
    if today > due:
        return "overdue"
    left = (days or calendar()).working_days_between(today, due)
    return "due_soon" if left <= step.remind_within else "on_time"


def working_days_to_decision(submitted_on: date, decided_on: date,
                             days: WorkingCalendar | None = None) -> int:
    """Working days after the first submission up to and including the decision day: a request
    decided the day it came in took 0, one decided the next working day 1. Time spent returned to
    the requester counts: the MoU asks that requests be resolved in a timely manner, and a return
    does not resolve one."""
    return (days or calendar()).working_days_between(submitted_on, decided_on)


def median_days(values: list[int]) -> float | None:
    """The median (the mean of the middle two for an even count); ``None`` with nothing decided."""
    return float(median(values)) if values else None
