"""A crash at any moment of a load leaves the warehouse exactly as before: the load process is
killed with SIGKILL mid-transaction, and the warehouse and its Parquet records zone are then
inspected by a fresh process (kills during the Parquet export: test_records_atomicity.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from localjustice.warehouse import open_warehouse
from localjustice.warehouse.records_zone import latest_register, published_batches, records_dir
from tests.ingest.deliveries import valid_row, write_csv
from tests.ingest.records_checks import readers_agree_or_refuse, zone_is_whole

pytestmark = pytest.mark.slow

VICTIM_ROWS = 600_000


def _large_delivery(folder: Path) -> Path:
    """Crimes load quickly; the victims file is large enough that its load takes a while."""
    folder.mkdir(parents=True)
    write_csv(folder / "police_crimes.csv", [valid_row("police_crimes")])
    victim = valid_row("police_victims")
    columns = ", ".join(f"'{v}' AS {k}" for k, v in victim.items() if k != "source_person_id")
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'P' || i AS source_person_id, {columns} FROM range({VICTIM_ROWS}) t(i)) "
        f"TO '{folder / 'police_victims.csv'}' (HEADER, DELIMITER ',')"
    )
    con.close()
    return folder


def _ingest_process(delivery: Path, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "localjustice", "-v", "ingest", str(delivery),
         "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def _state(data_dir: Path) -> tuple[int, int, int, int]:
    with open_warehouse(data_dir / "warehouse.duckdb") as wh:
        row = wh.execute(
            "SELECT (SELECT count(*) FROM ingest.batch), (SELECT count(*) FROM "
            "identity.police_crimes), (SELECT count(*) FROM identity.police_victims), "
            "(SELECT count(*) FROM ingest.quarantine)"
        ).fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def test_a_load_killed_mid_transaction_leaves_no_partial_batch(tmp_path: Path) -> None:
    delivery = _large_delivery(tmp_path / "delivery")
    data_dir = tmp_path / "data"
    proc = _ingest_process(delivery, data_dir)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "loaded source=police_crimes" in line:
            # the crimes are written inside the open transaction; the victims are still loading
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    assert _state(data_dir) == (0, 0, 0, 0)
    # nor is anything of it in the Parquet records zone
    records = records_dir(data_dir)
    assert published_batches(records) == set() and latest_register(records) is None

    # and the warehouse is usable: the same delivery then loads whole, in both stores
    done = _ingest_process(delivery, data_dir)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert _state(data_dir) == (2, 1, VICTIM_ROWS, 0)
    with open_warehouse(data_dir / "warehouse.duckdb") as wh:
        assert zone_is_whole(wh, data_dir)


def test_kills_at_arbitrary_moments_leave_all_or_nothing(tmp_path: Path) -> None:
    delivery = _large_delivery(tmp_path / "delivery")
    data_dir = tmp_path / "data"
    for delay in (0.3, 0.9, 1.6, 2.4):
        proc = _ingest_process(delivery, data_dir)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert _state(data_dir) in {(0, 0, 0, 0), (2, 1, VICTIM_ROWS, 0)}
        with open_warehouse(data_dir / "warehouse.duckdb") as wh:
            assert readers_agree_or_refuse(wh, data_dir) in {"agrees", "refuses"}


def _ends(data_dir: Path) -> tuple[int, int, int]:
    with open_warehouse(data_dir / "warehouse.duckdb") as wh:
        row = wh.execute(
            "SELECT (SELECT count(*) FROM ingest.version_end), (SELECT count(*) FROM "
            "identity.current_police_victims), (SELECT count(*) FROM ingest.batch)").fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]))


def test_a_monthly_load_killed_mid_transaction_leaves_the_warehouse_as_before(
    tmp_path: Path
) -> None:
    """The second month re-sends every victim changed, as a snapshot: killed while its new
    versions and their ends are being written, nothing of it stays, and then it loads whole."""
    first = _large_delivery(tmp_path / "m1")
    data_dir = tmp_path / "data"
    done = _ingest_process(first, data_dir)
    assert done.communicate(timeout=300)[1] is not None and done.returncode == 0
    before = (_state(data_dir), _ends(data_dir))
    second = tmp_path / "m2"
    second.mkdir()
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE ('letter' AS contact_preference) FROM "
        f"read_csv('{first / 'police_victims.csv'}', all_varchar = true)) "
        f"TO '{second / 'police_victims.csv'}' (HEADER, DELIMITER ',')")
    con.close()
    (second / "manifest.toml").write_text(
        'extract_date = 2018-10-31\n[files.police_victims]\nmode = "snapshot"\n'
        f"rows = {VICTIM_ROWS}\n", encoding="utf-8")
    proc = _ingest_process(second, data_dir)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "staged source=police_victims" in line:
            time.sleep(0.5)  # inside the transaction: the comparison and the new versions
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert (_state(data_dir), _ends(data_dir)) == before
    again = _ingest_process(second, data_dir)
    assert again.communicate(timeout=300)[1] is not None and again.returncode == 0
    assert _ends(data_dir) == (VICTIM_ROWS, VICTIM_ROWS, 3)
    with open_warehouse(data_dir / "warehouse.duckdb") as wh:
        assert zone_is_whole(wh, data_dir)
        assert wh.scalar("SELECT count(DISTINCT contact_preference) FROM "
                         "identity.current_police_victims") == 1
