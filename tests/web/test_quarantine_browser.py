"""A data steward, in the browser, opens a batch's quarantined rows from the loads page, gives a
reason for access, pages through the rows and downloads them for the data owner (issue 13 part 5)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.web.test_browser import Watched, browser, server  # noqa: F401  (fixtures)
from tests.web.test_loads import SECRET_SURNAME, data_dir, versioned_warehouse  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_a_steward_gives_a_reason_sees_the_held_back_rows_and_downloads_them(
        server: str, browser: object, tmp_path: Path) -> None:  # noqa: F811
    w = Watched(browser, server)
    page = w.page
    w.sign_in("data_steward")
    page.goto("/loads")
    assert page.get_by_text("Linkage pairs waiting for review").is_visible()
    assert w.axe() == []
    page.get_by_role("link", name="60 quarantined rows of prison_custody.csv in 2018-09").click()
    page.wait_for_url("**/loads/quarantine/reason?next=*")
    assert page.get_by_role("heading", name="Why are you viewing these rows?").is_visible()
    assert SECRET_SURNAME not in page.content()
    assert w.axe() == []
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_text("Select why you need to see rows as the partner sent them").is_visible()
    assert w.axe() == []
    page.get_by_label("Preparing corrections of held-back rows").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/loads/quarantine?batch=prison_custody-*")
    assert page.get_by_role("heading", name="Quarantined rows of prison_custody.csv").is_visible()
    rows = page.locator("[aria-label='Quarantined rows table'] tbody tr")
    assert rows.count() == 50
    assert SECRET_SURNAME in rows.first.inner_text() and "2018-02-31" in rows.first.inner_text()
    assert "Corrected by delivery 2018-10" in rows.nth(7).inner_text()  # row 11, B7
    assert w.axe() == []
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**&page=2")
    assert rows.count() == 10
    assert page.get_by_text("Rows 51 to 60 of 60 (page 2 of 2)").is_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download every held-back row of this batch").click()
    download = info.value
    assert download.suggested_filename == "quarantine-2018-09-prison_custody.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    lines = list(csv.DictReader(io.StringIO(saved.read_text("utf-8"))))
    assert len(lines) == 60 and {x["surname"] for x in lines} == {SECRET_SURNAME}
    # the one page with an error answers 422, as GOV.UK forms do; nothing else (no CSP violation)
    assert w.errors == ["Failed to load resource: the server responded with a status of 422 "
                        "(Unprocessable Entity)"], w.errors
    w.context.close()


def test_a_steward_follows_a_snapshots_withdrawn_count_to_the_records_it_withdrew(
        server: str, browser: object) -> None:  # noqa: F811
    w = Watched(browser, server)
    page = w.page
    w.sign_in("data_steward")
    page.goto("/loads")
    page.get_by_role("link", name="records withdrawn by prison_custody.csv in 2018-10").click()
    page.wait_for_url("**/loads/quarantine/reason?next=*")
    page.get_by_label("Checking the quality of a delivery").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/loads/quarantine?batch=prison_custody-*")
    assert page.get_by_role("heading", name="Records this snapshot withdrew").is_visible()
    table = page.locator("[aria-label='Withdrawn records table']")
    assert table.locator("tbody tr").count() == 1
    assert "X3" in table.inner_text() and "2018-09" in table.inner_text()
    assert w.axe() == []
    table.get_by_role("link", name="History of custody_id X3").click()
    page.wait_for_url("**/loads/record?extract=prison_custody&key=X3")
    assert page.get_by_text("Withdrawn").first.is_visible()
    assert w.axe() == []
    assert w.errors == [], w.errors
    w.context.close()
