"""Unit costs and price years: every pound the finance module prints comes from
``unit_costs.toml`` (with its source, price year and whether it is verified), restated at one
chosen price year with the GDP deflator series in ``deflators.toml`` (HM Treasury, "The Green
Book", 2022: real prices by the GDP deflator). Nothing here hard-codes a cost.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from localjustice.errors import LocalJusticeError

HERE = Path(__file__).parent
COSTS_FILE = HERE / "unit_costs.toml"
DEFLATORS_FILE = HERE / "deflators.toml"
#: A year of a place or order is this many bed nights.
NIGHTS_PER_YEAR = 365
_FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
PER = ("year", "night", "case")


class CostError(LocalJusticeError):
    pass


@dataclass(frozen=True)
class UnitCost:
    name: str
    label: str
    pounds: float
    per: str
    price_year: str
    source: str
    verified: bool

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "pounds": self.pounds, "per": self.per,
                "price_year": self.price_year, "source": self.source, "verified": self.verified}


@dataclass(frozen=True)
class Deflator:
    index: dict[str, float]
    base: str
    source: str
    #: the years whose value has not been checked against the source
    unverified: tuple[str, ...] = ()
    note: str = ""

    @property
    def verified(self) -> bool:
        """Whether every value of the series has been checked against its source."""
        return not self.unverified

    def factor(self, from_year: str, to_year: str) -> float:
        """What a pound at ``from_year`` prices is at ``to_year`` prices."""
        for year in (from_year, to_year):
            if year not in self.index:
                raise CostError(f"No GDP deflator for {year!r} in {DEFLATORS_FILE.name} (it holds "
                                f"{min(self.index)} to {max(self.index)}).")
        return self.index[to_year] / self.index[from_year]

    @property
    def latest(self) -> str:
        return max(self.index)


def financial_year(text: str) -> str:
    """A price year as ``2016-17``; a calendar year ``2017`` is read as the financial year that
    begins in it (``2017-18``)."""
    if text.isdigit() and len(text) == 4:
        return f"{text}-{(int(text) + 1) % 100:02d}"
    match = _FINANCIAL_YEAR.match(text)
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise CostError(f"Price year {text!r} is not a financial year like 2016-17.")
    return text


def financial_year_of(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


@cache
def load_deflator(path: Path = DEFLATORS_FILE) -> Deflator:
    """The series, each value with its own ``verified`` flag (``{ value = 79.3, verified =
    false }``): a value copied from the release is marked so one at a time."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    index, unverified = {}, []
    for key, entry in raw["index"].items():
        if not isinstance(entry, dict) or {"value", "verified"} - set(entry):
            raise CostError(f"{path.name}: {key} must be {{ value = ..., verified = "
                            "true or false }.")
        index[financial_year(key)] = float(entry["value"])
        if entry["verified"] is not True:
            unverified.append(financial_year(key))
    return Deflator(index=index, base=raw["base"], source=raw["source"],
                    unverified=tuple(sorted(unverified)), note=str(raw.get("note", "")))


@cache
def load_unit_costs() -> dict[str, UnitCost]:
    raw = tomllib.loads(COSTS_FILE.read_text(encoding="utf-8"))["costs"]
    out = {}
    for name, entry in raw.items():
        missing = {"label", "pounds", "per", "price_year", "source", "verified"} - set(entry)
        if missing:
            raise CostError(f"{COSTS_FILE.name}: cost {name!r} lacks {', '.join(sorted(missing))}.")
        if entry["per"] not in PER:
            raise CostError(f"{COSTS_FILE.name}: cost {name!r}: per must be one of {PER}.")
        out[name] = UnitCost(name, entry["label"], float(entry["pounds"]), entry["per"],
                             financial_year(str(entry["price_year"])), entry["source"],
                             bool(entry["verified"]))
    return out


def unit_cost(name: str) -> UnitCost:
    costs = load_unit_costs()
    if name not in costs:
        raise CostError(f"No unit cost {name!r} in {COSTS_FILE.name}; known: {', '.join(costs)}.")
    return costs[name]


def convert(pounds: float, from_year: str, to_year: str) -> float:
    """``pounds`` at ``from_year`` prices restated at ``to_year`` prices (GDP deflator)."""
    return pounds * load_deflator().factor(financial_year(from_year), financial_year(to_year))


def per_unit(cost: UnitCost, unit: str, price_year: str) -> float:
    """Pounds per one ``unit`` of a metric (a night, a case...) at ``price_year`` prices: a
    yearly cost of a place is a 365th a night."""
    pounds = convert(cost.pounds, cost.price_year, price_year)
    if cost.per == unit or (cost.per == "case" and unit in ("case", "order", "reception")):
        return pounds
    if cost.per == "year" and unit == "night":
        return pounds / NIGHTS_PER_YEAR
    if cost.per == "year" and unit == "order":
        return pounds
    raise CostError(f"Unit cost {cost.name!r} is per {cost.per}, which does not price a {unit}.")


def default_price_year() -> str:
    """The latest outturn year of the deflator series (the year before its last forecast
    years is not known here, so the base year: the series' own reference)."""
    return load_deflator().base
