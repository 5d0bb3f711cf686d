"""Files of a delivery are prepared two at a time beside the transaction (``ingest.load``).

A victim's rules look into crimes: its crime must exist, and its age is judged on the crime's
date. Where the crimes come in the same delivery as a first load, the victims are checked before
the transaction against that file's valid rows; where crimes are not in the delivery, against the
stored crimes; where the delivery brings new versions of stored crimes, inside the transaction.
The three give the same answer here, and so does the records zone: every Parquet row is a stored
row and the other way round.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from localjustice.ingest import ingest_delivery
from localjustice.warehouse import Warehouse, open_warehouse
from localjustice.warehouse.records_zone import attach_records_zone, records_dir, staging_dir
from tests.ingest.deliveries import delivery, valid_row

AS_OF = date(2020, 1, 1)

CRIMES = [
    valid_row("police_crimes", crime_id="C1"),
    valid_row("police_crimes", crime_id="C2", offence_group="arson"),  # quarantined
    valid_row("police_crimes", crime_id="C3", committed_date="2018-03-01",
              recorded_date="2018-03-02"),
    valid_row("police_crimes", crime_id="C4", committed_date="2019-07-01",
              recorded_date="2019-07-02"),
]
VICTIMS = [
    valid_row("police_victims", source_person_id="V1", crime_id="C1"),
    valid_row("police_victims", source_person_id="V2", crime_id="C2"),
    # 9 on the date of C3, 11 on the date of C4: only the right crime's date tells them apart
    valid_row("police_victims", source_person_id="V3", crime_id="C3", date_of_birth="2008-06-01"),
    valid_row("police_victims", source_person_id="V4", crime_id="C4", date_of_birth="2008-06-01"),
    valid_row("police_victims", source_person_id="V5", crime_id="C404"),
]
HELD = [("V2", "crime_id", "references"), ("V3", "date_of_birth", "age_between"),
        ("V5", "crime_id", "references")]


def _held_victims(warehouse: Warehouse) -> list[tuple[str, str, str]]:
    rows = warehouse.connection.execute(
        """SELECT json_extract_string(raw_row, '$.source_person_id'), column_name, rule
           FROM ingest.quarantine WHERE source = 'police_victims' ORDER BY 1, 2""").fetchall()
    return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.mark.parametrize("how", ["one first delivery", "crimes stored, victims later",
                                 "new crime versions beside the victims"])
def test_victims_are_checked_against_the_crimes_they_will_see(
    tmp_path: Path, how: str,
) -> None:
    with open_warehouse(tmp_path / "data" / "warehouse.duckdb") as warehouse:
        if how == "one first delivery":
            result = ingest_delivery(warehouse, delivery(
                tmp_path / "d1", {"police_crimes": CRIMES, "police_victims": VICTIMS}),
                as_of=AS_OF)
            assert [f.source for f in result.files] == ["police_crimes", "police_victims"]
        else:
            ingest_delivery(warehouse, delivery(tmp_path / "d1", {"police_crimes": CRIMES}),
                            as_of=AS_OF)
            files = {"police_victims": VICTIMS}
            if how == "new crime versions beside the victims":
                files["police_crimes"] = [valid_row("police_crimes", crime_id="C1",
                                                    borough_code="E09000001")]
            ingest_delivery(warehouse, delivery(tmp_path / "d2", files), as_of=AS_OF)
        assert _held_victims(warehouse) == HELD
        loaded = warehouse.connection.execute(
            "SELECT source_person_id FROM identity.police_victims ORDER BY 1").fetchall()
        assert loaded == [("V1",), ("V4",)]
        attach_records_zone(warehouse, tmp_path / "data", identity_schema="zone_identity",
                            ingest_schema="zone_ingest")
        for extract in ("police_crimes", "police_victims"):
            differing = warehouse.connection.execute(f"""SELECT count(*) FROM (
                (SELECT * FROM identity.{extract} EXCEPT ALL SELECT * FROM zone_identity.{extract})
                UNION ALL
                (SELECT * FROM zone_identity.{extract} EXCEPT ALL SELECT * FROM identity.{extract})
                )""").fetchone()
            assert differing == (0,)


def test_every_file_loads_and_reports_in_delivery_order_whatever_finishes_first(
    tmp_path: Path, warehouse: Warehouse,
) -> None:
    """The transaction takes files as they are prepared (a small one may be ready first), but victims
    only after crimes, and the results keep the delivery's order."""
    big = [valid_row("police_crimes", crime_id=f"C{i}") for i in range(1, 20_001)]
    result = ingest_delivery(warehouse, delivery(tmp_path / "d", {
        "police_crimes": big,
        "police_victims": [valid_row("police_victims", crime_id="C20000")],
        "court_outcomes": [valid_row("court_outcomes")],
        "prison_custody": [valid_row("prison_custody")],
    }), as_of=AS_OF)
    assert [f.source for f in result.files] == [
        "police_crimes", "police_victims", "court_outcomes", "prison_custody"]
    assert [f.rows_loaded for f in result.files] == [20_000, 1, 1, 1]


