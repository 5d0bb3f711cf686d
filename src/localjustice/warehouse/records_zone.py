"""The records zone: validated identity records as Parquet files that every engine reads.

Ingestion validates and loads a delivery on DuckDB (``ingest/``) and also writes each loaded
batch's identity rows here, so that an engine without the DuckDB file (Spark) reads the same
records. Layout under ``<data_dir>/records/``::

    source=<extract>/batch=<batch_id>/part-0.parquet   one batch's rows, columns as identity.<extract>
    register/register-<generation>.parquet             the whole ingest.batch table after one ingest
    register/version_end-<generation>.parquet          the whole ingest.version_end table, likewise
    _staging/<token>/...                               files being written; never read
    _publishing.json                                   a delivery committed on DuckDB is being published

Every file is written once under a staging name and renamed into place; nothing published is ever
rewritten. A register generation is the commit point for readers: a batch folder is part of the
zone only once a register lists it, and a reader pins the newest generation when it attaches, so
one run sees one state of the zone even if an ingest publishes meanwhile. The marker
``_publishing.json`` exists from just before the DuckDB commit until the delivery's last file is
in place; a reader that finds it (after waiting for a running ingest) refuses, because the zone
may then lag behind DuckDB (a crash between commit and publication). The order of writes and
why it is atomic are argued in docs/architecture.md.

This module is the zone's layout and its readers; ``ingest.records`` writes it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from localjustice.contract import ExtractFile, load_contract
from localjustice.errors import LocalJusticeError
from localjustice.warehouse.layout import (
    IDENTITY_SCHEMA,
    INGEST_SCHEMA,
    current_view_sql,
    sql_type,
)

if TYPE_CHECKING:
    from localjustice.warehouse import Warehouse

RECORDS_DIR = "records"
REGISTER_DIR = "register"
STAGING_DIR = "_staging"
PUBLISHING_MARKER = "_publishing.json"
PART_FILE = "part-0.parquet"
#: How long a reader waits for a running ingest to finish publishing before it refuses.
PUBLISH_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.05
_REGISTER_NAME = re.compile(r"^register-(\d{6,})\.parquet$")

#: The columns of ``ingest.batch`` as the register stores them (DuckDB's types), so that a zone with
#: no register yet still gives a typed, empty ``ingest.batch``. A test holds this equal to the
#: DuckDB table.
REGISTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "VARCHAR"),
    ("delivery", "VARCHAR"),
    ("source", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("file_format", "VARCHAR"),
    ("file_sha256", "VARCHAR"),
    ("contract_version", "VARCHAR"),
    ("status", "VARCHAR"),
    ("message", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("rows_with_warnings", "BIGINT"),
    ("extra_columns", "VARCHAR[]"),
    ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
    ("partner", "VARCHAR"),
    ("extract_date", "DATE"),
    ("mode", "VARCHAR"),
    ("rows_new", "BIGINT"),
    ("rows_changed", "BIGINT"),
    ("rows_unchanged", "BIGINT"),
    ("rows_withdrawn", "BIGINT"),
    ("rows_resolved", "BIGINT"),
)

#: The columns of ``ingest.version_end``, likewise.
VERSION_END_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "VARCHAR"),
    ("batch_id", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("ended_by_batch", "VARCHAR"),
    ("reason", "VARCHAR"),
)

#: DuckDB's column types as Spark SQL spells them (DuckDB writes TIMESTAMP without a time zone).
_SPARK_TYPES = {
    "VARCHAR": "STRING",
    "BIGINT": "BIGINT",
    "DATE": "DATE",
    "BOOLEAN": "BOOLEAN",
    "VARCHAR[]": "ARRAY<STRING>",
    "TIMESTAMP": "TIMESTAMP_NTZ",
}


class RecordsZoneIncomplete(LocalJusticeError):
    """The records zone lags behind DuckDB: a delivery not fully published, or files missing."""

    def __init__(self, records: Path, what: str) -> None:
        super().__init__(
            f"The records zone at {records} is incomplete: {what}. Run `localjustice ingest` "
            "again with that delivery (or any delivery) and the same --data-dir: it completes the "
            "zone from the warehouse first, then loads only what is new.")


def records_dir(data_dir: Path) -> Path:
    return data_dir / RECORDS_DIR


def extract_dir(records: Path, extract: str) -> Path:
    """One dataset folder per extract, since extracts have different columns."""
    return records / f"source={extract}"


def batch_dir(records: Path, extract: str, batch_id: str) -> Path:
    return extract_dir(records, extract) / f"batch={batch_id}"


def batch_file(records: Path, extract: str, batch_id: str) -> Path:
    return batch_dir(records, extract, batch_id) / PART_FILE


def register_path(records: Path, generation: int) -> Path:
    return records / REGISTER_DIR / f"register-{generation:06d}.parquet"


def version_end_path(records: Path, generation: int) -> Path:
    """Written beside its register generation and renamed into place before it."""
    return records / REGISTER_DIR / f"version_end-{generation:06d}.parquet"


def staging_dir(records: Path) -> Path:
    return records / STAGING_DIR


def publishing_marker(records: Path) -> Path:
    return records / PUBLISHING_MARKER


def register_generations(records: Path) -> list[int]:
    """The published register generations, oldest first."""
    folder = records / REGISTER_DIR
    if not folder.is_dir():
        return []
    found = (_REGISTER_NAME.match(p.name) for p in folder.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def latest_register(records: Path) -> Path | None:
    generations = register_generations(records)
    return register_path(records, generations[-1]) if generations else None


def published_batches(records: Path) -> set[tuple[str, str]]:
    """``(extract, batch_id)`` of every batch folder in place with its file (listed, not read)."""
    found: set[tuple[str, str]] = set()
    if not records.is_dir():
        return found
    for source in records.iterdir():
        if not (source.is_dir() and source.name.startswith("source=")):
            continue
        for batch in source.iterdir():
            if batch.name.startswith("batch=") and (batch / PART_FILE).is_file():
                found.add((source.name.removeprefix("source="), batch.name.removeprefix("batch=")))
    return found


def identity_columns(extract: ExtractFile) -> list[tuple[str, str]]:
    """``(name, DuckDB type)`` of identity.<extract>, in its order (see ``layout.identity_table_ddl``)."""
    columns = [("batch_id", "VARCHAR"), ("source_row", "BIGINT")]
    columns += [(c.name, sql_type(c)) for c in extract.columns]
    if extract.person_bearing:
        columns.append(("pnc_id_valid", "BOOLEAN"))
    return columns


@dataclass(frozen=True)
class ZoneSnapshot:
    """What a reader attached: one register generation and the loaded batches it lists."""

    records: Path
    register: Path | None
    batches: dict[str, tuple[str, ...]]  # extract -> batch ids, sorted

    @property
    def generation(self) -> int | None:
        if self.register is None:
            return None
        found = _REGISTER_NAME.match(self.register.name)
        return int(found.group(1)) if found else None


def wait_until_published(records: Path, wait_seconds: float = PUBLISH_WAIT_SECONDS) -> None:
    """Return once no delivery is part-published; raise ``RecordsZoneIncomplete`` if one stays so.

    An ingest holds the marker for the moment between its DuckDB commit and its last rename, so a
    reader usually waits a few milliseconds; a marker that outlasts the wait was left by a crash.
    """
    started = time.monotonic()
    while publishing_marker(records).exists():
        waited = time.monotonic() - started
        if waited >= wait_seconds:
            raise RecordsZoneIncomplete(
                records, f"an ingest committed a delivery but had not finished publishing its "
                f"Parquet files after {waited:.0f} s (it may have been stopped)")
        time.sleep(_POLL_SECONDS)


def _literal(engine: str, value: str) -> str:
    """A string literal: Spark's parser reads backslash escapes, DuckDB's doubles the quote."""
    if engine == "spark":
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + value.replace("'", "''") + "'"


def _scan(engine: str, files: Iterable[Path] | Path, folder: Path | None = None) -> str:
    """A relation over Parquet files: Spark reads a folder (pruned by a filter), DuckDB a list."""
    if engine == "spark":
        target = folder if folder is not None else files
        assert isinstance(target, Path)
        return "parquet.`" + target.resolve().as_posix().replace("`", "``") + "`"
    paths = [files] if isinstance(files, Path) else list(files)
    return "read_parquet([" + ", ".join(_literal(engine, p.resolve().as_posix()) for p in paths) + "])"


def _empty_select(engine: str, columns: list[tuple[str, str]]) -> str:
    def typed(duckdb_type: str) -> str:
        return _SPARK_TYPES[duckdb_type] if engine == "spark" else duckdb_type

    body = ", ".join(f"CAST(NULL AS {typed(t)}) AS {name}" for name, t in columns)
    return f"SELECT {body} WHERE 1 = 0"


def _loaded_batches(warehouse: Warehouse, engine: str, register: Path) -> dict[str, tuple[str, ...]]:
    rows = warehouse.execute(
        f"SELECT source, batch_id FROM {_scan(engine, register)} WHERE status = 'loaded'"
    ).fetchall()
    batches: dict[str, list[str]] = {}
    for source, batch_id in rows:
        batches.setdefault(str(source), []).append(str(batch_id))
    return {source: tuple(sorted(ids)) for source, ids in batches.items()}


def attach_records_zone(
    warehouse: Warehouse, data_dir: Path, *, identity_schema: str = IDENTITY_SCHEMA,
    ingest_schema: str = INGEST_SCHEMA, wait_seconds: float = PUBLISH_WAIT_SECONDS,
) -> ZoneSnapshot:
    """Define ``<identity_schema>.<extract>`` and ``<ingest_schema>.batch`` as views of the zone.

    The Spark warehouse calls this on open, so ``identity.police_crimes`` names the same records
    on Spark as on DuckDB. The views pin the newest register generation: each lists exactly the
    batches that generation names (a filter Spark prunes the ``batch=`` folders by), so a run sees
    one state of the zone however many ingests publish meanwhile; attach again to see newer ones.
    An extract with no loaded batch is an empty view with the identity table's columns and types.
    Views are persistent (schema-qualified) rather than session-temporary because Spark does not
    allow a schema on a temporary view, and every module names these tables ``identity.<extract>``.

    On DuckDB, whose identity tables are real, pass other schema names to read the Parquet copy
    beside them (the conservation checks do). Raises ``RecordsZoneIncomplete`` while a committed
    delivery is not fully published, or when a listed batch's files are missing.
    """
    engine = warehouse.engine
    records = records_dir(data_dir)
    wait_until_published(records, wait_seconds)
    register = latest_register(records)
    batches = _loaded_batches(warehouse, engine, register) if register is not None else {}
    missing = {(e, b) for e, ids in batches.items() for b in ids} - published_batches(records)
    if missing:
        # Spark would read the folder without them and quietly count fewer records
        raise RecordsZoneIncomplete(
            records, f"the files of {len(missing)} batch(es) its register lists are missing "
            f"({', '.join(b for _, b in sorted(missing)[:3])}{', ...' if len(missing) > 3 else ''})")
    for schema in (identity_schema, ingest_schema):
        keyword = "DATABASE" if engine == "spark" else "SCHEMA"
        warehouse.execute(f"CREATE {keyword} IF NOT EXISTS {schema}", step="attach records zone")
    if register is None:
        register_sql = _empty_select(engine, list(REGISTER_COLUMNS))
    else:
        register_sql = f"SELECT * FROM {_scan(engine, register)}"
    warehouse.execute(f"CREATE OR REPLACE VIEW {ingest_schema}.batch AS {register_sql}",
                      step="attach records zone")
    ends = None
    if register is not None:
        generation = int(register.name.removeprefix("register-").removesuffix(".parquet"))
        ends = version_end_path(records, generation)
    ends_sql = (f"SELECT * FROM {_scan(engine, ends)}" if ends is not None and ends.is_file()
                else _empty_select(engine, list(VERSION_END_COLUMNS)))
    warehouse.execute(f"CREATE OR REPLACE VIEW {ingest_schema}.version_end AS {ends_sql}",
                      step="attach records zone")
    for extract in load_contract().files.values():
        columns = identity_columns(extract)
        ids = batches.get(extract.name, ())
        if not ids:
            select = _empty_select(engine, columns)
        else:
            names = ", ".join(name for name, _ in columns)
            files = [batch_file(records, extract.name, b) for b in ids]
            scan = _scan(engine, files, extract_dir(records, extract.name))
            keep = ", ".join(_literal(engine, b) for b in ids)
            # Spark prunes by the folder's partition value; DuckDB reads the listed files only
            by = "batch" if engine == "spark" else "batch_id"
            select = f"SELECT {names} FROM {scan} WHERE {by} IN ({keep})"
        warehouse.execute(f"CREATE OR REPLACE VIEW {identity_schema}.{extract.name} AS {select}",
                          step="attach records zone")
        current = current_view_sql(extract, history=f"{identity_schema}.{extract.name}",
                                   ends=f"{ingest_schema}.version_end")
        warehouse.execute(
            f"CREATE OR REPLACE VIEW {identity_schema}.current_{extract.name} AS {current}",
            step="attach records zone")
    return ZoneSnapshot(records, register, batches)
