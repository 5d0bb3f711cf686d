"""Read one extract file into a staging table of raw text, numbered in file order.

Everything arrives as text so that a bad value becomes a quarantined row with a reason instead of
a failed read. Failures that make the whole file unusable (unreadable, not UTF-8, empty, a
required column missing) raise ``FileRejected`` with a message for the data owner; the engine's
own message is not passed on because it can quote a line of the file, which may hold personal data.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from localjustice.contract import ExtractFile
from localjustice.errors import LocalJusticeError
from localjustice.ingest.sql import ident, literal
from localjustice.warehouse import DuckDBWarehouse, WarehouseError

ROW = "_row"


class FileRejected(LocalJusticeError):
    """The whole file cannot be loaded; nothing from it is kept except its provenance."""


@dataclass(frozen=True)
class StagedFile:
    """The staged table has ``_row``, every contract column (NULL when the file lacks an
    optional one) and the file's extra columns under their own headers."""

    table: str
    rows: int
    #: contract column -> the file's own header for it (headers match case-insensitively)
    header_of: dict[str, str]
    extra_columns: tuple[str, ...]

    def raw_row_json(self, alias: str) -> str:
        """The row as the file gave it (header -> text), for quarantine."""
        names = [(self.header_of.get(c, c), c) for c in self.header_of] + \
            [(h, h) for h in self.extra_columns]
        return "to_json(struct_pack(" + ", ".join(
            f"{ident(header)} := {alias}.{ident(col)}" for header, col in names) + "))"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def first_non_utf8_line(path: Path) -> int | None:
    """The line (1-based) holding the file's first byte that is not UTF-8, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines_before = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return lines_before + chunk.count(b"\n", 0, exc.start) + 1
            lines_before += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return lines_before + 1
    return None


def _scan_sql(path: Path, file_format: str) -> str:
    if file_format == "csv":
        return (
            f"read_csv({literal(str(path))}, all_varchar = true, header = true, delim = ',', "
            "quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8', "
            "sample_size = -1)"
        )
    return f"read_parquet({literal(str(path))})"


def _describe_read_error(exc: WarehouseError, file_format: str) -> str:
    text = exc.engine_message.lower()
    if "invalid unicode" in text or "not utf-8 encoded" in text:
        return "the file is not UTF-8 encoded text; re-export it as UTF-8"
    if file_format == "parquet":
        return "the file is not a readable Parquet file"
    # the engine quotes the long line before saying what is wrong with it, so past the cut
    # (WarehouseError keeps 2,000 characters) only the engine's own exception says it
    if "maximum line size" in text or "maximum line size" in str(exc.__cause__).lower():
        return ("a line of the file is longer than the 2,000,000 bytes a row may take (a field "
                "of megabytes, or a quote left open that runs on over many lines)")
    if ("expected" in text and "columns" in text) or "too many columns" in text:
        return "rows do not all have the same number of columns as the header (check quoting)"
    return ("the file cannot be read as CSV with a header row, commas and RFC 4180 quoting; "
            "check for unbalanced quotes or a different delimiter")


def _rejection(path: Path, exc: WarehouseError, file_format: str) -> FileRejected:
    """Why the engine could not read the file. The UTF-8 scan runs only here, after a failure,
    so the common case pays nothing for it; it names the line of the first bad byte."""
    if file_format == "csv":
        bad_line = first_non_utf8_line(path)
        if bad_line is not None:
            return FileRejected(f"the file is not UTF-8 encoded text (first bad byte on line "
                                f"{bad_line}); re-export it as UTF-8")
        ragged = _first_ragged_line(path)
        if ragged is not None:
            line, fields, wanted = ragged
            return FileRejected(f"line {line} has {fields} field(s) where the header has "
                                f"{wanted} (check the quoting on that line and the one before)")
    return FileRejected(_describe_read_error(exc, file_format))


def _first_ragged_line(path: Path) -> tuple[int, int, int] | None:
    """The first line whose row has another number of fields than the header (line, fields,
    header's fields), read as RFC 4180 CSV: the engine's sniffer says only that it failed.
    Runs only after a failed read, and stops at the first such row."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            wanted = len(next(reader, []))
            for row in reader:
                if row and len(row) != wanted:
                    return reader.line_num, len(row), wanted
    except (UnicodeDecodeError, csv.Error):
        return None
    return None


def stage_file(
    wh: DuckDBWarehouse, path: Path, file_format: str, extract: ExtractFile, table: str,
    *, allow_no_rows: bool = False,
) -> StagedFile:
    """Create ``table`` holding the file's rows as trimmed-later text plus ``_row``.

    ``row_number() OVER ()`` numbers the file's rows as they stand in it only while DuckDB keeps
    insertion order: it documents that a single-table ``FROM`` and a window with an empty
    ``OVER ()`` keep the original row order, and that keeping it (the CSV and Parquet readers'
    too) is what ``preserve_insertion_order`` controls (duckdb.org/docs, SQL dialect, "Order
    Preservation"). The setting is the whole database's, not a connection's, so the caller holds
    it on for as long as any file is being staged (``ingest_delivery`` does, from start to end:
    the inserts measured no faster without it); this raises if it is off rather than change it
    under another thread. tests/ingest/test_row_numbers.py uses files large enough to be read in
    parallel.

    A header with no rows is refused unless ``allow_no_rows``: the caller allows it where the
    partner's manifest lists the file, so an empty file says "nothing changed" only when someone
    said so, not when an export went wrong."""
    if not wh.execute("SELECT current_setting('preserve_insertion_order')").scalar():
        raise LocalJusticeError("staging a file needs preserve_insertion_order on: this is a bug")
    if path.stat().st_size == 0:
        raise FileRejected("the file is empty")
    scan = _scan_sql(path, file_format)
    try:
        described = wh.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except WarehouseError as exc:
        raise _rejection(path, exc, file_format) from None
    headers = [str(row[0]) for row in described]
    written = _header_row(path) if file_format == "csv" else headers
    twice = sorted({h.strip() for h in written if h.strip() and
                    [w.strip().lower() for w in written].count(h.strip().lower()) > 1})
    if twice:
        # the engine renames the second one (surname_1), and which values load is then a guess
        raise FileRejected(f"the header names {', '.join(twice)} more than once; send each "
                           "column once, so it is clear which values to load")
    if file_format == "csv" and len(headers) != len(written):
        # DuckDB's sniffer takes the widest consistent line for the header, so a row with more
        # fields than the header made its values the column names, and every required column
        # seemed missing (or, worse, a row's values were reported as extra columns)
        raise FileRejected("rows do not all have the same number of columns as the header "
                           "(check quoting, and that no row has more fields than the header)")
    types = {str(row[0]): str(row[1]) for row in described}
    by_lower = {h.strip().lower(): h for h in headers}
    header_of = {c: by_lower[c] for c in extract.column_names if c in by_lower}
    missing = [c for c in extract.required_columns if c not in header_of]
    if missing:
        other = next((d for d in (";", "\t", "|") if len(headers) == 1 and d in headers[0]), None)
        hint = (f" (the header has no commas but has {'tabs' if other == chr(9) else other!r}: "
                "the file looks delimited by that, and the contract's files are comma-separated)"
                if other else "")
        raise FileRejected(
            f"required column(s) missing from the header: {', '.join(missing)}; the file's "
            f"header must name every required column of {extract.name}{hint}"
        )
    known = set(header_of.values())
    extras = tuple(h for h in headers if h not in known)
    selects = [f"row_number() OVER () AS {ROW}"]
    for column in extract.column_names:
        if column in header_of:
            selects.append(f"{_as_text(ident(header_of[column]), types[header_of[column]])} AS "
                           f"{ident(column)}")
        else:
            selects.append(f"CAST(NULL AS VARCHAR) AS {ident(column)}")
    selects += [f"{_as_text(ident(h), types[h])} AS {ident(h)}" for h in extras]
    try:
        wh.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {', '.join(selects)} FROM {scan}")
    except WarehouseError as exc:
        raise _rejection(path, exc, file_format) from None
    count = wh.execute(f"SELECT count(*) FROM {table}").fetchone()
    rows = int(count[0]) if count else 0
    if rows == 0 and not allow_no_rows:
        raise FileRejected("the file has a header but no data rows; to say that nothing changed, "
                           "list it in the delivery's manifest with mode = \"changes\"")
    return StagedFile(table=table, rows=rows, header_of=header_of, extra_columns=extras)


def _header_row(path: Path) -> list[str]:
    """The file's first line: the header as the partner wrote it. Only that line is read (the
    csv module's RFC 4180 quoting, as the engine reads it); unreadable, it is empty."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error):
        return []


def _as_text(expr: str, sql_type: str) -> str:
    """Parquet cells become the text a CSV would have carried: ISO dates, ``;``-joined lists."""
    upper = sql_type.upper()
    if upper == "VARCHAR":
        return expr
    if upper.endswith("[]"):
        return f"array_to_string({expr}, ';')"
    if upper.startswith("TIMESTAMP"):
        return f"CASE WHEN CAST({expr} AS TIME) = TIME '00:00:00' THEN strftime({expr}, '%Y-%m-%d') " \
               f"ELSE CAST({expr} AS VARCHAR) END"
    return f"CAST({expr} AS VARCHAR)"
