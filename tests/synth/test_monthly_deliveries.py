"""Monthly deliveries: records change as life goes on, and the series ends in the single delivery.

The key property, checked on the files themselves (no ingest): replaying the deliveries in load
order, the final version of every record equals its row in the single delivery of the same seed,
and a no-crimed crime is missing from both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from localjustice.cli import app
from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.synth import SynthSummary, generate
from tests.synth.contract_rules import check_file
from tests.synth.monthly_replay import key_of, load_order, manifest, read_delivery, replay, rows

Series = tuple[Path, SynthSummary]
MONTHS = [f"2018-{m:02d}" for m in range(1, 13)]


def _listed(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "truth" / "monthly_injected_errors.csv", dtype=str, keep_default_na=False)


def _single_clean(final: Path) -> dict[str, pd.DataFrame]:
    """The single delivery without its broken rows: what ingest makes current from it."""
    broken = pd.read_csv(final / "truth" / "injected_errors.csv")
    return {
        s: t[~t.index.isin(broken.loc[broken["source"] == s, "row_number"] - 1)]
        for s, t in read_delivery(final / "delivery").items()
    }


def _versions(out: Path, source: str) -> pd.DataFrame:
    """Every row of ``source`` in the changes files, with the delivery that brought it, in load
    order; records that were ever sent broken are left out (their fixes come a month late)."""
    listed = _listed(out)
    parts, broken_keys = [], set()
    for folder in load_order(out):
        table = read_delivery(folder).get(source)
        if table is None:
            continue
        table = table.assign(delivery=folder.name, _key=key_of(source, table).to_numpy())
        broken = listed.loc[(listed["delivery"] == folder.name) & (listed["source"] == source), "row_number"]
        broken_keys |= set(table["_key"].iloc[broken.astype(int).to_numpy() - 1])
        if manifest(folder)["files"][source]["mode"] == "changes":  # type: ignore[index]
            parts.append(table)
    versions = pd.concat(parts, ignore_index=True)
    return versions[~versions["_key"].isin(broken_keys)]


def _first_sent(out: Path, source: str) -> pd.Series:
    """The delivery each record is first sent in (any file, broken or not), by key."""
    parts = [
        pd.Series(folder.name, index=key_of(source, table).to_numpy())
        for folder in load_order(out)
        if (table := read_delivery(folder).get(source)) is not None
    ]
    sent = pd.concat(parts)
    return sent[~sent.index.duplicated(keep="first")]


def _first_and_last(versions: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First and last version of the records sent more than once, in the same (key) order."""
    repeated = versions[versions[key].duplicated(keep=False)]
    by_record = repeated.groupby(key, sort=True)
    return by_record.head(1).sort_values(key), by_record.tail(1).sort_values(key)


@pytest.mark.parametrize("series", ["monthly_series", "history_series"])
def test_the_final_version_of_every_record_is_its_row_in_the_single_delivery(
    series: str, series_final_state: Series, request: pytest.FixtureRequest
) -> None:
    out, _ = request.getfixturevalue(series)
    final, _ = series_final_state
    single = read_delivery(final / "delivery")
    every_last = replay(out, quarantine=False)
    current = replay(out)
    clean = _single_clean(final)
    for source in load_contract().files:
        assert rows(every_last[source]) == rows(single[source]), source
        assert rows(current[source]) == rows(clean[source]), source


def test_the_last_crimes_snapshot_is_the_single_delivery_file(
    monthly_series: Series, series_final_state: Series
) -> None:
    out, _ = monthly_series
    final, _ = series_final_state
    december = out / "monthly" / "2018-12"
    assert manifest(december)["files"]["police_crimes"] == {  # type: ignore[index]
        "mode": "snapshot",
        "rows": len(read_delivery(final / "delivery")["police_crimes"]),
    }
    assert (december / "police_crimes.csv").read_bytes() == (
        final / "delivery" / "police_crimes.csv"
    ).read_bytes()


def test_each_month_is_a_delivery_with_a_manifest_that_states_date_modes_and_rows(
    monthly_series: Series,
) -> None:
    out, summary = monthly_series
    assert [p.relative_to(out).as_posix() for p in load_order(out)] == [f"monthly/{m}" for m in MONTHS]
    assert [d.delivery for d in summary.deliveries] == MONTHS
    for folder in load_order(out):
        stated = manifest(folder)
        assert stated["partner"] == "London synthetic partners"
        end = pd.Period(folder.name, "M").end_time.date()
        assert stated["extract_date"] == end
        files = stated["files"]
        assert isinstance(files, dict)
        tables = read_delivery(folder)
        assert set(files) == set(tables)
        for source, table in tables.items():
            quarter_end = int(folder.name[5:]) % 3 == 0
            expected_mode = "snapshot" if source == "police_crimes" and quarter_end else "changes"
            assert files[source] == {"mode": expected_mode, "rows": len(table)}, (folder.name, source)
            assert len(table) > 0


