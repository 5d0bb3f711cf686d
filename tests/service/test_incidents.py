"""Major-incident mode (issue 17, part 5; MoU V7): bulk registration keeping every row, triage,
access for other teams' caseworkers that ends when the incident closes, bulk messages logged per
case, and the dashboard's counts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor, Purpose
from localjustice.service import (
    CaseService,
    IncidentService,
    InvalidInput,
    NotAllowed,
    NotFound,
    StaffList,
    parse_triage,
)
from localjustice.service.casework import Casework
from localjustice.service.casework_schemas import SafeContactIn
from localjustice.service.incident_schemas import AccessGrantIn, IncidentIn, MessageIn
from localjustice.service.models import Case, ContactLog
from localjustice.service.schemas import ContactIn
from tests.service.conftest import CASEWORKER, OTHER_TEAM, Clock, make_referral

LEAD = Actor("sv.north", "supervisor", ("north",), "North Supervisor")
ANALYST_HELPER = Actor("cw.cedar", "analyst", ("south",), "Cedar, now an analyst")
HEADER = "forename,surname,date_of_birth,role,injury,bereaved,needs,contact_preference,phone,email\n"
GOOD = [
    "Ada,Testperson,1990-05-17,victim,serious,no,health,phone,07700900001,",
    "Ben,Testperson,2010-01-02,victim,none,no,,email,,ben@example.com",
    "Cal,Witness,1980-03-03,witness,none,no,,none,,",
]
BAD = "Dee,Broken,1985-13-40,bystander,none,no,,phone,,"


#: the case service's staff, with the coordinating team's supervisor
STAFF_WITH_LEAD = StaffList.of([(a.username, a.display_name, a.role, a.teams)
                                for a in (CASEWORKER, OTHER_TEAM, LEAD)])


@pytest.fixture
def service(sessions: sessionmaker[Session], clock: Clock) -> CaseService:
    return CaseService(sessions, staff=STAFF_WITH_LEAD, today=clock)


@pytest.fixture
def incidents(service: CaseService) -> IncidentService:
    return IncidentService(service)


@pytest.fixture
def incident_id(incidents: IncidentService) -> int:
    return incidents.create_incident(LEAD, IncidentIn(name="Station collapse", occurred_on=date(2024, 3, 1),
                                                      kind="transport", coordinating_team="north")).id


def _upload(incidents: IncidentService, incident_id: int, lines: list[str]) -> object:
    return incidents.upload(CASEWORKER, incident_id, filename="people.csv",
                            content=(HEADER + "\n".join(lines) + "\n").encode(),
                            spoc_username=CASEWORKER.username)


def test_bad_rows_are_kept_shown_and_fixable(incidents: IncidentService, incident_id: int,
                                             sessions: sessionmaker[Session]) -> None:
    result = incidents.upload(CASEWORKER, incident_id, filename="people.csv",
                              content=(HEADER + "\n".join([GOOD[0], BAD, GOOD[1]]) + "\n").encode(),
                              spoc_username=CASEWORKER.username)
    assert (result.rows, result.registered, result.rejected) == (3, 2, 1)
    (bad,) = result.rejected_rows
    assert bad.row_number == 3 and bad.values["forename"] == "Dee"
    assert set(bad.errors) >= {"date_of_birth", "role", "phone"}
    # still rejected after a partial fix: the corrected values are kept, the remaining reason shown
    partly = incidents.fix_row(CASEWORKER, bad.id, {**bad.values, "date_of_birth": "1985-12-04",
                                                    "role": "witness"}, expected_version=bad.version)
    assert partly.status == "rejected" and set(partly.errors) == {"phone"}
    assert partly.values["date_of_birth"] == "1985-12-04"
    fixed = incidents.fix_row(CASEWORKER, bad.id, {**partly.values, "phone": "07700900009"},
                              expected_version=partly.version)
    assert fixed.status == "registered" and fixed.case_id is not None
    detail = incidents.get_incident(CASEWORKER, incident_id)
    assert detail.rejected_rows == [] and len(detail.cases) == 3


def test_a_header_problem_refuses_the_file_with_the_columns_named(incidents: IncidentService,
                                                                  incident_id: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        incidents.upload(CASEWORKER, incident_id, filename="x.csv", content=b"name,dob\nAda,1990-01-01\n",
                         spoc_username=CASEWORKER.username)
    assert "forename" in refused.value.errors["file"]


def test_triage_puts_each_person_in_the_first_group_they_meet(incidents: IncidentService,
                                                              incident_id: int) -> None:
    _upload(incidents, incident_id, GOOD)
    groups = {c.forename: c.priority_group for c in incidents.get_incident(CASEWORKER, incident_id).cases}
    # seriously injured: 1; aged 14 on the day: a child, 2; an uninjured adult witness: 3
    assert groups == {"Ada": "priority_1", "Ben": "priority_2", "Cal": "priority_3"}


def test_triage_rules_are_data_and_are_checked() -> None:
    rules = parse_triage("""
