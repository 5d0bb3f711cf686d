"""The board's quarterly pack: built from the register and the published outputs, rendered as an
accessible HTML document and a PDF (WeasyPrint), stored as a draft, and released to the board only
when two different people other than its drafter have approved it (``board_pack.toml``).

What it shows: the headline outcomes with their recent final figures; the commitments by RAG,
with what changed since the end of the previous quarter (status then and now, updates recorded in
the quarter); evaluation results; finance statements and data-sharing status where those packages
provide them; and the decisions the board is asked to take. Nothing is computed here that the
published outputs or the RAG rules do not already say.
"""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.area import load_area
from localjustice.audit import record_event
from localjustice.governance.commitments import CommitmentStatus, register_status, utcnow
from localjustice.governance.errors import Invalid, NotAllowed, NotFound
from localjustice.governance.evidence import Published, evaluation_result, final_series
from localjustice.governance.models import CommitmentRow, CommitmentUpdate, Decision, Pack, PackApproval
from localjustice.governance.rag import ORDER
from localjustice.governance.register import MeasureTie
from localjustice.publish.headlines import format_value

HERE = Path(__file__).parent
RULES_FILE = HERE / "board_pack.toml"
PACKS_FOLDER = "board-packs"
SUBJECT = "board_pack"
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
#: roles that see only approved packs
BOARD_ROLE = "board"


@dataclass(frozen=True)
class PackRules:
    approvals_required: int
    decisions: dict[str, str]


@cache
def load_pack_rules() -> PackRules:
    raw = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    required = int(raw.get("approvals_required", 2))
    if required < 2:
        raise Invalid({"approvals_required": "board_pack.toml: a pack needs at least two approvers "
                                             "(four-eyes)."})
    return PackRules(required, {str(k): str(v) for k, v in raw.get("decisions", {}).items()})


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """``2026Q3`` -> (2026-07-01, 2026-09-30)."""
    found = _QUARTER.match(quarter)
    if not found:
        raise Invalid({"quarter": f"A quarter is written like 2026Q3, not {quarter!r}."})
    year, q = int(found.group(1)), int(found.group(2))
    start = date(year, 3 * q - 2, 1)
    end = (date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)) - timedelta(days=1)
    return start, end


def _status(s: CommitmentStatus) -> dict[str, Any]:
    return {"id": s.row.id, "title": s.row.title, "section": s.row.section, "owners": s.row.owners,
            "lead": s.row.lead_name or s.row.lead, "status": s.rag.status, "computed": s.rag.computed,
            "reasons": list(s.rag.reasons), "override": s.rag.override,
            "override_reason": s.rag.override_reason,
            "latest": s.latest.summary if s.latest else None}


def _sparkline(series: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """An SVG line's points for a short series, with the words a screen reader reads instead."""
    values = [float(p["value"]) for p in series]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    width, height = 120, 30
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 4 - (v - low) / span * (height - 8):.1f}"
                      for i, v in enumerate(values))
    alt = f"{title}: " + ", ".join(f"{p['period']} {p['text']}" for p in series)
    return {"points": points, "alt": alt, "width": width, "height": height}


def _headlines(published: Published) -> list[dict[str, Any]]:
    out = []
    for h in (published.measures or {}).get("headlines", []):
        measure = published.measure(h["measure"])
        series = final_series(measure, h["cohort"])[-4:] if measure else []
        points = [{"period": o["period"], "value": o["value"], "text": format_value(o["value"], h["unit"])}
                  for o in series]
        latest = h.get("latest") or {}
        out.append({"title": h["title"], "verdict": h["verdict"], "change": h["change"],
                    "better_text": h["better_text"],
                    "latest": format_value(latest["value"], h["unit"]) if latest else "none yet",
                    "period": latest.get("period", ""),
                    "baseline": (h.get("baseline") or {}).get("label", ""),
                    "trend": points, "chart": _sparkline(points, h["title"]) if len(points) >= 2 else None})
    return out


