"""Bulk registration of a major incident's people (``incident_registration``): every bad row named
with its reasons, the good ones in one bulk INSERT per table, nothing left half-registered by a
failure part-way, and the same cases, clocks and duplicate flags as single intake."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor
from localjustice.service import CaseService, IncidentService, StaffList
from localjustice.service.incident_models import IncidentCase, IncidentRow, IncidentUpload
from localjustice.service.incident_schemas import IncidentIn, UploadResult
from localjustice.service.models import (
    Case,
    CaseEvent,
    Entitlement,
    Handover,
    IncomingReferral,
    Person,
    PossibleDuplicate,
)
from tests.service.conftest import CASEWORKER, OTHER_TEAM, Clock, make_referral

LEAD = Actor("sv.north", "supervisor", ("north",), "North Supervisor")
STAFF = StaffList.of([(a.username, a.display_name, a.role, a.teams) for a in (CASEWORKER, OTHER_TEAM, LEAD)])
HEADER = "forename,surname,date_of_birth,role,injury,bereaved,needs,contact_preference,phone,email\n"


@pytest.fixture
def service(sessions: sessionmaker[Session], clock: Clock) -> CaseService:
    return CaseService(sessions, staff=STAFF, today=clock)


@pytest.fixture
def incidents(service: CaseService) -> IncidentService:
    return IncidentService(service)


@pytest.fixture
def incident_id(incidents: IncidentService) -> int:
    return incidents.create_incident(LEAD, IncidentIn(name="Bridge fire", occurred_on=date(2024, 3, 1),
                                                      kind="fire", coordinating_team="north")).id


def _upload(incidents: IncidentService, incident_id: int, lines: list[str]) -> UploadResult:
    return incidents.upload(CASEWORKER, incident_id, filename="people.csv",
                            content=(HEADER + "\n".join(lines) + "\n").encode(),
                            spoc_username=CASEWORKER.username)


def _people(n: int) -> list[str]:
    return [f"Person{chr(65 + i // 26)}{chr(65 + i % 26)},Testperson,1980-01-{1 + i % 28:02d},"
            f"{'victim' if i % 3 else 'witness'},none,no,,phone,0770090{i:04d}," for i in range(n)]


@pytest.fixture
def inserts(engine: Engine) -> Iterator[Counter[str]]:
    """How many INSERT statements reach the database, by table (an executemany counts once)."""
    seen: Counter[str] = Counter()

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = re.match(r"\s*INSERT INTO (\w+)", statement)
        if found:
            seen[found.group(1)] += 1

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_each_bad_row_is_named_with_its_reasons_and_the_rest_registered(
        incidents: IncidentService, incident_id: int) -> None:
    good = _people(3)
    result = _upload(incidents, incident_id, [
        good[0],
        "Dee,Broken,1985-13-40,victim,none,no,,phone,07700900001,",    # row 3: no such date
        good[1],
        "Eli,Broken,1985-01-01,bystander,none,no,,email,,not-an-email",  # row 5: role and email
        ",Broken,1985-01-01,victim,none,no,,phone,07700900002,",       # row 6: no forename
        "Fay,Broken,1985-01-01,victim,none,no,,phone,07700900003,,extra",  # row 7: a cell too many
        good[2],
    ])
    assert (result.rows, result.registered, result.rejected) == (7, 3, 4)
    reasons = {r.row_number: set(r.errors) for r in result.rejected_rows}
    assert reasons == {3: {"date_of_birth"}, 5: {"role", "email"}, 6: {"forename"}, 7: {"row"}}
    detail = incidents.get_incident(CASEWORKER, incident_id)
    assert sorted(c.forename for c in detail.cases) == ["PersonAA", "PersonAB", "PersonAC"]
    assert [r.row_number for r in detail.rejected_rows] == [3, 5, 6, 7]
    assert detail.rejected_rows[0].values["forename"] == "Dee"  # kept as sent, to fix


def test_forty_people_go_in_with_one_insert_per_table(incidents: IncidentService, incident_id: int,
                                                       inserts: Counter[str]) -> None:
    result = _upload(incidents, incident_id, _people(40))
    assert result.registered == 40
    for table in ("svc_person", "svc_case", "svc_handover", "svc_case_event", "svc_entitlement",
                  "svc_incoming_referral", "svc_incident_case", "svc_incident_row"):
        assert inserts[table] == 1, table


def test_a_failure_part_way_leaves_nothing_registered(
        incidents: IncidentService, incident_id: int, engine: Engine,
        sessions: sessionmaker[Session]) -> None:
    # the people, cases, events and clocks are in when the referrals' INSERT fails
    def fail_on_referrals(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith("INSERT INTO svc_incoming_referral"):
            raise RuntimeError("the database went away")

    event.listen(engine, "before_cursor_execute", fail_on_referrals)
    try:
        with pytest.raises(RuntimeError):
            _upload(incidents, incident_id, _people(5))
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_referrals)
    with sessions() as s:
        for model in (Person, Case, Handover, CaseEvent, Entitlement, IncomingReferral, IncidentCase,
                      IncidentRow, IncidentUpload):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model.__tablename__
    assert _upload(incidents, incident_id, _people(5)).registered == 5  # and it can be sent again


def test_bulk_registration_opens_what_single_intake_would(incidents: IncidentService, service: CaseService,
                                                          incident_id: int,
                                                          sessions: sessionmaker[Session]) -> None:
    # the same clocks as a referral through the intake page for a victim with the same enhanced rights
    single = service.receive_referral(CASEWORKER, make_referral(
        source_person_id=None, forename="Sol", surname="Single", crime_id="CR-9",
        enhanced_rights=["serious_crime"]))
    # south already knows Gil: a possible duplicate for a supervisor of both teams, not a join
    service.receive_referral(OTHER_TEAM, make_referral(
        source_person_id=None, forename="Gil", surname="Testperson", date_of_birth=date(1970, 2, 2),
        team="south"))
    _upload(incidents, incident_id, ["Gil,Testperson,1970-02-02,victim,serious,no,,phone,07700900001,",
                                     "Hal,Testperson,1971-03-03,witness,none,no,,phone,07700900002,"])
    # a second file: Hal again, now injured and with a housing need: joins his case, moves up a group
    _upload(incidents, incident_id,
            ["Hal,Test-Person,1971-03-03,witness,minor,no,housing,phone,07700900002,"])
    cases = {c.forename: c for c in incidents.get_incident(CASEWORKER, incident_id).cases}
    assert {k: c.priority_group for k, c in cases.items()} == {"Gil": "priority_1", "Hal": "priority_2"}
    with sessions() as s:
        def clocks(case_id: int) -> list[tuple[str, date | None, bool]]:
            return [tuple(r) for r in s.execute(  # type: ignore[misc]
                select(Entitlement.rule_key, Entitlement.due_on, Entitlement.enhanced)
                .where(Entitlement.case_id == case_id).order_by(Entitlement.rule_key)).all()]

        assert clocks(cases["Gil"].case_id) == clocks(single.case_id) != []
        hal = s.get(Case, cases["Hal"].case_id)
        assert hal is not None and hal.enhanced_rights == ["vulnerable_or_intimidated"]
        assert {e[2] for e in clocks(hal.id)} == {True}  # deadlines moved to the enhanced ones
        assert s.scalar(select(func.count()).select_from(IncomingReferral)
                        .where(IncomingReferral.case_id == hal.id)) == 2
        flags = s.execute(select(PossibleDuplicate.team, PossibleDuplicate.other_team,
                                 PossibleDuplicate.matched_on)).all()
        assert [tuple(f) for f in flags] == [("south", "north", "name_and_date_of_birth")]
