"""audit log: writers append unlinked events; a sealer links them into the chain in batches

Until now every audited request updated the one chain-head row, and so held its lock until commit:
on PostgreSQL that serialised all audited work, reads included. Now an event gets its storage
``id`` when written and its place in the chain (``seq``, ``prev_hash``, ``hash``) when sealed. The
append-only guard allows exactly one change to a row: filling in those three columns, once, with
nothing else touched. Existing events keep their chain position (``seq``) and hashes unchanged.

Revision ID: a2_audit_sealed_in_batches
Revises: a1_audit_log
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a2_audit_sealed_in_batches"
down_revision: str | None = "a1_audit_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONTENT = ("id", "occurred_at", "actor", "role", "action", "subject_type", "subject_id", "purpose")

#: PostgreSQL: refuse every delete and every update except sealing an unsealed event.
_GUARD_PG = f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
       AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND ({", ".join(f"NEW.{c}" for c in _CONTENT)}, NEW.detail::text)
           IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in _CONTENT)}, OLD.detail::text)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only';
END $$
"""

_SEALING_SQLITE = " AND ".join([
    "OLD.seq IS NULL", "OLD.prev_hash IS NULL", "OLD.hash IS NULL", "NEW.seq IS NOT NULL",
    "NEW.prev_hash IS NOT NULL", "NEW.hash IS NOT NULL",
    *(f"NEW.{c} IS OLD.{c}" for c in (*_CONTENT, "detail")),
])

_COLUMNS_SQLITE = """
    id INTEGER NOT NULL,
    seq BIGINT,
    occurred_at DATETIME NOT NULL,
    actor VARCHAR(200) NOT NULL,
    role VARCHAR(50) NOT NULL,
    action VARCHAR(50) NOT NULL,
    subject_type VARCHAR(50) NOT NULL,
    subject_id VARCHAR(200) NOT NULL,
    purpose VARCHAR(500) NOT NULL,
    detail JSON NOT NULL,
    prev_hash VARCHAR(64),
    hash VARCHAR(64),
    CONSTRAINT pk_audit_event PRIMARY KEY (id),
    CONSTRAINT uq_audit_event_seq UNIQUE (seq),
    CONSTRAINT uq_audit_event_hash UNIQUE (hash)
"""
_COPIED = "occurred_at, actor, role, action, subject_type, subject_id, purpose, detail, prev_hash, hash"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
        op.execute("ALTER TABLE audit_event RENAME COLUMN seq TO id")
        op.execute("ALTER SEQUENCE audit_event_seq_seq RENAME TO audit_event_id_seq")
        # writers used to give seq themselves: start the storage ids after the newest event
        op.execute("SELECT setval('audit_event_id_seq', COALESCE((SELECT max(id) FROM audit_event), 0) + 1, "
                   "false)")
        op.execute("ALTER TABLE audit_event ADD COLUMN seq BIGINT")
        op.execute("UPDATE audit_event SET seq = id")
        op.execute("ALTER TABLE audit_event ADD CONSTRAINT uq_audit_event_seq UNIQUE (seq), "
                   "ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL")
        op.execute(_GUARD_PG)
        op.execute("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
    else:
        # SQLite cannot relax NOT NULL in place: copy into the new shape, as Alembic's batch mode does
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute(f"CREATE TABLE audit_event_next ({_COLUMNS_SQLITE})")
        op.execute(f"INSERT INTO audit_event_next (id, seq, {_COPIED}) "
                   f"SELECT seq, seq, {_COPIED} FROM audit_event")
        op.execute("DROP TABLE audit_event")
        op.execute("ALTER TABLE audit_event_next RENAME TO audit_event")
        op.create_index("ix_audit_event_subject", "audit_event", ["subject_type", "subject_id"])
        op.create_index("ix_audit_event_actor", "audit_event", ["actor"])
        op.execute("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
                   f"WHEN NOT ({_SEALING_SQLITE}) "
                   "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")
        op.execute("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
                   "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")
    # the sealer's work list: only unsealed events are in it, so it stays tiny
    op.execute("CREATE INDEX ix_audit_event_unsealed ON audit_event (id) WHERE seq IS NULL")


def downgrade() -> None:
    raise NotImplementedError("The audit log is append-only: its sealing migration is not reversed.")
