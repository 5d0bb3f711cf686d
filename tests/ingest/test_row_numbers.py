"""Row numbers name the file's own rows, however the engine reads a large file.

A quarantined row is shown to data stewards and partners as "file and row" so that they can
correct it, and every loaded record keeps its ``source_row``; both must be the row's position in
the file (the n-th data row is row n, the header not counted: docs/contract.md). DuckDB reads a
large CSV in parallel and, with ``preserve_insertion_order`` off (as ingest runs), hands its rows
on in whatever order the threads finish. The file here is large enough for that to happen (the
test shows it does, on the very file), and holds broken rows near its start, middle and end. A
Parquet delivery is read in parallel by row group, and its rows are numbered the same way.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from localjustice.ingest import ingest_delivery, warehouse_status
from localjustice.warehouse import Warehouse

AS_OF = date(2020, 1, 1)
ROWS = 1_000_000  # about 46 MB of CSV: DuckDB splits it among its threads
THREADS = 2
#: broken rows near the start, the middle and the end, each breaking another rule
BAD_GROUP, BAD_DATE, BAD_BOROUGH = 3, ROWS // 2 + 7, ROWS - 1
BROKEN = {  # data row -> (column, rule)
    BAD_GROUP: ("offence_group", "code"),
    BAD_DATE: ("committed_date", "date_format"),
    BAD_BOROUGH: ("borough_code", "format"),
}


#: how each format is written: Parquet in row groups of 50,000 rows, read by several threads
WRITE_OPTIONS = {"csv": "HEADER", "parquet": "FORMAT parquet, ROW_GROUP_SIZE 50000"}


def _write_crimes(path: Path, file_format: str) -> None:
    """Row n has crime_id ``C<n>``, so every row says where it stands; written by DuckDB in one
    statement, in order (``preserve_insertion_order`` is on by default for this connection)."""
    con = duckdb.connect()
    try:
        con.execute(f"""COPY (
            SELECT 'C' || n AS crime_id,
                CASE WHEN n = {BAD_GROUP} THEN 'not_a_group' ELSE 'theft' END AS offence_group,
                CASE WHEN n = {BAD_DATE} THEN '01/03/2018' ELSE '2018-03-01' END
                    AS committed_date,
                '2018-03-02' AS recorded_date,
                CASE WHEN n = {BAD_BOROUGH} THEN 'Hackney' ELSE 'E09000030' END AS borough_code
            FROM range(1, {ROWS + 1}) AS r(n) ORDER BY n
        ) TO '{path}' ({WRITE_OPTIONS[file_format]})""")
    finally:
        con.close()


def _arrival_out_of_order(path: Path) -> int:
    """Rows of a plain parallel read that do not arrive in file order (position = rowid + 1)."""
    con = duckdb.connect()
    try:
        con.execute(f"SET threads = {THREADS}")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"CREATE TABLE t AS SELECT crime_id FROM '{path}'")
        return int(con.execute(
            "SELECT count(*) FROM t WHERE CAST(substr(crime_id, 2) AS BIGINT) <> rowid + 1"
        ).fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_row_numbers_are_the_rows_of_the_file_when_it_is_read_in_parallel(
    tmp_path: Path, warehouse: Warehouse, file_format: str,
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    crimes = folder / f"police_crimes.{file_format}"
    _write_crimes(crimes, file_format)
    # The premise: DuckDB does read this file in parallel, out of file order, when order is not
    # kept, so numbering rows as they arrive would give wrong rows. Which thread finishes first
    # is up to the scheduler, so it is given three tries to show it.
    assert any(_arrival_out_of_order(crimes) > 0 for _ in range(3))
    warehouse.connection.execute(f"SET threads = {THREADS}")

    result = ingest_delivery(warehouse, folder, as_of=AS_OF)

    assert result.files[0].rows_read == ROWS
    con = warehouse.connection
    held = con.execute(
        """SELECT row_number, column_name, rule, json_extract_string(raw_row, '$.crime_id')
           FROM ingest.quarantine ORDER BY row_number""").fetchall()
    assert held == [(row, column, rule, f"C{row}") for row, (column, rule) in BROKEN.items()]
    # what `status --open` shows the partner
    assert [(i.file_name, i.row_number, i.rules) for i in warehouse_status(warehouse).open_items] \
        == [(crimes.name, row, rule) for row, (_, rule) in BROKEN.items()]
    loaded, misplaced = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE source_row <> CAST(substr(crime_id, 2) AS BIGINT))
           FROM identity.police_crimes""").fetchone()
    assert (loaded, misplaced) == (ROWS - len(BROKEN), 0)
