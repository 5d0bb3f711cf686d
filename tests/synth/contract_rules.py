"""An independent reading of the contract's rules against a written delivery (pandas only).

Written for these tests, apart from the ingest package, so the generator is checked against
``contract/extracts.toml`` itself. Returns one row per broken (source, row_number, column, rule).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from localjustice.contract import ExtractFile, load_contract


def read_delivery(folder: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for name in load_contract().files:
        path = folder / f"{name}.csv"
        if path.exists():
            tables[name] = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif (folder / f"{name}.parquet").exists():
            tables[name] = pd.read_parquet(folder / f"{name}.parquet").fillna("")
    return tables


def _dates(values: pd.Series) -> pd.Series:
    iso = values.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    parsed = pd.to_datetime(values.where(iso), format="%Y-%m-%d", errors="coerce")
    return parsed


def _age(event: pd.Series, born: pd.Series) -> pd.Series:
    years = event.dt.year - born.dt.year
    before = (event.dt.month < born.dt.month) | (
        (event.dt.month == born.dt.month) & (event.dt.day < born.dt.day)
    )
    return years - before.astype(int)


def check_file(
    extract: ExtractFile, table: pd.DataFrame, tables: dict[str, pd.DataFrame]
) -> list[tuple[str, int, str, str]]:
    broken: list[tuple[str, int, str, str]] = []

    def flag(mask: pd.Series | np.ndarray, column: str, rule: str) -> None:
        for row in np.flatnonzero(np.asarray(mask)):
            broken.append((extract.name, int(row) + 1, column, rule))

    assert list(table.columns) == list(extract.column_names), extract.name
    today = pd.Timestamp(date.today())
    for col in extract.columns:
        values = table[col.name]
        present = values != ""
        if col.required:
            flag(~present, col.name, "missing_required")
        if col.type == "date":
            parsed = _dates(values)
            flag(present & parsed.isna(), col.name, "bad_date")
            if col.not_future:
                flag(present & (parsed > today), col.name, "not_future")
        if col.type == "integer":
            number = pd.to_numeric(values.where(values.str.fullmatch(r"-?\d+")), errors="coerce")
            flag(present & number.isna(), col.name, "bad_integer")
            if col.minimum is not None:
                flag(present & (number < col.minimum), col.name, "minimum")
        if col.type == "code":
            flag(present & ~values.isin(col.codes), col.name, "unknown_code")
        if col.type == "code_list":
            members = values.str.split(";").explode()
            bad = members[(members != "") & ~members.isin(col.codes)].index.unique()
            flag(values.index.isin(bad), col.name, "unknown_code")
        if col.pattern:
            text = (
                values.str.upper().str.replace(" ", "", regex=False)
                if col.normalise == "postcode"
                else values
            )
            ok = text.str.fullmatch(col.pattern)
            flag(
                present & ~ok.fillna(False).astype(bool),
                col.name,
                "pattern_warning" if col.warning else "bad_pattern",
            )
        if col.unique:
            flag(present & values.duplicated(keep=False), col.name, "unique")
    for rule in extract.rules:
        if rule.kind == "not_before":
            later, earlier = _dates(table[rule.column]), _dates(table[rule.other])
            flag(later.notna() & earlier.notna() & (later < earlier), rule.column, "not_before")
        elif rule.kind == "required_when":
            need = table[rule.when].isin(rule.values)
            flag(need != (table[rule.column] != ""), rule.column, "required_when")
        elif rule.kind == "positive_when":
            need = table[rule.when].isin(rule.values)
            number = pd.to_numeric(table[rule.column].where(table[rule.column] != ""), errors="coerce")
            flag(need != (number > 0).fillna(False).astype(bool), rule.column, "positive_when")
        elif rule.kind == "references":
            known = set(tables[rule.file][rule.other])
            flag(~table[rule.column].isin(known), rule.column, "references")
        elif rule.kind == "age_between":
            if "." in extract.event_date:
                ref_file, ref_col = extract.event_date.split(".")
                ref = tables[ref_file]
                ref = ref[ref["crime_id"] != ""].drop_duplicates("crime_id")
                lookup = ref.set_index("crime_id")[ref_col]
                event = _dates(table["crime_id"].map(lookup).fillna(""))
            else:
                event = _dates(table[extract.event_date])
            age = _age(event, _dates(table["date_of_birth"]))
            flag(age.notna() & ((age < rule.min) | (age > rule.max)), "date_of_birth", "age_between")
    return broken


def contract_violations(folder: Path) -> pd.DataFrame:
    """Every rule a delivery breaks; PNC format/check-letter problems are warnings, not listed."""
    contract = load_contract()
    tables = read_delivery(folder)
    rows: list[tuple[str, int, str, str]] = []
    for name, table in tables.items():
        rows += check_file(contract.file(name), table, tables)
    found = pd.DataFrame(rows, columns=["source", "row_number", "column", "rule"])
    return found[found["rule"] != "pattern_warning"].reset_index(drop=True)


def pnc_pattern() -> re.Pattern[str]:
    return re.compile(load_contract().patterns["pnc_id"])
