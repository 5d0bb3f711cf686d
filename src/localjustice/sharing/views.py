"""What the data-sharing pages show (each a pydantic model, so every page has its JSON twin):
a requester's own requests, the reviewers' queue with each deadline's standing, one request for
decision, the escalated (overdue) requests and the reminders on the home page."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.sharing.deadlines import standing
from localjustice.sharing.models import Agreement, DataRequest
from localjustice.sharing.requests import open_requests, requests_of, steps_of
from localjustice.sharing.rules import load_datasets, load_purposes, load_workflow


class StepView(BaseModel):
    action: str
    actor: str
    role: str
    day: date
    comment: str


class RequestView(BaseModel):
    id: int
    agreement: str
    requester: str
    organisation: str
    purpose: str
    purpose_label: str
    purpose_detail: str
    datasets: list[str]
    fields: dict[str, list[str]]
    level: str
    duration_days: int
    status: str
    first_submitted_on: date
    step_started_on: date
    due_on: date | None
    #: on_time, due_soon or overdue for a request waiting on someone; None once decided
    standing: str | None
    waiting_on: str | None
    decided_on: date | None
    version: int
    steps: list[StepView]


class RequestsView(BaseModel):
    today: date
    requests: list[RequestView]


class DecisionPage(BaseModel):
    today: date
    request: RequestView
    decisions: list[str]


class Reminders(BaseModel):
    """Counts for the home page: the reviewers' queue and, for the escalation role, the overdue."""

    waiting: int
    due_soon: int
    overdue: int
    escalated: int | None = None


def request_views(session: Session, requests: list[DataRequest], today: date) -> list[RequestView]:
    codes = dict(session.execute(select(Agreement.id, Agreement.code)).all())
    steps = steps_of(session, [r.id for r in requests])
    purposes, workflow = load_purposes(), load_workflow()
    views = []
    for r in requests:
        waiting = r.status in workflow.steps and r.due_on is not None
        step = workflow.steps.get(r.status)
        views.append(RequestView(
            id=r.id, agreement=codes.get(r.agreement_id, "?"), requester=r.requester,
            organisation=r.organisation, purpose=r.purpose, purpose_label=purposes.get(r.purpose, r.purpose),
            purpose_detail=r.purpose_detail, datasets=r.datasets, fields=r.fields, level=r.level,
            duration_days=r.duration_days, status=r.status, first_submitted_on=r.first_submitted_on,
            step_started_on=r.step_started_on, due_on=r.due_on,
            standing=standing(step, r.due_on, today) if waiting and step and r.due_on else None,
            waiting_on=step.who if waiting and step else None, decided_on=r.decided_on, version=r.version,
            steps=[StepView(action=s.action, actor=s.actor, role=s.role, day=s.day, comment=s.comment)
                   for s in steps[r.id]]))
    return views


def mine_view(session: Session, username: str, today: date) -> RequestsView:
    return RequestsView(today=today, requests=request_views(session, requests_of(session, username), today))


def queue_view(session: Session, today: date) -> RequestsView:
    """Submitted requests, soonest deadline first."""
    return RequestsView(today=today, requests=request_views(session, open_requests(session), today))


def escalations_view(session: Session, today: date) -> RequestsView:
    """Every request past its step's deadline, whoever it waits on, longest overdue first:
    escalated to the step's ``escalate_to`` role (``workflow.toml``)."""
    waiting = sorted(open_requests(session, "submitted") + open_requests(session, "returned"),
                     key=lambda r: (r.due_on or today, r.id))
    views = request_views(session, waiting, today)
    return RequestsView(today=today, requests=[v for v in views if v.standing == "overdue"])


def decision_page(session: Session, request_id: int, today: date) -> DecisionPage | None:
    request = session.get(DataRequest, request_id)
    if request is None:
        return None
    return DecisionPage(today=today, request=request_views(session, [request], today)[0],
                        decisions=["approve", "refuse", "return"])


def reminders(session: Session, today: date, *, escalations: bool) -> Reminders:
    queue = queue_view(session, today).requests
    return Reminders(waiting=len(queue), due_soon=sum(v.standing == "due_soon" for v in queue),
                     overdue=sum(v.standing == "overdue" for v in queue),
                     escalated=len(escalations_view(session, today).requests) if escalations else None)


class FormOptions(BaseModel):
    """The choices of the new-request form."""

    agreements: list[tuple[str, str]]
    organisations: list[str]
    purposes: list[tuple[str, str]]
    datasets: list[tuple[str, str, list[str]]]
    max_duration_days: int


def form_options(session: Session, today: date) -> FormOptions:
    agreements = session.scalars(select(Agreement).where(Agreement.expires_on >= today,
                                                         Agreement.starts_on <= today)
                                 .order_by(Agreement.code)).all()
    return FormOptions(
        agreements=[(a.code, f"{a.code}: {a.title}") for a in agreements],
        organisations=sorted({p for a in agreements for p in a.parties}),
        purposes=sorted(load_purposes().items()),
        datasets=[(d.name, d.title, list(d.columns)) for d in load_datasets().values()],
        max_duration_days=load_workflow().max_duration_days)
