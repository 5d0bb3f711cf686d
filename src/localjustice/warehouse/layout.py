"""Where each kind of data lives in the warehouse.

Three schemas: ``identity`` (the restricted zone: one table per extract, as validated, with names,
dates of birth, postcodes and source ids), ``ingest`` (provenance: batches, quarantine, warnings)
and ``analysis`` (pseudonymous persons and events, written by linkage). Table DDL for the identity
zone is derived from the contract so the two cannot drift.
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
        finished_at TIMESTAMP NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {INGEST_SCHEMA}.quarantine (
        batch_id VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        column_name VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        raw_row JSON NOT NULL
    )""",
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
    return [*schemas, *INGEST_DDL, *tables]
