"""The demo's data sharing: the illustrative agreements, one request decided (approved, so the
demo analyst holds a current grant) and one waiting in the reviewers' queue."""

from __future__ import annotations

from datetime import date

from rich.console import Console
from sqlalchemy import func, select

from localjustice.access import Actor
from localjustice.appdb import database_url, make_engine, session_factory, upgrade
from localjustice.audit import seal_pending
from localjustice.service.working_days import england_and_wales
from localjustice.settings import Settings
from localjustice.sharing.agreements import sync_agreements
from localjustice.sharing.models import DataRequest
from localjustice.sharing.register import register_view
from localjustice.sharing.requests import RequestForm, decide, submit
from localjustice.sharing.rules import load_agreement_terms

#: The demo's sign-ins (``web.accounts.create_demo_users``: demo-<role>).
ANALYST = Actor(username="demo-analyst", role="analyst", display_name="Demo analyst")
REVIEWER = Actor(username="demo-data-reviewer", role="data_reviewer", display_name="Demo data reviewer")


def _working_days_before(today: date, days: int) -> date:
    calendar, day, counted = england_and_wales(), today, 0
    while counted < days:
        day = date.fromordinal(day.toordinal() - 1)
        counted += calendar.is_working_day(day)
    return day


def demo_sharing(settings: Settings, console: Console, today: date | None = None) -> None:
    """Seed the register of agreements, then (once) one approved and one waiting request."""
    today = today or date.today()
    url = database_url(settings.data_dir)
    upgrade(url)
    engine = make_engine(url)
    system = Actor(username="system", role="admin")
    try:
        with session_factory(engine)() as db:
            changed = sync_agreements(db, system, load_agreement_terms())
            if not db.scalar(select(func.count()).select_from(DataRequest)):
                submitted = _working_days_before(today, 9)
                approved = submit(db, ANALYST, RequestForm(
                    agreement="ISA-2024-01", organisation="MOPAC", purpose="reoffending_analysis",
                    purpose_detail="Proven reoffending of 18-25s released from custody, by borough, "
                                   "to size the young adults pathway.",
                    datasets=("persons", "custody", "court_outcomes"), level="pseudonymous",
                    duration_days=90), submitted)
                decide(db, REVIEWER, approved.id, "approve", "Proportionate: pseudonymous, three datasets, "
                       "90 days.", _working_days_before(today, 3))
                submit(db, ANALYST, RequestForm(
                    agreement="ISA-2025-02", organisation="London Councils", purpose="women_in_justice",
                    purpose_detail="Women given short custodial sentences who could have had a community "
                                   "order, to plan women's centres.",
                    datasets=("court_outcomes", "supervision"), level="aggregate", duration_days=30),
                    _working_days_before(today, 8))
            db.commit()
            seal_pending(db, wait=True)
            register = register_view(db, today)
    finally:
        engine.dispose()
    median = register.median_working_days_to_decision
    console.print(f"Data sharing: {changed} agreements loaded (illustrative), {len(register.requests)} "
                  f"requests, {register.decided} decided, median "
                  f"{'-' if median is None else f'{median:g}'} working days to decision.")
