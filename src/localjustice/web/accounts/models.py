"""The ``web_user`` table: who may sign in, in which role, the counters that lock an account, and
the generation that ends its sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from localjustice.appdb import Base


class User(Base):
    """One account. ``version`` is bumped by every update so a stale edit form is refused."""

    __tablename__ = "web_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str] = mapped_column(String(50))
    teams: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean)
    #: failed sign-ins since ``failures_since``; at ``Lockout.failures`` within the window, locked
    failed_logins: Mapped[int] = mapped_column(Integer)
    failures_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    version: Mapped[int] = mapped_column(Integer)
    #: written into each session cookie at sign-in; adding one ends every session issued before
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
