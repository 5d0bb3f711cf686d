"""Every version of one record, as the deliveries brought them, for the data steward.

Records have versions (``warehouse.layout``): ``identity.<extract>`` keeps each one with the batch
that brought it, and ``ingest.version_end`` says why a version stopped being current (superseded
by a later one, withdrawn by a full snapshot, or an older extract that never became current).
A steward asked "why does this custody period still show no release?" needs that history in one
place: which delivery brought each version and when, which is current, what changed from the
version before, and the rows of the record a delivery held back. This module reads it; the
values are personal data (names, dates of birth, source ids), so callers audit every read
(``web.services.record_history``) and nothing here logs a value.

A record is looked up by the first column of its extract's key (``custody_id``, ``crime_id``...).
For ``police_victims``, whose key is the crime and the victim's source id, that finds every victim
record of the crime, each shown as a record of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.warehouse import INGEST_SCHEMA, Warehouse, as_duckdb
from localjustice.warehouse.layout import VERSION_END_TABLE, identity_table
from localjustice.warehouse.records_zone import identity_columns

#: A version's state, in words a steward reads, by ``ingest.version_end`` reason.
STATES = {"current": "Current", "superseded": "Superseded", "withdrawn": "Withdrawn",
          "older_extract": "History only (older extract)"}
#: Columns of ``identity.<extract>`` that are not the partner's values: provenance, and what
#: ingest derives (whether the PNC id's check letter holds; its warning says so already).
_NOT_SENT = ("batch_id", "source_row", "pnc_id_valid")


@dataclass(frozen=True)
class RecordVersion:
    """One version: where it came from, whether it is current, and its values (as text)."""

    batch_id: str
    delivery: str
    extract_date: str
    loaded_at: str
    source_row: int
    #: current | superseded | withdrawn | older_extract
    state: str
    ended_by_delivery: str
    values: dict[str, str]
    #: the columns whose value differs from the version it followed: the latest earlier one that
    #: was current at some time (a history-only version never was, so the version after it is
    #: compared with the one it replaced); empty for the first
    changed: tuple[str, ...]


@dataclass(frozen=True)
class HeldBackRow:
    """A row of the record a delivery quarantined: never a version, kept with why."""

    batch_id: str
    delivery: str
    row_number: int
    reasons: str
    corrected_by_delivery: str


@dataclass(frozen=True)
class RecordHistory:
    extract: str
    partner: str
    #: the record's key, column -> value
    key: dict[str, str]
    columns: tuple[str, ...]
    #: in the order they were loaded
    versions: tuple[RecordVersion, ...]
    held_back: tuple[HeldBackRow, ...]

    @property
    def current(self) -> RecordVersion | None:
        return next((v for v in self.versions if v.state == "current"), None)


def record_histories(warehouse: Warehouse, extract_name: str, key: str) -> list[RecordHistory]:
    """The records of ``extract_name`` whose key's first column is ``key`` (one, except for a
    crime's victims), each with every version and held-back row; empty when none is known.
    ``LocalJusticeError`` names the extracts when ``extract_name`` is not one."""
    contract = load_contract()
    if extract_name not in contract.files:
        raise LocalJusticeError(f"{extract_name!r} is not an extract; choose one of "
                                f"{', '.join(contract.files)}.")
    extract = contract.files[extract_name]
    con = as_duckdb(warehouse).connection
    first, rest = extract.key[0], list(extract.key[1:])
    columns = [name for name, _ in identity_columns(extract) if name not in _NOT_SENT]
    values = ", ".join(f"CAST(t.{c} AS VARCHAR) AS {c}" for c in columns)
    rows = con.execute(
        f"""SELECT t.batch_id, b.delivery, coalesce(CAST(b.extract_date AS VARCHAR), ''),
                   strftime(b.finished_at, '%Y-%m-%d %H:%M:%S'), t.source_row,
                   coalesce(e.reason, 'current'),
                   -- an older extract's version ends as it arrives: no later delivery ended it
                   CASE WHEN e.reason = 'older_extract' THEN '' ELSE coalesce(eb.delivery, '') END,
                   {values}
            FROM {identity_table(extract)} AS t
            JOIN {INGEST_SCHEMA}.batch AS b ON b.batch_id = t.batch_id
            LEFT JOIN {VERSION_END_TABLE} AS e
                   ON e.source = ? AND e.batch_id = t.batch_id AND e.source_row = t.source_row
            LEFT JOIN {INGEST_SCHEMA}.batch AS eb ON eb.batch_id = e.ended_by_batch
            WHERE t.{first} = ?
            ORDER BY b.finished_at, t.batch_id, t.source_row""",
        [extract_name, key]).fetchall()
    held = con.execute(
        f"""SELECT q.batch_id, b.delivery, q.row_number,
                   string_agg(DISTINCT q.column_name || ': ' || q.reason, '; '
                              ORDER BY q.column_name || ': ' || q.reason),
                   coalesce(min(rb.delivery), ''), any_value(CAST(q.raw_row AS VARCHAR)),
                   b.finished_at
            FROM {INGEST_SCHEMA}.quarantine AS q
            JOIN {INGEST_SCHEMA}.batch AS b ON b.batch_id = q.batch_id
            LEFT JOIN {INGEST_SCHEMA}.quarantine_resolved AS r
                   ON r.batch_id = q.batch_id AND r.row_number = q.row_number
            LEFT JOIN {INGEST_SCHEMA}.batch AS rb ON rb.batch_id = r.resolved_by_batch
            WHERE q.source = ? AND split_part(q.record_key, chr(31), 1) = ?
            GROUP BY q.batch_id, b.delivery, q.row_number, b.finished_at
            ORDER BY b.finished_at, q.batch_id, q.row_number""",
        [extract_name, key]).fetchall()
    partner = extract.partner
    by_key: dict[tuple[str, ...], list[RecordVersion]] = {}
    for r in rows:
        shown = {c: "" if v is None else str(v) for c, v in zip(columns, r[7:], strict=True)}
        record = tuple(shown[k] for k in extract.key)
        before = by_key.setdefault(record, [])
        followed = next((v for v in reversed(before) if v.state != "older_extract"), None)
        changed = () if followed is None else tuple(
            c for c in columns if shown[c] != followed.values[c])
        before.append(RecordVersion(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]),
                                    str(r[5]), str(r[6]), shown, changed))
    held_by_key: dict[tuple[str, ...], list[HeldBackRow]] = {}
    for h in held:
        raw = _raw(h[5])
        record = (key, *(raw.get(k, "").strip() for k in rest))
        held_by_key.setdefault(record, []).append(
            HeldBackRow(str(h[0]), str(h[1]), int(h[2]), str(h[3]), str(h[4])))
    return [RecordHistory(extract_name, partner, dict(zip(extract.key, record, strict=True)),
                          tuple(columns), tuple(by_key.get(record, ())),
                          tuple(held_by_key.get(record, ())))
            for record in sorted(set(by_key) | set(held_by_key))]


def _raw(text: str | None) -> dict[str, str]:
    parsed: Any = json.loads(text) if text else {}
    return {str(k).strip().lower(): "" if v is None else str(v)
            for k, v in parsed.items()} if isinstance(parsed, dict) else {}
