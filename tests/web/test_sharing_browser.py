"""In the browser, with axe on every page: an analyst requests pseudonymous data under an
agreement, a data reviewer sees the reminder on their home, approves it, and the analyst downloads
exactly the fields granted (issue 18)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.sharing import sync_agreements
from localjustice.sharing.rules import AgreementTerms
from tests.web.test_browser import Watched, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def _seed(data_dir: Path) -> None:
    today = date.today()
    engine = create_engine(f"sqlite:///{data_dir / 'app.db'}")
    with Session(engine) as db:
        sync_agreements(db, Actor(username="system", role="admin"), [AgreementTerms(
            code="ISA-B-01", title="Reoffending analysis", parties=("MOPAC", "Ministry of Justice"),
            datasets=("persons", "custody"), purposes=("reoffending_analysis",),
            levels=("aggregate", "pseudonymous"), legal_basis="For the tests.",
            starts_on=today - timedelta(days=365), expires_on=today + timedelta(days=365))])
        db.commit()
    engine.dispose()


def test_an_analyst_requests_data_a_reviewer_approves_it_and_the_analyst_downloads_it(
        server: str, browser: object, data_dir: Path) -> None:  # noqa: F811
    _seed(data_dir)
    analyst = Watched(browser, server)
    analyst.sign_in("analyst")
    page = analyst.page
    page.click("a.govuk-service-navigation__link:has-text('Data sharing')")
    assert page.inner_text("h2#ISA-B-01") == "ISA-B-01: Reoffending analysis"
    assert analyst.axe() == []
    page.goto("/sharing/requests")
    page.click("a:has-text('Request data')")
    assert page.inner_text("h1") == "Request data"
    assert analyst.axe() == []
    page.select_option("#agreement", "ISA-B-01")
    page.select_option("#organisation", "MOPAC")
    page.select_option("#purpose", "reoffending_analysis")
    page.fill("#purpose_detail", "Custody spells by establishment, to plan resettlement.")
    page.check("input[name='datasets'][value='monitoring']")  # outside the agreement: refused
    page.check("input[name='level'][value='pseudonymous']")
    page.fill("#duration_days", "30")
    page.click("button:has-text('Send request')")
    assert "monitoring is outside agreement ISA-B-01" in page.inner_text(".govuk-error-summary")
    assert analyst.axe() == []
    page.uncheck("input[name='datasets'][value='monitoring']")
    page.check("input[name='datasets'][value='custody']")
    page.fill("#fields", "person_id, establishment_code")
    page.click("button:has-text('Send request')")
    page.wait_for_url("**/sharing/requests?submitted=1")
    assert "Request 1 sent to the data reviewers." in page.inner_text(".govuk-notification-banner")
    assert analyst.axe() == []

    reviewer = Watched(browser, server)
    reviewer.sign_in("data_reviewer")
    assert "Waiting for review: 1" in reviewer.page.inner_text("main")
    assert reviewer.axe() == []
    reviewer.page.click("a.govuk-service-navigation__link:has-text('Request reviews')")
    assert reviewer.axe() == []
    reviewer.page.click("a:has-text('Request 1')")
    assert reviewer.page.inner_text("h1") == "Request 1"
    assert "custody: person_id, establishment_code" in reviewer.page.inner_text("main")
    assert reviewer.axe() == []
    reviewer.page.check("input[name='decision'][value='approve']")
    reviewer.page.fill("#comment", "Proportionate: one dataset, two fields.")
    reviewer.page.click("button:has-text('Record decision')")
    reviewer.page.wait_for_url("**/sharing/review?decided=1")
    assert "No requests are waiting." in reviewer.page.inner_text("main")
    assert reviewer.axe() == []

    page.goto("/sharing/requests")
    assert "Proportionate: one dataset, two fields." in page.inner_text("main")
    page.click("a:has-text('My data access')")
    assert analyst.axe() == []
    with page.expect_download() as caught:
        page.click("a:has-text('Download Custody periods (CSV)')")
    text = Path(caught.value.path()).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and set(rows[0]) == {"person_id", "establishment_code"}
    page.goto("/sharing/register")
    assert "Median working days to decision: 0" in page.inner_text("#median")
    assert analyst.axe() == []
    # the one console error is the refused request's 400, as the browser reports any 400 answer
    assert analyst.errors == ["Failed to load resource: the server responded with a status of 400 "
                              "(Bad Request)"], analyst.errors
    assert reviewer.errors == [], reviewer.errors
    analyst.context.close()
    reviewer.context.close()
