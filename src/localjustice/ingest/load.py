"""Load a delivery into the identity zone: all of it in one transaction, or none of it.

Per file: hash it (a file already received is skipped, which makes loads idempotent), stage it as
text, check every contract rule set-wise, insert the valid rows typed into the identity zone and
the rest into quarantine with their reasons, and record the batch's provenance. The conservation
``read = loaded + quarantined`` is checked in the engine before commit; if it fails, or anything
fails, the whole delivery rolls back. The loaded batches are also written to the records zone as
Parquet (``ingest.records``): staged before the commit, published after it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from localjustice.contract import Column, Contract, ExtractFile, load_contract
from localjustice.errors import LocalJusticeError
from localjustice.ingest.checks import (
    checked_rows_sql,
    cleaned_sql,
    normalised,
    pnc_check_letter_ok,
)
from localjustice.ingest.delivery import DeliveryFile, find_delivery
from localjustice.ingest.reading import FileRejected, StagedFile, file_sha256, stage_file
from localjustice.ingest.records import StagedDelivery, publish, repair_records_zone, stage_delivery
from localjustice.ingest.sql import ident, literal
from localjustice.progress import NullProgress, Progress
from localjustice.warehouse import (
    INGEST_SCHEMA,
    DuckDBWarehouse,
    Warehouse,
    WarehouseError,
    as_duckdb,
    identity_table,
)
from localjustice.warehouse.records_zone import records_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileResult:
    source: str
    file_name: str
    batch_id: str
    status: str  # loaded | rejected | already_loaded | already_rejected
    message: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_with_warnings: int = 0


@dataclass(frozen=True)
class DeliveryResult:
    delivery: str
    files: tuple[FileResult, ...]
    ignored: tuple[str, ...] = field(default=())
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(f.status in {"loaded", "rejected"} for f in self.files)

    @property
    def rejected(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.status == "rejected")

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files if f.status == "loaded")


def batch_id_for(source: str, sha256: str) -> str:
    """Deterministic: the same file content for the same source is the same batch."""
    return f"{source}-{sha256[:16]}"


def _typed(column: Column) -> str:
    """A cleaned cell as the identity zone stores it."""
    v = ident(column.name)
    if column.type == "date":
        return ident(f"_d_{column.name}")
    if column.type == "integer":
        return f"CAST({v} AS BIGINT)"
    if column.type == "code_list":
        # codes never hold white space, so removing it all is safe and cheaper than a regex
        return f"COALESCE(list_filter(string_split(replace(replace({v}, ' ', ''), chr(9), ''), ';'), " \
               f"lambda x: x <> ''), CAST([] AS VARCHAR[]))"
    if column.normalise == "postcode":
        norm = normalised(column)
        return f"CASE WHEN length({norm}) > 3 THEN substr({norm}, 1, length({norm}) - 3) || ' ' || " \
               f"right({norm}, 3) ELSE {norm} END"
    return v


def _pnc_valid(extract: ExtractFile) -> str:
    pnc = extract.column("pnc_id")
    v = ident("pnc_id")
    return (f"COALESCE({v} IS NOT NULL AND regexp_full_match({v}, {literal(pnc.pattern or '')}) "
            f"AND {pnc_check_letter_ok('pnc_id')}, FALSE)")


def _previous_batch(wh: DuckDBWarehouse, batch_id: str) -> tuple[str, str] | None:
    row = wh.execute(
        f"SELECT status, delivery FROM {INGEST_SCHEMA}.batch WHERE batch_id = ?", [batch_id]
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def _record_batch(
    wh: DuckDBWarehouse, *, batch_id: str, delivery: str, item: DeliveryFile,
    sha256: str, contract: Contract, status: str, message: str, counts: tuple[int, int, int, int],
    extras: tuple[str, ...], started: datetime,
) -> None:
    wh.execute(
        f"""INSERT INTO {INGEST_SCHEMA}.batch (batch_id, delivery, source, file_name, file_format,
            file_sha256, contract_version, status, message, rows_read, rows_loaded,
            rows_quarantined, rows_with_warnings, extra_columns, started_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [batch_id, delivery, item.extract.name, item.path.name, item.file_format, sha256,
         contract.version, status, message, *counts, list(extras), started,
         datetime.now(UTC).replace(tzinfo=None)],
    )


