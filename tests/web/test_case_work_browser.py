"""A caseworker's day in headless Chromium, with an axe scan of every page on the way: the home page
says what is due today and this week, the due list pages through this week's deadlines, and a
search by name asks why, then pages through the matching cases of the team."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from localjustice.access import Actor
from localjustice.service import CaseService, WorkLists, england_and_wales
from localjustice.service.schemas import ReferralIn
from localjustice.web.accounts.caseworkers import AccountsStaff
from tests.web.test_allocation_browser import allocation_server as work_server  # noqa: F401
from tests.web.test_browser import AXE, Watched
from tests.web.test_cases_browser import chromium  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)]
CASEWORKER = Actor("test-caseworker", "caseworker", ("north",), "Test caseworker")
WEEK_CASES = 30  # more than one page of 25


def _referral_day_due_this_week(app: FastAPI) -> date:
    """A referral date whose 2-working-day deadline (referral to support) falls this week, whatever
    day the test runs on."""
    today, calendar = date.today(), england_and_wales()
    week_ends = WorkLists(app.state.sessions).week_ends(today)
    for back in range(0, 10):
        day = today - timedelta(days=back)
        if today <= calendar.add_working_days(day, 2) <= week_ends:
            return day
    raise AssertionError("no referral date gives a deadline this week")


def _seed(app: FastAPI) -> None:
    service = CaseService(app.state.sessions, staff=AccountsStaff(app.state.sessions))
    day = _referral_day_due_this_week(app)
    for i in range(WEEK_CASES + 2):
        overdue = i >= WEEK_CASES
        service.receive_referral(CASEWORKER, ReferralIn.model_validate({
            "source": "police", "source_person_id": f"P-{i}", "forename": f"Ada{i:02d}",
            "surname": "Lovelace", "date_of_birth": "1980-01-01", "crime_id": f"CR-{i}",
            "referral_date": (day - timedelta(days=14) if overdue else day).isoformat(),
            "referrer": "police", "role": "victim", "team": "north"}))


@pytest.fixture
def server(work_server: tuple[str, FastAPI]) -> Iterator[str]:  # noqa: F811
    base, app = work_server
    _seed(app)
    yield base


def test_a_caseworker_sees_what_is_due_and_finds_a_person_with_no_accessibility_violations(
        server: str, chromium: object, data_dir: Path) -> None:  # noqa: F811
    assert AXE.exists(), "node_modules/axe-core is missing: run make assets"
    w = Watched(chromium, server)
    page = w.page
    violations: dict[str, list[str]] = {}

    def scan(name: str) -> None:
        found = w.axe()
        if found:
            violations[name] = found

    w.sign_in("caseworker")
    deadlines = page.inner_text("ul.lj-due-counts")
    assert f"Due this week: {WEEK_CASES}" in deadlines and "Overdue: 2" in deadlines
    scan("home with deadlines")

    page.click(f"a:has-text('Due this week: {WEEK_CASES}')")
    assert page.inner_text("h1") == "Due this week"
    assert f"{WEEK_CASES} deadlines, soonest first" in page.inner_text("caption")
    assert page.locator("tbody tr").count() == 25
    scan("due this week")
    page.click(".govuk-pagination__next a")
    assert page.locator("tbody tr").count() == WEEK_CASES - 25
    assert "Page 2 of 2" in page.inner_text("main")
    scan("due this week, page 2")
    page.click("a:has-text('Overdue: 2')")
    assert page.inner_text("h1") == "Overdue" and page.locator("tbody tr").count() == 2
    scan("overdue")

    page.click("a.govuk-service-navigation__link:has-text('Find a person')")
    assert page.inner_text("h1") == "Find a person"
    scan("search form")
    page.click("button:has-text('Search')")  # nothing typed: an error first
    page.wait_for_selector(".govuk-error-summary")
    assert "Enter a name or a date of birth" in page.inner_text(".govuk-error-summary")
    scan("search with errors")
    page.fill("#name", "lovelace")
    page.click("button:has-text('Search')")
    page.wait_for_selector("h1:has-text('Why are you searching for a person?')")
    scan("reason for searching")
    page.check("input[name='purpose'][value='checking_existing_case']")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("#results")
    assert f"{WEEK_CASES + 2} cases found" in page.inner_text("#results")
    assert page.locator("tbody tr").count() == 25
    scan("search results")
    page.click(".govuk-pagination__item a:has-text('2')")
    page.wait_for_selector("#results")
    assert page.locator("tbody tr").count() == WEEK_CASES + 2 - 25
    assert page.get_attribute(".govuk-pagination__item--current a", "aria-current") == "page"
    scan("search results, page 2")
    assert violations == {}, violations
    # the one console error is the deliberate empty search, answered 422 with its error summary
    assert w.errors == ["Failed to load resource: the server responded with a status of 422 "
                        "(Unprocessable Entity)"], w.errors
    w.context.close()
