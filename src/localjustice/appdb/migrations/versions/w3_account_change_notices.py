"""web: every committed change to what a signed-in account may do is announced (PostgreSQL)

A trigger on ``web_user`` sends ``NOTIFY lj_account_changed, '<id>'`` when a column the web
app's account cache holds changes (username, display name, role, teams, active, session
generation) or an account is deleted. PostgreSQL delivers it when the changing transaction commits,
whichever process or command made the change, so each server process can drop the account from its
cache at once instead of re-reading it on every request (``web.account_changes``; issue 17's
profile). Sign-in counters and timestamps change on every sign-in and are left out.

SQLite has no notifications: nothing is created there, and the cache keeps re-reading accounts
every few seconds.

Revision ID: w3_account_change_notices
Revises: w2_revocable_sessions
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "w3_account_change_notices"
down_revision: str | None = "w2_revocable_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: as of this revision; ``teams`` is JSON, which has no equality, so it is compared as text
_WATCHED = ("id", "username", "display_name", "role", "teams::text", "active", "session_generation")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""CREATE FUNCTION lj_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('lj_account_changed', OLD.id::text);
            RETURN NULL;
        END $$""")
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _WATCHED)
    op.execute(f"""CREATE TRIGGER web_user_changed AFTER UPDATE ON web_user FOR EACH ROW
        WHEN ({changed}) EXECUTE FUNCTION lj_account_changed()""")
    op.execute("""CREATE TRIGGER web_user_removed AFTER DELETE ON web_user FOR EACH ROW
        EXECUTE FUNCTION lj_account_changed()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER web_user_removed ON web_user")
    op.execute("DROP TRIGGER web_user_changed ON web_user")
    op.execute("DROP FUNCTION lj_account_changed()")
