"""Access by legitimate relationship, on SQLite and PostgreSQL: a journey opens for the person's
holder or after a reason, is refused (and the refusal audited) otherwise; every view, take-on,
contact and flag is audited; a supervisor sees their team's reason-based views."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor, PurposeRequired, load_access_reasons
from localjustice.appdb import make_engine, session_factory
from localjustice.audit import AuditEvent
from localjustice.linkage.review import refresh_review_queue
from localjustice.linkage.store import PAIR_TABLE, REVIEW_QUEUE_TABLE
from localjustice.people import (
    JourneyFilters,
    NotPractitioner,
    flag_wrong_link,
    hand_back,
    holdings,
    open_journey,
    record_contact,
    state_reason,
    take_on,
    team_accesses,
    worklist_page,
)
from localjustice.warehouse import Warehouse
from tests.people.world import World

MANAGER = Actor("om.ash", "offender_manager", ("north",), "Ash Manager")
IOM = Actor("iom.birch", "iom_officer", ("north",), "Birch Officer")
SOUTH = Actor("yot.cedar", "yot_worker", ("south",), "Cedar Worker")
SUPERVISOR = Actor("sv.dove", "supervisor", ("north",), "Dove Supervisor")


@pytest.fixture
def sessions(app_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(app_db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def world() -> World:
    w = World()
    w.release("P1", date(2024, 1, 2), date(2024, 3, 28))
    w.supervision("P1", date(2024, 4, 4))
    w.pair("prison_custody:PRI-P1", "probation_supervision:PRO-P1", 0.7)
    w.build()
    return w


def _gate(warehouse: Warehouse) -> Any:
    @contextmanager
    def open_it(**_: object) -> Iterator[Warehouse]:
        yield warehouse
    return open_it


def _events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_journey_opens_for_the_holder_and_every_view_is_audited(
        sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as db:
        take_on(db, MANAGER, "P1", "through_the_gate")
        db.commit()
        journey = open_journey(_gate(world.warehouse), db, MANAGER, "P1", JourneyFilters())
        assert len(journey.events) == 2
        open_journey(_gate(world.warehouse), db, MANAGER, "P1", JourneyFilters(agency="prison_custody"))
        views = _events(db, "person.view")
        assert [(e.actor, e.subject_type, e.subject_id, e.detail["reason"], e.detail["events_shown"])
                for e in views] == [("om.ash", "person", "P1", "on_caseload", 2),
                                    ("om.ash", "person", "P1", "on_caseload", 1)]
        assert views[1].detail["filters"] == {"agency": "prison_custody"}
        taken = _events(db, "person.take_on")
        assert [(e.subject_id, e.detail["worklist"]) for e in taken] == [("P1", "through_the_gate")]


def test_without_a_caseload_or_a_reason_the_journey_is_refused_and_the_refusal_audited(
        sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as db:
        with pytest.raises(PurposeRequired):
            open_journey(_gate(world.warehouse), db, IOM, "P1", JourneyFilters())
        refused = _events(db, "access.refused")
        assert [(e.actor, e.subject_type, e.subject_id) for e in refused] == [
            ("iom.birch", "person_journey", "P1")]
        assert _events(db, "person.view") == []
        with pytest.raises(NotPractitioner):
            open_journey(_gate(world.warehouse), db, SUPERVISOR, "P1", JourneyFilters())


def test_a_reason_given_opens_the_journey_for_the_session_and_is_audited(
        sessions: sessionmaker[Session], world: World) -> None:
    reasons = load_access_reasons()
    with sessions() as db:
        given = reasons.parse("person_journey", "multi_agency_panel")
        open_journey(_gate(world.warehouse), db, IOM, "P1", JourneyFilters(), given=given)
        stated = state_reason(db, IOM, "P1", reasons.parse("person_journey", "safeguarding"))
        open_journey(_gate(world.warehouse), db, IOM, "P1", JourneyFilters(), stated_in=stated)
        # a reason stated for one person does not open another
        with pytest.raises(PurposeRequired):
            open_journey(_gate(world.warehouse), db, SOUTH, "P1", JourneyFilters(), stated_in=stated)
        views = _events(db, "person.view")
        assert [(e.detail["reason"], e.detail.get("stated_in")) for e in views] == [
            ("multi_agency_panel", None), ("safeguarding", stated)]


def test_handing_back_ends_access_and_contacts_show_on_the_holding(
        sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as db:
        take_on(db, MANAGER, "P1", "through_the_gate")
        take_on(db, MANAGER, "P1", "through_the_gate")  # once only
        record_contact(db, MANAGER, "P1")
        db.commit()
        held = holdings(db, ["P1", "P2"])
        assert [(h.username, h.team, h.last_contact is not None) for h in held["P1"]] == [
            ("om.ash", "north", True)]
        assert hand_back(db, MANAGER, "P1")
        db.commit()
        assert holdings(db, ["P1"]) == {}
        with pytest.raises(PurposeRequired):
            open_journey(_gate(world.warehouse), db, MANAGER, "P1", JourneyFilters())
        assert [e.action for e in _events(db, "person.contact")] == ["person.contact"]


def test_a_wrong_link_flag_queues_the_pair_for_a_steward_on_every_run(
        sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as db:
        take_on(db, MANAGER, "P1", "through_the_gate")
        db.commit()
        assert flag_wrong_link(_gate(world.warehouse), db, MANAGER, "P1", "probation_supervision:PRO-P1",
                               stated_in=None)
        queued = world.warehouse.execute(f"SELECT unit_id_l, unit_id_r, run_id FROM {REVIEW_QUEUE_TABLE}"
                                         ).fetchall()
        assert queued == [("prison_custody:PRI-P1", "probation_supervision:PRO-P1", "practitioner_flag")]
        assert [e.detail["queued"] for e in _events(db, "linkage.flagged")] == [True]
        # a later run re-queues it even though its score is above the review band
        world.warehouse.execute(f"UPDATE {PAIR_TABLE} SET match_probability = 0.999")
        assert refresh_review_queue(world.warehouse, "run-2", PAIR_TABLE, 0.5, 0.99) == 1


def test_a_supervisor_sees_the_teams_reason_based_views_and_who_holds_whom(
        sessions: sessionmaker[Session], world: World) -> None:
    reasons = load_access_reasons()
    with sessions() as db:
        take_on(db, MANAGER, "P1", "through_the_gate")
        db.commit()
        open_journey(_gate(world.warehouse), db, MANAGER, "P1", JourneyFilters())  # own caseload
        open_journey(_gate(world.warehouse), db, IOM, "P1", JourneyFilters(),
                     given=reasons.parse("person_journey", "covering"))
        open_journey(_gate(world.warehouse), db, SOUTH, "P1", JourneyFilters(),
                     given=reasons.parse("person_journey", "covering"))
        report = team_accesses(db, SUPERVISOR)
        assert [(a.practitioner, a.person_id, a.reason) for a in report.accesses] == [
            ("iom.birch", "P1", "covering")]
        page = worklist_page(_gate(world.warehouse), db, SUPERVISOR, "through_the_gate", date(2024, 4, 10))
        assert [(e.person_id, e.held_by, e.held_by_me) for e in page.entries] == [("P1", ["om.ash"], False)]
        assert not page.may_take_on
        assert [e.subject_id for e in _events(db, "worklist.view")] == ["through_the_gate"]
