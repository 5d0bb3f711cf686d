"""In Chromium, with axe on every page: a lead records an update on their commitment, two
approvers approve the quarter's pack, and a board member reads it from the board's home."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.governance import assign_lead, draft_pack, seed_register
from localjustice.web.accounts import User
from localjustice.web.accounts.service import now
from tests.governance.published import write_published
from tests.web.conftest import PASSWORD, username
from tests.web.test_browser import Watched, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    write_published(folder / "published")
    return folder


def _seed(data_dir: Path, password_hash: str) -> int:
    engine = create_engine(f"sqlite:///{data_dir / 'app.db'}")
    with Session(engine, expire_on_commit=False) as db:
        system = Actor("system", "admin")
        seed_register(db, system)
        assign_lead(db, system, "W1", username("supervisor"), "Test supervisor")
        db.add(User(username="test-supervisor-2", display_name="Second supervisor",
                    password_hash=password_hash, role="supervisor", teams=[], active=True, failed_logins=0,
                    created_at=now(), updated_at=now()))
        db.commit()
        pack = draft_pack(db, Actor("programme-office", "analyst", display_name="Programme office"), data_dir,
                          "2026Q3", today=date(2026, 12, 2))
    engine.dispose()
    return pack.id


def _sign_in(w: Watched, name: str) -> None:
    w.page.goto("/sign-in")
    w.page.fill("#username", name)
    w.page.fill("#password", PASSWORD)
    w.page.click("button:has-text('Sign in')")
    w.page.wait_for_url("**/")


def test_a_lead_updates_two_approvers_approve_and_the_board_reads_the_pack(
        server: str, browser: object, data_dir: Path, password_hash: str) -> None:  # noqa: F811
    pack_id = _seed(data_dir, password_hash)

    lead = Watched(browser, server)
    lead.sign_in("supervisor")
    lead.page.goto("/commitments")
    assert lead.axe() == []
    lead.page.get_by_role("link", name="W1 Female offenders: one approach").click()
    lead.page.wait_for_url("**/commitments/W1")
    assert lead.axe() == []
    lead.page.click("button:has-text('Record update')")  # nothing filled in: errors, accessibly
    assert lead.page.get_by_text("Say what has happened since the last update").first.is_visible()
    assert lead.axe() == []
    assert lead.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    lead.errors.clear()  # the form re-shown with its errors answers 400, as it should
    lead.page.check("#progress-2")  # in progress
    lead.page.fill("#summary", "Police triage for women runs in four boroughs.")
    lead.page.fill("#evidence_url", "https://example.org/triage")
    lead.page.click("button:has-text('Record update')")
    lead.page.wait_for_url("**/commitments/W1?updated=1")
    assert lead.page.get_by_text("Update recorded.").is_visible()
    assert lead.page.get_by_text("Police triage for women runs in four boroughs.").is_visible()
    assert lead.axe() == []

    lead.page.goto(f"/board/packs/{pack_id}")
    assert lead.axe() == []
    lead.page.click("button:has-text('Approve this pack')")
    lead.page.wait_for_url(f"**/board/packs/{pack_id}?approved=1")
    assert lead.page.get_by_text("1 of 2: Test supervisor").is_visible()
    assert lead.axe() == []
    assert lead.errors == [], lead.errors
    lead.context.close()

    second = Watched(browser, server)
    _sign_in(second, "test-supervisor-2")
    second.page.goto("/board/packs")
    assert second.axe() == []
    second.page.get_by_role("link", name=f"2026Q3 (pack {pack_id})").click()
    second.page.click("button:has-text('Approve this pack')")
    second.page.wait_for_url(f"**/board/packs/{pack_id}?approved=1")
    assert second.page.get_by_text("2 of 2: Test supervisor, Second supervisor").is_visible()
    assert second.errors == [], second.errors
    second.context.close()

    board = Watched(browser, server)
    board.sign_in("board")
    board.page.goto("/board")
    assert board.page.get_by_role("heading", name="The latest pack: 2026Q3").is_visible()
    assert board.axe() == []
    board.page.get_by_role("link", name="Read the 2026Q3 pack").click()
    board.page.wait_for_url(f"**/board/packs/{pack_id}")
    assert board.page.get_by_role("heading", name="Decisions the board is asked to take").is_visible()
    assert board.page.get_by_role("link", name="PDF").is_visible()
    assert board.axe() == []
    assert board.errors == [], board.errors
    board.context.close()
