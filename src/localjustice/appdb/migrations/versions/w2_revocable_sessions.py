"""web: sessions revocable server-side, and failed sign-ins counted within a window

``session_generation`` is written into every session cookie at sign-in; a cookie whose generation
is not the account's current one is refused on the next request. Signing out, a password change,
deactivation, a change of role or teams, and an administrator's "end sessions" all add one, so
every cookie issued before is worthless at once (issue 10 finding 3).

``failures_since`` starts the window in which an account's failed sign-ins count towards a lock:
failures older than the window are forgotten, so a lock needs its failures close together
(issue 10 finding 4; see ``accounts.service.authenticate``).

Revision ID: w2_revocable_sessions
Revises: w1_web_users
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "w2_revocable_sessions"
down_revision: str | None = "w1_web_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_user") as table:
        table.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("failures_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_user") as table:
        table.drop_column("failures_since")
        table.drop_column("session_generation")
