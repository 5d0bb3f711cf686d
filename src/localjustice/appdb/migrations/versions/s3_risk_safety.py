"""case service: risk checklists, tasks, safety plans, safe contact, approvals, closures, feedback,
flags and documents (issue 17 parts 1-3)

New tables only, plus two columns on the contact log (whether a message was left, the time of a
call) so a contact can be checked against the safe contact plan. Existing data: every case already
closed gets its closure in the new history (outcome not recorded, its reason kept), so reopening
it later keeps that history too.

Revision ID: s3_risk_safety
Revises: s2_team_scoped_intake
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s3_risk_safety"
down_revision: str | None = "s2_team_scoped_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _case_table(name: str, *columns: sa.Column[object] | sa.CheckConstraint, versioned: bool = True,
                unique_case: bool = False) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        *columns,
        *([sa.Column("version", sa.Integer(), nullable=False)] if versioned else []),
        sa.ForeignKeyConstraint(["case_id"], ["svc_case.id"], name=f"fk_{name}_case_id_svc_case"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        *([sa.UniqueConstraint("case_id", name=f"uq_{name}_case_id")] if unique_case else []),
    )
    if not unique_case:
        op.create_index(f"ix_{name}_case_id", name, ["case_id"])


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    now = sa.text("CURRENT_TIMESTAMP")
    _case_table(
        "svc_risk_assessment",
        sa.Column("checklist", sa.String(50), nullable=False),
        sa.Column("checklist_version", sa.String(30), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("scored_level", sa.String(10), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("judgement_reason", sa.String(1000), nullable=True),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("assessed_by", sa.String(200), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=now, nullable=False),
        _check("svc_risk_assessment", "level", "level IN ('standard', 'medium', 'high')"),
        _check("svc_risk_assessment", "status",
               "status IN ('in_force', 'superseded', 'pending_approval', 'returned')"),
    )
    _case_table(
        "svc_case_task",
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("clock_start", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_by", sa.String(200), nullable=True),
        sa.Column("note", sa.String(1000), nullable=True),
        _check("svc_case_task", "status", "status IN ('open', 'done', 'cancelled')"),
    )
    op.create_index("ix_svc_case_task_due_on", "svc_case_task", ["due_on"])
    _case_table(
        "svc_safety_action",
        sa.Column("action", sa.String(1000), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("progress", sa.String(20), nullable=False),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.Column("updated_by", sa.String(200), nullable=False),
        _check("svc_safety_action", "progress",
               "progress IN ('not_started', 'in_progress', 'done', 'no_longer_needed')"),
    )
    _case_table(
        "svc_safe_contact",
        sa.Column("safe_to_call", sa.Boolean(), nullable=False),
        sa.Column("safe_to_email", sa.Boolean(), nullable=False),
        sa.Column("safe_from", sa.String(5), nullable=True),
        sa.Column("safe_until", sa.String(5), nullable=True),
        sa.Column("safe_address", sa.String(500), nullable=True),
        sa.Column("no_messages", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        unique_case=True,
    )
    _case_table(
        "svc_approval",
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", sa.DateTime(), server_default=now, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("comment", sa.String(1000), nullable=True),
        _check("svc_approval", "status", "status IN ('pending', 'approved', 'returned')"),
    )
    op.create_index("ix_svc_approval_status", "svc_approval", ["status"])
    _case_table(
        "svc_case_closure",
        sa.Column("outcome", sa.String(50), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("closed_by", sa.String(200), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("reopened_on", sa.Date(), nullable=True),
        sa.Column("reopened_by", sa.String(200), nullable=True),
        sa.Column("reopen_reason", sa.String(500), nullable=True),
        versioned=False,
    )
    _case_table(
        "svc_case_feedback",
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        versioned=False,
    )
    op.create_index("ix_svc_case_feedback_team", "svc_case_feedback", ["team"])
    _case_table(
        "svc_case_flag",
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("removed_by", sa.String(200), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        _check("svc_case_flag", "status", "status IN ('active', 'removed')"),
    )
    _case_table(
        "svc_case_document",
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_as", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), server_default=now, nullable=False),
        versioned=False,
    )
    op.add_column("svc_contact_log", sa.Column("left_message", sa.Boolean(), server_default=sa.false(),
                                               nullable=False))
    op.add_column("svc_contact_log", sa.Column("time_of_contact", sa.String(5), nullable=True))
    # the closures already made become the first entries of the closure history
    op.execute("""INSERT INTO svc_case_closure (case_id, outcome, reason, closed_on, closed_by)
                  SELECT id, NULL, coalesce(closure_reason, 'Not recorded'), closed_on,
                         'before closure history'
                  FROM svc_case WHERE status = 'closed' AND closed_on IS NOT NULL""")


def downgrade() -> None:
    with op.batch_alter_table("svc_contact_log") as batch:
        batch.drop_column("time_of_contact")
        batch.drop_column("left_message")
    for table in ("svc_case_document", "svc_case_flag", "svc_case_feedback", "svc_case_closure",
                  "svc_approval", "svc_safe_contact", "svc_safety_action", "svc_case_task",
                  "svc_risk_assessment"):
        op.drop_table(table)