[[group]]
key = "urgent"
label = "Urgent"
conditions = [{ field = "needs", values = ["housing"] }]
[[group]]
key = "rest"
label = "Rest"
default = true
""")
    assert rules.group_for({"needs": ["emotional", "housing"]}).key == "urgent"
    assert rules.group_for({"needs": ["emotional"], "injury": "serious"}).key == "rest"
    with pytest.raises(ValueError, match="unknown fields"):
        parse_triage('[[group]]\nkey="a"\nlabel="A"\nconditions=[{field="postcode", values=["E1"]}]\n'
                     '[[group]]\nkey="b"\nlabel="B"\ndefault=true\n')
    with pytest.raises(ValueError, match="default"):
        parse_triage('[[group]]\nkey="a"\nlabel="A"\n')


def test_another_teams_caseworker_reaches_the_incidents_cases_only_until_it_closes(
        incidents: IncidentService, service: CaseService, incident_id: int) -> None:
    _upload(incidents, incident_id, GOOD[:1])
    (case,) = incidents.get_incident(CASEWORKER, incident_id).cases
    outside = service.receive_referral(CASEWORKER, make_referral(
        source_person_id=None, forename="Not", surname="Incident", date_of_birth=date(1970, 1, 1)))
    with pytest.raises(NotFound):
        service.get_case(OTHER_TEAM, case.case_id, purpose=None)
    with pytest.raises(NotFound):
        incidents.get_incident(OTHER_TEAM, incident_id)
    with pytest.raises(NotAllowed):  # a caseworker cannot grant; the coordinating supervisor can
        incidents.grant_access(CASEWORKER, incident_id,
                               AccessGrantIn(username=OTHER_TEAM.username, team="south"))
    incidents.grant_access(LEAD, incident_id, AccessGrantIn(username=OTHER_TEAM.username, team="south"))
    reason = Purpose("major_incident", "Working on a major incident the case belongs to", "")
    assert service.get_case(OTHER_TEAM, case.case_id, purpose=reason).id == case.case_id
    service.log_contact(OTHER_TEAM, case.case_id, ContactIn.model_validate(
        {"occurred_on": "2024-03-04", "channel": "phone", "direction": "outbound", "summary": "Called"}))
    assert incidents.get_incident(OTHER_TEAM, incident_id).incident.id == incident_id
    with pytest.raises(NotFound):  # the team's other cases stay out of reach
        service.get_case(OTHER_TEAM, outside.case_id, purpose=reason)
    with pytest.raises(NotAllowed):  # the grant holds only for caseworking roles
        service.get_case(ANALYST_HELPER, case.case_id, purpose=reason)
    version = incidents.get_incident(LEAD, incident_id).incident.version
    incidents.close_incident(LEAD, incident_id, expected_version=version)
    with pytest.raises(NotFound):
        service.get_case(OTHER_TEAM, case.case_id, purpose=reason)
    with pytest.raises(NotFound):
        incidents.get_incident(OTHER_TEAM, incident_id)
    assert service.get_case(CASEWORKER, case.case_id).id == case.case_id


def test_a_bulk_message_is_logged_on_each_case_and_withheld_where_they_asked_not(
        incidents: IncidentService, incident_id: int, sessions: sessionmaker[Session]) -> None:
    _upload(incidents, incident_id, GOOD)
    sent = incidents.send_message(CASEWORKER, incident_id, MessageIn(
        summary="Family assistance centre opens at 9am", sent_on=date(2024, 3, 4)))
    assert (sent.sent, sent.withheld) == (2, 1)
    with sessions() as s:
        logged = s.execute(select(ContactLog.channel, Case.contact_preference)
                           .join(Case, Case.id == ContactLog.case_id)
                           .where(ContactLog.incident_message_id == sent.id)
                           .order_by(ContactLog.case_id)).all()
        assert [tuple(r) for r in logged] == [("phone", "phone"), ("email", "email")]
    one_group = incidents.send_message(CASEWORKER, incident_id, MessageIn(
        summary="Call back", priority_group="priority_1", sent_on=date(2024, 3, 4)))
    assert (one_group.sent, one_group.withheld) == (1, 0)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ContactLog)) == 3


def test_a_bulk_message_keeps_to_each_safe_contact_plan_and_says_why_it_refused(
        incidents: IncidentService, service: CaseService, incident_id: int,
        sessions: sessionmaker[Session]) -> None:
    _upload(incidents, incident_id, [*GOOD, "Eve,Testperson,1975-06-06,victim,none,no,,phone,07700900005,",
                                     "Fay,Testperson,1976-07-07,victim,none,no,,phone,07700900006,"])
    cases = {c.forename: c.case_id for c in incidents.get_incident(CASEWORKER, incident_id).cases}
    work = Casework(service)
    # Ada: safe to call, but no messages may be left (a bulk text or voicemail is one)
    work.save_safe_contact(CASEWORKER, cases["Ada"], SafeContactIn(safe_to_call=True, no_messages=True),
                           expected_version=None)
    # Ben: email only, and it is not safe to email
    work.save_safe_contact(CASEWORKER, cases["Ben"], SafeContactIn(safe_to_call=True, no_messages=False),
                           expected_version=None)
    # Eve: safe to call and to leave messages, 18:00-20:00 only; Fay: messages and any time
    work.save_safe_contact(CASEWORKER, cases["Eve"], SafeContactIn(
        safe_to_call=True, no_messages=False, safe_from="18:00", safe_until="20:00"), expected_version=None)
    work.save_safe_contact(CASEWORKER, cases["Fay"], SafeContactIn(safe_to_call=True, no_messages=False),
                           expected_version=None)
    sent = incidents.send_message(CASEWORKER, incident_id, MessageIn(
        summary="Family assistance centre opens at 9am", sent_on=date(2024, 3, 4), time_sent="09:15"))
    why = {r.case_id: " ".join(r.reasons) for r in sent.refused}
    assert (sent.sent, sent.withheld) == (1, 4)
    assert set(why) == {cases["Ada"], cases["Ben"], cases["Cal"], cases["Eve"]}
    assert "Do not leave messages" in why[cases["Ada"]]
    assert "not safe to email" in why[cases["Ben"]]
    assert "asked not to be contacted" in why[cases["Cal"]]
    assert "between 18:00 and 20:00" in why[cases["Eve"]]
    with sessions() as s:
        logged = s.execute(select(ContactLog.case_id, ContactLog.channel, ContactLog.left_message,
                                  ContactLog.time_of_contact)
                           .where(ContactLog.incident_message_id == sent.id)).all()
        assert [tuple(r) for r in logged] == [(cases["Fay"], "phone", True, "09:15")]
    # the refusals are kept with the message: the page (and its JSON twin) lists them
    (shown,) = incidents.get_incident(CASEWORKER, incident_id).messages
    assert {r.case_id: " ".join(r.reasons) for r in shown.refused} == why
    # at 19:00 Eve is within her safe window and has the message too
    evening = incidents.send_message(CASEWORKER, incident_id, MessageIn(
        summary="Update", sent_on=date(2024, 3, 4), time_sent="19:00"))
    assert evening.sent == 2 and cases["Eve"] not in {r.case_id for r in evening.refused}


def test_the_dashboard_counts(incidents: IncidentService, incident_id: int) -> None:
    _upload(incidents, incident_id, [*GOOD, BAD, GOOD[0]])  # Ada twice: one case
    board = incidents.dashboard(CASEWORKER, incident_id)
    assert {c.key: c.count for c in board.cases_by_status} == {"open": 3}
    assert {c.key: c.count for c in board.rows_by_status} == {"registered": 4, "rejected": 1}
    assert {c.key: c.count for c in board.priority_groups} == {"priority_1": 1, "priority_2": 1,
                                                               "priority_3": 1}
    assert {c.key: c.count for c in board.needs} == {"health": 1}
    assert sum(c.count for c in board.deadlines) > 0
    assert {c.key for c in board.deadlines} <= {"overdue", "due_soon", "due_later", "met_on_time", "met_late",
                                                "not_applicable"}
