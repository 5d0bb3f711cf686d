"""What has been loaded: batches with their row conservation, and quarantine reasons with counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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

    @property
    def conserved(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined


@dataclass(frozen=True)
class ReasonCount:
    source: str
    column: str
    rule: str
    reason: str
    rows: int
    kind: str  # quarantine (row held back) | warning (row kept)


@dataclass(frozen=True)
class WarehouseStatus:
    batches: tuple[BatchSummary, ...]
    reasons: tuple[ReasonCount, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "batches": [asdict(b) | {"conserved": b.conserved} for b in self.batches],
            "reasons": [asdict(r) for r in self.reasons],
        }


def warehouse_status(warehouse: Warehouse) -> WarehouseStatus:
    con = as_duckdb(warehouse).connection
    batches = tuple(
        BatchSummary(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5] or ""),
                     int(r[6]), int(r[7]), int(r[8]), int(r[9]), str(r[10]))
        for r in con.execute(
            f"""SELECT batch_id, delivery, source, file_name, status, message, rows_read,
                       rows_loaded, rows_quarantined, rows_with_warnings,
                       strftime(finished_at, '%Y-%m-%d %H:%M:%S')
                FROM {INGEST_SCHEMA}.batch ORDER BY finished_at, batch_id"""
        ).fetchall()
    )
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
    return WarehouseStatus(batches, reasons)
