"""Deliberately broken rows, so ingestion's quarantine can be tested against a known list.

A share ``error_rate`` of each file's rows gets exactly one deliberate fault, each recorded in
``truth/injected_errors.csv`` as (source, row_number, column, rule); row_number counts data rows
from 1 (the header is not counted). Rule names are the contract's row-rule kinds (``not_before``,
``required_when``, ``positive_when``, ``references``, ``age_between``) or the column checks
``missing_required``, ``bad_date``, ``not_future``, ``unknown_code`` and ``bad_pattern``. Faults
are chosen so they break only their own row: a crime is broken only if no victim refers to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from localjustice.contract import ExtractFile, load_contract
from localjustice.synth.calendar import iso

INJECTED_COLUMNS = ["source", "row_number", "column", "rule"]
#: A date certainly in the future, fixed so that a seed always gives the same files.
FUTURE_DATE = "2099-12-31"


@dataclass(frozen=True)
class _Fault:
    rule: str
    columns: tuple[str, ...]
    applies: Callable[[pd.DataFrame, str], NDArray[np.bool_]]
    value: Callable[[pd.DataFrame, str, np.random.Generator], NDArray[np.str_]]


def _always(table: pd.DataFrame, column: str) -> NDArray[np.bool_]:
    return np.ones(len(table), dtype=bool)


def _present(table: pd.DataFrame, column: str) -> NDArray[np.bool_]:
    return (table[column] != "").to_numpy()


def _constant(text: str) -> Callable[[pd.DataFrame, str, np.random.Generator], NDArray[np.str_]]:
    return lambda table, column, rng: np.full(len(table), text)


def _bad_date(table: pd.DataFrame, column: str, rng: np.random.Generator) -> NDArray[np.str_]:
    """A date written day-first, or a day that does not exist."""
    values = table[column].to_numpy().astype(str)
    day_first = np.strings.add(
        np.strings.add(np.strings.slice(values, 8, 10), "/"),
        np.strings.add(np.strings.slice(values, 5, 7), "/"),
    )
    day_first = np.strings.add(day_first, np.strings.slice(values, 0, 4))
    impossible = np.strings.add(np.strings.slice(values, 0, 4), "-02-30")
    return np.where(
        (rng.random(len(values)) < 0.5) & (values != ""),
        day_first,
        np.where(values != "", impossible, "2019-13-01"),
    )


def _days_before(other: str) -> Callable[[pd.DataFrame, str, np.random.Generator], NDArray[np.str_]]:
    def value(table: pd.DataFrame, column: str, rng: np.random.Generator) -> NDArray[np.str_]:
        base = table[other].to_numpy().astype("datetime64[D]").astype(np.int64)
        return iso(base - rng.integers(1, 60, len(table)))

    return value


def _too_young(event_column: str) -> Callable[[pd.DataFrame, str, np.random.Generator], NDArray[np.str_]]:
    def value(table: pd.DataFrame, column: str, rng: np.random.Generator) -> NDArray[np.str_]:
        event = table[event_column].to_numpy().astype("datetime64[D]").astype(np.int64)
        return iso(event - 5 * 365)

    return value


def _faults(extract: ExtractFile, event_dates: dict[str, str]) -> list[_Fault]:
    cols = extract.columns
    required = tuple(c.name for c in cols if c.required)
    dates = tuple(c.name for c in cols if c.type == "date")
    not_future = tuple(c.name for c in cols if c.type == "date" and c.not_future)
    codes = tuple(c.name for c in cols if c.type in {"code", "code_list"})
    patterned = tuple(c.name for c in cols if c.pattern and not c.warning)
    faults = [
        _Fault("missing_required", required, _always, _constant("")),
        _Fault("bad_date", dates, _always, _bad_date),
        _Fault("not_future", not_future, _always, _constant(FUTURE_DATE)),
        _Fault("unknown_code", codes, _always, _constant("unknown_value")),
        _Fault("bad_pattern", patterned, _always, _constant("NOT-VALID")),
    ]
    for rule in extract.rules:
        if rule.kind == "not_before":

            def both(table: pd.DataFrame, column: str, other: str = rule.other) -> NDArray[np.bool_]:
                return _present(table, column) & _present(table, other)

            faults.append(_Fault("not_before", (rule.column,), both, _days_before(rule.other)))
        elif rule.kind == "required_when":

            def convicted_without_days(
                table: pd.DataFrame, column: str, when: str = rule.when, values: tuple[str, ...] = rule.values
            ) -> NDArray[np.bool_]:
                no_days = (table["custody_days"] == "").to_numpy() if "custody_days" in table else True
                return table[when].isin(values).to_numpy() & no_days

            faults.append(_Fault("required_when", (rule.column,), convicted_without_days, _constant("")))
        elif rule.kind == "positive_when":

            def custodial(
                table: pd.DataFrame, column: str, when: str = rule.when, values: tuple[str, ...] = rule.values
            ) -> NDArray[np.bool_]:
                return table[when].isin(values).to_numpy()

            faults.append(_Fault("positive_when", (rule.column,), custodial, _constant("0")))
        elif rule.kind == "references":
            faults.append(_Fault("references", (rule.column,), _always, _constant("CR-UNKNOWN-0")))
        elif rule.kind == "age_between" and extract.name in event_dates:
            event = event_dates[extract.name]

            def dated(table: pd.DataFrame, column: str, event: str = event) -> NDArray[np.bool_]:
                return _present(table, event)

            faults.append(_Fault("age_between", ("date_of_birth",), dated, _too_young(event)))
    return [f for f in faults if f.columns]


def inject_errors(
    tables: dict[str, pd.DataFrame], error_rate: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Break ``error_rate`` of each table's rows in place; return the list of what was broken."""
    records: list[pd.DataFrame] = []
    referenced = set(tables["police_victims"]["crime_id"]) if "police_victims" in tables else set()
    for source, table in tables.items():
        count = round(len(table) * error_rate)
        if count == 0:
            continue
        eligible = np.arange(len(table))
        if source == "police_crimes":
            eligible = np.flatnonzero(~table["crime_id"].isin(referenced).to_numpy())
        rows = np.sort(rng.choice(eligible, size=min(count, len(eligible)), replace=False))
        records.append(break_rows(table, source, rows, rng))
    return _listing(records)


