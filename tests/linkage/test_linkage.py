"""Linkage behaviour on small made-up identity zones."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from conftest import (
    KEY,
    Person,
    insert_records,
    load_population,
    person_of,
    pnc,
    population,
)
from localjustice.errors import LocalJusticeError
from localjustice.linkage import (
    LinkageOptions,
    cluster_metrics,
    install_pseudonym,
    link_persons,
    linkage_report,
    load_pseudonym_key,
    record_decision,
    record_manual_link,
    review_queue,
)
from localjustice.linkage.pseudonym import PSEUDONYM_HEX_CHARS
from localjustice.settings import Settings
from localjustice.warehouse import Warehouse

WILLIAM = Person("William", "Harcourt-Vane", date(1990, 3, 4), postcode="SE15 4QL",
                 pnc_id=None)


def _with_background(warehouse: Warehouse) -> None:
    """Enough made-up people for the model to train on."""
    load_population(warehouse, population(seed=7, people=700))


def test_nickname_swapped_names_and_transposed_dob_are_linked(warehouse: Warehouse) -> None:
    _with_background(warehouse)
    insert_records(warehouse, "court_outcomes", [("CO-W", WILLIAM)], batch_id="b2")
    insert_records(warehouse, "prison_custody", [
        ("PC-W", Person("Bill", "Harcourt-Vane", date(1990, 3, 4), postcode="SE15 4QL")),
    ], batch_id="b2")
    insert_records(warehouse, "probation_supervision", [
        ("PS-W", Person("Harcourt-Vane", "William", date(1990, 3, 4), postcode="SE15 4QL")),
    ], batch_id="b2")
    insert_records(warehouse, "police_disposals", [
        ("PD-W", Person("William", "Harcourt-Vane", date(1990, 4, 3), postcode="SE15 4QL")),
    ], batch_id="b2")
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert result.method == "probabilistic"
    ids = {person_of(warehouse, s, i) for s, i in (
        ("court_outcomes", "CO-W"), ("prison_custody", "PC-W"),
        ("probation_supervision", "PS-W"), ("police_disposals", "PD-W"))}
    assert len(ids) == 1


def test_different_people_with_the_same_name_are_kept_apart(warehouse: Warehouse) -> None:
    _with_background(warehouse)
    insert_records(warehouse, "court_outcomes", [("CO-A", WILLIAM)], batch_id="b2")
    insert_records(warehouse, "prison_custody", [
        ("PC-B", Person("William", "Harcourt-Vane", date(1971, 11, 23), postcode="HA0 4EH")),
    ], batch_id="b2")
    link_persons(warehouse, pseudonym_key=KEY)
    assert (person_of(warehouse, "court_outcomes", "CO-A")
            != person_of(warehouse, "prison_custody", "PC-B"))


def test_model_quality_on_made_up_population_is_high(warehouse: Warehouse) -> None:
    _with_background(warehouse)
    result = link_persons(warehouse, pseudonym_key=KEY)
    warehouse.create_table("t", """SELECT unit_id, split_part(unit_id, '-', 2) AS true_id
                                   FROM linkage.unit_person""", temporary=True)
    warehouse.create_table("p", "SELECT unit_id, person_id AS cluster_id FROM linkage.unit_person",
                           temporary=True)
    metrics = cluster_metrics(warehouse, "p", "t")
    assert metrics["pairwise_f1"] >= 0.97
    assert result.comparisons > 0 and result.blocking_counts


DOZEN = [
    ("court_outcomes", "C1", Person("Aldous", "Ashdown", date(1980, 1, 2), pnc_id=pnc(2001, 11))),
    ("prison_custody", "P1", Person("Aldo", "Ashdwn", date(1980, 2, 1), pnc_id=pnc(2001, 11))),
    ("court_outcomes", "C2", Person("Gilda", "Jessop", date(1992, 5, 6))),
    ("probation_supervision", "S2", Person("GILDA", "Jessop", date(1992, 5, 6))),
    ("court_outcomes", "C3", Person("Ivor", "Lockhart", date(1975, 8, 9))),
    ("prison_custody", "P4", Person("Norbert", "Redfern", date(1988, 12, 1))),
    ("probation_supervision", "S5", Person("Ottilie", "Vickery", date(1999, 3, 3))),
    ("police_disposals", "D6", Person("Xanthe", "Zouch", date(2001, 7, 7))),
    ("police_disposals", "D7", Person("Yorick", "Thackeray", date(1969, 4, 4))),
    ("electronic_monitoring", "E8", Person("Zinnia", "Yardley", date(1995, 1, 9))),
    ("victim_referrals", "R9", Person("Barnaby", "Earnshaw", date(1985, 6, 30))),
    ("police_victims", "V10", Person("Clemency", "Drinkwater", date(1979, 9, 19))),
]


def _load_dozen(warehouse: Warehouse, rows: list[tuple[str, str, Person]] = DOZEN) -> None:
    by_source: dict[str, list[tuple[str, Person]]] = {}
    for source, spid, person in rows:
        by_source.setdefault(source, []).append((spid, person))
    for source, entries in by_source.items():
        insert_records(warehouse, source, entries)


def test_a_dozen_people_link_deterministically_and_say_so(warehouse: Warehouse) -> None:
    _load_dozen(warehouse)
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert result.method == "deterministic"
    assert "too few to train" in result.method_note
    assert person_of(warehouse, "court_outcomes", "C1") == person_of(
        warehouse, "prison_custody", "P1")  # valid PNC id
    assert person_of(warehouse, "court_outcomes", "C2") == person_of(
        warehouse, "probation_supervision", "S2")  # exact name and date of birth
    assert result.persons == 10


def test_rerun_on_the_same_data_gives_identical_ids(warehouse: Warehouse) -> None:
    _with_background(warehouse)
    link_persons(warehouse, pseudonym_key=KEY)
    first = warehouse.connection.execute(
        "SELECT unit_id, person_id FROM linkage.unit_person ORDER BY unit_id").fetchall()
    link_persons(warehouse, pseudonym_key=KEY)
    second = warehouse.connection.execute(
        "SELECT unit_id, person_id FROM linkage.unit_person ORDER BY unit_id").fetchall()
    assert first == second
    fresh = _fresh_copy(warehouse)
    link_persons(fresh, pseudonym_key=KEY)
    from_scratch = fresh.connection.execute(
        "SELECT unit_id, person_id FROM linkage.unit_person ORDER BY unit_id").fetchall()
    assert from_scratch == first


def _fresh_copy(warehouse: Warehouse) -> Warehouse:
    """A new warehouse holding the same identity zone and nothing else."""
    from localjustice.warehouse import open_warehouse

    fresh = open_warehouse(None)
    for (table,) in warehouse.connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'identity'").fetchall():
        frame = warehouse.connection.execute(f"SELECT * FROM identity.{table}").df()
        fresh.connection.register("copy_rows", frame)
        fresh.connection.execute(f"INSERT INTO identity.{table} SELECT * FROM copy_rows")
        fresh.connection.unregister("copy_rows")
    return fresh


def test_a_later_delivery_keeps_ids_and_reports_merges_and_splits(warehouse: Warehouse) -> None:
    _load_dozen(warehouse)
    link_persons(warehouse, pseudonym_key=KEY)
    ivor = person_of(warehouse, "court_outcomes", "C3")
    norbert = person_of(warehouse, "prison_custody", "P4")
    gilda = person_of(warehouse, "court_outcomes", "C2")
    # A new delivery: Gilda gains a record; a record ties Ivor to Norbert (shared valid PNC).
    insert_records(warehouse, "electronic_monitoring", [
        ("E20", Person("Gilda", "Jessop", date(1992, 5, 6))),
        ("E21", Person("Ivor", "Lockhart", date(1975, 8, 9), pnc_id=pnc(2005, 77))),
        ("E22", Person("Norbert", "Redfern", date(1988, 12, 1), pnc_id=pnc(2005, 77))),
    ], batch_id="b2")
    # a review band up to certainty, so the confident bridge is queued for the steward
    result = link_persons(warehouse, pseudonym_key=KEY, options=LinkageOptions(review_ceiling=1.01))
    assert person_of(warehouse, "electronic_monitoring", "E20") == gilda  # kept, grown
    merged = person_of(warehouse, "court_outcomes", "C3")
    assert merged == person_of(warehouse, "prison_custody", "P4")
    assert result.merges == 1 and result.splits == 0
    change = warehouse.connection.execute(
        "SELECT previous_person_ids FROM linkage.cluster_change WHERE change = 'merge'"
    ).fetchall()
    assert sorted(change[0][0]) == sorted([ivor, norbert])
    # A steward says the bridge was wrong: the person splits on the next run.
    record_decision(warehouse, "electronic_monitoring:E21", "electronic_monitoring:E22",
                    same_person=False, reviewer="steward")
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert result.splits == 1 and result.merges == 0
    assert (person_of(warehouse, "court_outcomes", "C3")
            != person_of(warehouse, "prison_custody", "P4"))
    assert person_of(warehouse, "court_outcomes", "C2") == gilda


def test_review_decision_overrides_the_model_on_every_later_run(warehouse: Warehouse) -> None:
    _with_background(warehouse)
    insert_records(warehouse, "court_outcomes", [("CO-A", WILLIAM)], batch_id="b2")
    insert_records(warehouse, "prison_custody", [
        ("PC-B", Person("Will", "Vane", date(1991, 3, 4), postcode="SE15 4QL")),
    ], batch_id="b2")
    insert_records(warehouse, "police_disposals", [
        ("PD-C", WILLIAM),
    ], batch_id="b2")
    # a review band up to certainty, so the confident CO-A / PD-C pair is queued
    link_persons(warehouse, pseudonym_key=KEY, options=LinkageOptions(review_ceiling=1.01))
    assert (person_of(warehouse, "court_outcomes", "CO-A")
            != person_of(warehouse, "prison_custody", "PC-B"))
    assert (person_of(warehouse, "court_outcomes", "CO-A")
            == person_of(warehouse, "police_disposals", "PD-C"))
    # PC-B / CO-A was never scored, so never queued: a manual link, with its reason
    record_manual_link(warehouse, "prison_custody:PC-B", "court_outcomes:CO-A",
                       reason="confirmed with the prison", linked_by="steward",
                       linked_at=datetime(2024, 1, 1))
    record_decision(warehouse, "court_outcomes:CO-A", "police_disposals:PD-C",
                    same_person=False, reviewer="steward", decided_at=datetime(2024, 1, 1))
    for _ in range(2):
        result = link_persons(warehouse, pseudonym_key=KEY)
        assert result.decisions_applied == 2
        assert (person_of(warehouse, "court_outcomes", "CO-A")
                == person_of(warehouse, "prison_custody", "PC-B"))
        assert (person_of(warehouse, "court_outcomes", "CO-A")
                != person_of(warehouse, "police_disposals", "PD-C"))
    stored = warehouse.connection.execute(
        "SELECT reviewer, decided_at FROM linkage.review_decision").fetchall()
    assert stored == [("steward", datetime(2024, 1, 1))]
    linked = warehouse.connection.execute(
        "SELECT linked_by, linked_at, reason FROM linkage.manual_link").fetchall()
    assert linked == [("steward", datetime(2024, 1, 1), "confirmed with the prison")]


def test_review_queue_holds_uncertain_pairs_with_both_sides(warehouse: Warehouse) -> None:
    _with_background(warehouse)
    link_persons(warehouse, pseudonym_key=KEY,
                 options=LinkageOptions(review_floor=0.01, review_ceiling=0.999))
    pairs = review_queue(warehouse, limit=5)
    assert pairs, "expected some uncertain pairs"
    for pair in pairs:
        assert 0.01 <= pair.match_probability < 0.999
        assert pair.left and pair.right and pair.unit_id_l < pair.unit_id_r


def test_decision_needs_a_reviewer(warehouse: Warehouse) -> None:
    _load_dozen(warehouse)
    link_persons(warehouse, pseudonym_key=KEY)
    with pytest.raises(LocalJusticeError):
        record_decision(warehouse, "court_outcomes:C3", "prison_custody:P4",
                        same_person=True, reviewer=" ")


def _identity_values(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every name, postcode, PNC id and source id held in the identity zone, as text."""
    values: set[str] = set()
    id_columns = {"source_person_id", "pnc_id", "forename", "middle_names", "surname",
                  "postcode", "crime_id", "disposal_id", "outcome_id", "case_id", "custody_id",
                  "prison_number", "supervision_id", "crn", "order_id", "referral_id"}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE schema_name = 'identity'").fetchall():
        if column in id_columns:
            rows = con.execute(f"SELECT DISTINCT CAST({column} AS VARCHAR) "
                               f"FROM identity.{table} WHERE {column} IS NOT NULL").fetchall()
            values |= {r[0] for r in rows}
    return values


