"""The governance pages and their JSON twins: a lead records an update (others are refused, a bad
form is re-shown with its errors), and a pack goes through four-eyes in the pages before the board
sees it, downloads it and records a decision. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from localjustice.access import Actor
from localjustice.governance import assign_lead, seed_register
from localjustice.web.accounts import User
from localjustice.web.accounts.service import now
from tests.governance.published import write_published
from tests.web.conftest import ClientFor, csrf_of, username


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    write_published(folder / "published")
    return folder


def seed(app: FastAPI, password_hash: str) -> None:
    """The register, W1 led by the test supervisor, and a second supervisor to approve packs."""
    with app.state.sessions() as db:
        seed_register(db, Actor("system", "admin"))
        assign_lead(db, Actor("system", "admin"), "W1", username("supervisor"), "Test supervisor")
        db.add(User(username="test-supervisor-2", display_name="Second supervisor",
                    password_hash=password_hash, role="supervisor", teams=[], active=True, failed_logins=0,
                    created_at=now(), updated_at=now()))
        db.commit()


def _post(client: object, path: str, data: dict[str, object], page: str) -> object:
    token = csrf_of(client.get(page).text)  # type: ignore[attr-defined]
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)  # type: ignore[attr-defined]


def test_a_named_lead_records_an_update_that_the_register_and_history_show(
        app: FastAPI, client_for: ClientFor, password_hash: str) -> None:
    seed(app, password_hash)
    lead, analyst = client_for("supervisor"), client_for("analyst")
    register = analyst.get("/api/commitments").json()
    assert len(register["commitments"]) == 37 and sum(register["summary"].values()) == 37
    assert "Record an update" not in analyst.get("/commitments/W1").text
    refused = _post(analyst, "/commitments/W1/updates", {"progress": "in_progress", "summary": "x"},
                    "/commitments/W1")
    assert refused.status_code == 403  # an analyst may be a lead, but not W1's
    page = lead.get("/commitments/W1")
    assert "Record an update" in page.text
    bad = _post(lead, "/commitments/W1/updates", {"progress": "in_progress", "summary": "",
                                                  "override_status": "green"}, "/commitments/W1")
    assert bad.status_code == 400 and "Give the reason for overriding" in bad.text
    done = _post(lead, "/commitments/W1/updates", {
        "progress": "in_progress", "summary": "Data on female offenders agreed",
        "evidence_url": "https://example.org/w1", "after": "0",
        "milestones_done": "Shared data on female offenders agreed",
        "override_status": "green", "override_reason": "The rise is one quarter's"}, "/commitments/W1")
    assert done.status_code == 303 and done.headers["location"] == "/commitments/W1?updated=1"
    twin = analyst.get("/api/commitments/W1").json()
    assert [(u["number"], u["author_name"], u["summary"]) for u in twin["history"]] == [
        (1, "Test supervisor", "Data on female offenders agreed")]
    assert twin["commitment"]["rag"]["override"] == "green"
    assert twin["commitment"]["rag"]["override_reason"] == "The rise is one quarter's"
    assert next(m for m in twin["milestones"] if m["name"].startswith("Shared"))["done"]
    stale = _post(lead, "/commitments/W1/updates",
                  {"progress": "in_progress", "summary": "again", "after": "0"}, "/commitments/W1")
    assert stale.status_code == 409
    assert analyst.get("/commitments/Z9").status_code == 404


@pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)  # both engines: tests/governance
def test_a_pack_reaches_the_board_only_after_two_approvers_and_then_takes_its_decisions(
        app: FastAPI, client_for: ClientFor, password_hash: str) -> None:
    seed(app, password_hash)
    analyst, first, board = client_for("analyst"), client_for("supervisor"), client_for("board")
    drafted = _post(analyst, "/board/packs", {"quarter": "2026Q3"}, "/board/packs")
    assert drafted.status_code == 303
    pack = drafted.headers["location"].split("?")[0]
    assert _post(analyst, "/board/packs", {"quarter": "Q3"}, "/board/packs").status_code == 400
    assert _post(analyst, f"{pack}/approve", {}, pack).status_code == 403  # the drafter
    assert _post(first, f"{pack}/approve", {}, pack).status_code == 303
    assert _post(first, f"{pack}/approve", {}, pack).status_code == 303  # again: still counts once
    assert first.get(f"/api{pack}").json()["pack"]["approvals"] == ["Test supervisor"]
    assert board.get(pack).status_code == 404 and board.get(f"{pack}/document.pdf").status_code == 404
    assert board.get("/api/board").json()["latest"] is None
    assert board.get("/api/board/packs").json()["packs"] == []

    second = client_for(None)
    from tests.web.conftest import PASSWORD

    token = csrf_of(second.get("/sign-in").text)
    second.post("/sign-in", data={"username": "test-supervisor-2", "password": PASSWORD, "csrf_token": token})
    assert _post(second, f"{pack}/approve", {}, pack).status_code == 303
    home = board.get("/api/board").json()
    assert home["latest"]["state"] == "approved"
    assert home["latest"]["approvals"] == ["Test supervisor", "Second supervisor"]
    assert any(c["id"] == "R10" for c in home["red"])
    pdf = board.get(f"{pack}/document.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    decided = _post(board, f"{pack}/decisions",
                    {"text": "Recovery plan for R10 agreed", "commitment": "R10"}, pack)
    assert decided.status_code == 303
    assert [d["text"] for d in board.get("/api/commitments/R10").json()["decisions"]] == [
        "Recovery plan for R10 agreed"]
