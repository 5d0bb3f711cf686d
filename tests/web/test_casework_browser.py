"""Issue 17 in headless Chromium, with an axe scan of every page on the way: a caseworker completes
the risk checklist (high: MARAC and IDVA tasks with deadlines), adds a safety plan action and a
safe contact plan, and is refused a phone contact the plan forbids; a supervisor finds a
caseworker's closure waiting on the supervision page and approves it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi import FastAPI

from localjustice.access import Actor
from localjustice.service import CaseService
from localjustice.service.risk import load_checklist
from localjustice.service.schemas import CloseIn, ReferralIn
from localjustice.web.accounts.caseworkers import AccountsStaff
from tests.web.test_allocation_browser import allocation_server as casework_server  # noqa: F401
from tests.web.test_browser import AXE, Watched
from tests.web.test_cases_browser import _fill_date, chromium  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)]
CASEWORKER = Actor("test-caseworker", "caseworker", ("north",), "Test caseworker")


def _open_case(app: FastAPI) -> tuple[CaseService, int]:
    service = CaseService(app.state.sessions, staff=AccountsStaff(app.state.sessions))
    case_id = service.receive_referral(CASEWORKER, ReferralIn.model_validate({
        "source": "police", "source_person_id": "P-1", "forename": "Ada", "surname": "Example",
        "date_of_birth": "1980-01-01", "crime_id": "CR-1", "referral_date": date.today().isoformat(),
        "referrer": "police", "role": "victim", "team": "north"})).case_id
    return service, case_id


@pytest.fixture
def server(casework_server: tuple[str, FastAPI]) -> Iterator[tuple[str, FastAPI]]:  # noqa: F811
    yield casework_server


def test_a_caseworker_assesses_risk_and_plans_safety_with_no_accessibility_violations(
        server: tuple[str, FastAPI], chromium: object) -> None:  # noqa: F811
    assert AXE.exists(), "node_modules/axe-core is missing: run make assets"
    base, app = server
    _, case_id = _open_case(app)
    w = Watched(chromium, base)
    page = w.page
    violations: dict[str, list[str]] = {}

    def scan(name: str) -> None:
        found = w.axe()
        if found:
            violations[name] = found

    w.sign_in("caseworker")
    page.goto(f"/cases/{case_id}")
    scan("case page")
    page.click("a:has-text('Risk checklist')")
    page.wait_for_selector("h1:has-text('Risk checklist')")
    scan("risk checklist")
    for question in load_checklist().questions[:14]:
        page.check(f"input[name='q-{question.key}'][value='yes']")
    page.click("button:has-text('Save risk checklist')")
    page.wait_for_selector("text=Risk checklist saved.")
    tasks = page.inner_text("#casework-tasks ~ table")
    assert "Refer the case to MARAC" in tasks and "IDVA" in tasks and "2 working days" in tasks
    scan("case page with risk")

    page.click("a:has-text('Add a safety plan action')")
    scan("safety plan action form")
    page.fill("#action", "Fit a door alarm")
    page.fill("#owner", "Housing officer")
    _fill_date(page, "review_on", date.today() + timedelta(days=7))
    page.click("button:has-text('Add action')")
    page.wait_for_selector("text=Safety plan action added.")
    page.click("a:has-text('View'):has-text('safety plan')")
    page.wait_for_selector("h1:has-text('Safety plan')")
    assert "Fit a door alarm" in page.inner_text("table")
    scan("safety plan")

    page.click("a:has-text('Change the safe contact plan')")
    scan("safe contact form")
    page.check("input[name='safe_to_call'][value='no']")
    page.check("input[name='safe_to_email'][value='yes']")
    page.check("input[name='no_messages'][value='yes']")
    page.click("button:has-text('Save safe contact plan')")
    page.wait_for_selector("text=Safe contact plan saved.")

    page.click("a:has-text('Log a contact')")
    page.check("input[name='direction'][value='outbound']")
    page.check("input[name='channel'][value='phone']")
    _fill_date(page, "occurred_on", date.today())
    page.fill("#summary", "Called to check in")
    page.click("button:has-text('Save contact')")
    page.wait_for_selector(".govuk-error-summary")
    assert "It is not safe to phone them" in page.inner_text(".govuk-error-summary")
    scan("contact refused by the safe contact plan")
    assert violations == {}, violations
    # the one console error is the refused contact, answered 422 with its error summary
    assert w.errors == ["Failed to load resource: the server responded with a status of 422 "
                        "(Unprocessable Entity)"], w.errors
    w.context.close()


def test_a_supervisor_approves_a_closure_with_no_accessibility_violations(
        server: tuple[str, FastAPI], chromium: object) -> None:  # noqa: F811
    base, app = server
    service, case_id = _open_case(app)
    case = service.get_case(CASEWORKER, case_id)
    asked = service.close_case(CASEWORKER, case_id, CloseIn(outcome="support_completed", reason="Needs met"),
                               expected_version=case.version)
    assert not asked.applied
    w = Watched(chromium, base)
    page = w.page
    violations: dict[str, list[str]] = {}

    def scan(name: str) -> None:
        found = w.axe()
        if found:
            violations[name] = found

    w.sign_in("supervisor")
    page.click("a.govuk-service-navigation__link:has-text('Supervision')")
    page.wait_for_selector("h1:has-text('Supervision')")
    assert "Close the case: Support completed" in page.inner_text("#approvals ~ table")
    scan("supervision")
    page.click(f"#approvals ~ table a:has-text('{case.reference}')")
    page.wait_for_selector("h1:has-text('Approve or return')")
    scan("approval form")
    page.click("button:has-text('Save decision')")  # no decision: an error first
    page.wait_for_selector(".govuk-error-summary")
    scan("approval form with errors")
    page.check("input[name='decision'][value='approve']")
    page.click("button:has-text('Save decision')")
    page.wait_for_selector("text=Approved: it has been done.")
    assert "Nothing is waiting for you." in page.inner_text("main")
    scan("supervision after approval")
    assert service.get_case(CASEWORKER, case_id).status == "closed"
    assert violations == {}, violations
    assert w.errors == ["Failed to load resource: the server responded with a status of 422 "
                        "(Unprocessable Entity)"], w.errors
    w.context.close()
