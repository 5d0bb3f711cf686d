"""Issue 10 findings 9 and 12 through the real app, on SQLite and PostgreSQL: every editable case
form carries its record's version and a stale save shows what changed without losing the person's
answers; bad input is refused with the GOV.UK message, listed in the order of the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.web import WebSettings, create_app
from tests.web.conftest import add_users, csrf_of, give_reason, sign_in
from tests.web.test_cases import REFERRAL


@pytest.fixture
def cases_app(web_settings: WebSettings, password_hash: str) -> Iterator[FastAPI]:
    application = create_app(web_settings)
    add_users(application, password_hash)
    yield application
    application.state.engine.dispose()


def _client(app: FastAPI, role: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    sign_in(client, role)
    return client


@pytest.fixture
def caseworker(cases_app: FastAPI) -> Iterator[TestClient]:
    with _client(cases_app, "caseworker") as client:
        yield client


@pytest.fixture
def colleague(cases_app: FastAPI) -> Iterator[TestClient]:
    """A second person on the same team (a supervisor of team north)."""
    with _client(cases_app, "supervisor") as client:
        yield client


def _hidden(html: str, name: str) -> str | None:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else None


def _save(client: TestClient, page: str, data: dict[str, str], action: str | None = None) -> Any:
    """Submit the form shown at ``page`` as the person saw it: its CSRF token and version."""
    html = client.get(page).text
    fields = {"csrf_token": csrf_of(html), **data}
    version = _hidden(html, "version")
    if version is not None and "version" not in data:
        fields["version"] = version
    return client.post(action or page.split("?")[0], data=fields, follow_redirects=False)


def _submit_seen(client: TestClient, html: str, action: str, data: dict[str, str]) -> Any:
    """Submit a form page opened earlier (its token and version), as a second browser tab would."""
    fields = {"csrf_token": csrf_of(html), **data}
    version = _hidden(html, "version")
    if version is not None:
        fields["version"] = version
    return client.post(action, data=fields, follow_redirects=False)


def _open_case(client: TestClient) -> int:
    response = _save(client, "/cases/new/referral", REFERRAL)
    assert response.status_code == 303, response.text
    found = re.search(r"/cases/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def _detail(client: TestClient, case_id: int) -> dict[str, Any]:
    response = client.get(f"/api/cases/{case_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _summary_links(html: str) -> list[str]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


# --- finding 9: versions and stale saves ---------------------------------------------------------


def test_two_people_editing_one_consent_the_second_is_shown_both_versions_and_keeps_their_answers(
        caseworker: TestClient, colleague: TestClient) -> None:
    """Issue 10 finding 9: the consent form carries the consent's version, so the second of two
    saves is refused (409) with the GOV.UK error summary, what is saved now beside what they tried
    to save, and their answers still in the form; saving again then goes through."""
    case_id = _open_case(caseworker)
    give_reason(colleague, case_id)  # the colleague is not the allocated caseworker
    form = f"/cases/{case_id}/consent"
    assert _save(caseworker, form, {"recipient": "isva", "share_assessment": "yes"}).status_code == 303
    mine = caseworker.get(f"{form}?recipient=isva").text
    theirs = colleague.get(f"{form}?recipient=isva").text
    assert _hidden(mine, "version") == _hidden(theirs, "version") == "1"
    first = _submit_seen(caseworker, mine, form, {"recipient": "isva", "share_assessment": "yes",
                                                  "share_contact_details": "yes"})
    assert first.status_code == 303, first.text
    second = _submit_seen(colleague, theirs, form, {"recipient": "isva", "share_case_details": "yes"})
    assert second.status_code == 409, second.text
    page = second.text
    assert "govuk-error-summary" in page and "<title>Error:" in page
    table = page.split('id="what-changed"', 1)[1].split("</table>", 1)[0]
    rows = [re.findall(r"<t[hd][^>]*>\s*(.*?)\s*</t[hd]>", r, re.S) for r in table.split("</tr>")[1:-1]]
    assert ["Share contact details", "Yes", "No"] in rows
    assert ["Share the needs assessment", "Yes", "No"] in rows
    assert ["Share case details", "No", "Yes"] in rows
    assert re.search(r'name="share_case_details"[^>]*value="yes"[^>]*checked', page)
    assert _hidden(page, "version") == "2"
    consent = _detail(caseworker, case_id)["consents"][0]
    assert (consent["share_contact_details"], consent["share_case_details"], consent["version"]) == (
        True, False, 2)
    again = _submit_seen(colleague, page, form, {"recipient": "isva", "share_case_details": "yes"})
    assert again.status_code == 303, again.text
    consent = _detail(caseworker, case_id)["consents"][0]
    assert (consent["share_contact_details"], consent["share_case_details"], consent["version"]) == (
        False, True, 3)


def test_two_people_adding_consent_for_the_same_recipient_the_second_is_told(
        caseworker: TestClient, colleague: TestClient) -> None:
    """Issue 10 finding 9: a consent someone else recorded meanwhile is not overwritten unseen."""
    case_id = _open_case(caseworker)
    give_reason(colleague, case_id)  # the colleague is not the allocated caseworker
    form = f"/cases/{case_id}/consent"
    mine, theirs = caseworker.get(form).text, colleague.get(form).text
    assert _hidden(mine, "version") == ""
    assert _submit_seen(caseworker, mine, form, {"recipient": "idva"}).status_code == 303
    second = _submit_seen(colleague, theirs, form, {"recipient": "idva", "share_assessment": "yes"})
    assert second.status_code == 409 and "Share the needs assessment" in second.text
    assert _detail(caseworker, case_id)["consents"][0]["share_assessment"] is False


def _prepare(client: TestClient, case_id: int) -> None:
    token = {"X-CSRF-Token": csrf_of(client.get("/cases").text)}
    assert client.put(f"/api/cases/{case_id}/assessment", json={"risk_level": "high"},
                      headers=token).status_code == 200
    assert client.put(f"/api/cases/{case_id}/consent", json={"recipient": "isva"},
                      headers=token).status_code == 200
    assert client.put(f"/api/cases/{case_id}/witness-support", json={}, headers=token).status_code == 200
    assert client.post(f"/api/cases/{case_id}/expenses", json={"kind": "travel", "amount": "4.20"},
                       headers=token).status_code == 201


@pytest.mark.parametrize(("form", "version_of"), [
    ("assessment", lambda d: d["assessment"]["version"]),
    ("consent?recipient=isva", lambda d: d["consents"][0]["version"]),
    ("handover", lambda d: d["version"]),
    ("contact-preferences", lambda d: d["version"]),
    ("witness-support", lambda d: d["witness_support"]["version"]),
    ("expenses/{expense}", lambda d: d["expenses"][0]["version"]),
    ("close", lambda d: d["version"]),
])
def test_every_form_that_edits_a_record_carries_its_version(caseworker: TestClient, form: str,
                                                            version_of: Any) -> None:
    """Issue 10 finding 9: every editable case form carries the version of the record it edits."""
    case_id = _open_case(caseworker)
    _prepare(caseworker, case_id)
    detail = _detail(caseworker, case_id)
    page = caseworker.get(f"/cases/{case_id}/{form.format(expense=detail['expenses'][0]['id'])}")
    assert page.status_code == 200, page.text
    assert _hidden(page.text, "version") == str(version_of(detail))


def test_a_stale_contact_preferences_save_shows_what_changed(caseworker: TestClient,
                                                            colleague: TestClient) -> None:
    """Issue 10 finding 9: the new contact preferences form is locked on the case's version."""
    case_id = _open_case(caseworker)
    give_reason(colleague, case_id)  # the colleague is not the allocated caseworker
    form = f"/cases/{case_id}/contact-preferences"
    mine, theirs = caseworker.get(form).text, colleague.get(form).text
    saved = _submit_seen(caseworker, mine, form, {"contact_preference": "email", "email": "ada@example.com",
                                                  "safe_to_leave_message": "no"})
    assert saved.status_code == 303, saved.text
    stale = _submit_seen(colleague, theirs, form, {"contact_preference": "phone", "phone": "020 7946 0000",
                                                   "safe_to_leave_message": "yes"})
    assert stale.status_code == 409
    assert "ada@example.com" in stale.text and 'value="020 7946 0000"' in stale.text
    detail = _detail(caseworker, case_id)
    assert (detail["contact_preference"], detail["email"], detail["phone"]) == (
        "email", "ada@example.com", None)


