"""Write the records zone: each loaded batch's identity rows as Parquet, published after commit.

The DuckDB transaction is the one commit point; the Parquet files are rolled forward from it, the
way a two-phase commit's participants follow the coordinator's log. Inside the delivery's
transaction, after every file has loaded and balanced, ``stage_delivery`` copies each new batch
from its identity table (the transaction sees its own rows) and the whole ``ingest.batch`` table
into a staging folder, checks each file holds the rows loaded, flushes them to disk and writes the
publishing marker. (A batch that is the first load of its extract stores every valid row of its
file, so its file was written to the same staging folder beside the transaction with
``export_rows``; ``stage_delivery`` checks it the same way.) The transaction then commits, and
``publish`` renames the batch folders into place and then the new register generation, which is
what makes them part of the zone for readers, and removes the marker. ``repair_records_zone``
runs before every ingest and brings the zone level with DuckDB whatever a crash left: it removes
staging and orphaned folders, re-exports committed batches whose files are missing, writes a
register matching DuckDB's, and clears the
marker. See docs/architecture.md for why this order is atomic.

Ingestion runs on DuckDB by design (``as_duckdb``): the export is DuckDB's ``COPY ... TO``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.ingest.sql import literal
from localjustice.warehouse import INGEST_SCHEMA, DuckDBWarehouse, identity_table
from localjustice.warehouse.layout import VERSION_END_TABLE
from localjustice.warehouse.records_zone import (
    PART_FILE,
    batch_dir,
    extract_dir,
    identity_columns,
    latest_register,
    published_batches,
    publishing_marker,
    register_generations,
    register_path,
    staging_dir,
    version_end_path,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StagedDelivery:
    """Files written to the staging folder, waiting for the DuckDB commit."""

    records: Path
    folder: Path
    batches: tuple[tuple[str, str], ...]  # (extract, batch_id)
    generation: int


@dataclass(frozen=True)
class RepairReport:
    removed_staging: bool = False
    removed_orphans: tuple[tuple[str, str], ...] = field(default=())
    exported: tuple[tuple[str, str], ...] = field(default=())
    register_generation: int | None = None
    cleared_marker: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.removed_staging or self.removed_orphans or self.exported
                    or self.register_generation is not None or self.cleared_marker)


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk: a rename is only as durable as both."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_staging_path(records: Path) -> Path:
    """A staging folder of its own for one delivery (created when first written to)."""
    return staging_dir(records) / uuid.uuid4().hex


def _new_staging(records: Path) -> Path:
    folder = new_staging_path(records)
    folder.mkdir(parents=True)
    return folder


def _parquet_rows(wh: DuckDBWarehouse, path: Path) -> int:
    """Rows in a written Parquet file, from its footer (reads no data)."""
    row = wh.execute("SELECT num_rows FROM parquet_file_metadata(?)", [str(path)]).fetchone()
    return int(row[0]) if row else -1


def export_rows(wh: DuckDBWarehouse, folder: Path, extract: str, batch_id: str,
                rows_sql: str) -> Path:
    """Write one batch's identity rows (``rows_sql``, which may hold more columns) to
    ``folder``'s ``source=/batch=`` place, flushed to disk; returns the file."""
    target = batch_dir(folder, extract, batch_id)
    target.mkdir(parents=True)
    path = target / PART_FILE
    columns = ", ".join(f"CAST({name} AS {kind}) AS {name}"
                        for name, kind in identity_columns(load_contract().file(extract)))
    wh.execute(f"COPY (SELECT {columns} FROM ({rows_sql})) TO {literal(str(path))} "
               "(FORMAT parquet)")
    _fsync(path)
    _fsync(target)
    return path


def _check_batch_file(wh: DuckDBWarehouse, path: Path, batch_id: str, expected: int) -> None:
    written = _parquet_rows(wh, path)
    if written != expected:
        raise LocalJusticeError(
            f"The Parquet copy of batch {batch_id} holds {written} rows where {expected} were "
            "loaded; nothing from this delivery was kept. This is a bug: please report it.")


