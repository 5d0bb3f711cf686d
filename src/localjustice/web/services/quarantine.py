"""A batch's quarantined rows for the data steward: the page, and the download for the data owner.

The rows are shown as the partner sent them (``ingest.quarantine``'s ``raw_row``): names, dates of
birth, source ids. So, like the linkage review pair page, the steward first gives a reason for
access (kind ``quarantine``; a reason stated on the page holds for the quarantine pages of every
batch for ``reuse_minutes``), and every view and every download writes an audit event citing it,
with the batch and the row numbers, before anything is returned; if the event cannot be written,
nothing is shown. The audit event and the logs never hold a value of a row.
"""

from __future__ import annotations

import csv
import io

from pydantic import BaseModel
from sqlalchemy.orm import Session

from localjustice.access import Purpose, RecordKind, load_access_reasons
from localjustice.audit import record_event
from localjustice.contract import load_contract
from localjustice.ingest.quarantine import (
    QuarantineBatch,
    QuarantinedRow,
    columns_of,
    quarantine_batch,
    quarantined_rows,
    withdrawn_records,
)
from localjustice.web.authorise import SignedIn
from localjustice.web.deps import WarehouseGate

KIND: RecordKind = "quarantine"
#: What a reason for seeing quarantined rows is given for: the quarantine as a whole, as the
#: steward works through the batches of a delivery (as a reason for the review queue is).
ALL = "all"
#: What the audit events of views and downloads name: one batch.
SUBJECT = "quarantine_batch"
#: Held-back rows on one page.
PAGE_SIZE = 50
#: Withdrawn records listed on a batch's page (a quarterly snapshot withdraws a few hundred at
#: most; more than this and the steward is told how many are not listed).
WITHDRAWN_SHOWN = 500
#: The fixed columns of the download, before the row's own columns as the file had them.
CSV_FIELDS = ("file", "row", "column", "rule", "reason", "corrected_by_delivery")
#: A cell starting with one of these is read as a formula by spreadsheets: the download prefixes
#: it with an apostrophe, which they show as the text itself.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ViolationOut(BaseModel):
    column: str
    rule: str
    reason: str


class QuarantinedRowOut(BaseModel):
    row_number: int
    #: the row's values as sent, in the order of ``QuarantineView.columns``
    values: list[str]
    violations: list[ViolationOut]
    resolved: bool
    resolved_by_batch: str
    resolved_by_delivery: str


class WithdrawnOut(BaseModel):
    #: the record's key, column -> value
    key: dict[str, str]
    #: the delivery that brought the version withdrawn
    delivery: str


class QuarantineView(BaseModel):
    batch_id: str
    delivery: str
    source: str
    file_name: str
    partner: str
    #: the file's headers, as the partner sent them
    columns: list[str]
    #: the first column of the extract's key, by which the record history page finds a record
    key_column: str
    rows: list[QuarantinedRowOut]
    total: int
    page: int
    pages: int
    page_size: int = PAGE_SIZE
    #: records this batch (a full snapshot) withdrew, the first ``WITHDRAWN_SHOWN`` by key
    withdrawn: list[WithdrawnOut] = []
    withdrawn_total: int = 0
    #: loaded or rejected; a rejected file's reason
    status: str = "loaded"
    message: str = ""


def state_purpose(db: Session, user: SignedIn, purpose: Purpose) -> int:
    """Record the reason a steward gives for seeing quarantined rows; the id of its audit event,
    which views and downloads in the next ``reuse_minutes`` cite as ``stated_in``."""
    event_id = load_access_reasons().stated(db, user.actor, KIND, ALL, purpose)
    db.commit()
    return event_id


def steward_purpose(db: Session, user: SignedIn, purpose: Purpose | None,
                    stated_in: int | None) -> Purpose:
    """The reason behind a steward's view of rows as sent (quarantined rows, a record's
    versions): given with the request, or stated on the page within ``reuse_minutes``; else
    ``PurposeRequired``."""
    return load_access_reasons().resolve(db, user.actor, KIND, ALL, given=purpose, stated_in=stated_in)


def quarantine_view(gate: WarehouseGate, db: Session, user: SignedIn, batch_id: str, page: int = 1, *,
                    purpose: Purpose | None = None, stated_in: int | None = None
                    ) -> QuarantineView | None:
    """One page of the batch's held-back rows, audited before it is returned; ``None`` when no
    batch has that id. Needs a reason for access, else ``PurposeRequired`` before anything is read."""
    used = steward_purpose(db, user, purpose, stated_in)
    with gate.open() as warehouse:
        batch = quarantine_batch(warehouse, batch_id)
        if batch is None:
            return None
        pages = max(1, -(-batch.rows // PAGE_SIZE))
        page = min(page, pages)
        rows = quarantined_rows(warehouse, batch_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        withdrawn = withdrawn_records(warehouse, batch, limit=WITHDRAWN_SHOWN)
    record_event(db, actor=user.actor.username, role=user.role, action="view", subject_type=SUBJECT,
                 subject_id=batch_id, purpose=used.text,
                 detail={"page": page, "rows": [r.row_number for r in rows],
                         **({"withdrawn_records": len(withdrawn)} if withdrawn else {}),
                         **used.audit_detail()})
    db.commit()
    columns = columns_of(rows)
    return QuarantineView(
        batch_id=batch.batch_id, delivery=batch.delivery, source=batch.source,
        file_name=batch.file_name, partner=batch.partner, columns=columns,
        status=batch.status, message=batch.message,
        key_column=load_contract().file(batch.source).key[0],
        rows=[QuarantinedRowOut(
            row_number=r.row_number, values=[r.values.get(c, "") for c in columns],
            violations=[ViolationOut(column=v.column, rule=v.rule, reason=v.reason) for v in r.violations],
            resolved=bool(r.resolved_by_batch), resolved_by_batch=r.resolved_by_batch,
            resolved_by_delivery=r.resolved_by_delivery) for r in rows],
        total=batch.rows, page=page, pages=pages,
        withdrawn=[WithdrawnOut(key=w.key, delivery=w.delivery) for w in withdrawn],
        withdrawn_total=batch.withdrawn)


def quarantine_csv(gate: WarehouseGate, db: Session, user: SignedIn, batch_id: str, *,
                   purpose: Purpose | None = None, stated_in: int | None = None
                   ) -> tuple[QuarantineBatch, str] | None:
    """The batch and every one of its held-back rows as CSV for the data owner, one line per rule
    broken (file, row, column, rule, reason, the delivery that corrected it if one did, then the
    row's values as sent), audited as a download before it is returned; ``None`` for no batch."""
    used = steward_purpose(db, user, purpose, stated_in)
    with gate.open() as warehouse:
        batch = quarantine_batch(warehouse, batch_id)
        if batch is None:
            return None
        rows = quarantined_rows(warehouse, batch_id)
    record_event(db, actor=user.actor.username, role=user.role, action="download", subject_type=SUBJECT,
                 subject_id=batch_id, purpose=used.text,
                 detail={"rows": len(rows), "format": "csv", **used.audit_detail()})
    db.commit()
    return batch, _csv(batch, rows)


def _csv(batch: QuarantineBatch, rows: list[QuarantinedRow]) -> str:
    columns = columns_of(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_FIELDS, *columns])
    for row in rows:
        values = [_cell(row.values.get(c, "")) for c in columns]
        for v in row.violations:
            writer.writerow([batch.file_name, row.row_number, v.column, v.rule, v.reason,
                             row.resolved_by_delivery, *values])
    return out.getvalue()


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text
