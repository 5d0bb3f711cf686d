"""A data steward, in the browser, looks up a custody period's versions from the loads page: a
mistake in the form first, then a reason for access, then every version with the current one and
the change marked (issue 12)."""

from __future__ import annotations

import pytest

from tests.web.test_browser import Watched, browser, server  # noqa: F401  (fixtures)
from tests.web.test_loads import data_dir, versioned_warehouse  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_a_steward_looks_up_a_records_versions(server: str, browser: object) -> None:  # noqa: F811
    w = Watched(browser, server)
    page = w.page
    w.sign_in("data_steward")
    page.goto("/loads")
    page.get_by_role("link", name="look up its history").click()
    page.wait_for_url("**/loads/record")
    assert page.get_by_role("heading", name="Record history").is_visible()
    assert w.axe() == []
    page.get_by_label("Extract").select_option("prison_custody")
    page.get_by_role("button", name="Look up").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_text("Enter the custody_id of the record").is_visible()
    assert page.title().startswith("Error: Record history")
    assert w.axe() == []
    summary.get_by_role("link", name="Enter the custody_id of the record").click()
    page.keyboard.type("X1")
    page.keyboard.press("Enter")
    page.wait_for_url("**/loads/quarantine/reason?next=*")
    page.get_by_label("Checking the quality of a delivery").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/loads/record?extract=prison_custody&key=X1")
    assert page.get_by_role("heading", name="prison_custody: custody_id X1").is_visible()
    table = page.get_by_role("region", name="Versions of custody_id X1")
    assert table.get_by_role("columnheader").all_inner_texts() == [
        "Field", "Version 1", "Version 2", "Version 3"]
    def row(field: str) -> str:
        return table.locator("tr", has=page.get_by_role("rowheader", name=field, exact=True)).inner_text()

    state = row("State")
    assert "Superseded by delivery 2018-10" in state and "Current" in state
    assert "History only (older extract)" in state
    release = row("release_date")
    assert "2018-10-01 (changed)" in release
    assert w.axe() == []
    assert w.errors == [], w.errors
    w.context.close()
