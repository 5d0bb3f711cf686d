"""sharing: information-sharing agreements, data requests with their steps, and time-limited grants;
and the data_reviewer role allowed on user accounts (issue 18, MoU section 5.1)

Revision ID: d1_data_sharing
Revises:
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d1_data_sharing"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("sharing",)
#: the role check on web_user is replaced, so the web branch's table must exist first, and so
#: must p1_people's widening of that check (the practitioner roles), which this one keeps: two
#: branches replacing one check in either order would drop the other's roles
depends_on: str | Sequence[str] | None = ("w1_web_users", "p1_people")

ROLES_BEFORE = ("analyst", "data_steward", "caseworker", "supervisor", "offender_manager",
                "iom_officer", "yot_worker", "board", "admin")
ROLES_AFTER = (*ROLES_BEFORE, "data_reviewer")


def _role_check(roles: tuple[str, ...]) -> None:
    """Replace web_user's check of the roles. Its name differs by database: on SQLite, w2's table
    copy renamed it (``ck_web_user_ck_web_user_role``), so the one to drop is found by reflection."""
    check = "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"
    names = [str(c["name"]) for c in sa.inspect(op.get_bind()).get_check_constraints("web_user")
             if (c["name"] or "").endswith("web_user_role")]
    with op.batch_alter_table("web_user") as batch:
        for name in names:
            batch.drop_constraint(op.f(name), type_="check")
        batch.create_check_constraint(op.f("ck_web_user_role"), check)


def upgrade() -> None:
    op.create_table(
        "sharing_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(30), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sharing_agreement"),
        sa.UniqueConstraint("code", name="uq_sharing_agreement_code"),
    )
    op.create_table(
        "sharing_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(50), nullable=False),
        sa.Column("purpose_detail", sa.Text(), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("first_submitted_on", sa.Date(), nullable=False),
        sa.Column("step_started_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sharing_request"),
        sa.ForeignKeyConstraint(["agreement_id"], ["sharing_agreement.id"],
                                name="fk_sharing_request_agreement_id_sharing_agreement"),
        sa.CheckConstraint("status IN ('submitted', 'returned', 'approved', 'refused')",
                           name="ck_sharing_request_status"),
        sa.CheckConstraint("level IN ('aggregate', 'pseudonymous')", name="ck_sharing_request_level"),
    )
    op.create_table(
        "sharing_request_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(50), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sharing_request_step"),
        sa.ForeignKeyConstraint(["request_id"], ["sharing_request.id"],
                                name="fk_sharing_request_step_request_id_sharing_request"),
    )
    op.create_index("ix_sharing_request_step_request_id", "sharing_request_step", ["request_id"])
    op.create_table(
        "sharing_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("dataset", sa.String(50), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sharing_grant"),
        sa.ForeignKeyConstraint(["request_id"], ["sharing_request.id"],
                                name="fk_sharing_grant_request_id_sharing_request"),
    )
    op.create_index("ix_sharing_grant_request_id", "sharing_grant", ["request_id"])
    op.create_index("ix_sharing_grant_username", "sharing_grant", ["username"])
    _role_check(ROLES_AFTER)


def downgrade() -> None:
    op.execute("UPDATE web_user SET active = false WHERE role = 'data_reviewer'")
    op.execute("UPDATE web_user SET role = 'analyst' WHERE role = 'data_reviewer'")
    _role_check(ROLES_BEFORE)
    op.drop_table("sharing_grant")
    op.drop_table("sharing_request_step")
    op.drop_table("sharing_request")
    op.drop_table("sharing_agreement")
