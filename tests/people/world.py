"""Small hand-built worlds for the people tests: agencies' records of a few synthetic persons, as
ingest and linkage would leave them (identity zone, one batch per source, linkage's unit map and
scored pairs), then the analysis zone built from them by linkage's own code. Names are made up."""

from __future__ import annotations

from datetime import date, datetime
from itertools import count
from pathlib import Path
from typing import Any

from localjustice.contract import load_contract
from localjustice.linkage import install_pseudonym
from localjustice.linkage.analysis_zone import build_analysis_zone
from localjustice.linkage.store import PAIR_TABLE, UNIT_PERSON_TABLE, ensure_linkage_layout
from localjustice.warehouse import Warehouse, identity_table, open_warehouse

KEY = b"people-test-key-not-a-secret-0123"
CAMDEN = "E09000007"
IN_AREA_PRISON = "PVI"  # HMP Pentonville, in London
OUTSIDE_PRISON = "HOI"  # HMP High Down, outside London


class World:
    """An in-memory warehouse; ``record`` adds one agency row for a person, ``build`` links."""

    def __init__(self, path: Path | None = None) -> None:
        self.warehouse: Warehouse = open_warehouse(path)
        ensure_linkage_layout(self.warehouse)
        install_pseudonym(self.warehouse, KEY)
        self._rows = count(1)
        self._batches: set[str] = set()
        self._units: set[tuple[str, str, str]] = set()
        self.contract = load_contract()

    def record(self, source: str, person: str, *, unit: str | None = None, sex: str = "M",
               born: date = date(1990, 5, 17), forename: str = "Ada", surname: str = "Testperson",
               **columns: Any) -> str:
        """One row of ``source`` for ``person`` (the linked person id); ``unit`` is the source's own
        person id (default: one per person and source). Returns the unit id."""
        spid = unit or f"{source[:3].upper()}-{person}"
        batch = f"B-{source}"
        if batch not in self._batches:
            self._batches.add(batch)
            self.warehouse.execute(
                "INSERT INTO ingest.batch (batch_id, delivery, source, file_name, file_format, "
                "file_sha256, contract_version, status, rows_read, rows_loaded, rows_quarantined, "
                "rows_with_warnings, extra_columns, started_at, finished_at, partner, extract_date) "
                "VALUES (?, 'delivery-2024-03', ?, ?, 'csv', 'x', '1.1', 'loaded', 0, 0, 0, 0, [], ?, ?, "
                "?, ?)", [batch, source, f"{source}.csv", datetime(2024, 4, 2, 9), datetime(2024, 4, 2, 9),
                          self.contract.file(source).partner, date(2024, 3, 31)])
        values = {"batch_id": batch, "source_row": next(self._rows), "source_person_id": spid,
                  "forename": forename, "surname": surname, "date_of_birth": born, "sex": sex,
                  "ethnicity": "W1", "borough_code": CAMDEN, "postcode": "N1 1AA",
                  "pnc_id_valid": False, **columns}
        names = ", ".join(values)
        self.warehouse.execute(f"INSERT INTO {identity_table(source)} ({names}) VALUES "
                               f"({', '.join('?' for _ in values)})", list(values.values()))
        self._units.add((f"{source}:{spid}", source, spid))
        self.warehouse.execute(f"DELETE FROM {UNIT_PERSON_TABLE} WHERE unit_id = ?", [f"{source}:{spid}"])
        self.warehouse.execute(f"INSERT INTO {UNIT_PERSON_TABLE} VALUES (?, ?, ?, ?, 'run-1')",
                               [f"{source}:{spid}", source, spid, person])
        return f"{source}:{spid}"

    def pair(self, unit_a: str, unit_b: str, probability: float) -> None:
        left, right = sorted((unit_a, unit_b))
        self.warehouse.execute(f"INSERT INTO {PAIR_TABLE} VALUES (?, ?, ?, NULL, 'test')",
                               [left, right, probability])

    # the agencies' events, with only what a test needs
    def release(self, person: str, reception: date, release: date | None, *,
                prison: str = IN_AREA_PRISON, custody_type: str = "sentenced", **kw: Any) -> str:
        return self.record("prison_custody", person, custody_id=f"CU-{next(self._rows)}",
                           prison_number="A1234BC", establishment_code=prison,
                           reception_date=reception, release_date=release, custody_type=custody_type,
                           **kw)

    def supervision(self, person: str, start: date, order_type: str = "licence", **kw: Any) -> str:
        return self.record("probation_supervision", person, supervision_id=f"SU-{next(self._rows)}",
                           crn="X123456", order_type=order_type, start_date=start, provider="nps", **kw)

    def conviction(self, person: str, on: date, sentence: str = "fine", **kw: Any) -> str:
        kw.setdefault("offence_group", "theft")
        return self.record("court_outcomes", person, outcome_id=f"CO-{next(self._rows)}",
                           case_id=f"K-{next(self._rows)}", offence_date=on, outcome_date=on,
                           court_code="C01", outcome="convicted", sentence_type=sentence, **kw)

    def caution(self, person: str, on: date, **kw: Any) -> str:
        return self.record("police_disposals", person, disposal_id=f"PD-{next(self._rows)}",
                           crime_id=f"CR-{next(self._rows)}", offence_group="theft", offence_date=on,
                           disposal_date=on, disposal_type="adult_simple_caution", **kw)

    def monitoring(self, person: str, start: date, violations: int, **kw: Any) -> str:
        return self.record("electronic_monitoring", person, order_id=f"EM-{next(self._rows)}",
                           monitoring_type="curfew_rf", start_date=start, violations=violations,
                           source_order="court", **kw)

    def victimisation(self, person: str, on: date, **kw: Any) -> str:
        crime = f"CR-{next(self._rows)}"
        self.warehouse.execute(
            f"INSERT INTO {identity_table('police_crimes')} (batch_id, source_row, crime_id, "
            "offence_group, committed_date, recorded_date, borough_code) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ["B-police_crimes", next(self._rows), crime, "burglary", on, on, CAMDEN])
        return self.record("police_victims", person, crime_id=crime, **kw)

    def build(self) -> Warehouse:
        build_analysis_zone(self.warehouse)
        # the build ends on a count read with fetchone; DuckDB will not register a table while a
        # result is unfinished, so read one to its end (as a page's fresh connection would be)
        self.warehouse.execute("SELECT 1").fetchall()
        return self.warehouse


#: The end of the data in ``web_world``: its worklists are for this day.
WEB_END = date(2024, 4, 10)


def web_world(path: Path) -> None:
    """A warehouse file for the web tests: P1 released five days before the end of the data from a
    prison outside the area with no supervision started (through the gate), whose old probation
    record was linked with a doubtful score; P2's conviction ends the data."""
    w = World(path)
    w.conviction("P1", date(2024, 1, 5), "immediate_custody", custody_days=120, forename="Robin",
                 surname="Example")
    w.release("P1", date(2024, 1, 5), date(2024, 4, 5), prison=OUTSIDE_PRISON, forename="Robin",
              surname="Example")
    w.supervision("P1", date(2022, 1, 10), "community_order", forename="Robyn", surname="Exampel")
    w.pair("court_outcomes:COU-P1", "prison_custody:PRI-P1", 0.999)
    w.pair("court_outcomes:COU-P1", "probation_supervision:PRO-P1", 0.71)
    w.conviction("P2", WEB_END)
    w.build()
    w.warehouse.close()
