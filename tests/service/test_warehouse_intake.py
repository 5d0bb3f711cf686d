"""Cases open in bulk from the warehouse's victim referrals: set-wise, joined, idempotent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import load_access_reasons
from localjustice.service import Allocation, CaseService, NotAllowed, england_and_wales, import_referrals
from localjustice.service.models import Case, Entitlement, IncomingReferral, Person, PossibleDuplicate
from localjustice.service.schemas import CaseFilters
from localjustice.warehouse import Warehouse
from tests.service.conftest import CASEWORKER, STEWARD, SUPERVISOR, make_referral

REVIEW = load_access_reasons().parse("possible_duplicate", "duplicate_review")

ALLOCATION = Allocation(
    default_team="north",
    caseworkers={"north": [("cw.amber", "Amber"), ("cw.basil", "Basil")], "south": [("cw.cedar", "Cedar")]},
    team_by_borough={"E09000001": "north", "E09000002": "south"},
)

# referral_id, source_person_id, forename, surname, dob, crime_id, date, role, borough
REFERRALS = [
    ("R1", "V1", "Ada", "Testperson", "1990-05-17", "C1", "2024-03-01", "victim", "E09000001"),
    ("R2", "V1", "Ada", "Testperson", "1990-05-17", "C1", "2024-03-04", "victim", "E09000001"),  # joins R1
    ("R3", "V2", "ADA", "Test-Person", "1990-05-17", "C1", "2024-03-05", "witness", "E09000001"),  # joins
    ("R4", "V1", "Ada", "Testperson", "1990-05-17", "C2", "2024-03-05", "victim", "E09000001"),  # new case
    ("R5", "V3", "Ben", "Sample", "1985-01-02", "C3", "2022-12-22", "victim", "E09000002"),  # Christmas
    ("R6", "V4", "Cy", "Example", "2001-07-07", None, "2024-03-04", "witness", None),  # default team
]


def _load(warehouse: Warehouse, rows: Sequence[tuple[str | None, ...]]) -> None:
    for i, (rid, spid, fn, sn, dob, crime, day, role, borough) in enumerate(rows):
        warehouse.connection.execute(
            """INSERT INTO identity.victim_referrals (batch_id, source_row, source_person_id, forename,
                   surname, date_of_birth, borough_code, referral_id, crime_id, referral_date, referrer,
                   role, needs, service, pnc_id_valid)
               VALUES ('b1', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'police', ?, ['emotional'], 'general_support',
                       false)""",
            [i, spid, fn, sn, dob, borough, rid, crime, day, role])
    warehouse.connection.execute(
        """INSERT INTO identity.police_victims (batch_id, source_row, source_person_id, forename, surname,
               date_of_birth, crime_id, enhanced_rights, contact_preference, pnc_id_valid)
           VALUES ('b0', 0, 'PV9', 'Ben', 'Sample', '1985-01-02', 'C3', ['serious_crime'], 'email', false)""")


def test_referrals_open_and_join_cases_set_wise(
        warehouse: Warehouse, sessions: sessionmaker[Session], service: CaseService) -> None:
    _load(warehouse, REFERRALS)
    report = import_referrals(warehouse, sessions, STEWARD, ALLOCATION)
    assert (report.referrals_read, report.cases_opened, report.referrals_joined, report.persons_created) == (
        6, 4, 2, 3)
    with sessions() as s:
        by_ref = dict(s.execute(select(IncomingReferral.referral_id, IncomingReferral.case_id)).all())
        assert by_ref["R1"] == by_ref["R2"] == by_ref["R3"] != by_ref["R4"]
        ben = s.scalars(select(Case).where(Case.id == by_ref["R5"])).one()
        assert (ben.team, ben.spoc_username, ben.enhanced_rights, ben.contact_preference) == (
            "south", "cw.cedar", ["serious_crime"], "email")
        assert s.scalars(select(Case.team).where(Case.id == by_ref["R6"])).one() == "north"
        spocs = set(s.scalars(select(Case.spoc_username).where(Case.team == "north")).all())
        assert spocs == {"cw.amber", "cw.basil"}  # shared in turn
        due = s.scalars(select(Entitlement.due_on).where(Entitlement.case_id == ben.id,
                                                         Entitlement.rule_key == "referral_to_support")).one()
        assert due == date(2022, 12, 28)
        ada = s.scalars(select(Entitlement).where(Entitlement.case_id == by_ref["R1"],
                                                  Entitlement.rule_key == "referral_to_support")).one()
        assert ada.due_on == england_and_wales().add_working_days(date(2024, 3, 1), 2)
        assert ada.version == 1 and ada.working_days == 2
    assert service.list_cases(CASEWORKER, CaseFilters(), purpose="caseload").total == 3


def test_importing_twice_changes_nothing_and_new_rows_join_open_cases(
        warehouse: Warehouse, sessions: sessionmaker[Session], service: CaseService) -> None:
    _load(warehouse, REFERRALS[:1])
    import_referrals(warehouse, sessions, STEWARD, ALLOCATION)
    again = import_referrals(warehouse, sessions, STEWARD, ALLOCATION)
    assert (again.already_imported, again.cases_opened) == (1, 0)
    opened_by_hand = service.receive_referral(CASEWORKER, make_referral(
        source="caseworker", source_person_id=None, forename="Dee", surname="Handmade", crime_id="C9"))
    _load(warehouse, [
        ("R7", "V1", "Ada", "Testperson", "1990-05-17", "C1", "2024-03-06", "victim", "E09000001"),
        ("R8", "V9", "Dee", "Handmade", "1990-05-17", "C9", "2024-03-06", "victim", "E09000001"),
    ])
    later = import_referrals(warehouse, sessions, STEWARD, ALLOCATION)
    assert (later.cases_opened, later.referrals_joined, later.persons_created) == (0, 2, 0)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 2
        assert s.scalar(select(func.count()).select_from(Person)) == 2
        case_of_r8 = s.scalar(select(IncomingReferral.case_id).where(IncomingReferral.referral_id == "R8"))
        assert case_of_r8 == opened_by_hand.case_id


def test_only_data_stewards_and_admins_import(warehouse: Warehouse, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NotAllowed):
        import_referrals(warehouse, sessions, CASEWORKER, ALLOCATION)


def test_the_import_matches_only_within_each_team_and_flags_other_teams_matches(
        warehouse: Warehouse, sessions: sessionmaker[Session], service: CaseService) -> None:
    """Issue 10 finding 1: a referral allocated to south never joins north's person or case; the
    match is a possible duplicate for a supervisor of both teams, found set-wise."""
    north = service.receive_referral(CASEWORKER, make_referral(
        source="victim_referrals", source_person_id="V3", forename="Nora", surname="North", crime_id="C3"))
    south_ada = ("R9", "V8", "Ada", "Testperson", "1990-05-17", "C1", "2024-03-04", "victim", "E09000002")
    _load(warehouse, [REFERRALS[4], south_ada])  # R5: V3, Ben Sample, crime C3, in team south
    again = service.receive_referral(CASEWORKER, make_referral(referral_id="R9", source_person_id="P-9"))
    report = import_referrals(warehouse, sessions, STEWARD, ALLOCATION)
    # R9 was received by north by hand; the warehouse's R9 is south's and still imported
    assert (report.cases_opened, report.referrals_joined, report.persons_created) == (2, 0, 2)
    assert report.possible_duplicates == 2  # V3 by source id, Ada by name and date of birth
    with sessions() as s:
        by_ref = {(t, r): c for t, r, c in s.execute(select(
            IncomingReferral.team, IncomingReferral.referral_id, IncomingReferral.case_id)).all()}
        assert by_ref[("south", "R5")] != north.case_id
        assert by_ref[("south", "R9")] != again.case_id
        teams = dict(s.execute(select(Case.id, Case.team)).all())
        assert teams[by_ref[("south", "R5")]] == teams[by_ref[("south", "R9")]] == "south"
        assert s.scalar(select(func.count()).select_from(PossibleDuplicate)) == 2
    flags = service.possible_duplicates(SUPERVISOR, purpose=REVIEW).duplicates
    assert sorted(f.matched_on for f in flags) == ["name_and_date_of_birth", "source_id"]
    assert import_referrals(warehouse, sessions, STEWARD, ALLOCATION).possible_duplicates == 0
