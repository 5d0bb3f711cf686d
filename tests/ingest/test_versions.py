"""Deliveries every month: a known key is a new version, not a duplicate (issue 12).

Each test loads a first delivery, then a later one, and checks what is current, what is history,
and what the batch says it changed. Hand-built rows, so every expected count is worked by hand.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from localjustice.errors import LocalJusticeError
from localjustice.ingest import ingest_delivery
from localjustice.ingest.status import warehouse_status
from localjustice.warehouse import Warehouse
from tests.ingest.deliveries import delivery, valid_row, write_csv

AS_OF = date(2019, 6, 30)


def _custody(custody_id: str, **overrides: str) -> dict[str, str]:
    return valid_row("prison_custody", custody_id=custody_id, **overrides)


def _open(custody_id: str, **overrides: str) -> dict[str, str]:
    return _custody(custody_id, release_date="", **overrides)


def _manifest(folder: Path, extract_date: str, files: dict[str, tuple[str, int | None]]) -> None:
    lines = ['partner = "HMPPS test"', f"extract_date = {extract_date}"]
    for name, (mode, rows) in files.items():
        lines.append(f"[files.{name}]")
        lines.append(f'mode = "{mode}"')
        if rows is not None:
            lines.append(f"rows = {rows}")
    (folder / "manifest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _current(warehouse: Warehouse, table: str = "prison_custody") -> dict[str, str | None]:
    """custody_id -> release date of the current version."""
    rows = warehouse.execute(
        f"SELECT custody_id, CAST(release_date AS VARCHAR) FROM identity.current_{table}"
    ).fetchall()
    return {str(r[0]): (None if r[1] is None else str(r[1])) for r in rows}


def _versions(warehouse: Warehouse) -> int:
    return int(warehouse.execute("SELECT count(*) FROM identity.prison_custody").scalar())


def _load(warehouse: Warehouse, folder: Path) -> tuple[int, int, int, int, int]:
    result = ingest_delivery(warehouse, folder, as_of=AS_OF)
    f = next(f for f in result.files if f.source == "prison_custody")
    assert f.status == "loaded", f.message
    return f.new, f.changed, f.unchanged, f.withdrawn, f.rows_quarantined


def test_a_released_custody_period_is_a_new_version_not_a_duplicate(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    first = delivery(tmp_path / "m1", {"prison_custody": [_open(f"X{i}") for i in range(1, 8)]})
    assert _load(warehouse, first) == (7, 0, 0, 0, 0)
    # five of the seven open periods come back released; one new period; one untouched
    later = [_custody(f"X{i}", release_date="2018-09-01") for i in range(1, 6)] + \
        [_open("X6"), _open("X8")]
    second = delivery(tmp_path / "m2", {"prison_custody": later})
    assert _load(warehouse, second) == (1, 5, 1, 0, 0)
    current = _current(warehouse)
    assert current == {**{f"X{i}": "2018-09-01" for i in range(1, 6)}, "X6": None, "X7": None,
                       "X8": None}
    # nothing overwritten: the five open versions are still there as history
    assert _versions(warehouse) == 7 + 5 + 1
    ends = warehouse.execute(
        "SELECT reason, count(*) FROM ingest.version_end GROUP BY ALL").fetchall()
    assert ends == [("superseded", 5)]
    state = warehouse.execute(
        "SELECT rows_read, rows_loaded, rows_new, rows_changed, rows_unchanged FROM ingest.batch "
        "ORDER BY finished_at").fetchall()
    assert state[-1] == (7, 6, 1, 5, 1)


def test_a_delivery_sent_again_unchanged_changes_nothing(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    rows = [_open("X1"), _open("X2")]
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": rows}))
    # same records, a different file (order and an extra column differ), so not skipped by hash
    again = delivery(tmp_path / "m2", {"prison_custody": [
        {**r, "comment": "resent"} for r in reversed(rows)]})
    assert _load(warehouse, again) == (0, 0, 2, 0, 0)
    assert _versions(warehouse) == 2
    assert warehouse.execute("SELECT count(*) FROM ingest.version_end").scalar() == 0


def test_a_bad_new_version_is_quarantined_and_the_previous_stays_current(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [_open("X1")]}))
    # released before it was received: breaks not_before, so held back on its own
    bad = delivery(tmp_path / "m2", {"prison_custody": [_custody("X1", release_date="2017-01-01")]})
    assert _load(warehouse, bad) == (0, 0, 0, 0, 1)
    assert _current(warehouse) == {"X1": None}
    # the next month the partner sends it fixed: loaded, and the quarantine item resolved
    fixed = delivery(tmp_path / "m3", {"prison_custody": [_custody("X1", release_date="2018-08-01")]})
    result = ingest_delivery(warehouse, fixed, as_of=AS_OF)
    assert (result.files[0].changed, result.files[0].resolved) == (1, 1)
    assert _current(warehouse) == {"X1": "2018-08-01"}
    resolved = warehouse.execute(
        "SELECT r.resolved_by_batch = ?, q.rule FROM ingest.quarantine_resolved r "
        "JOIN ingest.quarantine q USING (batch_id, row_number)", [result.files[0].batch_id]
    ).fetchall()
    assert resolved == [(True, "not_before")]


def test_a_row_quarantined_on_first_delivery_loads_when_corrected(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [
        _open("X1"), _open("X2", reception_date="2018-02-31")]}))
    assert _current(warehouse) == {"X1": None}
    result = ingest_delivery(warehouse, delivery(tmp_path / "m2", {"prison_custody": [
        _open("X2", reception_date="2018-02-28")]}), as_of=AS_OF)
    assert (result.files[0].new, result.files[0].resolved) == (1, 1)
    assert _current(warehouse) == {"X1": None, "X2": None}
    assert warehouse.execute("SELECT count(*) FROM ingest.quarantine_resolved").scalar() == 1


def test_a_broken_row_sent_again_is_one_open_item_until_fixed(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    broken = _open("X2", reception_date="2018-02-31")
    keyless = _open("", reception_date="2018-02-28")
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [_open("X1"), broken, keyless]}))
    # the partner sends X2 broken again, unchanged, with a new broken X3 and the key still missing
    _load(warehouse, delivery(tmp_path / "m2", {"prison_custody": [
        keyless, _custody("X3", release_date="2017-01-01"), broken]}))
    second = warehouse.execute(
        "SELECT batch_id FROM ingest.batch ORDER BY finished_at DESC LIMIT 1").scalar()
    items = warehouse_status(warehouse).open_items
    # X2 once, in its latest delivery (row 3 of m2), sent twice; a row without a key cannot be
    # told to be the same record, so each delivery's stays an item of its own
    assert sorted((i.batch_id == second, i.row_number, i.rules, i.sent) for i in items) == [
        (False, 3, "required", 1), (True, 1, "required", 1), (True, 2, "not_before", 1),
        (True, 3, "date_format", 2)]
    assert warehouse_status(warehouse).open_by_partner() == {"prisons": 4}
    # the fix resolves both deliveries' rows of X2, and the item goes
    result = ingest_delivery(warehouse, delivery(tmp_path / "m3", {"prison_custody": [
        _open("X2", reception_date="2018-02-28")]}), as_of=AS_OF)
    assert result.files[0].resolved == 2
    assert sorted((i.row_number, i.rules) for i in warehouse_status(warehouse).open_items) == [
        (1, "required"), (2, "not_before"), (3, "required")]


def test_a_full_snapshot_withdraws_what_it_lacks_and_keeps_it_in_history(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [
        _open("X1"), _open("X2"), _open("X3"), _open("X4")]}))
    snapshot = delivery(tmp_path / "m2", {"prison_custody": [
        _open("X1"), _custody("X2", release_date="2018-09-01"),
        _open("X4", reception_date="2018-02-31")]})  # X4 present but broken: not a withdrawal
    _manifest(snapshot, "2018-09-30", {"prison_custody": ("snapshot", 3)})
    result = ingest_delivery(warehouse, snapshot, as_of=AS_OF)
    f = result.files[0]
    assert (f.new, f.changed, f.unchanged, f.withdrawn, f.rows_quarantined) == (0, 1, 1, 1, 1)
    assert "withdrew" in f.message
    assert _current(warehouse) == {"X1": None, "X2": "2018-09-01", "X4": None}
    withdrawn = warehouse.execute(
        "SELECT t.custody_id FROM ingest.version_end e JOIN identity.prison_custody t "
        "USING (batch_id, source_row) WHERE e.reason = 'withdrawn'").fetchall()
    assert withdrawn == [("X3",)]
    assert warehouse.execute(
        "SELECT mode, extract_date, partner, rows_withdrawn FROM ingest.batch WHERE batch_id = ?",
        [f.batch_id]).fetchone() == ("snapshot", date(2018, 9, 30), "HMPPS test", 1)
    # sent again later, X3 is current again, and the batch says it was a withdrawn record
    back = _dated(tmp_path, "m3", "2018-10-31", [_custody("X3", release_date="2018-10-02")])
    (f,) = ingest_delivery(warehouse, back, as_of=AS_OF).files
    assert (f.new, f.changed) == (0, 1)
    assert "1 of the changed record(s) had been withdrawn and are current again" in f.message
    assert _current(warehouse)["X3"] == "2018-10-02"


def test_changes_only_never_withdraw(tmp_path: Path, warehouse: Warehouse) -> None:
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [_open("X1"), _open("X2")]}))
    changes = delivery(tmp_path / "m2", {"prison_custody": [_open("X3")]})
    _manifest(changes, "2018-09-30", {"prison_custody": ("changes", 1)})
    assert _load(warehouse, changes) == (1, 0, 0, 0, 0)
    assert set(_current(warehouse)) == {"X1", "X2", "X3"}


def test_an_older_extract_never_overrides_a_newer_one(tmp_path: Path, warehouse: Warehouse) -> None:
    newer = delivery(tmp_path / "oct", {"prison_custody": [_custody("X1", release_date="2018-10-01"),
                                                          _open("X2")]})
    _manifest(newer, "2018-10-31", {"prison_custody": ("changes", None)})
    _load(warehouse, newer)
    older = delivery(tmp_path / "sep", {"prison_custody": [_open("X1"), _open("X2"), _open("X3")]})
    _manifest(older, "2018-09-30", {"prison_custody": ("snapshot", None)})
    result = ingest_delivery(warehouse, older, as_of=AS_OF)
    f = result.files[0]
    # X1 differs: kept as history only; X2 identical; X3 unknown, so new; snapshot withdraws nothing
    assert (f.new, f.changed, f.unchanged, f.older, f.withdrawn) == (1, 0, 1, 1, 0)
    assert "before the 2018-10-31 extract" in f.message and "nothing withdrawn" in f.message
    assert _current(warehouse) == {"X1": "2018-10-01", "X2": None, "X3": None}
    assert _versions(warehouse) == 4
    assert warehouse.execute(
        "SELECT reason FROM ingest.version_end").fetchall() == [("older_extract",)]


def _dated(tmp_path: Path, name: str, extract_date: str, rows: list[dict[str, str]],
           mode: str = "changes") -> Path:
    folder = delivery(tmp_path / name, {"prison_custody": rows})
    _manifest(folder, extract_date, {"prison_custody": (mode, None)})
    return folder


def _late(warehouse: Warehouse, folder: Path) -> object:
    return next(f for f in ingest_delivery(warehouse, folder, as_of=AS_OF).files
                if f.source == "prison_custody")


def test_a_late_delivery_applies_rows_of_records_no_later_extract_mentioned(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """September opens X1 and X2; November releases X2; October, sent late, releases both. X1's
    October release is the newest word on X1 (November did not mention it), so it is current;
    X2's is older than November's, so it is history only."""
    _load(warehouse, _dated(tmp_path, "sep", "2018-09-30", [_open("X1"), _open("X2")]))
    _load(warehouse, _dated(tmp_path, "nov", "2018-11-30",
                            [_custody("X2", release_date="2018-11-20")]))
    f = _late(warehouse, _dated(tmp_path, "oct", "2018-10-31", [
        _custody("X1", release_date="2018-10-10"), _custody("X2", release_date="2018-10-11")]))
    assert (f.new, f.changed, f.unchanged, f.older) == (0, 1, 0, 1)  # type: ignore[attr-defined]
    assert _current(warehouse) == {"X1": "2018-10-10", "X2": "2018-11-20"}
    assert "before the 2018-11-30 extract" in f.message  # type: ignore[attr-defined]
    assert "1 row(s) of records no later extract mentions applied" in f.message  # type: ignore[attr-defined]
    assert _versions(warehouse) == 5


def test_a_late_delivery_never_overrides_a_version_a_later_extract_sent_again_unchanged(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """November's changes-only file sends X1 exactly as September did: November stated it, so
    October's late release of X1 is older information and stays history only."""
    _load(warehouse, _dated(tmp_path, "sep", "2018-09-30", [_open("X1"), _open("X2")]))
    _load(warehouse, _dated(tmp_path, "nov", "2018-11-30", [_open("X1")]))
    f = _late(warehouse, _dated(tmp_path, "oct", "2018-10-31",
                                [_custody("X1", release_date="2018-10-10")]))
    assert (f.changed, f.older) == (0, 1)  # type: ignore[attr-defined]
    assert _current(warehouse) == {"X1": None, "X2": None}


