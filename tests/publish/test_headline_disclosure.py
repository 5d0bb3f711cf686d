"""Disclosure finding: a headline rate revealed a suppressed count (the report and spreadsheet path).

The HTML report prints each measure's headline; the spreadsheets print its tables and the
dashboard's observations. 7 women sentenced, 1 to short custody: nowhere may the 14.3% share
appear, nor any number in the place of the suppressed count or share.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from localjustice.measures import SUPPRESSED
from localjustice.publish import build_report
from localjustice.publish.dashboard_feed import WHOLE_AREA, publish_dashboard
from tests.measures.test_headline_disclosure import PERIOD, sentence_women_and_men
from tests.measures.zone import Zone
from tests.measures.zone import zone as make_zone


@pytest.fixture
def zone() -> Iterator[Zone]:
    yield from make_zone()


def _every_cell(path: Path) -> list[object]:
    book = load_workbook(path, read_only=True)
    return [v for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row]


def test_disclosure_finding_the_report_and_spreadsheets_withhold_the_share(
        zone: Zone, tmp_path: Path) -> None:
    """Disclosure finding: a headline rate revealed a suppressed count."""
    sentence_women_and_men(zone, women=(1, 0, 6), men=(10, 0, 30))
    report = build_report(zone.warehouse, tmp_path / "report", period=PERIOD)
    page = report.html_path.read_text(encoding="utf-8")
    headline = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page))
    assert headline["Women short share"] == SUPPRESSED
    assert headline["Women short custody"] == SUPPRESSED
    assert headline["Men short share"] == "25"  # printed where its count and base are
    assert "14.3" not in page
    cells = _every_cell(report.spreadsheet_path)
    assert SUPPRESSED in cells and 14.3 not in cells and "14.3" not in cells

    feed = publish_dashboard(zone.warehouse, tmp_path / "published", periods=[PERIOD])
    women = next(m for m in json.loads(feed.read_text())["measures"]
                 if m["id"] == "women_short_sentences")
    london = next(o for o in women["observations"] if o["borough"] == WHOLE_AREA)
    assert london["suppressed"] and london["marker"] == SUPPRESSED
    assert london["value"] is None and london["numerator"] is None
    dashboard_cells = _every_cell(feed.parent / "measures.xlsx")
    assert 14.3 not in dashboard_cells and "14.3" not in dashboard_cells