def test_analysis_zone_holds_no_names_dobs_postcodes_or_source_ids(warehouse: Warehouse) -> None:
    _with_background(warehouse)
    _load_dozen(warehouse)
    link_persons(warehouse, pseudonym_key=KEY)
    con = warehouse.connection
    forbidden = _identity_values(con)
    forbidden_lower = {v.lower() for v in forbidden}
    columns = con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() "
                          "WHERE schema_name = 'analysis'").fetchall()
    assert {t for t, _, _ in columns} >= {"person", "event", "crime"}
    scanned = 0
    for table, column, data_type in columns:
        if data_type == "DATE":
            # No date in a person's row or events may be that person's date of birth.
            person_column = "person_id" if table in {"person", "event"} else None
            if person_column is None:
                continue
            clash = con.execute(f"""
                SELECT count(*) FROM analysis.{table} AS a
                JOIN linkage.unit_person AS up USING (person_id)
                JOIN linkage.record AS r USING (unit_id)
                WHERE a.{column} = r.dob""").fetchall()[0][0]
            assert clash == 0, f"analysis.{table}.{column} holds a date of birth"
            continue
        rows = con.execute(
            f"SELECT DISTINCT CAST(unnest({column}) AS VARCHAR) FROM analysis.{table}"
            if data_type.endswith("[]") else
            f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM analysis.{table}").fetchall()
        for (value,) in rows:
            if value is None:
                continue
            scanned += 1
            assert value not in forbidden and value.lower() not in forbidden_lower, (
                f"analysis.{table}.{column} holds an identity-zone value")
            assert not any(value.startswith(s + ":") for s in ("court_outcomes", "prison_custody"))
    assert scanned > 1000
    names = {c for _, c, _ in columns}
    assert not names & {"forename", "surname", "date_of_birth", "postcode", "pnc_id",
                        "source_person_id", "crime_id", "case_id"}


def test_linkage_tables_are_outside_the_analysis_zone(warehouse: Warehouse) -> None:
    _load_dozen(warehouse)
    link_persons(warehouse, pseudonym_key=KEY)
    schemas = {s for (s,) in warehouse.connection.execute(
        "SELECT DISTINCT schema_name FROM duckdb_tables() WHERE table_name IN "
        "('record', 'review_queue', 'review_decision', 'unit_person')").fetchall()}
    assert schemas == {"linkage"}


def test_quality_measures_match_a_hand_count(any_warehouse: Warehouse) -> None:
    # predicted {a, b, c} {d}; truth {a, b} {c, d}
    any_warehouse.create_table("p", "SELECT * FROM (VALUES ('a', '1'), ('b', '1'), ('c', '1'), "
                               "('d', '2')) AS v(unit_id, cluster_id)", temporary=True)
    any_warehouse.create_table("t", "SELECT * FROM (VALUES ('a', 'x'), ('b', 'x'), ('c', 'y'), "
                               "('d', 'y'), ('e', 'z')) AS v(unit_id, true_id)", temporary=True)
    m = cluster_metrics(any_warehouse, "p", "t")
    assert m["predicted_pairs"] == 3 and m["true_pairs"] == 2 and m["true_positive_pairs"] == 1
    assert m["pairwise_precision"] == pytest.approx(1 / 3)
    assert m["pairwise_recall"] == pytest.approx(1 / 2)
    assert m["pairwise_f1"] == pytest.approx(0.4)
    assert m["bcubed_precision"] == pytest.approx(2 / 3)
    assert m["bcubed_recall"] == pytest.approx(3 / 4)
    assert m["exact_person_share"] == 0.0


def test_report_measures_against_a_truth_file(warehouse: Warehouse, tmp_path: Path) -> None:
    _load_dozen(warehouse)
    truth = tmp_path / "person_map.csv"
    truth.write_text(
        "source,source_person_id,true_person_id\n"
        "court_outcomes,C1,t1\nprison_custody,P1,t1\ncourt_outcomes,C2,t2\n"
        "probation_supervision,S2,t2\ncourt_outcomes,C3,t3\nprison_custody,P4,t3\n",
        encoding="utf-8")
    result = link_persons(warehouse, pseudonym_key=KEY, truth_path=truth)
    assert result.quality["pairwise_precision"] == 1.0
    assert result.quality["pairwise_recall"] == pytest.approx(2 / 3)
    report = linkage_report(warehouse)
    assert report.quality["pairwise_recall"] == pytest.approx(2 / 3)
    assert {s["source"] for s in report.source_shares} >= {"court_outcomes", "prison_custody"}
    assert "model_match_weights" in report.charts
    json.dumps(report.as_dict(), default=str)


def test_saved_model_is_reused(warehouse: Warehouse, tmp_path: Path) -> None:
    _with_background(warehouse)
    model = tmp_path / "model.json"
    first = link_persons(warehouse, pseudonym_key=KEY, save_model_to=model)
    assert model.is_file()
    # a full relink with the saved model (a plain second run would be incremental)
    second = link_persons(warehouse, pseudonym_key=KEY, model_path=model, full=True)
    assert "saved model" in second.method_note and not second.incremental
    assert second.persons == first.persons
    report = linkage_report(warehouse)
    assert any(w["comparison"] == "name" for w in report.model_weights)
    assert {b["rule"] for b in report.blocking_counts} >= {"pnc_id", "surname+date of birth"}


def test_a_saved_model_links_even_a_tiny_delivery(warehouse: Warehouse, tmp_path: Path) -> None:
    _with_background(warehouse)
    model = tmp_path / "model.json"
    link_persons(warehouse, pseudonym_key=KEY, save_model_to=model)
    from localjustice.warehouse import open_warehouse

    small = open_warehouse(None)
    _load_dozen(small)
    result = link_persons(small, pseudonym_key=KEY, model_path=model)
    assert result.method == "probabilistic"


def test_pseudonym_is_hmac_sha256_of_the_canonical_unit(any_warehouse: Warehouse) -> None:
    """The same keyed HMAC on every engine, so a person's id does not depend on the engine: a key
    shorter than SHA-256's block, one longer (hashed first, RFC 2104), and text beyond ASCII."""
    messages = ["court_outcomes:C1", "x", "prison_custody:Zoë-Ó'Brien"]
    for key in (KEY, b"k" * 100):
        install_pseudonym(any_warehouse, key)
        select = ", ".join(f"lj_pseudonym('P', ?) AS p{i}" for i in range(len(messages)))
        got = list(any_warehouse.execute(f"SELECT {select}", messages).fetchone() or ())
        assert got == ["P" + hmac.new(key, m.encode(), hashlib.sha256).hexdigest()[
            :PSEUDONYM_HEX_CHARS] for m in messages]


def test_an_empty_key_is_refused_without_defining_anything(any_warehouse: Warehouse) -> None:
    with pytest.raises(LocalJusticeError, match="empty"):
        install_pseudonym(any_warehouse, b"")


def test_a_different_key_gives_different_ids(warehouse: Warehouse) -> None:
    _load_dozen(warehouse)
    link_persons(warehouse, pseudonym_key=KEY)
    first = person_of(warehouse, "court_outcomes", "C3")
    fresh = _fresh_copy(warehouse)
    link_persons(fresh, pseudonym_key=b"another-key")
    assert person_of(fresh, "court_outcomes", "C3") != first


def test_key_comes_from_environment_or_a_stored_demo_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOCALJUSTICE_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("LOCALJUSTICE_ENV", raising=False)
    with pytest.raises(LocalJusticeError):
        load_pseudonym_key(Settings.from_env(tmp_path))
    generated = load_pseudonym_key(Settings.from_env(tmp_path), generate_demo_key=True)
    assert load_pseudonym_key(Settings.from_env(tmp_path)) == generated
    monkeypatch.setenv("LOCALJUSTICE_PSEUDONYM_KEY", "from-env")
    assert load_pseudonym_key(Settings.from_env(tmp_path)) == b"from-env"


def test_empty_identity_zone_is_an_actionable_error(warehouse: Warehouse) -> None:
    with pytest.raises(LocalJusticeError, match="ingest"):
        link_persons(warehouse, pseudonym_key=KEY)
