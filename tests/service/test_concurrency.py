"""Two caseworkers edit the same assessment at the same time: one wins, the other is told, and
nothing is lost. Runs on PostgreSQL, where the two transactions are truly concurrent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from localjustice.service import CaseService, StaleEdit
from localjustice.service.models import Assessment, AssessmentRevision, Entitlement
from localjustice.service.schemas import AssessmentIn, CaseEventIn, EntitlementMetIn, ReferralIn
from tests.service.conftest import CASEWORKER, COLLEAGUE

Referral = Callable[..., ReferralIn]

# Concurrent transactions are a PostgreSQL matter (SQLite serialises writers), so these tests
# run on PostgreSQL only: the engine is chosen here, not skipped at run time.
pytestmark = pytest.mark.parametrize("app_db_url", ["postgresql"], indirect=True)


@pytest.fixture
def assessed(service: CaseService, referral: Referral, app_db_url: str) -> tuple[int, int]:
    case_id = service.receive_referral(CASEWORKER, referral()).case_id
    first = service.save_assessment(CASEWORKER, case_id, AssessmentIn(risk_level="standard"),
                                    expected_version=None)
    return case_id, first.version


def test_two_sessions_updating_the_same_assessment_one_gets_stale_edit(
        sessions: sessionmaker[Session], assessed: tuple[int, int]) -> None:
    """The database-level guard: both read version 1; the second UPDATE matches no row."""
    case_id, _ = assessed
    with sessions() as first, sessions() as second:
        mine = first.scalars(select(Assessment).where(Assessment.case_id == case_id)).one()
        theirs = second.scalars(select(Assessment).where(Assessment.case_id == case_id)).one()
        mine.answers = {**mine.answers, "risk_level": "high"}
        theirs.answers = {**theirs.answers, "risk_level": "medium"}
        first.commit()
        with pytest.raises(StaleDataError):  # the service turns this into StaleEdit
            second.flush()
        second.rollback()
    with sessions() as check:
        assert check.scalars(select(Assessment)).one().answers["risk_level"] == "high"


def test_two_caseworkers_saving_at_once_one_wins_the_other_is_told_nothing_is_lost(
        service: CaseService, sessions: sessionmaker[Session], assessed: tuple[int, int]) -> None:
    case_id, version = assessed
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def save(actor_name: str, risk: str) -> None:
        actor = CASEWORKER if actor_name == "amber" else COLLEAGUE
        start.wait()
        try:
            outcomes[actor_name] = service.save_assessment(
                actor, case_id, AssessmentIn.model_validate({"risk_level": risk,
                                                             "change_reason": f"{actor_name} update"}),
                expected_version=version)
        except StaleEdit as exc:
            outcomes[actor_name] = exc

    threads = [threading.Thread(target=save, args=("amber", "high")),
               threading.Thread(target=save, args=("basil", "medium"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    stale = [v for v in outcomes.values() if isinstance(v, StaleEdit)]
    won = [k for k, v in outcomes.items() if not isinstance(v, StaleEdit)]
    assert len(stale) == 1 and len(won) == 1
    loser = stale[0]
    assert loser.attempted["change_reason"] != f"{won[0]} update"  # the loser's edit is handed back
    with sessions() as s:
        stored = s.scalars(select(Assessment).where(Assessment.case_id == case_id)).one()
        assert stored.version == version + 1
        assert stored.change_reason == f"{won[0]} update"
        revisions = s.scalars(select(AssessmentRevision.change_reason)
                              .order_by(AssessmentRevision.assessment_version)).all()
        assert revisions == [None, f"{won[0]} update"]


def test_events_recorded_at_once_on_one_case_restart_its_clock_one_after_the_other(
        service: CaseService, sessions: sessionmaker[Session], assessed: tuple[int, int]) -> None:
    case_id, _ = assessed
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def record() -> None:
        start.wait()
        try:
            service.record_event(CASEWORKER, case_id, CaseEventIn(kind="bail_decision",
                                                                  occurred_on=date(2024, 3, 4)))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=record) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == []
    with sessions() as s:
        statuses = s.scalars(select(Entitlement.status).where(
            Entitlement.case_id == case_id, Entitlement.rule_key == "told_of_bail")).all()
    assert sorted(statuses) == ["open", "superseded", "superseded", "superseded"]


def test_two_caseworkers_meeting_one_entitlement_at_once_one_is_told_it_moved_on(
        service: CaseService, sessions: sessionmaker[Session], assessed: tuple[int, int]) -> None:
    """The entitlement is read with its case's lock asked for, in one statement: the one who waits
    for the lock still finds the entitlement changed, and saves nothing."""
    case_id, _ = assessed
    chosen = next(e for e in service.get_case(CASEWORKER, case_id).entitlements if e.status == "open")
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def meet(actor_name: str) -> None:
        actor = CASEWORKER if actor_name == "amber" else COLLEAGUE
        start.wait()
        try:
            outcomes.append(service.mark_entitlement_met(actor, chosen.id, EntitlementMetIn(
                met_on=date(2024, 3, 4), note=f"{actor_name} met it"), expected_version=chosen.version))
        except StaleEdit as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=meet, args=(name,)) for name in ("amber", "basil")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(type(o).__name__ for o in outcomes) == ["EntitlementView", "StaleEdit"]
    with sessions() as s:
        stored = s.get(Entitlement, chosen.id)
        assert stored is not None and stored.status == "met" and stored.version == chosen.version + 1
