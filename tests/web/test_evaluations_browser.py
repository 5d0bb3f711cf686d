"""An analyst reads an evaluation in Chromium: statements, balance chart and its table (axe)."""

from __future__ import annotations

import pytest

from tests.web.test_browser import Watched, browser, server  # noqa: F401  (fixtures)
from tests.web.test_evaluations import data_dir, evaluated  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_an_analyst_opens_an_evaluation_from_the_list(server: str, browser: object) -> None:  # noqa: F811
    w = Watched(browser, server)
    w.sign_in("analyst")
    w.page.goto("/evaluations")
    assert w.axe() == []
    w.page.get_by_role("link", name="Through the Gate resettlement pathfinder").click()
    w.page.wait_for_url("**/evaluations/TTG")
    assert w.page.get_by_role("heading", name="For 100 typical people").is_visible()
    assert w.page.get_by_text("committed a proven reoffence within a one-year period").first.is_visible()
    w.page.wait_for_selector(".lj-chart[data-rendered='true']")
    assert w.page.get_by_text("Standardised mean differences", exact=True).is_visible()
    assert w.axe() == []
    assert w.errors == [], w.errors
    w.context.close()
