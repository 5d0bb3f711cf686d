"""Where each kind of data lives in the warehouse.

Three schemas: ``identity`` (the restricted zone: one table per extract, as validated, with names,
dates of birth, postcodes and source ids), ``ingest`` (provenance: batches, quarantine, warnings,
version ends) and ``analysis`` (pseudonymous persons and events, written by linkage). Table DDL for
the identity zone is derived from the contract so the two cannot drift.

Records have versions. ``identity.<extract>`` keeps every version ever loaded, append-only: a
later delivery's row with a known natural key (the contract's ``key``) is a new version, and the
version it replaces gets a row in ``ingest.version_end`` (superseded, withdrawn from a full
snapshot, or an older extract that never became current). ``identity.current_<extract>`` is the
view everything downstream reads: the versions that have not ended. Ends are few (a month's
changes), so the view is one anti-join against a small table, on both engines.
"""

from __future__ import annotations

from localjustice.contract import Column, Contract, ExtractFile

IDENTITY_SCHEMA = "identity"
INGEST_SCHEMA = "ingest"
ANALYSIS_SCHEMA = "analysis"

_SQL_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "date": "DATE",
    "integer": "BIGINT",
    "code_list": "VARCHAR[]",
}


def identity_table(extract: ExtractFile | str) -> str:
    name = extract if isinstance(extract, str) else extract.name
    return f"{IDENTITY_SCHEMA}.{name}"


def current_table(extract: ExtractFile | str) -> str:
    """The current version of each record (see the module docstring); what linkage, the measures
    and the case service read."""
    name = extract if isinstance(extract, str) else extract.name
    return f"{IDENTITY_SCHEMA}.current_{name}"


VERSION_END_TABLE = f"{INGEST_SCHEMA}.version_end"

#: Why a version stopped being current.
END_REASONS = ("superseded", "withdrawn", "older_extract")


def current_view_sql(extract: ExtractFile | str, *, history: str | None = None,
                     ends: str = VERSION_END_TABLE) -> str:
    """The SELECT behind ``current_table``; the same SQL on DuckDB and Spark."""
    name = extract if isinstance(extract, str) else extract.name
    table = history or identity_table(name)
    return (f"SELECT t.* FROM {table} AS t WHERE NOT EXISTS (SELECT 1 FROM {ends} AS e "
            f"WHERE e.source = '{name}' AND e.batch_id = t.batch_id "
            f"AND e.source_row = t.source_row)")


def sql_type(column: Column) -> str:
    return _SQL_TYPES[column.type]


def identity_table_ddl(extract: ExtractFile) -> str:
    cols = [f"{c.name} {sql_type(c)}" for c in extract.columns]
    if extract.person_bearing:
        cols.append("pnc_id_valid BOOLEAN NOT NULL")
    cols = ["batch_id VARCHAR NOT NULL", "source_row BIGINT NOT NULL", *cols]
    return f"CREATE TABLE IF NOT EXISTS {identity_table(extract)} ({', '.join(cols)})"


INGEST_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {INGEST_SCHEMA}.batch (
        batch_id VARCHAR PRIMARY KEY,
        delivery VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL,
        file_format VARCHAR NOT NULL,
        file_sha256 VARCHAR NOT NULL,
        contract_version VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        message VARCHAR,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        rows_with_warnings BIGINT NOT NULL,
        extra_columns VARCHAR[] NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        partner VARCHAR,
        extract_date DATE,
        mode VARCHAR NOT NULL DEFAULT 'changes',
        rows_new BIGINT NOT NULL DEFAULT 0,
        rows_changed BIGINT NOT NULL DEFAULT 0,
        rows_unchanged BIGINT NOT NULL DEFAULT 0,
        rows_withdrawn BIGINT NOT NULL DEFAULT 0,
        rows_resolved BIGINT NOT NULL DEFAULT 0
    )""",
    # a warehouse made before records had versions gains the columns, in the same order
    *(f"ALTER TABLE {INGEST_SCHEMA}.batch ADD COLUMN IF NOT EXISTS {c}" for c in (
        "partner VARCHAR", "extract_date DATE", "mode VARCHAR DEFAULT 'changes'",
        "rows_new BIGINT DEFAULT 0", "rows_changed BIGINT DEFAULT 0",
        "rows_unchanged BIGINT DEFAULT 0", "rows_withdrawn BIGINT DEFAULT 0",
        "rows_resolved BIGINT DEFAULT 0")),
    f"""CREATE TABLE IF NOT EXISTS {VERSION_END_TABLE} (
        source VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL,
        source_row BIGINT NOT NULL,
        ended_by_batch VARCHAR NOT NULL,
        reason VARCHAR NOT NULL
    )""",
    # a version a dated changes-only delivery sent again unchanged: that extract stated it too, so
    # a delivery extracted before it (sent late) must not override it (``ingest.load``)
    f"""CREATE TABLE IF NOT EXISTS {INGEST_SCHEMA}.version_confirmed (
        source VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL,
        source_row BIGINT NOT NULL,
        confirmed_by_batch VARCHAR NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {INGEST_SCHEMA}.quarantine_resolved (
        batch_id VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        resolved_by_batch VARCHAR NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {INGEST_SCHEMA}.quarantine (
        batch_id VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        column_name VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        raw_row JSON NOT NULL,
        record_key VARCHAR
    )""",
    f"ALTER TABLE {INGEST_SCHEMA}.quarantine ADD COLUMN IF NOT EXISTS record_key VARCHAR",
    f"""CREATE TABLE IF NOT EXISTS {INGEST_SCHEMA}.warning (
        batch_id VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        column_name VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        rows BIGINT NOT NULL
    )""",
)


def layout_ddl(contract: Contract) -> list[str]:
    """Every statement that creates the layout; each is idempotent."""
    schemas = [f"CREATE SCHEMA IF NOT EXISTS {s}" for s in
               (IDENTITY_SCHEMA, INGEST_SCHEMA, ANALYSIS_SCHEMA)]
    tables = [identity_table_ddl(f) for f in contract.files.values()]
    views = [f"CREATE OR REPLACE VIEW {current_table(f)} AS {current_view_sql(f)}"
             for f in contract.files.values()]
    return [*schemas, *INGEST_DDL, *tables, *views]
