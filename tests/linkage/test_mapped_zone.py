"""The analysis zone built from a given person map (the synthetic truth) instead of linkage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import KEY, Person, insert_records
from localjustice.errors import LocalJusticeError
from localjustice.linkage import build_analysis_zone_from_person_map, install_pseudonym
from localjustice.linkage.store import PERSON_KEY_TABLE, RECORD_TABLE, UNIT_PERSON_TABLE
from localjustice.warehouse import Warehouse

ADA = Person("Adaline", "Merriweather", date(1988, 5, 17), pnc_id=None)
ADA_AS_PRISON_HAS_HER = Person("Ada", "MERRIWEATHER", date(1988, 5, 17), postcode=None)
BEN = Person("Benedikt", "Ormsby", date(1979, 11, 2))
CARA = Person("Carada", "Pellingham", date(2001, 1, 30))


def _write_map(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("source,source_person_id,true_person_id\n"
                    + "".join(f"{s},{i},{t}\n" for s, i, t in rows), encoding="utf-8")
    return path


def _person_of_events(warehouse: Warehouse, source: str) -> set[str]:
    rows = warehouse.execute(
        "SELECT DISTINCT person_id FROM analysis.event WHERE source = ?", [source]).fetchall()
    return {r[0] for r in rows}


def test_persons_are_as_the_map_says_and_unmapped_source_persons_stand_alone(
        warehouse: Warehouse, tmp_path: Path) -> None:
    insert_records(warehouse, "court_outcomes", [("CO-1", ADA)])
    insert_records(warehouse, "prison_custody", [("PC-9", ADA_AS_PRISON_HAS_HER)])
    insert_records(warehouse, "police_disposals", [("PD-1", BEN), ("PD-2", CARA)])
    person_map = _write_map(tmp_path / "person_map.csv", [
        ("court_outcomes", "CO-1", "TP1"), ("prison_custody", "PC-9", "TP1"),
        ("police_disposals", "PD-1", "TP2")])
    install_pseudonym(warehouse, KEY)

    zone = build_analysis_zone_from_person_map(warehouse, person_map)

    assert (zone.persons, zone.unmapped_source_persons) == (3, 1)
    ada = _person_of_events(warehouse, "court_outcomes")
    assert ada == _person_of_events(warehouse, "prison_custody")
    assert len(_person_of_events(warehouse, "police_disposals") | ada) == 3
    # Person ids are keyed pseudonyms of the map's ids, never the ids themselves.
    expected = warehouse.execute("SELECT lj_pseudonym('P', 'TP1')").scalar()
    assert ada == {expected}
    assert warehouse.execute("SELECT count(*) FROM analysis.person WHERE person_id LIKE '%TP%'"
                             ).scalar() == 0
    # Linkage's own record of who is who is not written.
    assert not any(warehouse.has_table(t) for t in (UNIT_PERSON_TABLE, PERSON_KEY_TABLE, RECORD_TABLE))


def test_a_missing_person_map_is_an_error_that_says_which_file(
        warehouse: Warehouse, tmp_path: Path) -> None:
    install_pseudonym(warehouse, KEY)
    with pytest.raises(LocalJusticeError, match="No person map"):
        build_analysis_zone_from_person_map(warehouse, tmp_path / "absent.csv")


def test_a_person_map_without_the_truth_columns_is_an_error(
        warehouse: Warehouse, tmp_path: Path) -> None:
    install_pseudonym(warehouse, KEY)
    wrong = tmp_path / "map.csv"
    wrong.write_text("source,id\ncourt_outcomes,CO-1\n", encoding="utf-8")
    with pytest.raises(LocalJusticeError, match="true_person_id"):
        build_analysis_zone_from_person_map(warehouse, wrong)
