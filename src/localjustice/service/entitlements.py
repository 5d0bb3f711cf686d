"""Turning case events into Victims' Code entitlements, and meeting them.

Each event recorded on a case starts the clocks the rules file ties to that event kind. How a rule
repeats is data (``repeat``): ``once`` per case, a new instance for ``each_event``, or ``restart``,
where a new event supersedes a running clock that has not yet passed its deadline (a clock already
overdue stays open, so a missed deadline is never hidden by a later event).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.service.models import Case, CaseEvent, Entitlement
from localjustice.service.rules import EntitlementRule, VictimsCode
from localjustice.service.working_days import WorkingCalendar


def start_clocks(session: Session, case: Case, event: CaseEvent, code: VictimsCode,
                 calendar: WorkingCalendar) -> list[Entitlement]:
    """Instantiate every entitlement ``event`` starts for ``case``; return the new ones."""
    rules = code.rules_started_by(event.kind, case.role)
    if not rules:
        return []
    existing = session.scalars(select(Entitlement).where(
        Entitlement.case_id == case.id, Entitlement.rule_key.in_([r.key for r in rules]))).all()
    created: list[Entitlement] = []
    for rule in rules:
        mine = [e for e in existing if e.rule_key == rule.key]
        if rule.repeat == "once" and any(e.status != "superseded" for e in mine):
            continue
        if rule.repeat == "restart":
            for running in mine:
                if running.status == "open" and (running.due_on is None
                                                 or running.due_on >= event.occurred_on):
                    running.status = "superseded"
                    running.note = f"Clock restarted by event {event.id}"
        entitlement = Entitlement(**_clock(rule, case.id, event.id, event.occurred_on, case.enhanced,
                                           calendar))
        session.add(entitlement)
        created.append(entitlement)
    session.flush()
    return created


def opening_clocks(code: VictimsCode, calendar: WorkingCalendar, *, case_id: int, role: str, enhanced: bool,
                   event_id: int, opened_on: date) -> list[dict[str, Any]]:
    """The entitlements a new case's ``case_opened`` event starts, as rows for one bulk INSERT (a
    new case has no clocks yet, so every rule the event starts starts once: ``start_clocks``)."""
    return [{**_clock(rule, case_id, event_id, opened_on, enhanced, calendar), "version": 1}
            for rule in code.rules_started_by("case_opened", role)]


def _clock(rule: EntitlementRule, case_id: int, event_id: int, start: date, enhanced: bool,
           calendar: WorkingCalendar) -> dict[str, Any]:
    return {"case_id": case_id, "rule_key": rule.key, "right_number": rule.right, "event_id": event_id,
            "clock_start": start, "working_days": rule.deadline(enhanced=enhanced), "enhanced": enhanced,
            "due_on": rule.due_on(start, enhanced=enhanced, calendar=calendar), "status": "open"}


def meet_by_action(session: Session, case_id: int, action: str, on: date, by: str,
                   code: VictimsCode) -> list[Entitlement]:
    """Mark met the open entitlements that ``action`` meets (``met_by`` in the rules file)."""
    keys = [r.key for r in code.entitlements if action in r.met_by]
    if not keys:
        return []
    open_ones = session.scalars(select(Entitlement).where(
        Entitlement.case_id == case_id, Entitlement.status == "open",
        Entitlement.rule_key.in_(keys))).all()
    for entitlement in open_ones:
        entitlement.status = "met"
        entitlement.met_on = max(on, entitlement.clock_start)
        entitlement.met_by = by
        entitlement.note = f"Met by {action.replace('_', ' ')}"
    return list(open_ones)


def recompute_due_dates(case: Case, open_entitlements: list[Entitlement], code: VictimsCode,
                        calendar: WorkingCalendar) -> None:
    """After enhanced rights change, move the deadlines of clocks still running."""
    for entitlement in open_entitlements:
        rule = code.rule(entitlement.rule_key)
        entitlement.enhanced = case.enhanced
        entitlement.working_days = rule.deadline(enhanced=case.enhanced)
        entitlement.due_on = rule.due_on(entitlement.clock_start, enhanced=case.enhanced,
                                         calendar=calendar)
