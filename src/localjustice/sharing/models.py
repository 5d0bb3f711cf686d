"""The data-sharing tables: agreements, requests with their steps, and the grants approval makes.

Users are named by username, not by a key into ``web_user``: the register outlives accounts, and
the sharing branch of the migrations stands alone. None of these tables holds data about the
people in the datasets; the register of requests published from them leaves out usernames and
comments too (``register.py``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from localjustice.appdb import Base

STATUSES = ("submitted", "returned", "approved", "refused")
DECIDED = ("approved", "refused")


class Agreement(Base):
    """One information-sharing agreement (MoU 5.1), as seeded from ``agreements.toml``."""

    __tablename__ = "sharing_agreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    parties: Mapped[list[str]] = mapped_column(JSON)
    datasets: Mapped[list[str]] = mapped_column(JSON)
    purposes: Mapped[list[str]] = mapped_column(JSON)
    levels: Mapped[list[str]] = mapped_column(JSON)
    legal_basis: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    illustrative: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class DataRequest(Base):
    """An analyst's request for data under one agreement. ``version`` refuses a stale decision."""

    __tablename__ = "sharing_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("sharing_agreement.id"))
    requester: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(50))
    purpose_detail: Mapped[str] = mapped_column(Text)
    datasets: Mapped[list[str]] = mapped_column(JSON)
    #: dataset -> the columns asked for (all the dataset's when none were named)
    fields: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    level: Mapped[str] = mapped_column(String(20))
    duration_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    first_submitted_on: Mapped[date] = mapped_column(Date)
    #: when the current step began, and its deadline in working days (workflow.toml)
    step_started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'returned', 'approved', 'refused')", name="status"),
        CheckConstraint("level IN ('aggregate', 'pseudonymous')", name="level"),
    )


class RequestStep(Base):
    """What happened to a request, in order: submitted, returned, resubmitted, approved, refused."""

    __tablename__ = "sharing_request_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sharing_request.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(50))
    day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    comment: Mapped[str] = mapped_column(Text)


class Grant(Base):
    """Access to one dataset's named columns for one user, from ``starts_on`` to ``ends_on``
    inclusive; checked at each download against the app's clock, so it ends by itself."""

    __tablename__ = "sharing_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sharing_request.id"), index=True)
    username: Mapped[str] = mapped_column(String(200), index=True)
    dataset: Mapped[str] = mapped_column(String(50))
    columns: Mapped[list[str]] = mapped_column(JSON)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
