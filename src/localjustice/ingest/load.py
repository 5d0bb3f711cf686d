"""Load a delivery into the identity zone: all of it in one transaction, or none of it.

Per file: hash it (a file already received is skipped, which makes loads idempotent), stage it as
text, check every contract rule set-wise, insert the valid rows typed into the identity zone and
the rest into quarantine with their reasons, and record the batch's provenance. The conservation
``read = loaded + quarantined`` is checked in the engine before commit; if it fails, or anything
fails, the whole delivery rolls back. The loaded batches are also written to the records zone as
Parquet (``ingest.records``): staged before the commit, published after it.

The files are prepared (hashed, staged, cleaned and, where what their rules look up is known
beforehand, checked) two at a time on worker threads while the transaction loads the files
already prepared, and a first load's Parquet file is written beside the transaction too
(``_Prepared``, ``_Workers``); only the writes to the warehouse are in the transaction.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from localjustice.contract import Column, Contract, ExtractFile, load_contract
from localjustice.errors import LocalJusticeError
from localjustice.ingest.checks import (
    checked_rows_sql,
    cleaned_sql,
    key_text_sql,
    normalised,
    pnc_check_letter_ok,
)
from localjustice.ingest.delivery import DeliveryFile, find_delivery, referenced
from localjustice.ingest.reading import FileRejected, StagedFile, file_sha256, stage_file
from localjustice.ingest.records import (
    StagedDelivery,
    export_rows,
    new_staging_path,
    publish,
    repair_records_zone,
    stage_delivery,
)
from localjustice.ingest.sql import ident, literal, value
from localjustice.progress import NullProgress, Progress, Step
from localjustice.warehouse import (
    INGEST_SCHEMA,
    DuckDBWarehouse,
    Warehouse,
    WarehouseError,
    as_duckdb,
    current_table,
    identity_table,
)
from localjustice.warehouse.layout import VERSION_END_TABLE
from localjustice.warehouse.records_zone import records_dir

log = logging.getLogger(__name__)

T = TypeVar("T")


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
    #: of the rows loaded: records not known before, and new versions of known ones
    new: int = 0
    changed: int = 0
    #: rows identical to the current version (not stored again)
    unchanged: int = 0
    #: current records missing from this full snapshot
    withdrawn: int = 0
    #: quarantined rows of earlier deliveries that this file brought a valid version of
    resolved: int = 0
    #: versions kept as history only, from an extract older than the current one
    older: int = 0


@dataclass(frozen=True)
class _Changes:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    older: int = 0
    message: str = ""
    #: extracted before the newest delivery already loaded for the source (``_later`` is kept)
    late: bool = False


@dataclass(frozen=True)
class DeliveryResult:
    delivery: str
    files: tuple[FileResult, ...]
    ignored: tuple[str, ...] = field(default=())
    seconds: float = 0.0
    #: the delivery came with a manifest.toml (without one: changes only, no totals checked)
    has_manifest: bool = False

    @property
    def changed(self) -> bool:
        return any(f.status in {"loaded", "rejected"} for f in self.files)

    @property
    def rejected(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.status == "rejected")

    @property
    def still_rejected(self) -> tuple[FileResult, ...]:
        """Files rejected now or, sent again unchanged, rejected before: none of them loaded."""
        return tuple(f for f in self.files if f.status in {"rejected", "already_rejected"})

    @property
    def loaded(self) -> bool:
        return any(f.status == "loaded" for f in self.files)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files if f.status == "loaded")


def batch_id_for(source: str, sha256: str, stated: str = "") -> str:
    """Deterministic: the same file content for the same source, with the same manifest
    statement about it (mode, control total and extract date), is the same batch, which makes a
    re-sent delivery change nothing. The statement is part of the id so that a file rejected for a
    wrong control total loads once the manifest is corrected, and so that the same bytes extracted
    later are a delivery of their own: a record put back to an earlier state sends the earlier
    state's bytes again, and that newer extract must become current."""
    if stated:
        sha256 = hashlib.sha256(f"{sha256}|{stated}".encode()).hexdigest()
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


def _valid_sql(extract: ExtractFile, batch_id: str, clean: str, problems: str) -> str:
    """The file's valid rows as the identity zone stores them."""
    rejected = f"(SELECT _row FROM {problems} WHERE len(_violations) > 0)"
    typed = [f"{_typed(c)} AS {c.name}" for c in extract.columns]
    if extract.person_bearing:
        typed.append(f"{_pnc_valid(extract)} AS pnc_id_valid")
    return (f"SELECT {literal(batch_id)} AS batch_id, _row AS source_row, {', '.join(typed)} "
            f"FROM {clean} WHERE _row NOT IN {rejected}")


def _has_history(wh: DuckDBWarehouse, extract: ExtractFile) -> bool:
    return bool(wh.execute(f"SELECT EXISTS (SELECT 1 FROM {identity_table(extract)})").scalar())


def _previous_batch(wh: DuckDBWarehouse, batch_id: str) -> tuple[str, str, str] | None:
    """The status, delivery and message of the batch this file already was, if any."""
    row = wh.execute(
        f"SELECT status, delivery, coalesce(message, '') FROM {INGEST_SCHEMA}.batch "
        "WHERE batch_id = ?", [batch_id]).fetchone()
    return (str(row[0]), str(row[1]), str(row[2])) if row else None