def test_a_failure_while_files_are_prepared_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first file fails in the transaction while the others are still being prepared: the
    failure is what the caller sees, nothing is kept, the workers are stopped and their work
    databases detached, the staging folder of the records zone is gone, and the engine's
    insertion-order setting is as it was."""
    from localjustice.ingest import load

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(load, "_load_file", broken)
    data = tmp_path / "data"
    with open_warehouse(data / "warehouse.duckdb") as warehouse:
        con = warehouse.connection
        con.execute("SET preserve_insertion_order = false")
        big = [valid_row("police_crimes", crime_id=f"C{i}") for i in range(1, 50_001)]
        with pytest.raises(RuntimeError, match="the disk went away"):
            ingest_delivery(warehouse, delivery(tmp_path / "d", {
                "police_crimes": big, "police_victims": [valid_row("police_victims")],
                "court_outcomes": [valid_row("court_outcomes")]}), as_of=AS_OF)
        assert con.execute("SELECT count(*) FROM ingest.batch").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM identity.police_crimes").fetchone() == (0,)
        attached = [r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()")
                    .fetchall()]
        assert not [name for name in attached if name.startswith("_ingest_work")]
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone() \
            == (False,)
        monkeypatch.undo()
        result = ingest_delivery(warehouse, delivery(tmp_path / "d2", {
            "police_crimes": big[:10]}), as_of=AS_OF)
        assert result.files[0].rows_loaded == 10
    assert records_dir(data).is_dir()  # the zone exists, without staging left in it
    assert not staging_dir(records_dir(data)).exists()


class _Recorded:
    """A ``Progress`` that records each step's start and ticks, with the thread of each."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, bool]] = []  # (what, step, on the main thread)
        self._lock = threading.Lock()

    def _record(self, what: str, description: str) -> None:
        with self._lock:
            self.events.append(
                (what, description, threading.current_thread() is threading.main_thread()))

    def step(self, description: str, total: int | None = None) -> _RecordedStep:
        self._record("start", description)
        return _RecordedStep(self, description)


class _RecordedStep:
    def __init__(self, progress: _Recorded, description: str) -> None:
        self._progress, self._description = progress, description

    def advance(self, amount: int = 1) -> None:
        self._progress._record("advance", self._description)


def test_each_file_is_reported_read_when_it_is_read_not_when_it_is_loaded(
    tmp_path: Path,
) -> None:
    rows = {"police_crimes": CRIMES, "police_victims": VICTIMS,
            "police_disposals": [valid_row("police_disposals")]}
    progress = _Recorded()
    with open_warehouse(tmp_path / "data" / "warehouse.duckdb") as warehouse:
        ingest_delivery(warehouse, delivery(tmp_path / "d", rows), as_of=AS_OF, progress=progress)
    events = progress.events
    names = [f"{name}.csv" for name in rows]
    first_load = min(i for i, e in enumerate(events)
                     if e[0] == "start" and e[1].startswith("check and load"))
    for name in names:
        started = events.index(("start", f"read {name}", True))
        ticked = [i for i, e in enumerate(events) if e[:2] == ("advance", f"read {name}")]
        loading = next(i for i, e in enumerate(events) if e[:2] == ("start",
                                                                    f"check and load {name}"))
        # every file is shown as soon as the delivery begins, before any file is loaded
        assert started < first_load
        # ticked once, by the worker that read it, before the transaction loads it
        assert len(ticked) == 1 and not events[ticked[0]][2]
        assert ticked[0] < loading
