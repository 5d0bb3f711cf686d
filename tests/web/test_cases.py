"""The case pages and their JSON API, through the real app (both database engines)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.web import WebSettings, create_app
from tests.web.conftest import add_users, csrf_of, sign_in


@pytest.fixture
def cases_app(web_settings: WebSettings, password_hash: str) -> Iterator[FastAPI]:
    application = create_app(web_settings)
    add_users(application, password_hash)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def caseworker(cases_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(cases_app, raise_server_exceptions=False) as client:
        sign_in(client, "caseworker")
        yield client


REFERRAL = {"forename": "Ada", "surname": "Testperson", "date_of_birth-day": "17", "date_of_birth-month": "5",
            "date_of_birth-year": "1990", "crime_id": "CR-1", "referral_date-day": "4",
            "referral_date-month": "3", "referral_date-year": "2024", "role": "victim", "referrer": "police",
            "needs": "emotional", "team": "north"}


def _post(client: TestClient, form_path: str, data: dict[str, str], action: str | None = None) -> object:
    token = csrf_of(client.get(form_path).text)
    return client.post(action or form_path, data={**data, "csrf_token": token}, follow_redirects=False)


def _open_case(client: TestClient) -> int:
    response = _post(client, "/cases/new/referral", REFERRAL)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    found = re.search(r"/cases/(\d+)", response.headers["location"])  # type: ignore[attr-defined]
    assert found
    return int(found.group(1))


def test_a_referral_form_opens_a_case_and_a_second_joins_it(caseworker: TestClient) -> None:
    case_id = _open_case(caseworker)
    page = caseworker.get(f"/cases/{case_id}?opened=1")
    assert page.status_code == 200
    assert "Ada Testperson" in page.text and "Test caseworker" in page.text
    # the same person again: offered the open case first (issue 17), joined once chosen
    offered = _post(caseworker, "/cases/new/referral", {**REFERRAL, "referrer": "cps"})
    assert offered.status_code == 422 and "may already have an open case" in offered.text  # type: ignore[attr-defined]
    again = _post(caseworker, "/cases/new/referral", {**REFERRAL, "referrer": "cps",
                                                      "match_choice": str(case_id)})
    assert again.headers["location"] == f"/cases/{case_id}?joined=1"  # type: ignore[attr-defined]
    listing = caseworker.get("/api/cases").json()
    assert listing["page"]["total"] == 1


def test_a_bad_form_shows_a_govuk_error_summary_with_field_errors(caseworker: TestClient) -> None:
    response = _post(caseworker, "/cases/new/referral",
                     {**REFERRAL, "forename": "", "date_of_birth-day": "31", "date_of_birth-month": "2"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert "govuk-error-summary" in text and 'href="#forename"' in text
    assert "Enter first name" in text and "must be a real date" in text


def test_the_assessment_form_is_once_then_a_stale_revision_is_told(caseworker: TestClient) -> None:
    case_id = _open_case(caseworker)
    first = _post(caseworker, f"/cases/{case_id}/assessment", {"risk_level": "high", "emotional_need": "yes"})
    assert first.status_code == 303  # type: ignore[attr-defined]
    revise = {"risk_level": "medium", "change_reason": "Moved house", "version": "1"}
    assert _post(caseworker, f"/cases/{case_id}/assessment", revise).status_code == 303  # type: ignore[attr-defined]
    stale = _post(caseworker, f"/cases/{case_id}/assessment", {**revise, "risk_level": "standard"})
    assert stale.status_code == 409  # type: ignore[attr-defined]
    assert "changed by someone else" in stale.text  # type: ignore[attr-defined]
    assert 'value="Moved house"' in stale.text or "Moved house" in stale.text  # type: ignore[attr-defined]


def test_the_json_api_gives_field_errors_conflicts_and_not_found(caseworker: TestClient) -> None:
    token = csrf_of(caseworker.get("/cases").text)
    headers = {"X-CSRF-Token": token}
    bad = caseworker.post("/api/cases", json={"forename": "Ada"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"]["surname"] == "Enter last name"
    body = {"forename": "Ada", "surname": "Testperson", "date_of_birth": "1990-05-17", "crime_id": "CR-9",
            "referral_date": "2024-03-04", "referrer": "police", "role": "victim", "team": "north"}
    opened = caseworker.post("/api/cases", json=body, headers=headers)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    detail = caseworker.get(f"/api/cases/{case_id}").json()
    assert detail["spoc_username"] == "test-caseworker"
    first = caseworker.put(f"/api/cases/{case_id}/assessment", json={"risk_level": "standard"},
                           headers=headers)
    assert first.status_code == 200
    again = caseworker.put(f"/api/cases/{case_id}/assessment", json={"risk_level": "high"}, headers=headers)
    assert again.status_code == 409 and again.json()["attempted"]["risk_level"] == "high"
    assert caseworker.get("/api/cases/999999").status_code == 404
    assert caseworker.post("/api/cases", json=body).status_code == 403  # no CSRF token


def test_other_teams_and_roles_cannot_see_cases(cases_app: FastAPI, caseworker: TestClient) -> None:
    case_id = _open_case(caseworker)
    with TestClient(cases_app, raise_server_exceptions=False) as board:
        sign_in(board, "board")
        assert board.get(f"/cases/{case_id}").status_code == 403
        assert board.get("/cases/compliance").status_code == 200


def test_the_openapi_document_describes_the_case_api(caseworker: TestClient) -> None:
    spec = caseworker.get("/api/openapi.json").json()
    assert "/api/cases/{case_id}/assessment" in spec["paths"]
    put = spec["paths"]["/api/cases/{case_id}/assessment"]["put"]
    assert "risk_level" in put["requestBody"]["content"]["application/json"]["schema"]["properties"]


@pytest.mark.parametrize("form", ["assessment", "onward-referral", "event", "handover", "contact",
                                  "consent", "court-date", "close"])
def test_every_case_form_page_shows_its_title_the_case_and_a_way_back(caseworker: TestClient,
                                                                      form: str) -> None:
    case_id = _open_case(caseworker)
    page = caseworker.get(f"/cases/{case_id}/{form}")
    assert page.status_code == 200
    heading = page.text.split('<h1 class="govuk-heading-l">', 1)[1].split("</h1>", 1)[0]
    assert heading and heading in page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert f'href="/cases/{case_id}"' in page.text and 'name="csrf_token"' in page.text


def test_consent_is_recorded_through_its_form_and_a_missing_recipient_is_named(
        caseworker: TestClient) -> None:
    case_id = _open_case(caseworker)
    form = f"/cases/{case_id}/consent"
    missing = _post(caseworker, form, {"share_assessment": "yes"})
    assert missing.status_code == 422 and "govuk-error-summary" in missing.text  # type: ignore[attr-defined]
    saved = _post(caseworker, form, {"recipient": "isva", "share_assessment": "yes"})
    assert saved.status_code == 303, saved.text  # type: ignore[attr-defined]
    detail = caseworker.get(f"/api/cases/{case_id}").json()
    assert [(c["recipient"], c["share_assessment"], c["share_contact_details"])
            for c in detail["consents"]] == [("isva", True, False)]
