"""What the records-zone tests check, in one place: the Parquet copy against DuckDB's tables."""

from __future__ import annotations

from pathlib import Path

from localjustice.contract import load_contract
from localjustice.warehouse import Warehouse
from localjustice.warehouse.records_zone import (
    attach_records_zone,
    published_batches,
    records_dir,
    staging_dir,
)

#: Where the DuckDB tests attach the Parquet copy, beside the real tables it must equal.
ZONE_IDENTITY = "zone_identity"
ZONE_INGEST = "zone_ingest"


def zone_files(data_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Every file of the zone: path -> (inode, size, mtime), to see that nothing was rewritten."""
    records = records_dir(data_dir)
    if not records.exists():
        return {}
    return {str(p.relative_to(records)): (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
            for p in records.rglob("*") if p.is_file()}


def differences(warehouse: Warehouse, data_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Per table whose Parquet copy differs from DuckDB: (DuckDB rows, Parquet rows, rows in one
    but not the other, counting duplicates). Empty when the zone is whole and conserved."""
    attach_records_zone(warehouse, data_dir, identity_schema=ZONE_IDENTITY,
                        ingest_schema=ZONE_INGEST, wait_seconds=0)
    pairs = [(f"identity.{name}", f"{ZONE_IDENTITY}.{name}") for name in load_contract().files]
    pairs.append(("ingest.batch", f"{ZONE_INGEST}.batch"))
    found: dict[str, tuple[int, int, int]] = {}
    for duck, zone in pairs:
        row = warehouse.execute(
            f"SELECT (SELECT count(*) FROM {duck}), (SELECT count(*) FROM {zone}), "
            f"(SELECT count(*) FROM (SELECT * FROM {duck} EXCEPT ALL SELECT * FROM {zone})) + "
            f"(SELECT count(*) FROM (SELECT * FROM {zone} EXCEPT ALL SELECT * FROM {duck}))"
        ).fetchone()
        assert row is not None
        if row[0] != row[1] or row[2]:
            found[duck] = (int(row[0]), int(row[1]), int(row[2]))
    return found


def zone_is_whole(warehouse: Warehouse, data_dir: Path) -> bool:
    """Level with DuckDB, nothing staged, no folder that DuckDB does not have."""
    loaded = {(str(s), str(b)) for s, b in warehouse.execute(
        "SELECT source, batch_id FROM ingest.batch WHERE status = 'loaded'").fetchall()}
    records = records_dir(data_dir)
    return (not differences(warehouse, data_dir) and published_batches(records) == loaded
            and not staging_dir(records).exists())


def readers_agree_or_refuse(warehouse: Warehouse, data_dir: Path) -> str:
    """What a reader of the zone meets after a crash: ``"agrees"`` (it sees exactly DuckDB's
    committed state) or ``"refuses"`` (the marker says a publication is unfinished). Anything
    else, a reader seeing more or less than DuckDB without being told, fails the assertion."""
    from localjustice.warehouse.records_zone import RecordsZoneIncomplete

    try:
        found = differences(warehouse, data_dir)
    except RecordsZoneIncomplete:
        return "refuses"
    assert found == {}, f"the zone differs from DuckDB: {found}"
    return "agrees"
