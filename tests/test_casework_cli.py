"""``localjustice casework check-checklist FILE`` reads a risk checklist as the web app's
``LOCALJUSTICE_RISK_CHECKLIST`` would: a good file prints its questions, levels and tasks; a bad
one prints what to fix and exits 1."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from localjustice.cli import app

runner = CliRunner()
ENV = {"COLUMNS": "200"}
GOOD = """key = "own"\ntitle = "Own screening"\nversion = "7"\ncitation = "Ours."
reassess_after = "new_incident"\nreassess_within_working_days = 2
[thresholds]\nmedium = 1\nhigh = 4\n[[questions]]\nkey = "watched"\ntext = "Are they watched?"\nscore = 2
[[questions]]\nkey = "strangled"\ntext = "Strangled?"\nat_least = "high"
[[tasks]]\nlevel = "high"\nkey = "advocate"\nsummary = "Refer to an advocate"\nworking_days = 3\n"""


def test_a_good_file_prints_its_questions_levels_and_tasks(tmp_path: Path) -> None:
    path = tmp_path / "own.toml"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(app, ["casework", "check-checklist", str(path)], env=ENV)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Own screening (own, version 7)" in out
    assert "Are they watched?" in out and "Refer to an advocate" in out
    assert f"LOCALJUSTICE_RISK_CHECKLIST={path.resolve()}" in out
    levels = out[out.index("Levels"):]
    assert "medium" in levels and " 1 " in levels and " 4 " in levels


def test_a_bad_or_missing_file_prints_the_problem_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace('at_least = "high"', 'at_least = "severe"'), encoding="utf-8")
    result = runner.invoke(app, ["casework", "check-checklist", str(path)], env=ENV)
    assert result.exit_code == 1
    assert "question 2 (strangled): at_least must be one of" in result.output
    missing = runner.invoke(app, ["casework", "check-checklist", str(tmp_path / "none.toml")], env=ENV)
    assert missing.exit_code == 1 and "No risk checklist file" in missing.output
