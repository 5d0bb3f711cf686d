"""The victims-and-witnesses journey in headless Chromium (Debian's, driven by Playwright), with an
axe scan of every page on the way: referral arrives, case opens, assessed once, referred to an
ISVA, a charge decision recorded, the entitlement met on time, the case's closure sent for approval."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from playwright import sync_api as playwright_api

from localjustice.web import WebSettings, create_app
from tests.web.conftest import SECRET, add_users
from tests.web.test_browser import AXE, CHROMIUM, CHROMIUM_ARGS, Watched, _free_port

# The journey runs once, on SQLite (the service tests cover both engines, and the concurrency
# tests PostgreSQL); the engine is chosen here rather than skipped at run time.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)]


@pytest.fixture
def chromium() -> Iterator[object]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: make system-packages installs it"
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def case_server(data_dir: Path, password_hash: str, app_db_url: str) -> Iterator[str]:
    """A real uvicorn server on loopback with the case pages mounted."""
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
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def _fill_date(page: object, name: str, day: date) -> None:
    page.fill(f"#{name}-day", str(day.day))  # type: ignore[attr-defined]
    page.fill(f"#{name}-month", str(day.month))  # type: ignore[attr-defined]
    page.fill(f"#{name}-year", str(day.year))  # type: ignore[attr-defined]


def test_referral_to_closed_case_in_the_browser_with_no_accessibility_violations(
        case_server: str, chromium: object) -> None:
    assert AXE.exists(), "node_modules/axe-core is missing: run make assets"
    w = Watched(chromium, case_server)
    page = w.page
    violations: dict[str, list[str]] = {}

    def scan(name: str) -> None:
        found = w.axe()
        if found:
            violations[name] = found

    w.sign_in("caseworker")
    page.click("a.govuk-service-navigation__link:has-text('Cases')")
    assert page.inner_text("h1") == "Cases"
    scan("case list")

    # a referral arrives and opens a case
    page.click("a:has-text('Add a referral')")
    page.click("button:has-text('Add referral')")  # empty: errors first
    page.wait_for_selector(".govuk-error-summary")
    assert page.title().startswith("Error:")
    scan("referral form with errors")
    page.fill("#forename", "Ada")
    page.fill("#surname", "Testperson")
    _fill_date(page, "date_of_birth", date(1990, 5, 17))
    page.fill("#crime_id", "CR-1")
    page.check("#role")
    page.select_option("#referrer", "police")
    page.check("input[name='needs'][value='emotional']")
    page.click("button:has-text('Add referral')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "case opened" in page.inner_text(".govuk-notification-banner")
    assert page.inner_text("h1") == "Ada Testperson"
    case_url = page.url.split("?")[0]
    scan("case page")

    # assessed once
    page.click("a:has-text('Needs assessment')")
    scan("assessment form")
    page.check("#risk_level-3")  # high
    page.check("input[name='emotional_need'][value='yes']")
    page.fill("#emotional_notes", "Struggling to sleep")
    page.click("button:has-text('Save assessment')")
    page.wait_for_selector("text=Needs assessment saved.")
    assert "Completed (version 1)" in page.inner_text("main")

    # referred to an ISVA
    page.click("a:has-text('Refer to a support service')")
    scan("onward referral form")
    page.select_option("#service", "isva")
    page.fill("#provider", "London ISVA service")
    page.click("button:has-text('Send referral')")
    page.wait_for_selector("text=Referral sent.")

    # a charge decision is recorded, which starts a 5 working day clock
    page.click("a:has-text('Record what happened')")
    scan("event form")
    page.check("input[name='kind'][value='charge_decision']")
    _fill_date(page, "occurred_on", date.today())
    page.click("button:has-text('Record event')")
    page.wait_for_selector("text=Event recorded.")
    row = page.locator("#entitlements ~ table tr", has_text="Told a suspect was charged")
    assert "Due" in row.inner_text()

    # the entitlement is met on time
    row.locator("button:has-text('Mark met today')").click()
    page.wait_for_selector("text=Entitlement recorded as met.")
    row = page.locator("#entitlements ~ table tr", has_text="Told a suspect was charged")
    assert "Met" in row.inner_text() and "Overdue" not in row.inner_text()
    scan("case page after work")

    # the case is closed with an outcome: a caseworker's closure waits for a supervisor
    page.click("a:has-text('Close the case')")
    scan("close form")
    page.check("input[name='outcome'][value='support_completed']")
    page.fill("#reason", "Support completed")
    page.check("input[name='feedback_overall'][value='4']")
    page.click("button:has-text('Close case')")
    page.wait_for_selector("text=Sent to a supervisor for approval")
    assert "(closed)" not in page.inner_text(".govuk-caption-l")
    assert page.url.startswith(case_url)

    for path in ("/cases/overdue", "/cases/compliance", "/cases?status="):
        page.goto(path)
        scan(path)
    assert violations == {}, violations
    # the one console error is the deliberate empty form, answered 422 with its error summary
    assert w.errors == ["Failed to load resource: the server responded with a status of 422 "
                        "(Unprocessable Entity)"], w.errors
    w.context.close()


def _open_case(w: Watched) -> str:
    """Open a case through the referral form; its page's URL."""
    page = w.page
    page.goto("/cases/new/referral")
    page.fill("#forename", "Ada")
    page.fill("#surname", "Testperson")
    _fill_date(page, "date_of_birth", date(1990, 5, 17))
    page.check("#role")
    page.select_option("#referrer", "police")
    page.click("button:has-text('Add referral')")
    page.wait_for_selector(".govuk-notification-banner--success")
    return str(page.url.split("?")[0])