def test_after_a_later_full_snapshot_a_late_delivery_changes_no_known_record(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """A later full snapshot stated every record (by holding it or by leaving it out), so a late
    changes file overrides none and a late snapshot withdraws none."""
    _load(warehouse, _dated(tmp_path, "sep", "2018-09-30", [_open("X1"), _open("X2")]))
    _load(warehouse, _dated(tmp_path, "nov", "2018-11-30", [_open("X1")], mode="snapshot"))
    f = _late(warehouse, _dated(tmp_path, "oct", "2018-10-31", [
        _custody("X1", release_date="2018-10-10"), _custody("X2", release_date="2018-10-11")],
        mode="snapshot"))
    assert (f.changed, f.older, f.withdrawn) == (0, 2, 0)  # type: ignore[attr-defined]
    assert "nothing withdrawn" in f.message  # type: ignore[attr-defined]
    assert _current(warehouse) == {"X1": None}


def test_a_late_snapshot_withdraws_only_records_no_later_extract_stated(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _load(warehouse, _dated(tmp_path, "sep", "2018-09-30", [_open("X1"), _open("X2"), _open("X3")]))
    _load(warehouse, _dated(tmp_path, "nov", "2018-11-30",
                            [_custody("X2", release_date="2018-11-20")]))
    # October's snapshot holds only X1: X3 was gone by October and nothing later says otherwise;
    # X2 is missing too, but November sent a version of it
    f = _late(warehouse, _dated(tmp_path, "oct", "2018-10-31", [_open("X1")], mode="snapshot"))
    assert f.withdrawn == 1  # type: ignore[attr-defined]
    assert _current(warehouse) == {"X1": None, "X2": "2018-11-20"}


def test_a_late_broken_row_of_a_record_a_later_extract_holds_waits_for_no_correction(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _load(warehouse, _dated(tmp_path, "sep", "2018-09-30", [_open("X1")]))
    _load(warehouse, _dated(tmp_path, "nov", "2018-11-30",
                            [_custody("X1", release_date="2018-11-20")]))
    f = _late(warehouse, _dated(tmp_path, "oct", "2018-10-31", [
        _custody("X1", release_date="2018-03-01")]))  # released before its reception
    assert f.rows_quarantined == 1  # type: ignore[attr-defined]
    assert warehouse_status(warehouse).open_items == ()
    nov = warehouse.execute("SELECT batch_id FROM ingest.batch WHERE delivery = 'nov'").scalar()
    assert warehouse.execute(
        "SELECT resolved_by_batch FROM ingest.quarantine_resolved").fetchall() == [(nov,)]


def test_a_late_valid_row_corrects_no_row_broken_in_a_later_extract(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """November's X1 is broken (quarantined, September's version stays current). October's late
    valid X1 is the newest valid word on X1, so it is current, but it is not November's
    correction: November's item stays open for the partner."""
    _load(warehouse, _dated(tmp_path, "sep", "2018-09-30", [_open("X1")]))
    assert _load(warehouse, _dated(tmp_path, "nov", "2018-11-30", [
        _custody("X1", release_date="2018-03-01")]))[4] == 1
    f = _late(warehouse, _dated(tmp_path, "oct", "2018-10-31",
                                [_custody("X1", release_date="2018-10-10")]))
    assert (f.changed, f.resolved) == (1, 0)  # type: ignore[attr-defined]
    assert _current(warehouse) == {"X1": "2018-10-10"}
    assert [i.delivery for i in warehouse_status(warehouse).open_items] == ["nov"]


def test_a_record_put_back_by_a_newer_extract_is_current_again(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """The third delivery's file is byte for byte the first's: only its extract date is newer.
    It is a delivery of its own, not a re-send, so the release date it gives is current again;
    the same folder sent once more is a re-send and changes nothing."""
    rows = [_custody("X1", release_date="2018-10-01")]
    first = delivery(tmp_path / "oct", {"prison_custody": rows})
    _manifest(first, "2018-10-31", {"prison_custody": ("changes", 1)})
    _load(warehouse, first)
    second = delivery(tmp_path / "nov", {"prison_custody": [
        _custody("X1", release_date="2018-10-02")]})
    _manifest(second, "2018-11-30", {"prison_custody": ("changes", 1)})
    assert _load(warehouse, second) == (0, 1, 0, 0, 0)
    third = delivery(tmp_path / "dec", {"prison_custody": rows})
    _manifest(third, "2018-12-31", {"prison_custody": ("changes", 1)})
    assert _load(warehouse, third) == (0, 1, 0, 0, 0)
    assert _current(warehouse) == {"X1": "2018-10-01"}
    assert _versions(warehouse) == 3
    assert warehouse.execute(
        "SELECT CAST(max(extract_date) AS VARCHAR) FROM ingest.batch").scalar() == "2018-12-31"
    again = ingest_delivery(warehouse, third, as_of=AS_OF)
    assert [f.status for f in again.files] == ["already_loaded"]
    assert _versions(warehouse) == 3


def test_a_wrong_control_total_rejects_that_file_only(tmp_path: Path, warehouse: Warehouse) -> None:
    other = delivery(tmp_path / "m0", {"prison_custody": [_open("X1")]})
    _manifest(other, "2018-08-31", {"prison_custody": ("changes", 9)})
    ingest_delivery(warehouse, other, as_of=AS_OF)  # another file, rejected, never loaded
    folder = delivery(tmp_path / "m1", {
        "prison_custody": [_open("X1"), _open("X2")],
        "police_crimes": [valid_row("police_crimes")],
    })
    _manifest(folder, "2018-09-30", {"prison_custody": ("changes", 3),
                                     "police_crimes": ("changes", 1)})
    result = ingest_delivery(warehouse, folder, as_of=AS_OF)
    by_source = {f.source: f for f in result.files}
    assert by_source["prison_custody"].status == "rejected"
    assert by_source["prison_custody"].message.startswith(
        "the manifest gives 3 data rows but the file holds 2")
    assert by_source["police_crimes"].status == "loaded"
    assert _versions(warehouse) == 0
    # the partner corrects the manifest: the same file now loads
    _manifest(folder, "2018-09-30", {"prison_custody": ("changes", 2),
                                     "police_crimes": ("changes", 1)})
    again = {f.source: f for f in ingest_delivery(warehouse, folder, as_of=AS_OF).files}
    assert again["prison_custody"].status == "loaded"
    assert again["police_crimes"].status == "already_loaded"
    assert _versions(warehouse) == 2
    # the rejected batch says where its file went, so the steward's note is not left open
    rejected = [b for b in warehouse_status(warehouse).batches if b.status == "rejected"]
    assert [(b.delivery, b.loaded_later_in) for b in rejected] == [("m0", ""), ("m1", "m1")]


def _header_only(folder: Path) -> Path:
    columns = list(_open("X1"))
    return write_csv(folder / "prison_custody.csv", [], columns).parent


def test_a_listed_file_with_no_rows_says_nothing_changed(tmp_path: Path, warehouse: Warehouse) -> None:
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [_open("X1"), _open("X2")]}))
    quiet = _header_only(tmp_path / "m2")
    _manifest(quiet, "2018-10-31", {"prison_custody": ("changes", 0)})
    assert _load(warehouse, quiet) == (0, 0, 0, 0, 0)
    assert _current(warehouse) == {"X1": None, "X2": None}
    latest = warehouse.execute("SELECT rows_read, rows_loaded, status FROM ingest.batch "
                               "ORDER BY finished_at DESC LIMIT 1").fetchone()
    assert latest == (0, 0, "loaded")


def test_an_empty_snapshot_or_an_unlisted_empty_file_is_refused(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [_open("X1"), _open("X2")]}))
    empty = _header_only(tmp_path / "m2")
    # an empty full snapshot would withdraw every record: refused, nothing withdrawn
    _manifest(empty, "2018-10-31", {"prison_custody": ("snapshot", 0)})
    result = ingest_delivery(warehouse, empty, as_of=AS_OF).files[0]
    assert result.status == "rejected" and "would withdraw every record" in result.message
    # no manifest: nobody said nothing changed, so an empty export is taken for a mistake
    (empty / "manifest.toml").unlink()
    result = ingest_delivery(warehouse, empty, as_of=AS_OF).files[0]
    assert result.status == "rejected" and 'mode = "changes"' in result.message
    assert _current(warehouse) == {"X1": None, "X2": None}
    assert warehouse.execute("SELECT count(*) FROM ingest.version_end").scalar() == 0