@dataclass
class _Prepared:
    """A file read and staged before the delivery's transaction starts.

    Staging happens first because a failed read inside a DuckDB transaction aborts the whole
    transaction; the staged tables are temporary and never reach the warehouse file.
    """

    item: DeliveryFile
    sha256: str
    batch_id: str
    started: datetime
    staged: StagedFile | None = None
    rejection: str = ""
    previous: tuple[str, str] | None = None


def _prepare(wh: DuckDBWarehouse, item: DeliveryFile, progress: Progress) -> _Prepared:
    step = progress.step(f"read {item.path.name}", total=2)
    started = datetime.now(UTC).replace(tzinfo=None)
    sha256 = file_sha256(item.path)
    prepared = _Prepared(item, sha256, batch_id_for(item.extract.name, sha256), started)
    step.advance()
    prepared.previous = _previous_batch(wh, prepared.batch_id)
    if prepared.previous is None:
        try:
            prepared.staged = stage_file(wh, item.path, item.file_format, item.extract,
                                         f"_stage_{item.extract.name}")
            log.info("staged source=%s batch=%s rows=%d", item.extract.name, prepared.batch_id,
                     prepared.staged.rows)
        except FileRejected as exc:
            prepared.rejection = str(exc)
    step.advance()
    return prepared


def _load_file(
    wh: DuckDBWarehouse, prepared: _Prepared, delivery: str, contract: Contract,
    as_of: date, progress: Progress,
) -> FileResult:
    item, batch_id = prepared.item, prepared.batch_id
    extract = item.extract
    if prepared.previous is not None:
        status, earlier = prepared.previous
        return FileResult(extract.name, item.path.name, batch_id, f"already_{status}",
                          f"identical file already {status} in delivery {earlier}")
    if prepared.staged is None:
        _record_batch(wh, batch_id=batch_id, delivery=delivery, item=item,
                      sha256=prepared.sha256, contract=contract, status="rejected",
                      message=prepared.rejection, counts=(0, 0, 0, 0), extras=(),
                      started=prepared.started)
        log.warning("rejected file source=%s batch=%s reason=%s", extract.name, batch_id,
                    prepared.rejection)
        return FileResult(extract.name, item.path.name, batch_id, "rejected", prepared.rejection)
    staged = prepared.staged
    step = progress.step(f"check and load {item.path.name}", total=2)
    problems = f"_problems_{extract.name}"
    # Only rows that break a rule or carry a warning are kept here; the valid majority is
    # loaded straight from the staged table by anti-join, never copied twice.
    wh.execute(
        f"CREATE OR REPLACE TEMP TABLE {problems} AS "
        f"{checked_rows_sql(contract, extract, staged.table, as_of=as_of)}"
    )
    step.advance()
    rejected = f"(SELECT _row FROM {problems} WHERE len(_violations) > 0)"
    typed = [f"{_typed(c)} AS {c.name}" for c in extract.columns]
    if extract.person_bearing:
        typed.append(f"{_pnc_valid(extract)} AS pnc_id_valid")
    wh.execute(
        f"INSERT INTO {identity_table(extract)} BY NAME SELECT {literal(batch_id)} AS batch_id, "
        f"_row AS source_row, {', '.join(typed)} FROM ({cleaned_sql(extract, staged.table)}) "
        f"WHERE _row NOT IN {rejected}"
    )
    wh.execute(
        f"""INSERT INTO {INGEST_SCHEMA}.quarantine
        SELECT {literal(batch_id)}, {literal(extract.name)}, {literal(item.path.name)}, p._row,
               p.v."column", p.v.rule, p.v.reason, {staged.raw_row_json("s")}
        FROM (SELECT _row, unnest(_violations) AS v FROM {problems}) AS p
        JOIN {staged.table} AS s ON s._row = p._row"""
    )
    wh.execute(
        f"""INSERT INTO {INGEST_SCHEMA}.warning
        SELECT {literal(batch_id)}, {literal(extract.name)}, w."column", w.rule, w.reason, count(*)
        FROM (SELECT unnest(_warnings) AS w FROM {problems} WHERE len(_violations) = 0)
        GROUP BY ALL"""
    )
    counts = wh.execute(
        f"""SELECT count(*) FILTER (WHERE len(_violations) > 0),
                   count(*) FILTER (WHERE len(_violations) = 0 AND len(_warnings) > 0)
            FROM {problems}"""
    ).fetchone()
    assert counts is not None
    read = staged.rows
    quarantined, warned = int(counts[0]), int(counts[1])
    loaded = read - quarantined
    stored = wh.execute(
        f"SELECT (SELECT count(*) FROM {identity_table(extract)} WHERE batch_id = ?), "
        f"(SELECT count(DISTINCT row_number) FROM {INGEST_SCHEMA}.quarantine WHERE batch_id = ?)",
        [batch_id, batch_id],
    ).fetchone()
    assert stored is not None
    if (int(stored[0]), int(stored[1])) != (loaded, quarantined):
        raise LocalJusticeError(
            f"{item.path.name}: rows do not add up (read {read}, loaded {stored[0]}, quarantined "
            f"{stored[1]}); nothing from this delivery was kept. This is a bug: please report it."
        )
    _record_batch(wh, batch_id=batch_id, delivery=delivery, item=item, sha256=prepared.sha256,
                  contract=contract, status="loaded", message="",
                  counts=(read, loaded, quarantined, warned), extras=staged.extra_columns,
                  started=prepared.started)
    wh.execute(f"DROP TABLE {problems}")
    wh.execute(f"DROP TABLE {staged.table}")
    step.advance()
    log.info("loaded source=%s batch=%s read=%d loaded=%d quarantined=%d", extract.name, batch_id,
             read, loaded, quarantined)
    return FileResult(extract.name, item.path.name, batch_id, "loaded", "", read, loaded,
                      quarantined, warned)


