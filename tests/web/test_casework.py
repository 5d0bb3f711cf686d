"""Risk, safety, supervision and a case's life through the real app (issue 17), on SQLite and
PostgreSQL: the pages and their JSON twins, a contact form that breaks the safe contact plan
refused with its message, a caseworker's closure approved on the supervisor's page, and a document
refused by content and its download audited."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from localjustice.access import Actor
from localjustice.audit import AuditEvent
from localjustice.service import CaseService
from localjustice.service.risk import parse_checklist
from localjustice.service.schemas import ReferralIn
from localjustice.web import WebSettings, create_app
from localjustice.web.accounts.caseworkers import AccountsStaff
from tests.web.conftest import add_users, csrf_of, sign_in

CASEWORKER = Actor("test-caseworker", "caseworker", ("north",), "Test caseworker")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def work_app(web_settings: WebSettings, password_hash: str) -> Iterator[FastAPI]:
    application = create_app(web_settings)
    add_users(application, password_hash)
    yield application
    application.state.engine.dispose()


def _client(app: FastAPI, role: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    sign_in(client, role)
    return client


@pytest.fixture
def caseworker(work_app: FastAPI) -> Iterator[TestClient]:
    with _client(work_app, "caseworker") as client:
        yield client


@pytest.fixture
def supervisor(work_app: FastAPI) -> Iterator[TestClient]:
    with _client(work_app, "supervisor") as client:
        yield client


@pytest.fixture
def case_id(work_app: FastAPI) -> int:
    service = CaseService(work_app.state.sessions, staff=AccountsStaff(work_app.state.sessions))
    return service.receive_referral(CASEWORKER, ReferralIn.model_validate({
        "source": "police", "source_person_id": "P-1", "forename": "Ada", "surname": "Example",
        "date_of_birth": "1980-01-01", "crime_id": "CR-1", "referral_date": date.today().isoformat(),
        "referrer": "police", "role": "victim", "team": "north"})).case_id


def _api_headers(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_of(client.get("/cases").text)}


def _post(client: TestClient, page: str, data: dict[str, str], action: str | None = None) -> object:
    html = client.get(page).text
    fields = {"csrf_token": csrf_of(html), **data}
    version = re.search(r'<input type="hidden" name="version" value="([^"]*)"', html)
    if version is not None and "version" not in data:
        fields["version"] = version.group(1)
    return client.post(action or page, data=fields, follow_redirects=False)


def test_the_risk_checklist_form_scores_and_creates_tasks_shown_on_the_case(
        caseworker: TestClient, case_id: int) -> None:
    questions = caseworker.get(f"/api/cases/{case_id}/risk").json()["questions"]
    answers = {f"q-{q['key']}": "yes" for q in questions[:14]}
    saved = _post(caseworker, f"/cases/{case_id}/risk/assess", answers)
    assert saved.status_code == 303 and "risk_assessed=1" in saved.headers["location"]  # type: ignore[attr-defined]
    detail = caseworker.get(f"/api/cases/{case_id}").json()["casework"]
    assert detail["risk"]["level"] == "high" and detail["risk"]["score"] == 14
    assert {t["key"] for t in detail["tasks"]} == {"marac_referral", "idva_contact"}
    page = caseworker.get(f"/cases/{case_id}").text
    assert "Refer the case to MARAC" in page and "High</strong>" in page
    risk = caseworker.get(f"/cases/{case_id}/risk")
    assert risk.status_code == 200 and "Risk assessments" in risk.text
    # a lower level by judgement without a reason is refused on the form, with its message
    refused = _post(caseworker, f"/cases/{case_id}/risk/assess", {"professional_level": "standard"})
    assert refused.status_code == 422 and "Say why the level should be standard" in refused.text  # type: ignore[attr-defined]


def test_a_contact_that_breaks_the_safe_contact_plan_is_refused_with_a_clear_message(
        caseworker: TestClient, case_id: int) -> None:
    plan = _post(caseworker, f"/cases/{case_id}/safe-contact", {
        "safe_to_call": "no", "safe_to_email": "yes", "safe_address": "", "no_messages": "yes"})
    assert plan.status_code == 303, plan.text  # type: ignore[attr-defined]
    today = date.today()
    refused = _post(caseworker, f"/cases/{case_id}/contact", {
        "direction": "outbound", "channel": "phone", "occurred_on-day": str(today.day),
        "occurred_on-month": str(today.month), "occurred_on-year": str(today.year), "summary": "Called",
        "left_message": "no"})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "It is not safe to phone them (safe contact plan)" in refused.text  # type: ignore[attr-defined]
    headers = _api_headers(caseworker)
    api = caseworker.post(f"/api/cases/{case_id}/contacts", headers=headers, json={
        "direction": "outbound", "channel": "letter", "summary": "Wrote", "preference_override": "no phone"})
    assert api.status_code == 422 and "no safe address" in api.json()["errors"]["channel"]
    assert caseworker.get(f"/api/cases/{case_id}").json()["contacts"] == []
    ok = caseworker.post(f"/api/cases/{case_id}/contacts", headers=headers, json={
        "direction": "outbound", "channel": "email", "summary": "Emailed", "preference_override": "no phone"})
    assert ok.status_code == 201


def test_a_caseworkers_closure_waits_on_the_supervision_page_until_approved(
        caseworker: TestClient, supervisor: TestClient, case_id: int) -> None:
    asked = _post(caseworker, f"/cases/{case_id}/close", {
        "outcome": "support_completed", "reason": "Needs met", "feedback_overall": "5"})
    assert asked.status_code == 303 and "approval_requested=1" in asked.headers["location"]  # type: ignore[attr-defined]
    assert caseworker.get(f"/api/cases/{case_id}").json()["status"] == "open"
    assert caseworker.get("/cases/supervision").status_code == 403
    waiting = supervisor.get("/api/cases/supervision").json()
    [approval] = waiting["approvals"]
    assert approval["action"] == "close_case" and approval["requested_by"] == "test-caseworker"
    assert {c["username"] for c in waiting["caseloads"]} == {"test-caseworker"}
    assert "Waiting for your approval" in supervisor.get("/cases/supervision").text
    decided = _post(supervisor, f"/cases/approvals/{approval['id']}", {"decision": "approve", "comment": ""})
    assert decided.status_code == 303 and "approved=1" in decided.headers["location"]  # type: ignore[attr-defined]
    closed = caseworker.get(f"/api/cases/{case_id}").json()
    assert closed["status"] == "closed"
    assert closed["casework"]["closures"][0]["approved_by"] == "test-supervisor"
    assert "feedback" not in str(closed["casework"])  # one person's answers never shown on the case
    reopened = _post(caseworker, f"/cases/{case_id}/reopen", {"reason": "They asked for help again"})
    assert reopened.status_code == 303  # type: ignore[attr-defined]
    again = caseworker.get(f"/api/cases/{case_id}").json()
    assert again["status"] == "open" and again["casework"]["closures"][0]["reopen_reason"]
    assert supervisor.get("/api/cases/feedback").json()["cases_with_feedback"] is None  # under 5: withheld


def test_documents_are_refused_by_content_and_their_download_is_audited(
        work_app: FastAPI, caseworker: TestClient, case_id: int) -> None:
    token = csrf_of(caseworker.get(f"/cases/{case_id}/documents").text)
    refused = caseworker.post(f"/cases/{case_id}/documents", data={"csrf_token": token},
                              files={"document": ("statement.pdf", b"#!/bin/sh\necho not a pdf\n",
                                                  "application/pdf")})
    assert refused.status_code == 422 and "its content was checked" in refused.text
    uploaded = caseworker.post(f"/api/cases/{case_id}/documents", headers=_api_headers(caseworker),
                               files={"document": ("statement.pdf", PDF, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    doc = uploaded.json()
    stored = list((work_app.state.settings.data_dir / "case-documents" / str(case_id)).iterdir())
    assert [p.read_bytes() for p in stored] == [PDF]
    download = caseworker.get(f"/cases/{case_id}/documents/{doc['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    with work_app.state.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "document.download")).all()
        assert [(e.actor, e.subject_id) for e in events] == [("test-caseworker", str(case_id))]


def test_the_pages_use_the_deployments_checklist_and_still_show_an_earlier_ones_assessment(
        web_settings: WebSettings, password_hash: str, case_id: int, work_app: FastAPI) -> None:
    """Issue 17 item 1: the app scores with the checklist its settings name (from
    ``LOCALJUSTICE_RISK_CHECKLIST``); an assessment scored with the shipped one stays readable."""
    with _client(work_app, "caseworker") as client:  # the shipped checklist first
        assert _post(client, f"/cases/{case_id}/risk/assess", {"q-injured": "yes"}).status_code == 303  # type: ignore[attr-defined]
    own = parse_checklist("""key = "own"\ntitle = "Own screening"\nversion = "7"\ncitation = "Ours."
