"""Data requests under an agreement, on SQLite and PostgreSQL: refused outside the agreement,
approved into grants that end on their date, escalated when overdue, and the median working days
to decision of the register and the board's summary, each hand-worked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.appdb import make_engine, session_factory
from localjustice.audit import AuditEvent
from localjustice.sharing import (
    DataRequest,
    RequestChanged,
    RequestForm,
    RequestInvalid,
    board_summary,
    current_grant,
    decide,
    register_csv,
    register_view,
    reminders,
    resubmit,
    submit,
    sync_agreements,
)
from localjustice.sharing.rules import AgreementTerms
from localjustice.sharing.views import escalations_view, queue_view

ANALYST = Actor(username="analyst-a", role="analyst")
REVIEWER = Actor(username="reviewer-r", role="data_reviewer")
SYSTEM = Actor(username="system", role="admin")


def terms(code: str, expires_on: date, starts_on: date = date(2025, 1, 1)) -> AgreementTerms:
    return AgreementTerms(code=code, title=f"Agreement {code}", parties=("MOPAC", "Ministry of Justice"),
                          datasets=("persons", "custody"), purposes=("reoffending_analysis",),
                          levels=("aggregate", "pseudonymous"), legal_basis="For the tests.",
                          starts_on=starts_on, expires_on=expires_on)


@pytest.fixture
def db(app_db_url: str) -> Iterator[Session]:
    engine = make_engine(app_db_url)
    with session_factory(engine)() as session:
        sync_agreements(session, SYSTEM, [terms("ISA-T-01", date(2026, 3, 31)),
                                          terms("ISA-T-02", date(2027, 6, 30)),
                                          terms("ISA-T-OLD", date(2025, 6, 30), date(2024, 1, 1))])
        session.commit()
        yield session
    engine.dispose()


def form(**changes: object) -> RequestForm:
    values: dict[str, object] = {
        "agreement": "ISA-T-01", "organisation": "MOPAC", "purpose": "reoffending_analysis",
        "purpose_detail": "Reoffending after release, by borough.", "datasets": ("persons", "custody"),
        "level": "pseudonymous", "duration_days": 30, "fields": ()}
    values.update(changes)
    return RequestForm(**values)  # type: ignore[arg-type]


def test_a_request_outside_its_agreement_is_refused_and_nothing_is_stored(db: Session) -> None:
    today = date(2025, 12, 18)
    cases = {
        "datasets": form(datasets=("persons", "court_outcomes")),
        "purpose": form(purpose="women_in_justice"),
        "organisation": form(organisation="London Councils"),
        "fields": form(fields=("person_id", "postcode")),
    }
    for field, asked in cases.items():
        with pytest.raises(RequestInvalid) as refused:
            submit(db, ANALYST, asked, today)
        assert set(refused.value.errors) == {field}, (field, refused.value.errors)
    with pytest.raises(RequestInvalid) as refused:
        submit(db, ANALYST, form(agreement="ISA-T-OLD"), today)
    assert "expired on 30 June 2025" in refused.value.errors["agreement"]
    with pytest.raises(RequestInvalid, match="court_outcomes is outside agreement ISA-T-01"):
        submit(db, ANALYST, form(datasets=("court_outcomes",)), today)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(DataRequest)) == 0


def test_an_approval_grants_exactly_the_datasets_and_fields_named_until_its_end_date(db: Session) -> None:
    made = submit(db, ANALYST, form(fields=("person_id", "establishment_code")), date(2025, 12, 18))
    decide(db, REVIEWER, made.id, "approve", "", date(2025, 12, 29))
    db.commit()
    persons = current_grant(db, "analyst-a", "persons", date(2025, 12, 29))
    custody = current_grant(db, "analyst-a", "custody", date(2026, 1, 27))  # 29 Dec + 30 days - 1
    assert persons is not None and persons.columns == ["person_id"]
    assert custody is not None and custody.columns == ["person_id", "establishment_code"]
    assert custody.ends_on == date(2026, 1, 27)
    assert current_grant(db, "analyst-a", "custody", date(2026, 1, 28)) is None
    assert current_grant(db, "analyst-a", "monitoring", date(2026, 1, 2)) is None
    assert current_grant(db, "someone-else", "custody", date(2026, 1, 2)) is None
    # a long request ends with its agreement (31 March 2026), not a year on
    long = submit(db, ANALYST, form(duration_days=365), date(2026, 1, 5))
    decide(db, REVIEWER, long.id, "approve", "", date(2026, 1, 6))
    assert current_grant(db, "analyst-a", "persons", date(2026, 3, 31)) is not None
    assert current_grant(db, "analyst-a", "persons", date(2026, 4, 1)) is None
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "data_request")).all()
    assert actions.count("sharing.request_submitted") == 2 and actions.count("sharing.request_decided") == 2


def test_reviewers_decide_others_requests_with_a_reason_to_refuse_and_never_a_stale_form(
        db: Session) -> None:
    made = submit(db, ANALYST, form(), date(2025, 12, 18))
    with pytest.raises(RequestInvalid, match="your own"):
        decide(db, Actor(username="analyst-a", role="data_reviewer"), made.id, "approve", "",
               date(2025, 12, 19))
    with pytest.raises(RequestInvalid, match="Say why"):
        decide(db, REVIEWER, made.id, "refuse", "  ", date(2025, 12, 19))
    with pytest.raises(RequestChanged):
        decide(db, REVIEWER, made.id, "approve", "", date(2025, 12, 19), version=made.version + 1)
    aggregate = submit(db, ANALYST, form(level="aggregate"), date(2025, 12, 18))
    decide(db, REVIEWER, aggregate.id, "approve", "Counts prepared.", date(2025, 12, 19))
    assert current_grant(db, "analyst-a", "persons", date(2025, 12, 19)) is None  # aggregate: no download


def test_overdue_requests_are_escalated_and_counted_in_the_reminders(db: Session) -> None:
    late = submit(db, ANALYST, form(), date(2025, 12, 18))  # due Tue 6 January 2026
    soon = submit(db, ANALYST, form(), date(2025, 12, 23))  # due Fri 9 January 2026
    later = submit(db, ANALYST, form(), date(2026, 1, 5))  # due Mon 19 January 2026
    assert (late.due_on, soon.due_on, later.due_on) == (date(2026, 1, 6), date(2026, 1, 9),
                                                         date(2026, 1, 19))
    returned = submit(db, ANALYST, form(), date(2025, 11, 3))
    decide(db, REVIEWER, returned.id, "return", "Name the boroughs.", date(2025, 11, 4))
    assert returned.due_on == date(2025, 11, 25)  # 15 working days for the requester
    db.commit()
    today = date(2026, 1, 7)
    queue = {r.id: r.standing for r in queue_view(db, today).requests}
    assert queue == {late.id: "overdue", soon.id: "due_soon", later.id: "on_time"}
    escalated = escalations_view(db, today).requests
    assert [(r.id, r.waiting_on) for r in escalated] == [(returned.id, "requester"),
                                                         (late.id, "data_reviewer")]
    counts = reminders(db, today, escalations=True)
    assert (counts.waiting, counts.due_soon, counts.overdue, counts.escalated) == (3, 1, 1, 2)
    resubmit(db, ANALYST, returned.id, "", "Boroughs named.", today)
    assert returned.status == "submitted" and returned.due_on == date(2026, 1, 21)


def test_median_working_days_to_decision_hand_worked(db: Session) -> None:
    a = submit(db, ANALYST, form(), date(2025, 12, 18))  # Thu
    decide(db, REVIEWER, a.id, "approve", "", date(2025, 12, 29))  # 19, 22, 23, 24, 29 Dec: 5
    b = submit(db, ANALYST, form(), date(2026, 1, 5))
    decide(db, REVIEWER, b.id, "refuse", "Not proportionate.", date(2026, 1, 7))  # 6, 7 Jan: 2
    c = submit(db, ANALYST, form(), date(2026, 1, 2))  # Fri
    decide(db, REVIEWER, c.id, "return", "Fewer fields.", date(2026, 1, 5))
    resubmit(db, ANALYST, c.id, "", "Fewer fields.", date(2026, 1, 6))
    decide(db, REVIEWER, c.id, "approve", "", date(2026, 1, 14))  # 5-9 and 12-14 Jan: 8, return included
    d = submit(db, ANALYST, form(), date(2026, 1, 14))
    decide(db, REVIEWER, d.id, "approve", "", date(2026, 1, 14))  # the same day: 0
    submit(db, ANALYST, form(), date(2026, 1, 15))  # still open
    db.commit()
    register = register_view(db, date(2026, 1, 20))
    assert [r.working_days_to_decision for r in register.requests] == [5, 2, 8, 0, None]
    assert register.decided == 4 and register.median_working_days_to_decision == 3.5  # (2 + 5) / 2
    text = register_csv(register)
    assert text.splitlines()[0].startswith("request_id,agreement,organisation,purpose")
    assert "analyst-a" not in text and "reviewer-r" not in text and "Not proportionate" not in text
    summary = board_summary(db, quarter="2026Q1", today=date(2026, 1, 20))
    assert summary["requests_decided_this_quarter"] == 3  # a was decided in 2025 Q4
    assert summary["median_working_days_to_decision"] == 2  # of 2, 8 and 0
    assert summary["requests_open"] == 1
    assert summary["agreements_in_force"] == 2 and summary["agreements_expiring_within_90_days"] == 1
    assert summary["agreements_expiring"] == ["ISA-T-01"]
    past = board_summary(db, quarter="2025Q4", today=date(2026, 1, 20))
    assert past["as_of"] == "2025-12-31" and past["requests_decided_this_quarter"] == 1
    assert past["median_working_days_to_decision"] == 5 and past["requests_open"] == 0