def _export_batch(wh: DuckDBWarehouse, folder: Path, extract: str, batch_id: str,
                  expected: int) -> None:
    """Copy one batch's identity rows to ``folder``'s ``source=/batch=`` place, checked and flushed."""
    path = export_rows(wh, folder, extract, batch_id,
                       f"SELECT * FROM {identity_table(extract)} WHERE batch_id = {literal(batch_id)}")
    _check_batch_file(wh, path, batch_id, expected)


def _export_register(wh: DuckDBWarehouse, folder: Path, generation: int) -> Path:
    """The register and, beside it, the version ends it goes with (small: a month's changes)."""
    path = register_path(folder, generation)
    path.parent.mkdir(parents=True, exist_ok=True)
    wh.execute(f"COPY (SELECT * FROM {INGEST_SCHEMA}.batch ORDER BY finished_at, batch_id) "
                f"TO {literal(str(path))} (FORMAT parquet)")
    ends = version_end_path(folder, generation)
    wh.execute(f"COPY (SELECT * FROM {VERSION_END_TABLE} ORDER BY source, batch_id, source_row) "
               f"TO {literal(str(ends))} (FORMAT parquet)")
    _fsync(path)
    _fsync(ends)
    _fsync(path.parent)
    return path


def _write_marker(records: Path, folder: Path, batches: tuple[tuple[str, str], ...],
                  generation: int) -> None:
    """The marker appears whole (written aside, flushed, renamed) so a reader never sees half."""
    body = {"staging": folder.name, "register_generation": generation,
            "batches": [{"source": s, "batch_id": b} for s, b in batches]}
    aside = folder / "publishing.json"
    aside.write_text(json.dumps(body, indent=1), encoding="utf-8")
    _fsync(aside)
    os.replace(aside, publishing_marker(records))
    _fsync(records)


def stage_delivery(wh: DuckDBWarehouse, records: Path, folder: Path,
                   loaded: list[tuple[str, str, int]], *,
                   written: set[tuple[str, str]] | None = None) -> StagedDelivery:
    """Inside the delivery's transaction: stage its batches ``(extract, batch_id, rows)`` in
    ``folder`` and the next register generation, then write the publishing marker. ``written``:
    the batches whose files are in ``folder`` already (``export_rows``, beside the transaction);
    they are checked like the rest. Raises ``LocalJusticeError`` when a file does not hold the
    rows loaded, which rolls the delivery back."""
    folder.mkdir(parents=True, exist_ok=True)
    for extract, batch_id, rows in loaded:
        if (extract, batch_id) in (written or set()):
            _check_batch_file(wh, batch_dir(folder, extract, batch_id) / PART_FILE, batch_id, rows)
        else:
            _export_batch(wh, folder, extract, batch_id, rows)
    generations = register_generations(records)
    generation = (generations[-1] + 1) if generations else 1
    _export_register(wh, folder, generation)
    batches = tuple((extract, batch_id) for extract, batch_id, _ in loaded)
    _write_marker(records, folder, batches, generation)
    return StagedDelivery(records, folder, batches, generation)


def _publish_folder(staged_root: Path, records: Path, extract: str, batch_id: str) -> None:
    source = extract_dir(records, extract)
    source.mkdir(parents=True, exist_ok=True)
    target = batch_dir(records, extract, batch_id)
    if target.exists():
        # not listed by any register (publication follows the commit), so no reader uses it
        shutil.rmtree(target)
    os.rename(batch_dir(staged_root, extract, batch_id), target)
    _fsync(source)


def _publish_register(staged_root: Path, records: Path, generation: int) -> None:
    """The commit point for readers: the new generation lists the new batches."""
    target = register_path(records, generation)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise LocalJusticeError(f"Register generation {generation} already exists in {records}.")
    # the ends first: a reader pins a register, then reads the ends of that same generation
    os.replace(version_end_path(staged_root, generation), version_end_path(records, generation))
    os.rename(register_path(staged_root, generation), target)
    _fsync(target.parent)


