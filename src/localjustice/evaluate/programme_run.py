"""Evaluate one programme on the analysis zone: the JDL's four headline outcomes, with the
honesty rules (60 matched participants or no estimate; time to first reoffence only with at
least 30 treated reoffenders; a failed balance instead of a headline)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from localjustice.errors import LocalJusticeError
from localjustice.evaluate.cohort import CohortCounts, analysed_people, followed_up_by
from localjustice.evaluate.estimate import Estimate, effect
from localjustice.evaluate.matching import MatchingSpec
from localjustice.evaluate.programmes import Programme, programme
from localjustice.evaluate.statements import Frame, OutcomeStatement, statement
from localjustice.evaluate.table import MIN_TREATED, Evaluation, evaluate_frame
from localjustice.measures.period import add_months
from localjustice.measures.proven_reoffending import FOLLOW_UP_MONTHS, WAITING_MONTHS
from localjustice.warehouse import Warehouse

#: The JDL drops time to first reoffence when fewer treated people than this reoffend.
MIN_TREATED_REOFFENDERS = 30

OUTCOMES: tuple[tuple[str, str, Frame], ...] = (
    ("reoffended", "Proven reoffending rate", "rate"),
    ("proven_reoffences", "Frequency of proven reoffences", "frequency"),
    ("custodial_reoffence", "Reoffence sentenced to immediate custody", "rate"),
)


@dataclass(frozen=True)
class ProgrammeEvaluation:
    programme: Programme
    start: date
    end: date
    counts: CohortCounts
    evaluation: Evaluation | None
    time_to_first: Estimate | None
    time_omitted: str | None
    statements: tuple[OutcomeStatement, ...]
    refusal: str | None

    @property
    def headline(self) -> str | None:
        """The rate statement, or why there is none (no estimate, or balance failed)."""
        if self.refusal:
            return None
        if self.evaluation is None or not self.evaluation.balance.balanced:
            return None
        return self.statements[0].typical + " " + self.statements[0].estimate


def default_period(warehouse: Warehouse) -> tuple[date, date, date]:
    """Index dates whose whole follow-up the data show: from the earliest event to 18 months
    before the last proven offence recorded; and that last day."""
    seen = followed_up_by(warehouse)
    if seen is None:
        raise LocalJusticeError("The analysis zone has no convictions or cautions: run "
                                "`localjustice link` after loading deliveries.")
    rows = warehouse.execute("SELECT min(event_date) FROM analysis.event",
                             step="evaluation: first event").fetchall()
    first = rows[0][0]
    end = add_months(seen, -(FOLLOW_UP_MONTHS + WAITING_MONTHS))
    return first, end, seen


def _time_to_first(frame: pd.DataFrame, result: Evaluation) -> tuple[Estimate | None, str | None]:
    sample = result.sample
    reoffended = frame["reoffended"].to_numpy()[sample.rows] == 1
    treated_reoffenders = int((reoffended & (sample.treated == 1)).sum())
    if treated_reoffenders < MIN_TREATED_REOFFENDERS:
        return None, (f"Time to first proven reoffence is not shown: {treated_reoffenders} "
                      f"participant(s) reoffended, fewer than {MIN_TREATED_REOFFENDERS}.")
    if not (reoffended & (sample.treated == 0)).any():
        return None, "Time to first proven reoffence is not shown: no comparison person reoffended."
    sub = replace(sample, rows=sample.rows[reoffended], treated=sample.treated[reoffended],
                  weights=sample.weights[reoffended], matched_set=sample.matched_set[reoffended])
    filled = frame.assign(days_to_first_reoffence=frame["days_to_first_reoffence"].fillna(0))
    return effect(filled, "treated", "days_to_first_reoffence", sub), None


def evaluate_programme(warehouse: Warehouse, code: str | Programme, *, start: date | None = None,
                       end: date | None = None, spec: MatchingSpec | None = None) -> ProgrammeEvaluation:
    """Match the programme's participants to its eligible pool and estimate its effects."""
    chosen = code if isinstance(code, Programme) else programme(code)
    first, last, seen = default_period(warehouse)
    start = start or first
    end = end or last
    if start >= end:
        raise LocalJusticeError(f"The period {start} to {end} is empty: its follow-up must end by "
                                f"{seen}, the last proven offence in the data.")
    frame, counts = analysed_people(warehouse, chosen, start, end, seen)
    spec = spec or MatchingSpec(caliper=chosen.caliper, ratio=chosen.ratio, exact=chosen.exact)
    if counts.treated == 0 or counts.pool == 0:
        why = ("no participant could be analysed" if counts.treated == 0
               else "nobody eligible who did not take part")
        return ProgrammeEvaluation(chosen, start, end, counts, None, None, None, (),
                                   f"No estimate: {why}.")
    result = evaluate_frame(frame, treatment="treated", outcomes=[o for o, _, _ in OUTCOMES],
                            covariates=list(chosen.matching), spec=spec)
    if result.refusal:
        return ProgrammeEvaluation(chosen, start, end, counts, result, None, None, (),
                                   result.refusal)
    time, omitted = _time_to_first(frame, result)
    texts = [statement(e, frame_kind) for e, (_, _, frame_kind) in
             zip(result.estimates, OUTCOMES, strict=True)][:2]
    if time is not None:
        texts.append(statement(time, "days"))
    return ProgrammeEvaluation(chosen, start, end, counts, result, time, omitted, tuple(texts),
                               None)


__all__ = ["MIN_TREATED", "MIN_TREATED_REOFFENDERS", "OUTCOMES", "ProgrammeEvaluation",
           "default_period", "evaluate_programme"]
