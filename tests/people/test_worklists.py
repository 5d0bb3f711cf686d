"""Every worklist on hand-worked fixtures: boundary days, working days over Easter 2024 (Good Friday
29 March, Easter Monday 1 April), a release from a prison outside the area. "Today" is Wednesday
10 April 2024 throughout."""

from __future__ import annotations

from datetime import date

import pytest

from localjustice.people import data_end, load_worklists, worklist_counts, worklist_entries
from localjustice.people.worklists import WorklistsInvalid, months_before, parse_worklists, rule_of
from tests.people.world import OUTSIDE_PRISON, World

TODAY = date(2024, 4, 10)


def _listed(world: World, code: str) -> dict[str, tuple[date, date | None, bool | None, str]]:
    entries = worklist_entries(world.build(), rule_of(code), TODAY)
    return {e.person_id: (e.key_date, e.due_date, e.in_area, e.detail) for e in entries}


def test_through_the_gate_counts_two_working_days_over_easter_and_splits_by_prison_area() -> None:
    w = World()
    # released the Thursday before Easter: working days after are Tue 2 and Wed 3 April
    w.release("A", date(2024, 1, 2), date(2024, 3, 28))
    w.supervision("A", date(2024, 4, 3))  # the 2nd working day: in time (by calendar days it is not)
    w.release("B", date(2024, 1, 2), date(2024, 3, 28))
    w.supervision("B", date(2024, 4, 4))  # the 3rd working day: too late
    w.release("D", date(2024, 1, 2), date(2024, 3, 27))  # 14 days before today: outside the window
    w.release("E", date(2024, 1, 2), date(2024, 4, 5), prison=OUTSIDE_PRISON)  # Friday: due Tuesday
    w.release("F", date(2024, 1, 2), date(2024, 4, 10))  # released today, nothing started yet
    w.release("G", date(2024, 1, 2), date(2024, 4, 1))
    w.supervision("G", date(2024, 4, 1))  # licence from the day of release
    listed = _listed(w, "through_the_gate")
    assert listed == {"B": (date(2024, 3, 28), date(2024, 4, 3), True, "sentenced"),
                      "E": (date(2024, 4, 5), date(2024, 4, 9), False, "sentenced"),
                      "F": (date(2024, 4, 10), date(2024, 4, 12), True, "sentenced")}
    counts = {c.code: (c.count, c.outside_area) for c in worklist_counts(w.warehouse, TODAY)}
    assert counts["through_the_gate"] == (3, 1)


def test_women_released_to_no_supervision_are_women_only_within_three_months() -> None:
    w = World()
    w.release("W1", date(2023, 10, 1), date(2024, 1, 11), sex="F")  # 90 days ago: in
    w.release("W2", date(2023, 10, 1), date(2024, 1, 10), sex="F")  # 91 days ago: out
    w.release("W3", date(2023, 10, 1), date(2024, 2, 1), sex="F")
    w.supervision("W3", date(2024, 2, 2), sex="F")
    w.release("M1", date(2023, 10, 1), date(2024, 2, 1))
    assert set(_listed(w, "women_released_unsupervised")) == {"W1"}


def test_youth_turning_18_within_six_months_on_an_order_of_the_last_year() -> None:
    w = World()
    order = "youth_rehabilitation_order"
    w.conviction("Y1", date(2024, 1, 5), order, born=date(2006, 10, 10))  # 18 on 10 Oct: the last day
    w.conviction("Y2", date(2024, 1, 5), order, born=date(2006, 10, 11))  # 18 a day too late
    w.conviction("Y3", date(2024, 1, 5), "referral_order", born=date(2006, 4, 10))  # 18 today: no
    w.conviction("Y4", date(2024, 1, 5), "referral_order", born=date(2006, 4, 11))  # tomorrow: yes
    w.conviction("Y5", date(2023, 4, 10), order, born=date(2006, 9, 1))  # order 12 months old
    w.conviction("Y6", date(2024, 1, 5), "fine", born=date(2006, 9, 1))  # not a youth order
    listed = _listed(w, "youth_turning_18")
    assert {p: v[1] for p, v in listed.items()} == {"Y1": date(2024, 10, 10), "Y4": date(2024, 4, 11)}


def test_young_adults_moved_to_adult_probation_after_a_youth_order() -> None:
    w = World()
    for person, start, born, youth in (("M1", date(2024, 2, 1), date(2005, 6, 1), True),
                                       ("M2", date(2024, 2, 1), date(2005, 6, 1), False),
                                       ("M3", date(2024, 1, 10), date(2005, 6, 1), True),  # 3 months
                                       ("M4", date(2024, 2, 1), date(2002, 6, 1), True)):  # aged 21
        if youth:
            w.conviction(person, date(2022, 5, 1), "youth_rehabilitation_order", born=born)
        w.supervision(person, start, "community_order", born=born)
    assert _listed(w, "young_adults_moved") == {"M1": (date(2024, 2, 1), None, None, "community_order")}


def test_women_remanded_or_sentenced_to_twelve_months_or_less_this_month() -> None:
    w = World()
    w.release("Wa", date(2024, 4, 1), None, custody_type="remand", sex="F")
    w.conviction("Wb", date(2024, 4, 5), "immediate_custody", custody_days=365, sex="F")
    w.conviction("Wc", date(2024, 4, 5), "immediate_custody", custody_days=366, sex="F")
    w.release("Wd", date(2024, 3, 31), None, custody_type="remand", sex="F")  # last month
    w.release("Me", date(2024, 4, 2), None, custody_type="remand")
    listed = _listed(w, "women_short_custody")
    assert {p: v[3] for p, v in listed.items()} == {"Wa": "remand", "Wb": "sentenced: 365 days"}


def test_persistent_offenders_with_monitoring_violations() -> None:
    w = World()
    for person, violations, first in (("Pa", 2, date(2023, 5, 1)), ("Pb", 0, date(2023, 5, 1)),
                                      ("Pc", 1, date(2023, 4, 10))):  # 12 months ago: not counted
        w.conviction(person, first)
        w.caution(person, date(2023, 9, 1))
        w.conviction(person, date(2024, 3, 1))
        w.monitoring(person, date(2023, 6, 1), violations)
    assert _listed(w, "persistent_em_violations") == {
        "Pa": (date(2024, 3, 1), None, None, "3 proven offences, 2 monitoring violations")}


def test_victims_who_are_also_offenders_in_the_last_year() -> None:
    w = World()
    w.victimisation("Va", date(2024, 2, 1))
    w.conviction("Va", date(2023, 12, 1))
    w.victimisation("Vb", date(2023, 3, 1))  # too long ago
    w.conviction("Vb", date(2024, 1, 1))
    w.victimisation("Vc", date(2024, 2, 1))  # a victim only
    assert _listed(w, "victim_and_offender") == {
        "Va": (date(2024, 2, 1), None, None, "1 victimisations, 1 proven offences")}


def test_today_defaults_to_the_end_of_the_data() -> None:
    w = World()
    w.release("A", date(2024, 1, 2), date(2024, 3, 28))
    w.conviction("B", date(2024, 3, 30))
    assert data_end(w.build()) == date(2024, 3, 30)


def test_rules_are_data_and_a_malformed_rule_is_refused() -> None:
    assert {r.code for r in load_worklists()} >= {"through_the_gate", "victim_and_offender"}
    assert rule_of("through_the_gate").number("within_working_days") == 2
    with pytest.raises(WorklistsInvalid, match="lookback_days"):
        parse_worklists('[[worklist]]\ncode = "x"\nkind = "released_unsupervised"\n'
                        "within_working_days = 2\n")
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
