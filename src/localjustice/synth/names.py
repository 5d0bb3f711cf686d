"""Name, nickname, postcode-district and court tables shipped as package data (``data/``).

The lists are hand-made for synthetic data: common names, invented weights, no real person.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray


def _rows(file_name: str) -> list[dict[str, str]]:
    text = (resources.files("localjustice.synth") / "data" / file_name).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


@dataclass(frozen=True)
class NameTable:
    """Names with their weight, sex (forenames only) and name group, as parallel arrays."""

    names: NDArray[np.str_]
    groups: NDArray[np.str_]
    sexes: NDArray[np.str_]
    weights: NDArray[np.float64]

    def draw(self, rng: np.random.Generator, group: str, sex: str, size: int) -> NDArray[np.int64]:
        """Indices of names of one group (and sex, unless ``sex`` is empty) drawn by weight."""
        mask = self.groups == group
        if sex:
            mask &= self.sexes == sex
        candidates = np.flatnonzero(mask)
        weights = self.weights[candidates]
        return candidates[rng.choice(len(candidates), size=size, p=weights / weights.sum())]


@dataclass(frozen=True)
class Nicknames:
    """For each forename index, a run ``[start, start + count)`` of nicknames in ``names``."""

    names: NDArray[np.str_]
    start: NDArray[np.int64]
    count: NDArray[np.int64]


@dataclass(frozen=True)
class Court:
    code: str
    crown: bool


@cache
def forenames() -> NameTable:
    rows = _rows("forenames.csv")
    return NameTable(
        names=np.array([r["name"] for r in rows]),
        groups=np.array([r["group"] for r in rows]),
        sexes=np.array([r["sex"] for r in rows]),
        weights=np.array([float(r["weight"]) for r in rows]),
    )


@cache
def surnames() -> NameTable:
    rows = _rows("surnames.csv")
    return NameTable(
        names=np.array([r["name"] for r in rows]),
        groups=np.array([r["group"] for r in rows]),
        sexes=np.array([""] * len(rows)),
        weights=np.array([float(r["weight"]) for r in rows]),
    )


@cache
def nickname_pairs() -> tuple[tuple[str, str], ...]:
    """(forename, nickname) pairs, sorted."""
    return tuple(sorted((r["forename"], r["nickname"]) for r in _rows("nicknames.csv")))


@cache
def nicknames() -> Nicknames:
    table = forenames()
    pairs = nickname_pairs()
    flat = np.array([nick for _, nick in pairs])
    formal = np.array([name for name, _ in pairs])
    start = np.searchsorted(formal, table.names, side="left").astype(np.int64)
    count = np.searchsorted(formal, table.names, side="right").astype(np.int64) - start
    return Nicknames(names=flat, start=start, count=count)


@cache
def postcode_districts() -> dict[str, tuple[str, ...]]:
    return {r["borough_code"]: tuple(r["districts"].split()) for r in _rows("postcode_districts.csv")}


@cache
def courts() -> tuple[Court, ...]:
    return tuple(Court(code=r["code"], crown=r["kind"] == "crown") for r in _rows("courts.csv"))


def name_groups() -> tuple[str, ...]:
    return tuple(sorted(set(forenames().groups.tolist())))
