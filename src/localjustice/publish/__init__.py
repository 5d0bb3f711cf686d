"""Publication: the report (accessible HTML, spreadsheet) and JSON for the web dashboard.

Nothing here computes a statistic; everything published has been through disclosure control
(``localjustice.measures.disclosure``). The public face:

``measure_tables(warehouse, measure, period, *, borough=None, cohort=None) -> dict``
    One measure for one period (``"2018"`` or ``"2018Q1"``), disclosure-controlled, as a
    JSON-ready dict: ``measure``, ``title``, ``period`` {label, kind, start, end},
    ``disclosure_controlled``, the headline figures at top level (for proven reoffending:
    ``cohort``, ``offenders``, ``reoffenders``, ``proven_reoffences``, ``rate`` ...),
    ``breakdowns`` (a list of tables: ``name``, ``title``, ``columns`` [{name, label}],
    ``rows`` [{column: number or marker such as "[c]"}], ``summary`` (plain English),
    ``chart`` (a Vega-Lite specification, or None)), ``methodology``, ``notes``, ``legend``.
    ``borough`` is an ONS code (E09...); ``cohort`` narrows proven reoffending to ``adult``,
    ``juvenile`` or ``young_adult``. Raises ``LocalJusticeError`` on a bad name or period.
``available_periods(warehouse) -> list[str]``
    Years and quarters the data cover whole, newest first (``["2025", "2025Q4", ...]``).
``measure_catalogue() -> list[dict[str, str]]``
    Every measure: ``name``, ``title``, ``methodology``.
``build_report(warehouse, out_dir, *, period=None, unsuppressed=False) -> Report``
    Writes ``measures-<period>.html`` and ``measures-<period>.xlsx`` into ``out_dir``.
``as_json``, ``as_csv``, ``as_rich``: a ``PublishedMeasure`` in the CLI's formats.
"""

from localjustice.publish.dashboard import available_periods, measure_catalogue, measure_tables
from localjustice.publish.formats import FORMATS, as_csv, as_json, as_rich
from localjustice.publish.report import Report, build_report, default_period

__all__ = [
    "FORMATS",
    "Report",
    "as_csv",
    "as_json",
    "as_rich",
    "available_periods",
    "build_report",
    "default_period",
    "measure_catalogue",
    "measure_tables",
]