# --- finding 12: refused input ---------------------------------------------------------------------


def test_the_api_refuses_nul_and_bidi_characters_and_implausible_dates_on_every_engine(
        caseworker: TestClient) -> None:
    """Issue 10 finding 12: a NUL byte in a name (which PostgreSQL cannot store: a server error
    before), a U+202E override in a contact summary, and court dates in 1990 or 9999 get 422 and
    the field's message; nothing is stored."""
    headers = {"X-CSRF-Token": csrf_of(caseworker.get("/cases").text)}
    body = {"forename": "Ada", "surname": "Testperson", "date_of_birth": "1990-05-17", "crime_id": "CR-7",
            "referral_date": "2024-03-04", "referrer": "police", "role": "victim", "team": "north"}
    nul = caseworker.post("/api/cases", json={**body, "forename": "Ada\x00"}, headers=headers)
    assert nul.status_code == 422, nul.text
    assert nul.json()["errors"] == {
        "forename": "Enter first name without control characters or hidden text-direction marks"}
    assert caseworker.get("/api/cases").json()["page"]["total"] == 0
    case_id = caseworker.post("/api/cases", json=body, headers=headers).json()["case_id"]
    bidi = caseworker.post(f"/api/cases/{case_id}/contacts", headers=headers, json={
        "channel": "phone", "direction": "inbound", "summary": "Rang \u202egnitsil\u202c back"})
    assert bidi.status_code == 422 and list(bidi.json()["errors"]) == ["summary"]
    for year in ("1990", "9999"):
        court = caseworker.post(f"/api/cases/{case_id}/court-dates", headers=headers, json={
            "hearing_on": f"{year}-06-01", "hearing_type": "trial", "court": "Snaresbrook"})
        assert court.status_code == 422 and court.json()["errors"]["hearing_on"].startswith(
            "Hearing date must be between")
    old = caseworker.post(f"/api/cases/{case_id}/contacts", headers=headers, json={
        "occurred_on": "1900-01-01", "channel": "phone", "direction": "inbound", "summary": "Rang"})
    assert old.status_code == 422 and "occurred_on" in old.json()["errors"]
    detail = _detail(caseworker, case_id)
    assert detail["contacts"] == [] and detail["court_dates"] == []


