"""Synthetic identity-zone fixtures for linkage tests: made-up people, written with INSERTs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from localjustice.contract import load_contract
from localjustice.warehouse import Warehouse, open_warehouse

KEY = b"test-pseudonym-key-not-secret"

FORENAMES = (
    "Aldous", "Brannoch", "Cedrica", "Dorwin", "Elspeth", "Fenwick", "Gilda", "Hesper",
    "Ivor", "Jocasta", "Kelham", "Lorcan", "Marisol", "Norbert", "Ottilie", "Peregrin",
    "Quilla", "Rosalind", "Saffron", "Tobiah", "Ulrica", "Valentin", "Wystan", "Xanthe",
    "Yorick", "Zinnia", "Barnaby", "Clemency", "Desmond", "Euphemia", "Florian", "Griselda",
)
SURNAMES = (
    "Ashdown", "Blackwood", "Carraway", "Dunmore", "Eldridge", "Fairbairn", "Gallagher",
    "Hawthorne", "Ingleby", "Jessop", "Kettering", "Lockhart", "Mortimer", "Netherby",
    "Oakhurst", "Penhallow", "Quarrington", "Redfern", "Stainforth", "Thackeray", "Underhill",
    "Vickery", "Wetherby", "Yardley", "Zouch", "Abernethy", "Braithwaite", "Cholmondeley",
    "Drinkwater", "Earnshaw", "Fotheringham", "Gillingham", "Hetherington", "Illingworth",
)
POSTCODES = ("E1 6AN", "N7 8XH", "SE15 4QL", "SW9 7AB", "W12 0LN", "NW10 3RT", "E17 9PJ",
             "N15 5DR", "SE1 7PB", "CR0 2XX", "BR1 3LT", "HA0 4EH", "UB3 1HR", "IG1 2QQ")
SOURCES = ("court_outcomes", "prison_custody", "probation_supervision", "police_disposals",
           "electronic_monitoring", "victim_referrals", "police_victims")


@dataclass(frozen=True)
class Person:
    """One made-up person as an agency might record them."""

    forename: str
    surname: str
    date_of_birth: date
    sex: str = "M"
    ethnicity: str = "W1"
    postcode: str | None = "E1 6AN"
    pnc_id: str | None = None
    borough_code: str = "E09000030"


def pnc(year: int, serial: int) -> str:
    from localjustice.contract import pnc_check_letter

    return f"{year:04d}/{serial:07d}{pnc_check_letter(year, serial)}"


def _default(column: Any, source: str, row: int, event: date, batch_id: str) -> Any:
    if column.type == "date":
        return event
    if column.type == "integer":
        return 30
    if column.type == "code_list":
        return []
    if column.type == "code":
        return column.codes[0]
    # unique across batches, as a record's key is (a later version ends the earlier one)
    return f"{source}-{column.name}-{batch_id}-{row}"


def insert_records(
    warehouse: Warehouse,
    source: str,
    entries: list[tuple[str, Person]],
    *,
    batch_id: str = "batch-1",
    event_date: date = date(2020, 6, 1),
) -> None:
    """Insert one row per (source_person_id, person) into ``identity.<source>``."""
    extract = load_contract().file(source)
    rows: list[dict[str, Any]] = []
    for number, (spid, person) in enumerate(entries):
        row: dict[str, Any] = {"batch_id": batch_id, "source_row": number + 1}
        for column in extract.columns:
            if not column.identity:
                row[column.name] = _default(column, source, number, event_date, batch_id)
        if "crime_id" in row:
            row["crime_id"] = f"CR-{source}-{batch_id}-{number}"
        row.update(source_person_id=spid, forename=person.forename, middle_names=None,
                   surname=person.surname, date_of_birth=person.date_of_birth,
                   sex=person.sex, ethnicity=person.ethnicity, postcode=person.postcode,
                   borough_code=person.borough_code, pnc_id=person.pnc_id,
                   pnc_id_valid=person.pnc_id is not None)
        if source == "prison_custody":
            row["establishment_code"] = "WWI"
            row["youth_estate"] = None
        rows.append(row)
    frame = pd.DataFrame(rows)
    con = warehouse.connection
    con.register("fixture_rows", frame)
    con.execute(f"INSERT INTO identity.{source} BY NAME SELECT * FROM fixture_rows")
    con.unregister("fixture_rows")
    if "crime_id" in extract.column_names and source == "police_victims":
        crimes = pd.DataFrame([{"batch_id": batch_id, "source_row": i + 1,
                                "crime_id": r["crime_id"], "offence_group": "theft",
                                "committed_date": event_date, "recorded_date": event_date,
                                "borough_code": "E09000030"} for i, r in enumerate(rows)])
        con.register("fixture_crimes", crimes)
        con.execute("INSERT INTO identity.police_crimes BY NAME SELECT * FROM fixture_crimes")
        con.unregister("fixture_crimes")


def random_person(rng: random.Random, serial: int) -> Person:
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
    return Person(
        forename=rng.choice(FORENAMES),
        surname=rng.choice(SURNAMES),
        date_of_birth=birth,
        sex=rng.choice("MF"),
        ethnicity=rng.choice(("W1", "B1", "A1", "M1", "O9")),
        postcode=rng.choice(POSTCODES),
        pnc_id=pnc(2000 + serial % 20, serial) if rng.random() < 0.5 else None,
    )


def noisy(rng: random.Random, person: Person) -> Person:
    """The same person as another agency may record them: a typo, a lost PNC, a move."""
    changed = person
    if rng.random() < 0.2:
        name = changed.surname
        i = rng.randrange(1, len(name))
        changed = replace(changed, surname=name[:i] + name[i + 1:])
    if rng.random() < 0.4:
        changed = replace(changed, pnc_id=None)
    if rng.random() < 0.3:
        changed = replace(changed, postcode=rng.choice(POSTCODES))
    return changed


def population(
    seed: int, people: int, start_serial: int = 1
) -> dict[str, list[tuple[str, Person]]]:
    """``people`` made-up persons, each in one to three sources, returned per source; person
    number ``n`` has source person id ``<source>-<n>`` in every source."""
    rng = random.Random(seed)
    by_source: dict[str, list[tuple[str, Person]]] = {s: [] for s in SOURCES[:4]}
    for n in range(start_serial, start_serial + people):
        person = random_person(rng, n)
        for source in rng.sample(SOURCES[:4], rng.randint(1, 3)):
            by_source[source].append((f"{source[:3]}-{n}", noisy(rng, person)))
    return by_source


def load_population(warehouse: Warehouse, by_source: dict[str, list[tuple[str, Person]]]) -> None:
    for source, entries in by_source.items():
        if entries:
            insert_records(warehouse, source, entries)


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    wh = open_warehouse(None)
    try:
        yield wh
    finally:
        wh.close()


def person_of(warehouse: Warehouse, source: str, spid: str) -> str:
    rows = warehouse.execute(
        "SELECT person_id FROM linkage.unit_person WHERE source = ? AND source_person_id = ?",
        [source, spid],
    ).fetchall()
    assert rows, "source person not linked"
    return str(rows[0][0])


def copy_identity_zone(source: Warehouse, target: Warehouse) -> None:
    """Every identity table of ``source`` written into ``target`` through Arrow (how the tests put
    a made-up identity zone on Spark, where ingestion writes none)."""
    from localjustice.warehouse.layout import VERSION_END_TABLE, current_table, current_view_sql

    for extract in load_contract().files.values():
        table = f"identity.{extract.name}"
        target.register_arrow("lj_copy_rows", source.execute(f"SELECT * FROM {table}").arrow())
        target.create_table(table, "SELECT * FROM lj_copy_rows")
        target.unregister("lj_copy_rows")
    if target.engine == "spark":
        # the version ends and the current views, as the records zone gives Spark
        target.execute("CREATE SCHEMA IF NOT EXISTS ingest")
        target.register_arrow("lj_copy_rows",
                              source.execute(f"SELECT * FROM {VERSION_END_TABLE}").arrow())
        target.create_table(VERSION_END_TABLE, "SELECT * FROM lj_copy_rows")
        target.unregister("lj_copy_rows")
        for extract in load_contract().files.values():
            target.execute(f"CREATE OR REPLACE VIEW {current_table(extract)} AS "
                           f"{current_view_sql(extract)}")


@pytest.fixture
def spark_warehouse(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    """An empty warehouse on the test session's local Spark."""
    from tests.conftest import fresh_spark_warehouse

    wh = fresh_spark_warehouse(request.getfixturevalue("spark_session"),
                               request.getfixturevalue("spark_storage"))
    yield wh
    wh.close()
