"""The records zone: every loaded batch also as Parquet, with the guarantees of the load itself.

Conservation (the Parquet rows of each extract are DuckDB's, row for row), idempotence (loading a
delivery again writes nothing), all or nothing (a failed load leaves no file), and repair (the next
ingest brings a damaged or missing zone level with DuckDB). Kills of a real process are in
test_records_atomicity.py.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from localjustice.errors import LocalJusticeError
from localjustice.ingest import ingest_delivery
from localjustice.ingest import load as load_module
from localjustice.ingest import records as records_module
from localjustice.warehouse import Warehouse, open_warehouse
from localjustice.warehouse.records_zone import (
    REGISTER_COLUMNS,
    RecordsZoneIncomplete,
    attach_records_zone,
    batch_dir,
    latest_register,
    published_batches,
    publishing_marker,
    records_dir,
    register_generations,
    staging_dir,
)
from tests.ingest.deliveries import delivery, valid_row
from tests.ingest.records_checks import (
    ZONE_IDENTITY,
    ZONE_INGEST,
    differences,
    zone_files,
    zone_is_whole,
)

AS_OF = date(2020, 1, 1)


def _data_dir(warehouse: Warehouse) -> Path:
    assert warehouse.path is not None
    return warehouse.path.parent


def _first_delivery(folder: Path) -> Path:
    """Crimes with one row held back, victims with one held back, and a rejected file."""
    crimes = [valid_row("police_crimes", crime_id=f"C{i}") for i in range(1, 5)]
    crimes.append(valid_row("police_crimes", crime_id="C9", offence_group="arson"))
    victims = [valid_row("police_victims", source_person_id=f"P{i}", crime_id=f"C{i}")
               for i in range(1, 4)]
    victims.append(valid_row("police_victims", crime_id="C404"))
    path = delivery(folder, {"police_crimes": crimes, "police_victims": victims})
    (path / "police_disposals.csv").write_bytes(b"")
    return path


def _second_delivery(folder: Path) -> Path:
    return delivery(folder, {
        "police_crimes": [valid_row("police_crimes", crime_id="C20")],
        "victim_referrals": [valid_row("victim_referrals", crime_id="C20")],
    })


def test_the_parquet_rows_of_each_extract_are_duckdbs_row_for_row(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    result = ingest_delivery(warehouse, _first_delivery(tmp_path / "d"), as_of=AS_OF)
    by_source = {f.source: f for f in result.files}
    assert (by_source["police_crimes"].rows_loaded, by_source["police_victims"].rows_loaded) == (4, 3)
    data_dir = _data_dir(warehouse)
    assert differences(warehouse, data_dir) == {}
    assert zone_is_whole(warehouse, data_dir)
    records = records_dir(data_dir)
    # a rejected file has provenance in the register but no records
    assert {s for s, _ in published_batches(records)} == {"police_crimes", "police_victims"}
    assert warehouse.scalar(f"SELECT count(*) FROM {ZONE_INGEST}.batch WHERE status = 'rejected'") == 1
    assert not publishing_marker(records).exists()


def test_loading_the_same_delivery_again_writes_nothing(tmp_path: Path, warehouse: Warehouse) -> None:
    folder = _first_delivery(tmp_path / "d")
    ingest_delivery(warehouse, folder, as_of=AS_OF)
    before = zone_files(_data_dir(warehouse))
    again = ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert not again.changed
    assert zone_files(_data_dir(warehouse)) == before
    assert register_generations(records_dir(_data_dir(warehouse))) == [1]


def test_a_new_delivery_adds_folders_and_a_register_generation_and_rewrites_nothing(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    ingest_delivery(warehouse, _first_delivery(tmp_path / "d1"), as_of=AS_OF)
    data_dir = _data_dir(warehouse)
    before = zone_files(data_dir)
    ingest_delivery(warehouse, _second_delivery(tmp_path / "d2"), as_of=AS_OF)
    after = zone_files(data_dir)
    assert {k: after[k] for k in before} == before
    assert register_generations(records_dir(data_dir)) == [1, 2]
    assert zone_is_whole(warehouse, data_dir)
    assert warehouse.scalar(f"SELECT count(*) FROM {ZONE_IDENTITY}.police_crimes") == 5


def test_a_reader_keeps_the_generation_it_attached(tmp_path: Path, warehouse: Warehouse) -> None:
    ingest_delivery(warehouse, _first_delivery(tmp_path / "d1"), as_of=AS_OF)
    data_dir = _data_dir(warehouse)
    snapshot = attach_records_zone(warehouse, data_dir, identity_schema="pinned",
                                   ingest_schema="pinned_ingest")
    ingest_delivery(warehouse, _second_delivery(tmp_path / "d2"), as_of=AS_OF)
    assert snapshot.generation == 1
    assert warehouse.scalar("SELECT count(*) FROM pinned.police_crimes") == 4
    assert warehouse.scalar("SELECT count(*) FROM pinned.victim_referrals") == 0
    assert warehouse.scalar("SELECT count(*) FROM pinned_ingest.batch") == 3


def test_a_failed_load_writes_no_file_and_leaves_the_zone_as_it_was(
    tmp_path: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_delivery(warehouse, _first_delivery(tmp_path / "d1"), as_of=AS_OF)
    data_dir = _data_dir(warehouse)
    before = zone_files(data_dir)
    real = records_module._export_register

    def export_then_fail(*args: object, **kwargs: object) -> Path:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise LocalJusticeError("the disk filled up")

    monkeypatch.setattr(records_module, "_export_register", export_then_fail)
    with pytest.raises(LocalJusticeError, match="disk filled up"):
        ingest_delivery(warehouse, _second_delivery(tmp_path / "d2"), as_of=AS_OF)
    assert zone_files(data_dir) == before
    assert warehouse.scalar("SELECT count(*) FROM ingest.batch") == 3
    assert zone_is_whole(warehouse, data_dir)


def test_a_parquet_file_short_of_rows_rolls_the_delivery_back(
    tmp_path: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records_module, "_parquet_rows", lambda wh, path: 0)
    with pytest.raises(LocalJusticeError, match="holds 0 rows where 4 were loaded"):
        ingest_delivery(warehouse, _first_delivery(tmp_path / "d"), as_of=AS_OF)
    assert warehouse.scalar("SELECT count(*) FROM identity.police_crimes") == 0
    assert zone_files(_data_dir(warehouse)) == {}


def test_the_next_ingest_re_exports_a_committed_batch_whose_files_are_missing(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    folder = _first_delivery(tmp_path / "d")
    result = ingest_delivery(warehouse, folder, as_of=AS_OF)
    data_dir = _data_dir(warehouse)
    crimes = next(f for f in result.files if f.source == "police_crimes")
    shutil.rmtree(batch_dir(records_dir(data_dir), "police_crimes", crimes.batch_id))
    with pytest.raises(RecordsZoneIncomplete, match="files of 1 batch"):
        differences(warehouse, data_dir)
    again = ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert not again.changed
    assert zone_is_whole(warehouse, data_dir)


def test_the_next_ingest_removes_staging_and_folders_duckdb_does_not_have(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    folder = _first_delivery(tmp_path / "d")
    ingest_delivery(warehouse, folder, as_of=AS_OF)
    records = records_dir(_data_dir(warehouse))
    orphan = batch_dir(records, "police_crimes", "police_crimes-0000000000000000")
    shutil.copytree(next((records / "source=police_crimes").iterdir()), orphan)
    (staging_dir(records) / "leftover" / "source=police_victims").mkdir(parents=True)
    (batch_dir(records, "court_outcomes", "court_outcomes-half")).mkdir(parents=True)
    ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert not orphan.exists()
    assert not (records / "source=court_outcomes" / "batch=court_outcomes-half").exists()
    assert zone_is_whole(warehouse, _data_dir(warehouse))


def test_a_warehouse_loaded_before_the_zone_existed_gets_its_history_exported(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    ingest_delivery(warehouse, _first_delivery(tmp_path / "d1"), as_of=AS_OF)
    shutil.rmtree(records_dir(_data_dir(warehouse)))
    ingest_delivery(warehouse, _second_delivery(tmp_path / "d2"), as_of=AS_OF)
    assert zone_is_whole(warehouse, _data_dir(warehouse))
    assert warehouse.scalar(f"SELECT count(*) FROM {ZONE_INGEST}.batch") == 5


def test_a_reader_refuses_a_zone_left_part_published(tmp_path: Path, warehouse: Warehouse,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _first_delivery(tmp_path / "d")

    def crash(staged: object) -> None:
        raise SystemExit("power cut")

    monkeypatch.setattr(load_module, "publish", crash)
    with pytest.raises(SystemExit):
        ingest_delivery(warehouse, folder, as_of=AS_OF)
    monkeypatch.undo()
    data_dir = _data_dir(warehouse)
    # committed on DuckDB, not yet published: readers must not take the old register for whole
    assert warehouse.scalar("SELECT count(*) FROM identity.police_crimes") == 4
    assert latest_register(records_dir(data_dir)) is None
    with pytest.raises(RecordsZoneIncomplete, match="had not finished publishing"):
        attach_records_zone(warehouse, data_dir, identity_schema=ZONE_IDENTITY,
                            ingest_schema=ZONE_INGEST, wait_seconds=0.1)
    again = ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert not again.changed
    assert zone_is_whole(warehouse, data_dir)


def test_an_empty_zone_gives_every_table_empty_with_its_columns(tmp_path: Path,
                                                                warehouse: Warehouse) -> None:
    snapshot = attach_records_zone(warehouse, tmp_path / "nothing-here",
                                   identity_schema=ZONE_IDENTITY, ingest_schema=ZONE_INGEST)
    assert snapshot.register is None
    for table in ("police_victims", "court_outcomes"):
        duck = warehouse.execute(f"DESCRIBE identity.{table}").fetchall()
        zone = warehouse.execute(f"DESCRIBE {ZONE_IDENTITY}.{table}").fetchall()
        assert [r[:2] for r in zone] == [r[:2] for r in duck]
        assert warehouse.scalar(f"SELECT count(*) FROM {ZONE_IDENTITY}.{table}") == 0


def test_the_register_columns_are_those_of_ingest_batch(warehouse: Warehouse) -> None:
    described = warehouse.execute("DESCRIBE ingest.batch").fetchall()
    assert tuple((str(r[0]), str(r[1])) for r in described) == REGISTER_COLUMNS


def test_an_in_memory_warehouse_writes_no_zone(tmp_path: Path) -> None:
    with open_warehouse(None) as wh:
        result = ingest_delivery(wh, _second_delivery(tmp_path / "d"), as_of=AS_OF)
    assert result.changed
    assert not any(tmp_path.rglob("*.parquet"))


def test_a_records_zone_that_cannot_be_written_fails_the_load_with_a_message_not_a_traceback(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """The records folder replaced by a file: the engine's rows are rolled back, and the error
    says what failed and what to check instead of an OSError's traceback."""
    ingest_delivery(warehouse, _second_delivery(tmp_path / "d0"), as_of=AS_OF)
    records = records_dir(_data_dir(warehouse))
    shutil.rmtree(records)
    records.write_text("not a folder")
    batches = warehouse.execute("SELECT count(*) FROM ingest.batch").scalar()
    with pytest.raises(LocalJusticeError, match=r"Loading d failed: .*nothing from it was kept"):
        ingest_delivery(warehouse, _first_delivery(tmp_path / "d"), as_of=AS_OF)
    assert warehouse.execute("SELECT count(*) FROM ingest.batch").scalar() == batches