def _only_expected_errors(errors: list[str]) -> bool:
    """Console errors are only the answers 409 and 422 a refused save gets (with its error page)."""
    return all("status of 409" in e or "status of 422" in e for e in errors)


def test_two_pages_save_one_consent_and_the_second_sees_both_versions(
        case_server: str, chromium: object) -> None:
    """Issue 10 finding 9: two caseworkers have the consent page open; both save; the second gets
    the conflict page (GOV.UK error summary, what is saved now beside what they tried to save),
    their answers kept, with no accessibility violations; saving again goes through."""
    first, second = Watched(chromium, case_server), Watched(chromium, case_server)
    first.sign_in("caseworker")
    second.sign_in("supervisor")
    case_url = _open_case(first)
    first.page.goto(case_url)
    first.page.click("a:has-text('Consent to share')")
    first.page.select_option("#recipient", "isva")
    first.page.check("input[name='share_assessment']")
    first.page.click("button:has-text('Save consent')")
    first.page.wait_for_selector("text=Consent saved.")

    second.page.goto(f"{case_url}/consent")  # not the allocated caseworker: asked for a reason first
    second.page.check("input[name='purpose'][value='supervision']")
    second.page.click("button:has-text('Continue')")
    second.page.wait_for_selector("a:has-text('Change')")
    for w in (first, second):
        w.page.goto(f"{case_url}/consent")
        w.page.click("a:has-text('Change')")
        assert "Change consent to share with ISVA" in w.page.inner_text("main")
    assert first.axe() == []
    first.page.check("input[name='share_contact_details']")
    first.page.click("button:has-text('Save consent')")
    first.page.wait_for_selector("text=Consent saved.")

    second.page.uncheck("input[name='share_assessment']")
    second.page.check("input[name='share_case_details']")
    second.page.click("button:has-text('Save consent')")
    summary = second.page.wait_for_selector(".govuk-error-summary")
    assert summary is not None and "Someone else changed this" in summary.inner_text()
    assert second.page.title().startswith("Error:")
    table = second.page.inner_text("#what-changed + table")
    assert "Share contact details\tYes\tNo" in table
    assert "Share the needs assessment\tYes\tNo" in table
    assert "Share case details\tNo\tYes" in table
    assert second.page.is_checked("input[name='share_case_details']")
    assert not second.page.is_checked("input[name='share_assessment']")
    assert second.axe() == []
    second.page.click("button:has-text('Save consent')")
    second.page.wait_for_selector("text=Consent saved.")
    second.page.goto(f"{case_url}/consent")
    assert "Case details" in second.page.inner_text(".govuk-summary-list")
    assert _only_expected_errors(first.errors + second.errors), first.errors + second.errors
    first.context.close()
    second.context.close()