def _finish(records: Path, folder: Path) -> None:
    publishing_marker(records).unlink(missing_ok=True)
    _fsync(records)
    shutil.rmtree(folder, ignore_errors=True)
    staging = staging_dir(records)
    if staging.is_dir() and not any(staging.iterdir()):
        staging.rmdir()


def publish(staged: StagedDelivery) -> None:
    """After the commit: batch folders into place, then the register, then clear the marker."""
    for extract, batch_id in staged.batches:
        _publish_folder(staged.folder, staged.records, extract, batch_id)
    _publish_register(staged.folder, staged.records, staged.generation)
    _finish(staged.records, staged.folder)
    log.info("published records batches=%d register=%d", len(staged.batches), staged.generation)


def _registered(wh: DuckDBWarehouse, register: Path) -> set[str]:
    rows = wh.execute(f"SELECT batch_id FROM read_parquet({literal(str(register))})").fetchall()
    return {str(r[0]) for r in rows}


def _partial_folders(records: Path) -> list[Path]:
    """Batch folders without their file: none should exist (folders arrive whole by rename)."""
    if not records.is_dir():
        return []
    return [b for s in records.glob("source=*") if s.is_dir()
            for b in s.glob("batch=*") if not (b / PART_FILE).is_file()]


def repair_records_zone(wh: DuckDBWarehouse, records: Path) -> RepairReport:
    """Bring the zone level with DuckDB's committed state; a no-op when it already is.

    Run with the warehouse's write lock held (ingest holds it), outside any transaction, so what
    it reads is what is committed. DuckDB decides: a batch it has is exported if its files are
    missing, a batch folder it does not have is removed, and a register is written when the
    newest does not list exactly DuckDB's batches.
    """
    marker = publishing_marker(records)
    staging = staging_dir(records)
    removed_staging = staging.exists()
    if removed_staging:
        shutil.rmtree(staging)
    rows_of = {(str(s), str(b)): int(n) for s, b, n in wh.execute(
        f"SELECT source, batch_id, rows_loaded FROM {INGEST_SCHEMA}.batch WHERE status = 'loaded'"
    ).fetchall()}
    expected = set(rows_of)
    all_batches = {str(r[0]) for r in wh.execute(
        f"SELECT batch_id FROM {INGEST_SCHEMA}.batch").fetchall()}
    for partial in _partial_folders(records):
        shutil.rmtree(partial)
    published = published_batches(records)
    orphans = tuple(sorted(published - expected))
    missing = tuple(sorted(expected - published))
    register = latest_register(records)
    registered = _registered(wh, register) if register is not None else set()
    stale_register = registered != all_batches
    if not (orphans or missing or stale_register):
        cleared = marker.exists()
        if cleared:
            _finish(records, staging)
        report = RepairReport(removed_staging=removed_staging, cleared_marker=cleared)
        if report.changed:
            log.info("repaired records zone: %s", report)
        return report
    records.mkdir(parents=True, exist_ok=True)
    folder = _new_staging(records)
    generations = register_generations(records)
    generation = (generations[-1] + 1) if generations else 1
    # while the zone lags DuckDB, readers must see the marker (it may already be there)
    _write_marker(records, folder, missing, generation)
    for extract, batch_id in orphans:
        shutil.rmtree(batch_dir(records, extract, batch_id))
    for extract, batch_id in missing:
        _export_batch(wh, folder, extract, batch_id, rows_of[(extract, batch_id)])
        _publish_folder(folder, records, extract, batch_id)
    _export_register(wh, folder, generation)
    _publish_register(folder, records, generation)
    _finish(records, folder)
    report = RepairReport(removed_staging=removed_staging, removed_orphans=orphans,
                          exported=missing, register_generation=generation, cleared_marker=True)
    log.warning("repaired records zone: removed %d orphaned batch(es), exported %d missing "
                "batch(es), register generation %d", len(orphans), len(missing), generation)
    return report