def ingest_delivery(
    warehouse: Warehouse, folder: Path, *, as_of: date | None = None,
    progress: Progress | None = None,
) -> DeliveryResult:
    """Validate and load every extract in ``folder`` as one transaction.

    ``as_of`` is the date "not in the future" is judged against (today unless given, for tests).
    """
    contract = load_contract()
    delivery = find_delivery(folder, contract)
    as_of = as_of or date.today()
    progress = progress or NullProgress()
    started = time.perf_counter()
    results: list[FileResult] = []
    wh = as_duckdb(warehouse)
    records = records_zone_of(wh)
    # identity rows keep their file order in source_row, so the engine may insert in any order
    wh.execute("SET preserve_insertion_order = false")
    staged: StagedDelivery | None = None
    try:
        if records is not None:
            repair_records_zone(wh, records)
        prepared = [_prepare(wh, item, progress) for item in delivery.files]
        with wh.transaction():
            for item in prepared:
                results.append(_load_file(wh, item, delivery.name, contract, as_of, progress))
            if records is not None and any(r.status in {"loaded", "rejected"} for r in results):
                step = progress.step("write the records zone (Parquet)", total=1)
                staged = stage_delivery(wh, records, [
                    (r.source, r.batch_id, r.rows_loaded) for r in results if r.status == "loaded"])
                step.advance()
    except BaseException as exc:
        if records is not None:
            _level_after_failure(wh, records)
        if isinstance(exc, WarehouseError):
            raise LocalJusticeError(
                f"Loading {delivery.name} failed in the engine "
                f"({type(exc.__cause__).__name__}); nothing from it was kept. Check free disk "
                "space and that no other process holds the warehouse.") from exc
        raise
    if staged is not None:
        try:
            publish(staged)
        except OSError as exc:
            raise LocalJusticeError(
                f"{delivery.name} is loaded, but its Parquet copy in {records} could not be "
                f"completed ({exc.strerror or type(exc).__name__}); Spark refuses the zone until "
                "it is. Free disk space and run the same ingest again: it completes the zone."
            ) from exc
    return DeliveryResult(delivery.name, tuple(results), delivery.ignored,
                          time.perf_counter() - started)


def records_zone_of(warehouse: Warehouse) -> Path | None:
    """The records zone beside the warehouse file; an in-memory warehouse (tests) has none."""
    return records_dir(warehouse.path.parent) if warehouse.path is not None else None


def _level_after_failure(wh: DuckDBWarehouse, records: Path) -> None:
    """After a rolled-back delivery, drop what it staged; DuckDB's state decides what stays.

    If this fails too the marker stays, readers refuse the zone, and the next ingest repairs it.
    """
    try:
        repair_records_zone(wh, records)
    except (OSError, LocalJusticeError):
        log.exception("records zone left for the next ingest to repair")
