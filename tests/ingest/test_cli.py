"""The ingest and status commands as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from localjustice.cli import app
from tests.ingest.deliveries import delivery, valid_row

runner = CliRunner()
SECRET_FORENAME = "Zebedeeque"
SECRET_SURNAME = "Quibblewhistle"


def _delivery(tmp_path: Path) -> Path:
    return delivery(tmp_path / "d", {
        "police_crimes": [valid_row("police_crimes")],
        "police_victims": [
            valid_row("police_victims", forename=SECRET_FORENAME, surname=SECRET_SURNAME),
            valid_row("police_victims", forename=SECRET_FORENAME, surname=SECRET_SURNAME,
                      source_person_id="V2", date_of_birth="1990-02-31", postcode="ZZ"),
        ],
    })


def test_status_json_gives_integer_row_counts_per_batch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert runner.invoke(app, ["ingest", str(_delivery(tmp_path)), "--data-dir", str(data)]) \
        .exit_code == 0
    result = runner.invoke(app, ["status", "--data-dir", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    victims = next(b for b in state["batches"] if b["source"] == "police_victims")
    assert (victims["rows_read"], victims["rows_loaded"], victims["rows_quarantined"]) == (2, 1, 1)
    assert all(isinstance(b[k], int) for b in state["batches"]
               for k in ("rows_read", "rows_loaded", "rows_quarantined"))
    reasons = {(r["column"], r["rule"]) for r in state["reasons"]}
    assert {("date_of_birth", "date_format"), ("postcode", "format")} <= reasons


def test_no_command_output_or_log_shows_personal_values(tmp_path: Path) -> None:
    data = tmp_path / "data"
    outputs = [
        runner.invoke(app, ["-v", "ingest", str(_delivery(tmp_path)), "--data-dir", str(data)]),
        runner.invoke(app, ["status", "--data-dir", str(data)]),
        runner.invoke(app, ["status", "--data-dir", str(data), "--format", "json"]),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        for secret in (SECRET_FORENAME, SECRET_SURNAME, "1990-02-31", "1990-02-03"):
            assert secret not in result.output


def test_a_rejected_file_makes_the_command_fail_after_loading_the_rest(tmp_path: Path) -> None:
    folder = _delivery(tmp_path)
    (folder / "court_outcomes.csv").write_text("outcome_id\nO1\n")
    result = runner.invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "required column(s) missing" in result.output
    assert "1 file(s) rejected" in result.output


def test_status_before_any_load_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--data-dir", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "localjustice ingest" in result.output


def test_data_dir_comes_from_the_environment(tmp_path: Path) -> None:
    data = tmp_path / "from-env"
    result = runner.invoke(app, ["ingest", str(_delivery(tmp_path))],
                           env={"LOCALJUSTICE_DATA_DIR": str(data)})
    assert result.exit_code == 0, result.output
    assert (data / "warehouse.duckdb").exists()


def test_monthly_deliveries_load_in_order_and_status_open_lists_what_waits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = delivery(tmp_path / "2018-09", {"prison_custody": [
        valid_row("prison_custody", custody_id="X1", release_date=""),
        valid_row("prison_custody", custody_id="X2", reception_date="2018-02-31"),
        valid_row("prison_custody", custody_id="X3", reception_date="2018-02-30")]})
    second = delivery(tmp_path / "2018-10", {"prison_custody": [
        valid_row("prison_custody", custody_id="X1", release_date="2018-10-01"),
        valid_row("prison_custody", custody_id="X2", reception_date="2018-02-28")]})
    (second / "manifest.toml").write_text(
        'extract_date = 2018-10-31\n[files.prison_custody]\nrows = 2\n', encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(first), str(second), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "Delivery 2018-09" in result.output and "Delivery 2018-10" in result.output
    state = json.loads(runner.invoke(
        app, ["status", "--data-dir", str(data), "--format", "json"]).output)
    second_batch = state["batches"][-1]
    assert (second_batch["rows_changed"], second_batch["rows_new"], second_batch["rows_resolved"],
            second_batch["conserved"]) == (1, 1, 1, True)
    assert [(i["row_number"], i["resolved_by_delivery"], i["resolved_by_batch"])
            for i in state["resolved_items"]] == [(2, "2018-10", second_batch["batch_id"])]
    plain = runner.invoke(app, ["status", "--data-dir", str(data)], env={"COLUMNS": "250"})
    assert "corrected by a later delivery" in plain.output
    assert "1 quarantined row(s) still wait for a correction" in plain.output
    opened = json.loads(runner.invoke(
        app, ["status", "--open", "--data-dir", str(data), "--format", "json"]).output)
    assert opened["open_by_partner"] == {"prisons": 1}
    assert [(i["file_name"], i["row_number"], i["rules"]) for i in opened["open_quarantine"]] == \
        [("prison_custody.csv", 3, "date_format")]
    table = runner.invoke(app, ["status", "--open", "--data-dir", str(data)])
    assert table.exit_code == 0 and "prisons: 1 row(s) waiting for a correction" in table.output


def test_a_bad_manifest_stops_the_run_and_says_which_deliveries_loaded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = delivery(tmp_path / "2018-09", {"police_crimes": [valid_row("police_crimes")]})
    second = delivery(tmp_path / "2018-10", {"police_crimes": [valid_row("police_crimes")]})
    (second / "manifest.toml").write_text("extract_date = 'soon'\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(first), str(second), "--data-dir", str(data)],
                           env={"COLUMNS": "250"})  # messages unwrapped, whatever the terminal
    assert result.exit_code != 0
    said = " ".join(result.output.split())  # a long temporary path may wrap the message
    assert "The first 1 delivery(ies) are loaded" in said
    assert "TOML date" in said


def test_a_manifest_mistake_names_its_section_as_written(tmp_path: Path) -> None:
    """Rich reads ``[files.police_crimes]`` as markup and would print nothing in its place."""
    folder = delivery(tmp_path / "m", {"police_crimes": [valid_row("police_crimes")]})
    (folder / "manifest.toml").write_text(
        "extract_date = 2018-09-30\n[files.police_crimes]\nrow = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "data")],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "has [files.police_crimes] with keys other than mode, rows and withdraw_most: row" in \
        " ".join(result.output.split())


def test_a_delivery_whose_every_file_is_rejected_does_not_say_it_loaded(tmp_path: Path) -> None:
    folder = delivery(tmp_path / "m", {"police_crimes": [valid_row("police_crimes")]})
    (folder / "manifest.toml").write_text(
        "extract_date = 2018-09-30\n[files.police_crimes]\nrows = 2\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "data")],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "Nothing loaded" in said and "Loaded into" not in said


def test_a_delivery_whose_every_file_is_rejected_ends_without_saying_the_rest_loaded(
        tmp_path: Path) -> None:
    folder = delivery(tmp_path / "m", {"police_crimes": [valid_row("police_crimes")]})
    (folder / "manifest.toml").write_text(
        "extract_date = 2018-09-30\n[files.police_crimes]\nrows = 2\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "data")],
                           env={"COLUMNS": "250"})
    said = " ".join(result.output.split())
    assert "1 file(s) rejected." in said and "the rest loaded" not in said


def test_a_rejected_file_sent_again_is_still_rejected_with_its_reason_and_fails_the_run(
        tmp_path: Path) -> None:
    folder = delivery(tmp_path / "m", {"police_crimes": [valid_row("police_crimes")],
                                       "prison_custody": [valid_row("prison_custody")]})
    (folder / "manifest.toml").write_text(
        "extract_date = 2018-09-30\n[files.police_crimes]\nrows = 2\n", encoding="utf-8")
    args = ["ingest", str(folder), "--data-dir", str(tmp_path / "data")]
    assert runner.invoke(app, args, env={"COLUMNS": "250"}).exit_code == 1
    again = runner.invoke(app, args, env={"COLUMNS": "250"})
    said = " ".join(again.output.split())
    assert again.exit_code == 1
    assert "identical file already rejected in delivery m: the manifest gives 2 data rows" in said
    assert "the rejected ones are still rejected" in said


def test_ingest_says_when_a_delivery_has_no_manifest(tmp_path: Path) -> None:
    folder = delivery(tmp_path / "m", {"police_crimes": [valid_row("police_crimes")]})
    result = runner.invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "data")],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "No manifest.toml: every file read as changes only" in " ".join(result.output.split())


def test_history_shows_a_records_versions_and_audits_the_look_up(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from localjustice.appdb import database_url

    data = tmp_path / "data"
    first = delivery(tmp_path / "m1", {"prison_custody": [
        valid_row("prison_custody", custody_id="X1", release_date="", surname=SECRET_SURNAME)]})
    second = delivery(tmp_path / "m2", {"prison_custody": [
        valid_row("prison_custody", custody_id="X1", release_date="2018-09-01",
                  surname=SECRET_SURNAME)]})
    for folder in (first, second):
        assert runner.invoke(app, ["ingest", str(folder), "--data-dir", str(data)]).exit_code == 0
    base = ["history", "prison_custody", "X1", "--data-dir", str(data), "--by", "steward"]
    assert runner.invoke(app, base).exit_code != 0  # no reason: refused, nothing shown
    shown = runner.invoke(app, [*base, "--reason", "checking the release", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    [record] = json.loads(shown.output)
    assert [(v["delivery"], v["state"], v["changed"]) for v in record["versions"]] == [
        ("m1", "superseded", []), ("m2", "current", ["release_date"])]
    table = runner.invoke(app, [*base, "--reason", "checking the release"])
    assert table.exit_code == 0 and "2018-09-01 (changed)" in table.output
    engine = create_engine(database_url(data))
    with engine.connect() as con:
        events = con.execute(text(
            "SELECT actor, subject_id, purpose FROM audit_event WHERE action = 'view' "
            "AND subject_type = 'identity_record'")).fetchall()
    engine.dispose()
    assert [tuple(e) for e in events] == [("cli:steward", "prison_custody:X1",
                                          "checking the release")] * 2
    unknown = runner.invoke(app, ["history", "prisons", "X1", "--data-dir", str(data),
                                  "--by", "s", "--reason", "r"])
    assert unknown.exit_code == 1 and "is not an extract" in unknown.output


@pytest.mark.parametrize("columns", ["80", "250"])
def test_ingest_and_status_never_cut_a_count_whatever_the_terminal_width(
        tmp_path: Path, columns: str) -> None:
    """At 80 columns (and piped output) Rich cut the tables' cells to an ellipsis: a batch's rows
    read showed as a truncated number. Narrow terminals get the counts in words instead."""
    rows = [valid_row("police_crimes", crime_id=f"C{i}") for i in range(1234)]
    folder = delivery(tmp_path / "2018-09", {"police_crimes": rows})
    data = str(tmp_path / "data")
    loaded = runner.invoke(app, ["ingest", str(folder), "--data-dir", data],
                           env={"COLUMNS": columns})
    state = runner.invoke(app, ["status", "--data-dir", data], env={"COLUMNS": columns})
    for output in (loaded.output, state.output):
        assert "…" not in output
        assert "1,234" in output  # whole, on one line
    if columns == "80":
        assert "police_crimes: loaded: read 1,234, new 1,234," in loaded.output
        assert "read 1,234, new 1,234, changed 0" in state.output
        # who sent it: the manifest's partner, else the contract's
        assert "from delivery 2018-09 sent by police (changes)" in " ".join(state.output.split())


def test_withdrawn_lists_the_records_a_snapshot_withdrew_and_audits_the_look(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from localjustice.appdb import database_url

    data = tmp_path / "data"
    first = delivery(tmp_path / "m1", {"prison_custody": [
        valid_row("prison_custody", custody_id=c) for c in ("X1", "X2", "X3")]})
    second = delivery(tmp_path / "m2", {"prison_custody": [
        valid_row("prison_custody", custody_id="X1")]})
    (second / "manifest.toml").write_text(
        'extract_date = 2018-10-31\n[files.prison_custody]\nmode = "snapshot"\n', encoding="utf-8")
    for folder in (first, second):
        assert runner.invoke(app, ["ingest", str(folder), "--data-dir", str(data)]).exit_code == 0
    state = json.loads(runner.invoke(app, ["status", "--data-dir", str(data), "--format",
                                           "json"]).output)
    snapshot = next(b["batch_id"] for b in state["batches"] if b["delivery"] == "m2")
    base = ["withdrawn", snapshot, "--data-dir", str(data), "--by", "steward"]
    assert runner.invoke(app, base).exit_code != 0  # no reason: refused, nothing shown
    shown = runner.invoke(app, [*base, "--reason", "checking with HMPPS", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == [{"key": {"custody_id": "X2"}, "delivery": "m1"},
                                        {"key": {"custody_id": "X3"}, "delivery": "m1"}]
    table = runner.invoke(app, [*base, "--reason", "checking with HMPPS"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "X2" in table.output and "Check with prisons" in table.output
    engine = create_engine(database_url(data))
    with engine.connect() as con:
        events = con.execute(text(
            "SELECT actor, subject_id, purpose FROM audit_event WHERE action = 'view' "
            "AND subject_type = 'quarantine_batch'")).fetchall()
    engine.dispose()
    assert [tuple(e) for e in events] == [("cli:steward", snapshot, "checking with HMPPS")] * 2
    unknown = runner.invoke(app, ["withdrawn", "nope", "--data-dir", str(data), "--by", "s",
                                  "--reason", "r"])
    assert unknown.exit_code == 1 and "No batch has the id 'nope'" in unknown.output
    by_delivery = runner.invoke(app, ["withdrawn", "m2", "--data-dir", str(data), "--by", "s",
                                      "--reason", "r"], env={"COLUMNS": "250"})
    assert by_delivery.exit_code == 1
    assert (f"'m2' is a delivery, not a batch; give one of its batches: {snapshot} "
            "(prison_custody.csv, 2 withdrawn)") in " ".join(by_delivery.output.split())