def test_a_file_the_manifest_leaves_out_loads_as_changes_and_says_so(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    folder = delivery(tmp_path / "m1", {"prison_custody": [_open("X1")],
                                        "police_crimes": [valid_row("police_crimes")]})
    _manifest(folder, "2018-09-30", {"police_crimes": ("snapshot", 1)})
    by_source = {f.source: f for f in ingest_delivery(warehouse, folder, as_of=AS_OF).files}
    assert by_source["prison_custody"].status == "loaded"
    assert by_source["prison_custody"].message.startswith("not listed in the delivery's manifest")
    assert by_source["police_crimes"].message == ""


@pytest.mark.parametrize(("text", "message"), [
    ('extract_date = "2018-09-30"\n', "TOML date"),
    ("extract_date = 2018-09-30T10:00:00\n", "TOML date"),
    ("extract_date = 2018-09-30\n[files.prisons]\nmode = \"changes\"\n", "not an extract"),
    ("extract_date = 2018-09-30\n[files.prison_custody]\nmode = \"full\"\n", "snapshot"),
    ("extract_date = 2018-09-30\n[files.prison_custody]\nrows = -1\n", "whole number"),
    ("extract_date = 2018-09-30\n[files.police_crimes]\nrows = 1\n", "no such file"),
    ("extract_date = 2018-09-30\nsent_by = \"me\"\n", "unknown keys"),
    ("extract_date = 2018-09-\n", "not valid TOML"),
    ('partner = "HMPPS"\nextract_date = 2018-09-31\n',
     "not valid TOML .*; extract_date must be a real date written YYYY-MM-DD"),
])
def test_a_malformed_manifest_refuses_the_delivery_with_its_mistake(
    tmp_path: Path, warehouse: Warehouse, text: str, message: str
) -> None:
    folder = delivery(tmp_path / "m1", {"prison_custody": [_open("X1")]})
    (folder / "manifest.toml").write_text(text, encoding="utf-8")
    with pytest.raises(LocalJusticeError, match=message):
        ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert warehouse.execute("SELECT count(*) FROM ingest.batch").scalar() == 0


@pytest.mark.parametrize("name", ["Manifest.toml", "manifest.toml.txt", "MANIFEST.TOML"])
def test_a_manifest_under_another_name_refuses_the_delivery_rather_than_be_ignored(
    tmp_path: Path, warehouse: Warehouse, name: str
) -> None:
    """Ignored, a snapshot's manifest would load as changes: nothing withdrawn, no total checked."""
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [_open("X1"), _open("X2")]}))
    folder = delivery(tmp_path / "m2", {"prison_custody": [_open("X1")]})
    (folder / name).write_text("extract_date = 2018-09-30\n[files.prison_custody]\n"
                               "mode = \"snapshot\"\nrows = 1\n", encoding="utf-8")
    with pytest.raises(LocalJusticeError, match=f"holds {re.escape(name)}, which is not read as its "
                       "manifest: the manifest must be named manifest.toml"):
        ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert warehouse.execute("SELECT count(*) FROM ingest.batch").scalar() == 1


