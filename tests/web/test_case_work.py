"""A caseworker's due work and search through the real app, with its JSON twins, and long lists
paged (both database engines)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.access import Actor
from localjustice.service import CaseService, WorkLists
from localjustice.service.schemas import ReferralIn
from localjustice.web import WebSettings, create_app
from localjustice.web.accounts.caseworkers import AccountsStaff
from tests.web.conftest import add_users, csrf_of, sign_in

CASEWORKER = Actor("test-caseworker", "caseworker", ("north",), "Test caseworker")
SOUTH = Actor("south-caseworker", "caseworker", ("south",), "South caseworker")


@pytest.fixture
def work_app(web_settings: WebSettings, password_hash: str) -> Iterator[FastAPI]:
    application = create_app(web_settings)
    add_users(application, password_hash)
    from localjustice.web.accounts import User
    from localjustice.web.accounts.service import now
    with application.state.sessions() as db:
        db.add(User(username=SOUTH.username, display_name=SOUTH.display_name, password_hash=password_hash,
                    role="caseworker", teams=["south"], active=True, failed_logins=0, created_at=now(),
                    updated_at=now()))
        db.commit()
    yield application
    application.state.engine.dispose()


@pytest.fixture
def caseworker(work_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(work_app, raise_server_exceptions=False) as client:
        sign_in(client, "caseworker")
        yield client


def seed(app: FastAPI, count: int, *, start: date | None = None, actor: Actor = CASEWORKER,
         surname: str = "Example") -> list[int]:
    """``count`` cases of one caseworker, one referral a day back from ``start`` (today)."""
    service = CaseService(app.state.sessions, staff=AccountsStaff(app.state.sessions))
    first = start or date.today()
    ids = []
    for i in range(count):
        ids.append(service.receive_referral(actor, ReferralIn.model_validate({
            "source": "police", "source_person_id": f"{actor.username}-{i}", "forename": f"Ada{i}",
            "surname": surname, "date_of_birth": "1980-01-01", "crime_id": f"CR-{i}",
            "referral_date": (first - timedelta(days=i % 5)).isoformat(), "referrer": "police",
            "role": "victim", "team": actor.teams[0]})).case_id)
    return ids


def test_home_and_due_pages_show_the_counts_and_link_to_the_lists(work_app: FastAPI,
                                                                caseworker: TestClient) -> None:
    seed(work_app, 6)
    counts = WorkLists(work_app.state.sessions).due_counts(CASEWORKER)
    home = caseworker.get("/").text
    assert f"Due today: {counts.due_today}" in home and f"Due this week: {counts.due_this_week}" in home
    assert f"Overdue: {counts.overdue}" in home and 'href="/cases/due?when=week"' in home
    api = caseworker.get("/api/cases/due?when=week").json()
    assert api["counts"]["due_this_week"] == counts.due_this_week == api["total"]
    assert all(counts.today.isoformat() <= i["due_on"] <= counts.week_ends.isoformat() for i in api["items"])
    page = caseworker.get("/cases/due?when=overdue")
    assert page.status_code == 200 and "<h1 class=\"govuk-heading-l\">Overdue</h1>" in page.text
    assert caseworker.get("/api/cases/due?when=overdue").json()["total"] == counts.overdue


def test_search_asks_why_then_shows_only_the_teams_people(work_app: FastAPI, caseworker: TestClient) -> None:
    seed(work_app, 2, surname="Lovelace")
    seed(work_app, 1, surname="Lovelace", actor=SOUTH)
    asked = caseworker.get("/cases/search?name=lovelace", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/cases/search/reason?next=" + quote("/cases/search?name=lovelace",
                                                                              safe="")
    form = caseworker.get(asked.headers["location"])
    assert "Why are you searching for a person?" in form.text
    stated = caseworker.post("/cases/search/reason", data={
        "csrf_token": csrf_of(form.text), "purpose": "checking_existing_case",
        "next": "/cases/search?name=lovelace"}, follow_redirects=False)
    assert stated.status_code == 303 and stated.headers["location"] == "/cases/search?name=lovelace"
    found = caseworker.get("/cases/search?name=lovelace")
    assert "2 cases found" in found.text and found.text.count("Lovelace") >= 2
    assert "south" not in re.sub(r"<[^>]+>", " ", found.text.split('id="results"')[1]).lower()
    bad = caseworker.get("/cases/search?name=a")
    assert bad.status_code == 422 and "Enter at least 2 letters of the name" in bad.text


def test_the_search_api_needs_a_reason_and_keeps_to_the_teams(work_app: FastAPI,
                                                              caseworker: TestClient) -> None:
    seed(work_app, 1, surname="Lovelace")
    seed(work_app, 1, surname="Lovelace", actor=SOUTH)
    refused = caseworker.get("/api/cases/search?name=lovelace")
    assert refused.status_code == 422
    assert "checking_existing_case" in {r["code"] for r in refused.json()["reasons"]}
    ok = caseworker.get("/api/cases/search?name=lovelace&purpose=contact_from_person").json()
    assert ok["total"] == 1 and {h["team"] for h in ok["hits"]} == {"north"}
    by_birth = caseworker.get("/api/cases/search?date_of_birth=1980-01-01&purpose=contact_from_person").json()
    assert by_birth["total"] == 1
    assert caseworker.get("/api/cases/search?purpose=contact_from_person").status_code == 422
    with TestClient(work_app, raise_server_exceptions=False) as board:
        sign_in(board, "board")
        assert board.get("/api/cases/search?name=lovelace&purpose=other&purpose_detail=x").status_code == 403


def test_long_lists_are_paged(work_app: FastAPI, caseworker: TestClient) -> None:
    seed(work_app, 60)
    first = caseworker.get("/cases").text
    assert 'class="govuk-pagination' in first and "Page 1 of 3" in first
    assert re.search(r'href="/cases\?[^"]*page=2"', first)
    third = caseworker.get("/cases?page=3").text
    assert "Page 3 of 3" in third and third.count("govuk-table__row") == 10 + 1  # 10 cases and the head
    with TestClient(work_app, raise_server_exceptions=False) as supervisor:
        sign_in(supervisor, "supervisor")
        allocation = supervisor.get("/cases/allocation?team=north&from_username=test-caseworker").text
        assert "this page shows 50 of their 60 open cases" in allocation
        assert "Page 1 of 2" in allocation
        query = {"team": "north", "from_username": "test-caseworker", "page": 2}
        second = supervisor.get("/api/cases/allocation", params=query).json()
        assert (second["cases_total"], len(second["cases"]), second["page"]) == (60, 10, 2)
    search = caseworker.get("/api/cases/search?name=example&purpose=contact_from_person&page=3").json()
    assert (search["total"], len(search["hits"])) == (60, 10)