def test_no_version_is_dated_after_the_month_it_is_sent_in(monthly_series: Series) -> None:
    """A record is sent when its state is known: every date in a clean row is on or before the
    extract date (injected faults such as a future date excepted)."""
    out, _ = monthly_series
    listed = _listed(out)
    contract = load_contract()
    for folder in load_order(out):
        end = str(manifest(folder)["extract_date"])
        for source, table in read_delivery(folder).items():
            bad = listed[(listed["delivery"] == folder.name) & (listed["source"] == source)]
            clean = table[~table.index.isin(bad["row_number"].astype(int) - 1)]
            for column in (c.name for c in contract.file(source).columns if c.type == "date"):
                if column == "date_of_birth":
                    continue
                assert (clean[column].fillna("") <= end).all(), (folder.name, source, column)


def test_custody_is_sent_open_then_again_with_its_release_date(monthly_series: Series) -> None:
    out, _ = monthly_series
    first, last = _first_and_last(_versions(out, "prison_custody"), "custody_id")
    assert len(first) >= 10
    assert (first["release_date"] == "").all()
    # the release is sent in its month; a later version (a date of birth corrected after the
    # release, say) carries the same release date
    versions = _versions(out, "prison_custody")
    released = versions[versions["release_date"] != ""]
    first_released = released.groupby("custody_id", sort=True).head(1).set_index("custody_id")
    # a period sent again while still open is a correction of its person (a date of birth
    # typed wrong and corrected, as here at seed 13: CU000000138 sent in July and September)
    still_open = last[~last["custody_id"].isin(first_released.index)]
    opened = first.set_index("custody_id").loc[still_open["custody_id"]]
    assert (still_open["release_date"] == "").all()
    assert (still_open["date_of_birth"].to_numpy() != opened["date_of_birth"].to_numpy()).all()
    assert len(still_open) < len(last) / 5
    assert (first_released["release_date"].str.slice(0, 7) == first_released["delivery"]).all()
    assert (released["release_date"].to_numpy()
            == first_released.loc[released["custody_id"], "release_date"].to_numpy()).all()
    same = ["source_person_id", "prison_number", "reception_date", "forename", "surname"]
    assert (first[same].to_numpy() == last[same].to_numpy()).all()


def test_orders_are_sent_when_they_start_and_again_when_they_end(monthly_series: Series) -> None:
    out, _ = monthly_series
    first, last = _first_and_last(_versions(out, "probation_supervision"), "supervision_id")
    assert len(first) >= 10
    assert ((first["end_date"] == "") & (first["termination"] == "")).all()
    assert (last["termination"] != "").all()
    assert (last["end_date"].str.slice(0, 7) == last["delivery"]).all()
    first, last = _first_and_last(_versions(out, "electronic_monitoring"), "order_id")
    assert len(first) >= 3
    assert (first["end_date"] == "").all()
    assert (last["end_date"].str.slice(0, 7) == last["delivery"]).all()


@pytest.mark.parametrize("series", ["monthly_series", "history_series"])
def test_every_record_is_first_sent_in_the_month_it_became_known(
    series: str, request: pytest.FixtureRequest
) -> None:
    """Known when its first event happens: a crime when recorded (victims with it), an order when
    it starts, a custody period at reception, an outcome when decided; in the history layout,
    everything known by then is in the history."""
    out, _ = request.getfixturevalue(series)
    current = replay(out)
    recorded = current["police_crimes"].set_index("crime_id")["recorded_date"]
    for extract in load_contract().files.values():
        table = current[extract.name]
        if extract.name == "police_crimes":
            known = table["recorded_date"]
        elif extract.name == "police_victims":
            known = table["crime_id"].map(recorded)
        else:
            known = table[extract.event_date]
        month = known.str.slice(0, 7).to_numpy()
        if series == "history_series":
            month = np.where(month <= "2018-09", "history", month)
        first = _first_sent(out, extract.name).loc[key_of(extract.name, table).to_numpy()]
        assert (first.to_numpy() == month).all(), extract.name


