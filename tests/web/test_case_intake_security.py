"""Issue 10 findings 1 and 2 through the running app's JSON API and forms, on both engines.

Team south holds a victim; a caseworker of team north tries to reach them with south's source id,
south's referral id, and south's name, date of birth and crime. Then allocation: handovers and new
cases only to the team's active caseworkers, and a supervisor's reallocation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.web import WebSettings, create_app
from localjustice.web.accounts import User
from localjustice.web.accounts.service import now
from tests.web.conftest import PASSWORD, add_users, csrf_of

SECRET_PERSON = {"source": "police", "source_person_id": "PV-SECRET-1", "forename": "Sally",
                 "surname": "Secret", "date_of_birth": "1971-02-03", "crime_id": "CR-S1",
                 "referral_date": "2024-03-04", "referrer": "police", "role": "victim", "team": "south",
                 "referral_id": "SR-1"}
#: Reviewing possible duplicates needs a reason for access (issue 10 finding 5).
REVIEW = {"purpose": "duplicate_review"}


@pytest.fixture
def app(web_settings: WebSettings, password_hash: str) -> Iterator[FastAPI]:
    application = create_app(web_settings)
    add_users(application, password_hash)
    with application.state.sessions() as db:
        stamp = now()
        for name, role, teams, active in (("south-caseworker", "caseworker", ["south"], True),
                                          ("both-supervisor", "supervisor", ["north", "south"], True),
                                          ("gone-caseworker", "caseworker", ["north"], False)):
            db.add(User(username=name, display_name=name.replace("-", " ").title(),
                        password_hash=password_hash, role=role, teams=teams, active=active, failed_logins=0,
                        created_at=stamp, updated_at=stamp))
        db.commit()
    yield application
    application.state.engine.dispose()


def _client(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    token = csrf_of(client.get("/sign-in").text)
    signed = client.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)
    assert signed.status_code == 303, signed.text
    client.headers["X-CSRF-Token"] = csrf_of(client.get("/cases").text)
    return client


@pytest.fixture
def south(app: FastAPI) -> Iterator[TestClient]:
    with _client(app, "south-caseworker") as client:
        yield client


@pytest.fixture
def north(app: FastAPI) -> Iterator[TestClient]:
    with _client(app, "test-caseworker") as client:
        yield client


def _open(client: TestClient, body: dict[str, Any], **params: str) -> Any:
    return client.post("/api/cases", json=body, params=params)


def _north_body(**overrides: str) -> dict[str, str]:
    body = {**SECRET_PERSON, "team": "north", "forename": "Nora", "surname": "Madeup",
            "date_of_birth": "1999-09-09", "crime_id": "CR-N1", "referral_id": ""}
    body.update(overrides)
    return body


def _shape(response: Any) -> tuple[int, list[str], bool]:
    body = response.json()
    return response.status_code, sorted(body), body.get("joined_existing")


def test_north_posting_souths_source_id_sees_only_what_north_typed(
        south: TestClient, north: TestClient) -> None:
    """Issue 10 finding 1: another team's source id never selects its person; nothing typed is dropped."""
    opened = _open(south, SECRET_PERSON)
    assert opened.status_code == 201, opened.text
    mine = _open(north, _north_body())
    assert mine.status_code == 201, mine.text
    assert mine.json()["case_id"] != opened.json()["case_id"]
    detail = north.get(f"/api/cases/{mine.json()['case_id']}")
    assert detail.status_code == 200
    shown = detail.json()
    assert (shown["forename"], shown["surname"], shown["date_of_birth"]) == ("Nora", "Madeup", "1999-09-09")
    assert "Sally" not in detail.text and "1971-02-03" not in detail.text
    assert north.get(f"/api/cases/{opened.json()['case_id']}").status_code == 404


