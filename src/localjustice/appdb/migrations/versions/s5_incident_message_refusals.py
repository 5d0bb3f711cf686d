"""case service: the cases a major incident's bulk message was refused for, with why

A bulk message now keeps to each case's safe contact plan; each case it did not go to is kept
with the reasons (the rules of the plan it would break, or that they asked not to be contacted),
so the incident page can list them. A new table only: nothing existing changes.

Revision ID: s5_incident_message_refusals
Revises: s4_major_incident
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s5_incident_message_refusals"
down_revision: str | None = "s4_major_incident"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "svc_incident_message_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["svc_incident_message.id"],
                                name=op.f("fk_svc_incident_message_refusal_message_id_svc_incident_message")),
        sa.ForeignKeyConstraint(["case_id"], ["svc_case.id"],
                                name=op.f("fk_svc_incident_message_refusal_case_id_svc_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_incident_message_refusal")),
    )
    op.create_index("ix_svc_incident_message_refusal_message_id", "svc_incident_message_refusal",
                    ["message_id"])


def downgrade() -> None:
    op.drop_table("svc_incident_message_refusal")
