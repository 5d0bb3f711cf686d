"""Incremental linkage: after a first run, only new and changed records are linked, with the
last run's model, against the known persons; ids are kept, merges and splits reported, records
gone from the current data leave their persons, and the analysis zone matches a full rebuild."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from conftest import KEY, Person, insert_records, load_population, person_of, pnc, population
from localjustice.linkage import link_persons
from localjustice.linkage.store import person_changes
from localjustice.warehouse import Warehouse, open_warehouse


def _partition(warehouse: Warehouse) -> set[frozenset[str]]:
    """Persons as sets of source persons (ids left out, so runs can be compared)."""
    rows = warehouse.execute(
        "SELECT list(unit_id ORDER BY unit_id) FROM linkage.unit_person GROUP BY person_id"
    ).fetchall()
    return {frozenset(units) for (units,) in rows}


def _ids(warehouse: Warehouse) -> dict[str, str]:
    return dict(warehouse.execute(
        "SELECT unit_id, person_id FROM linkage.unit_person").fetchall())


def _zone(warehouse: Warehouse) -> tuple[list[tuple[object, ...]], ...]:
    return tuple(
        warehouse.execute(f"SELECT * FROM analysis.{table} ORDER BY ALL").fetchall()
        for table in ("person", "event", "crime"))


def _assert_shares_recounted(warehouse: Warehouse, run_id: str) -> None:
    """The run's source shares (carried from the last run's by an incremental run) are those
    counted afresh from every source person's person, here in Python."""
    from collections import Counter
    rows = warehouse.execute("SELECT person_id, source FROM linkage.unit_person").fetchall()
    per_person = Counter(rows)
    sources_of = Counter(person for person, _ in per_person)
    expected: dict[str, list[int]] = {}
    for (person, source), n in per_person.items():
        figures = expected.setdefault(source, [0, 0, 0])
        figures[0] += n
        figures[1] += n if n > 1 else 0
        figures[2] += n if sources_of[person] > 1 else 0
    stored = {source: [units, within, across] for source, units, within, across in
              warehouse.execute("SELECT source, units, linked_within, linked_across "
                                "FROM linkage.source_share WHERE run_id = ?", [run_id]).fetchall()}
    assert stored == expected


def _copy(warehouse: Warehouse) -> Warehouse:
    """A new warehouse with the same identity zone and version ends, and nothing else."""
    fresh = open_warehouse(None)
    tables = warehouse.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name = 'identity' OR (schema_name = 'ingest' AND table_name = 'version_end')"
    ).fetchall()
    for (table,) in tables:
        fresh.register_arrow("copy_rows", warehouse.execute(f"SELECT * FROM {table}").arrow())
        fresh.execute(f"INSERT INTO {table} SELECT * FROM copy_rows")
        fresh.unregister("copy_rows")
    return fresh


def _end(warehouse: Warehouse, source: str, spid: str, ended_by: str, reason: str) -> None:
    """End the current version of ``spid``'s row in ``source`` (as ingest does)."""
    warehouse.execute(f"""
        INSERT INTO ingest.version_end
        SELECT '{source}', t.batch_id, t.source_row, ?, ?
        FROM identity.current_{source} AS t WHERE t.source_person_id = ?""",
                      [ended_by, reason, spid])


@pytest.fixture
def first_run(warehouse: Warehouse, tmp_path: Path) -> Path:
    """A warehouse of 700 made-up people, linked once in full; returns the saved model."""
    load_population(warehouse, population(seed=7, people=700))
    model = tmp_path / "model.json"
    result = link_persons(warehouse, pseudonym_key=KEY, save_model_to=model)
    assert result.method == "probabilistic" and not result.incremental
    return model


def _new_delivery(warehouse: Warehouse) -> None:
    """New people, and new records of people already known (another agency meets them)."""
    newcomers = population(seed=11, people=60, start_serial=5000)
    for source, entries in newcomers.items():
        insert_records(warehouse, source, entries, batch_id="b2")
    known = warehouse.execute("""
        SELECT source_person_id, forename, surname, date_of_birth, sex, postcode
        FROM identity.court_outcomes ORDER BY source_person_id LIMIT 25""").fetchall()
    insert_records(warehouse, "electronic_monitoring", [
        (f"EM-{spid}", Person(forename, surname, dob, sex=sex, postcode=postcode))
        for spid, forename, surname, dob, sex, postcode in known], batch_id="b2")