def test_many_crimes_are_recorded_late_and_some_are_reclassified(monthly_series: Series) -> None:
    out, _ = monthly_series
    crimes = replay(out)["police_crimes"]
    late = crimes["committed_date"].str.slice(0, 7) < crimes["recorded_date"].str.slice(0, 7)
    assert late.sum() >= 50
    listed = _listed(out)
    parts = []
    for folder in load_order(out):
        table = read_delivery(folder)["police_crimes"]
        broken = listed.loc[(listed["delivery"] == folder.name) & (listed["source"] == "police_crimes")]
        parts.append(table[~table.index.isin(broken["row_number"].astype(int) - 1)])
    sent = pd.concat(parts, ignore_index=True)
    sent = sent[sent["crime_id"].isin(crimes["crime_id"])]
    groups = sent.drop_duplicates(["crime_id", "offence_group"]).groupby("crime_id")["offence_group"]
    reclassified = groups.nunique() > 1
    assert reclassified.sum() >= 5
    final = crimes.set_index("crime_id")["offence_group"]
    first = sent.drop_duplicates("crime_id").set_index("crime_id")["offence_group"]
    changed = reclassified[reclassified].index
    assert (first.loc[changed] != final.loc[changed]).all()


def test_no_crimed_crimes_are_sent_then_withdrawn_by_the_next_snapshot(
    monthly_series: Series, series_final_state: Series
) -> None:
    out, summary = monthly_series
    final, _ = series_final_state
    single = set(read_delivery(final / "delivery")["police_crimes"]["crime_id"])
    referred = {
        crime
        for folder in load_order(out)
        for source, table in read_delivery(folder).items()
        if source != "police_crimes" and "crime_id" in table
        for crime in table["crime_id"]
    }
    sent_before: set[str] = set()
    withdrawn = 0
    for folder in load_order(out):
        crimes = read_delivery(folder)["police_crimes"]
        if manifest(folder)["files"]["police_crimes"]["mode"] == "snapshot":  # type: ignore[index]
            gone = sent_before - set(crimes["crime_id"])
            assert not gone & single
            assert not gone & referred
            withdrawn += len(gone)
            sent_before -= gone
        sent_before |= set(crimes["crime_id"])
    assert withdrawn >= 3
    assert withdrawn == sum(d.changes["withdrawn"] for d in summary.deliveries)


def test_some_dates_of_birth_are_sent_mistyped_and_corrected_later(monthly_series: Series) -> None:
    out, _ = monthly_series
    corrected = 0
    for extract in load_contract().person_bearing_files:
        versions = _versions(out, extract.name).assign(_key=lambda t, n=extract.name: key_of(n, t).to_numpy())
        births = versions.drop_duplicates(["_key", "date_of_birth"]).groupby("_key")["source_person_id"]
        corrected += int((births.size() > 1).sum())
    assert corrected >= 10


def test_broken_rows_are_exactly_the_rows_that_break_the_contract_and_come_back_fixed(
    monthly_series: Series,
) -> None:
    """Checked delivery by delivery, with references judged against the crimes sent so far."""
    out, _ = monthly_series
    contract = load_contract()
    listed = _listed(out)
    crimes_so_far = pd.DataFrame(columns=contract.file("police_crimes").column_names)
    for folder in load_order(out):
        tables = read_delivery(folder)
        crimes_so_far = pd.concat([crimes_so_far, tables["police_crimes"]], ignore_index=True)
        known = {**tables, "police_crimes": crimes_so_far}
        found = set()
        for source, table in tables.items():
            found |= {
                (s, r)
                for s, r, _, rule in check_file(contract.file(source), table, known)
                if rule != "pattern_warning"
            }
        mine = listed[listed["delivery"] == folder.name]
        assert set(zip(mine["source"], mine["row_number"].astype(int), strict=True)) == found, folder.name
    fixed = listed[listed["fixed_in"] != ""]
    assert len(fixed) >= 10
    for row in fixed.itertuples():
        broken_row = read_delivery(out / "monthly" / row.delivery)[row.source].iloc[int(row.row_number) - 1]
        later = read_delivery(out / "monthly" / row.fixed_in)[row.source]
        key = list(contract.file(row.source).key)
        again = later[(later[key] == broken_row[key]).all(axis=1)]
        assert len(again) == 1
        assert again.iloc[0][row.column] != broken_row[row.column]
        assert (
            not listed[(listed["delivery"] == row.fixed_in) & (listed["source"] == row.source)]["row_number"]
            .astype(int)
            .isin(again.index + 1)
            .any()
        )


