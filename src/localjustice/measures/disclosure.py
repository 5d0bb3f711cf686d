"""Disclosure control for every published table: nobody can be identified from what we print.

The rules (DESIGN.md, "Zones and data protection", after the Government Statistical Service's
"Disclosure control" guidance and the Ministry of Justice's practice in its statistical
publications):

1. *Primary suppression*: a count of 1 to 4 people is not printed.
2. *Secondary suppression*: further cells are suppressed until no suppressed cell can be worked
   out from the cells that are printed. A table's printed cells are bound by equations (rows add
   up to the Total row; parts add up to the column they are part of, e.g. reoffenders plus
   non-reoffenders make offenders). We model those equations and attack the table the way a
   reader would: a suppressed cell is *recoverable* when the equations, with every count at least
   zero, allow it only one value. While some suppressed cell (or a hidden count of 1 to 4, such
   as "all but two reoffended") is recoverable, we suppress one more cell in one of its
   equations, choosing the smallest non-zero body cell, so as little as possible is lost.
3. Rates and ratios are withheld where a count they are made from is suppressed, and are not
   shown where their base is under 30 (``rate_marker``: the one statement of this rule, used for
   table cells, the headline and the dashboard feed alike).
4. Suppressed cells carry a marker (``[c]``, ``[u]``), never a zero.
5. A measure's headline figures are published as the table cells they copy (a Total-row column of
   the same name, or the cell named in ``MeasureResult.headline_cells``), never from the raw
   figures: a headline share of 14.3% of 7 sentences, or a count the table suppressed as a
   secondary cell, would give a suppressed count away.

The attack is exact (linear programming over the table's equations), so the guarantee does not
rest on a rule of thumb such as "two suppressions in each row and column", which can still leave
a cell recoverable when suppressed cells link several rows and columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from localjustice.measures.tables import (
    LOW_BASE,
    NOT_APPLICABLE,
    SUPPRESSED,
    TOTAL,
    MeasureResult,
    MeasureTable,
    PublishedMeasure,
    PublishedTable,
    RateColumn,
)

#: Counts from 1 to this are suppressed.
MAX_SUPPRESSED_COUNT = 4
#: Rates whose base is under this are withheld.
MIN_RATE_BASE = 30

Cell = tuple[int, str]


def is_sensitive(value: Any) -> bool:
    return isinstance(value, int | np.integer) and 1 <= int(value) <= MAX_SUPPRESSED_COUNT


@dataclass
class _Grid:
    """The count cells of a table (body rows, then the Total row) and the equations binding them."""

    cells: list[Cell]
    values: NDArray[np.float64]
    equations: NDArray[np.float64]
    total_row: int | None
    parent_columns: set[str]
    hidden: set[Cell]

    @classmethod
    def of(cls, table: MeasureTable) -> _Grid:
        rows = [*table.rows, *([table.total] if table.total is not None else [])]
        names = [c.name for c in table.counts]
        cells = [(r, n) for r in range(len(rows)) for n in names]
        index = {cell: i for i, cell in enumerate(cells)}
        values = np.array([float(rows[r][n] or 0) for r, n in cells])
        equations: list[NDArray[np.float64]] = []
        total_row = len(table.rows) if table.total is not None else None
        if total_row is not None:
            for n in names:
                eq = np.zeros(len(cells))
                for r in range(len(table.rows)):
                    eq[index[(r, n)]] = 1.0
                eq[index[(total_row, n)]] = -1.0
                equations.append(eq)
        parents = {c.part_of for c in table.counts if c.part_of}
        for parent in parents:
            for r in range(len(rows)):
                eq = np.zeros(len(cells))
                for c in table.counts:
                    if c.part_of == parent:
                        eq[index[(r, c.name)]] = 1.0
                eq[index[(r, parent)]] = -1.0
                equations.append(eq)
        matrix = np.array(equations) if equations else np.zeros((0, len(cells)))
        hidden = {(r, c.name) for r in range(len(rows)) for c in table.counts if c.hidden}
        return cls(cells, values, matrix, total_row, {p for p in parents if p}, hidden)


def recoverable(grid: _Grid, unknown: set[Cell], cell: Cell) -> bool:
    """Can a reader pin ``cell`` to one value from the printed cells and the table's equations?

    Solves for the smallest and largest value the cell can take with every unknown count at least
    zero; the cell is recoverable when the two are less than one apart.
    """
    index = {c: i for i, c in enumerate(grid.cells)}
    unknown_ix = [index[c] for c in sorted(unknown)]
    target = sorted(unknown).index(cell)
    involved = [e for e in grid.equations if np.any(e[unknown_ix] != 0)]
    if not involved:
        return False
    a = np.array(involved)
    known_mask = np.ones(len(grid.cells), dtype=bool)
    known_mask[unknown_ix] = False
    a_unknown = a[:, unknown_ix]
    b = -(a[:, known_mask] @ grid.values[known_mask])
    objective = np.zeros(len(unknown_ix))
    objective[target] = 1.0
    bounds = [(0.0, None)] * len(unknown_ix)
    low = linprog(objective, A_eq=a_unknown, b_eq=b, bounds=bounds, method="highs")
    high = linprog(-objective, A_eq=a_unknown, b_eq=b, bounds=bounds, method="highs")
    if low.status != 0 or high.status == 2:
        return True
    if high.status == 3:
        return False
    return bool(-high.fun - low.fun < 1.0 - 1e-9)


def _cost(grid: _Grid, unknown: set[Cell], cell: Cell) -> tuple[int, int, int, float, int]:
    """Which printed cell to give up first: one that closes a loop of suppressions (so both
    its equations get a second unknown), then body cells before totals, non-zero before zero,
    then the smallest value."""
    index = {c: i for i, c in enumerate(grid.cells)}
    i = index[cell]
    lonely = sum(1 for eq in grid.equations if eq[i] != 0 and
                 sum(1 for j in np.flatnonzero(eq) if grid.cells[j] in unknown) == 1)
    row, name = cell
    margin = int(row == grid.total_row) + int(name in grid.parent_columns)
    value = float(grid.values[i])
    return (margin, -lonely, int(value == 0), value, i)


def _printed_partners(grid: _Grid, unknown: set[Cell], cell: Cell) -> set[Cell]:
    index = {c: i for i, c in enumerate(grid.cells)}
    out: set[Cell] = set()
    for eq in grid.equations:
        if eq[index[cell]] != 0:
            out |= {grid.cells[j] for j in np.flatnonzero(eq) if grid.cells[j] not in unknown}
    return out


def _pair_up(grid: _Grid, suppressed: set[Cell], protect: set[Cell]) -> set[Cell]:
    """Suppress until no equation holds exactly one unknown cell that needs protecting."""
    suppressed = set(suppressed)
    while True:
        unknown = suppressed | grid.hidden
        needy = None
        for eq in grid.equations:
            cells = [grid.cells[j] for j in np.flatnonzero(eq) if grid.cells[j] in unknown]
            if len(cells) == 1 and cells[0] in (suppressed | protect):
                needy = cells[0]
                partners = {grid.cells[j] for j in np.flatnonzero(eq)} - unknown
                if partners:
                    suppressed.add(min(partners, key=lambda c: _cost(grid, unknown, c)))
                    break
                needy = None
        if needy is None:
            return suppressed


def suppressed_cells(table: MeasureTable, forced: set[Cell] | None = None) -> set[Cell]:
    """Every printed count cell to suppress: primary (1 to 4), forced, and secondary."""
    grid = _Grid.of(table)
    index = {c: i for i, c in enumerate(grid.cells)}
    sensitive = {c for c in grid.cells if is_sensitive(int(grid.values[index[c]]))}
    hidden_sensitive = sensitive & grid.hidden
    suppressed = {c for c in sensitive if c not in grid.hidden} | (forced or set())
    for _ in range(len(grid.cells) + 1):
        suppressed = _pair_up(grid, suppressed, hidden_sensitive)
        unknown = suppressed | grid.hidden
        exposed = next((c for c in sorted(suppressed | hidden_sensitive)
                        if recoverable(grid, unknown, c)), None)
        if exposed is None:
            return suppressed
        partners = _printed_partners(grid, unknown, exposed) or {
            c for u in unknown for c in _printed_partners(grid, unknown, u)}
        if not partners:
            raise RuntimeError(f"cannot protect cell {exposed} of table {table.name}")
        suppressed.add(min(partners, key=lambda c: _cost(grid, unknown, c)))
    raise RuntimeError(f"disclosure control did not settle for table {table.name}")


def rate_marker(numerator: Any, denominator: Any, *, min_base: int = MIN_RATE_BASE) -> str | None:
    """The marker a rate must print instead of its value, or None when the value may be printed.

    ``numerator`` and ``denominator`` are the *published* cells of the counts the rate is made
    from: a rate is withheld (``[c]``) when either is suppressed (a marker, or a count of 1 to 4
    that should have been one), because rate x base gives the count back; it does not apply
    (``[z]``) on a base of zero; it is not shown (``[u]``) on a base under ``MIN_RATE_BASE``
    (or the rate's own higher minimum). Rule 3 of the module docstring.
    """
    if any(isinstance(v, str) or is_sensitive(v) for v in (numerator, denominator)):
        return SUPPRESSED
    if denominator is None or denominator == 0:
        return NOT_APPLICABLE
    if denominator < max(min_base, MIN_RATE_BASE):
        return LOW_BASE
    return None


def _rate_cell(row: dict[str, Any], rate: RateColumn, blocked: set[str], derived: bool,
               controlled: bool) -> Any:
    if derived and isinstance(row.get(rate.name), str) and not (
            controlled and {rate.numerator, rate.denominator} & blocked):
        return row[rate.name]
    base = row.get(rate.denominator)
    if not controlled:
        if base is None or base == 0:
            return NOT_APPLICABLE
    else:
        def published(name: str) -> Any:
            return SUPPRESSED if name in blocked else row.get(name)
        marker = rate_marker(published(rate.numerator), published(rate.denominator),
                             min_base=rate.min_base)
        if marker is not None:
            return marker
    value = row.get(rate.name) if derived else row[rate.numerator] * rate.scale / base
    return NOT_APPLICABLE if value is None else round(float(value), rate.decimals)


def publish_table(table: MeasureTable, *, controlled: bool = True,
                  forced: set[Cell] | None = None) -> tuple[PublishedTable, set[Cell]]:
    """The printed table; also returns the suppressed cells (row index, column)."""
    suppressed = suppressed_cells(table, forced) if controlled else set()
    rows_in = [*table.rows, *([table.total] if table.total is not None else [])]
    printed: list[dict[str, Any]] = []
    reference = next((r for r, row in enumerate(table.rows)
                      if row[table.dimension] == table.reference_category), None)
    reference_blocked = {name for (rr, name) in suppressed if rr == reference}
    reference_base = table.rows[reference] if reference is not None else {}
    for r, row in enumerate(rows_in):
        blocked = {name for (rr, name) in suppressed if rr == r}
        derived_blocked = blocked | reference_blocked
        out: dict[str, Any] = {table.dimension: TOTAL if r == len(table.rows) else row[table.dimension]}
        for c in table.printed_counts:
            out[c.name] = SUPPRESSED if c.name in blocked else int(row[c.name] or 0)
        for rate in table.rates:
            out[rate.name] = _rate_cell(row, rate, blocked, False, controlled)
        for d in table.derived:
            value = _rate_cell(row, d, derived_blocked, True, controlled)
            if controlled and value not in (SUPPRESSED, NOT_APPLICABLE) and int(
                    reference_base.get(d.denominator) or 0) < MIN_RATE_BASE and reference is not None:
                value = LOW_BASE
            out[d.name] = value
        printed.append(out)
    return (PublishedTable(table.name, table.title, table.column_labels(), printed, table.summary),
            suppressed)


def publish_measure(result: MeasureResult, *, unsuppressed: bool = False) -> PublishedMeasure:
    """Apply disclosure control to every table of a measure, consistently across tables.

    Tables of one measure share their Total row (the headline). A Total cell suppressed in one
    table is suppressed in all, and in the headline, or the others would give it away.
    """
    controlled = not unsuppressed
    forced_totals: set[str] = set()
    for _ in range(10):
        published: list[PublishedTable] = []
        total_suppressed: set[str] = set()
        for table in result.tables:
            total_row = len(table.rows)
            forced = ({(total_row, n) for n in forced_totals if n in {c.name for c in table.counts}}
                      if table.total is not None else set())
            printed, cells = publish_table(table, controlled=controlled, forced=forced)
            published.append(printed)
            total_suppressed |= {n for r, n in cells if table.total is not None and r == total_row}
        if total_suppressed <= forced_totals:
            break
        forced_totals |= total_suppressed
    headline = _publish_headline(result, published, controlled)
    return PublishedMeasure(result.measure, result.title, result.period, headline, published,
                            result.methodology, result.notes, result.scope, unsuppressed)


def _publish_headline(result: MeasureResult, tables: list[PublishedTable],
                      controlled: bool) -> dict[str, Any]:
    """The headline as the published tables print it (rule 5).

    Each figure is the published cell it copies: the one named in ``headline_cells``, else the
    Total row's column of the same name (tables of a measure share their Total row). So a headline
    share is withheld wherever its table's share is (``rate_marker``), and a headline count is
    suppressed wherever its cell is, primary or secondary. A number traced to no cell cannot be
    checked, and publishing it raises rather than guess.
    """
    if not controlled:
        return dict(result.headline)
    cells: dict[tuple[str, str], dict[str, Any]] = {
        (t.name, str(row[t.columns[0][0]])): row for t in tables for row in t.rows}
    totals: dict[str, Any] = {}
    for t in tables:
        if t.rows and t.rows[-1].get(t.columns[0][0]) == TOTAL:
            for k, v in t.rows[-1].items():
                totals.setdefault(k, v)
    out: dict[str, Any] = {}
    for key, value in result.headline.items():
        source = result.headline_cells.get(key)
        if source is not None:
            row = cells.get((source.table, source.category))
            if row is not None:
                out[key] = row[source.column]
            elif value in (0, None):  # no such row: nothing was counted, nothing to disclose
                out[key] = value
            else:
                raise RuntimeError(f"headline {key!r} of {result.measure}: no row "
                                   f"{source.category!r} in table {source.table!r}")
        elif key in totals:
            out[key] = totals[key]
        elif value is None or isinstance(value, str):
            out[key] = value
        else:
            raise RuntimeError(f"headline {key!r} of {result.measure} is not a printed table "
                               "cell, so disclosure control cannot check it: name its cell in "
                               "MeasureResult.headline_cells")
    return out
