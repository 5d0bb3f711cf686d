"""Major-incident mode (MoU commitment V7): an incident, its people registered in bulk, triage,
shared access across teams while it is open, bulk communications and a dashboard.

``IncidentService`` works through the ``CaseService`` it is given: a registered person is a
referral into the coordinating team (the case service's own intake, so the same person twice joins
one case and every Victims' Code clock starts), in the caller's transaction. Every CSV row is kept
(``IncidentRow``): a row that fails validation is stored as rejected with a message per field, and
is fixed and resubmitted from its own page, so nothing sent is lost. Who reaches what:

* the incident: admins; caseworkers and supervisors of the coordinating team; caseworkers granted
  access, while it is open. Anyone else is told it does not exist (``NotFound``).
* creating one, granting access and closing it: a supervisor of the coordinating team, or an admin;
* registering, fixing rows and bulk messages: the coordinating team's caseworkers and supervisors,
  and admins, while it is open.
* its cases, for a granted caseworker of another team: through the case service's scope check
  (``incident_access``), which stops the moment the incident closes.

Bulk messages are logged as an outbound contact on each case reached; a case whose safe contact
plan refuses the message (``safe_contact.contact_refusals``), or whose person asked not to be
contacted (``contact_preference = 'none'``), is refused and kept with the reasons.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from localjustice.access import Actor
from localjustice.service.bulk_insert import insert_ids
from localjustice.service.cases import CaseService
from localjustice.service.casework import plan_of
from localjustice.service.casework_models import SafeContact
from localjustice.service.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound, StaleEdit
from localjustice.service.incident_access import granted_incidents
from localjustice.service.incident_models import (
    Incident,
    IncidentAccess,
    IncidentCase,
    IncidentMessage,
    IncidentMessageRefusal,
    IncidentNeed,
    IncidentRow,
    IncidentUpload,
)
from localjustice.service.incident_registration import register_people
from localjustice.service.incident_schemas import (
    CSV_COLUMNS,
    REQUIRED_COLUMNS,
    AccessGrantIn,
    AccessView,
    Count,
    IncidentCaseRow,
    IncidentDashboard,
    IncidentDetail,
    IncidentIn,
    IncidentPersonIn,
    IncidentView,
    MessageIn,
    MessageView,
    RefusedContact,
    RowView,
    UploadResult,
)
from localjustice.service.incident_triage import Triage, load_triage
from localjustice.service.models import Case, ContactLog, Entitlement, OnwardReferral, Person
from localjustice.service.safe_contact import contact_refusals
from localjustice.service.schemas import case_reference, parse_input
from localjustice.service.staff import CASEWORKING_ROLES, require_caseworker

PURPOSE = "major incident coordination"
#: The largest upload taken at once (bytes, rows): a bigger incident comes in several files.
MAX_BYTES, MAX_ROWS = 900_000, 5_000
#: How many days ahead the dashboard counts an entitlement as due soon.
DUE_SOON_DAYS = 5


def _message_refusals(plan: SafeContact | None, channel: str, time_sent: str | None) -> dict[str, str]:
    """Why a bulk message may not go to a case by its channel (none: it may)."""
    if channel == "none":
        return {"contact_preference": "They asked not to be contacted."}
    return contact_refusals(plan_of(plan), channel=channel, direction="outbound",
                            left_message=channel == "phone", time_of_contact=time_sent)


class IncidentService:
    def __init__(self, cases: CaseService, *, triage: Triage | None = None) -> None:
        self.cases = cases
        self.sessions = cases.sessions
        self.triage = triage or load_triage()

    # --- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        try:
            with self.sessions() as session, session.begin():
                yield session
        except StaleDataError:
            raise StaleEdit("incident record", "in this incident") from None

    def _audit(self, s: Session, actor: Actor, action: str, incident_id: int, **detail: Any) -> None:
        self.cases._audit(s, actor, action, "incident", incident_id, PURPOSE, **detail)

    @staticmethod
    def _in_team(actor: Actor, incident: Incident) -> bool:
        return actor.role == "admin" or (actor.role in CASEWORKING_ROLES
                                         and incident.coordinating_team in actor.teams)

    def _incident(self, s: Session, actor: Actor, incident_id: int, *, need: str = "view") -> Incident:
        """The incident, if the actor reaches it; ``need`` is 'view', 'work' or 'manage'."""
        incident = s.get(Incident, incident_id)
        if incident is None:
            raise NotFound("incident", incident_id)
        if not self._in_team(actor, incident) and incident_id not in granted_incidents(s, actor):
            raise NotFound("incident", incident_id)
        if need in ("work", "manage") and not self._in_team(actor, incident):
            raise NotAllowed("Only the coordinating team registers people and sends messages for an "
                             "incident; you have access to its cases.")
        if need == "manage" and actor.role not in ("admin", "supervisor"):
            raise NotAllowed("Only a supervisor of the coordinating team, or an admin, can do this.")
        if need in ("work", "manage") and incident.status != "open":
            raise InvalidTransition(f"Incident {incident_id} is closed: it cannot be changed.")
        return incident

    # --- the incident ---------------------------------------------------------------------------

    def create_incident(self, actor: Actor, data: IncidentIn) -> IncidentView:
        supervises = actor.role == "supervisor" and data.coordinating_team in actor.teams
        if actor.role != "admin" and not supervises:
            raise InvalidInput({"coordinating_team": "Choose a team you supervise"})
        with self._tx() as s:
            incident = Incident(name=data.name, occurred_on=data.occurred_on, kind=data.kind,
                                coordinating_team=data.coordinating_team, status="open",
                                opened_by=actor.username)
            s.add(incident)
            s.flush()
            self._audit(s, actor, "incident.open", incident.id, team=incident.coordinating_team)
            return IncidentView.model_validate(incident)

    def list_incidents(self, actor: Actor) -> list[IncidentView]:
        if actor.role not in (*CASEWORKING_ROLES, "admin"):
            raise NotAllowed("Your role cannot see incidents.")
        with self._tx() as s:
            query = select(Incident).order_by(Incident.status.desc(), Incident.id.desc())
            if actor.role != "admin":
                granted = granted_incidents(s, actor)
                query = query.where(Incident.coordinating_team.in_(actor.teams) | Incident.id.in_(granted))
            return [IncidentView.model_validate(i) for i in s.scalars(query).all()]

    def get_incident(self, actor: Actor, incident_id: int) -> IncidentDetail:
        """The incident with its people (names: audited, as the incident's caseload), its
        access grants, the rows still rejected and the messages sent."""
        with self._tx() as s:
            incident = self._incident(s, actor, incident_id)
            rows = s.execute(
                select(Case, Person.forename, Person.surname, IncidentCase.priority_group)
                .join(IncidentCase, IncidentCase.case_id == Case.id)
                .join(Person, Person.id == Case.person_id)
                .where(IncidentCase.incident_id == incident.id)
                .order_by(IncidentCase.priority_group, Case.id)).all()
            cases = [IncidentCaseRow(case_id=c.id, reference=case_reference(c.id), forename=f, surname=n,
                                     role=c.role, priority_group=g, priority_label=self.triage.label(g),
                                     status=c.status, spoc_name=c.spoc_name) for c, f, n, g in rows]
            access = s.scalars(select(IncidentAccess).where(IncidentAccess.incident_id == incident.id)
                               .order_by(IncidentAccess.id)).all()
            rejected = s.scalars(select(IncidentRow).where(IncidentRow.incident_id == incident.id,
                                                           IncidentRow.status == "rejected")
                                 .order_by(IncidentRow.upload_id, IncidentRow.row_number)).all()
            messages = s.scalars(select(IncidentMessage).where(IncidentMessage.incident_id == incident.id)
                                 .order_by(IncidentMessage.id.desc())).all()
            refusals: dict[int, list[tuple[int, dict[str, str]]]] = {}
            for refusal in s.scalars(select(IncidentMessageRefusal)
                                     .where(IncidentMessageRefusal.message_id.in_([m.id for m in messages]))
                                     .order_by(IncidentMessageRefusal.case_id)).all():
                refusals.setdefault(refusal.message_id, []).append((refusal.case_id, refusal.reasons))
            self._audit(s, actor, "incident.view", incident.id, cases=[c.case_id for c in cases],
                        rejected_rows=[r.id for r in rejected])
            return IncidentDetail(
                incident=IncidentView.model_validate(incident),
                access=[AccessView.model_validate(a) for a in access], cases=cases,
                rejected_rows=[RowView.model_validate(r) for r in rejected],
                messages=[self._message_view(m, refusals.get(m.id, [])) for m in messages],
                may_manage=self._in_team(actor, incident) and actor.role in ("admin", "supervisor"),
                groups=[(g.key, g.label) for g in self.triage.groups])

    def grant_access(self, actor: Actor, incident_id: int, data: AccessGrantIn) -> AccessView:
        """Give a caseworker of another team the incident's cases, until it closes."""
        worker = require_caseworker(self.cases.staff, data.team, data.username, field="username")
        with self._tx() as s:
            incident = self._incident(s, actor, incident_id, need="manage")
            if data.team == incident.coordinating_team:
                raise InvalidInput({"team": "The coordinating team already has the incident's cases"})
            grant = s.scalar(select(IncidentAccess).where(IncidentAccess.incident_id == incident.id,
                                                          IncidentAccess.username == worker.username))
            if grant is None:
                grant = IncidentAccess(incident_id=incident.id, username=worker.username,
                                       granted_by=actor.username)
                s.add(grant)
                s.flush()
                self._audit(s, actor, "incident.grant_access", incident.id, username=worker.username,
                            team=data.team)
            return AccessView.model_validate(grant)

    def close_incident(self, actor: Actor, incident_id: int, *, expected_version: int) -> IncidentView:
        """Close the incident: every access granted to other teams ends with it."""
        with self._tx() as s:
            incident = self._incident(s, actor, incident_id, need="manage")
            if incident.version != expected_version:
                raise StaleEdit("incident", incident_id, current_version=incident.version)
            incident.status, incident.closed_on = "closed", self.cases.today()
            s.flush()
            self._audit(s, actor, "incident.close", incident.id)
            return IncidentView.model_validate(incident)

    # --- registration ---------------------------------------------------------------------------

    def upload(self, actor: Actor, incident_id: int, *, filename: str, content: bytes,
               spoc_username: str) -> UploadResult:
        """Register the people of a CSV: each row validated and each kept, the bad ones as rejected
        with their reasons; the good ones registered together (``incident_registration``: one bulk
        INSERT per table). All of it in one transaction: a failure part-way leaves nothing."""
        rows = self._read_csv(content)
        try:
            with self._tx() as s:
                incident = self._incident(s, actor, incident_id, need="work")
                spoc = require_caseworker(self.cases.staff, incident.coordinating_team, spoc_username,
                                          field="spoc_username")
                checked = [(number, values, *self._validate(incident, values)) for number, values in rows]
                valid = [person for _, _, person, _ in checked if person is not None]
                registered = iter(register_people(s, self.cases, actor, incident, spoc, valid, self.triage))
                upload = IncidentUpload(incident_id=incident.id, filename=filename[:200] or "upload.csv",
                                        uploaded_by=actor.username, spoc_username=spoc.username,
                                        rows=len(rows))
                s.add(upload)
                s.flush()
                stored: list[dict[str, Any]] = [
                    {"upload_id": upload.id, "incident_id": incident.id, "row_number": number,
                     "values": values, "status": "registered" if person else "rejected", "errors": errors,
                     "case_id": next(registered) if person else None, "updated_by": actor.username,
                     "version": 1} for number, values, person, errors in checked]
                ids = insert_ids(s, IncidentRow, stored, ("upload_id", "row_number")) if stored else []
                rejected = [RowView.model_validate({"id": i, **r}) for i, r in zip(ids, stored, strict=True)
                            if r["status"] == "rejected"]
                self._audit(s, actor, "incident.upload", incident.id, upload=upload.id, rows=len(stored),
                            rejected=len(rejected))
                return UploadResult(upload_id=upload.id, rows=len(stored),
                                    registered=len(stored) - len(rejected), rejected=len(rejected),
                                    rejected_rows=rejected)
        except IntegrityError:
            raise InvalidInput({"file": "Someone registered some of these people at the same moment, so "
                                        "nothing from this file was registered: upload it again"}) from None

    @staticmethod
    def _read_csv(content: bytes) -> list[tuple[int, dict[str, str]]]:
        """The data rows (numbered as a spreadsheet shows them: the header is row 1), as text."""
        if len(content) > MAX_BYTES:
            raise InvalidInput({"file": f"The file is larger than {MAX_BYTES // 1000} KB: split it"})
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput({"file": "The file must be a CSV saved as UTF-8"}) from None
        try:
            return IncidentService._rows(csv.reader(io.StringIO(text)))
        except csv.Error:
            raise InvalidInput({"file": "The file could not be read: save it as CSV (UTF-8)"}) from None

    @staticmethod
    def _rows(reader: Iterator[list[str]]) -> list[tuple[int, dict[str, str]]]:
        header = [h.strip().lower() for h in next(reader, [])]
        if not header:
            raise InvalidInput({"file": "The file is empty"})
        unknown = [h for h in header if h not in CSV_COLUMNS]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if unknown or missing or len(set(header)) != len(header):
            problems = ([f"unknown columns {', '.join(unknown)}"] if unknown else []) + (
                [f"missing columns {', '.join(missing)}"] if missing else []) + (
                ["a column named twice"] if len(set(header)) != len(header) else [])
            raise InvalidInput({"file": f"Check the header row: {'; '.join(problems)}. The columns are "
                                        f"{', '.join(CSV_COLUMNS)}"})
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
            if len(cells) > len(header):
                values["_extra"] = ",".join(cells[len(header):])
            rows.append((number, values))
            if len(rows) > MAX_ROWS:
                raise InvalidInput({"file": f"The file has more than {MAX_ROWS} rows: split it"})
        return rows

    def _validate(self, incident: Incident, values: Mapping[str, str]) -> tuple[IncidentPersonIn | None,
                                                                                dict[str, str]]:
        if values.get("_extra"):
            return None, {"row": "The row has more cells than the header has columns"}
        given = {k: v for k, v in values.items() if k in CSV_COLUMNS and v != ""}
        # checks across fields, on the text as given, so a row shows all its problems at once
        errors: dict[str, str] = {}
        preference = given.get("contact_preference", "phone").lower()
        if preference == "phone" and not given.get("phone"):
            errors["phone"] = "Give a phone number, or another way to contact them"
        if preference == "email" and "@" not in given.get("email", ""):
            errors["email"] = "Give an email address like name@example.com, or another way to contact them"
        try:
            person = parse_input(IncidentPersonIn, given, today=incident.occurred_on)
        except InvalidInput as exc:
            return None, {**exc.errors, **errors}
        if person.date_of_birth > incident.occurred_on:
            errors["date_of_birth"] = "The date of birth must be on or before the day of the incident"
        return (None, errors) if errors else (person, {})

    def fix_row(self, actor: Actor, row_id: int, values: Mapping[str, str], *,
                expected_version: int) -> RowView:
        """Resubmit a rejected row with corrections: registered if it now passes, else kept
        rejected with the corrected values and the remaining reasons (nothing typed is lost)."""
        try:
            return self._fix_row(actor, row_id, values, expected_version=expected_version)
        except IntegrityError:
            raise InvalidInput({"row": "Someone registered this person at the same moment, so nothing was "
                                       "saved: resubmit the row"}) from None

    def _fix_row(self, actor: Actor, row_id: int, values: Mapping[str, str], *,
                 expected_version: int) -> RowView:
        with self._tx() as s:
            row = s.get(IncidentRow, row_id)
            if row is None:
                raise NotFound("row", row_id)
            incident = self._incident(s, actor, row.incident_id, need="work")
            if row.version != expected_version:
                raise StaleEdit("row", row_id, attempted=dict(values), current_version=row.version)
            if row.status != "rejected":
                raise InvalidTransition(f"Row {row.row_number} is already registered.")
            upload = s.get(IncidentUpload, row.upload_id)
            assert upload is not None
            spoc = require_caseworker(self.cases.staff, incident.coordinating_team, upload.spoc_username,
                                      field="spoc_username")
            row.values = {k: str(values.get(k, "")).strip() for k in CSV_COLUMNS}
            row.updated_by = actor.username
            person, errors = self._validate(incident, row.values)
            if person is None:
                row.errors = errors
            else:
                (row.case_id,) = register_people(s, self.cases, actor, incident, spoc, [person], self.triage)
                row.status, row.errors = "registered", {}
            s.flush()
            self._audit(s, actor, "incident.fix_row", incident.id, row=row.id, status=row.status)
            return RowView.model_validate(row)

    def get_row(self, actor: Actor, row_id: int) -> RowView:
        with self._tx() as s:
            row = s.get(IncidentRow, row_id)
            if row is None:
                raise NotFound("row", row_id)
            incident = self._incident(s, actor, row.incident_id)
            if not self._in_team(actor, incident):
                raise NotFound("row", row_id)
            self._audit(s, actor, "incident.view_row", incident.id, row=row.id)
            return RowView.model_validate(row)

    # --- communications -------------------------------------------------------------------------

    def send_message(self, actor: Actor, incident_id: int, data: MessageIn) -> MessageView:
        """Log one outbound contact, by each person's own channel, on every open case of the
        incident (or of one priority group) whose safe contact plan allows it; refuse the rest,
        each with the reason, kept with the message.

        Each case is checked by the one rule every contact path uses (``safe_contact``): a bulk
        message to a phone is a text or voicemail, so it is a message left (a plan saying not to
        leave messages refuses it), sent at ``time_sent`` (checked against a safe window); an
        email needs it to be safe to email; a letter needs a safe address. Those who asked not to
        be contacted are refused too. The contacts and the refusals go in as one bulk INSERT each.
        """
        if data.priority_group and data.priority_group not in {g.key for g in self.triage.groups}:
            raise InvalidInput({"priority_group": "Choose a priority group from the list"})
        with self._tx() as s:
            incident = self._incident(s, actor, incident_id, need="work")
            targets = (select(Case.id, Case.contact_preference, SafeContact)
                       .join(IncidentCase, IncidentCase.case_id == Case.id)
                       .outerjoin(SafeContact, SafeContact.case_id == Case.id)
                       .where(IncidentCase.incident_id == incident.id, Case.status == "open")
                       .order_by(Case.id))
            if data.priority_group:
                targets = targets.where(IncidentCase.priority_group == data.priority_group)
            reached: list[tuple[int, str]] = []
            refused: list[tuple[int, dict[str, str]]] = []
            for case_id, channel, plan in s.execute(targets).all():
                reasons = _message_refusals(plan, channel, data.time_sent or None)
                if reasons:
                    refused.append((case_id, reasons))
                else:
                    reached.append((case_id, channel))
            message = IncidentMessage(incident_id=incident.id, summary=data.summary,
                                      priority_group=data.priority_group or None, sent_on=data.sent_on,
                                      sent_by=actor.username, sent=len(reached), withheld=len(refused))
            s.add(message)
            s.flush()
            if reached:
                s.execute(insert(ContactLog), [
                    {"case_id": case_id, "occurred_on": data.sent_on, "channel": channel,
                     "direction": "outbound", "summary": data.summary, "incident_message_id": message.id,
                     "left_message": channel == "phone", "time_of_contact": data.time_sent or None,
                     "by_username": actor.username} for case_id, channel in reached])
            if refused:
                s.execute(insert(IncidentMessageRefusal), [
                    {"message_id": message.id, "case_id": case_id, "reasons": reasons}
                    for case_id, reasons in refused])
            self._audit(s, actor, "incident.message", incident.id, message=message.id, sent=len(reached),
                        withheld=len(refused), refused_cases=[c for c, _ in refused])
            return self._message_view(message, refused)

    @staticmethod
    def _message_view(message: IncidentMessage, refused: list[tuple[int, dict[str, str]]]) -> MessageView:
        return MessageView(id=message.id, summary=message.summary, priority_group=message.priority_group,
                           sent_on=message.sent_on, sent_by=message.sent_by, sent=message.sent,
                           withheld=message.withheld,
                           refused=[RefusedContact(case_id=c, reference=case_reference(c),
                                                   reasons=list(r.values())) for c, r in refused])

    # --- dashboard ------------------------------------------------------------------------------

    def dashboard(self, actor: Actor, incident_id: int) -> IncidentDashboard:
        """Counts only: cases by status, rows by status, priority groups, needs, onward referrals
        by status, and the incident's Victims' Code deadlines (each one SQL aggregate)."""
        today = self.cases.today()
        with self._tx() as s:
            incident = self._incident(s, actor, incident_id)
            of_incident = select(IncidentCase.case_id).where(IncidentCase.incident_id == incident.id)

            def counts(query: Select[Any, int], label: Any = None) -> list[Count]:
                return [Count(key=str(k), label=(label(str(k)) if label else str(k).replace("_", " ")),
                              count=int(n)) for k, n in s.execute(query).all()]

            by_status = counts(select(Case.status, func.count()).where(Case.id.in_(of_incident))
                               .group_by(Case.status).order_by(Case.status))
            rows = counts(select(IncidentRow.status, func.count())
                          .where(IncidentRow.incident_id == incident.id)
                          .group_by(IncidentRow.status).order_by(IncidentRow.status))
            groups = counts(select(IncidentCase.priority_group, func.count())
                            .where(IncidentCase.incident_id == incident.id)
                            .group_by(IncidentCase.priority_group).order_by(IncidentCase.priority_group),
                            self.triage.label)
            needs = counts(select(IncidentNeed.need, func.count())
                           .where(IncidentNeed.incident_id == incident.id)
                           .group_by(IncidentNeed.need).order_by(IncidentNeed.need))
            onward = counts(select(OnwardReferral.status, func.count())
                            .where(OnwardReferral.case_id.in_(of_incident))
                            .group_by(OnwardReferral.status).order_by(OnwardReferral.status))
            state = case(
                (Entitlement.status == "met", case((Entitlement.met_on <= Entitlement.due_on, "met_on_time"),
                                                   (Entitlement.due_on.is_(None), "met_on_time"),
                                                   else_="met_late")),
                (Entitlement.status != "open", "not_applicable"),
                (Entitlement.due_on < today, "overdue"),
                (Entitlement.due_on <= date.fromordinal(today.toordinal() + DUE_SOON_DAYS), "due_soon"),
                else_="due_later")
            deadlines = counts(select(state, func.count()).where(Entitlement.case_id.in_(of_incident))
                               .group_by(state).order_by(state))
            messages = s.scalar(select(func.count()).where(IncidentMessage.incident_id == incident.id)) or 0
            self._audit(s, actor, "incident.dashboard", incident.id)
            return IncidentDashboard(incident=IncidentView.model_validate(incident),
                                     cases_by_status=by_status, rows_by_status=rows,
                                     priority_groups=groups, needs=needs,
                                     onward_referrals=onward, deadlines=deadlines, messages=int(messages))
