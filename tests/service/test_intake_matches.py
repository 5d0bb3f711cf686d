"""Possible matches at intake (issue 17, part 4): offered within the caller's teams only, never
joined unseen, and the answer the same whether or not another team holds the person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.service import CaseService, MatchDecision, PossibleMatches
from localjustice.service.duplicates import date_of_birth_variants, name_score
from localjustice.service.models import IncomingReferral
from localjustice.service.schemas import ReferralIn
from tests.service.conftest import CASEWORKER, OTHER_TEAM

Referral = Callable[..., ReferralIn]


def test_a_transposed_date_of_birth_is_a_variant_and_a_different_date_is_not() -> None:
    variants = date_of_birth_variants(date(1990, 5, 17))
    # 19900517: of the adjacent swaps only 1909-05-17 and 9190-05-17 are dates; 17/05 is no month
    assert variants == {date(1990, 5, 17), date(1909, 5, 17), date(9190, 5, 17)}
    assert date(1990, 5, 18) not in variants  # one digit changed, not transposed
    assert date(1991, 5, 17) not in variants
    # day and month swapped, when both are months
    assert date(1990, 3, 4) in date_of_birth_variants(date(1990, 4, 3))


def test_jaro_winkler_boundary_of_the_name_rule() -> None:
    assert name_score("Martha", "Smith", "Marhta", "Smith") == pytest.approx(0.961, abs=1e-3)
    # 'Ada' and 'Adam' score 0.9333 (>= 0.88: offered); 'Ada' and 'Eda' 0.7778 (not offered)
    assert name_score("Ada", "Testperson", "Adam", "Testperson") >= 0.88
    assert name_score("Ada", "Testperson", "Eda", "Testperson") < 0.88
    assert name_score("Zoë", "O'Brien", "Zoe", "OBrien") == 1.0


def test_a_similar_name_and_transposed_birth_date_is_offered_not_joined(
        service: CaseService, referral: Referral, sessions: sessionmaker[Session]) -> None:
    first = service.receive_referral(CASEWORKER, referral(source_person_id=None))
    again = referral(source_person_id=None, forename="Adah", date_of_birth=date(1909, 5, 17),
                     crime_id="CR-2")
    with pytest.raises(PossibleMatches) as offered:
        service.receive_referral(CASEWORKER, again, offer_matches=True)
    assert [m.case_id for m in offered.value.matches] == [first.case_id]
    assert offered.value.matches[0].matched_on == "name_and_date_of_birth"
    assert offered.value.matches[0].date_of_birth_exact is False
    # one digit changed rather than transposed: not offered
    assert service.possible_matches(CASEWORKER, again.model_copy(
        update={"date_of_birth": date(1990, 5, 18)})) == []
    # a new case needs a reason; with one it is opened, and the decision is kept
    with pytest.raises(PossibleMatches) as no_reason:
        service.receive_referral(CASEWORKER, again, decision=MatchDecision())
    assert "match_reason" in no_reason.value.errors
    new = service.receive_referral(CASEWORKER, again,
                                   decision=MatchDecision(new_case_reason="Different person: sister"))
    assert new.case_id != first.case_id and not new.joined_existing
    with sessions() as s:
        kept = s.scalar(select(IncomingReferral).where(IncomingReferral.case_id == new.case_id))
        assert kept is not None and kept.match_decision == "new"
        assert kept.match_reason == "Different person: sister" and kept.match_offered == [first.case_id]


def test_joining_an_offered_case_and_only_an_offered_one(service: CaseService, referral: Referral) -> None:
    first = service.receive_referral(CASEWORKER, referral(source_person_id=None))
    other = service.receive_referral(CASEWORKER, referral(source_person_id=None, forename="Quentin",
                                                          surname="Other", date_of_birth=date(1970, 1, 1)))
    again = referral(source_person_id=None, surname="Testpersen", crime_id="CR-9")
    with pytest.raises(PossibleMatches):
        service.receive_referral(CASEWORKER, again, decision=MatchDecision(join_case_id=other.case_id))
    joined = service.receive_referral(CASEWORKER, again, decision=MatchDecision(join_case_id=first.case_id))
    assert joined.case_id == first.case_id and joined.joined_existing


def test_the_linkage_person_id_decides_when_both_carry_one(service: CaseService, referral: Referral) -> None:
    first = service.receive_referral(CASEWORKER, referral(source_person_id=None, linkage_person_id="L-1"))
    # same name and date of birth, but the linkage says a different person: not offered
    assert service.possible_matches(CASEWORKER, referral(linkage_person_id="L-2", crime_id="CR-5")) == []
    # a different name, the same linkage person: offered
    found = service.possible_matches(CASEWORKER, referral(
        forename="Zed", surname="Renamed", date_of_birth=date(1950, 1, 1), linkage_person_id="L-1"))
    assert [(m.case_id, m.matched_on) for m in found] == [(first.case_id, "linkage_person")]


def test_another_teams_match_is_never_offered_and_the_answer_is_the_same(
        service: CaseService, referral: Referral) -> None:
    north = service.receive_referral(CASEWORKER, referral(source_person_id=None))
    probe = referral(source_person_id=None, forename="Adah", crime_id="CR-7")
    lone = referral(source_person_id=None, forename="Bea", surname="Lone", date_of_birth=date(1980, 2, 2),
                    crime_id="CR-8")
    with pytest.raises(PossibleMatches) as before:
        service.receive_referral(CASEWORKER, probe, offer_matches=True)
    # team south now holds both people, with the same names and dates of birth
    service.receive_referral(OTHER_TEAM, referral(source_person_id=None, team="south"))
    service.receive_referral(OTHER_TEAM, lone.model_copy(update={"team": "south"}))
    with pytest.raises(PossibleMatches) as after:
        service.receive_referral(CASEWORKER, probe, offer_matches=True)
    assert before.value.matches == after.value.matches
    assert [m.case_id for m in after.value.matches] == [north.case_id]
    # nobody of north's: taken at once, as though south held nobody
    opened = service.receive_referral(CASEWORKER, lone, offer_matches=True)
    assert not opened.joined_existing
    # and south's caseworker is offered only south's
    assert {m.team for m in service.possible_matches(OTHER_TEAM, probe.model_copy(
        update={"team": "south"}))} == {"south"}
