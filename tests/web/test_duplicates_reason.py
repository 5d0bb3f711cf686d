"""Issue 10 findings 5 and 1: the possible duplicates page shows two teams' people, so it asks for a
reason for access as a case does; the list's and the decisions' audit events record it, and
refused attempts on its routes are audited. Through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from localjustice.audit import AuditEvent
from localjustice.web.accounts import User
from localjustice.web.accounts.service import now
from tests.web.conftest import PASSWORD, csrf_of, username

SOUTH = {"source": "police", "source_person_id": "PV-SECRET-1", "forename": "Sally", "surname": "Secret",
         "date_of_birth": "1971-02-03", "crime_id": "CR-S1", "referral_date": "2024-03-04",
         "referrer": "police", "role": "victim", "team": "south"}
NORTH = {**SOUTH, "team": "north", "forename": "Nora", "surname": "Madeup", "date_of_birth": "1999-09-09",
         "crime_id": "CR-N1"}
OFFERED = {"duplicate_review", "data_protection_request", "access_investigation", "other"}


def _as(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    token = csrf_of(client.get("/sign-in").text)
    signed = client.post("/sign-in", data={"username": name, "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)
    assert signed.status_code == 303
    client.headers["X-CSRF-Token"] = csrf_of(client.get("/").text)
    return client


@pytest.fixture
def flagged(app: FastAPI, password_hash: str) -> Iterator[dict[str, TestClient]]:
    """South's victim, and north's referral with the same police id: one possible duplicate.
    Clients: a supervisor of both teams, north's supervisor only, and north's caseworker."""
    with app.state.sessions() as db:
        for name, role, teams in (("south-caseworker", "caseworker", ["south"]),
                                  ("both-supervisor", "supervisor", ["north", "south"])):
            db.add(User(username=name, display_name=name, password_hash=password_hash, role=role, teams=teams,
                        active=True, failed_logins=0, created_at=now(), updated_at=now()))
        db.commit()
    clients = {"south": _as(app, "south-caseworker"), "both": _as(app, "both-supervisor"),
               "north_supervisor": _as(app, username("supervisor")),
               "caseworker": _as(app, username("caseworker"))}
    assert clients["south"].post("/api/cases", json=SOUTH).status_code == 201
    assert clients["caseworker"].post("/api/cases", json=NORTH).status_code == 201
    yield clients
    for client in clients.values():
        client.close()


def _events(app: FastAPI, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.id)).all())


def _nobody_shown(response: Any) -> None:
    for shown in ("Sally", "Secret", "1971", "Nora", "Madeup", "1999"):
        assert shown not in response.text, shown


def _flag(app: FastAPI, client: TestClient) -> dict[str, Any]:
    listed = client.get("/api/cases/duplicates", params={"purpose": "data_protection_request"})
    assert listed.status_code == 200, listed.text
    [flag] = listed.json()["duplicates"]
    return dict(flag)


def test_the_duplicates_api_answers_422_with_the_reasons_without_a_valid_one(
        app: FastAPI, flagged: dict[str, TestClient]) -> None:
    """Issue 10 finding 5 (on finding 1's page): the list and a decision without a valid `purpose`
    answer 422 with the reasons accepted and show nobody; with one, the audit event records it."""
    both = flagged["both"]
    for params in ({}, {"purpose": "curiosity"}, {"purpose": "supervision"}, {"purpose": "other"}):
        refused = both.get("/api/cases/duplicates", params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert {r["code"] for r in refused.json()["reasons"]} == OFFERED
        _nobody_shown(refused)
    assert _events(app, "possible_duplicate.list") == []

    flag = _flag(app, both)
    [listed] = _events(app, "possible_duplicate.list")
    assert listed.purpose == "Answering a subject access or other data protection request"
    assert listed.detail == {"duplicates": [flag["id"]], "reason": "data_protection_request"}

    decision = f"/api/possible-duplicates/{flag['id']}/decision"
    body = {"decision": "same_person", "note": "Same police id"}
    for params in ({}, {"purpose": "curiosity"}):
        refused = both.post(decision, json=body, params={"expected_version": flag["version"], **params})
        assert refused.status_code == 422, refused.text
        assert {r["code"] for r in refused.json()["reasons"]} == OFFERED
        _nobody_shown(refused)
    assert _flag(app, both)["status"] == "open"  # nothing was decided
    decided = both.post(decision, json=body, params={"expected_version": flag["version"], "purpose": "other",
                                                     "purpose_detail": "Police asked us to check"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "same_person"
    [event] = _events(app, "possible_duplicate.decide")
    assert event.purpose == "Other: Police asked us to check"
    assert event.detail == {"decision": "same_person", "reason": "other",
                            "reason_detail": "Police asked us to check"}


def test_a_reason_given_on_the_page_holds_for_the_list_and_its_decisions(
        app: FastAPI, flagged: dict[str, TestClient]) -> None:
    """Issue 10 finding 5 (on finding 1's page): the page asks for a reason before the list is
    shown; the reason stated holds in that session for the list, its JSON twin and its decisions."""
    both = flagged["both"]
    asked = both.get("/cases/duplicates", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/cases/duplicates/reason?next=%2Fcases%2Fduplicates"
    form = both.get(asked.headers["location"])
    assert form.status_code == 200 and "Why are you reviewing possible duplicates?" in form.text
    assert 'value="duplicate_review"' in form.text and 'value="supervision"' not in form.text
    _nobody_shown(form)
    empty = both.post("/cases/duplicates/reason", data={"next": "/cases/duplicates",
                                                       "csrf_token": csrf_of(form.text)})
    assert empty.status_code == 422 and "govuk-error-summary" in empty.text
    stated = both.post("/cases/duplicates/reason", data={
        "purpose": "duplicate_review", "next": "https://evil.example/", "csrf_token": csrf_of(form.text)},
        follow_redirects=False)
    assert stated.status_code == 303 and stated.headers["location"] == "/cases/duplicates"
    [reason] = _events(app, "purpose.stated")
    assert (reason.subject_type, reason.subject_id, reason.detail) == (
        "possible_duplicate", "*", {"reason": "duplicate_review"})

    page = both.get("/cases/duplicates")
    assert page.status_code == 200 and "Sally Secret" in page.text and "Nora Madeup" in page.text
    [flag] = both.get("/api/cases/duplicates").json()["duplicates"]
    decided = both.post(f"/cases/duplicates/{flag['id']}", data={
        "decision": "different_people", "version": str(flag["version"]), "csrf_token": csrf_of(page.text)},
        follow_redirects=False)
    assert decided.status_code == 303 and decided.headers["location"] == "/cases/duplicates?decided=1"
    cited = {"reason": "duplicate_review", "stated_in": reason.id}
    assert [e.detail for e in _events(app, "possible_duplicate.list")] == [
        {"duplicates": [flag["id"]], **cited}] * 2
    [event] = _events(app, "possible_duplicate.decide")
    assert event.detail == {"decision": "different_people", **cited}
    assert event.purpose == "Reviewing possible duplicates: deciding whether two teams hold the same person"
    # another user's session holds no reason: the page asks them
    admin = _as(app, username("admin"))
    assert admin.get("/api/cases/duplicates").status_code == 422
    assert admin.get("/cases/duplicates", follow_redirects=False).status_code == 303


def test_refused_attempts_on_the_duplicates_routes_are_audited(
        app: FastAPI, flagged: dict[str, TestClient]) -> None:
    """Issue 10 finding 5 (on finding 1's page): a 403 (a caseworker) or a 404 (a supervisor of
    one of the two teams) on a possible duplicates route writes an `access.refused` event."""
    flag = _flag(app, flagged["both"])
    caseworker, north_supervisor = flagged["caseworker"], flagged["north_supervisor"]
    assert caseworker.get("/cases/duplicates").status_code == 403
    assert caseworker.get("/api/cases/duplicates", params={"purpose": "duplicate_review"}).status_code == 403
    assert caseworker.get("/cases/duplicates/reason").status_code == 403
    form_post = caseworker.post(f"/cases/duplicates/{flag['id']}", data={"decision": "same_person"})
    assert form_post.status_code == 403
    refused = north_supervisor.post(f"/api/possible-duplicates/{flag['id']}/decision",
                                    json={"decision": "same_person"},
                                    params={"expected_version": flag["version"],
                                            "purpose": "duplicate_review"})
    assert refused.status_code == 404
    _nobody_shown(refused)
    events = [(e.actor, e.subject_type, e.subject_id, e.purpose, e.detail["route"], e.detail["method"],
               e.detail["status"]) for e in _events(app, "access.refused")]
    cw, sv = username("caseworker"), username("supervisor")
    assert events == [
        (cw, "possible_duplicate", "*", "none given", "/cases/duplicates", "GET", 403),
        (cw, "possible_duplicate", "*", "duplicate_review", "/api/cases/duplicates", "GET", 403),
        (cw, "possible_duplicate", "*", "none given", "/cases/duplicates/reason", "GET", 403),
        (cw, "possible_duplicate", str(flag["id"]), "none given", "/cases/duplicates/{duplicate_id}",
         "POST", 403),
        (sv, "possible_duplicate", str(flag["id"]), "duplicate_review",
         "/api/possible-duplicates/{duplicate_id}/decision", "POST", 404),
    ]
