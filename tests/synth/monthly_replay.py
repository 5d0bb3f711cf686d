"""Replay a monthly series the way the versioning design loads it (pandas only, no ingest).

Per file in load order: a "changes" file updates or adds the record of each row, keyed by the
extract's natural key; a "snapshot" file does the same and withdraws every current record whose
key it lacks. Rows listed in ``truth/monthly_injected_errors.csv`` for that delivery are quarantined: they
change nothing (the previous version stays current), but their key counts as sent.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pandas as pd

from localjustice.contract import load_contract
from tests.synth.contract_rules import read_delivery as read_uncached


@cache
def read_delivery(folder: Path) -> dict[str, pd.DataFrame]:
    """A delivery's tables, read once per test session (callers must not change them)."""
    return read_uncached(folder)


def load_order(out: Path) -> list[Path]:
    return [out / line for line in (out / "load_order.txt").read_text().split()]


@cache
def manifest(folder: Path) -> dict[str, object]:
    return tomllib.loads((folder / "manifest.toml").read_text(encoding="utf-8"))


def key_of(source: str, table: pd.DataFrame) -> pd.Series:
    key = load_contract().file(source).key
    return table[list(key)].agg("\x1f".join, axis=1) if len(table) else pd.Series(dtype=str)


def replay(out: Path, *, quarantine: bool = True) -> dict[str, pd.DataFrame]:
    """The current version of every record after loading the series in order."""
    listed = pd.read_csv(out / "truth" / "monthly_injected_errors.csv", dtype=str, keep_default_na=False)
    current: dict[str, pd.DataFrame] = {}
    for folder in load_order(out):
        files = manifest(folder)["files"]
        assert isinstance(files, dict)
        for source, table in read_delivery(folder).items():
            table = table.assign(_key=key_of(source, table).to_numpy())
            broken = listed[(listed["delivery"] == folder.name) & (listed["source"] == source)]
            bad = table.index.isin(broken["row_number"].astype(int) - 1) & quarantine
            before = current.get(source, table.iloc[:0])
            if files[source]["mode"] == "snapshot":
                before = before[before["_key"].isin(table["_key"])]
            good = table[~bad]
            before = before[~before["_key"].isin(good["_key"])]
            current[source] = pd.concat([before, good], ignore_index=True)
    return {s: t.drop(columns="_key") for s, t in current.items()}


def rows(table: pd.DataFrame) -> list[tuple[str, ...]]:
    return sorted(map(tuple, table.astype(str).to_numpy().tolist()))
