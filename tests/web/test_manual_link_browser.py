"""A steward links two records outside the review queue in the browser: the GOV.UK error pattern
first, then the link, with the axe scan clean at each step (issue 10 finding 6)."""

from __future__ import annotations

import duckdb
import pytest

from tests.web.test_browser import AXE, Watched, browser, server

pytestmark = pytest.mark.slow
__all__ = ["browser", "server"]


def _unqueued_pair(path: str) -> tuple[str, str]:
    with duckdb.connect(path, read_only=True) as con:
        row = con.execute("""
            SELECT a.unit_id, b.unit_id FROM linkage.unit_person AS a JOIN linkage.unit_person AS b
              ON a.unit_id < b.unit_id AND a.person_id <> b.person_id
            WHERE NOT EXISTS (SELECT 1 FROM linkage.review_queue AS q
                              WHERE q.unit_id_l = a.unit_id AND q.unit_id_r = b.unit_id)
            ORDER BY a.unit_id, b.unit_id LIMIT 1""").fetchall()[0]
    return str(row[0]), str(row[1])


def test_a_steward_links_two_records_manually_with_a_reason(
        server: str, browser: object, data_dir: object) -> None:
    """Issue 10 finding 6: the manual link is its own page, refuses a link without a reason with
    the GOV.UK error summary, and records the link with the reason."""
    assert AXE.exists()
    left, right = _unqueued_pair(str(data_dir / "warehouse.duckdb"))  # type: ignore[operator]
    w = Watched(browser, server)
    w.sign_in("data_steward")
    page = w.page
    page.click("a.govuk-service-navigation__link:has-text('Manual link')")
    assert page.inner_text("h1") == "Link two records manually"
    assert w.axe() == []
    page.fill("#unit_id_a", left)
    page.fill("#unit_id_b", right)
    page.click("button:has-text('Link these records')")
    page.wait_for_selector(".govuk-error-summary")
    assert page.title().startswith("Error:")
    assert page.locator(".govuk-error-summary a").all_inner_texts() == [
        "Enter the reason for linking these records"]
    assert page.input_value("#unit_id_a") == left
    assert w.axe() == []
    page.click(".govuk-error-summary a")
    page.fill("#reason", "Confirmed by phone with the probation officer")
    page.click("button:has-text('Link these records')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Confirmed by phone with the probation officer" in page.inner_text("table")
    assert w.axe() == []
    # the one console message is the refused form's 400 status; no CSP violation, no script error
    assert len(w.errors) == 1 and "status of 400" in w.errors[0], w.errors
