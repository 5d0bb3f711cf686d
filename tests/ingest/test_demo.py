"""`localjustice demo` loads its history, then its latest months as monthly deliveries, and prints
what each one changed (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from localjustice import cli

runner = CliRunner()
COUNTS = ("read", "new", "changed", "unchanged", "withdrawn", "quarantined", "resolved")
STATUS_FIELDS = ("rows_read", "rows_new", "rows_changed", "rows_unchanged", "rows_withdrawn",
                 "rows_quarantined", "rows_resolved")


def _table_rows(output: str, names: list[str]) -> dict[str, list[str]]:
    """The cells of the 'What each delivery changed' table, by delivery."""
    table = output[output.index("What each delivery changed"):]
    rows = {}
    for line in table.splitlines():
        cells = line.split()  # a borderless table: cells are separated by spaces
        if cells and cells[0] in names and cells[0] not in rows:
            rows[cells[0]] = cells
    return rows


@pytest.mark.slow
def test_demo_loads_history_then_each_month_and_prints_what_each_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.console, "width", 200)
    data = tmp_path / "data"
    result = runner.invoke(cli.app, ["demo", "--data-dir", str(data), "--scale", "0.003",
                                     "--monthly", "2"])
    assert result.exit_code == 0, result.output
    assert "its history to 2018-10, then 2 monthly deliveries" in result.output
    order = (data / "synthetic" / "load_order.txt").read_text(encoding="utf-8").split()
    assert order == ["history", "monthly/2018-11", "monthly/2018-12"]
    names = ["history", "2018-11", "2018-12"]
    printed = _table_rows(result.output, names)
    assert list(printed) == names

    state = json.loads(runner.invoke(cli.app, ["status", "--data-dir", str(data),
                                               "--format", "json"]).output)
    batches = state["batches"]
    assert [b["delivery"] for b in batches] == sorted(
        (b["delivery"] for b in batches), key=names.index), "loaded in load order"
    warehouse = {name: [sum(b[k] for b in batches if b["delivery"] == name) for k in STATUS_FIELDS]
                 for name in names}
    for name in names:
        cells = printed[name]
        assert cells[1] == str(sum(b["delivery"] == name for b in batches))
        assert [int(c.replace(",", "")) for c in cells[2:2 + len(COUNTS)]] == warehouse[name], name
    history, *months = (dict(zip(COUNTS, warehouse[n], strict=True)) for n in names)
    # the history is a first delivery: all new; the months bring new versions of known records
    assert history["new"] > 0 and history["changed"] == history["unchanged"] == 0
    assert all(m["new"] > 0 for m in months) and sum(m["changed"] for m in months) > 0
    # December's quarterly police_crimes snapshot re-sends the unchanged crimes
    assert months[1]["unchanged"] > 0
    # then linkage, measures and cases ran on what was loaded
    assert "Linkage quality against" in result.output
    assert (data / "published" / "measures.json").is_file()


def test_demo_refuses_more_monthly_deliveries_than_the_window_has_months(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["demo", "--data-dir", str(tmp_path), "--monthly", "12"])
    assert result.exit_code == 1
    assert "--monthly must be from 1 to 11" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "synthetic").exists()