def test_a_two_digit_year_in_a_form_is_refused_against_the_year_and_the_answers_are_kept(
        caseworker: TestClient) -> None:
    """Issue 10 finding 12: a year typed as 26 is refused with "Year must include 4 numbers",
    linked to the year input, not read as the year 26."""
    case_id = _open_case(caseworker)
    response = _save(caseworker, f"/cases/{case_id}/court-date", {
        "hearing_on-day": "1", "hearing_on-month": "2", "hearing_on-year": "26", "hearing_type": "trial",
        "court": "Snaresbrook"})
    assert response.status_code == 422
    assert "Year must include 4 numbers" in response.text
    assert _summary_links(response.text) == ["hearing_on-year"]
    assert re.search(r'class="govuk-input govuk-date-input__input govuk-input--width-4 govuk-input--error" '
                     r'id="hearing_on-year" name="hearing_on-year" type="text" value="26"', response.text)
    assert 'id="hearing_on-day" name="hearing_on-day" type="text" value="1"' in response.text
    assert _detail(caseworker, case_id)["court_dates"] == []


def test_the_error_summary_lists_errors_in_the_order_of_the_page(caseworker: TestClient) -> None:
    """Issue 10 finding 12: the summary follows the fields on the page (the referral form asks
    victim-or-witness before who referred; the input model lists them the other way round), and
    unanswered radios and selects say "Select ..."."""
    response = _save(caseworker, "/cases/new/referral", {"team": "north"})
    assert response.status_code == 422
    links = _summary_links(response.text)
    assert links == ["forename", "surname", "date_of_birth-day", "referral_date-day", "role", "referrer"]
    page = response.text.split("</h1>", 1)[1]
    places = [page.index(f'id="{name}"') for name in links]
    assert places == sorted(places)
    assert "Select victim or witness" in response.text and "Select who referred" in response.text
    contact = _save(caseworker, f"/cases/{_open_case(caseworker)}/contact", {"summary": "x\x00"})
    assert _summary_links(contact.text) == ["direction", "channel", "summary"]


