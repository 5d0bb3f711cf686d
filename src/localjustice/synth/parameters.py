"""The calibration file (``calibration.toml``) loaded once and checked against the contract.

Every number the generator uses lives in that file with its source, so tuning never touches code
(STYLE rule 7). Tables keyed by offence group must name only the contract's offence groups.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError


@dataclass(frozen=True)
class Target:
    """A published figure the synthetic data aims at, with the band the tests accept."""

    name: str
    value: float
    tolerance: float
    relative: bool
    source: str

    def band(self, scale: float = 1.0) -> tuple[float, float]:
        """Accepted interval; counts scale with ``scale``, rates do not."""
        if self.relative:
            centre = self.value * scale
            return centre * (1 - self.tolerance), centre * (1 + self.tolerance)
        return self.value - self.tolerance, self.value + self.tolerance


@dataclass(frozen=True)
class Parameters:
    raw: dict[str, Any]
    targets: dict[str, Target]
    offence_groups: tuple[str, ...]

    def section(self, name: str) -> dict[str, Any]:
        section: dict[str, Any] = self.raw[name]
        return section

    def by_group(self, table: dict[str, Any], default: float = 0.0) -> NDArray[np.float64]:
        """A per-offence-group table as an array in the contract's offence-group order."""
        return np.array([float(table.get(g, default)) for g in self.offence_groups])

    def group_matrix(self, table: dict[str, Any]) -> NDArray[np.float64]:
        """Rows of weights per offence group (contract order), e.g. sentence-type weights."""
        width = len(next(iter(table.values())))
        return np.array([table.get(g, [0.0] * width) for g in self.offence_groups], dtype=float)


def _targets(raw: dict[str, Any]) -> dict[str, Target]:
    targets = {}
    for name, spec in raw["targets"].items():
        relative = "tolerance_share" in spec
        targets[name] = Target(
            name=name,
            value=float(spec["value"]),
            tolerance=float(spec["tolerance_share"] if relative else spec["tolerance"]),
            relative=relative,
            source=str(spec["source"]),
        )
    return targets


def _check_groups(raw: dict[str, Any], groups: tuple[str, ...]) -> None:
    """Offence-group keys must be contract codes, so a typo fails here, not as a silent zero."""
    tables = [
        raw["offending"]["offence_mix"],
        raw["disposal"]["caution_base"],
        raw["disposal"]["remand_base"],
        raw["disposal"]["crown_court"],
        raw["sentencing"]["adult_weights"],
        raw["sentencing"]["youth_weights"],
        raw["sentencing"]["custody_days_median"],
        raw["victims"]["share_with_victim"],
        raw["victims"]["recorded_mix"],
        raw["referrals"]["share"],
    ]
    known = set(groups)
    for table in tables:
        unknown = set(table) - known
        if unknown:
            raise LocalJusticeError(
                f"calibration.toml names offence groups not in the contract: {sorted(unknown)}"
            )


@cache
def load_parameters() -> Parameters:
    text = (resources.files("localjustice.synth") / "calibration.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    groups = load_contract().code_lists["offence_group"]
    _check_groups(raw, groups)
    return Parameters(raw=raw, targets=_targets(raw), offence_groups=groups)