def finance_statements(published_dir: Path) -> list[dict[str, str]] | None:
    """The reinvestment deals' statements when ``localjustice.finance`` is installed: from its
    published feed (``read_finance(published_dir)``, deals as ``DealStatement.as_json`` gives
    them), or a ``deal_statements(published_dir)`` giving [{"title", "statement"}]; else ``None``.
    Read, never computed: the figures are the finance package's own."""
    try:
        finance = importlib.import_module("localjustice.finance")
    except ImportError:
        return None
    read = getattr(finance, "read_finance", None)
    if read is not None:
        feed = read(published_dir)
        if not feed or not feed.get("deals"):
            return None
        return [{"title": str(d.get("name", d.get("deal", ""))), "statement": _deal_words(d)}
                for d in feed["deals"]]
    statements = getattr(finance, "deal_statements", None)
    if statements is None:
        return None
    return [{"title": str(s.get("title", "")), "statement": str(s.get("statement", s))}
            if isinstance(s, dict) else {"title": "", "statement": str(s)}
            for s in statements(published_dir)]


def _deal_words(deal: dict[str, Any]) -> str:
    if deal.get("refusal"):
        return f"Not settled: {deal['refusal']}"
    parts = []
    for p in deal.get("periods", []):
        reduction = p.get("reduction_pct")
        if isinstance(p.get("actual_demand"), str):  # withheld by disclosure control ("[c]")
            parts.append(f"{p.get('period')}: withheld ({p['actual_demand']}), too few people "
                         "to publish")
            continue
        parts.append(
            f"{p.get('period')}: {float(p.get('actual_demand') or 0):,.0f} against "
            f"{float(p.get('counterfactual_demand') or 0):,.0f} expected"
            + ("" if reduction is None else f" (a reduction of {reduction:.1f}%)" if reduction >= 0
               else f" (a rise of {-reduction:.1f}%)")
            + f", threshold {'met' if p.get('threshold_met') else 'not met'}, payment "
            f"£{float(p.get('payment') or 0):,.0f}" + ("" if p.get("complete") else " (period not complete)"))
    return "; ".join(parts) or "No period settled yet"


def sharing_status(session: Session, quarter: str, as_at: date) -> dict[str, Any] | None:
    """The data-sharing status hook: ``localjustice.sharing.board_summary(session) -> dict`` when
    that package exists (information-sharing agreements and data requests), given the quarter and
    date when it takes them, else ``None``."""
    try:
        sharing = importlib.import_module("localjustice.sharing")
    except ImportError:
        return None
    summary = getattr(sharing, "board_summary", None)
    if summary is None:
        return None
    accepted = inspect.signature(summary).parameters
    options = {k: v for k, v in (("quarter", quarter), ("today", as_at)) if k in accepted}
    return dict(summary(session, **options))


def build_content(session: Session, published_dir: Path, quarter: str, today: date) -> dict[str, Any]:
    start, end = quarter_bounds(quarter)
    as_at = min(end, today)
    published = Published.read(published_dir)
    now = register_status(session, published_dir, as_at, published)
    before = {s.row.id: s
              for s in register_status(session, published_dir, start - timedelta(days=1), published)}
    in_quarter: dict[str, list[CommitmentUpdate]] = {}
    for update in session.scalars(select(CommitmentUpdate).order_by(CommitmentUpdate.number)):
        if start <= update.recorded_at.date() <= as_at:
            in_quarter.setdefault(update.commitment_id, []).append(update)
    commitments, changes = [], []
    for s in now:
        item = _status(s)
        item["previous"] = before[s.row.id].rag.status
        item["updates"] = [{"number": u.number, "on": u.recorded_at.date().isoformat(), "by": u.author_name,
                            "progress": u.progress.replace("_", " "), "summary": u.summary,
                            "evidence_url": u.evidence_url} for u in in_quarter.get(s.row.id, [])]
        commitments.append(item)
        if item["previous"] != item["status"] or item["updates"]:
            changes.append(item)
    commitments.sort(key=lambda c: -ORDER[c["status"]])
    rules = load_pack_rules()
    asked = []
    for c in commitments:
        if c["override"]:
            asked.append({"commitment": c["id"], "text": rules.decisions["override"].format(
                id=c["id"], title=c["title"], status=c["override"], reason=c["override_reason"])})
        elif c["status"] == "red":
            asked.append({"commitment": c["id"], "text": rules.decisions["red"].format(
                id=c["id"], title=c["title"], reasons="; ".join(c["reasons"]) or "see the register")})
    evaluations = [evaluation_result(published, code) for code in published.evaluations]
    ties = {code: sorted(c.id for c in (s.commitment for s in now) if code in c.evaluations)
            for code in published.evaluations}
    for e in evaluations:
        e["commitments"] = ties.get(e["code"], [])
    counts = {status: sum(c["status"] == status for c in commitments) for status in ("red", "amber", "green")}
    return {
        "quarter": quarter, "period": {"from": start.isoformat(), "to": end.isoformat()},
        "as_at": as_at.isoformat(), "built_at": utcnow().isoformat(timespec="seconds"),
        "area": load_area().name if published.measures is None else published.measures.get("area", ""),
        "measures_published_at": (published.measures or {}).get("published_at"),
        "headlines": _headlines(published), "rag_summary": counts, "commitments": commitments,
        "changes": changes, "evaluations": evaluations,
        "finance": finance_statements(published_dir), "sharing": sharing_status(session, quarter, as_at),
        "decisions_asked": asked,
    }


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(HERE / "templates")),
                       autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)


