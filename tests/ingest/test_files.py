"""Whole-file behaviour: rejections with clear messages, formats, idempotent re-loads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from localjustice.errors import LocalJusticeError
from localjustice.ingest import ingest_delivery
from localjustice.warehouse import Warehouse
from tests.ingest.deliveries import delivery, valid_row, write_csv, write_parquet

AS_OF = date(2020, 1, 1)


def _crimes(n: int = 3) -> list[dict[str, str]]:
    return [valid_row("police_crimes", crime_id=f"C{i}") for i in range(1, n + 1)]


def _counts(warehouse: Warehouse) -> tuple[int, ...]:
    con = warehouse.connection
    tables = ["identity.police_crimes", "identity.police_victims", "ingest.batch",
              "ingest.quarantine", "ingest.warning"]
    return tuple(int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                 for t in tables)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"crime_id,offence_group,committed_date,recorded_date,borough_code\n", "no data rows"),
    ("crime_id,offence_group,committed_date,recorded_date\nC1,th\xe9ft,2018-03-01,2018-03-02\n"
     .encode("latin-1"), "not UTF-8"),
    (b"crime_id,offence_group,committed_date\nC1,theft,2018-03-01\n",
     "required column(s) missing from the header: recorded_date"),
    (b"crime_id,offence_group,committed_date,recorded_date\nC1,\"theft,2018-03-01,2018-03-02\n",
     "quot"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "not UTF-8"),
    # a row wider than the header: DuckDB's sniffer took that row for the header
    (b"crime_id,offence_group,committed_date,recorded_date,borough_code\n"
     b"C1,theft,2018-03-01,2018-03-02,E09000030\nC2,theft,2018-03-01,2018-03-02,E09000030\n"
     b"C3,theft,2018-03-01,2018-03-02,E09000030,x,y\n", "more fields than the header"),
    # a row short of a field: the sniffer fails, and the message names the line
    (b"crime_id,offence_group,committed_date,recorded_date\nC1,theft,2018-03-01,2018-03-02\n"
     b"C2,theft,2018-03-01\nC3,theft,2018-03-01,2018-03-02\n",
     "line 3 has 3 field(s) where the header has 4"),
    # the engine named the second surname_1 and loaded the first
    (b"crime_id,offence_group,committed_date,recorded_date,Offence_Group\n"
     b"C1,theft,2018-03-01,2018-03-02,robbery\n", "the header names Offence_Group, offence_group "
     "more than once"),
    (b"crime_id;offence_group;committed_date;recorded_date\nC1;theft;2018-03-01;2018-03-02\n",
     "the file looks delimited by that"),
    (b"crime_id,offence_group,committed_date,recorded_date\nC1,\"" + b"x" * 2_100_000 +
     b"\",2018-03-01,2018-03-02\n", "longer than the 2,000,000 bytes"),
])
def test_an_unusable_file_is_rejected_whole_with_a_clear_message_and_the_rest_loads(
    tmp_path: Path, warehouse: Warehouse, content: bytes, message: str
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "police_crimes.csv").write_bytes(content)
    write_csv(folder / "police_disposals.csv", [valid_row("police_disposals")])
    result = ingest_delivery(warehouse, folder, as_of=AS_OF)
    by_source = {f.source: f for f in result.files}
    assert by_source["police_crimes"].status == "rejected"
    assert message in by_source["police_crimes"].message
    assert by_source["police_disposals"].status == "loaded"
    batch = warehouse.connection.execute(
        "SELECT status, message, rows_read FROM ingest.batch WHERE source = 'police_crimes'"
    ).fetchone()
    assert batch is not None and batch[0] == "rejected" and message in batch[1] and batch[2] == 0


def test_a_rejection_message_never_quotes_the_file(tmp_path: Path, warehouse: Warehouse) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    bad_line = "P1,,Zebedee\xe9,,Quibblewhistle,1990-02-03,F,W1,,,C1,,email\n"
    header = ("source_person_id,pnc_id,forename,middle_names,surname,date_of_birth,sex,ethnicity,"
              "postcode,borough_code,crime_id,enhanced_rights,contact_preference\n")
    (folder / "police_victims.csv").write_bytes((header + bad_line).encode("latin-1"))
    result = ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert result.files[0].status == "rejected"
    assert "Zebedee" not in result.files[0].message
    assert "Quibblewhistle" not in result.files[0].message


def test_a_delivery_mixing_csv_and_parquet_loads_both(tmp_path: Path, warehouse: Warehouse) -> None:
    folder = tmp_path / "d"
    write_parquet(folder / "police_crimes.parquet", _crimes(2))
    write_csv(folder / "police_victims.csv", [valid_row("police_victims", crime_id="C2"),
                                              valid_row("police_victims", crime_id="C7")])
    result = ingest_delivery(warehouse, folder, as_of=AS_OF)
    by_source = {f.source: f for f in result.files}
    assert (by_source["police_crimes"].rows_loaded, by_source["police_crimes"].rows_quarantined) \
        == (2, 0)
    assert (by_source["police_victims"].rows_loaded,
            by_source["police_victims"].rows_quarantined) == (1, 1)


def test_parquet_with_typed_columns_is_read_as_the_contract_text(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "crime_id": ["C1"], "offence_group": ["theft"],
        "committed_date": pa.array([date(2018, 3, 1)]),
        "recorded_date": pa.array([date(2018, 3, 2)]), "borough_code": ["E09000001"],
    })
    (tmp_path / "d").mkdir()
    pq.write_table(table, tmp_path / "d" / "police_crimes.parquet")
    result = ingest_delivery(warehouse, tmp_path / "d", as_of=AS_OF)
    assert result.files[0].rows_loaded == 1


def test_loading_the_same_delivery_again_changes_nothing_and_says_so(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    folder = delivery(tmp_path / "d", {
        "police_crimes": [*_crimes(), valid_row("police_crimes", crime_id="", )],
        "police_victims": [valid_row("police_victims")],
    })
    (folder / "police_disposals.csv").write_bytes(b"")
    first = ingest_delivery(warehouse, folder, as_of=AS_OF)
    before = _counts(warehouse)
    again = ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert first.changed and not again.changed
    assert {f.status for f in again.files} == {"already_loaded", "already_rejected"}
    assert _counts(warehouse) == before


def test_the_same_file_in_a_new_delivery_folder_is_still_recognised(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    rows = {"police_crimes": _crimes()}
    ingest_delivery(warehouse, delivery(tmp_path / "monday", rows), as_of=AS_OF)
    again = ingest_delivery(warehouse, delivery(tmp_path / "tuesday", rows), as_of=AS_OF)
    assert again.files[0].status == "already_loaded"
    assert "monday" in again.files[0].message


def test_rows_read_equal_rows_loaded_plus_quarantined(tmp_path: Path, warehouse: Warehouse) -> None:
    rows = [*_crimes(5), valid_row("police_crimes", crime_id="C9", offence_group="x"),
            valid_row("police_crimes", crime_id="C10", committed_date="2018-02-30")]
    ingest_delivery(warehouse, delivery(tmp_path / "d", {"police_crimes": rows}), as_of=AS_OF)
    batch = warehouse.connection.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest.batch").fetchone()
    assert batch == (7, 5, 2)


def test_extra_columns_are_ignored_and_recorded_in_provenance(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    rows = [{**valid_row("police_crimes"), "officer_notes": "anything"}]
    ingest_delivery(warehouse, delivery(tmp_path / "d", {"police_crimes": rows}), as_of=AS_OF)
    extras = warehouse.connection.execute("SELECT extra_columns FROM ingest.batch").fetchone()
    assert extras == (["officer_notes"],)


def test_headers_match_whatever_their_case(tmp_path: Path, warehouse: Warehouse) -> None:
    row = {k.upper(): v for k, v in valid_row("police_crimes").items()}
    result = ingest_delivery(warehouse, delivery(tmp_path / "d", {"police_crimes": [row]}),
                             as_of=AS_OF)
    assert result.files[0].rows_loaded == 1


def test_quarantine_keeps_the_raw_row(tmp_path: Path, warehouse: Warehouse) -> None:
    rows = [valid_row("police_crimes", offence_group="arson")]
    ingest_delivery(warehouse, delivery(tmp_path / "d", {"police_crimes": rows}), as_of=AS_OF)
    raw = warehouse.connection.execute(
        "SELECT raw_row->>'offence_group', raw_row->>'crime_id' FROM ingest.quarantine"
    ).fetchone()
    assert raw == ("arson", "C1")


def test_a_delivery_with_two_files_for_one_extract_is_refused(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    folder = tmp_path / "d"
    write_csv(folder / "police_crimes.csv", _crimes())
    write_parquet(folder / "police_crimes.parquet", _crimes())
    with pytest.raises(LocalJusticeError, match="one file per extract"):
        ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert _counts(warehouse) == (0, 0, 0, 0, 0)


def test_a_folder_without_extracts_is_refused_and_strangers_are_reported(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(LocalJusticeError, match="No extract files"):
        ingest_delivery(warehouse, folder, as_of=AS_OF)
    write_csv(folder / "police_crimes.csv", _crimes())
    result = ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert result.ignored == ("notes.txt",)


def test_a_missing_folder_is_refused(tmp_path: Path, warehouse: Warehouse) -> None:
    with pytest.raises(LocalJusticeError, match="No delivery folder"):
        ingest_delivery(warehouse, tmp_path / "nowhere", as_of=AS_OF)


def test_a_folder_without_extracts_says_what_it_holds(tmp_path: Path, warehouse: Warehouse) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "crimes.txt").write_text("hello")
    with pytest.raises(LocalJusticeError, match=r"It holds: crimes\.txt\."):
        ingest_delivery(warehouse, folder, as_of=AS_OF)


def test_an_extract_named_in_capitals_is_that_extract(tmp_path: Path, warehouse: Warehouse) -> None:
    folder = tmp_path / "d"
    write_csv(folder / "POLICE_CRIMES.CSV", _crimes())
    (f,) = ingest_delivery(warehouse, folder, as_of=AS_OF).files
    assert (f.source, f.file_name, f.rows_loaded) == ("police_crimes", "POLICE_CRIMES.CSV", 3)


def test_a_linked_file_refuses_the_delivery(tmp_path: Path, warehouse: Warehouse) -> None:
    """A link can point at any file this process may read; a delivery is the files it holds."""
    elsewhere = write_csv(tmp_path / "elsewhere" / "crimes.csv", _crimes())
    folder = delivery(tmp_path / "d", {"police_victims": [valid_row("police_victims")]})
    (folder / "police_crimes.csv").symlink_to(elsewhere)
    before = _counts(warehouse)
    with pytest.raises(LocalJusticeError, match=r"police_crimes\.csv, a link to another file"):
        ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert _counts(warehouse) == before


@pytest.mark.parametrize("kind", ["folder", "broken link"])
def test_a_manifest_that_is_not_a_file_refuses_the_delivery(
    tmp_path: Path, warehouse: Warehouse, kind: str
) -> None:
    """Read as no manifest, a snapshot would withdraw nothing and no control total be checked."""
    folder = delivery(tmp_path / "d", {"police_crimes": _crimes()})
    if kind == "folder":
        (folder / "manifest.toml").mkdir()
    else:
        (folder / "manifest.toml").symlink_to(tmp_path / "nowhere.toml")
    with pytest.raises(LocalJusticeError, match="is not a file of the delivery"):
        ingest_delivery(warehouse, folder, as_of=AS_OF)
    assert _counts(warehouse) == (0, 0, 0, 0, 0)


def test_a_manifest_with_a_byte_order_mark_is_read(tmp_path: Path, warehouse: Warehouse) -> None:
    folder = delivery(tmp_path / "d", {"police_crimes": _crimes()})
    (folder / "manifest.toml").write_bytes(
        b"\xef\xbb\xbfextract_date = 2019-12-31\n[files.police_crimes]\nmode = \"snapshot\"\n"
        b"rows = 3\n")
    (f,) = ingest_delivery(warehouse, folder, as_of=AS_OF).files
    assert (f.status, f.rows_loaded) == ("loaded", 3)
    assert warehouse.execute("SELECT mode FROM ingest.batch").scalar() == "snapshot"
