"""``localjustice board-pack --quarter 2026Q3 --out DIR`` builds the draft pack's HTML and PDF,
stores it in the app database and copies both documents to DIR; a bad quarter says how to write it."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from localjustice.cli import app
from tests.governance.published import write_published


def test_board_pack_builds_both_documents_as_a_draft(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_published(data / "published")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["board-pack", "--quarter", "2026Q3", "--out", str(out),
                                      "--data-dir", str(data)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Board pack 2026Q3, draft 1" in result.output
    assert (out / "board-pack-2026Q3.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    pdf = PdfReader(out / "board-pack-2026Q3.pdf")
    assert "quarterly pack, 2026Q3" in " ".join(pdf.pages[0].extract_text().split())
    assert (data / "board-packs" / "1" / "board-pack-2026Q3.pdf").is_file()

    bad = CliRunner().invoke(app, ["board-pack", "--quarter", "2026-3", "--data-dir", str(data)],
                             env={"COLUMNS": "250"})
    assert bad.exit_code == 1 and "2026Q3" in bad.output
