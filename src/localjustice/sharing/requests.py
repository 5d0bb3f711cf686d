"""Data requests under an agreement: an analyst asks, a data reviewer decides (approve, refuse or
return with comments), and an approval grants time-limited access to exactly the datasets named.

A request must fall inside its agreement (MoU 5.1, "proportionate"): only the agreement's
datasets, purposes, levels and parties, while it is in force. Each step has a deadline in working
days (``workflow.toml``, ``deadlines.py``). Every change writes an audit event; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.audit import record_event
from localjustice.errors import LocalJusticeError
from localjustice.sharing.agreements import agreement_by_code
from localjustice.sharing.deadlines import due_on
from localjustice.sharing.models import Agreement, DataRequest, Grant, RequestStep
from localjustice.sharing.rules import LEVELS, load_datasets, load_workflow

DECISIONS = ("approve", "refuse", "return")
_DECIDED_STATUS = {"approve": "approved", "refuse": "refused", "return": "returned"}
SUBJECT = "data_request"


class RequestInvalid(LocalJusticeError):
    """The request cannot be made as it stands; ``errors`` maps each field to what to change."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("The request cannot be made: " + "; ".join(errors.values()))
        self.errors = errors


class RequestNotFound(LocalJusticeError):
    """No such request, or not one the caller may act on."""


class RequestChanged(LocalJusticeError):
    """Someone changed the request since the form was opened: reload it and decide again."""


@dataclass(frozen=True)
class RequestForm:
    """What an analyst asks for. ``fields`` empty means every column of the datasets named."""

    agreement: str
    organisation: str
    purpose: str
    purpose_detail: str
    datasets: tuple[str, ...]
    level: str
    duration_days: int
    fields: tuple[str, ...] = field(default_factory=tuple)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def check_request(agreement: Agreement | None, form: RequestForm, today: date) -> dict[str, list[str]]:
    """The columns to grant per dataset, or ``RequestInvalid`` naming what falls outside the
    agreement (its datasets, purposes, levels, parties or period) or the workflow's limits."""
    errors: dict[str, str] = {}
    limits = load_workflow()
    if agreement is None:
        raise RequestInvalid({"agreement": "Choose the agreement the request falls under"})
    if today > agreement.expires_on:
        errors["agreement"] = (f"Agreement {agreement.code} expired on {agreement.expires_on:%d %B %Y}: "
                               "a request cannot be made under it")
    elif today < agreement.starts_on:
        errors["agreement"] = (f"Agreement {agreement.code} is in force from "
                               f"{agreement.starts_on:%d %B %Y}")
    if form.organisation not in agreement.parties:
        errors["organisation"] = (f"Choose one of the parties to {agreement.code}: "
                                  + ", ".join(agreement.parties))
    if form.purpose not in agreement.purposes:
        errors["purpose"] = (f"That purpose is outside agreement {agreement.code}; it allows "
                             + ", ".join(agreement.purposes))
    if not form.purpose_detail.strip():
        errors["purpose_detail"] = "Say what the data will be used for"
    elif len(form.purpose_detail) > limits.purpose_detail_max:
        errors["purpose_detail"] = f"Use {limits.purpose_detail_max} characters or fewer"
    outside = [d for d in form.datasets if d not in agreement.datasets]
    if not form.datasets:
        errors["datasets"] = "Choose at least one dataset"
    elif outside:
        errors["datasets"] = (f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} outside "
                              f"agreement {agreement.code}, which covers " + ", ".join(agreement.datasets))
    if form.level not in LEVELS:
        errors["level"] = "Choose aggregate or pseudonymous record-level"
    elif form.level not in agreement.levels:
        errors["level"] = f"Agreement {agreement.code} allows only {', '.join(agreement.levels)} data"
    if not 1 <= form.duration_days <= limits.max_duration_days:
        errors["duration_days"] = f"Ask for 1 to {limits.max_duration_days} days"
    columns = _columns(form, errors)
    if errors:
        raise RequestInvalid(errors)
    return columns


def _columns(form: RequestForm, errors: dict[str, str]) -> dict[str, list[str]]:
    datasets = load_datasets()
    chosen = [datasets[d] for d in form.datasets if d in datasets]
    wanted = [f.strip() for f in form.fields if f.strip()]
    known = {c for d in chosen for c in d.columns}
    unknown = [f for f in wanted if f not in known]
    if unknown and "datasets" not in errors:
        errors["fields"] = f"Not a field of the datasets chosen: {', '.join(unknown)}"
    columns = {d.name: [c for c in d.columns if not wanted or c in wanted] for d in chosen}
    empty = [name for name, cols in columns.items() if not cols]
    if empty and "fields" not in errors and "datasets" not in errors:
        errors["fields"] = f"None of the fields named is in {', '.join(empty)}"
    return columns


def _step(session: Session, request: DataRequest, actor: Actor, action: str, today: date,
          comment: str = "") -> None:
    session.add(RequestStep(request_id=request.id, action=action, actor=actor.username, role=actor.role,
                            day=today, at=_now(), comment=comment))


def _audit(session: Session, actor: Actor, action: str, request: DataRequest, **detail: object) -> None:
    record_event(session, actor=actor.username, role=actor.role, action=f"sharing.{action}",
                 subject_type=SUBJECT, subject_id=str(request.id), purpose="data request workflow",
                 detail={"agreement_id": request.agreement_id, "status": request.status, **detail})