def _record_batch(
    wh: DuckDBWarehouse, *, batch_id: str, delivery: str, item: DeliveryFile,
    sha256: str, contract: Contract, status: str, message: str, counts: tuple[int, int, int, int],
    extras: tuple[str, ...], started: datetime, partner: str, extract_date: date | None,
) -> None:
    """The batch's provenance, with what the manifest said of the file (partner, extract date,
    mode) whether it loaded or not: a rejected snapshot is still a snapshot to the steward."""
    wh.execute(
        f"""INSERT INTO {INGEST_SCHEMA}.batch (batch_id, delivery, source, file_name, file_format,
            file_sha256, contract_version, status, message, rows_read, rows_loaded,
            rows_quarantined, rows_with_warnings, extra_columns, started_at, finished_at,
            partner, extract_date, mode)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [batch_id, delivery, item.extract.name, item.path.name, item.file_format, sha256,
         contract.version, status, message, *counts, list(extras), started,
         datetime.now(UTC).replace(tzinfo=None), partner, extract_date, item.mode],
    )


@dataclass
class _Prepared:
    """A file read, staged, cleaned and (where what its rules look up is known beforehand:
    ``_current_after_load``) checked before the delivery's transaction reads it.

    This happens on a worker thread with a cursor of its own, into an in-memory database of the
    file's own (``work``), for two reasons: a failed read inside a DuckDB transaction aborts the
    whole transaction, and the files are independent, so two can be prepared at once while the
    transaction loads the ones already prepared. Much of the work is on one thread in DuckDB (the
    numbered read, and every statement over a file of less than one row group), which left a core
    idle. The transaction first reads a work database once the file in it is ready: a DuckDB
    transaction sees each attached database as it was when it first touched it, so one database
    shared by all the files would hide from it the tables prepared after its first read.
    """

    item: DeliveryFile
    sha256: str
    batch_id: str
    started: datetime
    work: str
    staged: StagedFile | None = None
    rejection: str = ""
    previous: tuple[str, str, str] | None = None
    #: the staged rows cleaned (``cleaned_sql``)
    clean: str = ""
    #: the rows that break a rule or earn a warning; empty: checked in the transaction, since
    #: what its rules look up is known only there (``_current_after_load``)
    problems: str = ""
    #: no record of the extract was committed when the file was prepared
    first_load: bool = False


def _work_databases(count: int) -> list[str]:
    return [f"_ingest_work_{i}" for i in range(count)]


def _prepare(wh: DuckDBWarehouse, item: DeliveryFile, extract_date: date | None, work: str,
             contract: Contract, as_of: date,
             looked_up: dict[str, Future[_Prepared]]) -> _Prepared:
    """On a worker thread, with its own cursor ``wh``: see ``_Prepared``. ``looked_up``: the
    files of this delivery that this file's rules look into, by extract."""
    started = datetime.now(UTC).replace(tzinfo=None)
    sha256 = file_sha256(item.path)
    statement = ("" if extract_date is None else
                 f"{item.mode}:{item.control_rows}:{extract_date.isoformat()}"
                 + (":withdraw_most" if item.withdraw_most else ""))
    prepared = _Prepared(item, sha256, batch_id_for(item.extract.name, sha256, statement), started,
                         work)
    prepared.previous = _previous_batch(wh, prepared.batch_id)
    if prepared.previous is not None:
        return prepared
    extract = item.extract
    try:
        staged = stage_file(wh, item.path, item.file_format, extract, f"{work}.stage",
                            allow_no_rows=item.listed)
        log.info("staged source=%s batch=%s rows=%d", extract.name, prepared.batch_id, staged.rows)
    except FileRejected as exc:
        prepared.rejection = str(exc)
        return prepared
    if item.control_rows is not None and staged.rows != item.control_rows:
        prepared.rejection = (
            f"the manifest gives {item.control_rows} data rows but the file "
            f"holds {staged.rows}, so the file may be cut short or from another extract; it "
            "was not loaded. Ask the partner to re-send it, or correct the manifest's rows.")
        return prepared
    if staged.rows == 0 and item.mode == "snapshot":
        prepared.rejection = (
            f"the manifest calls this file a full snapshot, but it has no data rows: loaded, it "
            f"would withdraw every record of {extract.name}, so it was not. If nothing changed, "
            "list it with mode = \"changes\"; otherwise ask the partner to re-send it.")
        return prepared
    prepared.first_load = not _has_history(wh, extract)
    if not prepared.first_load:
        dropped = _columns_dropped(wh, extract, staged)
        if dropped:
            prepared.rejection = _dropped_message(extract, dropped, staged.extra_columns)
            return prepared
    prepared.staged = staged
    # cleaned once (trimmed cells, parsed dates), read by the checks and by the insert
    prepared.clean = f"{work}.clean"
    wh.execute(f"CREATE TABLE {prepared.clean} AS {cleaned_sql(extract, staged.table)}")
    current = _current_after_load(looked_up)
    if current is not None:
        prepared.problems = f"{work}.problems"
        checked = checked_rows_sql(contract, extract, staged.table, as_of=as_of,
                                   cleaned=prepared.clean, current=current)
        wh.execute(f"CREATE TABLE {prepared.problems} AS {checked}")
    return prepared


def _columns_dropped(wh: DuckDBWarehouse, extract: ExtractFile, staged: StagedFile) -> list[str]:
    """Optional columns the file's header lacks although current records of the extract hold
    values in them. A row is a whole version of its record, so loading such a file would empty
    that column on every record it brings (a release date gone puts a released prisoner back in
    custody): a renamed or dropped column in the partner's export, not a change of the data."""
    absent = [c for c in extract.column_names if c not in staged.header_of]
    if not absent:
        return []
    held = ", ".join(f"bool_or({ident(c)} IS NOT NULL) AS {ident(c)}" for c in absent)
    row = wh.execute(f"SELECT {held} FROM {current_table(extract)}").fetchone()
    return [c for c, has in zip(absent, row or (), strict=False) if has]


def _dropped_message(extract: ExtractFile, dropped: list[str], extras: tuple[str, ...]) -> str:
    named = ", ".join(dropped)
    renamed = (f" The file has column(s) the contract does not name: {', '.join(extras)}; if one "
               "is a renamed contract column, ask for the file with the contract's header."
               if extras else "")
    return (f"the header lacks {named}, which the {extract.name} records already loaded hold "
            f"values in: loaded, every record in this file would lose its {named}, so it was "
            f"not.{renamed} A file that leaves an optional column empty must still carry the "
            "column in its header.")


def _reported(read: Step, prepare: Callable[[DuckDBWarehouse], _Prepared],
              wh: DuckDBWarehouse) -> _Prepared:
    """``prepare``, then its "read" step ticked from the worker, so the progress shown is the
    files as they are read (two at a time), not as the transaction reaches them."""
    prepared = prepare(wh)
    read.advance()
    return prepared


def _current_after_load(looked_up: dict[str, Future[_Prepared]]) -> dict[str, str] | None:
    """What the extracts a file's rules look into will hold once this delivery's files of them
    are loaded, as SQL by extract, when that is known before the transaction; None when it is
    not, and the file is checked inside the transaction instead.

    An extract this delivery does not bring keeps what is committed (the default). One whose file
    is a first load of it will hold that file's valid rows and nothing else: every valid row of a
    first load is a new record, and no version of it has ended. One that already holds records
    will hold what ``_load_versions`` makes of them, which only the transaction knows.
    """
    current: dict[str, str] = {}
    for name, future in looked_up.items():
        other = future.result()
        if other.staged is None:  # rejected or already loaded: it changes nothing
            continue
        if not other.first_load or not other.problems:
            return None
        current[name] = _valid_sql(other.item.extract, other.batch_id, other.clean,
                                   other.problems)
    return current


def _load_file(
    wh: DuckDBWarehouse, prepared: _Prepared, delivery: str, contract: Contract,
    as_of: date, progress: Progress, extract_date: date | None, partner: str,
) -> FileResult:
    item, batch_id = prepared.item, prepared.batch_id
    extract = item.extract
    if prepared.previous is not None:
        return _already(prepared, batch_id, prepared.previous)
    if prepared.staged is None:
        return _reject(wh, prepared, batch_id, prepared.rejection, delivery=delivery,
                       contract=contract, partner=partner, extract_date=extract_date)
    staged, clean = prepared.staged, prepared.clean
    step = progress.step(f"check and load {item.path.name}", total=2)
    # Only rows that break a rule or carry a warning are kept here; the valid majority is
    # loaded straight from the cleaned table by anti-join, never copied twice.
    problems = prepared.problems
    if not problems:
        problems = f"_problems_{extract.name}"
        wh.execute(
            f"CREATE OR REPLACE TEMP TABLE {problems} AS "
            f"{checked_rows_sql(contract, extract, staged.table, as_of=as_of, cleaned=clean)}"
        )
    step.advance()
    valid_sql = _valid_sql(extract, batch_id, clean, problems)
    history = _has_history(wh, extract)
    if history and prepared.first_load:
        raise LocalJusticeError(
            f"{item.path.name}: records of {extract.name} arrived while the file was read, "
            "which only one process may do; nothing from this delivery was kept. This is a bug: "
            "please report it.")
    if history:
        try:
            changes = _load_versions(wh, extract, batch_id, valid_sql, staged.table, item.mode,
                                     extract_date, confirmed=item.withdraw_most)
        except MassWithdrawal as refused:
            # refused before anything of the file was written
            wh.execute("DROP TABLE IF EXISTS _valid")
            wh.execute("DROP TABLE IF EXISTS _later")
            if not prepared.problems:
                wh.execute(f"DROP TABLE {problems}")
            return _reject(wh, prepared, batch_id, str(refused), delivery=delivery,
                           contract=contract, partner=partner, extract_date=extract_date)
    else:
        # a first delivery: every valid row is a new record, so it goes straight in
        wh.execute(f"INSERT INTO {identity_table(extract)} BY NAME {valid_sql}")
        changes = _Changes()
    wh.execute(
        f"""INSERT INTO {INGEST_SCHEMA}.quarantine BY NAME
        SELECT {literal(batch_id)} AS batch_id, {literal(extract.name)} AS source,
               {literal(item.path.name)} AS file_name, p._row AS row_number,
               p.v."column" AS column_name, p.v.rule AS rule, p.v.reason AS reason,
               {staged.raw_row_json("s")} AS raw_row,
               {key_text_sql(extract, "s", raw=True)} AS record_key
        FROM (SELECT _row, unnest(_violations) AS v FROM {problems}) AS p
        JOIN {staged.table} AS s ON s._row = p._row"""
    )
    if changes.late:
        _resolve_late_quarantine(wh, extract, batch_id)
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
    loaded = read - quarantined - changes.unchanged
    if not history:
        changes = _Changes(new=loaded)
    resolved = _resolve_quarantine(
        wh, extract, batch_id, "_valid" if history else
        f"(SELECT * FROM {identity_table(extract)} WHERE batch_id = {literal(batch_id)})",
        extract_date if changes.late else None)
    stored = wh.execute(
        f"SELECT (SELECT count(*) FROM {identity_table(extract)} WHERE batch_id = ?), "
        f"(SELECT count(DISTINCT row_number) FROM {INGEST_SCHEMA}.quarantine WHERE batch_id = ?)",
        [batch_id, batch_id],
    ).fetchone()
    assert stored is not None
    if (int(stored[0]), int(stored[1])) != (loaded, quarantined):
        raise LocalJusticeError(
            f"{item.path.name}: rows do not add up (read {read}, loaded {stored[0]}, quarantined "
            f"{stored[1]}, unchanged {changes.unchanged}); nothing from this delivery was kept. "
            "This is a bug: please report it."
        )
    # a manifest that leaves a file out has made no statement about it: said, so the steward
    # can ask the partner whether it was a full snapshot
    unlisted = ("not listed in the delivery's manifest, so read as changes only, with no control "
                "total" if extract_date is not None and not item.listed else "")
    extras = (f"column(s) the contract does not name, not loaded: {', '.join(staged.extra_columns)}"
              if staged.extra_columns else "")
    message = "; ".join(m for m in (unlisted, extras, changes.message) if m)
    _record_batch(wh, batch_id=batch_id, delivery=delivery, item=item, sha256=prepared.sha256,
                  contract=contract, status="loaded", message=message,
                  counts=(read, loaded, quarantined, warned), extras=staged.extra_columns,
                  started=prepared.started, partner=partner, extract_date=extract_date)
    wh.execute(
        f"""UPDATE {INGEST_SCHEMA}.batch SET rows_new = ?, rows_changed = ?, rows_unchanged = ?,
            rows_withdrawn = ?, rows_resolved = ? WHERE batch_id = ?""",
        [changes.new, changes.changed, changes.unchanged, changes.withdrawn, resolved, batch_id])
    if not prepared.problems:
        wh.execute(f"DROP TABLE {problems}")
    step.advance()
    log.info("loaded source=%s batch=%s read=%d new=%d changed=%d unchanged=%d older=%d "
             "withdrawn=%d quarantined=%d resolved=%d", extract.name, batch_id, read, changes.new,
             changes.changed, changes.unchanged, changes.older, changes.withdrawn, quarantined,
             resolved)
    return FileResult(extract.name, item.path.name, batch_id, "loaded", message, read,
                      loaded, quarantined, warned, new=changes.new, changed=changes.changed,
                      unchanged=changes.unchanged, withdrawn=changes.withdrawn, resolved=resolved,
                      older=changes.older)


def _load_versions(
    wh: DuckDBWarehouse, extract: ExtractFile, batch_id: str, valid_sql: str, stage: str,
    mode: str, extract_date: date | None, *, confirmed: bool = False,
) -> _Changes:
    """Load a file onto an extract that already holds records: each valid row is a new record, a
    new version of a known one, or identical to the current version (not stored again). Set-based:
    one join of the file's valid rows with the current versions on the natural key.

    A delivery extracted before the newest one already loaded for this source (sent late) never
    overrides, record by record: a row of a record that a later extract already stated (sent a
    version of, sent again unchanged, or held in a later full snapshot) is kept as history with an
    ``older_extract`` end; a row of a record no later extract mentioned is applied as usual, so
    a late month's release date still lands when the next month did not send that custody period.
    A full snapshot withdraws the current records whose key it lacks (the key of a quarantined row
    counts as present: a broken row is not a withdrawal); a late one only those no later extract
    stated, and none when a later full snapshot was loaded.
    """
    history, current = identity_table(extract), current_table(extract)
    lit = literal(batch_id)
    newest = wh.execute(
        f"SELECT max(extract_date) FROM {INGEST_SCHEMA}.batch WHERE source = ? AND status = 'loaded'",
        [extract.name]).scalar()
    late = extract_date is not None and newest is not None and extract_date < newest
    key_on = " AND ".join(f"c.{ident(k)} = v.{ident(k)}" for k in extract.key)
    compared = [c.name for c in extract.columns] + (["pnc_id_valid"] if extract.person_bearing else [])
    same = " AND ".join(f"c.{ident(c)} IS NOT DISTINCT FROM v.{ident(c)}" for c in compared)
    keys = ", ".join(ident(k) for k in extract.key)
    later_snapshot = late and bool(wh.execute(
        f"SELECT EXISTS (SELECT 1 FROM {INGEST_SCHEMA}.batch WHERE source = ? AND status = "
        "'loaded' AND mode = 'snapshot' AND extract_date > ?)", [extract.name, extract_date]).scalar())
    wh.execute(f"CREATE OR REPLACE TEMP TABLE _valid AS {valid_sql}")
    later_join = ""
    if late:
        _stated_later(wh, extract, extract_date, later_snapshot)
        later_join = (f"LEFT JOIN _later AS l ON "
                      f"{' AND '.join(f'l.{ident(k)} = v.{ident(k)}' for k in extract.key)}")
    if mode == "snapshot" and not later_snapshot:
        _withdraw(wh, extract, batch_id, stage, late=late, confirmed=confirmed)
    older = ("TRUE" if later_snapshot else "l.by_batch IS NOT NULL") if late else "FALSE"
    wh.execute(f"""CREATE OR REPLACE TEMP TABLE _compared AS
        SELECT v.source_row, c.batch_id AS current_batch, c.source_row AS current_row,
            CASE WHEN c.batch_id IS NOT NULL AND {same} THEN 'unchanged'
                 WHEN c.batch_id IS NULL AND h._known IS NULL THEN 'new'
                 WHEN {older} THEN 'older_extract'
                 ELSE 'changed' END AS change
        FROM _valid AS v
        LEFT JOIN {current} AS c ON {key_on}
        LEFT JOIN (SELECT DISTINCT {keys}, TRUE AS _known FROM {history}) AS h
          ON {" AND ".join(f"h.{ident(k)} = v.{ident(k)}" for k in extract.key)}
        {later_join}""")
    wh.execute(f"""INSERT INTO {history} BY NAME SELECT v.* FROM _valid AS v
        JOIN _compared USING (source_row) WHERE change <> 'unchanged'""")
    wh.execute(f"""INSERT INTO {VERSION_END_TABLE}
        SELECT {literal(extract.name)}, current_batch, current_row, {lit}, 'superseded'
        FROM _compared WHERE change = 'changed' AND current_batch IS NOT NULL
        UNION ALL
        SELECT {literal(extract.name)}, {lit}, source_row, coalesce(current_batch, {lit}),
               'older_extract'
        FROM _compared WHERE change = 'older_extract'""")
    if mode == "changes" and extract_date is not None:
        # this extract stated these versions too, though it stored nothing new of them
        wh.execute(f"""INSERT INTO {INGEST_SCHEMA}.version_confirmed
            SELECT {literal(extract.name)}, current_batch, current_row, {lit}
            FROM _compared WHERE change = 'unchanged'""")
    withdrawn = 0
    if mode == "snapshot" and not later_snapshot:
        withdrawn = int(wh.execute(
            f"SELECT count(*) FROM {VERSION_END_TABLE} WHERE ended_by_batch = ? AND reason = "
            "'withdrawn'", [batch_id]).scalar())
    row = wh.execute("""SELECT count(*) FILTER (WHERE change = 'new'),
        count(*) FILTER (WHERE change = 'changed'), count(*) FILTER (WHERE change = 'unchanged'),
        count(*) FILTER (WHERE change = 'older_extract'),
        count(*) FILTER (WHERE change = 'changed' AND current_batch IS NULL) FROM _compared"""
                     ).fetchone()
    assert row is not None
    new, changed, unchanged, older_rows, reinstated = (int(x) for x in row)
    if older_rows:
        # a row kept as history only corrects nothing: it resolves no quarantine item
        wh.execute("DELETE FROM _valid WHERE source_row IN "
                   "(SELECT source_row FROM _compared WHERE change = 'older_extract')")
    notes = []
    if late:
        applied = (f"; {new + changed} row(s) of records no later extract mentions applied"
                   if new + changed and not later_snapshot else "")
        notes.append(f"extracted {extract_date}, before the {newest} extract already loaded: "
                     f"{older_rows} differing row(s) of records a later extract already stated "
                     "kept as history only, no newer version overridden" + applied
                     + (", nothing withdrawn" if mode == "snapshot" and not withdrawn else ""))
    if reinstated:
        # a changed row of a record with no current version: one withdrawn earlier, sent again
        notes.append(f"{reinstated} of the changed record(s) had been withdrawn and are current "
                     "again")
    if withdrawn:
        notes.append(f"withdrew {withdrawn} record(s) missing from this full snapshot"
                     + _still_referred_to(wh, extract, batch_id))
    wh.execute("DROP TABLE _compared")
    return _Changes(new, changed, unchanged, withdrawn, older_rows, "; ".join(notes), late=late)


#: a full snapshot that would withdraw more than this share of the current records, and at least
#: ``MASS_WITHDRAWAL_RECORDS`` of them, is refused unless its manifest entry confirms it
MASS_WITHDRAWAL_SHARE = 0.5
MASS_WITHDRAWAL_RECORDS = 100


class MassWithdrawal(LocalJusticeError):
    """A snapshot that would withdraw most of an extract: more likely a partial export."""


def _withdraw(wh: DuckDBWarehouse, extract: ExtractFile, batch_id: str, stage: str, *,
              late: bool, confirmed: bool) -> None:
    """End, as withdrawn, each current record whose key the snapshot lacks (a late snapshot:
    only those no later extract stated, ``_later``). Runs before the file's rows are compared, so
    that a snapshot which would withdraw most of the extract is refused before anything of it is
    written: a partial export sent as a full snapshot would otherwise empty the extract."""
    current = current_table(extract)
    lit = literal(batch_id)
    present = " AND ".join(f"{value(k)} = c.{ident(k)}" for k in extract.key)
    stated_later = (" AND NOT EXISTS (SELECT 1 FROM _later AS l WHERE " + " AND ".join(
        f"l.{ident(k)} = c.{ident(k)}" for k in extract.key) + ")") if late else ""
    wh.execute(f"""CREATE OR REPLACE TEMP TABLE _withdrawn AS
        SELECT c.batch_id, c.source_row FROM {current} AS c
        WHERE c.batch_id <> {lit} AND NOT EXISTS (SELECT 1 FROM {stage} WHERE {present})
          {stated_later}""")
    going = int(wh.execute("SELECT count(*) FROM _withdrawn").scalar())
    # the current records are counted (a scan of the extract) only when the share could matter
    held = int(wh.execute(f"SELECT count(*) FROM {current}").scalar()) \
        if going >= MASS_WITHDRAWAL_RECORDS and not confirmed else 0
    if held and going > held * MASS_WITHDRAWAL_SHARE:
        wh.execute("DROP TABLE _withdrawn")
        raise MassWithdrawal(
            f"as a full snapshot it would withdraw {going:,} of the {held:,} current records "
            f"({going / held:.0%}), which looks like a partial export; nothing of it was loaded. "
            f"If the partner confirms the records are gone, add withdraw_most = true under "
            f"[files.{extract.name}] in the manifest and send it again")
    wh.execute(f"""INSERT INTO {VERSION_END_TABLE}
        SELECT {literal(extract.name)}, batch_id, source_row, {lit}, 'withdrawn' FROM _withdrawn""")
    wh.execute("DROP TABLE _withdrawn")


def _still_referred_to(wh: DuckDBWarehouse, extract: ExtractFile, batch_id: str) -> str:
    """Current records of other extracts that refer to a record this batch withdrew (victims of
    a crime no longer in the police's snapshot): said, so the steward can ask the partner, since
    such a victim's events lose their crime's date and offence."""
    notes = []
    for other in load_contract().files.values():
        for rule in other.rules:
            if rule.kind != "references" or rule.file != extract.name:
                continue
            count = int(wh.execute(f"""SELECT count(*) FROM {current_table(other)}
                WHERE {ident(rule.column)} IN (
                    SELECT t.{ident(rule.other)} FROM {identity_table(extract)} AS t
                    JOIN {VERSION_END_TABLE} AS e ON e.source = ? AND e.batch_id = t.batch_id
                      AND e.source_row = t.source_row
                    WHERE e.ended_by_batch = ? AND e.reason = 'withdrawn')""",
                [extract.name, batch_id]).scalar())
            if count:
                notes.append(f"{count} current {other.name} record(s) still refer to them")
    return f" ({'; '.join(notes)}: check with the partner)" if notes else ""


def _stated_later(wh: DuckDBWarehouse, extract: ExtractFile, extract_date: date | None,
                  later_snapshot: bool) -> None:
    """``_later``: each record a delivery extracted after ``extract_date`` stated, with the latest
    such batch (``by_batch``). Stated means it sent a version of the record (kept, current or
    not), sent the current version again unchanged (``version_confirmed``), or, for a full
    snapshot, held it: every current record is then stated by the latest later snapshot."""
    history, current = identity_table(extract), current_table(extract)
    keys = ", ".join(f"t.{ident(k)}" for k in extract.key)
    day = literal(str(extract_date))
    name = literal(extract.name)
    snapshot = (f"""UNION ALL SELECT {keys}, b.batch_id, b.extract_date FROM {current} AS t,
        (SELECT batch_id, extract_date FROM {INGEST_SCHEMA}.batch WHERE source = {name}
         AND status = 'loaded' AND mode = 'snapshot' AND extract_date > {day}
         ORDER BY extract_date DESC LIMIT 1) AS b""" if later_snapshot else "")
    wh.execute(f"""CREATE OR REPLACE TEMP TABLE _later AS
        SELECT {", ".join(ident(k) for k in extract.key)},
               arg_max(by_batch, extract_date) AS by_batch
        FROM (SELECT {keys}, b.batch_id AS by_batch, b.extract_date FROM {history} AS t
              JOIN {INGEST_SCHEMA}.batch AS b ON b.batch_id = t.batch_id
              WHERE b.extract_date > {day}
              UNION ALL
              SELECT {keys}, b.batch_id, b.extract_date FROM {history} AS t
              JOIN {INGEST_SCHEMA}.version_confirmed AS f
                ON f.source = {name} AND f.batch_id = t.batch_id AND f.source_row = t.source_row
              JOIN {INGEST_SCHEMA}.batch AS b ON b.batch_id = f.confirmed_by_batch
              WHERE b.extract_date > {day}
              {snapshot})
        GROUP BY ALL""")


def _resolve_late_quarantine(wh: DuckDBWarehouse, extract: ExtractFile, batch_id: str) -> None:
    """A late delivery's broken row of a record a later extract already stated waits for no
    correction: the later extract's version stands, so the item is resolved by that batch."""
    wh.execute(f"""INSERT INTO {INGEST_SCHEMA}.quarantine_resolved
        SELECT DISTINCT q.batch_id, q.row_number, l.by_batch
        FROM {INGEST_SCHEMA}.quarantine AS q
        JOIN _later AS l ON q.record_key = {key_text_sql(extract, "l")}
        WHERE q.batch_id = {literal(batch_id)}""")
    wh.execute("DROP TABLE _later")


def _resolve_quarantine(wh: DuckDBWarehouse, extract: ExtractFile, batch_id: str,
                        valid: str, late_date: date | None = None) -> int:
    """Quarantined rows of earlier batches whose record this batch brought a valid row of
    (``valid``: this file's valid rows) are resolved by it: the correction arrived. A late
    delivery (``late_date``, its extract date) corrects only rows of extracts no later than it:
    a row broken in a later extract is not corrected by older information."""
    earlier = wh.execute(
        f"SELECT EXISTS (SELECT 1 FROM {INGEST_SCHEMA}.quarantine WHERE source = ? "
        "AND batch_id <> ?)", [extract.name, batch_id]).scalar()
    if not earlier:  # a first delivery: nothing to resolve, and no need to hash its keys
        wh.execute("DROP TABLE IF EXISTS _valid")
        return 0
    not_later = "" if late_date is None else (
        f"\n          AND q.batch_id IN (SELECT batch_id FROM {INGEST_SCHEMA}.batch WHERE "
        f"extract_date IS NULL OR extract_date <= {literal(str(late_date))})")
    wh.execute(f"""INSERT INTO {INGEST_SCHEMA}.quarantine_resolved
        SELECT DISTINCT q.batch_id, q.row_number, {literal(batch_id)}
        FROM {INGEST_SCHEMA}.quarantine AS q
        WHERE q.source = {literal(extract.name)} AND q.batch_id <> {literal(batch_id)}
          AND q.record_key IN (SELECT {key_text_sql(extract)} FROM {valid}){not_later}
          AND NOT EXISTS (SELECT 1 FROM {INGEST_SCHEMA}.quarantine_resolved AS r
                          WHERE r.batch_id = q.batch_id AND r.row_number = q.row_number)""")
    wh.execute("DROP TABLE IF EXISTS _valid")
    return int(wh.execute(
        f"SELECT count(*) FROM {INGEST_SCHEMA}.quarantine_resolved WHERE resolved_by_batch = ?",
        [batch_id]).scalar())


class _Workers:
    """The pool that prepares a delivery's files and writes their records-zone files."""

    def __init__(self, wh: DuckDBWarehouse, pool: ThreadPoolExecutor) -> None:
        self.wh = wh
        self.pool = pool
        #: each file's preparation, in delivery order
        self.ready: list[Future[_Prepared]] = []
        self.exports: dict[tuple[str, str], Future[Path]] = {}
        self.cursors: list[DuckDBWarehouse] = []

    def on_cursor(self, work: Callable[[DuckDBWarehouse], T]) -> Future[T]:
        """Run ``work`` on a pool thread with a cursor of its own. The cursor is made here, on the
        calling thread, since the connection it comes from is not thread-safe, and closed by
        ``close`` (a task cancelled before it began never runs to close it)."""
        cursor = self.wh.cursor()
        self.cursors.append(cursor)
        return self.pool.submit(work, cursor)

    def close(self, *, interrupt: bool = False) -> None:
        """Cancel what has not begun, wait for what has (interrupted first when the delivery has
        failed, so that Ctrl-C does not wait for a large file's statement), and close every
        cursor."""
        if interrupt:
            for cursor in self.cursors:
                cursor.interrupt()
        self.pool.shutdown(wait=True, cancel_futures=True)
        for cursor in self.cursors:
            cursor.close()

    def export_first_load(self, prepared: _Prepared, zone: Path) -> None:
        """A first load stores every valid row, so its records-zone file is known once the file
        is checked and is written beside the transaction instead of from the identity table
        inside it; ``stage_delivery`` checks it holds the rows loaded before the commit."""
        extract, batch_id = prepared.item.extract, prepared.batch_id
        rows = _valid_sql(extract, batch_id, prepared.clean, prepared.problems)
        self.exports[(extract.name, batch_id)] = self.on_cursor(
            lambda cursor: export_rows(cursor, zone, extract.name, batch_id, rows))

    def exported(self) -> set[tuple[str, str]]:
        """The batches whose files are written, once every export has finished (its error, if
        any, is raised here and rolls the delivery back)."""
        for future in self.exports.values():
            future.result()
        return set(self.exports)


@contextmanager
def _preparing(wh: DuckDBWarehouse, files: tuple[DeliveryFile, ...], extract_date: date | None,
               contract: Contract, as_of: date, progress: Progress) -> Iterator[_Workers]:
    """Every file's ``_prepare`` started on a pool of as many threads as DuckDB has, each into a
    work database of its own (``_Prepared`` says why). Each file's "read" step of ``progress`` is
    shown now and ticked by the worker once the file is prepared (``_reported``).

    Afterwards (the transaction committed or rolled back) the work not yet begun is cancelled,
    the pool is waited for, and the work databases are detached, which frees them. Insertion
    order is kept throughout (``stage_file`` needs it; it is the whole database's setting) and set
    back as it was.
    """
    threads = int(wh.execute("SELECT current_setting('threads')").scalar())
    kept = bool(wh.execute("SELECT current_setting('preserve_insertion_order')").scalar())
    names = _work_databases(len(files))
    extracts = [item.extract.name for item in files]
    workers = _Workers(wh, ThreadPoolExecutor(max_workers=max(1, threads),
                                              thread_name_prefix="ingest-prepare"))
    try:
        wh.execute("SET preserve_insertion_order = true")
        for name in names:
            wh.execute(f"ATTACH ':memory:' AS {name}")
        # in delivery order, which is load order (``delivery.load_order``): a file the others
        # look into is begun before them, so a worker waiting for it never waits for a file
        # still queued behind it
        for i, item in enumerate(files):
            looked_up = {name: workers.ready[extracts.index(name)]
                         for name in referenced(item.extract) if name in extracts}
            read = progress.step(f"read {item.path.name}", total=1)
            workers.ready.append(workers.on_cursor(partial(_reported, read, partial(
                _prepare, item=item, extract_date=extract_date, work=names[i], contract=contract,
                as_of=as_of, looked_up=looked_up))))
        yield workers
    except BaseException:
        workers.close(interrupt=True)
        raise
    finally:
        workers.close()
        for name in names:
            wh.execute(f"DETACH DATABASE IF EXISTS {name}")
        wh.execute(f"SET preserve_insertion_order = {'true' if kept else 'false'}")


def _blocked_by(prepared: _Prepared, files: tuple[DeliveryFile, ...],
                loaded: dict[int, FileResult]) -> FileResult | None:
    """The rejected file of this delivery whose records this file's rows refer to (crimes, for
    victims), if any: loading the file without it would hold back each row that refers to a
    record only that file brought, and a re-send would then be 'already loaded'."""
    if prepared.previous is not None or prepared.staged is None:
        return None  # already received, or rejected on its own account: reported as such
    needs = referenced(prepared.item.extract)
    for i, item in enumerate(files):
        result = loaded.get(i)
        if item.extract.name in needs and result is not None and result.status in {
                "rejected", "already_rejected"}:
            return result
    return None


def _hold_back(wh: DuckDBWarehouse, prepared: _Prepared, blocked: FileResult, delivery: str,
               contract: Contract, extract_date: date | None, partner: str) -> FileResult:
    """Reject a file whose referenced file was rejected, under a batch id of its own (the file's
    and the blocking file's), so that sent again beside a file that loads, it loads; sent again
    beside the same rejected file, it is the same rejection."""
    tag = hashlib.sha256(blocked.batch_id.encode()).hexdigest()[:8]
    batch_id = f"{prepared.batch_id}-held-{tag}"
    previous = _previous_batch(wh, batch_id)
    if previous is not None:
        return _already(prepared, batch_id, previous)
    message = (f"not loaded, because {blocked.file_name} in this delivery was rejected and this "
               f"file's rows refer to its records; sent again with a {blocked.file_name} that "
               "loads, this file loads too")
    return _reject(wh, prepared, batch_id, message, delivery=delivery, contract=contract,
                   partner=partner, extract_date=extract_date)


def _already(prepared: _Prepared, batch_id: str, previous: tuple[str, str, str]) -> FileResult:
    """A file received before: skipped, saying so; a re-sent rejected file is still rejected,
    for the same reason, so the reason is said again."""
    status, earlier, why = previous
    reason = f": {why}" if status == "rejected" and why else ""
    return FileResult(prepared.item.extract.name, prepared.item.path.name, batch_id,
                      f"already_{status}",
                      f"identical file already {status} in delivery {earlier}{reason}")


def _reject(wh: DuckDBWarehouse, prepared: _Prepared, batch_id: str, message: str, *,
            delivery: str, contract: Contract, partner: str,
            extract_date: date | None) -> FileResult:
    """Record a file rejected whole (its provenance and why; none of its rows) and report it."""
    item = prepared.item
    _record_batch(wh, batch_id=batch_id, delivery=delivery, item=item, sha256=prepared.sha256,
                  contract=contract, status="rejected", message=message, counts=(0, 0, 0, 0),
                  extras=(), started=prepared.started, partner=partner, extract_date=extract_date)
    # rejection messages name columns, rules and counts, never a row's values
    log.warning("rejected file source=%s batch=%s reason=%s", item.extract.name, batch_id, message)
    return FileResult(item.extract.name, item.path.name, batch_id, "rejected", message)


def _in_turn(files: tuple[DeliveryFile, ...],
             ready: list[Future[_Prepared]]) -> Iterator[tuple[int, _Prepared]]:
    """Each file's index and prepared file, as soon as it is prepared and the files of this
    delivery whose records its rules look up have been loaded (crimes before victims): the
    transaction never waits for one file while another is ready. Among files ready together,
    delivery order."""
    names = [item.extract.name for item in files]
    needs = {i: {names.index(n) for n in referenced(item.extract) if n in names}
             for i, item in enumerate(files)}
    pending = dict(enumerate(ready))
    done: set[int] = set()
    while pending:
        loadable = [i for i in pending if needs[i] <= done]
        finished, _ = wait([pending[i] for i in loadable], return_when=FIRST_COMPLETED)
        for i in loadable:
            if pending[i] in finished:
                yield i, pending.pop(i).result()
                done.add(i)


def ingest_delivery(
    warehouse: Warehouse, folder: Path, *, as_of: date | None = None,
    progress: Progress | None = None,
) -> DeliveryResult:
    """Validate and load every extract in ``folder`` as one transaction.

    ``as_of`` is the date "not in the future" is judged against (today unless given, for tests),
    or the manifest's extract date when that is earlier.
    """
    contract = load_contract()
    delivery = find_delivery(folder, contract)
    as_of = as_of or date.today()
    if delivery.manifest.extract_date is not None:
        # a row dated after the day its data were extracted is as impossible as a future one
        as_of = min(as_of, delivery.manifest.extract_date)
    progress = progress or NullProgress()
    started = time.perf_counter()
    results: list[FileResult] = []
    wh = as_duckdb(warehouse)
    records = records_zone_of(wh)
    staged: StagedDelivery | None = None
    try:
        if records is not None:
            repair_records_zone(wh, records)
        loaded: dict[int, FileResult] = {}
        zone = None if records is None else new_staging_path(records)
        with _preparing(wh, delivery.files, delivery.manifest.extract_date, contract, as_of,
                        progress) as workers, \
                wh.transaction():
            for index, prepared in _in_turn(delivery.files, workers.ready):
                item = prepared.item
                partner = delivery.manifest.partner or item.extract.partner
                blocked = _blocked_by(prepared, delivery.files, loaded)
                if blocked is not None:
                    loaded[index] = _hold_back(wh, prepared, blocked, delivery.name, contract,
                                               delivery.manifest.extract_date, partner)
                    continue
                if zone is not None and prepared.first_load and prepared.problems:
                    workers.export_first_load(prepared, zone)
                loaded[index] = _load_file(wh, prepared, delivery.name, contract, as_of, progress,
                                           delivery.manifest.extract_date, partner)
            results = [loaded[i] for i in range(len(delivery.files))]
            if records is not None and any(r.status in {"loaded", "rejected"} for r in results):
                step = progress.step("write the records zone (Parquet)", total=1)
                assert zone is not None
                staged = stage_delivery(wh, records, zone, [
                    (r.source, r.batch_id, r.rows_loaded) for r in results if r.status == "loaded"],
                    written=workers.exported())
                step.advance()
    except BaseException as exc:
        if records is not None:
            _level_after_failure(wh, records)
        if isinstance(exc, WarehouseError):
            raise LocalJusticeError(
                f"Loading {delivery.name} failed in the engine "
                f"({type(exc.__cause__).__name__}); nothing from it was kept. Check free disk "
                "space and that no other process holds the warehouse.") from exc
        if isinstance(exc, OSError):
            # the records zone (or a file of the delivery) could not be written or read
            where = f" ({exc.filename})" if exc.filename else ""
            raise LocalJusticeError(
                f"Loading {delivery.name} failed: {exc.strerror or str(exc) or type(exc).__name__}"
                f"{where}; "
                "nothing from it was kept. Check free disk space and the permissions of the "
                "data folder, then ingest again.") from exc
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
                          time.perf_counter() - started, has_manifest=delivery.manifest.given)


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
