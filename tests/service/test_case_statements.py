"""How many SQL statements the case service's busiest requests run, on SQLite and PostgreSQL.

Each statement costs the server more CPU than the rows it returns (issue 17: about 0.25 ms of
SQLAlchemy and psycopg each), so a case read, the case list, logging a contact, saving a risk
checklist and meeting an entitlement have a ceiling: a change that adds a statement to one of them
fails here and says which, rather than showing up later as a slower benchmark. Raise a ceiling
only knowingly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event

from localjustice.service import CaseService
from localjustice.service.casework import Casework
from localjustice.service.casework_schemas import RiskAssessmentIn
from localjustice.service.schemas import AssessmentIn, CaseFilters, ContactIn, EntitlementMetIn, ReferralIn
from tests.service.conftest import CASEWORKER

Referral = Callable[..., ReferralIn]


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The statements run on ``engine`` inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split())[:80])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def case_id(service: CaseService, referral: Referral) -> int:
    """An opened case with its first assessment, as the load benchmark's cases are."""
    case_id = service.receive_referral(CASEWORKER, referral()).case_id
    service.save_assessment(CASEWORKER, case_id, AssessmentIn(risk_level="standard"), expected_version=None)
    return case_id


def test_a_case_read_runs_at_most_seven_statements(service: CaseService, engine: Engine,
                                                    case_id: int) -> None:
    # the case with its person, assessment and kinds of record; the assessment's revisions, the
    # entitlements, events, handovers and referrals; the audit event
    with statements(engine) as seen:
        service.get_case(CASEWORKER, case_id)
    assert len(seen) <= 7, seen


def test_the_case_list_runs_at_most_two_statements(service: CaseService, engine: Engine,
                                                   case_id: int) -> None:
    with statements(engine) as seen:  # the page with its count; the audit event
        page = service.list_cases(CASEWORKER, CaseFilters(), purpose="caseload")
    assert len(seen) <= 2, seen
    assert page.total == 1 and [c.id for c in page.cases] == [case_id]


def test_a_page_past_the_end_of_the_list_still_counts_the_cases(service: CaseService,
                                                                case_id: int) -> None:
    page = service.list_cases(CASEWORKER, CaseFilters(page=2, page_size=1), purpose="caseload")
    assert page.total == 1 and page.cases == []


def test_logging_a_contact_runs_at_most_three_statements(service: CaseService, engine: Engine,
                                                         case_id: int) -> None:
    contact = ContactIn(occurred_on=date(2024, 3, 4), channel="phone", direction="inbound",
                        summary="Called in")
    with statements(engine) as seen:  # the case, locked; the contact; the audit event
        service.log_contact(CASEWORKER, case_id, contact)
    assert len(seen) <= 3, seen


def test_saving_a_risk_checklist_again_runs_at_most_six_statements(service: CaseService, engine: Engine,
                                                                   case_id: int) -> None:
    casework = Casework(service)
    answers = {q.key: True for q in service.checklist.questions}
    casework.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=answers))
    # the case, locked; its checklists; its open tasks; the new checklist; the one it supersedes;
    # the audit event (the tasks the level creates are open already)
    with statements(engine) as seen:
        casework.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=answers))
    assert len(seen) <= 6, seen


def test_meeting_an_entitlement_runs_at_most_three_statements(service: CaseService, engine: Engine,
                                                              case_id: int) -> None:
    chosen = next(e for e in service.get_case(CASEWORKER, case_id).entitlements if e.status == "open")
    with statements(engine) as seen:  # the entitlement with its case, locked; the change; the audit event
        service.mark_entitlement_met(CASEWORKER, chosen.id, EntitlementMetIn(met_on=date(2024, 3, 4)),
                                     expected_version=chosen.version)
    assert len(seen) <= 3, seen
