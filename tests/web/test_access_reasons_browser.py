"""Issue 10 finding 5 in the browser: a supervisor opening a case is asked why first, with GOV.UK
radios whose "Other" reveals a box (govuk-frontend's script, no inline script), and the page is
axe clean, errors included."""

from __future__ import annotations

from datetime import date

import pytest

from tests.web.test_browser import AXE, Watched
from tests.web.test_cases_browser import _fill_date, case_server, chromium  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)]


def test_a_supervisor_gives_a_reason_of_their_own_words_then_sees_the_case(
        case_server: str, chromium: object) -> None:  # noqa: F811
    """Issue 10 finding 5: the supervisor is asked for a reason before the case is shown."""
    assert AXE.exists(), "node_modules/axe-core is missing: run make assets"
    caseworker = Watched(chromium, case_server)
    caseworker.sign_in("caseworker")
    page = caseworker.page
    page.goto("/cases/new/referral")
    page.fill("#forename", "Ada")
    page.fill("#surname", "Testperson")
    _fill_date(page, "date_of_birth", date(1990, 5, 17))
    page.fill("#crime_id", "CR-1")
    page.check("#role")
    page.select_option("#referrer", "police")
    page.click("button:has-text('Add referral')")
    page.wait_for_selector(".govuk-notification-banner--success")
    case_path = "/" + page.url.split("/", 3)[3].split("?")[0]

    w = Watched(chromium, case_server)
    w.sign_in("supervisor")
    page = w.page
    page.goto(case_path)
    assert "/reason?next=" in page.url
    assert page.inner_text("h1").endswith("Why are you opening this case?")
    assert page.locator("h1 .govuk-caption-l").inner_text().startswith("VW")
    assert "Ada" not in page.inner_text("main")
    assert w.axe() == []
    detail = page.locator("#purpose_detail")
    assert not detail.is_visible()  # revealed only with "Other"
    page.click("button:has-text('Continue')")
    page.wait_for_selector(".govuk-error-summary")
    assert page.title().startswith("Error:")
    assert "Select why you are opening this record" in page.inner_text(".govuk-error-summary")
    assert w.axe() == []
    page.check("input[name='purpose'][value='other']")
    assert detail.is_visible()
    page.click("button:has-text('Continue')")
    page.wait_for_selector(".govuk-error-summary")
    assert "Enter why you need to see this record" in page.inner_text(".govuk-error-summary")
    assert page.locator("#purpose_detail").is_visible()  # the choice is kept, the box shown
    assert w.axe() == []
    page.fill("#purpose_detail", "Reviewing the case after a complaint")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('Ada Testperson')")
    assert page.url.endswith(case_path)
    page.click("a:has-text('Log a contact')")  # the reason holds for the case's forms
    assert page.inner_text("h1") == "Log a contact"
    # the two pages with errors answer 422, as GOV.UK forms do; nothing else (no CSP violation)
    refused = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert w.errors == [refused] * 2 and caseworker.errors == [], (w.errors, caseworker.errors)
