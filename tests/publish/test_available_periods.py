"""Only the periods the data cover whole are offered for publication (issue 13): partners send
whole months, so the covered months run from the first to the last with a court outcome or
caution, and a quarter or year reaching outside them would be published as if complete."""

from __future__ import annotations

from datetime import date

from localjustice.publish import available_periods
from tests.measures.zone import Zone


def _zone(*days: date) -> Zone:
    zone = Zone()
    zone.person("P1")
    for i, day in enumerate(days):
        (zone.caution if i % 2 else zone.conviction)("P1", day)
    return zone


def test_a_window_from_december_to_november_offers_the_quarters_and_years_inside_it() -> None:
    # four years to November 2026, the first outcome days into December, the last days before
    # the end of November: the months are covered whole even so
    zone = _zone(date(2022, 12, 5), date(2024, 6, 1), date(2026, 11, 27))
    periods = available_periods(zone.warehouse)
    quarters = [f"{y}Q{q}" for y in (2026, 2025, 2024, 2023) for q in (4, 3, 2, 1)][1:]
    assert [p for p in periods if "Q" in p] == quarters  # 2026Q3 to 2023Q1, newest first
    assert [p for p in periods if "Q" not in p] == ["2025", "2024", "2023"]
    assert periods[:3] == ["2026Q3", "2026Q2", "2026Q1"]  # 2026 itself is not whole
    assert periods.index("2025") < periods.index("2025Q4")  # a year before its quarters


def test_a_quarter_is_offered_only_when_its_first_and_last_months_are_covered() -> None:
    # February to September 2018: Q1 lacks January, Q3 is whole, Q4 is not reached
    zone = _zone(date(2018, 2, 1), date(2018, 9, 30))
    assert available_periods(zone.warehouse) == ["2018Q3", "2018Q2"]
    # a calendar year of data: the year and its four quarters
    zone = _zone(date(2018, 1, 2), date(2018, 12, 31))
    assert available_periods(zone.warehouse) == ["2018", "2018Q4", "2018Q3", "2018Q2", "2018Q1"]


def test_no_outcomes_no_periods() -> None:
    zone = Zone()
    zone.person("P1")
    zone.event("P1", "victimisation", date(2018, 1, 1))
    assert available_periods(zone.warehouse) == []
