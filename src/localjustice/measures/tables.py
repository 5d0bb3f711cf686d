"""What a measure returns: tables of counts and rates, before and after disclosure control.

A table has one category column (its breakdown), count columns and rate columns. Counts are
declared with how they add up, because disclosure control must know which cells a reader could
subtract from which: rows add up to the ``Total`` row, and a column may be a part of another
(reoffenders are part of offenders; the non-reoffenders, never printed, are the other part and
so are declared as a hidden count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localjustice.measures.period import Period

#: Markers after the Government Statistical Service's symbols guidance ("Symbols in tables").
SUPPRESSED = "[c]"
LOW_BASE = "[u]"
NOT_APPLICABLE = "[z]"
LEGEND = {
    SUPPRESSED: "confidential: suppressed so that no person can be identified (a count of 1 to 4, "
                "or a cell suppressed so that such a count cannot be worked out from totals)",
    LOW_BASE: "not shown: the rate's base is fewer than 30, too few for a reliable rate",
    NOT_APPLICABLE: "not applicable",
}
TOTAL = "Total"
UNSUPPRESSED_NOTICE = ("UNSUPPRESSED: raw counts for authorised internal analysis only. Not "
                       "disclosure-controlled; do not publish or share.")


@dataclass(frozen=True)
class CountColumn:
    name: str
    label: str
    #: The column this one is a part of (its row equation), if any.
    part_of: str | None = None
    #: Derivable from printed columns but never printed itself (e.g. non-reoffenders).
    hidden: bool = False


@dataclass(frozen=True)
class RateColumn:
    name: str
    label: str
    numerator: str
    denominator: str
    #: 100 for a percentage, 1 for a ratio such as reoffences per reoffender.
    scale: float = 100.0
    decimals: int = 1
    #: Rates below this base are withheld (DESIGN.md, "Zones and data protection").
    min_base: int = 30


@dataclass
class MeasureTable:
    """Raw figures: ``rows`` hold one dict per category; ``total`` the Total row (or None)."""

    name: str
    title: str
    dimension: str
    dimension_label: str
    counts: tuple[CountColumn, ...]
    rates: tuple[RateColumn, ...] = ()
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, Any] | None = None
    #: Extra printed columns that are neither counts nor rates (e.g. an RRI computed elsewhere).
    derived: tuple[RateColumn, ...] = ()
    summary: str = ""
    #: The row every derived figure is relative to (e.g. White for an RRI): when its counts are
    #: suppressed, every derived figure is withheld, or it would give them away.
    reference_category: str | None = None

    @property
    def printed_counts(self) -> list[CountColumn]:
        return [c for c in self.counts if not c.hidden]

    def column_labels(self) -> list[tuple[str, str]]:
        return ([(self.dimension, self.dimension_label)]
                + [(c.name, c.label) for c in self.printed_counts]
                + [(r.name, r.label) for r in (*self.rates, *self.derived)])


@dataclass
class PublishedTable:
    """A table after disclosure control: each cell is a number or a marker string."""

    name: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    summary: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title,
                "columns": [{"name": n, "label": label} for n, label in self.columns],
                "rows": self.rows, "summary": self.summary}


@dataclass(frozen=True)
class HeadlineCell:
    """The table cell a headline figure copies: the figure is published exactly as that cell is
    after disclosure control, so a headline never prints what its table suppresses (a Female row's
    suppressed count, or a share of it)."""

    table: str
    #: the row's category, or ``TOTAL`` for the Total row
    category: str
    column: str


@dataclass
class MeasureResult:
    """A measure for a period: headline figures and tables, raw (never published as they are)."""

    measure: str
    title: str
    period: Period
    headline: dict[str, Any]
    tables: list[MeasureTable]
    methodology: str
    notes: list[str] = field(default_factory=list)
    #: Describes the population counted (e.g. the cohort, the snapshot date).
    scope: dict[str, Any] = field(default_factory=dict)
    #: Where each headline figure that is not a Total-row column of the same name is printed.
    headline_cells: dict[str, HeadlineCell] = field(default_factory=dict)


@dataclass
class PublishedMeasure:
    measure: str
    title: str
    period: Period
    headline: dict[str, Any]
    tables: list[PublishedTable]
    methodology: str
    notes: list[str]
    scope: dict[str, Any]
    unsuppressed: bool

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "measure": self.measure,
            "title": self.title,
            "period": self.period.as_json(),
            **({"notice": UNSUPPRESSED_NOTICE} if self.unsuppressed else {}),
            "disclosure_controlled": not self.unsuppressed,
            **self.scope,
            **self.headline,
            "breakdowns": [t.as_json() for t in self.tables],
            "methodology": self.methodology,
            "notes": self.notes,
            "legend": {} if self.unsuppressed else LEGEND,
        }
        return body