def test_contact_preferences_witness_support_and_expenses_forms_in_the_browser(
        case_server: str, chromium: object) -> None:
    """Issue 10 finding 12: each new form is reached from the case page, refuses what it should
    with the GOV.UK messages (a two-digit year among them), and saves; no page has accessibility
    violations, errors shown or not."""
    w = Watched(chromium, case_server)
    page = w.page
    violations: dict[str, list[str]] = {}

    def scan(name: str) -> None:
        found = w.axe()
        if found:
            violations[name] = found

    w.sign_in("caseworker")
    case_url = _open_case(w)

    # contact preferences: by phone needs a number
    page.click("a:has-text('Change contact preferences')")
    scan("contact preferences form")
    page.check("input[name='contact_preference'][value='email']")
    page.fill("#email", "ada\u202e@example.com")
    page.click("button:has-text('Save contact preferences')")
    page.wait_for_selector(".govuk-error-summary")
    assert "Enter email address without control characters" in page.inner_text(".govuk-error-summary")
    scan("contact preferences with errors")
    page.fill("#email", "ada@example.com")
    page.check("input[name='safe_to_leave_message'][value='yes']")
    page.click("button:has-text('Save contact preferences')")
    page.wait_for_selector("text=Contact preferences saved.")
    assert "Email; safe to leave a message" in page.inner_text("main")

    # witness pre-trial support: a two-digit year is refused against the year
    page.click("a:has-text('Witness pre-trial support')")
    scan("witness support form")
    _fill_date(page, "pretrial_visit_offered_on", date.today())
    page.check("input[name='special_measures_applied'][value='screens']")
    page.fill("#special_measures_applied_on-day", str(date.today().day))
    page.fill("#special_measures_applied_on-month", str(date.today().month))
    page.fill("#special_measures_applied_on-year", str(date.today().year % 100))
    page.click("button:has-text('Save witness support')")
    page.wait_for_selector(".govuk-error-summary")
    assert page.inner_text(".govuk-error-summary__list") == "Year must include 4 numbers"
    assert page.get_attribute(".govuk-error-summary__list a", "href") == "#special_measures_applied_on-year"
    assert page.is_checked("input[name='special_measures_applied'][value='screens']")
    scan("witness support with errors")
    page.fill("#special_measures_applied_on-year", str(date.today().year))
    page.click("button:has-text('Save witness support')")
    page.wait_for_selector("text=Witness support saved.")
    assert "Special measures applied for: screens" in page.inner_text("main")

    # expenses: a claim added, then paid
    page.click("a:has-text('Add an expenses claim')")
    scan("expense form")
    page.click("button:has-text('Add expenses claim')")
    page.wait_for_selector(".govuk-error-summary")
    assert page.inner_text(".govuk-error-summary__list").splitlines() == [
        "Select type of expense", "Enter amount in pounds"]
    scan("expense form with errors")
    page.check("input[name='kind'][value='travel']")
    page.fill("#amount", "12.40")
    page.click("button:has-text('Add expenses claim')")
    page.wait_for_selector("text=Expenses claim added.")
    assert "£12.40" in page.inner_text("main")
    scan("case page with expenses")
    page.click("a:has-text('Record the decision')")
    scan("expense decision form")
    page.check("input[name='status'][value='paid']")
    page.click("button:has-text('Save decision')")
    page.wait_for_selector("text=Expenses claim updated.")
    assert page.url.startswith(case_url)
    assert "Paid" in page.inner_text("main")
    assert violations == {}, violations
    assert _only_expected_errors(w.errors), w.errors
    w.context.close()


def test_a_refused_referral_update_is_re_shown_on_its_own_accessible_page(
        case_server: str, chromium: object) -> None:
    """Issue 10 finding 9: the referral status form on the case page no longer loses what was
    typed when the update is refused: it is re-shown on a page of its own, with no accessibility
    violations."""
    w = Watched(chromium, case_server)
    page = w.page
    w.sign_in("caseworker")
    case_url = _open_case(w)
    page.goto(f"{case_url}/onward-referral")
    page.select_option("#service", "isva")
    page.fill("#provider", "London ISVA service")
    page.click("button:has-text('Send referral')")
    page.wait_for_selector("text=Referral sent.")
    row = page.locator("#referrals ~ table tr", has_text="London ISVA service")
    row.locator("select").select_option("declined")
    row.locator("button:has-text('Update')").click()
    page.wait_for_selector(".govuk-error-summary")
    assert "Enter the outcome" in page.inner_text(".govuk-error-summary")
    assert page.is_checked("input[name='status'][value='declined']")
    assert w.axe() == []
    page.fill("#outcome", "They chose another service")
    page.click("button:has-text('Update referral')")
    page.wait_for_selector("text=Referral updated.")
    assert "Declined" in page.inner_text("#referrals ~ table")
    assert _only_expected_errors(w.errors), w.errors
    w.context.close()
