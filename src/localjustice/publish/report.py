"""``build_report``: every measure for a period, disclosure-controlled, as HTML and a spreadsheet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localjustice.area import load_area
from localjustice.errors import LocalJusticeError
from localjustice.measures import PublishedMeasure, measure_names, published_measure
from localjustice.progress import NullProgress, Progress
from localjustice.publish.dashboard import available_periods
from localjustice.publish.finance_section import SIMS as FINANCE_SIMS
from localjustice.publish.finance_section import FinanceSection, finance_section
from localjustice.publish.html_report import render_html
from localjustice.publish.spreadsheet import write_spreadsheet
from localjustice.warehouse import Warehouse


@dataclass(frozen=True)
class Report:
    html_path: Path
    spreadsheet_path: Path
    period: str
    measures: list[PublishedMeasure]
    finance: FinanceSection


def default_period(warehouse: Warehouse) -> str:
    """The latest calendar year the data cover whole (see ``available_periods``)."""
    years = [p for p in available_periods(warehouse) if "Q" not in p]
    if not years:
        raise LocalJusticeError("The analysis zone holds no calendar year of court outcomes or "
                                "cautions yet. Run `localjustice link` (or `localjustice demo`) "
                                "first, or give a period.")
    return years[0]


def build_report(warehouse: Warehouse, out_dir: Path, *, period: str | None = None,
                 unsuppressed: bool = False, area_slug: str = "london",
                 progress: Progress | None = None, finance_sims: int = FINANCE_SIMS) -> Report:
    """Every measure of ``period``, then the finance section (budgets, deals, scenarios with
    ``finance_sims`` simulations; always disclosure-controlled), as HTML and a spreadsheet."""
    chosen = period or default_period(warehouse)
    bar = (progress or NullProgress()).step("Compute measures", total=len(measure_names()) + 3)
    measures = []
    for name in measure_names():
        measures.append(published_measure(warehouse, name, chosen, unsuppressed=unsuppressed))
        bar.advance()
    finance = finance_section(warehouse, sims=finance_sims)
    bar.advance()
    area = load_area(area_slug).name
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"measures-{chosen}.html"
    html_path.write_text(render_html(measures, period_label=chosen, area_name=area,
                                     finance=finance), encoding="utf-8")
    bar.advance()
    sheet = write_spreadsheet(measures, out_dir / f"measures-{chosen}.xlsx", period_label=chosen,
                              area_name=area, finance=finance)
    bar.advance()
    return Report(html_path, sheet, chosen, measures, finance)
