"""Issue 10 finding 5, purpose of access: who opens a person's record says why, and refusals are
audited too. Through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from localjustice.audit import AuditEvent
from localjustice.web.accounts import User
from localjustice.web.accounts.service import now
from tests.web.conftest import PASSWORD, ClientFor, csrf_of, sign_in, username

BODY = {"forename": "Ada", "surname": "Testperson", "date_of_birth": "1990-05-17", "crime_id": "CR-9",
        "referral_date": "2024-03-04", "referrer": "police", "role": "victim", "team": "north"}


def _add_caseworker(app: FastAPI, password_hash: str, name: str, team: str) -> None:
    with app.state.sessions() as db:
        db.add(User(username=name, display_name=name, password_hash=password_hash, role="caseworker",
                    teams=[team], active=True, failed_logins=0, created_at=now(), updated_at=now()))
        db.commit()


def _as(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    token = csrf_of(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"username": name, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    return client


@pytest.fixture
def people(app: FastAPI, password_hash: str) -> dict[str, TestClient]:
    """The allocated caseworker (who opens the case), a colleague in the same team, a caseworker of
    another team, the team's supervisor, and the board."""
    _add_caseworker(app, password_hash, "cw-colleague", "north")
    _add_caseworker(app, password_hash, "cw-south", "south")
    clients = {"allocated": TestClient(app, raise_server_exceptions=False),
               "supervisor": TestClient(app, raise_server_exceptions=False),
               "board": TestClient(app, raise_server_exceptions=False)}
    sign_in(clients["allocated"], "caseworker")
    sign_in(clients["supervisor"], "supervisor")
    sign_in(clients["board"], "board")
    clients["colleague"] = _as(app, "cw-colleague")
    clients["south"] = _as(app, "cw-south")
    return clients


def _open_case(client: TestClient, crime_id: str = "CR-9") -> int:
    token = csrf_of(client.get("/cases").text)
    opened = client.post("/api/cases", json={**BODY, "crime_id": crime_id}, headers={"X-CSRF-Token": token})
    assert opened.status_code == 201, opened.text
    return int(opened.json()["case_id"])


def _events(app: FastAPI, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.id)).all())


def _no_person(response: Any) -> None:
    assert "Ada" not in response.text and "Testperson" not in response.text and "1990" not in response.text


def test_curiosity_is_refused_with_the_reasons_accepted(people: dict[str, TestClient]) -> None:
    """Issue 10 finding 5: `?purpose=curiosity` is not a reason for access: 422 with a clear
    message and the list of codes accepted, never the record, whoever asks."""
    case_id = _open_case(people["allocated"])
    for who in ("supervisor", "allocated"):
        refused = people[who].get(f"/api/cases/{case_id}", params={"purpose": "curiosity"})
        assert refused.status_code == 422, (who, refused.text)
        body = refused.json()
        assert "Select a reason for access from the list" in body["errors"]["purpose"]
        assert {"supervision", "other"} <= {r["code"] for r in body["reasons"]}
        assert next(r for r in body["reasons"] if r["code"] == "other")["free_text_required"] is True
        _no_person(refused)
    page = people["supervisor"].get(f"/cases/{case_id}", params={"purpose": "curiosity"})
    assert page.status_code == 422 and "choose a reason for access" in page.text
    _no_person(page)


def test_a_colleague_without_a_reason_gets_no_record(app: FastAPI, people: dict[str, TestClient]) -> None:
    """Issue 10 finding 5: a team colleague who gives no reason sees nothing of the case: the JSON
    twin answers with the reasons accepted, the page and the case's forms ask for a reason."""
    case_id = _open_case(people["allocated"])
    colleague = people["colleague"]
    twin = colleague.get(f"/api/cases/{case_id}")
    assert twin.status_code == 422 and "reasons" in twin.json() and "forename" not in twin.json()
    _no_person(twin)
    for path in (f"/cases/{case_id}", f"/cases/{case_id}/assessment", f"/cases/{case_id}/contact"):
        page = colleague.get(path, follow_redirects=False)
        assert page.status_code == 303, path
        assert page.headers["location"].startswith(f"/cases/{case_id}/reason?next=")
    asked = colleague.get(f"/cases/{case_id}")
    assert asked.status_code == 200 and "Why are you opening this case?" in asked.text
    assert "&lt;span" not in asked.text
    _no_person(asked)
    pack = colleague.get("/api/onward-referrals/1/provider-pack")
    assert pack.status_code in (404, 422)
    assert _events(app, "case.view") == []


