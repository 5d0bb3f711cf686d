"""Grants: what an approved request lets its requester download, and until when.

A grant is current from ``starts_on`` to ``ends_on`` inclusive, judged against the day the caller
passes (the web app's clock), so access ends by itself on its end date: no job has to revoke it.
The download is one set-based query of the analysis zone for the granted columns only
(pseudonymous: ``datasets.toml``), written as CSV by Arrow; it never reads the identity zone.
"""

from __future__ import annotations

import io
from datetime import date

import pyarrow.csv as pa_csv
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.access import Actor
from localjustice.audit import record_event
from localjustice.sharing.models import Grant
from localjustice.sharing.rules import load_datasets
from localjustice.warehouse import Warehouse


class GrantView(BaseModel):
    id: int
    request_id: int
    dataset: str
    title: str
    columns: list[str]
    starts_on: date
    ends_on: date
    current: bool
    download: str | None


class GrantsView(BaseModel):
    today: date
    grants: list[GrantView]


def current_grant(session: Session, username: str, dataset: str, today: date) -> Grant | None:
    """The user's grant of ``dataset`` in force today (the latest ending, if several)."""
    return session.scalars(select(Grant).where(
        Grant.username == username, Grant.dataset == dataset, Grant.starts_on <= today,
        Grant.ends_on >= today).order_by(Grant.ends_on.desc(), Grant.id.desc()).limit(1)).one_or_none()


def grants_view(session: Session, username: str, today: date) -> GrantsView:
    datasets = load_datasets()
    rows = session.scalars(select(Grant).where(Grant.username == username)
                           .order_by(Grant.ends_on.desc(), Grant.id.desc())).all()
    views = []
    for g in rows:
        current = g.starts_on <= today <= g.ends_on
        views.append(GrantView(id=g.id, request_id=g.request_id, dataset=g.dataset,
                               title=datasets[g.dataset].title if g.dataset in datasets else g.dataset,
                               columns=g.columns, starts_on=g.starts_on, ends_on=g.ends_on, current=current,
                               download=f"/data/{g.dataset}" if current else None))
    return GrantsView(today=today, grants=views)


def dataset_sql(dataset: str, columns: list[str]) -> tuple[str, list[object]]:
    """The SELECT of a dataset's granted columns (names checked against ``datasets.toml``)."""
    spec = load_datasets()[dataset]
    chosen = [c for c in spec.columns if c in columns]
    order = ", ".join(c for c in ("person_id", "event_date") if c in chosen) or "1"
    if spec.event_type is None:
        return f"SELECT {', '.join(chosen)} FROM {spec.table} ORDER BY {order}", []
    return (f"SELECT {', '.join(chosen)} FROM {spec.table} WHERE event_type = ? ORDER BY {order}",
            [spec.event_type])


def dataset_csv(warehouse: Warehouse, session: Session, actor: Actor, grant: Grant) -> bytes:
    """The granted columns of the dataset as CSV, with the download audited (grant, rows)."""
    sql, params = dataset_sql(grant.dataset, grant.columns)
    table = warehouse.execute(sql, params, step=f"sharing download {grant.dataset}").arrow()
    out = io.BytesIO()
    pa_csv.write_csv(table, out)
    record_event(session, actor=actor.username, role=actor.role, action="sharing.download",
                 subject_type="pseudonymous_dataset", subject_id=grant.dataset,
                 purpose=f"data request {grant.request_id}",
                 detail={"grant_id": grant.id, "request_id": grant.request_id, "rows": table.num_rows,
                         "columns": table.column_names, "ends_on": grant.ends_on.isoformat()})
    return out.getvalue()
