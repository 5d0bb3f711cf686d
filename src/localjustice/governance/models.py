"""The governance tables in the application database (Alembic branch ``governance``, g1).

A commitment is loaded from ``commitments.toml`` and keeps a ``version`` for optimistic locking
(its lead can be reassigned). A lead's status update is a new ``gov_commitment_update`` row
numbered per commitment and never changed: the history is the rows. A board pack is a draft until
two different people other than its drafter approve it (``gov_pack_approval``, one row per person);
decisions taken are recorded against a pack and, where they concern one, a commitment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from localjustice.appdb import Base

PROGRESS = ("not_started", "in_progress", "delivered")
PACK_STATES = ("draft", "approved", "superseded")


class CommitmentRow(Base):
    __tablename__ = "gov_commitment"

    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    owners: Mapped[list[str]] = mapped_column(JSON)
    lead: Mapped[str] = mapped_column(String(200))
    lead_username: Mapped[str | None] = mapped_column(String(200), index=True)
    lead_name: Mapped[str | None] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date)
    due_text: Mapped[str] = mapped_column(String(200), default="")
    #: [{"name": ..., "due": "YYYY-MM-DD"}]
    milestones: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    #: [{"measure": ..., "cohort": ...}]
    measures: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    evaluations: Mapped[list[str]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CommitmentUpdate(Base):
    """One status update by a lead: who, when, what, the evidence, and any override of the RAG."""

    __tablename__ = "gov_commitment_update"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[str] = mapped_column(ForeignKey("gov_commitment.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_username: Mapped[str] = mapped_column(String(200))
    author_name: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    progress: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(500))
    milestones_done: Mapped[list[str]] = mapped_column(JSON)
    override_status: Mapped[str | None] = mapped_column(String(10))
    override_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("commitment_id", "number", name="uq_gov_commitment_update_number"),
        CheckConstraint("progress IN ('not_started', 'in_progress', 'delivered')", name="progress"),
        CheckConstraint("override_status IS NULL OR override_status IN ('green', 'amber', 'red')",
                        name="override_status"),
        CheckConstraint("override_status IS NULL OR length(override_reason) > 0",
                        name="override_has_reason"),
    )


class Pack(Base):
    __tablename__ = "gov_pack"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), index=True)
    state: Mapped[str] = mapped_column(String(12))
    drafted_by: Mapped[str] = mapped_column(String(200))
    drafted_by_name: Mapped[str] = mapped_column(String(200))
    drafted_at: Mapped[datetime] = mapped_column(DateTime)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: everything the pack shows, as built (its documents are rendered from it)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: the documents, relative to the data dir
    html_file: Mapped[str] = mapped_column(String(500))
    pdf_file: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'approved', 'superseded')", name="state"),
        CheckConstraint("state <> 'approved' OR approved_at IS NOT NULL", name="approved_has_time"),
    )


class PackApproval(Base):
    __tablename__ = "gov_pack_approval"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("gov_pack.id"), index=True)
    approver_username: Mapped[str] = mapped_column(String(200))
    approver_name: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("pack_id", "approver_username", name="uq_gov_pack_approval_person"),)


class Decision(Base):
    __tablename__ = "gov_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("gov_pack.id"), index=True)
    commitment_id: Mapped[str | None] = mapped_column(ForeignKey("gov_commitment.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
