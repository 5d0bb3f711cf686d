"""A crash while the records zone is written leaves DuckDB and the Parquet files agreeing.

Real processes are killed with SIGKILL: during the Parquet export (found by watching for the
staged file of the large victims extract), just after the DuckDB commit, and after the batch
folders are published but before the register that lists them. After each kill a reader sees
exactly DuckDB's committed state or is refused (never more, never less, unannounced), and the
same ingest run again completes the zone, whole and conserved.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localjustice.warehouse import open_warehouse
from localjustice.warehouse.records_zone import (
    latest_register,
    published_batches,
    publishing_marker,
    records_dir,
    staging_dir,
)
from tests.ingest.records_checks import readers_agree_or_refuse, zone_is_whole
from tests.ingest.test_atomicity import VICTIM_ROWS, _large_delivery

pytestmark = pytest.mark.slow

#: Runs the CLI's ingest in a process that kills itself at a chosen point of the publication,
#: so that the moment is exact: the patched functions are the module's own, nothing is mocked.
_KILL_AT = """
import os, signal, sys
from localjustice.ingest import load, records
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[1] == "after_commit":
    load.publish = die
elif sys.argv[1] == "before_register":
    records._publish_register = die
from localjustice.cli import app
app(["ingest", sys.argv[2], "--data-dir", sys.argv[3]])
"""


def _counts(data_dir: Path) -> tuple[int, int, int]:
    with open_warehouse(data_dir / "warehouse.duckdb") as wh:
        row = wh.execute("SELECT (SELECT count(*) FROM ingest.batch), (SELECT count(*) FROM "
                         "identity.police_crimes), (SELECT count(*) FROM identity.police_victims)"
                         ).fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]))


def _reader(data_dir: Path) -> str:
    with open_warehouse(data_dir / "warehouse.duckdb") as wh:
        return readers_agree_or_refuse(wh, data_dir)


def _rerun_completes_the_zone(delivery: Path, data_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "localjustice", "ingest", str(delivery),
                           "--data-dir", str(data_dir)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert _counts(data_dir) == (2, 1, VICTIM_ROWS)
    with open_warehouse(data_dir / "warehouse.duckdb") as wh:
        assert zone_is_whole(wh, data_dir)
    assert not publishing_marker(records_dir(data_dir)).exists()


def test_a_kill_during_the_parquet_export_leaves_neither(tmp_path: Path) -> None:
    delivery = _large_delivery(tmp_path / "delivery")
    data_dir = tmp_path / "data"
    records = records_dir(data_dir)
    proc = subprocess.Popen([sys.executable, "-m", "localjustice", "ingest", str(delivery),
                             "--data-dir", str(data_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    staged: list[Path] = []
    while not staged and proc.poll() is None and time.monotonic() < deadline:
        staged = list(staging_dir(records).glob("*/source=police_victims/batch=*/part-0.parquet"))
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert staged, "the export was never seen under way"
    assert proc.returncode == -signal.SIGKILL
    # the DuckDB transaction was still open: nothing committed, nothing published
    assert _counts(data_dir) == (0, 0, 0)
    assert published_batches(records) == set() and latest_register(records) is None
    assert _reader(data_dir) in {"agrees", "refuses"}
    _rerun_completes_the_zone(delivery, data_dir)


@pytest.mark.parametrize("point", ["after_commit", "before_register"])
def test_a_kill_after_the_commit_is_refused_by_readers_and_repaired(tmp_path: Path,
                                                                    point: str) -> None:
    delivery = _large_delivery(tmp_path / "delivery")
    data_dir = tmp_path / "data"
    records = records_dir(data_dir)
    proc = subprocess.run([sys.executable, "-c", _KILL_AT, point, str(delivery), str(data_dir)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert _counts(data_dir) == (2, 1, VICTIM_ROWS)
    assert latest_register(records) is None
    published = published_batches(records)
    assert len(published) == (2 if point == "before_register" else 0)
    # DuckDB has the delivery and the zone does not list it yet: readers are told so
    assert publishing_marker(records).exists()
    assert _reader(data_dir) == "refuses"
    _rerun_completes_the_zone(delivery, data_dir)