def submit(session: Session, actor: Actor, form: RequestForm, today: date) -> DataRequest:
    """Record a new request, due for review ``working_days`` after today (audited)."""
    agreement = agreement_by_code(session, form.agreement)
    columns = check_request(agreement, form, today)
    assert agreement is not None
    stamp = _now()
    request = DataRequest(
        agreement_id=agreement.id, requester=actor.username, organisation=form.organisation,
        purpose=form.purpose, purpose_detail=form.purpose_detail.strip(), datasets=list(form.datasets),
        fields=columns, level=form.level, duration_days=form.duration_days, status="submitted",
        first_submitted_on=today, step_started_on=today,
        due_on=due_on(load_workflow().step("submitted"), today), created_at=stamp, updated_at=stamp)
    session.add(request)
    session.flush()
    _step(session, request, actor, "submitted", today)
    _audit(session, actor, "request_submitted", request, datasets=request.datasets, level=request.level)
    return request


def _held(session: Session, request_id: int, version: int | None) -> DataRequest:
    request = session.get(DataRequest, request_id, with_for_update=True)
    if request is None:
        raise RequestNotFound("No such request.")
    if version is not None and request.version != version:
        raise RequestChanged("This request changed since you opened it. Reload it and try again.")
    return request


def decide(session: Session, actor: Actor, request_id: int, decision: str, comment: str, today: date,
           *, version: int | None = None) -> DataRequest:
    """A reviewer's decision on a submitted request. Refusing or returning needs a comment; an
    approval of record-level data grants each dataset's columns from today for the duration asked,
    ending no later than the agreement (audited, with the grants)."""
    request = _held(session, request_id, version)
    errors: dict[str, str] = {}
    if request.status != "submitted":
        errors["decision"] = f"This request is {request.status}: only a submitted request can be decided"
    if request.requester == actor.username:
        errors["decision"] = "You cannot decide your own request"
    if decision not in DECISIONS:
        errors["decision"] = "Choose approve, refuse or return"
    comment = comment.strip()
    if decision in ("refuse", "return") and not comment:
        errors["comment"] = "Say why, for the requester"
    if len(comment) > load_workflow().comment_max:
        errors["comment"] = f"Use {load_workflow().comment_max} characters or fewer"
    agreement = session.get(Agreement, request.agreement_id)
    assert agreement is not None
    if decision == "approve" and today > agreement.expires_on:
        errors["decision"] = (f"Agreement {agreement.code} expired on {agreement.expires_on:%d %B %Y}: "
                              "refuse or return the request")
    if errors:
        raise RequestInvalid(errors)
    request.status = _DECIDED_STATUS[decision]
    request.updated_at = _now()
    request.step_started_on = today
    grants: list[Grant] = []
    if decision == "return":
        request.due_on = due_on(load_workflow().step("returned"), today)
    else:
        request.due_on = None
        request.decided_on, request.decided_by = today, actor.username
        if decision == "approve" and request.level == "pseudonymous":
            ends = min(today + timedelta(days=request.duration_days - 1), agreement.expires_on)
            grants = [Grant(request_id=request.id, username=request.requester, dataset=dataset,
                            columns=list(request.fields.get(dataset, [])), starts_on=today, ends_on=ends)
                      for dataset in request.datasets]
            session.add_all(grants)
    _step(session, request, actor, {"approve": "approved", "refuse": "refused", "return": "returned"}[
        decision], today, comment)
    session.flush()
    _audit(session, actor, "request_decided", request, decision=decision,
           grants=[{"id": g.id, "dataset": g.dataset, "ends_on": g.ends_on.isoformat()} for g in grants])
    return request


def resubmit(session: Session, actor: Actor, request_id: int, purpose_detail: str, comment: str,
             today: date, *, version: int | None = None) -> DataRequest:
    """The requester answers a return: the request is checked against its agreement again and
    goes back to the reviewers with a new deadline."""
    request = _held(session, request_id, version)
    if request.requester != actor.username:
        raise RequestNotFound("No such request.")
    if request.status != "returned":
        raise RequestInvalid({"comment": f"This request is {request.status}: only a returned request "
                                         "can be resubmitted"})
    if not comment.strip():
        raise RequestInvalid({"comment": "Say what you changed"})
    agreement = session.get(Agreement, request.agreement_id)
    detail = purpose_detail.strip() or request.purpose_detail
    check_request(agreement, RequestForm(
        agreement=agreement.code if agreement else "", organisation=request.organisation,
        purpose=request.purpose, purpose_detail=detail, datasets=tuple(request.datasets),
        level=request.level, duration_days=request.duration_days,
        fields=tuple(c for cols in request.fields.values() for c in cols)), today)
    request.purpose_detail = detail
    request.status, request.step_started_on = "submitted", today
    request.due_on = due_on(load_workflow().step("submitted"), today)
    request.updated_at = _now()
    _step(session, request, actor, "resubmitted", today, comment.strip())
    session.flush()
    _audit(session, actor, "request_resubmitted", request)
    return request


def requests_of(session: Session, username: str) -> list[DataRequest]:
    return list(session.scalars(select(DataRequest).where(DataRequest.requester == username)
                                .order_by(DataRequest.id.desc())))


def open_requests(session: Session, status: str = "submitted") -> list[DataRequest]:
    return list(session.scalars(select(DataRequest).where(DataRequest.status == status)
                                .order_by(DataRequest.due_on, DataRequest.id)))


def steps_of(session: Session, request_ids: list[int]) -> dict[int, list[RequestStep]]:
    found: dict[int, list[RequestStep]] = {i: [] for i in request_ids}
    if request_ids:
        for step in session.scalars(select(RequestStep).where(RequestStep.request_id.in_(request_ids))
                                    .order_by(RequestStep.id)):
            found[step.request_id].append(step)
    return found
