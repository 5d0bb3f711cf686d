"""Compliance with the Victims' Code, and the overdue work behind it.

The compliance report is the basis of the MoU's review of compliance with the Code: for each right,
team and month (of the deadline), the share of entitlements with a deadline that were met on time.
Only entitlements whose outcome is known count: met (on time or late), or still open after their
deadline (overdue). Clocks still running, superseded by a restart, or lapsed when a case closed
before they fell due are left out; untimed duties (no Code deadline) are left out too. One
set-based query; the team is the case's team now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import ColumnElement, Integer, and_, case, extract, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor
from localjustice.audit import record_event
from localjustice.service.models import Case, Entitlement
from localjustice.service.rules import VictimsCode, load_victims_code
from localjustice.service.schemas import (
    ComplianceRow,
    OverdueCount,
    OverdueItem,
    OverdueReport,
    case_reference,
)
from localjustice.service.scope import teams_for
from localjustice.service.working_days import WorkingCalendar, england_and_wales


class ComplianceReports:
    def __init__(self, sessions: sessionmaker[Session], *, code: VictimsCode | None = None,
                 calendar: WorkingCalendar | None = None, today: Callable[[], date] = date.today) -> None:
        self.sessions = sessions
        self.code = code or load_victims_code()
        self.calendar = calendar or england_and_wales()
        self.today = today

    def compliance(self, actor: Actor, *, since: date | None = None, until: date | None = None,
                   team: str | None = None) -> list[ComplianceRow]:
        """Share met on time by right x team x month of deadline, within the actor's teams."""
        teams = teams_for(actor, "reports")
        today = self.today()
        overdue_now = and_(Entitlement.status == "open", Entitlement.due_on < today)
        known = or_(Entitlement.status == "met", overdue_now)
        conditions: list[ColumnElement[bool]] = [Entitlement.due_on.is_not(None), known]
        if teams is not None:
            conditions.append(Case.team.in_(teams))
        if team:
            conditions.append(Case.team == team)
        if since:
            conditions.append(Entitlement.due_on >= since)
        if until:
            conditions.append(Entitlement.due_on <= until)
        met = Entitlement.status == "met"
        year = extract("year", Entitlement.due_on).cast(Integer).label("year")
        month = extract("month", Entitlement.due_on).cast(Integer).label("month")
        query = (
            select(
                Entitlement.right_number, Case.team, year, month,
                func.count().label("due"),
                func.sum(case((and_(met, Entitlement.met_on <= Entitlement.due_on), 1), else_=0)),
                func.sum(case((and_(met, Entitlement.met_on > Entitlement.due_on), 1), else_=0)),
                func.sum(case((Entitlement.status == "open", 1), else_=0)),
            )
            .join(Case, Case.id == Entitlement.case_id)
            .where(*conditions)
            .group_by(Entitlement.right_number, Case.team, year, month)
            .order_by(year, month, Case.team, Entitlement.right_number)
        )
        with self.sessions() as s, s.begin():
            rows = s.execute(query).all()
            record_event(s, actor=actor.username, role=actor.role, action="report.compliance",
                         subject_type="report", subject_id="compliance", purpose="compliance review",
                         detail={"team": team or "*", "rows": len(rows)})
        return [
            ComplianceRow(
                right_number=int(r), right_title=self.code.rights[int(r)].title, team=str(t),
                month=f"{int(y):04d}-{int(m):02d}", due=int(due), met_on_time=int(on_time or 0),
                met_late=int(late or 0), overdue=int(overdue or 0),
                share_on_time=round(int(on_time or 0) / int(due), 4) if due else None)
            for r, t, y, m, due, on_time, late, overdue in rows
        ]

    def overdue(self, actor: Actor, *, team: str | None = None, spoc_username: str | None = None,
                limit: int = 500) -> OverdueReport:
        """Open entitlements past their deadline on open cases: counts per caseworker and team,
        and the oldest ``limit`` items to work on."""
        teams = teams_for(actor, "view_cases")
        today = self.today()
        conditions: list[ColumnElement[bool]] = [
            Entitlement.status == "open", Entitlement.due_on < today, Case.status == "open"]
        if teams is not None:
            conditions.append(Case.team.in_(teams))
        if team:
            conditions.append(Case.team == team)
        if spoc_username:
            conditions.append(Case.spoc_username == spoc_username)
        joined = select(Entitlement).join(Case, Case.id == Entitlement.case_id).where(*conditions)
        with self.sessions() as s, s.begin():
            items = s.execute(
                joined.with_only_columns(Entitlement.id, Entitlement.case_id, Case.team, Case.spoc_username,
                                         Case.spoc_name, Entitlement.rule_key, Entitlement.right_number,
                                         Entitlement.due_on)
                .order_by(Entitlement.due_on, Entitlement.id).limit(limit)).all()
            per_worker = s.execute(
                joined.with_only_columns(Case.spoc_username, func.count())
                .group_by(Case.spoc_username).order_by(func.count().desc(), Case.spoc_username)).all()
            per_team = s.execute(
                joined.with_only_columns(Case.team, func.count())
                .group_by(Case.team).order_by(func.count().desc(), Case.team)).all()
            record_event(s, actor=actor.username, role=actor.role, action="report.overdue",
                         subject_type="report", subject_id="overdue", purpose="caseload management",
                         detail={"team": team or "*", "items": len(items)})
        return OverdueReport(
            as_of=today,
            items=[OverdueItem(
                entitlement_id=i, case_id=c, reference=case_reference(c), team=t, spoc_username=u,
                spoc_name=n, rule_key=k, right_number=r, summary=self.code.rule(k).summary, due_on=d,
                working_days_late=self.calendar.working_days_between(d, today))
                for i, c, t, u, n, k, r, d in items if d is not None],
            by_caseworker=[OverdueCount(key=str(u), overdue=int(n)) for u, n in per_worker],
            by_team=[OverdueCount(key=str(t), overdue=int(n)) for t, n in per_team],
        )