def test_the_truth_maps_every_version_to_its_person(
    monthly_series: Series, series_final_state: Series
) -> None:
    out, _ = monthly_series
    final, _ = series_final_state
    person_map = pd.read_csv(out / "truth" / "person_map.csv", dtype=str)
    assert person_map.equals(pd.read_csv(final / "truth" / "person_map.csv", dtype=str))
    mapped = person_map.groupby("source")["source_person_id"].agg(set)
    single = read_delivery(final / "delivery")
    for extract in load_contract().person_bearing_files:
        ids: set[str] = set()
        for folder in load_order(out):
            table = read_delivery(folder).get(extract.name)
            ids |= set() if table is None else set(table["source_person_id"])
        assert ids == set(single[extract.name]["source_person_id"]), extract.name
        # Only the single delivery's broken rows may have lost their id.
        assert ids - {""} <= mapped[extract.name]


def test_history_is_one_snapshot_delivery_followed_by_the_later_months(history_series: Series) -> None:
    out, summary = history_series
    assert [p.relative_to(out).as_posix() for p in load_order(out)] == [
        "history",
        "monthly/2018-10",
        "monthly/2018-11",
        "monthly/2018-12",
    ]
    assert [d.delivery for d in summary.deliveries] == ["history", "2018-10", "2018-11", "2018-12"]
    stated = manifest(out / "history")
    assert str(stated["extract_date"]) == "2018-09-30"
    assert {f["mode"] for f in stated["files"].values()} == {"snapshot"}  # type: ignore[union-attr]
    assert not (out / "monthly" / "2018-09").exists()


def test_a_monthly_series_is_byte_identical_for_a_seed_and_can_share_a_folder_with_its_final_state(
    tmp_path: Path, monthly_series: Series, series_final_state: Series
) -> None:
    out, _ = monthly_series
    final, _ = series_final_state
    from tests.synth.conftest import SERIES

    generate(tmp_path, **SERIES)  # type: ignore[arg-type]
    generate(tmp_path, deliveries="monthly", **SERIES)  # type: ignore[arg-type]
    for path in [*sorted((final / "delivery").iterdir()), final / "truth" / "injected_errors.csv"]:
        assert path.read_bytes() == (tmp_path / path.relative_to(final)).read_bytes(), path
    for folder in load_order(out):
        for path in sorted(folder.iterdir()):
            assert path.read_bytes() == (tmp_path / path.relative_to(out)).read_bytes(), path
    for name in ("monthly_injected_errors.csv", "delivery_changes.csv", "person_map.csv"):
        assert (out / "truth" / name).read_bytes() == (tmp_path / "truth" / name).read_bytes()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deliveries": "weekly"}, "Unknown deliveries"),
        ({"history_until": "2018-09"}, "needs monthly deliveries"),
        ({"deliveries": "monthly", "history_until": "2018-12"}, "at least one monthly delivery"),
        ({"deliveries": "monthly", "history_until": "2017-12"}, "at least one monthly delivery"),
        ({"deliveries": "monthly", "history_until": "Sept 2018"}, "YYYY-MM"),
        ({"deliveries": "monthly", "history_until": "2018-13"}, "YYYY-MM"),
    ],
)
def test_delivery_arguments_that_cannot_work_are_refused(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(LocalJusticeError, match=message):
        generate(tmp_path, until="2018-12", years=1, scale=0.01, **kwargs)  # type: ignore[arg-type]


def test_the_summary_and_the_changes_file_agree_with_the_manifests(monthly_series: Series) -> None:
    out, summary = monthly_series
    changes = pd.read_csv(out / "truth" / "delivery_changes.csv", dtype={"delivery": str})
    assert list(changes["delivery"]) == [d.delivery for d in summary.deliveries]
    for report, (_, row) in zip(summary.deliveries, changes.iterrows(), strict=True):
        stated = manifest(out / "monthly" / report.delivery)["files"]
        assert report.rows == row["rows"] == sum(f["rows"] for f in stated.values())  # type: ignore[union-attr]
        assert report.changes == {k: row[k] for k in report.changes}
        assert report.changes["new"] > 0
    assert summary.deliveries_table().row_count == 12
    assert sum(d.changes["corrected"] for d in summary.deliveries) == (_listed(out)["fixed_in"] != "").sum()


def test_the_command_writes_history_and_months_and_says_where(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "synth",
            "--out",
            str(tmp_path),
            "--scale",
            "0.003",
            "--until",
            "2018-12",
            "--years",
            "1",
            "--deliveries",
            "monthly",
            "--history-until",
            "2018-11",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "load_order.txt").read_text().split() == ["history", "monthly/2018-12"]
    assert "Deliveries, in load order" in result.output
    # a long temporary path may wrap anywhere, even inside the file name
    assert "load_order.txt" in result.output.replace("\n", "")
    refused = CliRunner().invoke(app, ["synth", "--out", str(tmp_path), "--until", "2018-12",
                                       "--history-until", "2018-11"])
    assert refused.exit_code != 0
    assert "needs monthly deliveries" in refused.output
