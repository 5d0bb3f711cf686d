"""Disclosure control: primary and secondary suppression, rates, markers, and the attack.

The attack test plays the reader: from a published table with its row and column totals it
enumerates every table of non-negative whole numbers consistent with what is printed, and
checks that each suppressed cell can take more than one value.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from localjustice.measures import SUPPRESSED, publish_table, suppressed_cells
from localjustice.measures.tables import LOW_BASE, CountColumn, MeasureTable, RateColumn

PARTS = (
    CountColumn("total", "Total"),
    CountColumn("a", "A", part_of="total"),
    CountColumn("b", "B", part_of="total"),
    CountColumn("c", "C", part_of="total"),
)


def cross_table(body: list[list[int]]) -> MeasureTable:
    """Rows x columns a, b, c with a row total column and a Total row."""
    rows = [{"category": f"R{i}", "a": r[0], "b": r[1], "c": r[2], "total": sum(r)}
            for i, r in enumerate(body)]
    total = {"category": "Total", **{k: sum(r[k] for r in rows) for k in ("a", "b", "c", "total")}}
    return MeasureTable("t", "t", "category", "Category", PARTS, rows=rows, total=total)


def published_grid(table: MeasureTable) -> list[dict[str, Any]]:
    printed, _ = publish_table(table)
    return printed.rows


def other_value_exists(printed: list[dict[str, Any]], cap: int, target: tuple[int, str],
                       true_value: int) -> bool:
    """Is there a table of whole numbers >= 0, consistent with every printed cell and every sum,
    in which ``target`` differs from its true value?

    Exhaustive backtracking over the suppressed cells (target first, then the rest), pruning as
    soon as a sum is broken; it stops at the first such table.
    """
    names = ("a", "b", "c", "total")
    n = len(printed)
    equations = [[(r, "a"), (r, "b"), (r, "c"), (r, "total")] for r in range(n)]
    signs = [[1, 1, 1, -1] for _ in range(n)]
    for name in names:
        equations.append([*((r, name) for r in range(n - 1)), (n - 1, name)])
        signs.append([*([1] * (n - 1)), -1])
    unknown = [(r, nm) for r, row in enumerate(printed) for nm in names if row[nm] == SUPPRESSED]
    unknown.remove(target)
    unknown.insert(0, target)
    cell: dict[tuple[int, str], int] = {}

    def value(c: tuple[int, str]) -> int | None:
        return cell.get(c) if c in cell else (None if printed[c[0]][c[1]] == SUPPRESSED
                                              else int(printed[c[0]][c[1]]))

    def consistent() -> bool:
        for eq, sg in zip(equations, signs, strict=True):
            vals = [value(c) for c in eq]
            whole = vals[-1]
            if whole is not None and sum(v for v in vals[:-1] if v is not None) > whole:
                return False
            known = [v for v in vals if v is not None]
            if len(known) == len(vals) and sum(
                    v * s for v, s in zip(known, sg, strict=True)) != 0:
                return False
        return True

    def bound(c: tuple[int, str]) -> int:
        """A cell is at most any printed total it adds into."""
        r, nm = c
        limits = [cap]
        if nm != "total" and printed[r]["total"] != SUPPRESSED:
            limits.append(int(printed[r]["total"]))
        if r != n - 1 and printed[n - 1][nm] != SUPPRESSED:
            limits.append(int(printed[n - 1][nm]))
        return min(limits)

    def search(i: int) -> bool:
        if i == len(unknown):
            return True
        for v in range(bound(unknown[i]) + 1):
            if i == 0 and v == true_value:
                continue
            cell[unknown[i]] = v
            ok = consistent() and search(i + 1)
            del cell[unknown[i]]
            if ok:
                return True
        return False

    return search(0)


def attack(table: MeasureTable) -> None:
    printed = published_grid(table)
    cap = int(table.total["total"]) if table.total else 0
    raw = [*table.rows, table.total]
    for r, row in enumerate(printed):
        for name, value in row.items():
            if value == SUPPRESSED:
                true_value = int(raw[r][name])
                assert other_value_exists(printed, cap, (r, name), true_value), (
                    f"cell {(r, name)} is recoverable: the printed table allows only {true_value}")


def test_counts_of_one_to_four_are_suppressed_and_marked_never_zero() -> None:
    printed = published_grid(cross_table([[3, 20, 30], [40, 25, 31], [50, 60, 70]]))
    assert printed[0]["a"] == SUPPRESSED
    assert sum(1 for row in printed for v in row.values() if v == SUPPRESSED) == 4
    assert all(v != 0 for row in printed for v in row.values() if v == SUPPRESSED)


def test_a_single_suppression_gets_a_partner_in_its_row_and_column() -> None:
    table = cross_table([[3, 20, 30], [40, 25, 31], [50, 60, 70]])
    cells = suppressed_cells(table)
    assert (0, "a") in cells
    assert sum(1 for r, n in cells if r == 0) >= 2  # row 0 has a partner
    assert sum(1 for r, n in cells if n == "a") >= 2  # column a has a partner


def test_subtraction_attack_fails_on_a_simple_table() -> None:
    attack(cross_table([[3, 5, 7], [6, 5, 8], [9, 6, 5]]))


@pytest.mark.parametrize("seed", range(40))
def test_no_suppressed_cell_can_be_recovered_brute_force(seed: int) -> None:
    """Small random tables full of small counts: enumerate every consistent table."""
    rng = random.Random(seed)
    body = [[rng.choice([0, 1, 2, 3, 5, 6, 8]) for _ in range(3)] for _ in range(rng.choice([2, 3]))]
    attack(cross_table(body))


def test_hidden_complement_of_one_to_four_is_protected() -> None:
    """30 offenders of whom 28 reoffended: 'all but two' must not be printed."""
    counts = (CountColumn("offenders", "Offenders"),
              CountColumn("reoffenders", "Reoffenders", part_of="offenders"),
              CountColumn("non", "Did not", part_of="offenders", hidden=True))
    rows = [{"category": "X", "offenders": 30, "reoffenders": 28, "non": 2},
            {"category": "Y", "offenders": 50, "reoffenders": 20, "non": 30},
            {"category": "Z", "offenders": 60, "reoffenders": 30, "non": 30}]
    total = {"category": "Total", "offenders": 140, "reoffenders": 78, "non": 62}
    table = MeasureTable("t", "t", "category", "Group", counts,
                         (RateColumn("rate", "Rate", "reoffenders", "offenders"),),
                         rows=rows, total=total)
    published, cells = publish_table(table)
    printed = published.rows
    assert printed[0]["reoffenders"] == SUPPRESSED or printed[0]["offenders"] == SUPPRESSED
    assert printed[0]["rate"] == SUPPRESSED  # 28/30 would give the 2 away
    assert len({n for r, n in cells if n == "reoffenders"}) >= 1
    assert sum(1 for r, n in cells if n in {"reoffenders", "offenders"}) >= 2


def test_rates_withheld_where_the_base_is_under_30() -> None:
    counts = (CountColumn("offenders", "Offenders"),
              CountColumn("reoffenders", "Reoffenders", part_of="offenders"),
              CountColumn("non", "Did not", part_of="offenders", hidden=True))
    rows = [{"category": "X", "offenders": 29, "reoffenders": 10, "non": 19},
            {"category": "Y", "offenders": 30, "reoffenders": 10, "non": 20}]
    total = {"category": "Total", "offenders": 59, "reoffenders": 20, "non": 39}
    table = MeasureTable("t", "t", "category", "Group", counts,
                         (RateColumn("rate", "Rate", "reoffenders", "offenders"),),
                         rows=rows, total=total)
    printed = publish_table(table)[0].rows
    assert printed[0]["rate"] == LOW_BASE
    assert printed[1]["rate"] == pytest.approx(33.3)


def test_unsuppressed_output_prints_raw_counts() -> None:
    published, cells = publish_table(cross_table([[3, 20, 30], [40, 25, 31]]), controlled=False)
    assert cells == set() and published.rows[0]["a"] == 3


def test_the_attack_catches_primary_suppression_alone() -> None:
    """Without secondary suppression, subtraction from the row total gives the cell away."""
    table = cross_table([[3, 20, 30], [40, 25, 31]])
    printed = publish_table(table, controlled=False)[0].rows
    printed[0]["a"] = SUPPRESSED
    assert not other_value_exists(printed, 149, (0, "a"), 3)