def test_incremental_gives_the_persons_and_zone_of_a_full_run(
        warehouse: Warehouse, first_run: Path) -> None:
    before = _ids(warehouse)
    _new_delivery(warehouse)
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert result.incremental and "incremental" in result.method_note
    _assert_shares_recounted(warehouse, result.run_id)
    # the 85 new source persons and the records sharing a blocking key with them, not all
    assert 0 < result.records_scored < result.records / 4
    incremental = _partition(warehouse)
    after = _ids(warehouse)
    changed = {unit for unit, pid in before.items() if after.get(unit) != pid}
    recorded = {pid for (ids,) in warehouse.execute(
        "SELECT previous_person_ids FROM linkage.cluster_change WHERE run_id = ?",
        [result.run_id]).fetchall() for pid in ids}
    # ids are kept except for persons genuinely merged or split, and those are recorded
    assert {before[unit] for unit in changed} <= recorded
    assert len(changed) <= 10
    # every new record of a known person joined that person
    for (spid,) in warehouse.execute(
            "SELECT source_person_id FROM identity.court_outcomes "
            "ORDER BY source_person_id LIMIT 25").fetchall():
        assert person_of(warehouse, "court_outcomes", spid) == person_of(
            warehouse, "electronic_monitoring", f"EM-{spid}")
    zone = _zone(warehouse)

    # a full relink of the same data with the same model finds the same persons, from scratch
    fresh = _copy(warehouse)
    full = link_persons(fresh, pseudonym_key=KEY, model_path=first_run, full=True)
    assert not full.incremental
    assert _partition(fresh) == incremental
    assert full.persons == result.persons and full.links == result.links
    fresh.close()
    # and in place: the same ids (nothing merged or split), the same analysis zone, rebuilt whole
    again = link_persons(warehouse, pseudonym_key=KEY, model_path=first_run, full=True)
    assert again.merges == 0 and again.splits == 0
    assert _ids(warehouse) == after
    assert _zone(warehouse) == zone


def test_ids_are_stable_across_incremental_runs(warehouse: Warehouse, first_run: Path) -> None:
    before = _ids(warehouse)
    nothing = link_persons(warehouse, pseudonym_key=KEY)
    assert nothing.incremental and nothing.records_scored == 0 and nothing.comparisons == 0
    assert _ids(warehouse) == before
    insert_records(warehouse, "police_disposals", [
        ("PD-NEW", Person("Quilla", "Zouch", date(1977, 2, 3), postcode="N7 8XH"))],
        batch_id="b2")
    grown = link_persons(warehouse, pseudonym_key=KEY)
    assert grown.incremental and grown.merges == 0 and grown.splits == 0
    after = _ids(warehouse)
    assert {u: after[u] for u in before} == before
    assert after["police_disposals:PD-NEW"] not in set(before.values())


