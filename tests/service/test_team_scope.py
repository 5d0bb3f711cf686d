"""Issue 10 finding 1: what a client sends never selects, or reveals, another team's person or case.

The attack: a caseworker of team south opens a case for source id PV-SECRET-1; a caseworker of
team north then sends the same source and source id with other details, or a referral id south
used, or the name, date of birth and crime of south's case. Each must open north's own case with
north's details, answer exactly as a non-match does, and leave a possible duplicate for a
supervisor of both teams.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import load_access_reasons
from localjustice.audit import AuditEvent
from localjustice.service import CaseService, NotAllowed, NotFound, StaleEdit
from localjustice.service.models import Person, PossibleDuplicate
from localjustice.service.schemas import DuplicateDecisionIn, HandoverIn, IntakeResult, ReferralIn
from tests.service.conftest import ADMIN, CASEWORKER, COLLEAGUE, OTHER_TEAM, SUPERVISOR, Actor

REASON = load_access_reasons().parse("case", "supervision")
REVIEW = load_access_reasons().parse("possible_duplicate", "duplicate_review")


Referral = Callable[..., ReferralIn]
NORTH_SUPERVISOR = Actor("sv.ivy", "supervisor", ("north",), "Ivy Supervisor")


def _south_secret(service: CaseService, referral: Referral, **overrides: object) -> IntakeResult:
    values: dict[str, object] = {
        "source": "police", "source_person_id": "PV-SECRET-1", "forename": "Sally", "surname": "Secret",
        "date_of_birth": date(1971, 2, 3), "crime_id": "CR-S1", "team": "south", "referral_id": "SR-1"}
    values.update(overrides)
    return service.receive_referral(OTHER_TEAM, referral(**values))


def _shape(result: IntakeResult) -> tuple[bool, str]:
    """What an intake answer says apart from its own new ids."""
    return result.joined_existing, type(result.referral_id).__name__


def test_another_teams_source_id_opens_the_callers_own_case_with_what_they_typed(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    """Issue 10 finding 1: north posting south's source id gets its own case showing north's details."""
    south = _south_secret(service, referral)
    north = service.receive_referral(CASEWORKER, referral(
        source="police", source_person_id="PV-SECRET-1", forename="Nora", surname="Madeup",
        date_of_birth=date(1999, 9, 9), crime_id="CR-N1", referral_id=None))
    assert north.case_id != south.case_id and not north.joined_existing
    case = service.get_case(CASEWORKER, north.case_id, purpose=REASON)
    assert (case.forename, case.surname, case.date_of_birth) == ("Nora", "Madeup", date(1999, 9, 9))
    assert "Sally" not in case.model_dump_json() and "1971" not in case.model_dump_json()
    with pytest.raises(NotFound):
        service.get_case(CASEWORKER, south.case_id, purpose=REASON)
    kept = service.get_case(OTHER_TEAM, south.case_id, purpose=REASON)
    assert (kept.forename, kept.date_of_birth) == ("Sally", date(1971, 2, 3))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 2


def test_a_referral_id_another_team_used_selects_nothing_of_theirs(
        service: CaseService, referral: Referral) -> None:
    """Issue 10 finding 1: a referral id reused by another team opens the caller's own case."""
    south = _south_secret(service, referral)
    north = service.receive_referral(CASEWORKER, referral(referral_id="SR-1", forename="Nora",
                                                          surname="Madeup", source_person_id="N-9"))
    assert north.case_id != south.case_id and north.referral_id == "SR-1" and not north.joined_existing
    assert service.get_case(CASEWORKER, north.case_id, purpose=REASON).forename == "Nora"
    # still idempotent within the team
    assert service.receive_referral(COLLEAGUE, referral(referral_id="SR-1", forename="Nora",
                                                        surname="Madeup", source_person_id="N-9")) == north


def test_another_teams_name_date_of_birth_and_crime_answer_as_a_non_match_does(
        service: CaseService, referral: Referral) -> None:
    """Issue 10 finding 1: no oracle; the same person and crime as a south case answers like a stranger."""
    _south_secret(service, referral)
    same = service.receive_referral(CASEWORKER, referral(
        source="caseworker", source_person_id=None, forename="Sally", surname="Secret",
        date_of_birth=date(1971, 2, 3), crime_id="CR-S1"))
    stranger = service.receive_referral(CASEWORKER, referral(
        source="caseworker", source_person_id=None, forename="Tom", surname="Stranger",
        date_of_birth=date(1980, 1, 1), crime_id="CR-X"))
    assert _shape(same) == _shape(stranger) == (False, "str")
    assert service.get_case(CASEWORKER, same.case_id, purpose=REASON).team == "north"


