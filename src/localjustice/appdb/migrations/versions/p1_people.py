"""people: practitioners' caseloads (allocations of linked persons) and contacts made, and the
practitioner roles (offender manager, IOM officer, youth offending team worker) allowed on accounts

The branch's first revision; it depends on ``w1_web_users``, whose check constraint on
``web_user.role`` it widens (and narrows again on downgrade, which refuses while an account holds
a practitioner role).

Revision ID: p1_people
Revises:
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p1_people"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("people",)
depends_on: str | Sequence[str] | None = ("w1_web_users",)

_BEFORE = ("analyst", "data_steward", "caseworker", "supervisor", "board", "admin")
_AFTER = ("analyst", "data_steward", "caseworker", "supervisor", "offender_manager", "iom_officer",
          "yot_worker", "board", "admin")


def _roles(roles: tuple[str, ...]) -> None:
    with op.batch_alter_table("web_user") as table:
        table.drop_constraint(op.f("ck_web_user_ck_web_user_role"), type_="check")
        table.create_check_constraint("ck_web_user_role",
                                      "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")")


def upgrade() -> None:
    _roles(_AFTER)
    op.create_table(
        "ppl_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("worklist", sa.String(50), nullable=False),
        sa.Column("allocated_at", sa.DateTime(), nullable=False),
        sa.Column("allocated_by", sa.String(200), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by", sa.String(200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ppl_allocation"),
    )
    op.create_index("ix_ppl_allocation_person", "ppl_allocation", ["person_id", "username"])
    op.create_table(
        "ppl_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), sa.ForeignKey(
            "ppl_allocation.id", name="fk_ppl_contact_allocation_id_ppl_allocation"), nullable=False),
        sa.Column("contacted_on", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ppl_contact"),
    )


def downgrade() -> None:
    op.drop_table("ppl_contact")
    op.drop_index("ix_ppl_allocation_person", table_name="ppl_allocation")
    op.drop_table("ppl_allocation")
    _roles(_BEFORE)
