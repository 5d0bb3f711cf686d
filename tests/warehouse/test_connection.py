"""Opening the warehouse while another process holds it: readers share it, a writer waits out a
brief hold, and a lasting hold is a clear error naming the process (issue 10 finding 13)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from localjustice.cli import app as cli
from localjustice.warehouse import WarehouseBusy, open_warehouse
from localjustice.warehouse.duckdb import warehouse as connection

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
if sys.argv[3] == "until-told":
    sys.stdin.readline()
else:
    time.sleep(float(sys.argv[3]))
"""
runner = CliRunner()


@contextmanager
def _held(path: Path, mode: str, how_long: str = "until-told") -> Iterator[subprocess.Popen[str]]:
    """Another process with the warehouse open (``read`` or ``write``), until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), mode, how_long],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.communicate("\n", timeout=30)


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "warehouse.duckdb"
    open_warehouse(path).close()
    return path


def test_a_writer_held_off_by_another_process_is_told_which_process_and_what_to_do(
        warehouse_path: Path) -> None:
    """Issue 10 finding 13: the lock error names the process holding the warehouse and says
    what to do, as our own exception."""
    with _held(warehouse_path, "write") as holder:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            open_warehouse(warehouse_path, wait_seconds=0.5)
        assert time.monotonic() - started >= 0.5
        assert busy.value.pid == holder.pid
        message = str(busy.value)
        assert f"process {holder.pid}" in message and "wait for it to finish" in message
        assert f"kill {holder.pid}" in message
        with pytest.raises(WarehouseBusy, match="Cannot read"):
            open_warehouse(warehouse_path, read_only=True, wait_seconds=0.2)


def test_readers_share_the_warehouse_and_a_writer_waits_out_a_brief_read(warehouse_path: Path) -> None:
    """Issue 10 finding 13: a page's read no longer makes a write fail: readers take no write
    lock, and a writer waits for a brief read to end."""
    with _held(warehouse_path, "read"), \
            open_warehouse(warehouse_path, read_only=True, wait_seconds=0) as reader:
        assert reader.has_table("ingest.batch")
    with _held(warehouse_path, "read", "1.0"):
        started = time.monotonic()
        with open_warehouse(warehouse_path, wait_seconds=20) as writer:
            writer.connection.execute("CREATE TABLE ingest.probe (x INTEGER)")
        assert time.monotonic() - started >= 0.5


def test_commands_exit_1_naming_the_holder_without_a_traceback(
        warehouse_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10 finding 13: `ingest`, `link` and `link manual` said nothing useful (or showed a
    traceback) when another process held the warehouse."""
    monkeypatch.setattr(connection, "LOCK_WAIT_SECONDS", 0.3)
    monkeypatch.setenv("LOCALJUSTICE_PSEUDONYM_KEY", "k" * 40)
    monkeypatch.delenv("LOCALJUSTICE_ENV", raising=False)
    data_dir = str(warehouse_path.parent)
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    with _held(warehouse_path, "write") as holder:
        for args in (["ingest", str(delivery), "--data-dir", data_dir],
                     ["link", "--data-dir", data_dir],
                     ["link", "manual", "a:1", "b:2", "--reason", "why", "--by", "s",
                      "--data-dir", data_dir],
                     ["status", "--data-dir", data_dir]):
            result = runner.invoke(cli, args, env={"COLUMNS": "300"})
            assert result.exit_code == 1, (args, result.output)
            assert isinstance(result.exception, SystemExit), (args, result.exception)
            assert f"process {holder.pid}" in result.output, (args, result.output)
            assert "Traceback" not in result.output
