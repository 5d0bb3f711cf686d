"""A whole synthetic London delivery through ingestion: exactly the rows the generator broke are
held back, every other row loads, and every source's rows are conserved."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from localjustice.ingest import ingest_delivery
from localjustice.synth import generate
from localjustice.warehouse import Warehouse

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_ingestion_quarantines_exactly_the_rows_the_generator_broke(
    tmp_path: Path, warehouse: Warehouse, file_format: str
) -> None:
    summary = generate(tmp_path / "synth", until="2018-12", years=1, scale=0.01, seed=3,
                       file_format=file_format, error_rate=0.004)
    result = ingest_delivery(warehouse, tmp_path / "synth" / "delivery")
    assert not result.rejected
    con = warehouse.connection
    held = set(con.execute("SELECT DISTINCT source, row_number FROM ingest.quarantine").fetchall())
    injected_path = tmp_path / "synth" / "truth" / "injected_errors.csv"
    injected = set(duckdb.sql(
        f"SELECT DISTINCT source, CAST(row_number AS BIGINT) FROM read_csv('{injected_path}')"
    ).fetchall())
    assert len(injected) > 20, "the test needs some broken rows to mean anything"
    assert held == injected
    for f in result.files:
        assert f.rows_read == summary.rows[f.source]
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
