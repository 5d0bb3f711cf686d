"""A person's journey: every agency's events in time order with where each came from, what each
practitioner role may see, filters, and linkage uncertainty marked."""

from __future__ import annotations

from datetime import date

from localjustice.people import JourneyFilters, load_practitioners, read_journey
from localjustice.people.journey import journey_sql
from tests.people.world import OUTSIDE_PRISON, World


def _world() -> World:
    w = World()
    w.conviction("P1", date(2023, 2, 1), "immediate_custody", custody_days=180,
                 requirements=["drug_rehab"])
    w.release("P1", date(2023, 2, 1), date(2023, 5, 2), prison=OUTSIDE_PRISON)
    w.supervision("P1", date(2023, 5, 2), end_date=date(2023, 11, 1), termination="completed")
    w.monitoring("P1", date(2023, 5, 2), 3, end_date=date(2023, 8, 1))
    w.victimisation("P1", date(2022, 12, 24))
    w.conviction("P1", date(2022, 6, 1), "youth_rehabilitation_order")
    # probation's record of P1 was linked with a doubtful score; prisons' record with a sure one
    w.pair("court_outcomes:COU-P1", "probation_supervision:PRO-P1", 0.72)
    w.pair("court_outcomes:COU-P1", "prison_custody:PRI-P1", 0.999)
    w.conviction("P2", date(2023, 3, 1))
    w.build()
    return w


def test_events_come_in_time_order_each_with_its_agency_and_delivery() -> None:
    w = _world()
    journey = read_journey(w.warehouse, "P1", load_practitioners()["yot_worker"], JourneyFilters())
    assert journey is not None
    assert [(e.event_date, e.agency) for e in journey.events] == [
        (date(2022, 6, 1), "Courts"), (date(2022, 12, 24), "Police (victims)"),
        (date(2023, 2, 1), "Courts"), (date(2023, 2, 1), "Prisons"),
        (date(2023, 5, 2), "Electronic monitoring"), (date(2023, 5, 2), "Probation")]
    assert {(e.delivery, e.arrived, e.extract_date) for e in journey.events} == {
        ("delivery-2024-03", date(2024, 4, 2), date(2024, 3, 31))}
    custody = journey.events[3]
    assert custody.title == "Custody (sentenced) at HMP High Down"
    assert custody.details == ["Outside the area", "Released 2 May 2023"]
    court = journey.events[2]
    assert court.details == ["Sentence: immediate custody", "Custody: 180 days", "Requirements: drug rehab"]
    assert journey.events[4].details == ["Violations: 3", "Ended 1 August 2023"]
    assert journey.events[5].details == ["Ended 1 November 2023: completed"]
    assert {r.agency for r in journey.identities} == {"Courts", "Prisons", "Probation",
                                                        "Electronic monitoring", "Police (victims)"}


def test_a_record_linked_below_the_review_ceiling_is_marked_with_its_partner() -> None:
    w = _world()
    journey = read_journey(w.warehouse, "P1", load_practitioners()["yot_worker"], JourneyFilters())
    assert journey is not None
    marks = {r.unit_id: (r.uncertain, r.link_partner) for r in journey.identities}
    assert marks["probation_supervision:PRO-P1"] == (True, "court_outcomes:COU-P1")
    assert marks["prison_custody:PRI-P1"] == (False, "court_outcomes:COU-P1")
    assert marks["court_outcomes:COU-P1"] == (False, "prison_custody:PRI-P1")
    assert [e.uncertain for e in journey.events if e.source == "probation_supervision"] == [True]


def test_what_a_role_sees_is_data_victimisations_and_youth_orders() -> None:
    w = _world()
    manager = read_journey(w.warehouse, "P1", load_practitioners()["offender_manager"], JourneyFilters())
    assert manager is not None
    assert "police_victims" not in {e.source for e in manager.events}
    assert "Police (victims)" not in {r.agency for r in manager.identities}
    assert [e.event_date for e in manager.events if e.source == "court_outcomes"] == [date(2023, 2, 1)]
    iom = read_journey(w.warehouse, "P1", load_practitioners()["iom_officer"], JourneyFilters())
    assert iom is not None and "police_victims" in {e.source for e in iom.events}


def test_filters_by_agency_and_period_hide_events_not_identities() -> None:
    w = _world()
    role = load_practitioners()["yot_worker"]
    courts = read_journey(w.warehouse, "P1", role, JourneyFilters(agency="court_outcomes"))
    assert courts is not None and [e.source for e in courts.events] == ["court_outcomes"] * 2
    assert courts.hidden_by_filters == 4 and len(courts.identities) == 5
    period = read_journey(w.warehouse, "P1", role, JourneyFilters(period_from=date(2023, 1, 1),
                                                                  period_to=date(2023, 2, 1)))
    assert period is not None and [e.agency for e in period.events] == ["Courts", "Prisons"]


def test_an_unknown_person_has_no_journey_and_the_records_query_is_one_statement() -> None:
    w = _world()
    assert read_journey(w.warehouse, "nobody", load_practitioners()["yot_worker"], JourneyFilters()) is None
    sql = journey_sql(load_practitioners()["yot_worker"], {"court_outcomes": 2, "police_victims": 1}, 1)
    assert sql.count(";") == 0 and sql.count("?") == 3 * 2 + 1 + 3


def test_the_heading_is_the_name_most_records_give_ties_to_the_most_recent() -> None:
    w = World()
    # P3: two records say Robin Example, the most recent says Robyn Exampel: most records win
    w.conviction("P3", date(2023, 1, 5), forename="Robin", surname="Example")
    w.release("P3", date(2023, 1, 5), date(2023, 3, 1), forename="Robin", surname="Example")
    w.supervision("P3", date(2023, 6, 1), forename="Robyn", surname="Exampel")
    # P4: one record each; Samuel Lee's (2023) is more recent than Sam Lee's (2022)
    w.conviction("P4", date(2022, 2, 1), forename="Sam", surname="Lee")
    w.supervision("P4", date(2023, 2, 1), forename="Samuel", surname="Lee")
    w.build()
    role = load_practitioners()["offender_manager"]
    robin = read_journey(w.warehouse, "P3", role, JourneyFilters(agency="probation_supervision"))
    assert robin is not None and (robin.name, robin.also_recorded_as) == ("Robin Example", ["Robyn Exampel"])
    sam = read_journey(w.warehouse, "P4", role, JourneyFilters())
    assert sam is not None and (sam.name, sam.also_recorded_as) == ("Samuel Lee", ["Sam Lee"])
