"""Write extract tables and truth files: CSV (RFC 4180, empty = missing) or Parquet.

Every delivery column is written as text, because that is what agencies send and because the
deliberately broken values (``31/12/2018``, ``unknown_value``) must survive into the file; empty
strings become nulls so that CSV shows an empty field and Parquet a null. Output is a pure
function of the table, so the same seed gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet")


def _as_text(table: pd.DataFrame) -> pa.Table:
    columns = {}
    for name in table.columns:
        values = pa.array(table[name].to_numpy().astype(str), type=pa.string())
        columns[name] = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    return pa.table(columns)


def write_table(table: pd.DataFrame, path: Path, file_format: str) -> None:
    data = _as_text(table)
    if file_format == "csv":
        pacsv.write_csv(data, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
    else:
        pq.write_table(data, path, compression="zstd")


def write_frame(table: pd.DataFrame, path: Path) -> None:
    """A truth table, typed as it is (Parquet by suffix, else CSV)."""
    data = pa.Table.from_pandas(table, preserve_index=False)
    if path.suffix == ".parquet":
        pq.write_table(data, path, compression="zstd")
    else:
        pacsv.write_csv(data, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
