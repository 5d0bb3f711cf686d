"""Fixtures for the case service: a service on a migrated database (SQLite, then PostgreSQL),
a clock the test controls, and synthetic actors and referrals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor
from localjustice.appdb import make_engine, session_factory
from localjustice.service import CaseService, ComplianceReports, StaffList
from localjustice.service.schemas import ReferralIn

CASEWORKER = Actor("cw.amber", "caseworker", ("north",), "Amber Caseworker")
COLLEAGUE = Actor("cw.basil", "caseworker", ("north",), "Basil Caseworker")
OTHER_TEAM = Actor("cw.cedar", "caseworker", ("south",), "Cedar Caseworker")
SUPERVISOR = Actor("sv.dove", "supervisor", ("north", "south"), "Dove Supervisor")
BOARD = Actor("board.elm", "board")
STEWARD = Actor("ds.fern", "data_steward")
ANALYST = Actor("an.gale", "analyst", ("north",), "Gale Analyst")
ADMIN = Actor("ad.hazel", "admin", (), "Hazel Admin")
#: Who may hold cases, as the web app's accounts would say: the caseworkers and supervisor above
#: (an analyst in team north is not among them, nor is anyone inactive).
STAFF = StaffList.of([(a.username, a.display_name, a.role, a.teams)
                      for a in (CASEWORKER, COLLEAGUE, OTHER_TEAM, SUPERVISOR, ANALYST)])


@dataclass
class Clock:
    """The service's 'today', moved by the test."""

    today: date = date(2024, 3, 4)

    def __call__(self) -> date:
        return self.today


@pytest.fixture
def engine(app_db_url: str) -> Iterator[Engine]:
    engine = make_engine(app_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(sessions: sessionmaker[Session], clock: Clock) -> CaseService:
    return CaseService(sessions, staff=STAFF, today=clock)


@pytest.fixture
def reports(sessions: sessionmaker[Session], clock: Clock) -> ComplianceReports:
    return ComplianceReports(sessions, today=clock)


def make_referral(**overrides: Any) -> ReferralIn:
    values: dict[str, Any] = {
        "referral_id": None, "source": "police", "source_person_id": "P-001", "forename": "Ada",
        "surname": "Testperson", "date_of_birth": date(1990, 5, 17), "crime_id": "CR-1",
        "referral_date": date(2024, 3, 4), "referrer": "police", "role": "victim",
        "needs": ["emotional"], "service": "general_support", "team": "north",
        "enhanced_rights": [], "contact_preference": "phone",
    }
    values.update(overrides)
    return ReferralIn.model_validate(values)


@pytest.fixture
def referral() -> Callable[..., ReferralIn]:
    return make_referral