def test_a_bridging_record_is_a_merge_and_a_corrected_one_a_split(
        warehouse: Warehouse, first_run: Path) -> None:
    # Two people the model keeps apart: surnames a letter apart, births ten years apart.
    insert_records(warehouse, "court_outcomes", [
        ("CO-A", Person("Hesper", "Quarrington", date(1981, 4, 12), postcode="E17 9PJ",
                        pnc_id=pnc(2003, 4242)))], batch_id="b2")
    insert_records(warehouse, "prison_custody", [
        ("PC-B", Person("Hesper", "Quarington", date(1991, 4, 12), postcode="UB3 1HR"))],
        batch_id="b2")
    # and one person in two sources
    insert_records(warehouse, "probation_supervision", [
        ("PS-C", Person("Lorcan", "Illingworth", date(1969, 1, 23), postcode="SE1 7PB"))],
        batch_id="b2")
    insert_records(warehouse, "police_disposals", [
        ("PD-C", Person("Lorcan", "Illingworth", date(1969, 1, 23), postcode="SE1 7PB"))],
        batch_id="b2")
    link_persons(warehouse, pseudonym_key=KEY)
    a = person_of(warehouse, "court_outcomes", "CO-A")
    b = person_of(warehouse, "prison_custody", "PC-B")
    c = person_of(warehouse, "probation_supervision", "PS-C")
    assert a != b and c == person_of(warehouse, "police_disposals", "PD-C")

    # A new record with B's date of birth and A's name, postcode and PNC id bridges them.
    insert_records(warehouse, "electronic_monitoring", [
        ("EM-AB", Person("Hesper", "Quarrington", date(1991, 4, 12), postcode="E17 9PJ",
                         pnc_id=pnc(2003, 4242)))], batch_id="b3")
    # PD-C's record is corrected: it was someone else entirely.
    _end(warehouse, "police_disposals", "PD-C", "b3", "superseded")
    insert_records(warehouse, "police_disposals", [
        ("PD-C", Person("Marisol", "Netherby", date(2001, 6, 5), sex="F", postcode="BR1 3LT"))],
        batch_id="b3")
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert result.incremental
    merged = person_of(warehouse, "court_outcomes", "CO-A")
    assert merged == person_of(warehouse, "prison_custody", "PC-B")
    assert person_of(warehouse, "probation_supervision", "PS-C") != person_of(
        warehouse, "police_disposals", "PD-C")
    assert result.merges == 1 and result.splits == 1
    _assert_shares_recounted(warehouse, result.run_id)
    changes = {change: (sorted(prev), sorted(cur)) for change, prev, cur in warehouse.execute(
        "SELECT change, previous_person_ids, current_person_ids FROM linkage.cluster_change "
        "WHERE run_id = ?", [result.run_id]).fetchall()}
    assert changes["merge"] == (sorted([a, b]), [merged])
    assert changes["split"][0] == [c] and len(changes["split"][1]) == 2
    # what `localjustice link` prints under its table: the ids, not only the counts
    listed = person_changes(warehouse, result.run_id)
    assert [(change, person) for change, person, _, _ in listed] == [("merge", merged), ("split", c)]
    assert sorted(listed[0][2]) == sorted([a, b]) and sorted(listed[1][3]) == sorted(
        changes["split"][1])
    # the zone follows: one person where A and B were, two where C was
    persons = {pid for (pid,) in warehouse.execute(
        "SELECT person_id FROM analysis.person").fetchall()}
    # (a merged or split person takes the pseudonym of its smallest source person: here A's)
    assert merged == a and b not in persons
    assert set(changes["split"][1]) <= persons


def test_a_removed_record_leaves_its_person(warehouse: Warehouse, first_run: Path) -> None:
    # The canonical (smallest) unit of the person is the one withdrawn.
    insert_records(warehouse, "court_outcomes", [
        ("CO-W", Person("Wystan", "Fotheringham", date(1972, 3, 8), postcode="IG1 2QQ"))],
        batch_id="b2")
    insert_records(warehouse, "prison_custody", [
        ("PC-W", Person("Wystan", "Fotheringham", date(1972, 3, 8), postcode="IG1 2QQ"))],
        batch_id="b2")
    link_persons(warehouse, pseudonym_key=KEY)
    person = person_of(warehouse, "court_outcomes", "CO-W")
    assert person == person_of(warehouse, "prison_custody", "PC-W")
    events = warehouse.execute(
        "SELECT count(*) FROM analysis.event WHERE person_id = ?", [person]).fetchall()[0][0]
    assert events == 2

    _end(warehouse, "court_outcomes", "CO-W", "b3", "withdrawn")
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert result.incremental and result.merges == 0 and result.splits == 0
    _assert_shares_recounted(warehouse, result.run_id)
    assert person_of(warehouse, "prison_custody", "PC-W") == person
    assert not warehouse.execute("SELECT 1 FROM linkage.unit_person WHERE unit_id = "
                                 "'court_outcomes:CO-W'").fetchall()
    assert not warehouse.execute("SELECT 1 FROM linkage.record WHERE unit_id = "
                                 "'court_outcomes:CO-W'").fetchall()
    assert warehouse.execute("SELECT count(*), min(source) FROM analysis.event "
                             "WHERE person_id = ?", [person]).fetchall()[0] == (1, "prison_custody")
    assert warehouse.execute("SELECT sources FROM analysis.person WHERE person_id = ?",
                             [person]).fetchall()[0][0] == ["prison_custody"]

    # The record comes back (a later delivery): it rejoins, and its old id is not reissued.
    insert_records(warehouse, "court_outcomes", [
        ("CO-W", Person("Wystan", "Fotheringham", date(1972, 3, 8), postcode="IG1 2QQ"))],
        batch_id="b4")
    link_persons(warehouse, pseudonym_key=KEY)
    assert person_of(warehouse, "court_outcomes", "CO-W") == person


