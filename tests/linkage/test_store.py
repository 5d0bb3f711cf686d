"""``replace_rows``: the rows meeting a condition replaced by new ones, on every engine; on
DuckDB, with ``alike``, rows the new ones hold as they are stay untouched."""

from __future__ import annotations

import pyarrow as pa

from localjustice.linkage.store import (
    ALL_COLUMNS,
    PAIR_TABLE,
    drop_temporary,
    ensure_linkage_layout,
    replace_rows,
)
from localjustice.warehouse import Warehouse


def _pairs(rows: list[tuple[str, str, float]]) -> pa.Table:
    return pa.table({"unit_id_l": [r[0] for r in rows], "unit_id_r": [r[1] for r in rows],
                     "match_probability": [r[2] for r in rows],
                     "match_weight": pa.array([None] * len(rows), pa.float64()),
                     "rule": pa.array([None] * len(rows), pa.string())})


def _contents(warehouse: Warehouse) -> list[tuple[object, ...]]:
    return sorted(warehouse.execute(
        f"SELECT unit_id_l, unit_id_r, match_probability FROM {PAIR_TABLE}").fetchall())


def _stored_and_new(warehouse: Warehouse, outside: tuple[str, str, float]) -> None:
    """a's pairs stored, one pair ``outside`` the condition, and a's new pairs in
    ``lj_new_pairs``: a-b as it was, a-c rescored, a-d gone, a-e new."""
    ensure_linkage_layout(warehouse)
    warehouse.insert_rows(PAIR_TABLE, [("a", "b", 0.9, None, None), ("a", "c", 0.6, None, None),
                                       ("a", "d", 0.7, None, None), (*outside, None, None)])
    warehouse.register_arrow("new_pairs", _pairs([("a", "b", 0.9), ("a", "c", 0.95),
                                                  ("a", "e", 0.5)]))
    warehouse.create_table("lj_new_pairs", "SELECT * FROM new_pairs", temporary=True)
    warehouse.unregister("new_pairs")


def test_replace_rows_changes_only_what_differs(any_warehouse: Warehouse) -> None:
    warehouse = any_warehouse
    _stored_and_new(warehouse, ("x", "y", 0.8))
    rowid = "SELECT rowid FROM linkage.pair WHERE unit_id_r = ?"
    kept = warehouse.execute(rowid, ["b"]).fetchall() if warehouse.engine == "duckdb" else []
    replace_rows(warehouse, PAIR_TABLE, "lj_new_pairs", "unit_id_l = 'a'", alike=ALL_COLUMNS)
    assert _contents(warehouse) == [("a", "b", 0.9), ("a", "c", 0.95), ("a", "e", 0.5),
                                    ("x", "y", 0.8)]
    if warehouse.engine == "duckdb":
        # the row alike was not deleted and inserted again
        assert warehouse.execute(rowid, ["b"]).fetchall() == kept
    # without ``alike``: the same rows, every one of them replaced
    replace_rows(warehouse, PAIR_TABLE, "lj_new_pairs", "unit_id_l = 'a'")
    assert _contents(warehouse) == [("a", "b", 0.9), ("a", "c", 0.95), ("a", "e", 0.5),
                                    ("x", "y", 0.8)]
    drop_temporary(warehouse, "lj_new_pairs")


def test_replace_rows_by_key_changes_only_what_differs(any_warehouse: Warehouse) -> None:
    """With ``key``, what differs is found by comparing whole rows, then replaced by key; a row
    outside the condition is left alone even when it shares a key with one that changed."""
    warehouse = any_warehouse
    _stored_and_new(warehouse, ("z", "c", 0.3))
    rowid = "SELECT rowid FROM linkage.pair WHERE unit_id_l = ? AND unit_id_r = ?"
    duckdb = warehouse.engine == "duckdb"
    kept = [warehouse.execute(rowid, pair).fetchall() for pair in (["a", "b"], ["z", "c"])
            ] if duckdb else []
    replace_rows(warehouse, PAIR_TABLE, "lj_new_pairs", "unit_id_l = 'a'", alike=ALL_COLUMNS,
                 key="unit_id_r")
    assert _contents(warehouse) == [("a", "b", 0.9), ("a", "c", 0.95), ("a", "e", 0.5),
                                    ("z", "c", 0.3)]
    if duckdb:
        assert [warehouse.execute(rowid, pair).fetchall()
                for pair in (["a", "b"], ["z", "c"])] == kept
    drop_temporary(warehouse, "lj_new_pairs")