def test_a_referral_id_south_used_answers_north_as_a_new_referral(
        south: TestClient, north: TestClient) -> None:
    """Issue 10 finding 1: a reused referral id returns the caller's own case, never another team's."""
    theirs = _open(south, SECRET_PERSON)
    reused = _open(north, _north_body(referral_id="SR-1", source_person_id="N-1"))
    fresh = _open(north, _north_body(referral_id="NR-7", source_person_id="N-2", crime_id="CR-N2"))
    keys = ["case_id", "joined_existing", "reference", "referral_id"]
    assert _shape(reused) == _shape(fresh) == (201, keys, False)
    assert reused.json()["case_id"] != theirs.json()["case_id"]
    assert "Sally" not in north.get(f"/api/cases/{reused.json()['case_id']}").text


def test_souths_name_date_of_birth_and_crime_answer_north_as_a_non_match_does(
        south: TestClient, north: TestClient) -> None:
    """Issue 10 finding 1: no oracle; a south victim's details answer 201 like anyone else's."""
    _open(south, SECRET_PERSON)
    match = _open(north, _north_body(source="caseworker", source_person_id="", forename="Sally",
                                     surname="Secret", date_of_birth="1971-02-03", crime_id="CR-S1"))
    stranger = _open(north, _north_body(source="caseworker", source_person_id="", forename="Tom",
                                        surname="Stranger", date_of_birth="1980-01-01", crime_id="CR-X"))
    assert _shape(match) == _shape(stranger)
    assert match.status_code == 201


def test_the_possible_duplicate_is_shown_to_a_supervisor_of_both_teams_only(
        app: FastAPI, south: TestClient, north: TestClient) -> None:
    """Issue 10 finding 1: the cross-team match is flagged for a supervisor who may see both teams."""
    _open(south, SECRET_PERSON)
    _open(north, _north_body())
    assert north.get("/api/cases/duplicates", params=REVIEW).status_code == 403
    with _client(app, "test-supervisor") as north_only:
        assert north_only.get("/api/cases/duplicates", params=REVIEW).json() == {"duplicates": []}
    with _client(app, "both-supervisor") as both:
        listed = both.get("/api/cases/duplicates", params=REVIEW).json()["duplicates"]
        assert len(listed) == 1
        assert {listed[0]["person"]["team"], listed[0]["other"]["team"]} == {"north", "south"}
        asked = both.get("/cases/duplicates/reason")
        stated = both.post("/cases/duplicates/reason", data={**REVIEW, "next": "/cases/duplicates",
                                                             "csrf_token": csrf_of(asked.text)},
                           follow_redirects=False)
        assert stated.status_code == 303 and stated.headers["location"] == "/cases/duplicates"
        page = both.get("/cases/duplicates")
        assert page.status_code == 200 and "Sally Secret" in page.text and "Nora Madeup" in page.text
        token = csrf_of(page.text)
        decided = both.post(f"/cases/duplicates/{listed[0]['id']}", data={
            "decision": "different_people", "version": str(listed[0]["version"]), "csrf_token": token},
            follow_redirects=False)
        assert decided.status_code == 303 and decided.headers["location"] == "/cases/duplicates?decided=1"
        assert both.get("/api/cases/duplicates", params=REVIEW).json() == {"duplicates": []}


def test_handover_and_allocation_only_to_active_caseworkers_of_the_team(north: TestClient) -> None:
    """Issue 10 finding 2: no-such-user, an analyst, a deactivated or another team's caseworker, and
    spoc_username=test-board, are each refused with a field error."""
    for spoc in ("test-board", "test-analyst", "gone-caseworker", "south-caseworker"):
        refused = _open(north, _north_body(source_person_id=f"X-{spoc}"), spoc_username=spoc)
        assert refused.status_code == 422 and list(refused.json()["errors"]) == ["spoc_username"], spoc
    opened = _open(north, _north_body(), spoc_username="test-supervisor")
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    version = north.get(f"/api/cases/{case_id}", params={"purpose": "covering"}).json()["version"]
    for to in ("no-such-user", "test-analyst", "gone-caseworker", "south-caseworker"):
        refused = north.post(f"/api/cases/{case_id}/handover", params={"expected_version": version},
                             json={"to_username": to, "to_name": "Someone", "reason": "Leaving"})
        assert refused.status_code == 422 and list(refused.json()["errors"]) == ["to_username"], to
    done = north.post(f"/api/cases/{case_id}/handover", params={"expected_version": version},
                      json={"to_username": "test-caseworker", "reason": "Taking it on"})
    assert done.status_code == 200 and done.json()["spoc_name"] == "Test caseworker"


