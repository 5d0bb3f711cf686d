"""A data steward finds, in the browser, the rows a partner still has to correct (issue 12)."""

from __future__ import annotations

import pytest

from tests.web.test_browser import Watched, browser, server  # noqa: F401  (fixtures)
from tests.web.test_loads import data_dir, versioned_warehouse  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_a_steward_filters_open_items_by_partner_and_pages_through_them(
        server: str, browser: object) -> None:  # noqa: F811
    w = Watched(browser, server)
    w.sign_in("data_steward")
    w.page.goto("/loads")
    assert w.page.locator("h2#open").inner_text() == "Waiting for a correction"
    assert w.axe() == []
    w.page.get_by_role("link", name="prisons").click()
    w.page.wait_for_url("**/loads?partner=prisons#open")
    caption = "Open items of prisons (59, page 1 of 2)"
    assert w.page.get_by_text(caption).is_visible()
    w.page.get_by_role("link", name="Next page").click()
    w.page.wait_for_url("**page=2#open")
    rows = w.page.locator("[aria-label='Open quarantine items table'] tbody tr")
    assert rows.count() == 9
    assert w.page.get_by_role("link", name="Previous page").is_visible()
    assert w.axe() == []
    w.page.get_by_role("link", name="All partners").click()
    assert w.page.get_by_text("Open items (60, page 1 of 2)").is_visible()
    assert w.errors == [], w.errors
    w.context.close()
