"""Through the real app: possible matches on the intake page (within scope only, the same page
whether or not another team holds the person), and an incident's registration with a bad row
fixed, its dashboard twin, and access for another team's caseworker ending at closure."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.web.accounts import User
from localjustice.web.accounts.service import now
from tests.web.conftest import PASSWORD, csrf_of, username

FORM = {"forename": "Adah", "surname": "Testperson", "date_of_birth-day": "17",
        "date_of_birth-month": "5", "date_of_birth-year": "1990", "crime_id": "CR-2",
        "referral_date-day": "4", "referral_date-month": "3", "referral_date-year": "2024", "role": "victim",
        "referrer": "police", "team": "north"}
CASE = {"source": "police", "forename": "Ada", "surname": "Testperson", "date_of_birth": "1990-05-17",
        "crime_id": "CR-1", "referral_date": "2024-03-04", "referrer": "police", "role": "victim"}
CSV = ("forename,surname,date_of_birth,role,injury,contact_preference,phone\n"
       "Ada,Incident,1990-05-17,victim,serious,phone,07700900001\n"
       "Bad,Row,1990-02-31,victim,none,phone,07700900002\n")


def _as(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    token = csrf_of(client.get("/sign-in").text)
    assert client.post("/sign-in", data={"username": name, "password": PASSWORD, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    return client


def _south(app: FastAPI, password_hash: str) -> TestClient:
    with app.state.sessions() as db:
        db.add(User(username="south-caseworker", display_name="South", password_hash=password_hash,
                    role="caseworker", teams=["south"], active=True, failed_logins=0, created_at=now(),
                    updated_at=now()))
        db.commit()
    return _as(app, "south-caseworker")


def _post_referral(client: TestClient, **extra: str) -> tuple[int, str]:
    token = csrf_of(client.get("/cases/new/referral").text)
    response = client.post("/cases/new/referral", data={**FORM, **extra, "csrf_token": token},
                           follow_redirects=False)
    body = re.sub(r'name="csrf_token" value="[^"]+"', "", response.text)
    return response.status_code, body


def test_the_intake_page_offers_a_match_in_scope_and_the_same_page_either_way(
        app: FastAPI, password_hash: str) -> None:
    north = _as(app, username("caseworker"))
    south = _south(app, password_hash)
    token = csrf_of(north.get("/").text)
    assert north.post("/api/cases", json={**CASE, "team": "north"},
                      headers={"X-CSRF-Token": token}).status_code == 201
    status, offered = _post_referral(north)
    assert status == 422 and "This person may already have an open case" in offered and "VW000001" in offered
    # south now holds a similar person: north's page is the same
    south_token = csrf_of(south.get("/").text)
    assert south.post("/api/cases", json={**CASE, "team": "south", "forename": "Adah"},
                      headers={"X-CSRF-Token": south_token}).status_code == 201
    assert _post_referral(north) == (status, offered)
    # a person nobody in north holds, though south does: opened at once
    lone = {"forename": "Sally", "surname": "Southonly"}
    assert south.post("/api/cases", json={**CASE, "team": "south", **lone, "crime_id": "CR-S"},
                      headers={"X-CSRF-Token": south_token}).status_code == 201
    assert _post_referral(north, **lone)[0] == 303
    status, _ = _post_referral(north, match_choice="new", match_reason="")
    assert status == 422
    token = csrf_of(north.get("/cases/new/referral").text)
    joined = north.post("/cases/new/referral", data={**FORM, "match_choice": "1", "csrf_token": token},
                        follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == "/cases/1?joined=1"


def test_an_incidents_registration_fix_dashboard_and_access(app: FastAPI, password_hash: str) -> None:
    lead = _as(app, username("supervisor"))
    worker = _as(app, username("caseworker"))
    south = _south(app, password_hash)
    token = csrf_of(lead.get("/incidents/new/incident").text)
    made = lead.post("/incidents/new/incident", data={
        "name": "Bridge attack", "occurred_on-day": "1", "occurred_on-month": "3", "occurred_on-year": "2024",
        "kind": "terrorism", "coordinating_team": "north", "csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303
    incident = made.headers["location"].split("?")[0]
    page = worker.get(incident)
    uploaded = worker.post(f"{incident}/upload", data={"csrf_token": csrf_of(page.text),
                                                        "spoc_username": username("caseworker")},
                           files={"file": ("people.csv", CSV.encode(), "text/csv")}, follow_redirects=False)
    assert uploaded.status_code == 303 and "registered=1&rejected=1" in uploaded.headers["location"]
    detail = worker.get(f"/api{incident}").json()
    (bad,) = detail["rejected_rows"]
    assert bad["values"]["date_of_birth"] == "1990-02-31" and "date_of_birth" in bad["errors"]
    form = worker.get(f"/incidents/rows/{bad['id']}")
    fixed = worker.post(f"/incidents/rows/{bad['id']}", data={
        **bad["values"], "date_of_birth": "1990-02-28", "version": str(bad["version"]),
        "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert fixed.status_code == 303
    board = worker.get(f"/api{incident}/dashboard").json()
    assert {c["key"]: c["count"] for c in board["rows_by_status"]} == {"registered": 2}
    assert {c["key"]: c["count"] for c in board["priority_groups"]} == {"priority_1": 1, "priority_3": 1}
    case_id = detail["cases"][0]["case_id"]
    assert south.get(f"/api{incident}").status_code == 404
    assert south.get(f"/api/cases/{case_id}?purpose=major_incident").status_code == 404
    token = csrf_of(lead.get(incident).text)
    granted = lead.post(f"{incident}/access", data={"username": "south-caseworker", "team": "south",
                                                    "csrf_token": token}, follow_redirects=False)
    assert granted.status_code == 303
    assert south.get(f"/api{incident}").status_code == 200
    assert south.get(f"/api/cases/{case_id}?purpose=major_incident").status_code == 200
    version = lead.get(f"/api{incident}").json()["incident"]["version"]
    assert lead.post(f"{incident}/close", data={"version": str(version), "csrf_token": token},
                     follow_redirects=False).status_code == 303
    assert south.get(f"/api{incident}").status_code == 404
    assert south.get(f"/api/cases/{case_id}?purpose=major_incident").status_code == 404


def test_a_bulk_message_from_the_page_lists_each_case_its_safe_contact_plan_refused(app: FastAPI) -> None:
    lead = _as(app, username("supervisor"))
    worker = _as(app, username("caseworker"))
    made = lead.post("/api/incidents", headers={"X-CSRF-Token": csrf_of(lead.get("/incidents").text)},
                     json={"name": "Bridge attack", "occurred_on": "2024-03-01", "kind": "terrorism",
                           "coordinating_team": "north"})
    assert made.status_code == 201, made.text
    incident = f"/incidents/{made.json()['id']}"
    page = worker.get(incident)
    worker.post(f"{incident}/upload", data={"csrf_token": csrf_of(page.text),
                                            "spoc_username": username("caseworker")},
                files={"file": ("people.csv", (b"forename,surname,date_of_birth,role,phone\n"
                                               b"Ada,Incident,1990-05-17,victim,07700900001\n"
                                               b"Ben,Incident,1991-06-18,victim,07700900002\n"),
                                "text/csv")})
    cases = {c["forename"]: c for c in worker.get(f"/api{incident}").json()["cases"]}
    plan = worker.put(f"/api/cases/{cases['Ben']['case_id']}/safe-contact",
                      headers={"X-CSRF-Token": csrf_of(worker.get("/incidents").text)},
                      json={"safe_to_call": False, "no_messages": True})
    assert plan.status_code == 200, plan.text
    page = worker.get(incident)
    sent = worker.post(f"{incident}/messages", data={"summary": "The assistance centre is open",
                                                     "time_sent": "10:00", "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert sent.status_code == 303 and "sent=1&withheld=1" in sent.headers["location"]
    (message,) = worker.get(f"/api{incident}").json()["messages"]
    (refused,) = message["refused"]
    assert refused["case_id"] == cases["Ben"]["case_id"]
    assert "not safe to phone them" in refused["reasons"][0]
    html = worker.get(incident).text
    assert cases["Ben"]["reference"] in html.split("Not sent to")[1] and "not safe to phone them" in html