def test_a_reason_given_is_recorded_in_the_audit_event(app: FastAPI, people: dict[str, TestClient]) -> None:
    """Issue 10 finding 5: with a reason from the list the case is shown, and the view's audit
    event records the reason's code and, for "other", the words given."""
    case_id = _open_case(people["allocated"])
    supervisor = people["supervisor"]
    missing_words = supervisor.get(f"/api/cases/{case_id}", params={"purpose": "other"})
    assert missing_words.status_code == 422
    assert missing_words.json()["errors"] == {"purpose_detail": "Enter why you need to see this record"}
    shown = supervisor.get(f"/api/cases/{case_id}",
                           params={"purpose": "other", "purpose_detail": "Checking a complaint letter"})
    assert shown.status_code == 200 and shown.json()["forename"] == "Ada"
    view = _events(app, "case.view")[-1]
    assert (view.actor, view.role, view.subject_id) == (username("supervisor"), "supervisor", str(case_id))
    assert view.purpose == "Other: Checking a complaint letter"
    assert view.detail == {"reason": "other", "reason_detail": "Checking a complaint letter"}
    supervision = supervisor.get(f"/api/cases/{case_id}", params={"purpose": "supervision"})
    assert supervision.status_code == 200
    assert _events(app, "case.view")[-1].detail == {"reason": "supervision"}


def test_a_reason_chosen_on_the_page_holds_for_that_case_in_that_session(
        app: FastAPI, people: dict[str, TestClient]) -> None:
    """Issue 10 finding 5: the reason page records the reason once; the case and its forms then
    open without asking again, each view citing the event where the reason was given; another
    case, or another session, is asked afresh."""
    case_id = _open_case(people["allocated"])
    colleague = people["colleague"]
    form = colleague.get(f"/cases/{case_id}/reason?next=/cases/{case_id}/assessment")
    token = csrf_of(form.text)
    wrong = colleague.post(f"/cases/{case_id}/reason", data={"csrf_token": token, "purpose": "",
                                                             "next": f"/cases/{case_id}/assessment"})
    assert wrong.status_code == 422 and "govuk-error-summary" in wrong.text
    assert 'href="#purpose"' in wrong.text and "Select why you are opening this record" in wrong.text
    chosen = colleague.post(f"/cases/{case_id}/reason", follow_redirects=False, data={
        "csrf_token": token, "purpose": "covering", "next": f"/cases/{case_id}/assessment"})
    assert chosen.status_code == 303 and chosen.headers["location"] == f"/cases/{case_id}/assessment"
    assert colleague.get(f"/cases/{case_id}/assessment").status_code == 200
    assert "Ada Testperson" in colleague.get(f"/cases/{case_id}").text
    stated = _events(app, "purpose.stated")
    assert [(e.actor, e.subject_type, e.subject_id, e.detail["reason"]) for e in stated] == [
        ("cw-colleague", "case", str(case_id), "covering")]
    views = _events(app, "case.view")
    assert len(views) == 2 and all(v.detail == {"reason": "covering", "stated_in": stated[0].id}
                                   for v in views)
    other_case = _open_case(people["allocated"], crime_id="CR-10")
    assert colleague.get(f"/cases/{other_case}", follow_redirects=False).status_code == 303
    # a reason page that would send the person elsewhere returns to the case instead
    away = colleague.post(f"/cases/{case_id}/reason", follow_redirects=False, data={
        "csrf_token": token, "purpose": "covering", "next": "https://example.org/"})
    assert away.headers["location"] == f"/cases/{case_id}"
    # the session, not the user, holds the reason: a new sign-in is asked again
    again = _as(app, "cw-colleague")
    assert again.get(f"/cases/{case_id}", follow_redirects=False).status_code == 303


