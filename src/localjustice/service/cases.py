"""The case service: every operation on a case, scoped to the actor and audited.

Each public method is one transaction: it checks the actor's reach (``scope``), does the work,
writes one audit event, and commits. Viewing a case records its purpose: the allocated caseworker's
own, or a reason for access from the list (``localjustice.access``), given with the call or stated
earlier in the session; without one nothing is shown (``PurposeRequired``). Edits name the version the
person saw; if the record has moved on since, ``StaleEdit`` is raised with what they tried to save,
and nothing is overwritten. Routes stay thin: parse with ``schemas.parse_input``, call one method,
render the result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from localjustice.access import AccessReasons, Actor, Purpose, load_access_reasons
from localjustice.audit import record_event
from localjustice.service import casework
from localjustice.service import entitlements as clocks
from localjustice.service.case_records import of_case, presence, present_in, with_case_for_change
from localjustice.service.casework_schemas import ApprovalView, Outcome
from localjustice.service.duplicates import MatchDecision, PossibleMatch, PossibleMatches, open_case_matches
from localjustice.service.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound, StaleEdit
from localjustice.service.identity import PersonClaim, find_same_person, normalise_name, other_teams_matches
from localjustice.service.incident_access import incident_reach
from localjustice.service.models import (
    Assessment,
    AssessmentRevision,
    Case,
    CaseEvent,
    Consent,
    ContactLog,
    CourtDate,
    Entitlement,
    ExpenseClaim,
    Handover,
    IncomingReferral,
    OnwardReferral,
    Person,
    PersonIdentifier,
    PossibleDuplicate,
    WitnessSupport,
)
from localjustice.service.risk import RiskChecklist, load_checklist
from localjustice.service.rules import VictimsCode, load_victims_code
from localjustice.service.schemas import (
    AllocationCase,
    AllocationPage,
    AssessmentIn,
    AssessmentRevisionView,
    AssessmentView,
    CaseDetail,
    CaseEventIn,
    CaseFilters,
    CaseloadRow,
    CasePage,
    CaseSummary,
    CloseIn,
    ConsentIn,
    ConsentView,
    ContactIn,
    ContactPreferencesIn,
    ContactView,
    CourtDateIn,
    CourtDateView,
    DuplicateDecisionIn,
    DuplicateList,
    DuplicateSide,
    EntitlementMetIn,
    EntitlementView,
    EventView,
    ExpenseIn,
    ExpenseStatusIn,
    ExpenseView,
    HandoverIn,
    HandoverView,
    IncomingReferralView,
    Input,
    IntakeResult,
    OnwardReferralIn,
    OnwardReferralUpdate,
    OnwardReferralView,
    PossibleDuplicateView,
    ProviderPack,
    ReallocationIn,
    ReallocationResult,
    ReferralIn,
    TimelineItem,
    WitnessSupportIn,
    WitnessSupportView,
    case_date_errors,
    case_reference,
)
from localjustice.service.scope import require_team, teams_for
from localjustice.service.staff import CASEWORKING_ROLES, Caseworker, Staff, require_caseworker
from localjustice.service.working_days import WorkingCalendar, england_and_wales

#: Onward referral life cycle: which status may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    "sent": frozenset({"accepted", "declined"}),
    "accepted": frozenset({"completed", "declined"}),
    "declined": frozenset(),
    "completed": frozenset(),
}
MANAGEMENT = "case management"
#: Events the service records itself, never chosen from the list.
SERVICE_EVENTS = frozenset({"case_opened", "case_reopened", "communication_need_flagged"})
#: The record a reason for reviewing possible duplicates is stated for: the list, and its decisions.
DUPLICATE_LIST = "*"
#: The most cases one reallocation moves.
MAX_REALLOCATION = 500
#: How many of one caseworker's open cases the allocation page lists at a time (it paginates).
ALLOCATION_PAGE = 50


#: The statements that read one case's records, built once: a case page runs all of them, and
#: building them anew each time cost more CPU than running them.
_CASE_RECORDS: dict[str, Select[Any]] = {
    "revisions": (select(AssessmentRevision)
                  .join(Assessment, Assessment.id == AssessmentRevision.assessment_id)
                  .where(Assessment.case_id == bindparam("case_id"))
                  .order_by(AssessmentRevision.assessment_version)),
    "entitlements": of_case(Entitlement, Entitlement.id),
    "onward": of_case(OnwardReferral, OnwardReferral.id),
    "events": of_case(CaseEvent, CaseEvent.id),
    "handovers": of_case(Handover, Handover.id),
    "consents": of_case(Consent, Consent.recipient),
    "contacts": of_case(ContactLog, ContactLog.id),
    "witness": of_case(WitnessSupport),
    "court": of_case(CourtDate, CourtDate.hearing_on),
    "expenses": of_case(ExpenseClaim, ExpenseClaim.id),
    "referrals": of_case(IncomingReferral, IncomingReferral.id),
}


#: Which of the records above a case has (the assessment is read with the case: it has the
#: revisions).
_RECORD_KINDS: dict[str, Any] = {
    "entitlements": Entitlement, "onward": OnwardReferral, "events": CaseEvent, "handovers": Handover,
    "consents": Consent, "contacts": ContactLog, "witness": WitnessSupport, "court": CourtDate,
    "expenses": ExpenseClaim, "referrals": IncomingReferral}
#: The label prefix of ``casework.RECORD_KINDS``' presence in the case page's statement.
_CASEWORK = "casework_"


#: A case by id, to read and (its row locked) to change: every request about a case runs one.
_CASE = select(Case).where(Case.id == bindparam("case_id"))
_CASE_FOR_CHANGE = _CASE.with_for_update()
#: A case by id for its page, in one statement: the case, its person, its assessment (a case has
#: at most one) and which kinds of its other records it has. Each statement costs the server more
#: CPU than the rows it returns, and this replaced four. Only a read: a change locks the case
#: row first and reads the rest after (``_CASE_FOR_CHANGE``), so it sees what the previous holder
#: of the lock committed.
_CASE_PAGE = (select(Case, Person, Assessment, *presence(_RECORD_KINDS),
                     *presence(casework.RECORD_KINDS, _CASEWORK))
              .join(Person, Person.id == Case.person_id)
              .outerjoin(Assessment, Assessment.case_id == Case.id)
              .where(Case.id == bindparam("case_id")))


@functools.cache
def _case_list(given: tuple[str, ...], overdue_only: bool) -> tuple[Select[Any], Select[Any]]:
    """The count and the page of the case list for one set of filters given (their values bound:
    ``teams``, ``team``, ``status``, ``spoc_username``, ``role``, ``case_id``, and ``today``,
    ``limit``, ``offset``), built once per set: every case list built them anew before.

    Each row of the page carries the count too (a window over every case the filters select, taken
    before the page is cut), so a list is one statement, not two; the count alone is run only for
    a page past the end, which has no row to carry it."""
    overdue = (select(Entitlement.case_id, func.count().label("overdue"))
               .where(Entitlement.status == "open", Entitlement.due_on < bindparam("today"))
               .group_by(Entitlement.case_id).subquery())
    next_due = (select(Entitlement.case_id, func.min(Entitlement.due_on).label("next_due_on"))
                .where(Entitlement.status == "open", Entitlement.due_on.is_not(None))
                .group_by(Entitlement.case_id).subquery())
    columns = {"team": Case.team, "status": Case.status, "spoc_username": Case.spoc_username,
               "role": Case.role, "case_id": Case.id}
    conditions: list[ColumnElement[bool]] = [
        Case.team.in_(bindparam("teams", expanding=True)) if name == "teams"
        else columns[name] == bindparam(name) for name in given]
    if overdue_only:
        conditions.append(overdue.c.overdue > 0)
    base = (select(Case, Person.forename, Person.surname,
                   func.coalesce(overdue.c.overdue, 0), next_due.c.next_due_on)
            .join(Person, Person.id == Case.person_id)
            .outerjoin(overdue, overdue.c.case_id == Case.id)
            .outerjoin(next_due, next_due.c.case_id == Case.id)
            .where(and_(True, *conditions)))
    return (select(func.count()).select_from(base.subquery()),
            base.add_columns(func.count().over()).order_by(Case.id.desc())
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


class CaseService:
    """Victims-and-witnesses cases: intake, assessment, contact, entitlements, support."""

    def __init__(self, sessions: sessionmaker[Session], *, staff: Staff, code: VictimsCode | None = None,
                 calendar: WorkingCalendar | None = None, today: Callable[[], date] = date.today,
                 reasons: AccessReasons | None = None, checklist: RiskChecklist | None = None) -> None:
        self.sessions = sessions
        self.staff = staff
        self.reasons = reasons or load_access_reasons()
        self.code = code or load_victims_code()
        self.calendar = calendar or england_and_wales()
        self.today = today
        #: the risk checklist this deployment scores with (``LOCALJUSTICE_RISK_CHECKLIST``)
        self.checklist = checklist or load_checklist()

    # --- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        try:
            with self.sessions() as session, session.begin():
                yield session
        except StaleDataError:
            # a row this transaction changed was changed by another first (e.g. two people meeting
            # the same entitlement at once): nothing was saved, so say so rather than fail
            raise StaleEdit("record", "in this case") from None

    @staticmethod
    def _flush(session: Session, kind: str, record_id: object, attempted: dict[str, Any]) -> None:
        try:
            session.flush()
        except StaleDataError:
            raise StaleEdit(kind, record_id, attempted=attempted) from None

    @staticmethod
    def _audit(session: Session, actor: Actor, action: str, subject_type: str, subject_id: object,
               purpose: str = MANAGEMENT, **detail: Any) -> None:
        record_event(session, actor=actor.username, role=actor.role, action=action,
                     subject_type=subject_type, subject_id=str(subject_id), purpose=purpose,
                     detail=detail)

    def _case(self, session: Session, actor: Actor, case_id: int, *, change: bool) -> Case:
        """The case, within the actor's reach; a change locks its row first, so the changes to one
        case (its clocks above all) happen one after another while different cases go in parallel."""
        case = session.scalar(_CASE_FOR_CHANGE if change else _CASE, {"case_id": case_id})
        if case is None:
            raise NotFound("case", case_reference(case_id))
        self._within_reach(session, actor, case, change=change)
        return case

    def _record_for_change(self, session: Session, actor: Actor, model: Any, record_id: int,
                           kind: str) -> tuple[Any, Case]:
        """A record of one of the actor's cases, and its case, locked for a change (``_case``)."""
        row = session.execute(with_case_for_change(model), {"record_id": record_id}).one_or_none()
        if row is None:
            raise NotFound(kind, record_id)
        record, case = row
        self._within_reach(session, actor, case, change=True)
        return record, case

    @staticmethod
    def _within_reach(session: Session, actor: Actor, case: Case, *, change: bool) -> None:
        """Refuse a case beyond the actor's reach, and a change to a closed case."""
        case_id = case.id
        try:
            require_team(actor, case.team, "change_cases" if change else "view_cases", kind="case",
                         record_id=case_reference(case_id))
        except (NotFound, NotAllowed):
            # a caseworker of another team working on an open major incident reaches its cases
            # only, and only while the incident is open (``incident_access``)
            if not incident_reach(session, actor, case.id):
                raise
        if change and case.status != "open":
            raise InvalidTransition(f"Case {case_reference(case_id)} is closed: it cannot be changed.")

    @staticmethod
    def _check_dates(case: Case, data: Input) -> None:
        """Refuse dates implausibly long before the case opened (``input_rules.toml``)."""
        errors = case_date_errors(data, case.opened_on)
        if errors:
            raise InvalidInput(errors)

    @staticmethod
    def _expect(kind: str, record_id: object, current: int, expected: int | None,
                attempted: dict[str, Any]) -> None:
        if expected != current:
            raise StaleEdit(kind, record_id, attempted=attempted, current_version=current)

    # --- intake ---------------------------------------------------------------------------------

    def receive_referral(self, actor: Actor, referral: ReferralIn, *, channel: str = "caseworker",
                         spoc_username: str | None = None, offer_matches: bool = False,
                         decision: MatchDecision | None = None) -> IntakeResult:
        """Open a case for the referral, or join the open case for the same person and crime.

        Everything is within the referral's team, which must be one of the actor's: the same person
        is looked for among that team's people only, and the referral is idempotent by
        ``referral_id`` within that team (the same referral twice returns the first result). So a
        source id or referral id another team holds selects nothing of theirs, and the answer is
        the same whether or not another team holds a match; such a match is recorded as a possible
        duplicate for a supervisor of both teams. ``spoc_username`` names the single point of
        contact of a new case, an active caseworker or supervisor of the team; the acting
        caseworker when not given.

        With ``offer_matches`` (the caseworker's intake page) a referral that may belong to an open
        case of the caller's teams (``duplicates``) is not taken until the caller decides:
        ``PossibleMatches`` lists the cases, and the call is repeated with a ``decision`` (join
        one of them, or open a new case with a reason). A decision to open a new case opens one
        even for a person and crime the team already has open: the caseworker has said they
        are different people.
        """
        teams = teams_for(actor, "change_cases")
        if teams is not None and referral.team not in teams:
            raise InvalidInput({"team": "Choose one of your own teams"})
        if spoc_username is None:
            if actor.role not in CASEWORKING_ROLES:
                raise InvalidInput({"spoc_username": "Name the caseworker who will be the single point "
                                                     "of contact"})
            spoc_username = actor.username
        spoc = require_caseworker(self.staff, referral.team, spoc_username, field="spoc_username")
        offered: list[int] = []
        if offer_matches or decision is not None:
            matches = self.possible_matches(actor, referral)
            offered = [m.case_id for m in matches]
            if matches and decision is None:
                raise PossibleMatches(matches)
            if decision is not None and decision.join_case_id is not None:
                if decision.join_case_id not in offered:
                    raise PossibleMatches(matches, {"match_choice": "Choose one of the cases listed"})
                return self._join_chosen(actor, referral, channel, decision.join_case_id, offered)
            if matches and decision is not None and len(decision.new_case_reason.strip()) < 3:
                raise PossibleMatches(matches, {"match_reason": "Say why this referral needs a new case"})
        for attempt in range(3):
            try:
                return self._receive(actor, referral, channel, spoc,
                                     decision if offered else None, offered)
            except IntegrityError:
                # a concurrent intake created the same person, case or referral: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def possible_matches(self, actor: Actor, referral: ReferralIn) -> list[PossibleMatch]:
        """The open cases of the caller's teams the referral may belong to (``duplicates``).

        Shows names and dates of birth of the caller's own teams' cases; audited (case ids only)."""
        teams = teams_for(actor, "change_cases")
        with self._tx() as s:
            matches = open_case_matches(s, forename=referral.forename, surname=referral.surname,
                                        date_of_birth=referral.date_of_birth,
                                        linkage_person_id=referral.linkage_person_id, teams=teams)
            if matches:
                self._audit(s, actor, "referral.possible_matches", "case_list", referral.team,
                            "duplicate check at intake", cases=[m.case_id for m in matches])
        return matches

    def _join_chosen(self, actor: Actor, referral: ReferralIn, channel: str, case_id: int,
                     offered: list[int]) -> IntakeResult:
        """Join the referral to the open case the caseworker chose from those offered."""
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            if referral.referral_id and s.scalar(select(IncomingReferral.id).where(
                    IncomingReferral.team == case.team,
                    IncomingReferral.referral_id == referral.referral_id)) is not None:
                raise InvalidInput({"referral_id": "This referral reference is already recorded"})
            added = sorted(set(referral.enhanced_rights) - set(case.enhanced_rights))
            if added:
                was_enhanced = case.enhanced
                case.enhanced_rights = sorted({*case.enhanced_rights, *added})
                if not was_enhanced:
                    clocks.recompute_due_dates(case, self._open_entitlements(s, case.id), self.code,
                                               self.calendar)
            if case.linkage_person_id is None and referral.linkage_person_id:
                case.linkage_person_id = referral.linkage_person_id
            referral_id = referral.referral_id or f"{channel}-{uuid4().hex[:16]}"
            s.add(self._incoming(actor, referral, channel, case, referral_id, joined=True,
                                 decision="joined", reason=None, offered=offered))
            s.flush()
            self._audit(s, actor, "referral.join", "case", case.id, channel=channel,
                        match_decision="joined", offered=offered)
            return IntakeResult(case_id=case.id, reference=case_reference(case.id), referral_id=referral_id,
                                joined_existing=True)

    @staticmethod
    def _incoming(actor: Actor, referral: ReferralIn, channel: str, case: Case, referral_id: str, *,
                  joined: bool, decision: str | None, reason: str | None,
                  offered: list[int] | None) -> IncomingReferral:
        return IncomingReferral(
            team=case.team, referral_id=referral_id, case_id=case.id, channel=channel,
            referrer=referral.referrer, role=referral.role, referral_date=referral.referral_date,
            needs=list(referral.needs), service=referral.service, joined_existing=joined,
            received_by=actor.username, source=referral.source,
            source_person_id=referral.source_person_id, forename=referral.forename,
            surname=referral.surname, date_of_birth=referral.date_of_birth,
            match_decision=decision, match_reason=reason, match_offered=offered)

    def _receive(self, actor: Actor, referral: ReferralIn, channel: str, spoc: Caseworker,
                 decision: MatchDecision | None = None, offered: list[int] | None = None) -> IntakeResult:
        with self._tx() as s:
            return self._receive_in(s, actor, referral, channel, spoc, decision, offered)

    def _receive_in(self, s: Session, actor: Actor, referral: ReferralIn, channel: str, spoc: Caseworker,
                    decision: MatchDecision | None = None, offered: list[int] | None = None) -> IntakeResult:
        """The body of an intake, in the caller's transaction (the incident registration's too)."""
        team = referral.team
        if referral.referral_id:
            seen = s.scalar(select(IncomingReferral).where(
                IncomingReferral.team == team, IncomingReferral.referral_id == referral.referral_id))
            if seen is not None:
                return IntakeResult(case_id=seen.case_id, reference=case_reference(seen.case_id),
                                    referral_id=seen.referral_id, joined_existing=seen.joined_existing)
        claim = PersonClaim(referral.source, referral.source_person_id, referral.forename,
                            referral.surname, referral.date_of_birth)
        person_id = find_same_person(s, claim, team)
        if person_id is None:
            person = Person(team=team, forename=referral.forename, surname=referral.surname,
                            name_key=claim.name_key, date_of_birth=referral.date_of_birth)
            s.add(person)
            s.flush()
            person_id = person.id
        if referral.source_person_id and s.scalar(select(PersonIdentifier.id).where(
                PersonIdentifier.team == team, PersonIdentifier.source == referral.source,
                PersonIdentifier.source_person_id == referral.source_person_id)) is None:
            s.add(PersonIdentifier(person_id=person_id, team=team, source=referral.source,
                                   source_person_id=referral.source_person_id))
        case = s.scalar(select(Case).where(
            Case.person_id == person_id, Case.team == team, Case.status == "open",
            func.coalesce(Case.crime_id, "") == (referral.crime_id or "")).with_for_update())
        if case is not None and decision is not None:
            # the caseworker saw this case offered and said the referral needs a new one: a
            # different person of the same name and date of birth, so a person record of its own
            person = Person(team=team, forename=referral.forename, surname=referral.surname,
                            name_key=claim.name_key, date_of_birth=referral.date_of_birth)
            s.add(person)
            s.flush()
            person_id, case = person.id, None
        joined = case is not None
        if case is None:
            case = Case(person_id=person_id, role=referral.role, crime_id=referral.crime_id,
                        team=team, status="open", linkage_person_id=referral.linkage_person_id,
                        enhanced_rights=sorted(referral.enhanced_rights),
                        spoc_username=spoc.username, spoc_name=spoc.display_name,
                        contact_preference=referral.contact_preference, safe_to_leave_message=False,
                        opened_on=referral.referral_date)
            s.add(case)
            s.flush()
            s.add(Handover(case_id=case.id, from_username=None, to_username=spoc.username,
                           to_name=spoc.display_name, from_team=None, to_team=case.team,
                           reason="Case opened", by_username=actor.username))
            event = CaseEvent(case_id=case.id, kind="case_opened", occurred_on=referral.referral_date,
                              recorded_by=actor.username)
            s.add(event)
            s.flush()
            clocks.start_clocks(s, case, event, self.code, self.calendar)
        else:
            assert case is not None
            require_team(actor, case.team, "change_cases", kind="case", record_id=case.id)
            added = sorted(set(referral.enhanced_rights) - set(case.enhanced_rights))
            if added:
                was_enhanced = case.enhanced
                case.enhanced_rights = sorted({*case.enhanced_rights, *added})
                if not was_enhanced:
                    clocks.recompute_due_dates(case, self._open_entitlements(s, case.id), self.code,
                                               self.calendar)
        referral_id = referral.referral_id or f"{channel}-{uuid4().hex[:16]}"
        s.add(self._incoming(actor, referral, channel, case, referral_id, joined=joined,
                             decision="new" if decision is not None else None,
                             reason=decision.new_case_reason.strip() if decision is not None else None,
                             offered=offered or None))
        s.flush()
        matched: dict[str, Any] = {} if decision is None else {"match_decision": "new", "offered": offered}
        if joined:
            self._audit(s, actor, "referral.join", "case", case.id, channel=channel)
        else:
            self._audit(s, actor, "case.open", "case", case.id, channel=channel,
                        spoc_username=spoc.username, **matched)
        self._flag_possible_duplicates(s, actor, claim, person_id, team)
        return IntakeResult(case_id=case.id, reference=case_reference(case.id), referral_id=referral_id,
                            joined_existing=joined)

    def _flag_possible_duplicates(self, s: Session, actor: Actor, claim: PersonClaim, person_id: int,
                                  team: str) -> None:
        """Record, for a supervisor of both teams, each other team's person who may be this one.

        Nothing of it reaches the caller: the intake's answer is the same either way.
        """
        for other_id, other_team, matched_on in other_teams_matches(s, claim, team):
            (first, first_team), (second, second_team) = sorted(((person_id, team), (other_id, other_team)))
            if s.scalar(select(PossibleDuplicate.id).where(PossibleDuplicate.person_id == first,
                                                           PossibleDuplicate.other_person_id == second)):
                continue
            flag = PossibleDuplicate(person_id=first, other_person_id=second, team=first_team,
                                     other_team=second_team, matched_on=matched_on, status="open")
            s.add(flag)
            s.flush()
            self._audit(s, actor, "possible_duplicate.flag", "possible_duplicate", flag.id,
                        "duplicate check at intake", matched_on=matched_on, teams=[first_team, second_team])

    # --- reading --------------------------------------------------------------------------------

    def list_cases(self, actor: Actor, filters: CaseFilters, *, purpose: str) -> CasePage:
        """Cases in the actor's teams, filtered and paged, with overdue counts."""
        if not purpose.strip():
            raise InvalidInput({"purpose": "Say why you are listing cases: it is recorded in the audit log"})
        teams = teams_for(actor, "view_cases")
        digits = "".join(c for c in filters.reference or "" if c in "0123456789")
        # ASCII digits only: str.isdigit() also accepts '²', which int() refuses
        given: dict[str, Any] = {
            "teams": teams, "team": filters.team or None, "status": filters.status or None,
            "spoc_username": filters.spoc_username or None, "role": filters.role or None,
            "case_id": (int(digits) if digits else -1) if filters.reference else None}
        count, page = _case_list(tuple(name for name, value in given.items() if value is not None),
                                 filters.overdue_only)
        params: dict[str, Any] = {name: list(value) if isinstance(value, tuple) else value
                                  for name, value in given.items() if value is not None}
        params.update(today=self.today(), limit=filters.page_size,
                      offset=(filters.page - 1) * filters.page_size)
        with self._tx() as s:
            rows = s.execute(page, params).all()
            # every row carries the count; a page past the end has none to carry it, so asks
            total = int(rows[0][-1]) if rows else (s.scalar(count, params) or 0) if params["offset"] else 0
            cases = [self._summary(case, forename, surname, int(n), nd)
                     for case, forename, surname, n, nd, _ in rows]
            self._audit(s, actor, "case.list", "case_list", filters.team or "*", purpose,
                        cases=[c.id for c in cases])
        return CasePage(cases=cases, total=total, page=filters.page, page_size=filters.page_size)

    @staticmethod
    def _summary(case: Case, forename: str, surname: str, overdue: int, next_due: date | None) -> CaseSummary:
        return CaseSummary(
            id=case.id, reference=case_reference(case.id), forename=forename, surname=surname,
            role=case.role, crime_id=case.crime_id, team=case.team, status=case.status,
            spoc_username=case.spoc_username, spoc_name=case.spoc_name, opened_on=case.opened_on,
            enhanced=case.enhanced, overdue=overdue, next_due_on=next_due)

    def get_case(self, actor: Actor, case_id: int, *, purpose: Purpose | None = None,
                 stated_in: int | None = None) -> CaseDetail:
        """Everything about one case, with its timeline; audited with the purpose of the view.

        The allocated caseworker needs no reason; anyone else gives one (``purpose``) or cites the
        audit event where they stated one for this case (``stated_in``), else ``PurposeRequired``.
        """
        with self._tx() as s:
            row = s.execute(_CASE_PAGE, {"case_id": case_id}).one_or_none()
            if row is None:
                raise NotFound("case", case_reference(case_id))
            case, person, assessment = row[0], row[1], row[2]
            self._within_reach(s, actor, case, change=False)
            used = self._purpose(s, actor, case, purpose, stated_in)
            detail = self._detail(s, case, person, assessment, row._mapping)
            self._audit(s, actor, "case.view", "case", case.id, used.text, **used.audit_detail())
        return detail

    def state_purpose(self, actor: Actor, case_id: int, purpose: Purpose) -> int:
        """Record the reason given for opening a case (page: ``/cases/{id}/reason``); the id of its
        audit event, which views of the case in the next ``reuse_minutes`` cite as ``stated_in``."""
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=False)
            return self.reasons.stated(s, actor, "case", case.id, purpose)

    def _purpose(self, s: Session, actor: Actor, case: Case, given: Purpose | None,
                 stated_in: int | None) -> Purpose:
        return self.reasons.resolve(s, actor, "case", case.id, given=given, stated_in=stated_in,
                                    allocated=case.spoc_username == actor.username)

    def _open_entitlements(self, s: Session, case_id: int) -> list[Entitlement]:
        return list(s.scalars(select(Entitlement).where(Entitlement.case_id == case_id,
                                                        Entitlement.status == "open")).all())

    def _entitlement_view(self, e: Entitlement, today: date) -> EntitlementView:
        rule = self.code.rule(e.rule_key)
        view = EntitlementView.model_validate(e)
        view.right_title = self.code.rights[e.right_number].title
        view.summary = rule.summary
        view.verified = rule.verified
        view.overdue = e.status == "open" and e.due_on is not None and e.due_on < today
        return view

    def _detail(self, s: Session, case: Case, person: Person, assessment: Assessment | None,
                row: Mapping[Any, Any]) -> CaseDetail:
        """The case page from ``_CASE_PAGE``'s row (``row``), reading only the kinds it has."""
        today = self.today()
        present = present_in(row, _RECORD_KINDS)

        def rows(name: str) -> list[Any]:
            if not present.get(name, True):
                return []
            return list(s.scalars(_CASE_RECORDS[name], {"case_id": case.id}).all())

        revisions = rows("revisions") if assessment is not None else []
        ents = sorted(rows("entitlements"), key=lambda e: (e.right_number, e.id))
        onward = rows("onward")
        events = rows("events")
        handovers = rows("handovers")
        consents = rows("consents")
        contacts = rows("contacts")
        witness = s.scalar(_CASE_RECORDS["witness"], {"case_id": case.id}) if present["witness"] else None
        court = rows("court")
        expenses = rows("expenses")
        referrals = rows("referrals")
        ent_views = [self._entitlement_view(e, today) for e in ents]
        overdue = sum(v.overdue for v in ent_views)
        due_dates = [v.due_on for v in ent_views if v.status == "open" and v.due_on is not None]
        timeline = self._timeline(events, referrals, handovers, onward, contacts, revisions, ents,
                                  court)
        return CaseDetail(
            **self._summary(case, person.forename, person.surname, overdue,
                            min(due_dates) if due_dates else None).model_dump(),
            date_of_birth=person.date_of_birth, enhanced_rights=list(case.enhanced_rights),
            contact_preference=case.contact_preference, phone=case.phone, email=case.email,
            safe_to_leave_message=case.safe_to_leave_message, closed_on=case.closed_on,
            closure_reason=case.closure_reason, version=case.version,
            assessment=AssessmentView.model_validate(assessment) if assessment else None,
            assessment_revisions=[AssessmentRevisionView.model_validate(r) for r in revisions],
            entitlements=ent_views,
            onward_referrals=[OnwardReferralView.model_validate(o) for o in onward],
            events=[EventView.model_validate(e).model_copy(
                update={"label": self.code.events.get(e.kind, e.kind)}) for e in events],
            handovers=[HandoverView.model_validate(h) for h in handovers],
            consents=[ConsentView.model_validate(c) for c in consents],
            contacts=[ContactView.model_validate(c) for c in contacts],
            witness_support=WitnessSupportView.model_validate(witness) if witness else None,
            court_dates=[CourtDateView.model_validate(c) for c in court],
            expenses=[ExpenseView.model_validate(x) for x in expenses],
            referrals=[self._referral_view(r, person) for r in referrals],
            timeline=timeline,
            casework=casework.Casework(self).view(s, case, present_in(row, casework.RECORD_KINDS,
                                                                      _CASEWORK)),
        )

    @staticmethod
    def _referral_view(referral: IncomingReferral, person: Person) -> IncomingReferralView:
        """The referral as received, noting where what it gave differs from the person's record
        (a referral that joined a known person keeps what it said, for the caseworker to check)."""
        view = IncomingReferralView.model_validate(referral)
        if referral.forename is not None and referral.surname is not None and normalise_name(
                referral.forename, referral.surname) != person.name_key:
            view.differs.append("name")
        if referral.date_of_birth is not None and referral.date_of_birth != person.date_of_birth:
            view.differs.append("date_of_birth")
        return view

    def _timeline(self, events: list[CaseEvent], referrals: list[IncomingReferral],
                  handovers: list[Handover], onward: list[OnwardReferral], contacts: list[ContactLog],
                  revisions: list[AssessmentRevision], ents: list[Entitlement],
                  court: list[CourtDate]) -> list[TimelineItem]:
        items = [TimelineItem(on=e.occurred_on, kind="event", text=self.code.events.get(e.kind, e.kind))
                 for e in events]
        items += [TimelineItem(on=r.referral_date, kind="referral",
                               text=f"Referral from {r.referrer.replace('_', ' ')}"
                               + (" joined this case" if r.joined_existing else " opened this case"))
                  for r in referrals]
        items += [TimelineItem(on=h.at.date(), kind="handover",
                               text=f"Single point of contact: {h.to_name} ({h.reason})") for h in handovers]
        items += [TimelineItem(on=o.sent_on, kind="onward_referral",
                               text=f"Referred to {o.provider} ({o.service.replace('_', ' ')}): {o.status}")
                  for o in onward]
        items += [TimelineItem(on=c.occurred_on, kind="contact",
                               text=f"{c.direction.capitalize()} contact by {c.channel.replace('_', ' ')}")
                  for c in contacts]
        items += [TimelineItem(on=r.saved_at.date(), kind="assessment",
                               text="Needs assessment done" if r.assessment_version == 1
                               else f"Needs assessment revised (version {r.assessment_version})")
                  for r in revisions]
        items += [TimelineItem(on=e.met_on, kind="entitlement",
                               text=f"Right {e.right_number} met: {self.code.rule(e.rule_key).summary}")
                  for e in ents if e.status == "met" and e.met_on is not None]
        items += [TimelineItem(on=c.hearing_on, kind="court_date",
                               text=f"{c.hearing_type.replace('_', ' ').capitalize()} at {c.court}")
                  for c in court]
        return sorted(items, key=lambda i: i.on, reverse=True)

    # --- assessment -----------------------------------------------------------------------------

    def save_assessment(self, actor: Actor, case_id: int, data: AssessmentIn, *,
                        expected_version: int | None) -> AssessmentView:
        """Do the case's one assessment (``expected_version=None``) or revise it (the version seen)."""
        attempted = data.model_dump(mode="json")
        answers = data.model_dump(mode="json", exclude={"change_reason"})
        try:
            with self._tx() as s:
                case = self._case(s, actor, case_id, change=True)
                assessment = s.scalar(select(Assessment).where(Assessment.case_id == case.id))
                if assessment is None:
                    self._expect("assessment", case_reference(case_id), 0, expected_version or 0, attempted)
                    assessment = Assessment(case_id=case.id, answers=answers, assessed_by=actor.username,
                                            assessed_on=self.today(), change_reason=None)
                    s.add(assessment)
                    s.flush()
                    clocks.meet_by_action(s, case.id, "assessment_completed", self.today(), actor.username,
                                          self.code)
                    action = "assessment.create"
                else:
                    self._expect("assessment", case_reference(case_id), assessment.version,
                                 expected_version, attempted)
                    if not data.change_reason:
                        raise InvalidInput({"change_reason": "Say what has changed since the last "
                                                             "assessment"})
                    assessment.answers = answers
                    assessment.assessed_by = actor.username
                    assessment.assessed_on = self.today()
                    assessment.change_reason = data.change_reason
                    self._flush(s, "assessment", case_reference(case_id), attempted)
                    action = "assessment.revise"
                s.add(AssessmentRevision(assessment_id=assessment.id, assessment_version=assessment.version,
                                         answers=answers, saved_by=actor.username,
                                         change_reason=data.change_reason or None))
                s.flush()
                self._audit(s, actor, action, "case", case.id, version=assessment.version)
                return AssessmentView.model_validate(assessment)
        except IntegrityError:
            # someone else did the first assessment at the same moment
            raise StaleEdit("assessment", case_reference(case_id), attempted=attempted) from None

    def provider_pack(self, actor: Actor, onward_referral_id: int, *, purpose: Purpose | None = None,
                      stated_in: int | None = None) -> ProviderPack:
        """What a provider receives with a referral: only the sections the person consented to.

        Shows the person's details, so it needs a purpose as ``get_case`` does."""
        with self._tx() as s:
            onward = s.get(OnwardReferral, onward_referral_id)
            if onward is None:
                raise NotFound("referral", onward_referral_id)
            case = self._case(s, actor, onward.case_id, change=False)
            used = self._purpose(s, actor, case, purpose, stated_in)
            person = s.get(Person, case.person_id)
            assert person is not None
            consent = s.scalar(select(Consent).where(Consent.case_id == case.id,
                                                     Consent.recipient == onward.service))
            assessment = s.scalar(select(Assessment).where(Assessment.case_id == case.id))
            contact = consent is not None and consent.share_contact_details
            details = consent is not None and consent.share_case_details
            shared = consent is not None and consent.share_assessment and assessment is not None
            withheld = [name for name, ok in (("contact_details", contact), ("case_details", details),
                                              ("assessment", shared)) if not ok]
            pack = ProviderPack(
                onward_referral=OnwardReferralView.model_validate(onward),
                case_reference=case_reference(case.id),
                forename=person.forename if contact else None, surname=person.surname if contact else None,
                phone=case.phone if contact else None, email=case.email if contact else None,
                contact_preference=case.contact_preference if contact else None,
                crime_id=case.crime_id if details else None, role=case.role if details else None,
                assessment=dict(assessment.answers) if shared and assessment else None,
                withheld=withheld)
            self._audit(s, actor, "provider_pack.view", "case", case.id, used.text,
                        onward_referral=onward.id, withheld=withheld, **used.audit_detail())
        return pack

    # --- single point of contact ----------------------------------------------------------------

    def hand_over(self, actor: Actor, case_id: int, data: HandoverIn, *,
                  expected_version: int) -> CaseSummary:
        """Change the single point of contact, with a reason; the victim still sees one name.

        The new contact must be an active caseworker or supervisor of the team the case is in (or
        moves to); their name comes from their account. A case moving team takes its person to a
        record of the new team, so a case's person is always its own team's.
        """
        attempted = data.model_dump(mode="json")
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            self._expect("case", case_reference(case_id), case.version, expected_version, attempted)
            to_team = data.to_team or case.team
            if to_team != case.team:
                teams = teams_for(actor, "change_cases")
                if teams is not None and to_team not in teams:
                    raise InvalidInput({"to_team": "You can hand over only to a team you work in or "
                                                   "supervise"})
            receiver = require_caseworker(self.staff, to_team, data.to_username, field="to_username")
            if receiver.username == case.spoc_username and to_team == case.team:
                raise InvalidInput({"to_username": "This caseworker is already the single point of contact"})
            from_username, from_team = case.spoc_username, case.team
            if to_team != case.team:
                case.person_id = self._person_in_team(s, case.person_id, to_team)
            self._assign(s, actor, case, receiver, to_team, data.reason)
            try:
                self._flush(s, "case", case_reference(case_id), attempted)
            except IntegrityError:
                raise InvalidInput({"to_team": f"Team {to_team} already has an open case for this person "
                                               "and crime: hand over to that case's caseworker instead"}
                                   ) from None
            self._audit(s, actor, "case.handover", "case", case.id, from_username=from_username,
                        to_username=receiver.username, from_team=from_team, to_team=to_team)
            person = s.get(Person, case.person_id)
            assert person is not None
            return self._summary(case, person.forename, person.surname, 0, None)

    @staticmethod
    def _assign(s: Session, actor: Actor, case: Case, receiver: Caseworker, team: str, reason: str) -> None:
        s.add(Handover(case_id=case.id, from_username=case.spoc_username, to_username=receiver.username,
                       to_name=receiver.display_name, from_team=case.team, to_team=team, reason=reason,
                       by_username=actor.username))
        case.spoc_username, case.spoc_name, case.team = receiver.username, receiver.display_name, team

    @staticmethod
    def _person_in_team(s: Session, person_id: int, team: str) -> int:
        """The record ``team`` holds of this person (by a source id, or name and date of birth), or
        a new one copied from the record the case had."""
        person = s.get(Person, person_id)
        assert person is not None
        ids = s.execute(select(PersonIdentifier.source, PersonIdentifier.source_person_id)
                        .where(PersonIdentifier.person_id == person_id)).all()
        for source, source_person_id in ids:
            found = find_same_person(s, PersonClaim(source, source_person_id, "", "", None), team)
            if found is not None:
                return found
        found = find_same_person(s, PersonClaim("", None, person.forename, person.surname,
                                                person.date_of_birth), team)
        if found is not None:
            return found
        copy = Person(team=team, forename=person.forename, surname=person.surname, name_key=person.name_key,
                      date_of_birth=person.date_of_birth, copied_from=person.id)
        s.add(copy)
        s.flush()
        s.add_all(PersonIdentifier(person_id=copy.id, team=team, source=source, source_person_id=spid)
                  for source, spid in ids)
        return copy.id

    # --- allocation -----------------------------------------------------------------------------

    def _allocation_teams(self, actor: Actor) -> list[str]:
        """The teams whose cases the actor may reallocate: those they supervise, or (an
        administrator) every team holding a case."""
        teams = teams_for(actor, "reallocate")
        if teams is not None:
            return list(teams)
        with self._tx() as s:
            return [str(t) for t in s.scalars(select(Case.team).distinct().order_by(Case.team)).all()]

    def _allocation_team(self, actor: Actor, team: str | None) -> str:
        teams = self._allocation_teams(actor)
        if team is None or not team.strip():
            if teams:
                return teams[0]
            raise InvalidInput({"team": "Choose a team"})
        if team not in teams and teams_for(actor, "reallocate") is not None:
            raise InvalidInput({"team": "Choose one of the teams you supervise"})
        return team

    def allocation(self, actor: Actor, team: str | None = None, *, from_username: str | None = None,
                   page: int = 1, page_size: int = ALLOCATION_PAGE) -> AllocationPage:
        """A team's caseworkers with each one's open caseload (and anyone else still holding its
        open cases, such as someone who has left), and the open cases of one of them to move, a
        page at a time (oldest first)."""
        page, page_size = max(1, page), min(max(1, page_size), MAX_REALLOCATION)
        team = self._allocation_team(actor, team)
        staff = {c.username: c for c in self.staff.team_caseworkers(team)}
        today = self.today()
        late = (select(Entitlement.case_id).where(Entitlement.status == "open", Entitlement.due_on < today)
                .distinct().subquery())
        with self._tx() as s:
            loads = {u: (int(n), int(o)) for u, n, o in s.execute(
                select(Case.spoc_username, func.count(), func.count(late.c.case_id))
                .outerjoin(late, late.c.case_id == Case.id)
                .where(Case.team == team, Case.status == "open").group_by(Case.spoc_username)).all()}
            rows = [CaseloadRow(username=c.username, display_name=c.display_name, role=c.role,
                                open_cases=loads.get(c.username, (0, 0))[0],
                                overdue_cases=loads.get(c.username, (0, 0))[1]) for c in staff.values()]
            names = dict(s.execute(select(Case.spoc_username, func.max(Case.spoc_name)).where(
                Case.team == team, Case.status == "open").group_by(Case.spoc_username)).all())
            rows += [CaseloadRow(username=u, display_name=str(names.get(u) or u), role="not a caseworker "
                                 "of this team", open_cases=n, overdue_cases=o)
                     for u, (n, o) in sorted(loads.items(), key=lambda kv: str(kv[0]))
                     if u is not None and u not in staff]
            cases: list[AllocationCase] = []
            held = 0
            if from_username:
                theirs = select(Case).where(Case.team == team, Case.status == "open",
                                            Case.spoc_username == from_username)
                held = s.scalar(select(func.count()).select_from(theirs.subquery())) or 0
                cases = [AllocationCase(id=c.id, reference=case_reference(c.id), role=c.role,
                                        crime_id=c.crime_id, spoc_username=c.spoc_username,
                                        spoc_name=c.spoc_name, opened_on=c.opened_on, version=c.version)
                         for c in s.scalars(theirs.order_by(Case.id).limit(page_size)
                                            .offset((page - 1) * page_size)).all()]
            self._audit(s, actor, "case.allocation_view", "team", team, "allocation",
                        cases=[c.id for c in cases])
        return AllocationPage(team=team, teams=self._allocation_teams(actor), caseworkers=rows, cases=cases,
                              from_username=from_username or None, cases_total=held, page=page,
                              page_size=page_size)

    def reallocate(self, actor: Actor, data: ReallocationIn) -> ReallocationResult:
        """Move one or many of a team's open cases to one of its caseworkers, each with a handover
        and its own audit event; all or nothing, and every case must be at the version seen."""
        team = self._allocation_team(actor, data.team)
        receiver = require_caseworker(self.staff, team, data.to_username, field="to_username")
        attempted = data.model_dump(mode="json")
        wanted = {c.case_id: c.version for c in data.cases}
        with self._tx() as s:
            found = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(wanted)).order_by(Case.id)
                                                .with_for_update()).all()}
            moved: list[int] = []
            for case_id, version in sorted(wanted.items()):
                case = found.get(case_id)
                if case is None or case.team != team:
                    raise NotFound("case", case_reference(case_id))
                if case.status != "open":
                    raise InvalidTransition(f"Case {case_reference(case_id)} is closed: it cannot be "
                                            "reallocated.")
                self._expect("case", case_reference(case_id), case.version, version, attempted)
                if case.spoc_username == receiver.username:
                    continue
                from_username = case.spoc_username
                self._assign(s, actor, case, receiver, team, data.reason)
                self._audit(s, actor, "case.reallocate", "case", case.id, from_username=from_username,
                            to_username=receiver.username, team=team)
                moved.append(case.id)
            self._flush(s, "case", "in this reallocation", attempted)
        return ReallocationResult(to_username=receiver.username, to_name=receiver.display_name, cases=moved)

    # --- possible duplicates across teams -------------------------------------------------------

    def _duplicates_query(self, actor: Actor) -> Select[Any]:
        teams = teams_for(actor, "review_duplicates")
        query = select(PossibleDuplicate)
        if teams is not None:
            query = query.where(PossibleDuplicate.team.in_(teams), PossibleDuplicate.other_team.in_(teams))
        return query

    def possible_duplicates(self, actor: Actor, *, purpose: Purpose | None = None,
                            stated_in: int | None = None, status: str = "open") -> DuplicateList:
        """Possible duplicates across teams, for a supervisor of both teams or an administrator.

        The list shows two teams' people, so it needs a reason for access as a case does (the
        reviewer is nobody's allocated caseworker here): ``purpose``, or ``stated_in`` citing the
        reason stated for the list in this session, else ``PurposeRequired`` before anything is read.
        """
        with self._tx() as s:
            query = self._duplicates_query(actor)
            used = self.reasons.resolve(s, actor, "possible_duplicate", DUPLICATE_LIST, given=purpose,
                                        stated_in=stated_in)
            flags = s.scalars(query.where(PossibleDuplicate.status == status)
                              .order_by(PossibleDuplicate.id).limit(200)).all()
            views = [self._duplicate_view(s, f) for f in flags]
            self._audit(s, actor, "possible_duplicate.list", "possible_duplicate", DUPLICATE_LIST, used.text,
                        duplicates=[f.id for f in flags], **used.audit_detail())
        return DuplicateList(duplicates=views)

    def state_duplicates_purpose(self, actor: Actor, purpose: Purpose) -> int:
        """Record the reason given for reviewing possible duplicates (page:
        ``/cases/duplicates/reason``); the id of its audit event, which the list and its decisions
        cite as ``stated_in`` for the next ``reuse_minutes``."""
        with self._tx() as s:
            self._duplicates_query(actor)  # only a reviewer of duplicates states a reason for them
            return self.reasons.stated(s, actor, "possible_duplicate", DUPLICATE_LIST, purpose)

    def decide_duplicate(self, actor: Actor, duplicate_id: int, data: DuplicateDecisionIn, *,
                         expected_version: int, purpose: Purpose | None = None,
                         stated_in: int | None = None) -> PossibleDuplicateView:
        """Record whether the two records are the same person; the cases stay with their teams,
        who may then hand over or coordinate. Needs the reason for access the list needs (its
        answer shows both people again), recorded with the decision."""
        attempted = data.model_dump(mode="json")
        with self._tx() as s:
            flag = s.scalar(self._duplicates_query(actor).where(PossibleDuplicate.id == duplicate_id)
                            .with_for_update())
            if flag is None:
                raise NotFound("possible duplicate", duplicate_id)
            used = self.reasons.resolve(s, actor, "possible_duplicate", DUPLICATE_LIST, given=purpose,
                                        stated_in=stated_in)
            self._expect("possible duplicate", duplicate_id, flag.version, expected_version, attempted)
            flag.status, flag.note = data.decision, data.note or None
            flag.decided_by, flag.decided_at = actor.username, datetime.now(UTC).replace(tzinfo=None)
            self._flush(s, "possible duplicate", duplicate_id, attempted)
            self._audit(s, actor, "possible_duplicate.decide", "possible_duplicate", flag.id, used.text,
                        decision=data.decision, **used.audit_detail())
            return self._duplicate_view(s, flag)

    @staticmethod
    def _duplicate_view(s: Session, flag: PossibleDuplicate) -> PossibleDuplicateView:
        def side(person_id: int, team: str) -> DuplicateSide:
            person = s.get(Person, person_id)
            assert person is not None
            cases = s.scalars(select(Case.id).where(Case.person_id == person_id).order_by(Case.id)).all()
            return DuplicateSide(team=team, forename=person.forename, surname=person.surname,
                                 date_of_birth=person.date_of_birth, cases=[case_reference(c) for c in cases])
        return PossibleDuplicateView(id=flag.id, matched_on=flag.matched_on, status=flag.status,
                                     flagged_at=flag.flagged_at, decided_by=flag.decided_by, note=flag.note,
                                     version=flag.version, person=side(flag.person_id, flag.team),
                                     other=side(flag.other_person_id, flag.other_team))

    # --- onward referrals -----------------------------------------------------------------------

    def refer_onward(self, actor: Actor, case_id: int, data: OnwardReferralIn
                     ) -> OnwardReferralView | ApprovalView:
        """Refer the person on; to a service ``casework.toml`` lists, a caseworker's referral waits
        for a supervisor's approval (the approval is returned instead)."""
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            self._check_dates(case, data)
            if casework.onward_needs_approval(actor, data.service):
                approval = casework.request_onward(s, actor, case, data.model_dump(mode="json"))
                self._audit(s, actor, "approval.request", "case", case.id, approval=approval.id,
                            requested="onward_referral")
                return ApprovalView.model_validate(approval).model_copy(
                    update={"reference": case_reference(case.id)})
            return self._send_onward(s, actor, case, data)

    def _send_onward(self, s: Session, actor: Actor, case: Case,
                     data: OnwardReferralIn) -> OnwardReferralView:
        onward = OnwardReferral(case_id=case.id, service=data.service, provider=data.provider,
                                status="sent", sent_on=data.sent_on, status_on=data.sent_on,
                                sent_by=actor.username)
        s.add(onward)
        s.flush()
        clocks.meet_by_action(s, case.id, "onward_referral_sent", data.sent_on, actor.username, self.code)
        self._audit(s, actor, "onward_referral.send", "case", case.id, onward_referral=onward.id,
                    service=data.service)
        return OnwardReferralView.model_validate(onward)

    def update_onward_referral(self, actor: Actor, onward_referral_id: int, data: OnwardReferralUpdate, *,
                               expected_version: int) -> OnwardReferralView:
        attempted = data.model_dump(mode="json")
        with self._tx() as s:
            onward = s.get(OnwardReferral, onward_referral_id)
            if onward is None:
                raise NotFound("referral", onward_referral_id)
            case = self._case(s, actor, onward.case_id, change=True)
            self._expect("referral", onward.id, onward.version, expected_version, attempted)
            if data.status not in TRANSITIONS[onward.status]:
                raise InvalidInput({"status": f"A referral that is {onward.status} cannot become "
                                              f"{data.status}"})
            if data.status_on < onward.sent_on:
                raise InvalidInput({"status_on": "The date cannot be before the referral was sent"})
            onward.status, onward.status_on = data.status, data.status_on
            onward.outcome = data.outcome or None
            self._flush(s, "referral", onward.id, attempted)
            self._audit(s, actor, "onward_referral.update", "case", case.id, onward_referral=onward.id,
                        status=data.status)
            return OnwardReferralView.model_validate(onward)

    # --- events and entitlements ----------------------------------------------------------------

    def record_event(self, actor: Actor, case_id: int, data: CaseEventIn) -> list[EntitlementView]:
        """Record what happened (charge, bail, hearing date, outcome...); start the clocks it starts."""
        if data.kind not in self.code.events or data.kind in SERVICE_EVENTS:
            raise InvalidInput({"kind": "Select what happened from the list"})
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            created = self._event(s, actor, case, data.kind, data.occurred_on, data.note or None)
            self._audit(s, actor, "case_event.record", "case", case.id, kind=data.kind,
                        entitlements=[e.id for e in created])
            today = self.today()
            return [self._entitlement_view(e, today) for e in created]

    def _event(self, s: Session, actor: Actor, case: Case, kind: str, on: date,
               note: str | None) -> list[Entitlement]:
        event = CaseEvent(case_id=case.id, kind=kind, occurred_on=on, note=note, recorded_by=actor.username)
        s.add(event)
        s.flush()
        casework.after_event(s, case, event, self.calendar, self.checklist)
        return clocks.start_clocks(s, case, event, self.code, self.calendar)

    def mark_entitlement_met(self, actor: Actor, entitlement_id: int, data: EntitlementMetIn, *,
                             expected_version: int) -> EntitlementView:
        attempted = data.model_dump(mode="json")
        with self._tx() as s:
            entitlement, case = self._record_for_change(s, actor, Entitlement, entitlement_id, "entitlement")
            self._expect("entitlement", entitlement.id, entitlement.version, expected_version, attempted)
            if entitlement.status != "open":
                raise InvalidInput({"met_on": f"This entitlement is already {entitlement.status}"})
            if data.met_on < entitlement.clock_start:
                raise InvalidInput({"met_on": "The date met cannot be before the clock started on "
                                              f"{entitlement.clock_start:%d %B %Y}"})
            entitlement.status, entitlement.met_on = "met", data.met_on
            entitlement.met_by, entitlement.note = actor.username, data.note or None
            self._flush(s, "entitlement", entitlement.id, attempted)
            self._audit(s, actor, "entitlement.met", "case", case.id, entitlement=entitlement.id,
                        on_time=entitlement.due_on is None or data.met_on <= entitlement.due_on)
            return self._entitlement_view(entitlement, self.today())

    def set_enhanced_rights(self, actor: Actor, case_id: int, reasons: list[str], *,
                            expected_version: int) -> None:
        """Record the reasons for enhanced rights; running clocks move to the matching deadline."""
        allowed = {"serious_crime", "persistently_targeted", "vulnerable_or_intimidated"}
        if not set(reasons) <= allowed:
            raise InvalidInput({"enhanced_rights": "Select the reasons from the list"})
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            self._expect("case", case_reference(case_id), case.version, expected_version,
                         {"enhanced_rights": reasons})
            case.enhanced_rights = sorted(set(reasons))
            clocks.recompute_due_dates(case, self._open_entitlements(s, case.id), self.code, self.calendar)
            self._flush(s, "case", case_reference(case_id), {"enhanced_rights": reasons})
            self._audit(s, actor, "case.enhanced_rights", "case", case.id, enhanced=case.enhanced)

    # --- witness pre-trial support --------------------------------------------------------------

    def save_witness_support(self, actor: Actor, case_id: int, data: WitnessSupportIn, *,
                             expected_version: int | None) -> WitnessSupportView:
        attempted = data.model_dump(mode="json")
        values = data.model_dump()
        try:
            with self._tx() as s:
                case = self._case(s, actor, case_id, change=True)
                self._check_dates(case, data)
                support = s.scalar(select(WitnessSupport).where(WitnessSupport.case_id == case.id))
                newly_decided = data.special_measures_decided_on is not None
                if support is None:
                    self._expect("witness support", case_reference(case_id), 0, expected_version or 0,
                                 attempted)
                    support = WitnessSupport(case_id=case.id, **values)
                    s.add(support)
                else:
                    self._expect("witness support", case_reference(case_id), support.version,
                                 expected_version, attempted)
                    newly_decided = newly_decided and support.special_measures_decided_on is None
                    for name, value in values.items():
                        setattr(support, name, value)
                self._flush(s, "witness support", case_reference(case_id), attempted)
                if newly_decided and data.special_measures_decided_on is not None:
                    self._event(s, actor, case, "special_measures_decision", data.special_measures_decided_on,
                                None)
                self._audit(s, actor, "witness_support.save", "case", case.id, version=support.version)
                return WitnessSupportView.model_validate(support)
        except IntegrityError:
            raise StaleEdit("witness support", case_reference(case_id), attempted=attempted) from None

    def add_court_date(self, actor: Actor, case_id: int, data: CourtDateIn) -> CourtDateView:
        """A hearing date received today: it starts the Right 8 clock to tell the person."""
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            self._check_dates(case, data)
            court = CourtDate(case_id=case.id, **data.model_dump())
            s.add(court)
            s.flush()
            self._event(s, actor, case, "hearing_date_set", self.today(),
                        f"{data.hearing_type.replace('_', ' ')} on {data.hearing_on:%d %B %Y}")
            self._audit(s, actor, "court_date.add", "case", case.id, court_date=court.id)
            return CourtDateView.model_validate(court)

    def add_expense(self, actor: Actor, case_id: int, data: ExpenseIn) -> ExpenseView:
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            self._check_dates(case, data)
            claim = ExpenseClaim(case_id=case.id, kind=data.kind, amount_pence=int(data.amount * 100),
                                 claimed_on=data.claimed_on, status="submitted")
            s.add(claim)
            s.flush()
            self._audit(s, actor, "expense.add", "case", case.id, expense=claim.id)
            return ExpenseView.model_validate(claim)

    def update_expense(self, actor: Actor, expense_id: int, data: ExpenseStatusIn, *,
                       expected_version: int) -> ExpenseView:
        attempted = data.model_dump(mode="json")
        with self._tx() as s:
            claim = s.get(ExpenseClaim, expense_id)
            if claim is None:
                raise NotFound("expense claim", expense_id)
            case = self._case(s, actor, claim.case_id, change=True)
            self._expect("expense claim", claim.id, claim.version, expected_version, attempted)
            if claim.status != "submitted":
                raise InvalidInput({"status": f"This claim is already {claim.status}"})
            claim.status = data.status
            self._flush(s, "expense claim", claim.id, attempted)
            self._audit(s, actor, "expense.update", "case", case.id, expense=claim.id, status=data.status)
            return ExpenseView.model_validate(claim)

    # --- consent and contact --------------------------------------------------------------------

    def set_consent(self, actor: Actor, case_id: int, data: ConsentIn, *,
                    expected_version: int | None) -> ConsentView:
        attempted = data.model_dump(mode="json")
        try:
            with self._tx() as s:
                case = self._case(s, actor, case_id, change=True)
                consent = s.scalar(select(Consent).where(Consent.case_id == case.id,
                                                         Consent.recipient == data.recipient))
                if consent is None:
                    self._expect("consent", data.recipient, 0, expected_version or 0, attempted)
                    consent = Consent(case_id=case.id, recorded_on=self.today(), recorded_by=actor.username,
                                      **data.model_dump())
                    s.add(consent)
                else:
                    self._expect("consent", data.recipient, consent.version, expected_version, attempted)
                    consent.share_contact_details = data.share_contact_details
                    consent.share_assessment = data.share_assessment
                    consent.share_case_details = data.share_case_details
                    consent.recorded_on, consent.recorded_by = self.today(), actor.username
                self._flush(s, "consent", data.recipient, attempted)
                self._audit(s, actor, "consent.set", "case", case.id, recipient=data.recipient)
                return ConsentView.model_validate(consent)
        except IntegrityError:
            raise StaleEdit("consent", data.recipient, attempted=attempted) from None

    def set_contact_preferences(self, actor: Actor, case_id: int, data: ContactPreferencesIn, *,
                                expected_version: int) -> None:
        attempted = data.model_dump(mode="json")
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            self._expect("case", case_reference(case_id), case.version, expected_version, attempted)
            unsafe = casework.preference_errors(s, case.id, data)
            if unsafe:
                raise InvalidInput(unsafe)
            case.contact_preference = data.contact_preference
            case.phone, case.email = data.phone or None, data.email or None
            case.safe_to_leave_message = data.safe_to_leave_message
            self._flush(s, "case", case_reference(case_id), attempted)
            self._audit(s, actor, "contact_preferences.set", "case", case.id)

    def log_contact(self, actor: Actor, case_id: int, data: ContactIn) -> ContactView:
        """Log a contact; reaching out other than as the person asked needs a stated reason."""
        with self._tx() as s:
            case = self._case(s, actor, case_id, change=True)
            self._check_dates(case, data)
            unsafe = casework.contact_errors(s, case.id, data)
            if unsafe:
                raise InvalidInput(unsafe)
            if data.direction == "outbound" and not data.preference_override:
                if case.contact_preference == "none":
                    raise InvalidInput({"preference_override": "They asked not to be contacted: say why "
                                                               "you needed to"})
                if data.channel not in (case.contact_preference, "in_person"):
                    raise InvalidInput({"preference_override": "They asked to be contacted by "
                                        f"{case.contact_preference}: say why you used {data.channel}"})
            contact = ContactLog(case_id=case.id, occurred_on=data.occurred_on, channel=data.channel,
                                 direction=data.direction, summary=data.summary,
                                 preference_override=data.preference_override or None,
                                 left_message=data.left_message, time_of_contact=data.time_of_contact or None,
                                 by_username=actor.username)
            s.add(contact)
            s.flush()
            self._audit(s, actor, "contact.log", "case", case.id, contact=contact.id)
            return ContactView.model_validate(contact)

    # --- closing --------------------------------------------------------------------------------

    def close_case(self, actor: Actor, case_id: int, data: CloseIn, *, expected_version: int) -> Outcome:
        """Close the case with an outcome (``casework.toml``) and the person's feedback; a role that
        needs a supervisor's approval to close asks for it instead (``casework.request_close``)."""
        return casework.request_close(self, actor, case_id, data, expected_version=expected_version)
