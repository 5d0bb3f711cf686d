"""The register of data requests, publishable (MoU 5.1: requests kept proportionate and resolved
in a timely manner, which a published register lets anyone check), and the board's summary.

Publishable means without personal data: no usernames, no comments, no free-text purpose (which
may name people); the requesting organisation, the agreement, the coded purpose, the datasets,
the level, the dates and the working days to decision. The median is of the working days from
first submission to decision (``deadlines.working_days_to_decision``) over decided requests.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.sharing.agreements import state_of
from localjustice.sharing.deadlines import median_days, working_days_to_decision
from localjustice.sharing.models import DECIDED, Agreement, DataRequest

COLUMNS = ("request_id", "agreement", "organisation", "purpose", "datasets", "level", "duration_days",
           "status", "first_submitted_on", "decided_on", "working_days_to_decision")


class RegisterRow(BaseModel):
    request_id: int
    agreement: str
    organisation: str
    purpose: str
    datasets: list[str]
    level: str
    duration_days: int
    status: str
    first_submitted_on: date
    decided_on: date | None
    working_days_to_decision: int | None


class RegisterView(BaseModel):
    today: date
    requests: list[RegisterRow]
    decided: int
    median_working_days_to_decision: float | None


def register_view(session: Session, today: date) -> RegisterView:
    rows = session.execute(select(DataRequest, Agreement.code).join(
        Agreement, Agreement.id == DataRequest.agreement_id).order_by(DataRequest.id)).all()
    out = [RegisterRow(
        request_id=r.id, agreement=code, organisation=r.organisation, purpose=r.purpose,
        datasets=r.datasets, level=r.level, duration_days=r.duration_days, status=r.status,
        first_submitted_on=r.first_submitted_on, decided_on=r.decided_on,
        working_days_to_decision=working_days_to_decision(r.first_submitted_on, r.decided_on)
        if r.decided_on is not None and r.status in DECIDED else None) for r, code in rows]
    days = [r.working_days_to_decision for r in out if r.working_days_to_decision is not None]
    return RegisterView(today=today, requests=out, decided=len(days),
                        median_working_days_to_decision=median_days(days))


def register_csv(view: RegisterView) -> str:
    """The register as CSV, one row per request, with the median in a last comment-free row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in view.requests:
        writer.writerow([r.request_id, r.agreement, r.organisation, r.purpose, ";".join(r.datasets), r.level,
                         r.duration_days, r.status, r.first_submitted_on.isoformat(),
                         r.decided_on.isoformat() if r.decided_on else "",
                         "" if r.working_days_to_decision is None else r.working_days_to_decision])
    return buffer.getvalue()


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter such as ``2026Q3``."""
    year, number = int(quarter[:4]), int(quarter[5:])
    if quarter[4] != "Q" or not 1 <= number <= 4:
        raise ValueError(f"not a quarter: {quarter!r} (expected e.g. 2026Q3)")
    first = date(year, 3 * number - 2, 1)
    last = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1) - timedelta(days=1)
    return first, last


def board_summary(session: Session, *, quarter: str | None = None,
                  today: date | None = None) -> dict[str, Any]:
    """Data sharing for the board pack: agreements in force and expiring within 90 days (as of
    ``today``, or the quarter's last day when a past quarter is asked for), requests open and
    decided in the quarter, and the median working days to decision of those decided in it."""
    today = today or date.today()
    quarter = quarter or quarter_of(today)
    first, last = quarter_bounds(quarter)
    as_of = min(today, last)
    agreements = session.scalars(select(Agreement)).all()
    states = [state_of(a, as_of) for a in agreements]
    requests = session.scalars(select(DataRequest)).all()
    decided = [r for r in requests if r.status in DECIDED and r.decided_on is not None
               and first <= r.decided_on <= last]
    days = [working_days_to_decision(r.first_submitted_on, r.decided_on) for r in decided
            if r.decided_on is not None]
    # open: submitted by then and not yet decided (a returned request is still open)
    open_at = [r for r in requests if r.first_submitted_on <= as_of
               and (r.decided_on is None or r.decided_on > as_of)]
    return {
        "quarter": quarter,
        "as_of": as_of.isoformat(),
        "agreements_in_force": sum(s in ("in_force", "expiring") for s in states),
        "agreements_expiring_within_90_days": sum(s == "expiring" for s in states),
        "agreements_expiring": sorted(a.code for a, s in zip(agreements, states, strict=True)
                                      if s == "expiring"),
        "requests_open": len(open_at),
        "requests_decided_this_quarter": len(decided),
        "requests_approved_this_quarter": sum(r.status == "approved" for r in decided),
        "requests_refused_this_quarter": sum(r.status == "refused" for r in decided),
        "median_working_days_to_decision": median_days(days),
        "illustrative_agreements": any(a.illustrative for a in agreements),
    }
