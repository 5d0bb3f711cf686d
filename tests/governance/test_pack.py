"""The board pack: four-eyes (one approver is not enough, the same person twice counts once, the
drafter cannot approve), the board sees approved packs only, decisions on approved packs, and the
PDF is built and readable: its text has the headings, the figures and the commitments' statuses."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.audit import AuditEvent
from localjustice.governance import (
    NotAllowed,
    NotFound,
    UpdateForm,
    approvals,
    approve,
    assign_lead,
    decisions,
    draft_pack,
    get_pack,
    latest_approved,
    quarter_bounds,
    record_decision,
    record_update,
    seed_register,
    visible_packs,
)
from tests.governance.published import write_published

SYSTEM = Actor("system", "admin")
SHARED = "Shared data on female offenders agreed"
DRAFTER = Actor("office.one", "analyst", display_name="Office One")
FIRST = Actor("approver.one", "supervisor", display_name="Approver One")
SECOND = Actor("approver.two", "analyst", display_name="Approver Two")
BOARD = Actor("board.member", "board", display_name="Board Member")
TODAY = date(2026, 12, 2)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    write_published(tmp_path / "data" / "published")
    return tmp_path / "data"


@pytest.fixture
def session(app_db_url: str) -> Session:
    engine = create_engine(app_db_url)
    with Session(engine, expire_on_commit=False) as db:
        seed_register(db, SYSTEM)
        yield db
    engine.dispose()


def test_quarters_are_calendar_quarters() -> None:
    assert quarter_bounds("2026Q3") == (date(2026, 7, 1), date(2026, 9, 30))
    assert quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds("2027Q1") == (date(2027, 1, 1), date(2027, 3, 31))


def test_two_people_other_than_the_drafter_release_a_pack_to_the_board_which_records_decisions(
        session: Session, data_dir: Path) -> None:
    pack = draft_pack(session, DRAFTER, data_dir, "2026Q3", today=TODAY)
    with pytest.raises(NotFound):  # no decision is recorded against a draft
        record_decision(session, BOARD, pack.id, "Too early")
    with pytest.raises(NotAllowed, match="drafted"):
        approve(session, DRAFTER, data_dir, pack.id)
    assert approve(session, FIRST, data_dir, pack.id).state == "draft"  # one approver is not enough
    assert approve(session, FIRST, data_dir, pack.id).state == "draft"  # the same person twice: once
    assert [a.approver_username for a in approvals(session, pack.id)] == ["approver.one"]
    assert visible_packs(session, "board") == [] and latest_approved(session) is None
    with pytest.raises(NotFound):
        get_pack(session, pack.id, "board")
    assert approve(session, SECOND, data_dir, pack.id).state == "approved"
    assert [p.id for p in visible_packs(session, "board")] == [pack.id]
    assert latest_approved(session, "2026Q3") is not None and latest_approved(session, "2026Q2") is None
    with pytest.raises(NotAllowed, match="approved"):
        approve(session, Actor("third", "analyst"), data_dir, pack.id)
    query = select(AuditEvent).where(AuditEvent.subject_type == "board_pack").order_by(AuditEvent.id)
    actions = [e.action for e in session.scalars(query)]
    assert actions == ["governance.pack_drafted", "governance.pack_approval", "governance.pack_approval",
                       "governance.pack_approved"]
    text = " ".join(p.extract_text() for p in PdfReader(data_dir / pack.pdf_file).pages)
    assert "Approved for the board by Approver One and Approver Two" in text

    # decisions the board takes are recorded against the approved pack and the commitments
    record_decision(session, BOARD, pack.id, "Recovery plan for R10 agreed", "R10")
    record_decision(session, BOARD, pack.id, "Pack noted")
    assert [d.text for d in decisions(session, pack_id=pack.id)] == ["Recovery plan for R10 agreed",
                                                                    "Pack noted"]
    assert [d.text for d in decisions(session, commitment_id="R10")] == ["Recovery plan for R10 agreed"]


def test_the_pdf_is_built_and_reads_back_with_its_headings_figures_and_changes(
        sqlite_session: Session, data_dir: Path) -> None:
    session = sqlite_session
    assign_lead(session, SYSTEM, "W1", "lead.one", "Lead One")
    lead = Actor("lead.one", "supervisor", display_name="Lead One")
    record_update(session, lead, "W1", UpdateForm(progress="in_progress", summary="Shared data agreed",
                                                   milestones_done=(SHARED,)),
                  at=datetime(2026, 8, 3, 9))
    pack = draft_pack(session, DRAFTER, data_dir, "2026Q3", today=TODAY)
    html = (data_dir / pack.html_file).read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in html and "<caption>" in html and 'role="img" aria-label=' in html
    reader = PdfReader(data_dir / pack.pdf_file)
    text = " ".join(p.extract_text() for p in reader.pages)
    flat = " ".join(text.split())
    for heading in ("Headline outcomes", "Commitments by RAG status", "What changed since last quarter",
                    "Evaluation results", "Finance", "Data-sharing status",
                    "Decisions the board is asked to take", "DRAFT"):
        assert heading in flat, heading
    assert "48.0%" in flat and "40.0%" in flat  # women's short sentences, latest and before
    assert "12.0%" not in flat  # the provisional quarter is never shown
    assert "Shared data agreed" in flat  # W1's update this quarter
    assert "No finance statements are available" in flat
    # the data-sharing section is the sharing package's board summary (agreements, requests)
    assert "Information-sharing agreements and data requests" in flat
    assert "Agreements in force" in flat
    content = pack.content
    w1 = next(c for c in content["commitments"] if c["id"] == "W1")
    assert (w1["previous"], w1["status"]) == ("amber", "amber")
    assert [c["id"] for c in content["changes"]] == ["W1"]
    r10 = next(c for c in content["commitments"] if c["id"] == "R10")
    assert r10["status"] == "red"
    assert any(d["commitment"] == "R10" for d in content["decisions_asked"])
    assert content["commitments"][0]["status"] == "red"  # red first
    gps = next(e for e in content["evaluations"] if e["code"] == "GPS")
    assert (gps["result"], gps["commitments"]) == ("harmful", ["R10"])


@pytest.fixture
def sqlite_session(tmp_path: Path) -> Session:
    from localjustice.appdb import upgrade

    url = f"sqlite:///{tmp_path / 'pdf.db'}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        seed_register(db, SYSTEM)
        yield db
    engine.dispose()


def test_finance_and_data_sharing_render_what_their_packages_give(sqlite_session: Session,
                                                                  data_dir: Path) -> None:
    """The pack's hooks: the shape ``sharing.board_summary`` returns and the finance feed's deals."""
    from localjustice.governance.pack import _deal_words, build_content, render_html

    content = build_content(sqlite_session, data_dir / "published", "2026Q3", TODAY)
    content["sharing"] = {"agreements_in_force": 3, "agreements_expiring": ["ISA-2", "ISA-5"],
                          "median_working_days_to_decision": 7.5}
    content["finance"] = [{"title": "Youth custody pathfinder", "statement": _deal_words({"periods": [
        {"period": "2026", "actual_demand": 900, "counterfactual_demand": 1000, "reduction_pct": 10.0,
         "threshold_met": True, "payment": 125000, "complete": True}]})}]
    html = " ".join(render_html(content).split())
    assert "<th scope=\"row\">Agreements in force</th><td>3</td>" in html
    assert "ISA-2; ISA-5" in html and "7.5" in html
    assert ("Youth custody pathfinder</strong>: 2026: 900 against 1,000 expected (a reduction of "
            "10.0%), threshold met, payment £125,000") in html
    assert "No information-sharing agreements" not in html
