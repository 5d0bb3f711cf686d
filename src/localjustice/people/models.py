"""The people pages' own tables in the application database: who holds whom, and contacts made.

``ppl_allocation``: a person (pseudonymous ``person_id``) on a practitioner's caseload, from when
and by whom, until ``ended_at``; a practitioner sees a journey while they hold an open allocation
of the person. ``ppl_contact``: that the holder made contact, and when (shown on the worklists).
Migrated by the ``people`` Alembic branch (``p1_people``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from localjustice.appdb import Base


class Allocation(Base):
    __tablename__ = "ppl_allocation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(200))
    #: the practitioner's team when they took the person on, for the supervisor's lists
    team: Mapped[str] = mapped_column(String(100))
    #: the worklist the person was taken from ("" for an imported allocation)
    worklist: Mapped[str] = mapped_column(String(50))
    allocated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    allocated_by: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_ppl_allocation_person", "person_id", "username"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Contact(Base):
    __tablename__ = "ppl_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("ppl_allocation.id"))
    contacted_on: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    recorded_by: Mapped[str] = mapped_column(String(200))