def test_duplicate_keys_inside_one_delivery_stay_a_quarantine_reason(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [_open("X1")]}))
    both = delivery(tmp_path / "m2", {"prison_custody": [
        _custody("X1", release_date="2018-09-01"), _custody("X1", release_date="2018-09-02")]})
    assert _load(warehouse, both) == (0, 0, 0, 0, 2)
    assert _current(warehouse) == {"X1": None}


def test_victims_are_versioned_by_crime_and_person(tmp_path: Path, warehouse: Warehouse) -> None:
    crimes = [valid_row("police_crimes")]
    ingest_delivery(warehouse, delivery(tmp_path / "m1", {
        "police_crimes": crimes,
        "police_victims": [valid_row("police_victims", source_person_id="V1"),
                           valid_row("police_victims", source_person_id="V2")]}), as_of=AS_OF)
    result = ingest_delivery(warehouse, delivery(tmp_path / "m2", {
        "police_crimes": crimes,  # identical file: skipped by hash
        "police_victims": [valid_row("police_victims", source_person_id="V1",
                                     contact_preference="letter")]}), as_of=AS_OF)
    victims = next(f for f in result.files if f.source == "police_victims")
    assert (victims.new, victims.changed, victims.unchanged) == (0, 1, 0)
    current = warehouse.execute(
        "SELECT source_person_id, contact_preference FROM identity.current_police_victims "
        "ORDER BY 1").fetchall()
    assert current == [("V1", "letter"), ("V2", "email")]


