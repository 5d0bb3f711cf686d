"""Issue 10 finding 2 in headless Chromium, with an axe scan of every page on the way: a supervisor
sees the team's caseworkers with their caseloads, moves two of one caseworker's cases at once, and
hands one case back from its own page, choosing from the team's caseworkers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from localjustice.access import Actor
from localjustice.service import CaseService
from localjustice.service.schemas import ReferralIn
from localjustice.web import WebSettings, create_app
from localjustice.web.accounts.caseworkers import AccountsStaff
from tests.web.conftest import SECRET, add_users
from tests.web.test_browser import AXE, Watched, _free_port
from tests.web.test_cases_browser import chromium  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)]


@pytest.fixture
def allocation_server(data_dir: Path, password_hash: str, app_db_url: str) -> Iterator[tuple[str, FastAPI]]:
    app = create_app(WebSettings(data_dir=data_dir, database_url=app_db_url, secret_key=SECRET,
                                 login_attempts=10_000))
    add_users(app, password_hash)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def _seed(app: FastAPI, count: int) -> list[int]:
    """``count`` cases of the team's caseworker; the first joined by a referral giving other details."""
    service = CaseService(app.state.sessions, staff=AccountsStaff(app.state.sessions))
    actor = Actor("test-caseworker", "caseworker", ("north",), "Test caseworker")

    def referral(i: int, forename: str) -> ReferralIn:
        return ReferralIn.model_validate({
            "source": "police", "source_person_id": f"P-{i}", "forename": forename, "surname": "Example",
            "date_of_birth": "1980-01-01", "crime_id": f"CR-{i}", "referral_date": date.today().isoformat(),
            "referrer": "police", "role": "victim", "team": "north"})

    ids = [service.receive_referral(actor, referral(i, f"Person{i}")).case_id for i in range(count)]
    service.receive_referral(actor, referral(0, "Someone"))
    return ids


def test_a_supervisor_reallocates_cases_and_hands_one_back_with_no_accessibility_violations(
        allocation_server: tuple[str, FastAPI], chromium: object) -> None:  # noqa: F811
    """Issue 10 finding 2: reallocation from the team's caseworkers and their caseloads, in the browser."""
    assert AXE.exists(), "node_modules/axe-core is missing: run make assets"
    base, app = allocation_server
    ids = _seed(app, 3)
    w = Watched(chromium, base)
    page = w.page
    violations: dict[str, list[str]] = {}

    def scan(name: str) -> None:
        found = w.axe()
        if found:
            violations[name] = found

    w.sign_in("supervisor")
    page.click("a.govuk-service-navigation__link:has-text('Allocation')")
    assert page.inner_text("h1") == "Allocate cases"
    row = page.locator("tr", has_text="Test caseworker")
    assert "3" in row.inner_text()
    scan("allocation page")

    row.locator("a:has-text('Reallocate cases')").click()
    page.wait_for_selector("#move")
    scan("one caseworker's cases")
    page.click("button:has-text('Reallocate selected cases')")  # nothing chosen: errors first
    page.wait_for_selector(".govuk-error-summary")
    assert "Select at least one case to reallocate" in page.inner_text(".govuk-error-summary")
    scan("allocation with errors")
    page.click(".govuk-error-summary a[href='#cases']")
    page.check(f"label:has-text('VW{ids[0]:06d}')")
    page.check(f"label:has-text('VW{ids[1]:06d}')")
    page.select_option("#to_username", "test-supervisor")
    page.fill("#reason", "Test caseworker on leave")
    page.click("button:has-text('Reallocate selected cases')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "2 cases reallocated" in page.inner_text(".govuk-notification-banner")
    supervisor_row = page.locator("tr", has_text="Test supervisor").inner_text()
    assert "\t2\t" in supervisor_row or " 2 " in f" {supervisor_row} "
    scan("allocation after moving")

    # one case handed back from its own page, to one of the team's caseworkers
    page.goto(f"/cases/{ids[0]}")
    assert "Test supervisor (north)" in page.inner_text("main")
    assert "gave the name Someone Example" in page.inner_text(".govuk-warning-text")
    scan("case page with a referral that gave other details")
    page.click("a:has-text('Change')")
    scan("handover form")
    page.select_option("#to_username", "test-caseworker")
    page.fill("#reason", "Back from leave")
    page.click("button:has-text('Hand over')")
    # back on the case list: the supervisor is no longer the allocated caseworker, so the case
    # itself would now ask them for a reason for access
    page.wait_for_selector(".govuk-notification-banner--success")
    assert f"VW{ids[0]:06d} handed over" in page.inner_text(".govuk-notification-banner")
    assert "Test caseworker" in page.locator("tbody tr").first.inner_text()
    scan("case list after a handover")

    page.goto("/cases/duplicates")  # two teams' people: a reason for access first (issue 10 finding 5)
    assert page.inner_text("h1").endswith("Why are you reviewing possible duplicates?")
    scan("reason for reviewing possible duplicates")
    page.check("input[name='purpose'][value='duplicate_review']")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('Possible duplicates')")
    assert page.inner_text("h1") == "Possible duplicates"
    scan("possible duplicates")
    assert violations == {}, violations
    # the one console error is the deliberate empty form, answered 422 with its error summary
    assert w.errors == ["Failed to load resource: the server responded with a status of 422 "
                        "(Unprocessable Entity)"], w.errors
    w.context.close()