def render_html(content: dict[str, Any], state: str = "draft", approved_by: tuple[str, ...] = ()) -> str:
    return _environment().get_template("board_pack.html").render(pack=content, state=state,
                                                                 approved_by=approved_by)


def write_documents(content: dict[str, Any], folder: Path, state: str = "draft",
                    approved_by: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """``board-pack-QUARTER.html`` and ``.pdf`` in ``folder``; the PDF by WeasyPrint from the HTML."""
    from weasyprint import HTML

    folder.mkdir(parents=True, exist_ok=True)
    name = f"board-pack-{content['quarter']}"
    html_path, pdf_path = folder / f"{name}.html", folder / f"{name}.pdf"
    html = render_html(content, state, approved_by)
    html_path.write_text(html, encoding="utf-8")
    HTML(string=html, base_url=str(folder)).write_pdf(pdf_path, pdf_variant="pdf/ua-1")
    return html_path, pdf_path


def draft_pack(session: Session, actor: Actor, data_dir: Path, quarter: str,
               today: date | None = None) -> Pack:
    """Build the quarter's pack as a new draft (an earlier draft of the quarter is superseded)."""
    content = build_content(session, data_dir / "published", quarter, today or utcnow().date())
    for earlier in session.scalars(select(Pack).where(Pack.quarter == quarter, Pack.state == "draft")):
        earlier.state = "superseded"
    pack = Pack(quarter=quarter, state="draft", drafted_by=actor.username,
                drafted_by_name=actor.display_name or actor.username, drafted_at=utcnow(), content=content,
                html_file="", pdf_file="")
    session.add(pack)
    session.flush()
    folder = data_dir / PACKS_FOLDER / str(pack.id)
    html_path, pdf_path = write_documents(content, folder)
    pack.html_file = str(html_path.relative_to(data_dir))
    pack.pdf_file = str(pdf_path.relative_to(data_dir))
    record_event(session, actor=actor.username, role=actor.role, action="governance.pack_drafted",
                 subject_type=SUBJECT, subject_id=str(pack.id), purpose="Draft the board's quarterly pack",
                 detail={"quarter": quarter})
    session.commit()
    return pack


def approvals(session: Session, pack_id: int) -> list[PackApproval]:
    return list(session.scalars(select(PackApproval).where(PackApproval.pack_id == pack_id)
                                .order_by(PackApproval.approved_at, PackApproval.id)))


def approve(session: Session, actor: Actor, data_dir: Path, pack_id: int) -> Pack:
    """Record the actor's approval (once per person; never the drafter); the pack is approved when
    ``approvals_required`` different people have approved it."""
    pack = session.get(Pack, pack_id)
    if pack is None:
        raise NotFound("No such board pack.")
    if pack.state != "draft":
        raise NotAllowed(f"This pack is {pack.state}: only a draft is approved.")
    if actor.username == pack.drafted_by:
        raise NotAllowed("You drafted this pack, so you cannot approve it: two other people must.")
    given = {a.approver_username for a in approvals(session, pack_id)}
    if actor.username not in given:
        session.add(PackApproval(pack_id=pack_id, approver_username=actor.username,
                                 approver_name=actor.display_name or actor.username, approved_at=utcnow()))
        given.add(actor.username)
        record_event(session, actor=actor.username, role=actor.role, action="governance.pack_approval",
                     subject_type=SUBJECT, subject_id=str(pack_id), purpose="Approve the board pack",
                     detail={"approvals": len(given)})
    if len(given) >= load_pack_rules().approvals_required:
        pack.state, pack.approved_at = "approved", utcnow()
        names = tuple(a.approver_name for a in approvals(session, pack_id)) or tuple(sorted(given))
        write_documents(pack.content, (data_dir / pack.html_file).parent, state="approved",
                        approved_by=names)
        record_event(session, actor=actor.username, role=actor.role, action="governance.pack_approved",
                     subject_type=SUBJECT, subject_id=str(pack_id), purpose="Release the pack to the board",
                     detail={"approvers": sorted(given)})
    session.commit()
    return pack


def visible_packs(session: Session, role: str) -> list[Pack]:
    """Newest first; the board sees approved packs only."""
    query = select(Pack).order_by(Pack.drafted_at.desc(), Pack.id.desc())
    if role == BOARD_ROLE:
        query = query.where(Pack.state == "approved")
    return list(session.scalars(query))


def get_pack(session: Session, pack_id: int, role: str) -> Pack:
    pack = session.get(Pack, pack_id)
    if pack is None or (role == BOARD_ROLE and pack.state != "approved"):
        raise NotFound("No such board pack.")
    return pack


def latest_approved(session: Session, quarter: str | None = None) -> Pack | None:
    """The newest approved pack (of a quarter): what the board and publication may see."""
    query = select(Pack).where(Pack.state == "approved")
    if quarter:
        query = query.where(Pack.quarter == quarter)
    return session.scalars(query.order_by(Pack.approved_at.desc(), Pack.id.desc())).first()


def record_decision(session: Session, actor: Actor, pack_id: int, text: str,
                    commitment_id: str | None = None) -> Decision:
    """A decision the board took on an approved pack, against the pack and any commitment."""
    pack = session.get(Pack, pack_id)
    if pack is None or pack.state != "approved":
        raise NotFound("Decisions are recorded against an approved pack.")
    errors = {}
    if not text.strip() or len(text) > 2000:
        errors["text"] = "Say what the board decided, in up to 2,000 characters."
    if commitment_id and session.get(CommitmentRow, commitment_id) is None:
        errors["commitment"] = "Choose a commitment from the register, or none."
    if errors:
        raise Invalid(errors)
    decision = Decision(pack_id=pack_id, commitment_id=commitment_id or None, text=text.strip(),
                        recorded_by=actor.username, recorded_at=utcnow())
    session.add(decision)
    record_event(session, actor=actor.username, role=actor.role, action="governance.decision_recorded",
                 subject_type=SUBJECT, subject_id=str(pack_id), purpose="Record the board's decision",
                 detail={"commitment": commitment_id or None})
    session.commit()
    return decision


def decisions(session: Session, *, pack_id: int | None = None,
              commitment_id: str | None = None) -> list[Decision]:
    query = select(Decision).order_by(Decision.recorded_at, Decision.id)
    if pack_id is not None:
        query = query.where(Decision.pack_id == pack_id)
    if commitment_id is not None:
        query = query.where(Decision.commitment_id == commitment_id)
    return list(session.scalars(query))


def tie_words(tie: MeasureTie) -> str:
    return tie.measure.replace("_", " ") + ("" if tie.cohort == "all" else f" ({tie.cohort})")


__all__ = ["approve", "build_content", "draft_pack", "get_pack", "latest_approved", "quarter_bounds",
           "record_decision", "render_html", "visible_packs", "write_documents"]
