"""A referral opens a case, or joins the open case for the same person and crime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import load_access_reasons
from localjustice.audit import AuditEvent, verify_chain
from localjustice.service import CaseService, InvalidInput, NotAllowed, NotFound, PurposeRequired
from localjustice.service.models import Case, Person
from localjustice.service.schemas import CaseFilters, CloseIn, ReferralIn
from tests.service.conftest import BOARD, CASEWORKER, COLLEAGUE, OTHER_TEAM, SUPERVISOR

Referral = Callable[..., ReferralIn]
SUPERVISION = load_access_reasons().parse("case", "supervision")


def test_a_referral_opens_a_case_with_the_caseworker_as_single_point_of_contact(
        service: CaseService, referral: Referral) -> None:
    result = service.receive_referral(CASEWORKER, referral())
    assert not result.joined_existing
    case = service.get_case(CASEWORKER, result.case_id)
    assert case.status == "open"
    assert (case.spoc_username, case.spoc_name) == ("cw.amber", "Amber Caseworker")
    assert case.reference == result.reference
    assert {e.rule_key for e in case.entitlements} >= {"referral_to_support", "communication_needs_met"}
    support = next(e for e in case.entitlements if e.rule_key == "referral_to_support")
    assert support.due_on == date(2024, 3, 6)  # Mon 4 March + 2 working days


def test_a_referral_that_joins_an_existing_case_for_the_same_source_person_and_crime(
        service: CaseService, referral: Referral) -> None:
    first = service.receive_referral(CASEWORKER, referral(referral_id="R1"))
    second = service.receive_referral(COLLEAGUE, referral(referral_id="R2", forename="Adah",
                                                          referrer="cps"))
    assert second.joined_existing
    assert second.case_id == first.case_id
    case = service.get_case(CASEWORKER, first.case_id)
    assert [r.referral_id for r in case.referrals] == ["R1", "R2"]
    assert case.spoc_username == "cw.amber"  # joining never changes the single point of contact


def test_the_same_name_and_date_of_birth_from_another_source_is_the_same_person(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    first = service.receive_referral(CASEWORKER, referral(referral_id="R1"))
    second = service.receive_referral(CASEWORKER, referral(
        referral_id="W7", source="witness_care", source_person_id="WC-99", forename="ADA ",
        surname="Test-Person", referrer="witness_care", role="witness"))
    assert second.joined_existing and second.case_id == first.case_id
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1


def test_another_crime_opens_a_second_case_for_the_same_person(
        service: CaseService, referral: Referral) -> None:
    first = service.receive_referral(CASEWORKER, referral(referral_id="R1"))
    second = service.receive_referral(CASEWORKER, referral(referral_id="R2", crime_id="CR-2"))
    assert not second.joined_existing and second.case_id != first.case_id


def test_a_referral_after_the_case_closed_opens_a_new_case(
        service: CaseService, referral: Referral) -> None:
    first = service.receive_referral(CASEWORKER, referral(referral_id="R1"))
    case = service.get_case(CASEWORKER, first.case_id)
    service.close_case(SUPERVISOR, first.case_id, CloseIn(outcome="support_completed",
                                                          reason="Support completed"),
                       expected_version=case.version)
    again = service.receive_referral(CASEWORKER, referral(referral_id="R2"))
    assert not again.joined_existing and again.case_id != first.case_id


def test_the_same_referral_twice_is_received_once(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    first = service.receive_referral(CASEWORKER, referral(referral_id="R1"))
    repeat = service.receive_referral(CASEWORKER, referral(referral_id="R1"))
    assert repeat == first
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1


def test_cases_are_seen_only_by_their_teams(service: CaseService, referral: Referral) -> None:
    opened = service.receive_referral(CASEWORKER, referral())
    with pytest.raises(NotFound):
        service.get_case(OTHER_TEAM, opened.case_id, purpose=SUPERVISION)
    assert service.get_case(SUPERVISOR, opened.case_id, purpose=SUPERVISION).id == opened.case_id
    assert service.list_cases(OTHER_TEAM, CaseFilters(), purpose="caseload").total == 0
    assert service.list_cases(SUPERVISOR, CaseFilters(), purpose="caseload").total == 1
    with pytest.raises(NotAllowed):
        service.get_case(BOARD, opened.case_id, purpose=SUPERVISION)


def test_a_caseworker_cannot_open_a_case_in_another_team(service: CaseService, referral: Referral) -> None:
    with pytest.raises(InvalidInput) as raised:
        service.receive_referral(OTHER_TEAM, referral(team="north"))
    assert "team" in raised.value.errors


def test_every_view_needs_a_purpose_and_is_audited(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    opened = service.receive_referral(CASEWORKER, referral())
    with pytest.raises(PurposeRequired):
        service.get_case(COLLEAGUE, opened.case_id)
    service.get_case(CASEWORKER, opened.case_id)
    with sessions() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert [(e.action, e.subject_id) for e in events] == [
            ("case.open", str(opened.case_id)), ("case.view", str(opened.case_id))]
        assert events[1].purpose == "case management: allocated caseworker"
        assert "Ada" not in str([e.detail for e in events])  # no personal values in the audit log
        assert verify_chain(s).ok


def test_the_case_list_filters_and_pages(service: CaseService, referral: Referral) -> None:
    for i in range(5):
        service.receive_referral(CASEWORKER, referral(referral_id=f"R{i}", crime_id=f"CR-{i}",
                                                      role="witness" if i % 2 else "victim"))
    page = service.list_cases(CASEWORKER, CaseFilters(role="witness", page_size=1), purpose="caseload")
    assert page.total == 2 and len(page.cases) == 1
    by_ref = service.list_cases(CASEWORKER, CaseFilters(reference=page.cases[0].reference),
                                purpose="caseload")
    assert [c.id for c in by_ref.cases] == [page.cases[0].id]
    # a superscript digit is a digit to str.isdigit() but not to int(): no match, and no error
    assert service.list_cases(CASEWORKER, CaseFilters(reference="²"), purpose="caseload").total == 0
