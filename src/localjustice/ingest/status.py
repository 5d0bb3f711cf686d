"""What has been loaded: batches with their row conservation and what each changed, quarantine
reasons with counts, and the quarantine items still waiting for their partner's correction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from localjustice.contract import load_contract
from localjustice.warehouse import INGEST_SCHEMA, Warehouse, as_duckdb


@dataclass(frozen=True)
class BatchSummary:
    batch_id: str
    delivery: str
    source: str
    file_name: str
    status: str
    message: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_with_warnings: int
    loaded_at: str
    partner: str = ""
    extract_date: str = ""
    mode: str = "changes"
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_withdrawn: int = 0
    rows_resolved: int = 0
    #: of the rows loaded: versions kept as history only, from an extract older than the newest
    #: already loaded (``loaded = new + changed + older``)
    rows_older: int = 0
    #: for a rejected file: the delivery that later loaded the same file (its manifest
    #: corrected, say); empty while none has
    loaded_later_in: str = ""

    @property
    def conserved(self) -> bool | None:
        """Every row read is a stored version, a held-back row or identical to what is current;
        None for a file that was not loaded (rejected whole), which has no rows to account for."""
        if self.status != "loaded":
            return None
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.rows_unchanged


@dataclass(frozen=True)
class ReasonCount:
    source: str
    column: str
    rule: str
    reason: str
    rows: int
    kind: str  # quarantine (row held back) | warning (row kept)


@dataclass(frozen=True)
class OpenItem:
    """A quarantined row no later delivery has brought a valid version of. Names the file and
    row for the data owner; never the row's values."""

    partner: str
    source: str
    delivery: str
    file_name: str
    row_number: int
    rules: str
    reasons: str
    batch_id: str = ""
    #: how many deliveries sent this record broken (this item is the latest one's row)
    sent: int = 1


@dataclass(frozen=True)
class ResolvedItem:
    """A quarantined row a later batch brought a valid version of."""

    source: str
    delivery: str
    file_name: str
    row_number: int
    resolved_by_batch: str
    resolved_by_delivery: str