def test_the_allocated_caseworkers_view_is_recorded_with_its_purpose(
        app: FastAPI, people: dict[str, TestClient]) -> None:
    """Issue 10 finding 5: the case's single point of contact is never asked; their view is
    recorded as "case management: allocated caseworker"."""
    case_id = _open_case(people["allocated"])
    assert people["allocated"].get(f"/cases/{case_id}").status_code == 200
    assert people["allocated"].get(f"/api/cases/{case_id}").status_code == 200
    views = _events(app, "case.view")
    assert [(v.actor, v.purpose, v.detail) for v in views] == [
        (username("caseworker"), "case management: allocated caseworker",
         {"reason": "allocated_caseworker"})] * 2


def test_refused_attempts_to_reach_a_record_are_audited(app: FastAPI, people: dict[str, TestClient],
                                                        client_for: ClientFor) -> None:
    """Issue 10 finding 5: a 404 (another team's case) or a 403 (a role without access) on a
    person-level route writes an audit event saying who, in which role, what they asked for and
    the outcome, with no personal data."""
    case_id = _open_case(people["allocated"])
    south, board = people["south"], people["board"]
    assert south.get(f"/cases/{case_id}").status_code == 404
    assert south.get(f"/api/cases/{case_id}", params={"purpose": "supervision"}).status_code == 404
    assert south.get("/api/onward-referrals/424242/provider-pack").status_code == 404
    assert board.get(f"/api/cases/{case_id}").status_code == 403
    assert client_for("analyst").get("/api/linkage/review/pair", params={"n": 3}).status_code == 403
    refused = [(e.actor, e.role, e.subject_type, e.subject_id, e.purpose, e.detail["route"],
                e.detail["method"], e.detail["status"]) for e in _events(app, "access.refused")]
    assert refused == [
        ("cw-south", "caseworker", "case", str(case_id), "none given", "/cases/{case_id}", "GET", 404),
        ("cw-south", "caseworker", "case", str(case_id), "supervision", "/api/cases/{case_id}", "GET", 404),
        ("cw-south", "caseworker", "onward_referral", "424242", "none given",
         "/api/onward-referrals/{referral_id}/provider-pack", "GET", 404),
        (username("board"), "board", "case", str(case_id), "none given", "/api/cases/{case_id}", "GET", 403),
        (username("analyst"), "analyst", "linkage_pair", "3", "none given", "/api/linkage/review/pair",
         "GET", 403),
    ]
    assert all("outcome" in e.detail and "Ada" not in str(e.detail) for e in _events(app, "access.refused"))
    # a page that is not about a person's record is not a refused attempt to reach one
    assert board.get("/users").status_code == 403
    assert len(_events(app, "access.refused")) == 5


def test_a_steward_gives_a_reason_before_seeing_identities(app: FastAPI, client_for: ClientFor) -> None:
    """Issue 10 finding 5: data stewards viewing identities on the review pair page choose a
    reason first; the pair view's audit event records it."""
    steward = client_for("data_steward")
    twin = steward.get("/api/linkage/review/pair", params={"n": 1})
    assert twin.status_code == 422 and "pair" not in twin.json()
    assert "clerical_review" in {r["code"] for r in twin.json()["reasons"]}
    assert "supervision" not in {r["code"] for r in twin.json()["reasons"]}
    page = steward.get("/linkage/review/pair?n=2", follow_redirects=False)
    assert page.headers["location"] == "/linkage/review/reason?next=%2Flinkage%2Freview%2Fpair%3Fn%3D2"
    token = csrf_of(steward.get(page.headers["location"]).text)
    chosen = steward.post("/linkage/review/reason", follow_redirects=False, data={
        "csrf_token": token, "purpose": "other", "purpose_detail": "Checking a merge reported by probation",
        "next": "/linkage/review/pair?n=2"})
    assert chosen.headers["location"] == "/linkage/review/pair?n=2"
    assert "Are these the same person?" in steward.get("/linkage/review/pair?n=2").text
    view = _events(app, "view")[-1]
    assert view.purpose == "Other: Checking a merge reported by probation"
    assert view.detail["reason"] == "other" and "stated_in" in view.detail
