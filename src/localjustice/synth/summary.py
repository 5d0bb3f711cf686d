"""What a generation run produced, for the CLI to show and tests to check."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich import box
from rich.text import Text

from localjustice.cli_table import Table
from localjustice.synth.calibration_check import Measured
from localjustice.synth.monthly import DeliveryChanges


@dataclass(frozen=True)
class SynthSummary:
    """Rows and distinct true people per source, run time, and calibration achieved."""

    rows: dict[str, int]
    people: dict[str, int]
    distinct_people: int
    injected_errors: int
    elapsed_seconds: float
    calibration: dict[str, Measured] = field(default_factory=dict)
    #: the same measures in each year of the window alone, by the year's label
    calibration_by_year: dict[str, dict[str, Measured]] = field(default_factory=dict)
    #: monthly deliveries only: each delivery folder, in load order, and what it changes
    deliveries: tuple[DeliveryChanges, ...] = ()

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def as_table(self) -> Table:
        table = Table(title="Synthetic delivery")
        table.add_column("Source / measure")
        table.add_column("Rows / achieved", justify="right")
        table.add_column("People / target", justify="right")
        for source, count in self.rows.items():
            people = self.people.get(source)
            table.add_row(source, f"{count:,}", "" if people is None else f"{people:,}")
        table.add_row(Text("total", style="bold"), f"{self.total_rows:,}",
                      f"{self.distinct_people:,}", end_section=True)
        table.add_row("injected errors", f"{self.injected_errors:,}", "")
        table.add_row("seconds", f"{self.elapsed_seconds:.1f}", "")
        return table

    def calibration_table(self) -> Table:
        """Each calibration measure in every year of the window (✓ within its target's band, ✗
        outside), the years pooled when there are several, and the target.

        A year that is not a calendar year is headed by its first and last months on two lines,
        so that four years, the pooled column and the target fit an 80-column terminal."""
        table = Table(title="Calibration against London's published figures, by year of the window",
                      box=box.SIMPLE, pad_edge=False, collapse_padding=True)
        table.add_column("measure", overflow="fold")
        columns = list(self.calibration_by_year.items())
        if len(columns) != 1:
            columns.append(("all years", self.calibration))
        for label, _ in columns:
            table.add_column(label.replace("..", "\n").replace("all ", "all\n"), justify="right",
                             no_wrap=True)
        table.add_column("target", justify="right", no_wrap=True)
        for name, pooled in self.calibration.items():
            rate = name.startswith("reoffending") or name.endswith("share")
            cells = [_achieved(year[name], rate) for _, year in columns]
            target = "" if pooled.target is None else _number(pooled.target, rate)
            table.add_row(name, *cells, target)
        return table

    def deliveries_table(self) -> Table:
        """One row per delivery of a monthly series: rows sent and what they change."""
        table = Table(
            title="Deliveries, in load order (each extracted on its month's last day)",
            box=box.SIMPLE,
            pad_edge=False,
            collapse_padding=True,
            caption="new: records first sent (late: crimes recorded after the month committed); "
            "ended: released or order ended; reclass: crime reclassified; dob: date of birth "
            "corrected; fixed: a broken row re-sent fixed; broken: rows made to fail a rule; "
            "withdrawn: no-crimed, missing from a snapshot; resent: unchanged rows of a snapshot.",
        )
        rows = [[d.delivery, f"{d.rows:,}", *(f"{d.changes[k]:,}" for k in _SHORT)]
                for d in self.deliveries]
        # a column is at least as wide as its widest value, so a narrow terminal folds the
        # headers and never cuts a count ("2,52" for 2,524)
        for i, name in enumerate(("delivery", "rows", *_SHORT.values())):
            table.add_column(name, justify="left" if i == 0 else "right",
                             min_width=max((len(r[i]) for r in rows), default=1))
        for row in rows:
            table.add_row(*row)
        return table


def _number(value: float, rate: bool) -> str:
    if math.isnan(value):
        return "-"
    if rate:
        return f"{value:.1%}"
    return f"{value:,.1f}" if abs(value) < 10 and not value.is_integer() else f"{value:,.0f}"


def _achieved(m: Measured, rate: bool) -> str:
    return _number(m.value, rate) + {True: " ✓", False: " ✗", None: ""}[m.within]


#: Column labels of the deliveries table, by change kind.
_SHORT = {
    "new": "new",
    "late_recorded": "late",
    "ended": "ended",
    "reclassified": "reclass",
    "dob_corrected": "dob",
    "corrected": "fixed",
    "broken": "broken",
    "withdrawn": "withdrawn",
    "resent_unchanged": "resent",
}