@dataclass(frozen=True)
class WarehouseStatus:
    batches: tuple[BatchSummary, ...]
    reasons: tuple[ReasonCount, ...]
    open_items: tuple[OpenItem, ...] = ()
    resolved: tuple[ResolvedItem, ...] = ()

    @property
    def resolved_items(self) -> int:
        return len(self.resolved)

    def open_by_partner(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.open_items:
            counts[item.partner] = counts.get(item.partner, 0) + 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {
            "batches": [asdict(b) | {"conserved": b.conserved} for b in self.batches],
            "reasons": [asdict(r) for r in self.reasons],
            "open_quarantine": [asdict(i) for i in self.open_items],
            "open_by_partner": self.open_by_partner(),
            "resolved_quarantine": self.resolved_items,
            "resolved_items": [asdict(i) for i in self.resolved],
        }


def warehouse_status(warehouse: Warehouse) -> WarehouseStatus:
    con = as_duckdb(warehouse).connection
    batches = tuple(
        BatchSummary(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5] or ""),
                     int(r[6]), int(r[7]), int(r[8]), int(r[9]), str(r[10]), str(r[11] or ""),
                     str(r[12] or ""), str(r[13]), rows_new=int(r[14]), rows_changed=int(r[15]),
                     rows_unchanged=int(r[16]), rows_withdrawn=int(r[17]),
                     rows_resolved=int(r[18]), rows_older=int(r[19]),
                     loaded_later_in=str(r[20] or ""))
        for r in con.execute(
            f"""SELECT batch_id, delivery, source, file_name, status, message, rows_read,
                       rows_loaded, rows_quarantined, rows_with_warnings,
                       strftime(finished_at, '%Y-%m-%d %H:%M:%S'), partner,
                       CAST(extract_date AS VARCHAR), mode, rows_new, rows_changed,
                       rows_unchanged, rows_withdrawn, rows_resolved,
                       (SELECT count(*) FROM {INGEST_SCHEMA}.version_end AS e
                        WHERE e.batch_id = b.batch_id AND e.reason = 'older_extract'),
                       CASE WHEN status = 'rejected' THEN
                           (SELECT arg_min(later.delivery, later.finished_at)
                            FROM {INGEST_SCHEMA}.batch AS later
                            WHERE later.source = b.source AND later.file_sha256 = b.file_sha256
                              AND later.status = 'loaded' AND later.finished_at > b.finished_at)
                       END
                FROM {INGEST_SCHEMA}.batch AS b ORDER BY finished_at, batch_id"""
        ).fetchall()
    )
    partner_of = {f.name: f.partner for f in load_contract().files.values()}
    # a record the partner re-sent still broken is one item for the data owner (the latest
    # delivery's row, with how many deliveries sent it so), not one per delivery; rows without a
    # key (or two rows of one key in one file) stay items of their own
    open_rows = con.execute(
        f"""WITH held AS (
                SELECT q.source, b.delivery, q.file_name, q.row_number,
                       string_agg(DISTINCT q.rule, ', ' ORDER BY q.rule) AS rules,
                       string_agg(DISTINCT q.reason, '; ' ORDER BY q.reason) AS reasons,
                       q.batch_id, b.finished_at,
                       coalesce(any_value(q.record_key), q.batch_id || ':' || q.row_number) AS item
                FROM {INGEST_SCHEMA}.quarantine AS q
                JOIN {INGEST_SCHEMA}.batch AS b USING (batch_id)
                WHERE NOT EXISTS (SELECT 1 FROM {INGEST_SCHEMA}.quarantine_resolved AS r
                                  WHERE r.batch_id = q.batch_id AND r.row_number = q.row_number)
                GROUP BY q.source, b.delivery, q.file_name, q.row_number, b.finished_at, q.batch_id),
            ranked AS (
                SELECT *, dense_rank() OVER (PARTITION BY source, item
                                             ORDER BY finished_at DESC, batch_id DESC) AS latest,
                       count(DISTINCT batch_id) OVER (PARTITION BY source, item) AS sent
                FROM held)
            SELECT source, delivery, file_name, row_number, rules, reasons, batch_id, sent
            FROM ranked WHERE latest = 1
            ORDER BY finished_at, source, row_number"""
    ).fetchall()
    open_items = tuple(
        OpenItem(partner_of.get(str(r[0]), str(r[0])), str(r[0]), str(r[1]), str(r[2]), int(r[3]),
                 str(r[4]), str(r[5]), str(r[6]), int(r[7]))
        for r in open_rows)
    resolved = tuple(
        ResolvedItem(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4]), str(r[5]))
        for r in con.execute(
            f"""SELECT DISTINCT q.source, b.delivery, q.file_name, q.row_number,
                       r.resolved_by_batch, rb.delivery, b.finished_at
                FROM {INGEST_SCHEMA}.quarantine_resolved AS r
                JOIN {INGEST_SCHEMA}.quarantine AS q USING (batch_id, row_number)
                JOIN {INGEST_SCHEMA}.batch AS b ON b.batch_id = r.batch_id
                JOIN {INGEST_SCHEMA}.batch AS rb ON rb.batch_id = r.resolved_by_batch
                ORDER BY b.finished_at, q.source, q.row_number"""
        ).fetchall())
    reasons = tuple(
        ReasonCount(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]))
        for r in con.execute(
            f"""SELECT source, column_name, rule, reason, count(DISTINCT (batch_id, row_number)),
                       'quarantine'
                FROM {INGEST_SCHEMA}.quarantine GROUP BY ALL
                UNION ALL
                SELECT source, column_name, rule, reason, sum(rows), 'warning'
                FROM {INGEST_SCHEMA}.warning GROUP BY ALL
                ORDER BY 6, 5 DESC, 1, 2"""
        ).fetchall()
    )
    return WarehouseStatus(batches, reasons, open_items, resolved)
