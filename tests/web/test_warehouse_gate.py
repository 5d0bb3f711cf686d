"""The warehouse gate: pages that overlap share one read-only connection, each through its own
cursor; the file is let go when they are done (at once, or after the linger); a write waits for
the pages in flight. Whether the file is let go is seen as a read-write open in this process,
which DuckDB refuses while a read-only connection to the file is open here."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from localjustice.warehouse import WarehouseError, open_warehouse
from localjustice.web.deps import WarehouseGate


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with open_warehouse(path) as warehouse:
        warehouse.execute("CREATE TABLE t AS SELECT 1 AS x")
    return path


def _writable(path: Path) -> bool:
    try:
        open_warehouse(path, wait_seconds=0).close()
    except duckdb.ConnectionException:  # "a different configuration than existing connections"
        return False
    return True


def test_overlapping_pages_share_a_connection_and_let_the_file_go_after(tmp_path: Path) -> None:
    path = _file(tmp_path)
    gate = WarehouseGate(path)
    with gate.open() as first, gate.open() as second:
        assert first is not second
        assert first.execute("SELECT x FROM t").fetchall() == second.execute(
            "SELECT x FROM t").fetchall() == [(1,)]
        assert not _writable(path)
    assert _writable(path)


def test_a_write_waits_for_the_pages_in_flight(tmp_path: Path) -> None:
    path = _file(tmp_path)
    gate = WarehouseGate(path)
    order: list[str] = []

    def write() -> None:
        with gate.open(write=True) as warehouse:
            warehouse.execute("INSERT INTO t VALUES (2)")
            order.append("write")

    with gate.open() as page:
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.3)
        order.append("page done")
        assert page.execute("SELECT count(*) FROM t").fetchall() == [(1,)]
    writer.join(5)
    assert order == ["page done", "write"]
    with gate.open() as page:
        assert page.execute("SELECT count(*) FROM t").fetchall() == [(2,)]


def test_the_linger_keeps_the_connection_a_moment_then_lets_go(tmp_path: Path) -> None:
    path = _file(tmp_path)
    gate = WarehouseGate(path, linger_seconds=0.2)
    with gate.open() as page:
        page.execute("SELECT 1").fetchall()
    assert not _writable(path)
    time.sleep(0.5)
    assert _writable(path)


def test_a_reader_cannot_write(tmp_path: Path) -> None:
    gate = WarehouseGate(_file(tmp_path))
    with gate.open() as page, pytest.raises(WarehouseError):
        page.execute("INSERT INTO t VALUES (3)")
