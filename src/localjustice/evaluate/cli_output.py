"""The evaluation's result as a Rich table or JSON, for the command line."""

from __future__ import annotations

import json
import math
from typing import Any

from rich.console import Group
from rich.text import Text

from localjustice.cli_table import Table
from localjustice.evaluate.report import balance_warning
from localjustice.evaluate.sensitivity import Sensitivity
from localjustice.evaluate.table import Evaluation


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: write null, never a non-standard token."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _gamma(sensitivity: Sensitivity | None) -> str:
    if sensitivity is None:
        return "not available"
    return "over 20" if sensitivity.critical_gamma is None else f"{sensitivity.critical_gamma:g}"


def as_json(evaluation: Evaluation) -> str:
    return json.dumps(_clean(evaluation.as_json()), indent=2)


def as_rich(evaluation: Evaluation) -> Group:
    sample = evaluation.sample
    lines = [Text(f"Method: {evaluation.spec.describe()}."),
             Text(f"Participants: {sample.treated_total:,}; matched {sample.matched_treated:,} "
                  f"to {sample.matched_controls:,} comparison people (effective size "
                  f"{evaluation.balance.effective_comparison:,.1f}); excluded for lack of common "
                  f"support {sample.off_support:,}, outside the caliper {sample.outside_caliper:,}.")]
    if evaluation.refusal:
        lines.append(Text(f"No estimate: {evaluation.refusal}", style="bold red"))
    elif not evaluation.balance.balanced:
        lines.append(Text(str(balance_warning(evaluation.balance.unbalanced,
                                              evaluation.balance.threshold)), style="bold red"))
    if evaluation.refusal is None:
        table = Table(title="Estimated effect on the participants")
        table.add_column("")
        for e in evaluation.estimates:
            table.add_column(e.outcome, justify="right")
        rows = {
            "participants' mean": [f"{e.treated_mean:,.2f}" for e in evaluation.estimates],
            "comparison mean": [f"{e.comparison_mean:,.2f}" for e in evaluation.estimates],
            "effect": [f"{e.estimate:,.2f}" for e in evaluation.estimates],
            "95% interval": [f"{e.ci_lower:,.2f} to {e.ci_upper:,.2f}"
                             for e in evaluation.estimates],
            "p-value": [f"{e.p_value:.3f}" for e in evaluation.estimates],
            "significant": ["yes" if e.significant else "no" for e in evaluation.estimates],
            "naive difference": [f"{e.naive_difference:,.2f}" for e in evaluation.estimates],
            "E-value (interval)": [f"{e.e_value:.2f} ({e.e_value_ci:.2f})"
                                   for e in evaluation.estimates],
            "critical Gamma (Rosenbaum)": [_gamma(e.sensitivity) for e in evaluation.estimates],
        }
        for label, values in rows.items():
            table.add_row(label, *values)
        lines.append(table)  # type: ignore[arg-type]
    bal = Table(title="Balance: standardised mean differences")
    for name in ("variable", "before", "after"):
        bal.add_column(name, justify="left" if name == "variable" else "right")
    for v in evaluation.balance.variables:
        bal.add_row(v.variable, f"{v.smd_before:+.3f}", f"{v.smd_after:+.3f}")
    lines.append(bal)  # type: ignore[arg-type]
    return Group(*lines)