def test_a_different_model_forces_a_full_run(warehouse: Warehouse, first_run: Path,
                                              tmp_path: Path) -> None:
    model = json.loads(first_run.read_text(encoding="utf-8"))
    model["probability_two_random_records_match"] *= 2
    other = tmp_path / "other.json"
    other.write_text(json.dumps(model), encoding="utf-8")
    result = link_persons(warehouse, pseudonym_key=KEY, model_path=other)
    assert not result.incremental
    assert "differs from the last run's" in result.method_note
    # the same model as the last run's carries on incrementally
    same = link_persons(warehouse, pseudonym_key=KEY, model_path=other)
    assert same.incremental
    forced = link_persons(warehouse, pseudonym_key=KEY, full=True)
    assert not forced.incremental and "--full" in forced.method_note


def test_a_zone_built_from_a_person_map_is_rebuilt_whole_by_the_next_run(
        warehouse: Warehouse, first_run: Path, tmp_path: Path) -> None:
    from localjustice.linkage import build_analysis_zone_from_person_map, install_pseudonym

    zone = _zone(warehouse)
    install_pseudonym(warehouse, KEY)
    person_map = tmp_path / "person_map.csv"
    person_map.write_text("source,source_person_id,true_person_id\n"
                          "court_outcomes,cou-1,T1\nprison_custody,pri-2,T1\n", encoding="utf-8")
    build_analysis_zone_from_person_map(warehouse, person_map)
    assert _zone(warehouse) != zone
    result = link_persons(warehouse, pseudonym_key=KEY)
    # incremental linkage (nothing changed), but the zone follows linkage again, whole
    assert result.incremental and "analysis zone updated" not in result.method_note
    assert _zone(warehouse) == zone


def _new_version(warehouse: Warehouse, table: str, where: str, change: str, batch: str) -> None:
    """A later delivery's version of a current row of ``table`` (``change`` is a REPLACE
    list), the version before it ended, as ingest records a correction."""
    warehouse.execute(f"""
        INSERT INTO identity.{table}
        SELECT * REPLACE ('{batch}' AS batch_id, 9000 + source_row AS source_row, {change})
        FROM identity.current_{table} WHERE {where}""")
    warehouse.execute(f"""
        INSERT INTO ingest.version_end
        SELECT '{table}', batch_id, source_row, '{batch}', 'superseded'
        FROM identity.{table} WHERE {where} AND batch_id <> '{batch}'
          AND (batch_id, source_row) NOT IN (SELECT batch_id, source_row FROM ingest.version_end
                                             WHERE source = '{table}')""")