def break_rows(
    table: pd.DataFrame,
    source: str,
    rows: NDArray[np.int64],
    rng: np.random.Generator,
    protected: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Give each row at the positions ``rows`` one fault, in place; list them (row_number from 1).

    ``protected`` columns are never broken (the monthly deliveries protect the natural key and the
    source person id, so that the corrected row can come back as a version of the same record).
    """
    contract = load_contract()
    event_dates = {name: f.event_date for name, f in contract.files.items() if "." not in f.event_date}
    records: list[pd.DataFrame] = []
    faults = [
        _Fault(f.rule, tuple(c for c in f.columns if c not in protected), f.applies, f.value)
        for f in _faults(contract.file(source), event_dates)
    ]
    faults = [f for f in faults if f.columns]
    choice = rng.integers(0, len(faults), len(rows))
    fallback = faults[0]
    for fi, fault in enumerate(faults):
        mine = rows[choice == fi]
        column_pick = rng.integers(0, len(fault.columns), len(mine))
        for ci, column in enumerate(fault.columns):
            target = mine[column_pick == ci]
            sub = table.iloc[target]
            ok = fault.applies(sub, column)
            chosen, fallen = target[ok], target[~ok]
            if len(chosen):
                table.loc[table.index[chosen], column] = fault.value(table.iloc[chosen], column, rng)
                records.append(
                    pd.DataFrame(
                        {"source": source, "row_number": chosen + 1, "column": column, "rule": fault.rule}
                    )
                )
            if len(fallen):
                req = fallback.columns[0]
                table.loc[table.index[fallen], req] = ""
                records.append(
                    pd.DataFrame(
                        {"source": source, "row_number": fallen + 1, "column": req, "rule": fallback.rule}
                    )
                )
    return _listing(records)


def _listing(records: list[pd.DataFrame]) -> pd.DataFrame:
    records = [r for r in records if len(r)]
    if not records:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in INJECTED_COLUMNS})
    out = pd.concat(records, ignore_index=True)
    return out.sort_values(["source", "row_number"], kind="stable").reset_index(drop=True)
