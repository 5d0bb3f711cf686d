"""Every engine reads the records zone that ingestion (on DuckDB) writes: the same records.

A delivery is loaded on DuckDB; the zone is then attached on the engine under test (on Spark as
``identity.<extract>`` and ``ingest.batch``, as the Spark warehouse names them; on DuckDB beside
its real tables) and each extract must hold DuckDB's rows exactly, with the same types.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from localjustice.contract import load_contract
from localjustice.ingest import ingest_delivery
from localjustice.warehouse import DuckDBWarehouse, Warehouse, open_warehouse
from localjustice.warehouse.records_zone import RecordsZoneIncomplete, attach_records_zone
from tests.ingest.deliveries import delivery, valid_row

AS_OF = date(2020, 1, 1)


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[tuple[Path, DuckDBWarehouse]]:
    """A data folder with one delivery loaded: crimes, victims (lists, dates) and referrals."""
    folder = delivery(tmp_path / "d", {
        "police_crimes": [valid_row("police_crimes", crime_id=f"C{i}") for i in range(1, 6)],
        "police_victims": [valid_row("police_victims", source_person_id=f"P{i}", crime_id=f"C{i}",
                                     postcode="sw1a 1aa" if i % 2 else "")
                           for i in range(1, 5)],
        "victim_referrals": [valid_row("victim_referrals", referral_id="R1", crime_id="C2")],
    })
    data_dir = tmp_path / "loaded"
    with open_warehouse(data_dir / "warehouse.duckdb") as wh:
        assert isinstance(wh, DuckDBWarehouse)
        ingest_delivery(wh, folder, as_of=AS_OF)
        yield data_dir, wh


def _schemas(warehouse: Warehouse) -> tuple[str, str]:
    # DuckDB has the real identity tables already; the copy goes beside them
    return ("identity", "ingest") if warehouse.engine == "spark" else ("zone_identity", "zone_ingest")


def _rows(warehouse: Warehouse, table: str) -> list[dict[str, Any]]:
    rows = warehouse.execute(f"SELECT * FROM {table}").arrow().to_pylist()
    return sorted(rows, key=lambda r: (r["batch_id"], r.get("source_row") or 0))


def test_the_zone_holds_duckdbs_records_on_every_engine(
    loaded: tuple[Path, DuckDBWarehouse], any_warehouse: Warehouse
) -> None:
    data_dir, duck = loaded
    identity, ingest = _schemas(any_warehouse)
    snapshot = attach_records_zone(any_warehouse, data_dir, identity_schema=identity,
                                   ingest_schema=ingest)
    assert snapshot.generation == 1
    for name in load_contract().files:
        expected = duck.scalar(f"SELECT count(*) FROM identity.{name}")
        assert any_warehouse.scalar(f"SELECT count(*) FROM {identity}.{name}") == expected, name
    for name in ("police_crimes", "police_victims", "victim_referrals"):
        assert _rows(any_warehouse, f"{identity}.{name}") == _rows(duck, f"identity.{name}"), name
    assert any_warehouse.scalar(f"SELECT count(*) FROM {ingest}.batch") == 3
    assert any_warehouse.scalar(f"SELECT sum(rows_loaded) FROM {ingest}.batch") == 10


def test_an_extract_with_no_batch_is_empty_with_its_types_on_every_engine(
    loaded: tuple[Path, DuckDBWarehouse], any_warehouse: Warehouse
) -> None:
    data_dir, _ = loaded
    identity, _ingest = _schemas(any_warehouse)
    attach_records_zone(any_warehouse, data_dir, identity_schema=identity, ingest_schema=_ingest)
    # a union of a loaded extract and an empty one only resolves if the types line up
    union = (f"SELECT count(*) FROM (SELECT * FROM {identity}.court_outcomes UNION ALL "
             f"SELECT * FROM {identity}.court_outcomes WHERE custody_days > 0 "
             f"AND requirements IS NOT NULL AND outcome_date < DATE '2020-01-01')")
    assert any_warehouse.scalar(union) == 0
    columns = any_warehouse.execute(f"SELECT * FROM {identity}.police_victims").columns
    empty = any_warehouse.execute(f"SELECT * FROM {identity}.prison_custody").columns
    assert columns[:2] == empty[:2] == ["batch_id", "source_row"]
    assert columns[-1] == empty[-1] == "pnc_id_valid"


def test_a_zone_left_part_published_is_refused_on_every_engine(
    loaded: tuple[Path, DuckDBWarehouse], any_warehouse: Warehouse
) -> None:
    data_dir, _ = loaded
    (data_dir / "records" / "_publishing.json").write_text("{}")
    identity, ingest = _schemas(any_warehouse)
    with pytest.raises(RecordsZoneIncomplete):
        attach_records_zone(any_warehouse, data_dir, identity_schema=identity, ingest_schema=ingest,
                            wait_seconds=0.1)


def test_current_versions_are_duckdbs_on_every_engine(
    loaded: tuple[Path, DuckDBWarehouse], any_warehouse: Warehouse, tmp_path: Path
) -> None:
    """A later delivery changes one victim and a full snapshot of crimes withdraws one: the
    engine under test reads the same current records as DuckDB from the zone."""
    data_dir, duck = loaded
    later = delivery(tmp_path / "m2", {
        "police_crimes": [valid_row("police_crimes", crime_id=f"C{i}") for i in range(1, 5)],
        "police_victims": [valid_row("police_victims", source_person_id="P1", crime_id="C1",
                                     contact_preference="letter")],
    })
    (later / "manifest.toml").write_text(
        'extract_date = 2019-12-31\n[files.police_crimes]\nmode = "snapshot"\n', encoding="utf-8")
    ingest_delivery(duck, later, as_of=AS_OF)
    identity, ingest = _schemas(any_warehouse)
    snapshot = attach_records_zone(any_warehouse, data_dir, identity_schema=identity,
                                   ingest_schema=ingest)
    assert snapshot.generation == 2
    assert any_warehouse.scalar(f"SELECT count(*) FROM {ingest}.version_end") == 2
    for name in ("police_crimes", "police_victims"):
        assert _rows(any_warehouse, f"{identity}.current_{name}") == \
            _rows(duck, f"identity.current_{name}"), name
    assert any_warehouse.scalar(f"SELECT count(*) FROM {identity}.current_police_crimes") == 4
    assert any_warehouse.scalar(
        f"SELECT contact_preference FROM {identity}.current_police_victims "
        "WHERE source_person_id = 'P1'") == "letter"
