"""A practitioner's journey in the browser, with the axe scan clean at every step: find a person on
a worklist, take them on, open their journey (the MoJ timeline), flag a wrong link."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.people.world import web_world
from tests.web.published import write_measures
from tests.web.test_browser import AXE, Watched, browser, server

pytestmark = pytest.mark.slow
__all__ = ["browser", "server"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    web_world(folder / "warehouse.duckdb")
    write_measures(folder / "published")
    return folder


def test_a_practitioner_takes_a_person_on_from_a_worklist_and_flags_a_wrong_link(
        server: str, browser: object) -> None:
    assert AXE.exists()
    w = Watched(browser, server)
    w.sign_in("offender_manager")
    page = w.page
    page.click("a.govuk-service-navigation__link:has-text('Worklists')")
    page.wait_for_url("**/worklists")
    assert page.inner_text("h1") == "Worklists", page.inner_text("main")
    assert w.axe() == []
    page.click("a:has-text('Released with no supervision started')")
    page.wait_for_url("**/worklists/through_the_gate")
    assert page.inner_text("h1") == "Released with no supervision started"
    assert "Outside the area" in page.inner_text("table")
    assert w.axe() == []
    page.click("button:has-text('Take on')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert w.axe() == []
    page.click("a:has-text('P1')")
    page.wait_for_selector(".moj-timeline")
    # the heading is the name two of the three records give; the probation record spells it
    # otherwise (the link this journey goes on to flag)
    assert page.inner_text("h1") == "Robin Example"
    assert "Also recorded as: Robyn Exampel" in page.inner_text("main")
    assert page.locator(".moj-timeline__item").count() == 3
    assert w.axe() == []
    page.click("button:has-text('Not the same person: Probation')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "linkage review queue" in page.inner_text(".govuk-notification-banner")
    assert w.axe() == []
    assert w.errors == []
