"""case service: possible matches at intake, and major-incident mode (MoU V7)

A case may carry the linkage's person id (it decides possible matches at intake); a referral
records what the caseworker decided when matches were offered. Major incidents: the incident, the
caseworkers of other teams granted its cases while it is open, its cases with their triage group
and needs, its CSV uploads with every row kept (registered or rejected with reasons), and its bulk
messages, each logged as a contact on the cases it reached. Only new tables and nullable columns:
nothing existing changes.

Revision ID: s4_major_incident
Revises: s2_team_scoped_intake
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s4_major_incident"
down_revision: str | None = "s3_risk_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamp() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True)


def upgrade() -> None:
    # plain ADD COLUMN (no batch): on SQLite a batch would rebuild svc_case, and its reflection
    # drops the expression index uq_svc_case_open_person_crime
    op.add_column("svc_case", sa.Column("linkage_person_id", sa.String(length=100), nullable=True))
    op.create_index("ix_svc_case_linkage_person_id", "svc_case", ["linkage_person_id"], unique=False)
    op.add_column("svc_incoming_referral", sa.Column("match_decision", sa.String(length=10), nullable=True))
    op.add_column("svc_incoming_referral", sa.Column("match_reason", sa.String(length=500), nullable=True))
    op.add_column("svc_incoming_referral", sa.Column("match_offered", sa.JSON(), nullable=True))
    op.add_column("svc_contact_log", sa.Column("incident_message_id", sa.Integer(), nullable=True))
    op.create_index("ix_svc_contact_log_incident_message_id", "svc_contact_log", ["incident_message_id"],
                    unique=False)

    op.create_table(
        "svc_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("coordinating_team", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        _stamp(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_svc_incident_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_incident")),
    )
    op.create_index("ix_svc_incident_coordinating_team", "svc_incident", ["coordinating_team"])
    op.create_table(
        "svc_incident_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("granted_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["svc_incident.id"],
                                name=op.f("fk_svc_incident_access_incident_id_svc_incident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_incident_access")),
        sa.UniqueConstraint("incident_id", "username", name="uq_svc_incident_access_user"),
    )
    op.create_index("ix_svc_incident_access_incident_id", "svc_incident_access", ["incident_id"])
    op.create_index("ix_svc_incident_access_username", "svc_incident_access", ["username"])
    op.create_table(
        "svc_incident_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("priority_group", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["svc_incident.id"],
                                name=op.f("fk_svc_incident_case_incident_id_svc_incident")),
        sa.ForeignKeyConstraint(["case_id"], ["svc_case.id"],
                                name=op.f("fk_svc_incident_case_case_id_svc_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_incident_case")),
        sa.UniqueConstraint("case_id", name=op.f("uq_svc_incident_case_case_id")),
    )
    op.create_index("ix_svc_incident_case_incident_id", "svc_incident_case", ["incident_id"])
    op.create_table(
        "svc_incident_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["svc_incident.id"],
                                name=op.f("fk_svc_incident_need_incident_id_svc_incident")),
        sa.ForeignKeyConstraint(["case_id"], ["svc_case.id"],
                                name=op.f("fk_svc_incident_need_case_id_svc_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_incident_need")),
        sa.UniqueConstraint("case_id", "need", name="uq_svc_incident_need_case"),
    )
    op.create_index("ix_svc_incident_need_incident_id", "svc_incident_need", ["incident_id"])
    op.create_table(
        "svc_incident_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("spoc_username", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["svc_incident.id"],
                                name=op.f("fk_svc_incident_upload_incident_id_svc_incident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_incident_upload")),
    )
    op.create_index("ix_svc_incident_upload_incident_id", "svc_incident_upload", ["incident_id"])
    op.create_table(
        "svc_incident_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('registered', 'rejected')", name=op.f("ck_svc_incident_row_status")),
        sa.ForeignKeyConstraint(["upload_id"], ["svc_incident_upload.id"],
                                name=op.f("fk_svc_incident_row_upload_id_svc_incident_upload")),
        sa.ForeignKeyConstraint(["incident_id"], ["svc_incident.id"],
                                name=op.f("fk_svc_incident_row_incident_id_svc_incident")),
        sa.ForeignKeyConstraint(["case_id"], ["svc_case.id"],
                                name=op.f("fk_svc_incident_row_case_id_svc_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_incident_row")),
        sa.UniqueConstraint("upload_id", "row_number", name="uq_svc_incident_row_number"),
    )
    op.create_index("ix_svc_incident_row_upload_id", "svc_incident_row", ["upload_id"])
    op.create_index("ix_svc_incident_row_incident_id", "svc_incident_row", ["incident_id"])
    op.create_table(
        "svc_incident_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("priority_group", sa.String(length=30), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_by", sa.String(length=200), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("withheld", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["svc_incident.id"],
                                name=op.f("fk_svc_incident_message_incident_id_svc_incident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_incident_message")),
    )
    op.create_index("ix_svc_incident_message_incident_id", "svc_incident_message", ["incident_id"])


def downgrade() -> None:
    for table in ("svc_incident_message", "svc_incident_row", "svc_incident_upload", "svc_incident_need",
                  "svc_incident_case", "svc_incident_access", "svc_incident"):
        op.drop_table(table)
    op.drop_index("ix_svc_contact_log_incident_message_id", table_name="svc_contact_log")
    with op.batch_alter_table("svc_contact_log") as batch:
        batch.drop_column("incident_message_id")
    with op.batch_alter_table("svc_incoming_referral") as batch:
        for name in ("match_offered", "match_reason", "match_decision"):
            batch.drop_column(name)
    op.drop_index("ix_svc_case_linkage_person_id", table_name="svc_case")
    with op.batch_alter_table("svc_case") as batch:
        batch.drop_column("linkage_person_id")
    if op.get_context().dialect.name == "sqlite":
        # the rebuild of svc_case on SQLite does not carry the expression index over
        open_only = sa.text("status = 'open'")
        op.execute("DROP INDEX IF EXISTS uq_svc_case_open_person_crime")
        op.create_index("uq_svc_case_open_person_crime", "svc_case",
                        ["person_id", sa.text("coalesce(crime_id, '')")], unique=True,
                        sqlite_where=open_only, postgresql_where=open_only)
