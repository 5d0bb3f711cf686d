"""Issue 10 findings 5 and 1 in headless Chromium, axe scanning every page: an administrator
opening the possible duplicates page is asked why first (GOV.UK radios, error summary), then sees
both teams' people and decides; the reason holds for the decision."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from localjustice.access import Actor
from localjustice.audit import AuditEvent
from localjustice.service import CaseService
from localjustice.service.schemas import ReferralIn
from localjustice.web.accounts import User
from localjustice.web.accounts.caseworkers import AccountsStaff
from localjustice.web.accounts.service import now
from tests.web.test_allocation_browser import allocation_server  # noqa: F401  (the server fixture)
from tests.web.test_browser import AXE, Watched
from tests.web.test_cases_browser import chromium  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)]


def _flag_one(app: FastAPI, password_hash: str) -> None:
    """South's victim, then north's referral with the same police id: one possible duplicate."""
    with app.state.sessions() as db:
        db.add(User(username="south-caseworker", display_name="South caseworker", password_hash=password_hash,
                    role="caseworker", teams=["south"], active=True, failed_logins=0, created_at=now(),
                    updated_at=now()))
        db.commit()
    service = CaseService(app.state.sessions, staff=AccountsStaff(app.state.sessions))
    for actor, team, forename, surname, born in (
            (Actor("south-caseworker", "caseworker", ("south",)), "south", "Sally", "Secret", "1971-02-03"),
            (Actor("test-caseworker", "caseworker", ("north",)), "north", "Nora", "Madeup", "1999-09-09")):
        service.receive_referral(actor, ReferralIn.model_validate({
            "source": "police", "source_person_id": "PV-SECRET-1", "forename": forename, "surname": surname,
            "date_of_birth": born, "crime_id": f"CR-{team}", "referral_date": date.today().isoformat(),
            "referrer": "police", "role": "victim", "team": team}))


def test_an_admin_gives_a_reason_before_the_possible_duplicates_are_shown(
        allocation_server: tuple[str, FastAPI], chromium: object, password_hash: str) -> None:  # noqa: F811
    """Issue 10 finding 5 (on finding 1's page): the reason page comes before the names and dates
    of birth; its errors follow the GOV.UK pattern; the decision's audit event cites the reason."""
    assert AXE.exists(), "node_modules/axe-core is missing: run make assets"
    base, app = allocation_server
    _flag_one(app, password_hash)
    w = Watched(chromium, base)
    w.sign_in("admin")
    page = w.page
    page.goto("/cases/duplicates")
    assert "/cases/duplicates/reason?next=" in page.url
    assert page.inner_text("h1").endswith("Why are you reviewing possible duplicates?")
    assert "Sally" not in page.inner_text("main") and "Nora" not in page.inner_text("main")
    assert w.axe() == []
    page.click("button:has-text('Continue')")
    page.wait_for_selector(".govuk-error-summary")
    assert page.title().startswith("Error:")
    assert "Select why you are opening this record" in page.inner_text(".govuk-error-summary")
    assert w.axe() == []
    page.check("input[name='purpose'][value='duplicate_review']")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('Possible duplicates')")
    main = page.inner_text("main")
    assert "Sally Secret" in main and "Nora Madeup" in main
    assert w.axe() == []
    page.check("label:has-text('No, different people')")
    page.click("button:has-text('Save decision')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Decision recorded." in page.inner_text(".govuk-notification-banner")
    assert "No possible duplicates to review." in page.inner_text("main")
    assert w.axe() == []
    with app.state.sessions() as db:
        stated = db.scalar(select(AuditEvent.id).where(AuditEvent.action == "purpose.stated"))
        decided = db.scalar(select(AuditEvent).where(AuditEvent.action == "possible_duplicate.decide"))
        assert decided is not None and decided.actor == "test-admin"
        assert decided.detail == {"decision": "different_people", "reason": "duplicate_review",
                                  "stated_in": stated}
    # the one page with an error answers 422, as GOV.UK forms do; nothing else (no CSP violation)
    assert w.errors == ["Failed to load resource: the server responded with a status of 422 "
                        "(Unprocessable Entity)"], w.errors
