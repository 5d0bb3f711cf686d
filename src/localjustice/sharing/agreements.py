"""The register of information-sharing agreements (MoU 5.1): seeded from ``agreements.toml`` into
the app database, where each request points at the agreement it falls under.

An agreement is in force from ``starts_on`` to ``expires_on``, both inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.audit import record_event
from localjustice.sharing.models import Agreement
from localjustice.sharing.rules import AgreementTerms, load_datasets, load_purposes

#: "Expiring soon" for the register and the board: within this many calendar days.
EXPIRING_WITHIN_DAYS = 90


class AgreementView(BaseModel):
    code: str
    title: str
    parties: list[str]
    datasets: list[str]
    dataset_titles: list[str]
    purposes: list[str]
    purpose_labels: list[str]
    levels: list[str]
    legal_basis: str
    starts_on: date
    expires_on: date
    state: str
    illustrative: bool


class AgreementsView(BaseModel):
    today: date
    agreements: list[AgreementView]
    illustrative: bool


def state_of(agreement: Agreement, today: date) -> str:
    """``in_force``, ``expiring`` (in force, ending within 90 days), ``expired`` or ``not_started``."""
    if today < agreement.starts_on:
        return "not_started"
    if today > agreement.expires_on:
        return "expired"
    if agreement.expires_on <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
        return "expiring"
    return "in_force"


def sync_agreements(session: Session, actor: Actor, terms: Iterable[AgreementTerms]) -> int:
    """Add or update each agreement by code (the caller commits); returns how many changed."""
    existing = {a.code: a for a in session.scalars(select(Agreement))}
    changed = 0
    for t in terms:
        values = {"title": t.title, "parties": list(t.parties), "datasets": list(t.datasets),
                  "purposes": list(t.purposes), "levels": list(t.levels), "legal_basis": t.legal_basis,
                  "starts_on": t.starts_on, "expires_on": t.expires_on, "illustrative": t.illustrative}
        row = existing.get(t.code)
        if row is None:
            session.add(Agreement(code=t.code, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
        else:
            continue
        changed += 1
    if changed:
        record_event(session, actor=actor.username, role=actor.role, action="sharing.agreements_loaded",
                     subject_type="sharing_agreement", subject_id="*", purpose="data sharing register",
                     detail={"changed": changed})
    session.flush()
    return changed


def agreement_by_code(session: Session, code: str) -> Agreement | None:
    return session.scalars(select(Agreement).where(Agreement.code == code)).one_or_none()


def agreements_view(session: Session, today: date) -> AgreementsView:
    datasets, purposes = load_datasets(), load_purposes()
    rows = session.scalars(select(Agreement).order_by(Agreement.expires_on.desc(), Agreement.code)).all()
    views = [AgreementView(
        code=a.code, title=a.title, parties=a.parties, datasets=a.datasets,
        dataset_titles=[datasets[d].title if d in datasets else d for d in a.datasets],
        purposes=a.purposes, purpose_labels=[purposes.get(p, p) for p in a.purposes], levels=a.levels,
        legal_basis=a.legal_basis, starts_on=a.starts_on, expires_on=a.expires_on,
        state=state_of(a, today), illustrative=a.illustrative) for a in rows]
    return AgreementsView(today=today, agreements=views, illustrative=any(a.illustrative for a in rows))