def test_a_possible_duplicate_is_for_a_supervisor_of_both_teams_and_admins_only(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    """Issue 10 finding 1: the cross-team match is flagged for review, never shown to the caller."""
    south = _south_secret(service, referral)
    north = service.receive_referral(CASEWORKER, referral(
        source="police", source_person_id="PV-SECRET-1", forename="Nora", surname="Madeup",
        date_of_birth=date(1999, 9, 9), crime_id="CR-N1"))
    # sending it again flags nothing new
    service.receive_referral(COLLEAGUE, referral(source="police", source_person_id="PV-SECRET-1",
                                                 forename="Nora", surname="Madeup",
                                                 date_of_birth=date(1999, 9, 9), crime_id="CR-N1"))
    listed = service.possible_duplicates(SUPERVISOR, purpose=REVIEW).duplicates
    assert len(listed) == 1
    flag = listed[0]
    assert flag.matched_on == "source_id"
    sides = {flag.person.team: flag.person, flag.other.team: flag.other}
    assert sides["south"].forename == "Sally" and sides["north"].forename == "Nora"
    assert sides["south"].cases == [south.reference] and sides["north"].cases == [north.reference]
    assert service.possible_duplicates(ADMIN, purpose=REVIEW).duplicates[0].id == flag.id
    assert service.possible_duplicates(NORTH_SUPERVISOR, purpose=REVIEW).duplicates == []
    for caseworker in (CASEWORKER, OTHER_TEAM):
        with pytest.raises(NotAllowed):
            service.possible_duplicates(caseworker, purpose=REVIEW)
    with pytest.raises(NotFound):
        service.decide_duplicate(NORTH_SUPERVISOR, flag.id, DuplicateDecisionIn(decision="same_person"),
                                 expected_version=flag.version, purpose=REVIEW)
    decided = service.decide_duplicate(SUPERVISOR, flag.id, DuplicateDecisionIn(
        decision="same_person", note="Same police id"), expected_version=flag.version,
        purpose=REVIEW)
    assert (decided.status, decided.decided_by) == ("same_person", "sv.dove")
    with pytest.raises(StaleEdit):
        service.decide_duplicate(ADMIN, flag.id, DuplicateDecisionIn(decision="different_people"),
                                 expected_version=flag.version, purpose=REVIEW)
    assert service.possible_duplicates(SUPERVISOR, purpose=REVIEW).duplicates == []
    with sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("possible_duplicate.%"))
                            .order_by(AuditEvent.id)).all()
        assert actions[0] == "possible_duplicate.flag" and "possible_duplicate.decide" in actions
        assert s.scalar(select(func.count()).select_from(PossibleDuplicate)) == 1


def test_a_same_team_referral_that_joins_keeps_what_it_said_and_shows_the_difference(
        service: CaseService, referral: Referral) -> None:
    """Issue 10 finding 1: what the caller typed is never dropped when it joins a known person."""
    first = service.receive_referral(CASEWORKER, referral(referral_id="R1"))
    second = service.receive_referral(COLLEAGUE, referral(referral_id="R2", forename="Adah",
                                                          surname="Otherway", date_of_birth=date(1991, 1, 1)))
    assert second.joined_existing and second.case_id == first.case_id
    case = service.get_case(CASEWORKER, first.case_id, purpose=REASON)
    assert (case.forename, case.date_of_birth) == ("Ada", date(1990, 5, 17))
    r1, r2 = case.referrals
    assert r1.differs == [] and (r1.forename, r1.source_person_id) == ("Ada", "P-001")
    assert (r2.forename, r2.surname, r2.date_of_birth) == ("Adah", "Otherway", date(1991, 1, 1))
    assert r2.differs == ["name", "date_of_birth"]


def test_a_case_handed_to_another_team_takes_a_record_of_that_team(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    """A case's person is always its own team's: moving team copies the record to the new team."""
    opened = service.receive_referral(CASEWORKER, referral())
    case = service.get_case(SUPERVISOR, opened.case_id, purpose=REASON)
    service.hand_over(SUPERVISOR, opened.case_id, HandoverIn(to_username="cw.cedar", to_team="south",
                                                             reason="Moved to south London"),
                      expected_version=case.version)
    moved = service.get_case(OTHER_TEAM, opened.case_id, purpose=REASON)
    assert (moved.team, moved.forename, moved.spoc_name) == ("south", "Ada", "Cedar Caseworker")
    with sessions() as s:
        teams = dict(s.execute(select(Person.id, Person.team)).all())
    assert sorted(teams.values()) == ["north", "south"]
    # south's own referral for the same person now joins the moved case
    again = service.receive_referral(OTHER_TEAM, referral(team="south", referral_id="S-2"))
    assert again.joined_existing and again.case_id == opened.case_id
