"""The engine interface on both engines: the same SQL, the same answers, errors that name the step.

The dialect's expressions are checked against hand-worked dates (month ends, leap years) and
against Python's HMAC, on DuckDB and on a real local Spark.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pyarrow as pa
import pytest

from localjustice.warehouse import Warehouse, WarehouseError

# (start, end, whole months by the one rule): a month after 31 January is the end of February
MONTH_CASES = [
    (date(2018, 1, 31), date(2018, 2, 28), 1),
    (date(2018, 1, 31), date(2018, 2, 27), 0),
    (date(2020, 1, 31), date(2020, 2, 28), 0),   # 2020 is a leap year: 29 Feb ends the month
    (date(2020, 1, 31), date(2020, 2, 29), 1),
    (date(2018, 1, 15), date(2019, 1, 14), 11),
    (date(2018, 1, 15), date(2019, 1, 15), 12),
    (date(2018, 3, 31), date(2018, 4, 30), 1),
    (date(2018, 2, 28), date(2018, 3, 28), 1),
    (date(2018, 5, 10), date(2018, 5, 10), 0),
]
# (day, months to add, result): the same day of the month, clamped to the month's length
ADD_MONTH_CASES = [
    (date(2018, 1, 31), 1, date(2018, 2, 28)),
    (date(2020, 1, 31), 1, date(2020, 2, 29)),
    (date(2018, 2, 28), 1, date(2018, 3, 28)),
    (date(2018, 3, 15), 12, date(2019, 3, 15)),
    (date(2018, 8, 31), 6, date(2019, 2, 28)),
    (date(2018, 3, 31), -1, date(2018, 2, 28)),
]


def _literal(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def test_months_between_is_one_rule(any_warehouse: Warehouse) -> None:
    d = any_warehouse.dialect
    select = ", ".join(f"{d.months_between(_literal(a), _literal(b))} AS m{i}"
                       for i, (a, b, _) in enumerate(MONTH_CASES))
    got = any_warehouse.execute(f"SELECT {select}").fetchone()
    assert list(got or ()) == [m for _, _, m in MONTH_CASES]


def test_add_months_clamps_to_month_end(any_warehouse: Warehouse) -> None:
    d = any_warehouse.dialect
    select = ", ".join(f"{d.add_months(_literal(a), n)} AS m{i}"
                       for i, (a, n, _) in enumerate(ADD_MONTH_CASES))
    got = any_warehouse.execute(f"SELECT {select}").fetchone()
    assert list(got or ()) == [r for _, _, r in ADD_MONTH_CASES]


def test_days_casts_and_division(any_warehouse: Warehouse) -> None:
    d = any_warehouse.dialect
    row = any_warehouse.execute(
        f"SELECT {d.date_diff_days(_literal(date(2020, 2, 1)), _literal(date(2020, 3, 1)))}, "
        f"{d.add_days(_literal(date(2020, 2, 28)), 1)}, "
        f"{d.safe_cast(repr('x12'), 'INTEGER')}, {d.safe_cast(repr('12'), 'INTEGER')}, "
        f"{d.divide('1', '3')}, {d.divide('1', '0')}").fetchone()
    assert row is not None
    assert row[0] == 29 and row[1] == date(2020, 2, 29)
    assert row[2] is None and row[3] == 12
    assert isinstance(row[4], float) and row[4] == pytest.approx(1 / 3, abs=1e-15)
    assert row[5] is None


def test_hash_and_string_agg(any_warehouse: Warehouse) -> None:
    d = any_warehouse.dialect
    any_warehouse.register_arrow("lj_words", pa.table({"g": [1, 1, 1], "w": ["b", "c", "a"]}))
    row = any_warehouse.execute(
        f"SELECT {d.sha256_hex(repr('café'))}, {d.string_agg('w', repr(','), 'w')} "
        "FROM lj_words GROUP BY g").fetchone()
    assert row == (hashlib.sha256("café".encode()).hexdigest(), "a,b,c")


def test_pseudonym_is_hmac_on_every_engine(any_warehouse: Warehouse) -> None:
    key = b"a deployment key that is long enough to be real"
    for statement in any_warehouse.dialect.pseudonym_statements(key):
        any_warehouse.execute(statement, step="pseudonym", secret=True)
    got = any_warehouse.execute("SELECT lj_pseudonym('P', 'police|123'), "
                                "lj_pseudonym('P', 'Zoë')").fetchone()
    expect = tuple("P" + hmac.new(key, m.encode(), hashlib.sha256).hexdigest()[:20]
                   for m in ("police|123", "Zoë"))
    assert got == expect


def test_errors_name_the_step_and_hide_secrets(any_warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError) as caught:
        any_warehouse.execute("SELECT no_such_column FROM analysis.event", step="cohort")
    assert caught.value.step == "cohort" and "cohort" in str(caught.value)
    assert "no_such_column" in caught.value.sql
    with pytest.raises(WarehouseError) as hidden:
        any_warehouse.execute("SELECT secret_key_123 FROM nowhere", secret=True)
    assert "secret_key_123" not in hidden.value.sql


def test_tables_arrow_and_rows(any_warehouse: Warehouse) -> None:
    wh = any_warehouse
    wh.register_arrow("lj_in", pa.table({"k": ["a", "b", "c"], "v": [1, 2, 3]}))
    wh.create_table("analysis.lj_probe", "SELECT k, v FROM lj_in")
    wh.create_table("analysis.lj_probe", "SELECT k, v * 10 AS v FROM analysis.lj_probe")
    wh.insert_rows("analysis.lj_probe", [("d", 4)])
    assert wh.has_table("analysis.lj_probe") and not wh.has_table("analysis.lj_absent")
    result = wh.execute("SELECT k, v FROM analysis.lj_probe WHERE v > ? ORDER BY k", [10])
    assert result.fetchall() == [("b", 20), ("c", 30)]
    rows = wh.execute("SELECT k, v FROM analysis.lj_probe ORDER BY k").dicts()
    assert rows == [{"k": "a", "v": 10}, {"k": "b", "v": 20}, {"k": "c", "v": 30},
                    {"k": "d", "v": 4}]
    arrow = wh.execute("SELECT count(*) AS n FROM analysis.lj_probe").arrow()
    assert arrow.column("n").to_pylist() == [4]
    wh.create_table("lj_tmp", "SELECT k FROM analysis.lj_probe WHERE v >= 20", temporary=True)
    assert wh.scalar("SELECT count(*) FROM lj_tmp") == 2
