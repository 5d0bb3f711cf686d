"""Linkage end to end on a local Spark: the same persons, ids and analysis zone as on DuckDB.

The identity zone is made up on DuckDB (as the other linkage tests make it) and copied to Spark
through Arrow; then ``link_persons`` runs on each engine and the results are compared. A
deterministic delivery must give identical ids on both (same rules, same keyed HMAC); a
probabilistic one must agree within the issue's tolerances (F1 within 0.005, persons within
0.5%), since Splink's Jaro-Winkler on Spark differs slightly from DuckDB's.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    KEY,
    Person,
    copy_identity_zone,
    insert_records,
    load_population,
    person_of,
    pnc,
    population,
)
from localjustice.linkage import (
    LinkageOptions,
    PairNotQueued,
    link_persons,
    linkage_report,
    manual_links,
    record_decision,
    record_manual_link,
    review_queue,
)
from localjustice.warehouse import Warehouse

pytestmark = pytest.mark.spark

DOZEN = [
    ("court_outcomes", "C1", Person("Aldous", "Ashdown", date(1980, 1, 2), pnc_id=pnc(2001, 11))),
    ("prison_custody", "P1", Person("Aldo", "Ashdwn", date(1980, 2, 1), pnc_id=pnc(2001, 11))),
    ("court_outcomes", "C2", Person("Gilda", "Jessop", date(1992, 5, 6))),
    ("probation_supervision", "S2", Person("GILDA", "Jessop", date(1992, 5, 6))),
    ("court_outcomes", "C3", Person("Ivor", "Lockhart", date(1975, 8, 9))),
    ("prison_custody", "P4", Person("Norbert", "Redfern", date(1988, 12, 1))),
    ("police_disposals", "D6", Person("Xanthe", "Zouch", date(2001, 7, 7))),
    ("victim_referrals", "R9", Person("Barnaby", "Earnshaw", date(1985, 6, 30))),
    ("police_victims", "V10", Person("Clemency", "Drinkwater", date(1979, 9, 19))),
    # born on 29 February: an age at event by the engines' one whole-month rule
    ("electronic_monitoring", "E8", Person("Zinnia", "Yardley", date(1992, 2, 29))),
]


def _load(warehouse: Warehouse, rows: list[tuple[str, str, Person]], batch_id: str = "batch-1",
          event_date: date = date(2020, 6, 1)) -> None:
    by_source: dict[str, list[tuple[str, Person]]] = {}
    for source, spid, person in rows:
        by_source.setdefault(source, []).append((spid, person))
    for source, entries in by_source.items():
        insert_records(warehouse, source, entries, batch_id=batch_id, event_date=event_date)


def _rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    """Rows as plain tuples (lists for arrays), sorted, so engines compare equal."""
    return sorted(tuple(list(v) if isinstance(v, list | tuple) else v for v in row)
                  for row in warehouse.execute(sql).fetchall())


def test_a_small_delivery_links_deterministically_on_spark_to_the_same_ids_as_on_duckdb(
        warehouse: Warehouse, spark_warehouse: Warehouse) -> None:
    # events on 28 February 2021: Zinnia (born 29 February 1992) is 29 by the month-end rule
    _load(warehouse, DOZEN, event_date=date(2021, 2, 28))
    copy_identity_zone(warehouse, spark_warehouse)
    on_duckdb = link_persons(warehouse, pseudonym_key=KEY)
    on_spark = link_persons(spark_warehouse, pseudonym_key=KEY)

    assert on_spark.method == "deterministic"
    assert (on_spark.records, on_spark.units, on_spark.links, on_spark.persons, on_spark.events) == (
        on_duckdb.records, on_duckdb.units, on_duckdb.links, on_duckdb.persons, on_duckdb.events)
    assert on_spark.persons == 8
    assert person_of(spark_warehouse, "court_outcomes", "C1") == person_of(
        spark_warehouse, "prison_custody", "P1")
    for sql in (
        "SELECT unit_id, source, source_person_id, person_id FROM linkage.unit_person",
        "SELECT person_id, canonical_unit_id, units FROM linkage.person",
        "SELECT unique_id, forename_std, forename_canonical, surname_std, dob, dob_str, "
        "postcode_district, pnc_id FROM linkage.record",
        "SELECT unit_id_l, unit_id_r, match_probability, rule FROM linkage.pair",
        "SELECT person_id, year_of_birth, sex, ethnicity, borough_code, sources FROM analysis.person",
        "SELECT event_key, person_id, source, event_type, event_date, age_at_event, crime_key, "
        "case_key, requirements, in_area FROM analysis.event",
        "SELECT crime_key, offence_group, committed_date FROM analysis.crime",
    ):
        assert _rows(spark_warehouse, sql) == _rows(warehouse, sql), sql
    ages = spark_warehouse.execute(
        "SELECT age_at_event FROM analysis.event WHERE source = 'electronic_monitoring'").fetchall()
    assert ages == [(29,)]
    types = {row[0]: row[1] for row in spark_warehouse.execute("DESCRIBE analysis.event").fetchall()}
    assert types["requirements"] == "array<string>" and types["age_at_event"] == "int"


def test_on_spark_a_later_delivery_keeps_ids_records_merges_and_a_decision_splits_them(
        warehouse: Warehouse, spark_warehouse: Warehouse) -> None:
    _load(warehouse, DOZEN)
    copy_identity_zone(warehouse, spark_warehouse)
    link_persons(spark_warehouse, pseudonym_key=KEY)
    ivor = person_of(spark_warehouse, "court_outcomes", "C3")
    norbert = person_of(spark_warehouse, "prison_custody", "P4")
    gilda = person_of(spark_warehouse, "court_outcomes", "C2")
    _load(warehouse, [
        ("electronic_monitoring", "E20", Person("Gilda", "Jessop", date(1992, 5, 6))),
        ("electronic_monitoring", "E21",
         Person("Ivor", "Lockhart", date(1975, 8, 9), pnc_id=pnc(2005, 77))),
        ("electronic_monitoring", "E22",
         Person("Norbert", "Redfern", date(1988, 12, 1), pnc_id=pnc(2005, 77))),
    ], batch_id="b2")
    copy_identity_zone(warehouse, spark_warehouse)
    result = link_persons(spark_warehouse, pseudonym_key=KEY,
                          options=LinkageOptions(review_ceiling=1.01))
    assert person_of(spark_warehouse, "electronic_monitoring", "E20") == gilda
    assert (person_of(spark_warehouse, "court_outcomes", "C3")
            == person_of(spark_warehouse, "prison_custody", "P4"))
    assert (result.merges, result.splits) == (1, 0)
    change = spark_warehouse.execute(
        "SELECT previous_person_ids FROM linkage.cluster_change WHERE change = 'merge'").fetchall()
    assert sorted(change[0][0]) == sorted([ivor, norbert])

    record_decision(spark_warehouse, "electronic_monitoring:E21", "electronic_monitoring:E22",
                    same_person=False, reviewer="steward")
    result = link_persons(spark_warehouse, pseudonym_key=KEY)
    assert (result.splits, result.merges) == (1, 0)
    assert (person_of(spark_warehouse, "court_outcomes", "C3")
            != person_of(spark_warehouse, "prison_custody", "P4"))
    assert person_of(spark_warehouse, "court_outcomes", "C2") == gilda
    assert linkage_report(spark_warehouse).changes == {"merges": 0, "splits": 1}


def test_on_spark_the_review_queue_takes_decisions_and_manual_links(
        warehouse: Warehouse, spark_warehouse: Warehouse) -> None:
    _load(warehouse, DOZEN)
    copy_identity_zone(warehouse, spark_warehouse)
    link_persons(spark_warehouse, pseudonym_key=KEY, options=LinkageOptions(review_ceiling=1.01))
    queued = review_queue(spark_warehouse)
    pairs = {(p.unit_id_l, p.unit_id_r) for p in queued}
    assert pairs == {("court_outcomes:C1", "prison_custody:P1"),
                     ("court_outcomes:C2", "probation_supervision:S2")}
    assert all(p.left and p.right for p in queued)
    record_decision(spark_warehouse, "court_outcomes:C1", "prison_custody:P1", same_person=False,
                    reviewer="steward")
    with pytest.raises(PairNotQueued):
        record_decision(spark_warehouse, "court_outcomes:C1", "prison_custody:P1",
                        same_person=True, reviewer="steward")
    assert len(review_queue(spark_warehouse)) == 1
    record_manual_link(spark_warehouse, "court_outcomes:C3", "prison_custody:P4",
                       reason="Confirmed with the prison", linked_by="steward")
    assert [m.reason for m in manual_links(spark_warehouse)] == ["Confirmed with the prison"]
    result = link_persons(spark_warehouse, pseudonym_key=KEY)
    assert result.decisions_applied == 2
    assert (person_of(spark_warehouse, "court_outcomes", "C1")
            != person_of(spark_warehouse, "prison_custody", "P1"))
    assert (person_of(spark_warehouse, "court_outcomes", "C3")
            == person_of(spark_warehouse, "prison_custody", "P4"))


def _truth_file(path: Path, by_source: dict[str, list[tuple[str, Person]]]) -> Path:
    lines = ["source,source_person_id,true_person_id"]
    for source, entries in by_source.items():
        lines += [f"{source},{spid},T{spid.split('-')[1]}" for spid, _ in entries]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_delivery_links_probabilistically_on_spark_within_the_tolerances_of_duckdb(
        warehouse: Warehouse, spark_warehouse: Warehouse, tmp_path: Path) -> None:
    people = population(seed=7, people=700)
    load_population(warehouse, people)
    truth = _truth_file(tmp_path / "person_map.csv", people)
    copy_identity_zone(warehouse, spark_warehouse)
    on_duckdb = link_persons(warehouse, pseudonym_key=KEY, truth_path=truth)
    on_spark = link_persons(spark_warehouse, pseudonym_key=KEY, truth_path=truth)

    assert on_spark.method == "probabilistic" and on_spark.comparisons > 0
    assert on_spark.quality["pairwise_f1"] >= 0.97
    assert abs(on_spark.quality["pairwise_f1"] - on_duckdb.quality["pairwise_f1"]) <= 0.005
    assert abs(on_spark.persons - on_duckdb.persons) <= 0.005 * on_duckdb.persons
    report = linkage_report(spark_warehouse)
    assert report.quality["pairwise_f1"] == pytest.approx(on_spark.quality["pairwise_f1"])
    assert sum(s["units"] for s in report.source_shares) == on_spark.units
    assert {b["rule"] for b in report.blocking_counts} >= {"pnc_id", "surname+date of birth"}
    assert report.run["method"] == "probabilistic"
    assert spark_warehouse.execute("SELECT count(*) FROM analysis.event").scalar() == on_spark.events


def test_on_spark_an_incremental_run_finds_the_persons_and_zone_of_a_full_one(
        warehouse: Warehouse, spark_warehouse: Warehouse, tmp_path: Path) -> None:
    """Incremental linkage on Spark (its tables cannot delete rows: rewritten instead) gives
    what a full relink with the same model gives there."""
    load_population(warehouse, population(seed=7, people=700))
    model = tmp_path / "model.json"
    link_persons(warehouse, pseudonym_key=KEY, save_model_to=model)
    copy_identity_zone(warehouse, spark_warehouse)
    first = link_persons(spark_warehouse, pseudonym_key=KEY, model_path=model)
    assert not first.incremental
    before = dict(_rows(spark_warehouse, "SELECT unit_id, person_id FROM linkage.unit_person"))
    newcomers = population(seed=11, people=40, start_serial=5000)
    for source, entries in newcomers.items():
        insert_records(warehouse, source, entries, batch_id="b2")
    copy_identity_zone(warehouse, spark_warehouse)
    result = link_persons(spark_warehouse, pseudonym_key=KEY)
    assert result.incremental and 0 < result.records_scored < result.records / 4
    after = dict(_rows(spark_warehouse, "SELECT unit_id, person_id FROM linkage.unit_person"))
    assert all(after[u] == p for u, p in before.items()) or result.merges + result.splits > 0
    zone = [_rows(spark_warehouse, f"SELECT * FROM analysis.{t}")
            for t in ("person", "event", "crime")]
    full = link_persons(spark_warehouse, pseudonym_key=KEY, model_path=model, full=True)
    assert not full.incremental and full.merges == 0 and full.splits == 0
    assert dict(_rows(spark_warehouse,
                      "SELECT unit_id, person_id FROM linkage.unit_person")) == after
    assert [_rows(spark_warehouse, f"SELECT * FROM analysis.{t}")
            for t in ("person", "event", "crime")] == zone
