"""A caseworker's due work (today, this working week, overdue) and search by name or date of birth,
within their teams, audited with the reason given."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor, load_access_reasons
from localjustice.audit import AuditEvent
from localjustice.service import (
    CaseService,
    InvalidInput,
    NotAllowed,
    PurposeRequired,
    WorkLists,
    parse_input,
)
from localjustice.service.schemas import DueFilters, SearchIn
from tests.service.conftest import BOARD, CASEWORKER, COLLEAGUE, OTHER_TEAM, SUPERVISOR, Clock, make_referral

TODAY = date(2026, 11, 18)  # a Wednesday
CALLER = load_access_reasons().parse("person_search", "contact_from_person")


@pytest.fixture
def work(sessions: sessionmaker[Session], clock: Clock) -> WorkLists:
    clock.today = TODAY
    return WorkLists(sessions, today=clock)


def _open(service: CaseService, n: int, day: date, *, by: Actor = CASEWORKER, spoc: str = CASEWORKER.username,
          **person: object) -> int:
    referral = make_referral(source_person_id=f"P-{n}", crime_id=f"CR-{n}", referral_date=day, **person)
    return service.receive_referral(by, referral, spoc_username=spoc).case_id


def test_the_working_week_stops_before_the_weekend_and_bank_holidays(work: WorkLists) -> None:
    assert work.week_ends(TODAY) == date(2026, 11, 20)  # Friday
    assert work.week_ends(date(2026, 12, 23)) == date(2026, 12, 24)  # Christmas Day is a bank holiday
    assert work.week_ends(date(2026, 11, 21)) == date(2026, 11, 27)  # a Saturday: next week's Friday
    # Christmas Day (a Friday): nothing left this week; next week ends Thursday, as 1 January is a holiday
    assert work.week_ends(date(2026, 12, 25)) == date(2026, 12, 31)


def test_due_today_this_week_and_overdue_are_counted_in_working_days(
        service: CaseService, work: WorkLists, clock: Clock) -> None:
    clock.today = TODAY
    # 'referral to support' is due 2 working days after the referral
    _open(service, 1, date(2026, 11, 12))  # due Mon 16: overdue
    _open(service, 2, date(2026, 11, 16))  # due Wed 18: today
    _open(service, 3, date(2026, 11, 17))  # due Thu 19: this week
    _open(service, 4, date(2026, 11, 18))  # due Fri 20: this week
    _open(service, 5, date(2026, 11, 19))  # due Mon 23: next week
    _open(service, 6, date(2026, 11, 17), forename="Col", spoc=COLLEAGUE.username)  # a colleague's
    counts = work.due_counts(CASEWORKER)
    assert (counts.overdue, counts.due_today, counts.due_this_week, counts.week_ends) == (
        1, 1, 3, date(2026, 11, 20))
    week = work.due(CASEWORKER, DueFilters(when="week"))
    assert [i.due_on for i in week.items] == [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]
    assert week.items[0].right_number == 4 and "support" in week.items[0].right_title
    assert [i.overdue for i in work.due(CASEWORKER, DueFilters(when="overdue")).items] == [True]
    team = work.due(CASEWORKER, DueFilters(when="week", mine=False))
    assert team.total == 4  # the colleague's case too, within the team
    assert work.due(OTHER_TEAM, DueFilters(when="week", mine=False)).total == 0
    paged = work.due(CASEWORKER, DueFilters(when="week", page=2, page_size=2))
    assert (paged.total, [i.due_on for i in paged.items]) == (3, [date(2026, 11, 20)])
    with pytest.raises(NotAllowed):
        work.due_counts(BOARD)


def test_search_finds_only_the_teams_people_and_records_why(
        service: CaseService, work: WorkLists, sessions: sessionmaker[Session], clock: Clock) -> None:
    clock.today = TODAY
    _open(service, 1, TODAY, forename="Ada", surname="Lovelace", date_of_birth=date(1990, 5, 17))
    _open(service, 2, TODAY, forename="Adam", surname="Smith", date_of_birth=date(1985, 1, 2))
    _open(service, 3, TODAY, forename="Zoë", surname="O'Brien", date_of_birth=date(1990, 5, 17))
    _open(service, 4, TODAY, forename="Ada", surname="Lovelace", date_of_birth=date(1990, 5, 17),
          team="south", by=OTHER_TEAM, spoc=OTHER_TEAM.username)
    with pytest.raises(PurposeRequired):
        work.search(CASEWORKER, SearchIn(name="ada"))
    found = work.search(CASEWORKER, SearchIn(name="ada"), purpose=CALLER)
    assert [(h.forename, h.surname, h.team) for h in found.hits] == [
        ("Ada", "Lovelace", "north"), ("Adam", "Smith", "north")]
    both = work.search(CASEWORKER, SearchIn(name="ada love"), purpose=CALLER)
    assert [h.forename for h in both.hits] == ["Ada"]
    for typed in ("obrien", "O'Brien", "zoe o-brien"):  # compared as letters, accents removed
        assert [h.surname for h in work.search(CASEWORKER, SearchIn(name=typed), purpose=CALLER).hits] == [
            "O'Brien"]
    by_birth = work.search(CASEWORKER, SearchIn(date_of_birth=date(1990, 5, 17)), purpose=CALLER)
    assert {h.team for h in by_birth.hits} == {"north"} and by_birth.total == 2
    assert work.search(OTHER_TEAM, SearchIn(name="ada"), purpose=CALLER).total == 1  # south's own only
    assert work.search(SUPERVISOR, SearchIn(name="lovelace"), purpose=CALLER).total == 2  # both teams
    page = work.search(CASEWORKER, SearchIn(name="ada", page=2, page_size=1), purpose=CALLER)
    assert (page.total, [h.surname for h in page.hits]) == (2, ["Smith"])
    with pytest.raises(NotAllowed):
        work.search(BOARD, SearchIn(name="ada"), purpose=CALLER)
    with sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "person.search")
                           .order_by(AuditEvent.id)).all()
    assert events and {e.purpose for e in events} == {CALLER.text}
    assert events[0].detail["searched_on"] == ["name"] and events[0].detail["reason"] == "contact_from_person"
    logged = json.dumps([e.detail for e in events]).lower()
    assert "ada" not in logged and "lovelace" not in logged and "1990" not in logged  # never what was typed


def test_a_stated_reason_holds_for_later_searches(service: CaseService, work: WorkLists,
                                                  clock: Clock) -> None:
    clock.today = TODAY
    _open(service, 1, TODAY)
    event = work.state_search_purpose(CASEWORKER, CALLER)
    assert work.search(CASEWORKER, SearchIn(name="ada"), stated_in=event).total == 1
    with pytest.raises(PurposeRequired):  # another user cannot cite it
        work.search(COLLEAGUE, SearchIn(name="ada"), stated_in=event)


def test_a_search_needs_something_to_search_for() -> None:
    with pytest.raises(InvalidInput) as empty:
        parse_input(SearchIn, {"name": ""})
    assert empty.value.errors == {"name": "Enter a name or a date of birth to search for"}
    with pytest.raises(InvalidInput) as short:
        parse_input(SearchIn, {"name": "a"})
    assert short.value.errors == {"name": "Enter at least 2 letters of the name"}


def test_a_date_of_birth_to_search_for_must_be_plausible() -> None:
    with pytest.raises(InvalidInput) as future:
        parse_input(SearchIn, {"date_of_birth": date(2999, 1, 1)}, today=TODAY)
    assert set(future.value.errors) == {"date_of_birth"}
