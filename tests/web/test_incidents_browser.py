"""Issue 17 part 5 in headless Chromium, with an axe scan of every page on the way: a caseworker of
the coordinating team uploads an incident's CSV with a bad row, sees it listed with its reason,
fixes and resubmits it, sends a bulk message one case's safe contact plan refuses (listed with why),
and reads the incident dashboard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI

from localjustice.access import Actor
from localjustice.service import CaseService, IncidentService
from localjustice.service.casework import Casework
from localjustice.service.casework_schemas import SafeContactIn
from localjustice.service.incident_schemas import IncidentIn
from localjustice.web.accounts.caseworkers import AccountsStaff
from tests.web.test_allocation_browser import allocation_server  # noqa: F401  (the server fixture)
from tests.web.test_browser import AXE, Watched
from tests.web.test_cases_browser import chromium  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)]
CSV = ("forename,surname,date_of_birth,role,injury,bereaved,needs,contact_preference,phone\n"
       "Ada,Incident,1990-05-17,victim,serious,no,health,phone,07700900001\n"
       "Bad,Row,1990-02-31,victim,none,no,,phone,07700900002\n"
       "Cal,Witness,1970-01-01,witness,none,no,,phone,07700900003\n")


def test_an_incidents_bulk_registration_with_a_bad_row_fixed_and_no_accessibility_violations(
        allocation_server: tuple[str, FastAPI], chromium: object, tmp_path: Path) -> None:  # noqa: F811
    assert AXE.exists(), "node_modules/axe-core is missing: run make assets"
    base, app = allocation_server
    lead = Actor("test-supervisor", "supervisor", ("north",), "Test supervisor")
    incident = IncidentService(CaseService(app.state.sessions, staff=AccountsStaff(app.state.sessions)))
    made = incident.create_incident(lead, IncidentIn(name="Bridge attack", occurred_on=date(2024, 3, 1),
                                                     kind="terrorism", coordinating_team="north"))
    people = tmp_path / "people.csv"
    people.write_text(CSV, "utf-8")
    w = Watched(chromium, base)
    page = w.page
    violations: dict[str, list[str]] = {}

    def scan(name: str) -> None:
        found = w.axe()
        if found:
            violations[name] = found

    w.sign_in("caseworker")
    page.click("a.govuk-service-navigation__link:has-text('Incidents')")
    assert page.inner_text("h1") == "Major incidents"
    scan("incident list")
    page.click("a:has-text('Bridge attack')")
    page.wait_for_selector("h1:has-text('Bridge attack')")
    scan("incident page")
    page.set_input_files("#file", str(people))
    page.click("button:has-text('Upload and register')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "2 registered; 1 to fix" in page.inner_text(".govuk-notification-banner")
    bad_row = page.locator("#rows + table tr", has_text="Bad Row")
    assert "date" in bad_row.inner_text().lower()
    scan("incident page with a row to fix")
    bad_row.locator("a:has-text('Fix')").click()
    page.wait_for_selector("h1:has-text('Fix row 3')")
    assert page.input_value("#date_of_birth") == "1990-02-31"
    scan("fix a row")
    page.fill("#date_of_birth", "1990-02-28")
    page.click("button:has-text('Resubmit row')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Row 3 registered" in page.inner_text(".govuk-notification-banner")
    assert "No rows to fix" in page.inner_text("main")
    # Ada's safe contact plan says not to phone her: the bulk message goes to the others only
    ada = next(c.case_id for c in incident.get_incident(lead, made.id).cases if c.forename == "Ada")
    Casework(incident.cases).save_safe_contact(lead, ada, SafeContactIn(safe_to_call=False),
                                               expected_version=None)
    page.fill("#summary", "The family assistance centre is open")
    page.fill("#time_sent", "10:00")
    page.click("button:has-text('Send message')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Message logged on 2 cases; refused for 1" in page.inner_text(".govuk-notification-banner")
    assert "not safe to phone them" in page.locator("table", has_text="Not sent to").inner_text()
    scan("incident page with a message refused for one case")
    page.click("a:has-text('Incident dashboard')")
    page.wait_for_selector("h1:has-text('Incident dashboard')")
    main = page.inner_text("main")
    assert "Registered\t3" in main or "Registered 3" in main
    assert "Priority 1: bereaved families and the seriously injured\t1" in main or "Priority 1" in main
    scan("incident dashboard")
    assert w.errors == [], w.errors
    assert violations == {}, violations
    assert made.id == 1