def test_the_zone_update_equals_a_rebuild_and_rewrites_only_what_changed(
        warehouse: Warehouse, first_run: Path) -> None:
    from localjustice.linkage import install_pseudonym
    from localjustice.linkage.analysis_zone import build_analysis_zone

    first = warehouse.execute("SELECT run_id FROM linkage.run").fetchall()[0][0]
    # two people kept apart, and a victim of a crime
    insert_records(warehouse, "court_outcomes", [
        ("CO-A", Person("Hesper", "Quarrington", date(1981, 4, 12), postcode="E17 9PJ",
                        pnc_id=pnc(2003, 4242)))], batch_id="b2")
    insert_records(warehouse, "prison_custody", [
        ("PC-B", Person("Hesper", "Quarington", date(1991, 4, 12), postcode="UB3 1HR"))],
        batch_id="b2")
    insert_records(warehouse, "police_victims", [
        ("PV-V", Person("Ottoline", "Brackenbury", date(1958, 9, 30), sex="F",
                        postcode="N16 5TU"))], batch_id="b2")
    link_persons(warehouse, pseudonym_key=KEY)
    known = warehouse.execute("SELECT source_person_id FROM identity.court_outcomes "
                              "WHERE batch_id = 'batch-1' ORDER BY 1 LIMIT 1").fetchall()[0][0]
    victim_events = warehouse.execute("""
        SELECT e.event_date FROM analysis.event AS e JOIN linkage.unit_person AS u
        USING (person_id) WHERE u.unit_id = 'police_victims:PV-V'""").fetchall()

    # b3: a bridging record merges A and B; a known court outcome gets a new version (its
    # identity as it was, so linkage scores nothing for it); the victim's crime is corrected
    insert_records(warehouse, "electronic_monitoring", [
        ("EM-AB", Person("Hesper", "Quarrington", date(1991, 4, 12), postcode="E17 9PJ",
                         pnc_id=pnc(2003, 4242)))], batch_id="b3")
    _new_version(warehouse, "court_outcomes", f"source_person_id = '{known}'",
                 "coalesce(custody_days, 0) + 30 AS custody_days", "b3")
    _new_version(warehouse, "police_crimes", "crime_id IN (SELECT crime_id FROM "
                 "identity.police_victims WHERE source_person_id = 'PV-V')",
                 "committed_date - INTERVAL 10 DAY AS committed_date", "b3")
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert result.incremental and result.merges == 1
    assert "analysis zone updated" in result.method_note
    updated = _zone(warehouse)
    # the victim's event follows its crime's correction, though the victim's record is as it was
    assert warehouse.execute("""
        SELECT e.event_date FROM analysis.event AS e JOIN linkage.unit_person AS u
        USING (person_id) WHERE u.unit_id = 'police_victims:PV-V'""").fetchall() != victim_events
    # a source person whose person is unchanged keeps its row, and the run that set it
    assert warehouse.execute("SELECT run_id FROM linkage.unit_person WHERE unit_id = ?",
                             [f"court_outcomes:{known}"]).fetchall() == [(first,)]
    # B joined A's person (which keeps A's id, the pseudonym of its smallest source person)
    assert warehouse.execute("SELECT run_id FROM linkage.unit_person WHERE unit_id = "
                             "'prison_custody:PC-B'").fetchall() == [(result.run_id,)]

    # the zone rebuilt whole from the same persons is the zone the update left
    install_pseudonym(warehouse, KEY)
    build_analysis_zone(warehouse)
    assert _zone(warehouse) == updated


def test_a_corrected_forename_is_a_changed_record(warehouse: Warehouse, first_run: Path) -> None:
    """"Mary Ann" and "Mary Jane" clean to the same first forename but not the same full one
    (which the names-swapped blocking rule reads): a record's id must tell them apart, or a
    correction from one to the other is not seen as a change."""
    insert_records(warehouse, "court_outcomes", [
        ("CO-M", Person("Mary Ann", "Quennell", date(1984, 5, 6), sex="F"))], batch_id="b2")
    insert_records(warehouse, "police_disposals", [
        ("PD-M", Person("Mary Ann", "Quennell", date(1984, 5, 6), sex="F")),
        ("PD-M", Person("Mary Jane", "Quennell", date(1984, 5, 6), sex="F"))], batch_id="b2")
    link_persons(warehouse, pseudonym_key=KEY)
    assert warehouse.execute(
        "SELECT count(DISTINCT unique_id) FROM linkage.record "
        "WHERE unit_id = 'police_disposals:PD-M'").fetchall()[0][0] == 2

    _end(warehouse, "court_outcomes", "CO-M", "b3", "superseded")
    insert_records(warehouse, "court_outcomes", [
        ("CO-M", Person("Mary Jane", "Quennell", date(1984, 5, 6), sex="F"))], batch_id="b3")
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert result.incremental and result.records_scored >= 1
    assert warehouse.execute("SELECT forename_full FROM linkage.record "
                             "WHERE unit_id = 'court_outcomes:CO-M'").fetchall() == [("maryjane",)]


def test_a_record_id_keeps_each_cell_in_its_place(warehouse: Warehouse) -> None:
    """Two variants whose cells differ only by which one is empty (here postcode and PNC id
    swapped) have different ids: the hash does not let a value slide into an empty cell's place."""
    from localjustice.linkage.records import build_linkage_records

    rows = ", ".join(
        f"('court_outcomes', 'CO-1', 'Ada', 'Lovell', DATE '1980-01-02', 'F', {postcode}, "
        f"'E09000030', {pnc_id})" for postcode, pnc_id in (("'X1'", "NULL"), ("NULL", "'X1'")))
    build_linkage_records(warehouse, source_rows_sql=(
        "SELECT * FROM (VALUES " + rows + ") AS t(source, source_person_id, forename, surname, "
        "date_of_birth, sex, postcode, borough_code, pnc_id)"), table="lj_test_records",
        temporary=True)
    assert warehouse.execute(
        "SELECT count(DISTINCT unique_id) FROM lj_test_records").fetchall() == [(2,)]
