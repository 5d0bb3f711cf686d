"""Build small analysis zones by hand: a person, then their events, with only the columns a test
needs (everything else NULL). Identifiers are synthetic ("P1", "E1", ...)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from itertools import count
from typing import Any

import pyarrow as pa

from localjustice.warehouse import Warehouse, open_warehouse
from localjustice.warehouse.analysis_layout import (
    CRIME_COLUMNS,
    CRIME_TABLE,
    EVENT_COLUMNS,
    EVENT_TABLE,
    PERSON_COLUMNS,
    PERSON_TABLE,
    analysis_layout_ddl,
)

ANALYSIS_TABLES = (PERSON_TABLE, EVENT_TABLE, CRIME_TABLE)

CAMDEN = "E09000007"
HACKNEY = "E09000012"


class Zone:
    """An in-memory warehouse with an empty analysis zone and helpers to add rows."""

    def __init__(self) -> None:
        self.warehouse: Warehouse = open_warehouse(None)
        for statement in analysis_layout_ddl():
            self.warehouse.execute(statement)
        self._keys = count(1)

    def person(self, person_id: str, *, year_of_birth: int = 1990, sex: str = "M",
               ethnicity: str = "W1", borough_code: str | None = CAMDEN) -> str:
        self._insert(PERSON_TABLE, PERSON_COLUMNS, {
            "person_id": person_id, "year_of_birth": year_of_birth, "sex": sex,
            "ethnicity": ethnicity, "borough_code": borough_code, "sources": ["test"]})
        return person_id

    def event(self, person_id: str, event_type: str, event_date: date | None, **columns: Any) -> None:
        row = {"event_key": f"E{next(self._keys)}", "person_id": person_id, "source": "test",
               "event_type": event_type, "event_date": event_date, **columns}
        self._insert(EVENT_TABLE, EVENT_COLUMNS, row)

    def caution(self, person_id: str, on: date, *, offence_date: date | None = None,
                offence_group: str = "theft", age: int | None = 30, **extra: Any) -> None:
        self.event(person_id, "out_of_court_disposal", on, offence_date=offence_date or on,
                   offence_group=offence_group, disposal_type="adult_simple_caution",
                   age_at_event=age, **extra)

    def conviction(self, person_id: str, on: date, *, offence_date: date | None = None,
                   sentence_type: str = "fine", offence_group: str = "theft",
                   custody_days: int | None = None, case_key: str | None = None,
                   age: int | None = 30, outcome: str = "convicted", **extra: Any) -> None:
        self.event(person_id, "court_outcome", on, offence_date=offence_date or on,
                   offence_group=offence_group, outcome=outcome,
                   sentence_type=sentence_type if outcome == "convicted" else None,
                   custody_days=custody_days, case_key=case_key or f"K{next(self._keys)}",
                   age_at_event=age, **extra)

    def custody(self, person_id: str, reception: date, release: date | None, *,
                custody_type: str = "sentenced", age: int | None = 30, **extra: Any) -> None:
        self.event(person_id, "custody", reception, end_date=release, custody_type=custody_type,
                   age_at_event=age, **extra)

    def crime(self, crime_key: str, offence_group: str, committed: date,
              borough_code: str | None = CAMDEN) -> None:
        self._insert(CRIME_TABLE, CRIME_COLUMNS, {
            "crime_key": crime_key, "offence_group": offence_group, "committed_date": committed,
            "recorded_date": committed, "borough_code": borough_code})

    def event_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Many events in one statement (through Arrow), each as ``event`` would add it."""
        self._insert_many(EVENT_TABLE, EVENT_COLUMNS, [
            {"event_key": f"E{next(self._keys)}", "source": "test", **row} for row in rows])

    def person_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert_many(PERSON_TABLE, PERSON_COLUMNS, [{"sources": ["test"], **r} for r in rows])

    def crime_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert_many(CRIME_TABLE, CRIME_COLUMNS, rows)

    def _insert_many(self, table: str, layout: tuple[tuple[str, str], ...],
                     rows: Sequence[dict[str, Any]]) -> None:
        names = [n for n, _ in layout]
        unknown = {k for r in rows for k in r} - set(names)
        if unknown:
            raise KeyError(f"not columns of {table}: {unknown}")
        batch = pa.table({n: [r.get(n) for r in rows] for n in names})
        self.warehouse.register_arrow("zone_rows", batch)
        try:
            self.warehouse.execute(f"INSERT INTO {table} SELECT {', '.join(names)} FROM zone_rows")
        finally:
            self.warehouse.unregister("zone_rows")

    def _insert(self, table: str, layout: tuple[tuple[str, str], ...], row: dict[str, Any]) -> None:
        names = [n for n, _ in layout]
        unknown = set(row) - set(names)
        if unknown:
            raise KeyError(f"not columns of {table}: {unknown}")
        self.warehouse.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [row.get(n) for n in names])


def copy_analysis_zone(source: Warehouse, target: Warehouse) -> None:
    """The analysis zone of ``source`` made again in ``target`` (another engine), through Arrow:
    the same rows and column types, so a measure can be run on both and compared. The rows go in
    the reverse order of their keys, so that a result depending on the order rows happen to be
    stored in (a tie an ORDER BY leaves open) differs between the two."""
    for statement in analysis_layout_ddl():
        target.ddl(statement)
    for table, (key, _) in zip(ANALYSIS_TABLES, (PERSON_COLUMNS[0], EVENT_COLUMNS[0],
                                                  CRIME_COLUMNS[0]), strict=True):
        name = "copy_" + table.replace(".", "_")
        target.register_arrow(
            name, source.execute(f"SELECT * FROM {table} ORDER BY {key} DESC").arrow())
        try:
            target.create_table(table, f"SELECT * FROM {name}")
        finally:
            target.unregister(name)


def zone() -> Iterator[Zone]:
    z = Zone()
    try:
        yield z
    finally:
        z.warehouse.close()
