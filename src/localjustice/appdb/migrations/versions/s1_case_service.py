"""case service: persons, cases, referrals, assessment, entitlements, witness support, consent, contacts

Revision ID: s1_case_service
Revises:
Create Date: 2026-11-22

Every editable table has a ``version`` column used for optimistic locking. One open case per
person and crime is enforced by a partial unique index (open cases only), on both engines.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s1_case_service"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("service",)
depends_on: str | Sequence[str] | None = None

TABLES = (
    "svc_entitlement", "svc_assessment_revision", "svc_witness_support", "svc_onward_referral",
    "svc_incoming_referral", "svc_handover", "svc_expense_claim", "svc_court_date", "svc_contact_log",
    "svc_consent", "svc_case_event", "svc_assessment", "svc_person_identifier", "svc_case", "svc_person",
)


def upgrade() -> None:
    op.create_table('svc_person',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('forename', sa.String(length=100), nullable=False),
        sa.Column('surname', sa.String(length=100), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('date_of_birth', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_svc_person')
    )
    op.create_index('ix_svc_person_name_key', 'svc_person', ['name_key'], unique=False)
    op.create_index('ix_svc_person_name_key_dob', 'svc_person', ['name_key', 'date_of_birth'], unique=False)
    op.create_table('svc_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('crime_id', sa.String(length=100), nullable=True),
        sa.Column('team', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('enhanced_rights', sa.JSON(), nullable=False),
        sa.Column('spoc_username', sa.String(length=200), nullable=True),
        sa.Column('spoc_name', sa.String(length=200), nullable=True),
        sa.Column('contact_preference', sa.String(length=20), nullable=False),
        sa.Column('phone', sa.String(length=50), nullable=True),
        sa.Column('email', sa.String(length=200), nullable=True),
        sa.Column('safe_to_leave_message', sa.Boolean(), nullable=False),
        sa.Column('opened_on', sa.Date(), nullable=False),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('closure_reason', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("status = 'closed' OR spoc_username IS NOT NULL",
                           name=op.f('ck_svc_case_open_has_spoc')),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_svc_case_status')),
        sa.ForeignKeyConstraint(['person_id'], ['svc_person.id'], name='fk_svc_case_person_id_svc_person'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_case')
    )
    op.create_index('ix_svc_case_person_id', 'svc_case', ['person_id'], unique=False)
    op.create_index('ix_svc_case_spoc_username', 'svc_case', ['spoc_username'], unique=False)
    op.create_index('ix_svc_case_team', 'svc_case', ['team'], unique=False)
    op.create_table('svc_person_identifier',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=50), nullable=False),
        sa.Column('source_person_id', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['svc_person.id'],
                                name='fk_svc_person_identifier_person_id_svc_person'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_person_identifier'),
        sa.UniqueConstraint('source', 'source_person_id', name='uq_svc_person_identifier_source')
    )
    op.create_index('ix_svc_person_identifier_person_id',
                    'svc_person_identifier', ['person_id'], unique=False)
    op.create_table('svc_assessment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('assessed_by', sa.String(length=200), nullable=False),
        sa.Column('assessed_on', sa.Date(), nullable=False),
        sa.Column('change_reason', sa.String(length=500), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_assessment_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_assessment'),
        sa.UniqueConstraint('case_id', name='uq_svc_assessment_case_id')
    )
    op.create_table('svc_case_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('note', sa.String(length=1000), nullable=True),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_case_event_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_case_event')
    )
    op.create_index('ix_svc_case_event_case_id', 'svc_case_event', ['case_id'], unique=False)
    op.create_table('svc_consent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=50), nullable=False),
        sa.Column('share_contact_details', sa.Boolean(), nullable=False),
        sa.Column('share_assessment', sa.Boolean(), nullable=False),
        sa.Column('share_case_details', sa.Boolean(), nullable=False),
        sa.Column('recorded_on', sa.Date(), nullable=False),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_consent_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_consent'),
        sa.UniqueConstraint('case_id', 'recipient', name='uq_svc_consent_case_recipient')
    )
    op.create_index('ix_svc_consent_case_id', 'svc_consent', ['case_id'], unique=False)
    op.create_table('svc_contact_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('direction', sa.String(length=20), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('preference_override', sa.String(length=500), nullable=True),
        sa.Column('by_username', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_contact_log_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_contact_log')
    )
    op.create_index('ix_svc_contact_log_case_id', 'svc_contact_log', ['case_id'], unique=False)
    op.create_table('svc_court_date',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('hearing_on', sa.Date(), nullable=False),
        sa.Column('hearing_type', sa.String(length=30), nullable=False),
        sa.Column('court', sa.String(length=200), nullable=False),
        sa.Column('attending', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_court_date_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_court_date')
    )
    op.create_index('ix_svc_court_date_case_id', 'svc_court_date', ['case_id'], unique=False)
    op.create_table('svc_expense_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('amount_pence', sa.Integer(), nullable=False),
        sa.Column('claimed_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('submitted', 'paid', 'rejected')",
                           name=op.f('ck_svc_expense_claim_status')),
        sa.CheckConstraint('amount_pence > 0', name=op.f('ck_svc_expense_claim_amount_positive')),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_expense_claim_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_expense_claim')
    )
    op.create_index('ix_svc_expense_claim_case_id', 'svc_expense_claim', ['case_id'], unique=False)
    op.create_table('svc_handover',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('from_username', sa.String(length=200), nullable=True),
        sa.Column('to_username', sa.String(length=200), nullable=False),
        sa.Column('to_name', sa.String(length=200), nullable=False),
        sa.Column('from_team', sa.String(length=100), nullable=True),
        sa.Column('to_team', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('by_username', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_handover_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_handover')
    )
    op.create_index('ix_svc_handover_case_id', 'svc_handover', ['case_id'], unique=False)
    op.create_table('svc_incoming_referral',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.String(length=100), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('referrer', sa.String(length=20), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('referral_date', sa.Date(), nullable=False),
        sa.Column('needs', sa.JSON(), nullable=False),
        sa.Column('service', sa.String(length=30), nullable=False),
        sa.Column('joined_existing', sa.Boolean(), nullable=False),
        sa.Column('received_by', sa.String(length=200), nullable=False),
        sa.Column('received_at', sa.DateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'],
                                name='fk_svc_incoming_referral_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_incoming_referral'),
        sa.UniqueConstraint('referral_id', name='uq_svc_incoming_referral_referral_id')
    )
    op.create_index('ix_svc_incoming_referral_case_id', 'svc_incoming_referral', ['case_id'], unique=False)
    op.create_table('svc_onward_referral',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('service', sa.String(length=30), nullable=False),
        sa.Column('provider', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.Column('status_on', sa.Date(), nullable=False),
        sa.Column('outcome', sa.String(length=1000), nullable=True),
        sa.Column('sent_by', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('sent', 'accepted', 'declined', 'completed')",
                           name=op.f('ck_svc_onward_referral_status')),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_onward_referral_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_onward_referral')
    )
    op.create_index('ix_svc_onward_referral_case_id', 'svc_onward_referral', ['case_id'], unique=False)
    op.create_table('svc_witness_support',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('pretrial_visit_offered_on', sa.Date(), nullable=True),
        sa.Column('pretrial_visit_on', sa.Date(), nullable=True),
        sa.Column('special_measures_applied', sa.JSON(), nullable=False),
        sa.Column('special_measures_applied_on', sa.Date(), nullable=True),
        sa.Column('special_measures_granted', sa.JSON(), nullable=False),
        sa.Column('special_measures_decided_on', sa.Date(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_witness_support_case_id_svc_case'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_witness_support'),
        sa.UniqueConstraint('case_id', name='uq_svc_witness_support_case_id')
    )
    op.create_table('svc_assessment_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('assessment_version', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('saved_by', sa.String(length=200), nullable=False),
        sa.Column('saved_at', sa.DateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('change_reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['assessment_id'], ['svc_assessment.id'],
                                name='fk_svc_assessment_revision_assessment_id_svc_assessment'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_assessment_revision'),
        sa.UniqueConstraint('assessment_id', 'assessment_version', name='uq_svc_assessment_revision_version')
    )
    op.create_index('ix_svc_assessment_revision_assessment_id',
                    'svc_assessment_revision', ['assessment_id'], unique=False)
    op.create_table('svc_entitlement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('rule_key', sa.String(length=60), nullable=False),
        sa.Column('right_number', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('clock_start', sa.Date(), nullable=False),
        sa.Column('working_days', sa.Integer(), nullable=True),
        sa.Column('enhanced', sa.Boolean(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('met_on', sa.Date(), nullable=True),
        sa.Column('met_by', sa.String(length=200), nullable=True),
        sa.Column('note', sa.String(length=1000), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'met', 'superseded', 'not_applicable')",
                           name=op.f('ck_svc_entitlement_status')),
        sa.ForeignKeyConstraint(['case_id'], ['svc_case.id'], name='fk_svc_entitlement_case_id_svc_case'),
        sa.ForeignKeyConstraint(['event_id'], ['svc_case_event.id'],
                                name='fk_svc_entitlement_event_id_svc_case_event'),
        sa.PrimaryKeyConstraint('id', name='pk_svc_entitlement')
    )
    op.create_index('ix_svc_entitlement_case_id', 'svc_entitlement', ['case_id'], unique=False)
    op.create_index('ix_svc_entitlement_due_on', 'svc_entitlement', ['due_on'], unique=False)
    op.create_index('ix_svc_entitlement_status_due', 'svc_entitlement', ['status', 'due_on'], unique=False)
    open_only = sa.text("status = 'open'")
    op.create_index(
        "uq_svc_case_open_person_crime", "svc_case", ["person_id", sa.text("coalesce(crime_id, '')")],
        unique=True, sqlite_where=open_only, postgresql_where=open_only,
    )


def downgrade() -> None:
    op.drop_index("uq_svc_case_open_person_crime", table_name="svc_case")
    for table in TABLES:
        op.drop_table(table)