reassess_after = "new_incident"\nreassess_within_working_days = 2
[thresholds]\nmedium = 1\nhigh = 2\n[[questions]]\nkey = "watched"\ntext = "Are they watched?"\nscore = 2
[[tasks]]\nlevel = "high"\nkey = "advocate"\nsummary = "Refer to an advocate"\nworking_days = 3\n""")
    application = create_app(dataclasses.replace(web_settings, risk_checklist=own))
    try:
        with _client(application, "caseworker") as client:
            earlier = client.get(f"/cases/{case_id}/risk").text
            assert "domestic_abuse, version 2026-12 (not the checklist in use now: own, version 7)" in earlier
            form = client.get(f"/cases/{case_id}/risk/assess").text
            assert "Are they watched?" in form and "A yes counts 2" in form and "q-injured" not in form
            saved = _post(client, f"/cases/{case_id}/risk/assess", {"q-watched": "yes"})
            assert saved.status_code == 303  # type: ignore[attr-defined]
            risk = client.get(f"/api/cases/{case_id}/risk").json()
            assert (risk["key"], risk["version"]) == ("own", "7")
            history = risk["case"]["casework"]["risk_history"]
            assert [(a["checklist"], a["checklist_version"], a["level"]) for a in history] == [
                ("domestic_abuse", "2026-12", "standard"), ("own", "7", "high")]
            assert "advocate" in {t["key"] for t in risk["case"]["casework"]["tasks"]}
            page = client.get(f"/cases/{case_id}/risk").text
            assert "domestic_abuse 2026-12" in page and "own 7" in page
    finally:
        application.state.engine.dispose()