# --- finding 12: the three new forms ----------------------------------------------------------------


def test_contact_preferences_witness_support_and_expenses_are_done_through_their_forms(
        caseworker: TestClient) -> None:
    """Issue 10 finding 12: contact preferences, witness support and expenses have forms, linked
    from the case page, saving what the JSON API saves."""
    case_id = _open_case(caseworker)
    case_page = caseworker.get(f"/cases/{case_id}").text
    for link in ("contact-preferences", "witness-support", "expense"):
        assert f'href="/cases/{case_id}/{link}"' in case_page
    missing = _save(caseworker, f"/cases/{case_id}/contact-preferences", {"contact_preference": "phone"})
    assert missing.status_code == 422 and "Enter a phone number to contact by phone" in missing.text
    assert _save(caseworker, f"/cases/{case_id}/contact-preferences", {
        "contact_preference": "letter", "safe_to_leave_message": "yes"}).status_code == 303
    support = {"pretrial_visit_offered_on-day": "4", "pretrial_visit_offered_on-month": "3",
               "pretrial_visit_offered_on-year": "2024", "special_measures_applied": "screens",
               "special_measures_applied_on-day": "5", "special_measures_applied_on-month": "3",
               "special_measures_applied_on-year": "2024"}
    assert _save(caseworker, f"/cases/{case_id}/witness-support", support).status_code == 303
    bad = _save(caseworker, f"/cases/{case_id}/expense", {"kind": "travel", "amount": "lots"})
    assert bad.status_code == 422 and _summary_links(bad.text) == ["amount"]
    added = _save(caseworker, f"/cases/{case_id}/expense", {"kind": "travel", "amount": "12.40"})
    assert added.status_code == 303
    detail = _detail(caseworker, case_id)
    claim = detail["expenses"][0]
    paid = _save(caseworker, f"/cases/{case_id}/expenses/{claim['id']}", {"status": "paid"})
    assert paid.status_code == 303
    detail = _detail(caseworker, case_id)
    assert (detail["contact_preference"], detail["safe_to_leave_message"]) == ("letter", True)
    assert detail["witness_support"]["special_measures_applied"] == ["screens"]
    assert detail["witness_support"]["pretrial_visit_offered_on"] == "2024-03-04"
    assert [(x["amount_pence"], x["status"]) for x in detail["expenses"]] == [(1240, "paid")]
    assert caseworker.get(f"/cases/{case_id}/expenses/999999").status_code == 404


def test_a_stale_referral_update_keeps_the_outcome_typed_and_shows_what_changed(
        caseworker: TestClient, colleague: TestClient) -> None:
    """Issue 10 finding 9: the status form of a referral on the case page carries its version; a
    stale update is re-shown on its own page with the outcome typed, beside what is saved now
    (before, it redirected to the case page and the outcome was lost)."""
    case_id = _open_case(caseworker)
    give_reason(colleague, case_id)  # the colleague is not the allocated caseworker
    sent = _save(caseworker, f"/cases/{case_id}/onward-referral",
                 {"service": "isva", "provider": "London ISVA"})
    assert sent.status_code == 303
    case_page = caseworker.get(f"/cases/{case_id}").text
    form = f"/cases/{case_id}/onward-referral/{_detail(caseworker, case_id)['onward_referrals'][0]['id']}"
    theirs = colleague.get(f"/cases/{case_id}").text
    assert _submit_seen(caseworker, case_page.split(f'action="{form}"', 1)[1], form,
                        {"status": "accepted"}).status_code == 303
    stale = _submit_seen(colleague, theirs.split(f'action="{form}"', 1)[1], form,
                         {"status": "declined", "outcome": "They moved away"})
    assert stale.status_code == 409
    assert 'value="They moved away"' in stale.text and "govuk-error-summary" in stale.text
    assert re.search(r"Status</td>\s*<td[^>]*>\s*Accepted\s*</td>\s*<td[^>]*>\s*Declined", stale.text)
    again = _submit_seen(colleague, stale.text, form, {"status": "declined", "outcome": "They moved away"})
    assert again.status_code == 303
    assert _detail(caseworker, case_id)["onward_referrals"][0]["status"] == "declined"
