"""A caseworker's work lists: what is due today and this week, and finding a person's case.

Due work counts working days (``working_days``: weekends and England and Wales bank holidays), so
"this week" runs from today to the last working day before the weekend, and a deadline moved past
a bank holiday stays in the week it falls in. The Victims' Code's deadlines are the open
entitlements with a ``due_on`` (``victims_code.toml``).

Search is by the person's name (each word the start of their first or last name, compared as
``identity.normalise_name`` compares them) or date of birth, within the reader's teams only: a
case of another team is never returned, nor counted. Its results show people who may not be the
reader's own cases, so a search needs a reason for access (kind ``person_search``, as a case view
does), recorded with the audit event; the event names the fields searched on, never what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import AccessReasons, Actor, Purpose, load_access_reasons
from localjustice.audit import record_event
from localjustice.service.identity import normalise_name
from localjustice.service.models import Case, Entitlement, Person
from localjustice.service.rules import VictimsCode, load_victims_code
from localjustice.service.schemas import (
    DueCounts,
    DueFilters,
    DueItem,
    DueList,
    SearchHit,
    SearchIn,
    SearchPage,
    case_reference,
)
from localjustice.service.scope import teams_for
from localjustice.service.working_days import WorkingCalendar, england_and_wales

#: The record a reason for searching is stated for: every search in the session, for its minutes.
SEARCH = "*"


class WorkLists:
    def __init__(self, sessions: sessionmaker[Session], *, code: VictimsCode | None = None,
                 calendar: WorkingCalendar | None = None, today: Callable[[], date] = date.today,
                 reasons: AccessReasons | None = None) -> None:
        self.sessions = sessions
        self.code = code or load_victims_code()
        self.calendar = calendar or england_and_wales()
        self.today = today
        self.reasons = reasons or load_access_reasons()

    # --- due work -----------------------------------------------------------------------------

    def week_ends(self, today: date) -> date:
        """The last working day of today's working week (Monday to Friday, bank holidays out); on
        a weekend, or when no working day is left, the next week's."""
        day = today
        while True:
            sunday = day + timedelta(days=6 - day.weekday())
            working = [sunday - timedelta(days=n) for n in range(6, 1, -1)
                       if sunday - timedelta(days=n) >= today
                       and self.calendar.is_working_day(sunday - timedelta(days=n))]
            if working:
                return working[-1]
            day = sunday + timedelta(days=1)

    def _scope(self, actor: Actor, *, mine: bool, team: str | None) -> list[ColumnElement[bool]]:
        teams = teams_for(actor, "view_cases")
        conditions: list[ColumnElement[bool]] = [Case.status == "open", Entitlement.status == "open",
                                                 Entitlement.due_on.is_not(None)]
        if teams is not None:
            conditions.append(Case.team.in_(teams))
        if team:
            conditions.append(Case.team == team)
        if mine:
            conditions.append(Case.spoc_username == actor.username)
        return conditions

    def _counts(self, s: Session, conditions: list[ColumnElement[bool]], today: date) -> DueCounts:
        week_ends = self.week_ends(today)
        overdue, due_today, this_week = s.execute(
            select(func.count(case((Entitlement.due_on < today, 1))),
                   func.count(case((Entitlement.due_on == today, 1))),
                   func.count(case((and_(Entitlement.due_on >= today, Entitlement.due_on <= week_ends), 1))))
            .select_from(Entitlement).join(Case, Case.id == Entitlement.case_id).where(*conditions)).one()
        return DueCounts(today=today, week_ends=week_ends, overdue=int(overdue), due_today=int(due_today),
                         due_this_week=int(this_week))

    def due_counts(self, actor: Actor, *, mine: bool = True) -> DueCounts:
        """How many deadlines are past, today's and this week's (counts only, for the home page)."""
        conditions = self._scope(actor, mine=mine, team=None)
        with self.sessions() as s:
            return self._counts(s, conditions, self.today())

    def due(self, actor: Actor, filters: DueFilters) -> DueList:
        """The deadlines of one kind (overdue, today, this week), soonest first, paged; audited as a
        case list (it shows the people's names)."""
        today = self.today()
        conditions = self._scope(actor, mine=filters.mine, team=filters.team)
        week_ends = self.week_ends(today)
        which = {"overdue": Entitlement.due_on < today, "today": Entitlement.due_on == today,
                 "week": and_(Entitlement.due_on >= today, Entitlement.due_on <= week_ends)}[filters.when]
        base = (select(Entitlement.id, Entitlement.case_id, Person.forename, Person.surname, Case.team,
                       Case.spoc_name, Entitlement.rule_key, Entitlement.right_number, Entitlement.due_on)
                .join(Case, Case.id == Entitlement.case_id).join(Person, Person.id == Case.person_id)
                .where(*conditions, which))
        with self.sessions() as s, s.begin():
            counts = self._counts(s, conditions, today)
            total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
            rows = s.execute(base.order_by(Entitlement.due_on, Entitlement.case_id, Entitlement.id)
                             .limit(filters.page_size).offset((filters.page - 1) * filters.page_size)).all()
            items = [self._item(row, today) for row in rows]
            record_event(s, actor=actor.username, role=actor.role, action="case.due_list",
                         subject_type="case_list", subject_id=filters.team or "*", purpose="caseload",
                         detail={"when": filters.when, "mine": filters.mine,
                                 "cases": sorted({i.case_id for i in items})})
        return DueList(counts=counts, when=filters.when, items=items, total=total, page=filters.page,
                       page_size=filters.page_size)

    def _item(self, row: Any, today: date) -> DueItem:
        entitlement_id, case_id, forename, surname, team, spoc_name, rule_key, right, due_on = row
        return DueItem(entitlement_id=entitlement_id, case_id=case_id, reference=case_reference(case_id),
                       forename=forename, surname=surname, team=team, spoc_name=spoc_name, right_number=right,
                       right_title=self.code.rights[right].title, summary=self.code.rule(rule_key).summary,
                       due_on=due_on, overdue=due_on < today)

    # --- search -------------------------------------------------------------------------------

    @staticmethod
    def _matching(query: SearchIn, teams: tuple[str, ...] | None) -> Select[*tuple[Any, ...]]:
        conditions: list[ColumnElement[bool]] = [Person.team == Case.team]
        if teams is not None:
            conditions.append(Case.team.in_(teams))
        if not query.include_closed:
            conditions.append(Case.status == "open")
        for word in query.name.split():
            letters = normalise_name(word, "").split("|")[0]  # letters only: safe in LIKE
            if letters:
                conditions.append(or_(Person.name_key.like(f"{letters}%"),
                                      Person.name_key.like(f"%|{letters}%")))
        if query.date_of_birth is not None:
            conditions.append(Person.date_of_birth == query.date_of_birth)
        return (select(Case.id, Person.forename, Person.surname, Person.date_of_birth, Case.role, Case.team,
                       Case.status, Case.spoc_name, Case.opened_on)
                .join(Person, Person.id == Case.person_id).where(*conditions))

    def search(self, actor: Actor, query: SearchIn, *, purpose: Purpose | None = None,
               stated_in: int | None = None) -> SearchPage:
        """Cases of the actor's teams whose person matches; ``PurposeRequired`` before anything is
        read when no reason for access is given or held."""
        teams = teams_for(actor, "view_cases")
        base = self._matching(query, teams)
        with self.sessions() as s, s.begin():
            used = self.reasons.resolve(s, actor, "person_search", SEARCH, given=purpose, stated_in=stated_in)
            total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
            rows = s.execute(base.order_by(Person.surname, Person.forename, Case.id)
                             .limit(query.page_size).offset((query.page - 1) * query.page_size)).all()
            hits = [SearchHit(case_id=i, reference=case_reference(i), forename=f, surname=n, date_of_birth=d,
                              role=r, team=t, status=st, spoc_name=sp, opened_on=o)
                    for i, f, n, d, r, t, st, sp, o in rows]
            searched = [k for k, given in (("name", bool(query.name)),
                                           ("date_of_birth", query.date_of_birth is not None)) if given]
            record_event(s, actor=actor.username, role=actor.role, action="person.search",
                         subject_type="person_search", subject_id=SEARCH, purpose=used.text,
                         detail={"searched_on": searched, "total": total, "cases": [h.case_id for h in hits],
                                 **used.audit_detail()})
        return SearchPage(hits=hits, total=total, page=query.page, page_size=query.page_size)

    def state_search_purpose(self, actor: Actor, purpose: Purpose) -> int:
        """Record the reason given for searching (page ``/cases/search/reason``); searches in the
        next ``reuse_minutes`` cite its audit event as ``stated_in``."""
        teams_for(actor, "view_cases")  # only someone who may see cases states a reason to search them
        with self.sessions() as s, s.begin():
            return self.reasons.stated(s, actor, "person_search", SEARCH, purpose)
