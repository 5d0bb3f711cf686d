"""Bed nights counted by hand across period boundaries, and the other demand figures."""

from __future__ import annotations

from datetime import date

from localjustice.finance.demand import measure_demand
from tests.measures.zone import Zone


def test_bed_nights_across_a_year_end_still_open_and_released_the_day_received(
        zone: Zone) -> None:
    zone.person("P1", sex="F", year_of_birth=2000)
    zone.person("P2", sex="M", year_of_birth=2008)
    zone.person("P3", sex="M", year_of_birth=1980)
    # Received 30 December 2023, released 3 January 2024: nights 30, 31 Dec and 1, 2 Jan.
    zone.custody("P1", date(2023, 12, 30), date(2024, 1, 3), age=23)
    # Received 30 December 2024, still open: 30 and 31 December count in 2024.
    zone.custody("P2", date(2024, 12, 30), None, custody_type="remand", age=16,
                 youth_estate="yoi")
    # Released the day received: no night.
    zone.custody("P3", date(2024, 6, 1), date(2024, 6, 1), age=44)
    demand = measure_demand(zone.warehouse, ["2023", "2024", "2024Q1", "2024Q4"])
    assert demand.value("all", "custody_bed_nights", "2023") == 2
    assert demand.value("all", "custody_bed_nights", "2024") == 2 + 2
    assert demand.value("all", "custody_bed_nights", "2024Q1") == 2
    assert demand.value("all", "custody_bed_nights", "2024Q4") == 2
    assert demand.value("women", "custody_bed_nights", "2024") == 2
    assert demand.value("young_adults", "custody_bed_nights", "2023") == 2
    assert demand.value("youth", "remand_bed_nights", "2024") == 2
    assert demand.value("youth", "youth_estate_bed_nights", "2024") == 2
    assert demand.value("all", "adult_estate_bed_nights", "2024") == 2
    assert demand.value("all", "receptions", "2024") == 2
    assert demand.value("all", "sentenced_releases", "2024") == 2
    # Time served by the two sentenced releases of 2024: 4 days and 0 days.
    assert demand.value("all", "average_time_served", "2024") == 2.0


def test_disposals_and_community_orders_by_cohort(zone: Zone) -> None:
    zone.person("P1", sex="F", year_of_birth=1990)
    zone.person("P2", sex="M", year_of_birth=2008)
    zone.conviction("P1", date(2024, 3, 1), sentence_type="community_order", age=34)
    zone.conviction("P2", date(2024, 5, 1), sentence_type="referral_order", age=16)
    zone.conviction("P2", date(2024, 7, 1), sentence_type="fine", age=16)
    demand = measure_demand(zone.warehouse, ["2024"])
    assert demand.value("all", "court_disposals", "2024") == 3
    assert demand.value("all", "community_orders", "2024") == 2
    assert demand.value("women", "community_orders", "2024") == 1
    assert demand.value("youth", "court_disposals", "2024") == 2
