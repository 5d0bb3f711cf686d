"""The rows of one batch held back by validation, as the partner sent them, for the data steward,
and the records a full snapshot withdrew (``withdrawn_records``), to check with the partner.

``ingest.quarantine`` keeps, per rule a row broke, the row as the file gave it (``raw_row``, header
-> text): personal data. These functions read it for the steward's quarantine page and the
download for the data owner; callers audit every read (``web.services.quarantine``). Nothing here
logs a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from localjustice.contract import load_contract
from localjustice.ingest.sql import ident
from localjustice.warehouse import INGEST_SCHEMA, Warehouse, as_duckdb, identity_table
from localjustice.warehouse.layout import VERSION_END_TABLE


@dataclass(frozen=True)
class QuarantineBatch:
    """The batch whose rows were held back: which delivery and file it came from, and the partner
    (as the contract names the extract's, the same as the loads page groups by)."""

    batch_id: str
    delivery: str
    source: str
    file_name: str
    partner: str
    #: held-back rows (a row breaking several rules counts once)
    rows: int
    #: current records this batch, a full snapshot, lacked and so withdrew
    withdrawn: int = 0
    #: loaded or rejected (a rejected file is refused whole: no row of it is held back)
    status: str = "loaded"
    #: why, for a rejected file
    message: str = ""


@dataclass(frozen=True)
class Violation:
    column: str
    rule: str
    reason: str


@dataclass(frozen=True)
class QuarantinedRow:
    """One held-back row: its place in the file, its values as sent, the rules it broke, and the
    later batch that brought a valid version of its record (empty while it waits)."""

    row_number: int
    values: dict[str, str]
    violations: tuple[Violation, ...]
    resolved_by_batch: str = ""
    resolved_by_delivery: str = ""


def quarantine_batch(warehouse: Warehouse, batch_id: str) -> QuarantineBatch | None:
    """The batch ``batch_id`` with its count of held-back rows, or ``None`` if no batch has it."""
    con = as_duckdb(warehouse).connection
    row = con.execute(
        f"""SELECT b.batch_id, b.delivery, b.source, b.file_name,
                   (SELECT count(DISTINCT q.row_number) FROM {INGEST_SCHEMA}.quarantine AS q
                    WHERE q.batch_id = b.batch_id), coalesce(b.rows_withdrawn, 0), b.status,
                   coalesce(b.message, '')
            FROM {INGEST_SCHEMA}.batch AS b WHERE b.batch_id = ?""", [batch_id]).fetchone()
    if row is None:
        return None
    partner_of = {f.name: f.partner for f in load_contract().files.values()}
    source = str(row[2])
    return QuarantineBatch(str(row[0]), str(row[1]), source, str(row[3]),
                           partner_of.get(source, source), int(row[4]), int(row[5]),
                           str(row[6]), str(row[7]))


@dataclass(frozen=True)
class WithdrawnRecord:
    """A record a full snapshot lacked: its key (column -> value) and the delivery that brought
    the version it withdrew."""

    key: dict[str, str]
    delivery: str


def withdrawn_records(warehouse: Warehouse, batch: QuarantineBatch, *,
                      limit: int | None = None) -> list[WithdrawnRecord]:
    """The records ``batch`` withdrew, by key (``limit`` of them; all by default). A steward
    checks them with the partner: a record missing from a snapshot by mistake is withdrawn all
    the same (``ingest.load``), and only its key says which."""
    if not batch.withdrawn:
        return []
    extract = load_contract().file(batch.source)
    keys = ", ".join(f"CAST(t.{ident(k)} AS VARCHAR)" for k in extract.key)
    page = "" if limit is None else f"LIMIT {int(limit)}"
    rows = as_duckdb(warehouse).connection.execute(
        f"""SELECT {keys}, b.delivery
            FROM {VERSION_END_TABLE} AS e
            JOIN {identity_table(extract)} AS t
              ON t.batch_id = e.batch_id AND t.source_row = e.source_row
            JOIN {INGEST_SCHEMA}.batch AS b ON b.batch_id = e.batch_id
            WHERE e.source = ? AND e.ended_by_batch = ? AND e.reason = 'withdrawn'
            ORDER BY {keys} {page}""", [batch.source, batch.batch_id]).fetchall()
    width = len(extract.key)
    return [WithdrawnRecord(dict(zip(extract.key, (str(v) for v in r[:width]), strict=True)),
                            str(r[width])) for r in rows]


def quarantined_rows(warehouse: Warehouse, batch_id: str, *, offset: int = 0,
                     limit: int | None = None) -> list[QuarantinedRow]:
    """The batch's held-back rows in file order (``limit`` of them from ``offset``; all by default)."""
    con = as_duckdb(warehouse).connection
    page = "" if limit is None else f"LIMIT {int(limit)} OFFSET {int(offset)}"
    rows = con.execute(
        f"""WITH held AS (
                SELECT row_number, any_value(raw_row) AS raw_row,
                       list({{'column': column_name, 'rule': rule, 'reason': reason}}
                            ORDER BY column_name, rule, reason) AS violations
                FROM {INGEST_SCHEMA}.quarantine WHERE batch_id = ?
                GROUP BY row_number ORDER BY row_number {page})
            SELECT h.row_number, CAST(h.raw_row AS VARCHAR), h.violations,
                   coalesce(min(r.resolved_by_batch), ''), coalesce(min(rb.delivery), '')
            FROM held AS h
            LEFT JOIN {INGEST_SCHEMA}.quarantine_resolved AS r
                   ON r.batch_id = ? AND r.row_number = h.row_number
            LEFT JOIN {INGEST_SCHEMA}.batch AS rb ON rb.batch_id = r.resolved_by_batch
            GROUP BY h.row_number, h.raw_row, h.violations
            ORDER BY h.row_number""", [batch_id, batch_id]).fetchall()
    return [QuarantinedRow(int(r[0]), _values(r[1]),
                           tuple(Violation(str(v["column"]), str(v["rule"]), str(v["reason"]))
                                 for v in r[2]),
                           str(r[3]), str(r[4]))
            for r in rows]


def _values(raw: str) -> dict[str, str]:
    parsed: Any = json.loads(raw)
    if not isinstance(parsed, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in parsed.items()}


def columns_of(rows: list[QuarantinedRow]) -> list[str]:
    """The file's headers, in the file's order, over ``rows`` (one file: the same for each)."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row.values))
    return list(seen)


def batches_of_delivery(warehouse: Warehouse, delivery: str) -> list[tuple[str, str, int]]:
    """The batches of the delivery named ``delivery``: (batch id, file name, records withdrawn),
    for a steward who gave the delivery where a batch id was asked for."""
    rows = as_duckdb(warehouse).connection.execute(
        f"""SELECT batch_id, file_name, coalesce(rows_withdrawn, 0) FROM {INGEST_SCHEMA}.batch
            WHERE delivery = ? ORDER BY file_name, batch_id""", [delivery]).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
