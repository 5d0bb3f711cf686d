"""governance: the MoU commitments register, leads' status updates, board packs, approvals, decisions

Revision ID: g1_governance
Revises:
Create Date: 2026-12-02

A new branch: the tables are governance's own. Updates are rows never changed (the history);
the commitment and the pack carry ``version`` for optimistic locking. One approval per person per
pack (the four-eyes rule counts people, not clicks).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g1_governance"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("governance",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gov_commitment",
        sa.Column("id", sa.String(10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("lead", sa.String(200), nullable=False),
        sa.Column("lead_username", sa.String(200), nullable=True),
        sa.Column("lead_name", sa.String(200), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("due_text", sa.String(200), nullable=False),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("evaluations", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gov_commitment"),
    )
    op.create_index("ix_gov_commitment_lead_username", "gov_commitment", ["lead_username"])
    op.create_table(
        "gov_commitment_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.String(10), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_username", sa.String(200), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("progress", sa.String(20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.String(500), nullable=True),
        sa.Column("milestones_done", sa.JSON(), nullable=False),
        sa.Column("override_status", sa.String(10), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("progress IN ('not_started', 'in_progress', 'delivered')",
                           name=op.f("ck_gov_commitment_update_progress")),
        sa.CheckConstraint("override_status IS NULL OR override_status IN ('green', 'amber', 'red')",
                           name=op.f("ck_gov_commitment_update_override_status")),
        sa.CheckConstraint("override_status IS NULL OR length(override_reason) > 0",
                           name=op.f("ck_gov_commitment_update_override_has_reason")),
        sa.ForeignKeyConstraint(["commitment_id"], ["gov_commitment.id"],
                                name="fk_gov_commitment_update_commitment_id_gov_commitment"),
        sa.PrimaryKeyConstraint("id", name="pk_gov_commitment_update"),
        sa.UniqueConstraint("commitment_id", "number", name="uq_gov_commitment_update_number"),
    )
    op.create_index("ix_gov_commitment_update_commitment_id", "gov_commitment_update", ["commitment_id"])
    op.create_table(
        "gov_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(6), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("drafted_by", sa.String(200), nullable=False),
        sa.Column("drafted_by_name", sa.String(200), nullable=False),
        sa.Column("drafted_at", sa.DateTime(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("html_file", sa.String(500), nullable=False),
        sa.Column("pdf_file", sa.String(500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('draft', 'approved', 'superseded')", name=op.f("ck_gov_pack_state")),
        sa.CheckConstraint("state <> 'approved' OR approved_at IS NOT NULL",
                           name=op.f("ck_gov_pack_approved_has_time")),
        sa.PrimaryKeyConstraint("id", name="pk_gov_pack"),
    )
    op.create_index("ix_gov_pack_quarter", "gov_pack", ["quarter"])
    op.create_table(
        "gov_pack_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("approver_username", sa.String(200), nullable=False),
        sa.Column("approver_name", sa.String(200), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["gov_pack.id"], name="fk_gov_pack_approval_pack_id_gov_pack"),
        sa.PrimaryKeyConstraint("id", name="pk_gov_pack_approval"),
        sa.UniqueConstraint("pack_id", "approver_username", name="uq_gov_pack_approval_person"),
    )
    op.create_index("ix_gov_pack_approval_pack_id", "gov_pack_approval", ["pack_id"])
    op.create_table(
        "gov_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.String(10), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["gov_pack.id"], name="fk_gov_decision_pack_id_gov_pack"),
        sa.ForeignKeyConstraint(["commitment_id"], ["gov_commitment.id"],
                                name="fk_gov_decision_commitment_id_gov_commitment"),
        sa.PrimaryKeyConstraint("id", name="pk_gov_decision"),
    )
    op.create_index("ix_gov_decision_pack_id", "gov_decision", ["pack_id"])
    op.create_index("ix_gov_decision_commitment_id", "gov_decision", ["commitment_id"])


def downgrade() -> None:
    for table in ("gov_decision", "gov_pack_approval", "gov_pack", "gov_commitment_update", "gov_commitment"):
        op.drop_table(table)