def test_a_supervisor_reallocates_checked_cases_from_the_allocation_page(
        app: FastAPI, north: TestClient) -> None:
    """Issue 10 finding 2: the team's caseworkers with their caseloads, and a move of many at once."""
    ids = [_open(north, _north_body(source_person_id=f"R-{i}", crime_id=f"CR-{i}")).json()["case_id"]
           for i in range(3)]
    assert north.get("/cases/allocation").status_code == 403
    assert north.post("/api/cases/reallocate", json={}).status_code == 403
    with _client(app, "test-supervisor") as supervisor:
        page = supervisor.get("/cases/allocation", params={"from_username": "test-caseworker"})
        assert page.status_code == 200
        values = re.findall(r'name="cases" type="checkbox" value="([0-9]+:[0-9]+)"', page.text)
        assert [int(v.split(":")[0]) for v in values] == ids
        token = csrf_of(page.text)
        missing = supervisor.post("/cases/allocation", data={
            "team": "north", "from_username": "test-caseworker", "to_username": "test-supervisor",
            "reason": "Leave", "csrf_token": token})
        assert missing.status_code == 422 and "Select at least one case to reallocate" in missing.text
        moved = supervisor.post("/cases/allocation", data={
            "team": "north", "from_username": "test-caseworker", "cases": values[:2],
            "to_username": "test-supervisor", "reason": "Leave", "csrf_token": token}, follow_redirects=False)
        assert moved.status_code == 303 and "moved=2" in moved.headers["location"]
        rows = supervisor.get("/api/cases/allocation").json()["caseworkers"]
        loads = {w["username"]: w["open_cases"] for w in rows}
        assert loads["test-caseworker"] == 1 and loads["test-supervisor"] == 2
        third = supervisor.get(f"/api/cases/{ids[2]}", params={"purpose": "supervision"}).json()
        api = supervisor.post("/api/cases/reallocate", json={
            "team": "north", "cases": [{"case_id": ids[2], "version": third["version"]}],
            "to_username": "test-analyst", "reason": "Leave"})
        assert api.status_code == 422 and list(api.json()["errors"]) == ["to_username"]
        api = supervisor.post("/api/cases/reallocate", json={
            "team": "north", "cases": [{"case_id": ids[2], "version": third["version"]}],
            "to_username": "test-supervisor", "reason": "Leave"})
        assert api.status_code == 200 and api.json()["cases"] == [ids[2]]


def test_a_joined_referral_keeps_what_was_typed_and_the_case_page_warns_of_the_difference(
        north: TestClient) -> None:
    """Issue 10 finding 1: joining a same-team person drops nothing; the caseworker sees the difference."""
    first = _open(north, _north_body(source_person_id="PV-7"))
    joined = _open(north, _north_body(source_person_id="PV-7", forename="Norah", surname="Other",
                                      date_of_birth="1998-08-08", referral_id="NR-2"))
    assert joined.json()["joined_existing"] and joined.json()["case_id"] == first.json()["case_id"]
    case_id = first.json()["case_id"]
    referrals = north.get(f"/api/cases/{case_id}").json()["referrals"]
    assert [(r["forename"], r["date_of_birth"], r["differs"]) for r in referrals] == [
        ("Nora", "1999-09-09", []), ("Norah", "1998-08-08", ["name", "date_of_birth"])]
    page = north.get(f"/cases/{case_id}")
    assert "gave the name Norah Other and the date of birth 8 August 1998" in page.text
