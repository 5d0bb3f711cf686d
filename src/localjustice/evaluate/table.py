"""The evaluation engine on any table: match, check balance, estimate, in that order.

``localjustice evaluate-table`` runs this on a CSV or Parquet file so that an analyst can check
the engine against a published benchmark (the LaLonde data, docs/evaluation.md) before trusting it
with a pilot; the programme evaluations run the very same function on covariates built from the
analysis zone. The honesty rules hold here too: fewer than ``min_treated`` matched participants
(60, the JDL's minimum) gives no estimate, and a balance that fails the threshold is reported
instead of a headline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localjustice.errors import LocalJusticeError
from localjustice.evaluate.balance import DEFAULT_THRESHOLD, Balance, balance, overlap
from localjustice.evaluate.estimate import Estimate, effect
from localjustice.evaluate.matching import MatchedSample, MatchingSpec, design_matrix, match

#: The JDL's minimum number of matched participants for any estimate.
MIN_TREATED = 60


@dataclass(frozen=True)
class Evaluation:
    """Everything a report needs: who was matched, how well, and the estimates (or why none)."""

    spec: MatchingSpec
    sample: MatchedSample
    balance: Balance
    estimates: tuple[Estimate, ...]
    refusal: str | None
    overlap: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headline_allowed(self) -> bool:
        return self.refusal is None and self.balance.balanced

    def as_json(self) -> dict[str, Any]:
        """The machine-readable result; the first outcome's estimate at the top level."""
        first = self.estimates[0] if self.estimates else None
        top = ({k: getattr(first, k) for k in ("estimate", "ci_lower", "ci_upper", "p_value",
                                                 "naive_difference", "standard_error")}
               if first and self.refusal is None else
               {"estimate": None, "ci_lower": None, "ci_upper": None, "p_value": None,
                "naive_difference": first.naive_difference if first else None,
                "standard_error": None})
        return {
            **top,
            "rosenbaum_gamma": (first.sensitivity.critical_gamma
                                if first and first.sensitivity and self.refusal is None else None),
            "matched_treated": self.sample.matched_treated,
            "matched_comparison": self.sample.matched_controls,
            "treated_total": self.sample.treated_total,
            "excluded_off_support": self.sample.off_support,
            "excluded_outside_caliper": self.sample.outside_caliper,
            "method": self.spec.describe(),
            "balanced": self.balance.balanced,
            "balance_threshold": self.balance.threshold,
            "unbalanced_variables": list(self.balance.unbalanced),
            "effective_comparison_size": self.balance.effective_comparison,
            "refusal": self.refusal,
            "estimates": [asdict(e) for e in self.estimates] if self.refusal is None else [],
            "balance": [asdict(v) for v in self.balance.variables],
        }


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a frame, with a clear error for anything else."""
    if not path.is_file():
        raise LocalJusticeError(f"No file at {path}.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise LocalJusticeError(f"Could not read {path.name}: {exc}") from None
    raise LocalJusticeError(f"{path.name}: give a .csv or .parquet file.")


def evaluate_frame(frame: pd.DataFrame, *, treatment: str, outcomes: list[str],
                   covariates: list[str], spec: MatchingSpec | None = None,
                   adjust: bool = False, threshold: float = DEFAULT_THRESHOLD,
                   min_treated: int = MIN_TREATED) -> Evaluation:
    """Match on ``covariates``, then estimate the effect on each outcome."""
    spec = spec or MatchingSpec()
    if not outcomes:
        raise LocalJusticeError("Name at least one outcome column.")
    if not covariates:
        raise LocalJusticeError("Name at least one covariate to match on.")
    for name in outcomes:
        if name not in frame.columns:
            raise LocalJusticeError(f"No outcome column {name!r} in the data.")
        if not pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(
                frame[name]):
            raise LocalJusticeError(f"The outcome column {name!r} must be numeric.")
        if frame[name].isna().any():
            raise LocalJusticeError(
                f"The outcome column {name!r} has {int(frame[name].isna().sum())} missing "
                "value(s): every person needs an outcome.")
    frame = frame.reset_index(drop=True)
    design = design_matrix(frame, covariates)
    sample = match(frame, treatment, covariates, spec, design=design)
    treated = frame[treatment].astype(int).to_numpy(dtype=np.int64)
    checked = balance(design, treated, sample, threshold)
    refusal = None
    if sample.matched_treated < min_treated:
        refusal = (f"Only {sample.matched_treated} participant(s) could be matched; an estimate "
                   f"needs at least {min_treated}.")
    estimates = tuple(
        effect(frame, treatment, name, sample, adjust=design if adjust else None)
        for name in outcomes) if refusal is None else ()
    return Evaluation(spec=spec, sample=sample, balance=checked, estimates=estimates,
                      refusal=refusal, overlap=overlap(sample, treated))
