"""The governance pages' views: the commitments register, one commitment with its history, the
board packs and the board's home. Each view is one call into ``localjustice.governance`` shaped
as a pydantic model, so a page and its JSON twin show the same thing; nothing is computed here."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from localjustice import governance as gov
from localjustice.governance.pack import BOARD_ROLE


class RagView(BaseModel):
    status: str
    computed: str
    reasons: list[str]
    override: str | None
    override_reason: str


class CommitmentSummary(BaseModel):
    id: str
    section: str
    title: str
    owners: list[str]
    lead: str
    lead_username: str | None
    due: date | None
    due_text: str
    rag: RagView
    latest_update_on: date | None
    progress: str


class RegisterView(BaseModel):
    as_at: date
    loaded: bool
    summary: dict[str, int]
    commitments: list[CommitmentSummary]


class UpdateView(BaseModel):
    number: int
    recorded_at: datetime
    author_name: str
    progress: str
    summary: str
    evidence_url: str | None
    milestones_done: list[str]
    override_status: str | None
    override_reason: str | None


class MilestoneView(BaseModel):
    name: str
    due: date
    done: bool
    late: bool


class TrendPoint(BaseModel):
    period: str
    text: str


class MeasureTieView(BaseModel):
    measure: str
    cohort: str
    title: str
    verdict: str | None
    series: list[TrendPoint]


class EvaluationTieView(BaseModel):
    code: str
    name: str
    result: str
    words: str


class DecisionView(BaseModel):
    id: int
    pack_id: int
    commitment_id: str | None
    text: str
    recorded_by: str
    recorded_at: datetime


class CommitmentView(BaseModel):
    commitment: CommitmentSummary
    text: str
    milestones: list[MilestoneView]
    measures: list[MeasureTieView]
    evaluations: list[EvaluationTieView]
    history: list[UpdateView]
    decisions: list[DecisionView]
    #: whether the signed-in user is its named lead and may record an update
    can_update: bool
    #: the latest update's number, which the update form sends back (optimistic locking)
    latest_number: int


def _rag(rag: gov.Rag) -> RagView:
    return RagView(status=rag.status, computed=rag.computed, reasons=list(rag.reasons), override=rag.override,
                   override_reason=rag.override_reason)


def _summary(s: gov.CommitmentStatus) -> CommitmentSummary:
    return CommitmentSummary(
        id=s.row.id, section=s.row.section, title=s.row.title, owners=s.row.owners,
        lead=s.row.lead_name or s.row.lead, lead_username=s.row.lead_username, due=s.row.due,
        due_text=s.row.due_text, rag=_rag(s.rag),
        latest_update_on=s.latest.recorded_at.date() if s.latest else None,
        progress=(s.latest.progress if s.latest else "not_started").replace("_", " "))


def register_view(session: Session, published_dir: Path, as_at: date) -> RegisterView:
    statuses = gov.register_status(session, published_dir, as_at)
    return RegisterView(as_at=as_at, loaded=bool(statuses),
                        summary={k: sum(s.rag.status == k for s in statuses)
                                 for k in ("red", "amber", "green")},
                        commitments=[_summary(s) for s in statuses])


def _decision(d: gov.Decision) -> DecisionView:
    return DecisionView(id=d.id, pack_id=d.pack_id, commitment_id=d.commitment_id, text=d.text,
                        recorded_by=d.recorded_by, recorded_at=d.recorded_at)


def commitment_view(session: Session, published_dir: Path, commitment_id: str, as_at: date,
                    username: str | None, may_update: bool) -> CommitmentView:
    gov.get_row(session, commitment_id)  # NotFound first
    published = gov.Published.read(published_dir)
    status = next(s for s in gov.register_status(session, published_dir, as_at, published)
                  if s.row.id == commitment_id)
    updates = gov.history(session, commitment_id)
    done = status.record.milestones_done
    return CommitmentView(
        commitment=_summary(status), text=status.row.text,
        milestones=[MilestoneView(name=m.name, due=m.due, done=m.name in done,
                                  late=m.name not in done and as_at > m.due)
                    for m in status.commitment.milestones],
        measures=[_tie(published, t) for t in status.commitment.measures],
        evaluations=[EvaluationTieView(**{k: v for k, v in gov.evaluation_result(published, code).items()
                                          if k in ("code", "name", "result", "words")})
                     for code in status.commitment.evaluations],
        history=[UpdateView(number=u.number, recorded_at=u.recorded_at, author_name=u.author_name,
                            progress=u.progress.replace("_", " "), summary=u.summary,
                            evidence_url=u.evidence_url, milestones_done=u.milestones_done,
                            override_status=u.override_status, override_reason=u.override_reason)
                 for u in updates],
        decisions=[_decision(d) for d in gov.decisions(session, commitment_id=commitment_id)],
        can_update=may_update and username is not None and status.row.lead_username == username,
        latest_number=max((u.number for u in updates), default=0))


def _tie(published: gov.Published, tie: Any) -> MeasureTieView:
    found = gov.trend(published, tie)
    if found is None:
        return MeasureTieView(measure=tie.measure, cohort=tie.cohort, title=tie.measure.replace("_", " "),
                              verdict=None, series=[])
    return MeasureTieView(measure=tie.measure, cohort=tie.cohort, title=found["title"],
                          verdict=found["verdict"],
                          series=[TrendPoint(period=p["period"], text=p["text"]) for p in found["series"]])


class PackSummary(BaseModel):
    id: int
    quarter: str
    state: str
    drafted_by: str
    drafted_at: datetime
    approved_at: datetime | None
    approvals: list[str]
    approvals_required: int
    rag_summary: dict[str, int]


class PackListView(BaseModel):
    packs: list[PackSummary]
    can_draft: bool


class PackView(BaseModel):
    pack: PackSummary
    content: dict[str, Any]
    decisions: list[DecisionView]
    #: the signed-in user may approve it now (a draft, not theirs, not yet approved by them)
    can_approve: bool
    approved_by_you: bool
    drafted_by_you: bool
    can_decide: bool


class BoardHomeView(BaseModel):
    latest: PackSummary | None
    red: list[dict[str, Any]]
    decisions_asked: list[dict[str, Any]]
    decisions: list[DecisionView]
    headlines: list[dict[str, Any]]


def _pack(session: Session, pack: gov.Pack) -> PackSummary:
    return PackSummary(id=pack.id, quarter=pack.quarter, state=pack.state, drafted_by=pack.drafted_by_name,
                       drafted_at=pack.drafted_at, approved_at=pack.approved_at,
                       approvals=[a.approver_name for a in gov.approvals(session, pack.id)],
                       approvals_required=gov.load_pack_rules().approvals_required,
                       rag_summary=dict(pack.content.get("rag_summary", {})))


def packs_view(session: Session, role: str, can_draft: bool) -> PackListView:
    return PackListView(packs=[_pack(session, p) for p in gov.visible_packs(session, role)],
                        can_draft=can_draft)


def pack_view(session: Session, pack_id: int, username: str, role: str, may_approve: bool,
              may_decide: bool) -> PackView:
    pack = gov.get_pack(session, pack_id, role)
    given = {a.approver_username for a in gov.approvals(session, pack_id)}
    return PackView(
        pack=_pack(session, pack), content=pack.content,
        decisions=[_decision(d) for d in gov.decisions(session, pack_id=pack_id)],
        can_approve=may_approve and pack.state == "draft" and username != pack.drafted_by
        and username not in given,
        approved_by_you=username in given, drafted_by_you=username == pack.drafted_by,
        can_decide=may_decide and pack.state == "approved")


def board_home_view(session: Session) -> BoardHomeView:
    pack = gov.latest_approved(session)
    if pack is None:
        return BoardHomeView(latest=None, red=[], decisions_asked=[], decisions=[], headlines=[])
    content = pack.content
    return BoardHomeView(latest=_pack(session, pack),
                         red=[c for c in content["commitments"] if c["status"] == "red"],
                         decisions_asked=content["decisions_asked"],
                         decisions=[_decision(d) for d in gov.decisions(session, pack_id=pack.id)],
                         headlines=content["headlines"])


__all__ = ["BOARD_ROLE", "BoardHomeView", "CommitmentView", "PackListView", "PackView", "RegisterView",
           "board_home_view", "commitment_view", "pack_view", "packs_view", "register_view"]
