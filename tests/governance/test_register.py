"""The commitments register in the app database, on SQLite and PostgreSQL: every MoU commitment
loaded, leads' updates versioned (never overwritten) and audited, only the named lead updating, an
override only with a reason, and a stale form refused."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.audit import AuditEvent
from localjustice.governance import (
    Conflict,
    Invalid,
    NotAllowed,
    UpdateForm,
    assign_lead,
    history,
    record_update,
    register_status,
    seed_register,
)
from localjustice.governance.register import load_register
from tests.governance.published import write_published

SYSTEM = Actor("system", "admin")
SHARED = "Shared data on female offenders agreed"
LEAD = Actor("lead.one", "supervisor", display_name="Lead One")
OTHER = Actor("lead.two", "analyst", display_name="Lead Two")


def test_the_register_holds_every_mou_commitment_with_the_mous_dates() -> None:
    register = {c.id: c for c in load_register()}
    expected = ([f"V{i}" for i in range(1, 8)] + [f"R{i}" for i in range(1, 11)]
                + [f"W{i}" for i in range(1, 6)] + [f"Y{i}" for i in range(1, 8)] + ["F1"]
                + [f"G{i}" for i in range(1, 8)])
    assert list(register) == expected
    assert register["V1"].due == date(2019, 4, 30) and register["V1"].owners == ("MoJ",)
    assert register["G4"].due == date(2019, 3, 31) and register["R10"].due_text == "until at least March 2019"
    assert register["R3"].due == date(2022, 12, 31)
    assert register["W1"].measures[0].measure == "women_short_sentences"
    assert register["R10"].evaluations == ("GPS",)
    assert all(c.section in ("4.1", "4.2", "4.3", "4.4", "5") for c in register.values())


@pytest.fixture
def session(app_db_url: str) -> Session:
    engine = create_engine(app_db_url)
    with Session(engine, expire_on_commit=False) as db:
        assert seed_register(db, SYSTEM) == 37
        assign_lead(db, SYSTEM, "W1", LEAD.username, LEAD.display_name)
        yield db
    engine.dispose()


def test_loading_again_changes_nothing_and_keeps_the_named_lead(session: Session) -> None:
    assert seed_register(session, SYSTEM) == 0
    assert register_status(session, Path("/nonexistent"), date(2026, 9, 30))[0].row.id == "V1"


def test_updates_are_numbered_rows_never_overwritten_and_each_is_audited(session: Session) -> None:
    record_update(session, LEAD, "W1", UpdateForm(progress="in_progress", summary="Data agreed",
                                                   milestones_done=(SHARED,)),
                  at=datetime(2026, 5, 1, 10))
    record_update(session, LEAD, "W1", UpdateForm(progress="in_progress", summary="Triage in 4 boroughs",
                                                   evidence_url="https://example.org/w1", after=1),
                  at=datetime(2026, 8, 1, 10))
    rows = history(session, "W1")
    assert [(u.number, u.summary, u.author_username) for u in rows] == [
        (2, "Triage in 4 boroughs", "lead.one"), (1, "Data agreed", "lead.one")]
    assert rows[1].milestones_done == ["Shared data on female offenders agreed"]
    query = select(AuditEvent).where(AuditEvent.action == "governance.commitment_updated")
    events = session.scalars(query.order_by(AuditEvent.id)).all()
    assert [(e.actor, e.subject_id, e.detail["number"]) for e in events] == [("lead.one", "W1", 1),
                                                                           ("lead.one", "W1", 2)]


def test_only_the_named_lead_updates_and_an_unled_commitment_says_who_names_one(session: Session) -> None:
    with pytest.raises(NotAllowed, match="named lead"):
        record_update(session, OTHER, "W1", UpdateForm(progress="in_progress", summary="x"))
    with pytest.raises(NotAllowed, match="assign-lead"):
        record_update(session, LEAD, "R2", UpdateForm(progress="in_progress", summary="x"))
    assert history(session, "W1") == []


def test_an_override_needs_a_reason_and_the_form_its_fields(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        record_update(session, LEAD, "W1", UpdateForm(progress="finished", summary="",
                                                       override_status="green",
                                                       evidence_url="javascript:alert(1)",
                                                       milestones_done=("Not a milestone",)))
    assert set(caught.value.errors) == {"progress", "summary", "override_reason", "evidence_url",
                                        "milestones_done"}
    assert history(session, "W1") == []


def test_a_form_opened_before_someone_elses_update_is_refused(session: Session) -> None:
    record_update(session, LEAD, "W1", UpdateForm(progress="in_progress", summary="first"))
    with pytest.raises(Conflict):
        record_update(session, LEAD, "W1", UpdateForm(progress="in_progress", summary="stale", after=0))
    assert len(history(session, "W1")) == 1


def test_status_as_at_a_date_uses_the_updates_recorded_by_then_and_the_published_evidence(
        session: Session, tmp_path: Path) -> None:
    published = write_published(tmp_path / "published")
    record_update(session, LEAD, "W1", UpdateForm(progress="in_progress", summary="Data agreed",
                                                   override_status="green",
                                                   override_reason="Moves are seasonal"),
                  at=datetime(2026, 8, 1, 10))
    before = {s.row.id: s for s in register_status(session, published, date(2026, 7, 31))}
    after = {s.row.id: s for s in register_status(session, published, date(2026, 9, 30))}
    # one milestone late (June), the tied measure worse, no update yet: amber three times over
    assert before["W1"].rag.status == "amber"
    assert len(before["W1"].rag.reasons) == 3 and "No update recorded by its lead" in before["W1"].rag.reasons
    assert (after["W1"].rag.status, after["W1"].rag.computed) == ("green", "amber")
    assert after["W1"].rag.override_reason == "Moves are seasonal"
    assert after["R10"].rag.status == "red" and any("harm" in r for r in after["R10"].rag.reasons)
