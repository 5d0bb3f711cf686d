"""What the case service refuses in what people type, loaded once from ``input_rules.toml``.

Two kinds of rule, both data (STYLE rule 7) so that a reviewer reads them in one file:

- characters no name or free text may hold (control characters, NUL among them, and the
  bidirectional override and isolate marks that make stored text display in another order);
- a plausible range for every date a person types, relative to today and, where the case matters,
  to the date the case opened (a court date in 1990 or 9999, a contact in 1900, a year typed as
  26 read as the year 26).

Messages follow the GOV.UK Design System's error messages for text and date inputs
(https://design-system.service.gov.uk/components/date-input/): "Enter ...", "... must include a
month", "Year must include 4 numbers", "... must be a real date", "... must be between ... and ...".
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from localjustice.service.errors import CaseServiceError

DATE_PARTS = ("day", "month", "year")


class InputRulesInvalid(CaseServiceError):
    """``input_rules.toml`` is malformed; the message names the entry to fix."""


class DatePartError(ValueError):
    """A GOV.UK date input whose parts do not make a date; ``part`` is the input to correct."""

    def __init__(self, part: str | None, message: str) -> None:
        super().__init__(message)
        self.part = part
        self.message = message


@dataclass(frozen=True)
class DateRule:
    """How far before and after today a date may be, and how far before the case opened."""

    past_years: int
    future_years: int = 0
    future_days: int = 0
    case_opened_days_before: int | None = None

    def window(self, today: date) -> tuple[date, date]:
        latest = _add_years(today, self.future_years) + timedelta(days=self.future_days)
        return _add_years(today, -self.past_years), latest


@dataclass(frozen=True)
class InputRules:
    refused: re.Pattern[str]
    dates: Mapping[str, DateRule]

    def refuses(self, text: str) -> bool:
        return self.refused.search(text) is not None

    def date_error(self, key: str, value: date, label: str, today: date) -> str | None:
        """The GOV.UK message when ``value`` is outside the plausible range for ``key``."""
        rule = self.dates.get(key)
        if rule is None:
            return None
        earliest, latest = rule.window(today)
        if earliest <= value <= latest:
            return None
        name = label[:1].upper() + label[1:]
        if latest == today and value > latest:
            return f"{name} must be today or in the past"
        if latest == today:
            return f"{name} must be the same as or after {long_date(earliest)}"
        return f"{name} must be between {long_date(earliest)} and {long_date(latest)}"

    def case_date_error(self, key: str, value: date, label: str, opened_on: date) -> str | None:
        """The GOV.UK message when ``value`` is too long before the case opened on ``opened_on``."""
        rule = self.dates.get(key)
        if rule is None or rule.case_opened_days_before is None:
            return None
        earliest = opened_on - timedelta(days=rule.case_opened_days_before)
        if value >= earliest:
            return None
        name = label[:1].upper() + label[1:]
        if rule.case_opened_days_before == 0:
            return f"{name} must be the same as or after {long_date(earliest)}, when the case opened"
        return f"{name} must be the same as or after {long_date(earliest)}"


def long_date(value: date) -> str:
    """A date as GOV.UK writes it in content: 1 December 2026."""
    return f"{value.day} {value:%B %Y}"


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def date_from_parts(parts: Mapping[str, Any], label: str) -> date:
    """The date typed into a GOV.UK date input (day, month, year), or the message for what is wrong.

    The year must have 4 digits: 26 is refused rather than read as the year 26.
    """
    values = {p: str(parts.get(p) or "").strip() for p in DATE_PARTS}
    name = label[:1].upper() + label[1:]
    missing = [p for p in DATE_PARTS if not values[p]]
    if len(missing) == len(DATE_PARTS):
        raise DatePartError(None, f"Enter {label}")
    if missing:
        raise DatePartError(missing[0], f"{name} must include a {' and '.join(missing)}")
    for part in DATE_PARTS:
        if not values[part].isascii() or not values[part].isdigit():
            raise DatePartError(part, f"{name} must be a real date")
    if len(values["year"]) != 4:
        raise DatePartError("year", "Year must include 4 numbers")
    try:
        return date(int(values["year"]), int(values["month"]), int(values["day"]))
    except ValueError:
        raise DatePartError("day", f"{name} must be a real date") from None


def _code_point(text: object, where: str) -> int:
    if not isinstance(text, str) or not re.fullmatch(r"U\+[0-9A-F]{4,6}", text):
        raise InputRulesInvalid(f"input_rules.toml: {where} must be a code point like \"U+202E\"")
    return int(text[2:], 16)


def parse_input_rules(raw: Mapping[str, Any]) -> InputRules:
    ranges = raw.get("text", {}).get("refused", [])
    classes = []
    for n, pair in enumerate(ranges):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InputRulesInvalid(f"input_rules.toml: text.refused[{n}] must be [first, last]")
        first, last = (_code_point(p, f"text.refused[{n}]") for p in pair)
        if last < first:
            raise InputRulesInvalid(f"input_rules.toml: text.refused[{n}] ends before it starts")
        classes.append(f"\\U{first:08x}-\\U{last:08x}")
    if not classes:
        raise InputRulesInvalid("input_rules.toml: text.refused lists no characters")
    dates: dict[str, DateRule] = {}
    for key, entry in raw.get("dates", {}).items():
        if not re.fullmatch(r"[A-Za-z]+\.[a-z_]+", key) or not isinstance(entry, dict):
            raise InputRulesInvalid(f"input_rules.toml: dates.\"{key}\" must be Model.field = {{...}}")
        unknown = set(entry) - {"past_years", "future_years", "future_days", "case_opened_days_before"}
        if unknown or "past_years" not in entry:
            raise InputRulesInvalid(f"input_rules.toml: dates.\"{key}\" needs past_years and no other "
                                    f"keys than future_years, future_days, case_opened_days_before")
        if not all(isinstance(v, int) and v >= 0 for v in entry.values()):
            raise InputRulesInvalid(f"input_rules.toml: dates.\"{key}\" values must be whole numbers >= 0")
        dates[key] = DateRule(**entry)
    return InputRules(refused=re.compile(f"[{''.join(classes)}]"), dates=dates)


@cache
def load_input_rules() -> InputRules:
    text = resources.files("localjustice.service").joinpath("input_rules.toml").read_text("utf-8")
    return parse_input_rules(tomllib.loads(text))