def test_a_failure_during_a_monthly_load_leaves_the_warehouse_as_before(
    tmp_path: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(warehouse, delivery(tmp_path / "m1", {"prison_custody": [_open("X1"), _open("X2")]}))
    before = warehouse.execute(
        "SELECT (SELECT count(*) FROM identity.prison_custody), (SELECT count(*) FROM "
        "ingest.version_end), (SELECT count(*) FROM ingest.batch)").fetchone()
    import localjustice.ingest.load as load

    def broken(*args: object, **kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(load, "_resolve_quarantine", broken)
    snapshot = delivery(tmp_path / "m2", {"prison_custody": [_custody("X1", release_date="2018-09-01")]})
    _manifest(snapshot, "2018-09-30", {"prison_custody": ("snapshot", 1)})
    with pytest.raises(LocalJusticeError, match="Loading m2 failed: disk full; nothing from it"):
        ingest_delivery(warehouse, snapshot, as_of=AS_OF)
    after = warehouse.execute(
        "SELECT (SELECT count(*) FROM identity.prison_custody), (SELECT count(*) FROM "
        "ingest.version_end), (SELECT count(*) FROM ingest.batch)").fetchone()
    assert after == before
    assert _current(warehouse) == {"X1": None, "X2": None}
    monkeypatch.undo()
    _load(warehouse, snapshot)
    assert _current(warehouse) == {"X1": "2018-09-01"}


def test_a_victim_of_a_withdrawn_crime_still_references_it(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """The reference check looks up current crimes and, apart, crimes whose versions have all
    ended: a withdrawn crime is still a crime a victim may name; an unknown one is not."""
    ingest_delivery(warehouse, delivery(tmp_path / "m1", {"police_crimes": [
        valid_row("police_crimes", crime_id="C1"), valid_row("police_crimes", crime_id="C2")]}),
        as_of=AS_OF)
    snapshot = delivery(tmp_path / "m2", {"police_crimes": [
        valid_row("police_crimes", crime_id="C1")]})
    _manifest(snapshot, "2018-09-30", {"police_crimes": ("snapshot", 1)})
    crimes = ingest_delivery(warehouse, snapshot, as_of=AS_OF).files[0]
    assert crimes.withdrawn == 1
    result = ingest_delivery(warehouse, delivery(tmp_path / "m3", {"police_victims": [
        valid_row("police_victims", crime_id="C1", source_person_id="V1"),
        valid_row("police_victims", crime_id="C2", source_person_id="V2"),
        valid_row("police_victims", crime_id="C404", source_person_id="V3")]}), as_of=AS_OF)
    victims = result.files[0]
    assert (victims.rows_loaded, victims.rows_quarantined) == (2, 1)
    held = warehouse.execute(
        "SELECT record_key, rule FROM ingest.quarantine WHERE batch_id = ?",
        [victims.batch_id]).fetchall()
    assert held == [(f"C404{chr(31)}V3", "references")]


def test_a_later_file_that_lacks_an_optional_column_the_records_hold_is_rejected_not_emptied(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """A partner's export renamed release_date (or dropped it): loaded, every record in the file
    would lose its release date and released prisoners would look in custody again. The file is
    rejected with the column named and the unknown header pointed at; what is current stays."""
    first = delivery(tmp_path / "m1", {"prison_custody": [_custody("X1"), _open("X2")]})
    assert _load(warehouse, first) == (2, 0, 0, 0, 0)
    rows = [{("release_dt" if k == "release_date" else k): v for k, v in _custody(i).items()}
            for i in ("X1", "X2")]
    renamed = tmp_path / "m2"
    write_csv(renamed / "prison_custody.csv", rows)
    result = ingest_delivery(warehouse, renamed, as_of=AS_OF)
    (f,) = result.files
    assert f.status == "rejected"
    assert "the header lacks release_date" in f.message and "release_dt" in f.message
    assert _current(warehouse) == {"X1": "2018-07-01", "X2": None}
    assert _versions(warehouse) == 2
    # a column no record holds a value in may be left out, as in a first delivery
    columns = [c for c in _open("X3") if c != "youth_estate"]
    later = tmp_path / "m3"
    write_csv(later / "prison_custody.csv", [_open("X3"), _custody("X2")], columns)
    assert _load(warehouse, later) == (1, 1, 0, 0, 0)
    assert _current(warehouse) == {"X1": "2018-07-01", "X2": "2018-07-01", "X3": None}


def test_columns_the_contract_does_not_name_are_named_on_the_batch(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    rows = [{**_custody("X1"), "wing": "B"}]
    folder = tmp_path / "m1"
    write_csv(folder / "prison_custody.csv", rows)
    (f,) = ingest_delivery(warehouse, folder, as_of=AS_OF).files
    assert f.status == "loaded"
    assert "column(s) the contract does not name, not loaded: wing" in f.message


def test_a_records_history_compares_each_version_with_the_one_it_followed_not_a_history_only_one(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """X1 is released on 2018-10-01; a late delivery extracted before that moves it to BXI (kept
    as history only, never current); then a release date is corrected at PVI. The correction
    changed the release date from the version it replaced, not the establishment."""
    from localjustice.ingest.history import record_histories

    steps = [("m1", "2018-09-30", _open("X1")),
             ("m2", "2018-10-31", _custody("X1", release_date="2018-10-01")),
             ("m3", "2018-10-15", _custody("X1", release_date="2018-10-01",
                                           establishment_code="BXI")),
             ("m4", "2018-11-30", _custody("X1", release_date="2018-10-02"))]
    for name, extracted, row in steps:
        folder = delivery(tmp_path / name, {"prison_custody": [row]})
        _manifest(folder, extracted, {"prison_custody": ("changes", 1)})
        _load(warehouse, folder)
    [record] = record_histories(warehouse, "prison_custody", "X1")
    assert [(v.delivery, v.state, v.changed) for v in record.versions] == [
        ("m1", "superseded", ()),
        ("m2", "superseded", ("release_date",)),
        ("m3", "older_extract", ("establishment_code",)),
        ("m4", "current", ("release_date",)),
    ]
    assert "pnc_id_valid" not in record.columns  # derived by ingest, not sent by the partner


def test_victims_wait_for_a_rejected_crimes_file_and_load_when_it_is_sent_again(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """The manifest's control total for the crimes is wrong, so that file is rejected: its
    victims are not loaded with every row held back for a missing crime (a re-send would then be
    'already loaded' and the rows held back for good), but rejected too, and both load once the
    manifest is corrected."""
    crimes = [valid_row("police_crimes", crime_id="C1"), valid_row("police_crimes", crime_id="C2")]
    victims = [valid_row("police_victims", crime_id="C1"),
               valid_row("police_victims", crime_id="C2", source_person_id="V2")]
    broken = delivery(tmp_path / "m1", {"police_crimes": crimes, "police_victims": victims})
    _manifest(broken, "2018-09-30", {"police_crimes": ("changes", 3),
                                     "police_victims": ("changes", 2)})
    first = {f.source: f for f in ingest_delivery(warehouse, broken, as_of=AS_OF).files}
    assert first["police_crimes"].status == "rejected"
    assert first["police_victims"].status == "rejected"
    assert "police_crimes.csv in this delivery was rejected" in first["police_victims"].message
    assert warehouse.execute("SELECT count(*) FROM ingest.quarantine").scalar() == 0
    again = {f.source: f for f in ingest_delivery(warehouse, broken, as_of=AS_OF).files}
    assert again["police_victims"].status == "already_rejected"
    assert "police_crimes.csv in this delivery was rejected" in again["police_victims"].message
    fixed = delivery(tmp_path / "m1-fixed", {"police_crimes": crimes, "police_victims": victims})
    _manifest(fixed, "2018-09-30", {"police_crimes": ("changes", 2),
                                    "police_victims": ("changes", 2)})
    loaded = {f.source: f for f in ingest_delivery(warehouse, fixed, as_of=AS_OF).files}
    assert (loaded["police_crimes"].status, loaded["police_victims"].status) == ("loaded", "loaded")
    assert (loaded["police_victims"].rows_loaded, loaded["police_victims"].rows_quarantined) == (2, 0)
    held = warehouse.execute(
        "SELECT mode, extract_date, partner FROM ingest.batch WHERE status = 'rejected' "
        "AND source = 'police_crimes'").fetchone()
    # a rejected file keeps what the manifest said of it
    assert held == ("changes", date(2018, 9, 30), "HMPPS test")


def test_a_snapshot_that_would_withdraw_most_of_an_extract_is_refused_until_confirmed(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """A partial export sent as a full snapshot would empty the extract: 110 of 120 records is
    refused, nothing of the file written; the same file with the partner's confirmation loads."""
    _load(warehouse, delivery(tmp_path / "m1", {
        "prison_custody": [_open(f"X{i}") for i in range(120)]}))
    rows = [_open(f"X{i}") for i in range(10)] + [_custody("X0", release_date="2018-09-01")][:0]
    partial = delivery(tmp_path / "m2", {"prison_custody": rows})
    _manifest(partial, "2018-09-30", {"prison_custody": ("snapshot", 10)})
    versions = _versions(warehouse)
    (f,) = ingest_delivery(warehouse, partial, as_of=AS_OF).files
    assert f.status == "rejected"
    assert "would withdraw 110 of the 120 current records (92%)" in f.message
    assert "withdraw_most = true" in f.message
    assert len(_current(warehouse)) == 120 and _versions(warehouse) == versions
    with (partial / "manifest.toml").open("a", encoding="utf-8") as manifest:
        manifest.write("withdraw_most = true\n")
    (f,) = ingest_delivery(warehouse, partial, as_of=AS_OF).files
    assert (f.status, f.withdrawn) == ("loaded", 110)
    assert set(_current(warehouse)) == {f"X{i}" for i in range(10)}


def test_a_withdrawn_crime_that_current_victims_refer_to_is_named_in_the_batch(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    crimes = [valid_row("police_crimes", crime_id=f"C{i}") for i in (1, 2, 3)]
    ingest_delivery(warehouse, delivery(tmp_path / "m1", {
        "police_crimes": crimes,
        "police_victims": [valid_row("police_victims", crime_id="C3", source_person_id="V1"),
                           valid_row("police_victims", crime_id="C3", source_person_id="V2")]}),
        as_of=AS_OF)
    snapshot = delivery(tmp_path / "m2", {"police_crimes": crimes[:2]})
    _manifest(snapshot, "2018-09-30", {"police_crimes": ("snapshot", 2)})
    (f,) = ingest_delivery(warehouse, snapshot, as_of=AS_OF).files
    assert f.withdrawn == 1
    assert ("withdrew 1 record(s) missing from this full snapshot (2 current police_victims "
            "record(s) still refer to them: check with the partner)") in f.message


def test_a_row_dated_after_its_extract_date_is_held_back_as_in_the_future(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """Loaded on AS_OF (June 2019), but extracted at the end of September 2018: a custody period
    received in October 2018 cannot be in that extract."""
    folder = _dated(tmp_path, "sep", "2018-09-30", [
        _open("X1", reception_date="2018-09-30"), _open("X2", reception_date="2018-10-01")])
    (f,) = ingest_delivery(warehouse, folder, as_of=AS_OF).files
    assert (f.rows_loaded, f.rows_quarantined) == (1, 1)
    reason = warehouse.execute("SELECT rule, reason FROM ingest.quarantine").fetchone()
    assert reason == ("not_future", "reception_date is later than 2018-09-30, the day the data "
                      "were extracted (or, without a manifest, loaded)")


def test_a_late_delivery_of_victims_compares_record_by_record_on_both_key_columns(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """Victims are keyed by crime and person together: the late rule works on the pair."""
    def victims(folder: str, extract_date: str, rows: list[dict[str, str]]) -> Path:
        path = delivery(tmp_path / folder, {"police_victims": rows})
        _manifest(path, extract_date, {"police_victims": ("changes", None)})
        return path

    ingest_delivery(warehouse, delivery(tmp_path / "m1", {
        "police_crimes": [valid_row("police_crimes", crime_id="C1")],
        "police_victims": [valid_row("police_victims", crime_id="C1", source_person_id="V1"),
                           valid_row("police_victims", crime_id="C1", source_person_id="V2")]}),
        as_of=AS_OF)
    ingest_delivery(warehouse, victims("nov", "2018-11-30", [
        valid_row("police_victims", crime_id="C1", source_person_id="V1", postcode="N1 1AA")]),
        as_of=AS_OF)
    (f,) = ingest_delivery(warehouse, victims("oct", "2018-10-31", [
        valid_row("police_victims", crime_id="C1", source_person_id="V1", postcode="SW1A 1AA"),
        valid_row("police_victims", crime_id="C1", source_person_id="V2", postcode="SW1A 1AA")]),
        as_of=AS_OF).files
    assert (f.changed, f.older) == (1, 1)
    current = dict(warehouse.execute(
        "SELECT source_person_id, postcode FROM identity.current_police_victims").fetchall())
    assert current == {"V1": "N1 1AA", "V2": "SW1A 1AA"}
