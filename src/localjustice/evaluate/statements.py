"""The Justice Data Lab's standard statements: "For 100 typical people ..." in plain words.

The JDL reports every result in one frame so that a reader can compare reports (JDL
Methodology Paper 2013 and its published reports; /work/shared/reference/EVALUATION.md):

- the rate: "For 100 typical people in the treatment group, the equivalent of: X of the 100
  people committed a proven reoffence within a one-year period (a rate of X%), Y people fewer
  than in the comparison group";
- the frequency: "N proven reoffences were committed by these 100 people during the year (a
  frequency of F offences per person)";
- the time: "D days was the average time before a reoffender committed their first proven
  reoffence";
- the estimate: "... could be lower by between A and B people. This is a statistically
  significant result." or, when not significant, "lower by as many as A people, or higher by as
  many as B people. More people would need to be available for analysis in order to determine
  the direction of this difference".

Rates and their intervals are rounded to whole numbers and frequencies to 2 decimal places, as
the JDL rounds them. ``kind`` says which frame an outcome takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from localjustice.evaluate.estimate import Estimate

Frame = Literal["rate", "frequency", "days"]


@dataclass(frozen=True)
class OutcomeStatement:
    """What one outcome says: the figure for 100 typical people and the estimate in words."""

    outcome: str
    typical: str
    estimate: str
    significant: bool


def _whole(x: float) -> int:
    """Half away from zero, as published tables round (Python's round() goes to even)."""
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def _people(n: float) -> str:
    whole = _whole(n)
    return f"{whole} {'person' if whole == 1 else 'people'}"


def rate_statement(estimate: Estimate, label: str = "committed a proven reoffence",
                   subject: str = "the number who commit a proven reoffence within one year",
                   ) -> OutcomeStatement:
    """A 0/1 outcome per 100 people (the estimate is a difference in proportions)."""
    treated = _whole(100 * estimate.treated_mean)
    comparison = _whole(100 * estimate.comparison_mean)
    gap = comparison - treated
    direction = (f"{_people(abs(gap))} fewer than" if gap > 0 else
                 f"{_people(abs(gap))} more than" if gap < 0 else "the same as")
    typical = (f"For 100 typical people in the treatment group, the equivalent of: {treated} of "
               f"the 100 people {label} within a one-year period (a rate of {treated}%), "
               f"{direction} in the comparison group.")
    low, high = -100 * estimate.ci_upper, -100 * estimate.ci_lower  # as reductions
    return OutcomeStatement(estimate.outcome, typical,
                            _interval_words(low, high, estimate, "people", subject, whole=True),
                            estimate.significant)


def frequency_statement(estimate: Estimate) -> OutcomeStatement:
    """Proven reoffences per person, as offences committed by 100 people."""
    per_person = estimate.treated_mean
    typical = (f"{_whole(100 * per_person)} proven reoffences were committed by these 100 people "
               f"during the year (a frequency of {per_person:.2f} offences per person).")
    low, high = -100 * estimate.ci_upper, -100 * estimate.ci_lower
    return OutcomeStatement(estimate.outcome, typical,
                            _interval_words(low, high, estimate, "offences",
                                            "the number of proven reoffences committed during "
                                            "the year", whole=True),
                            estimate.significant)


def days_statement(estimate: Estimate) -> OutcomeStatement:
    """Average days to the first proven reoffence, among reoffenders."""
    typical = (f"{_whole(estimate.treated_mean)} days was the average time before a reoffender "
               "committed their first proven reoffence.")
    low, high = estimate.ci_lower, estimate.ci_upper
    if estimate.significant:
        words = (f"Reoffenders who receive support could take between {abs(_whole(low))} and "
                 f"{abs(_whole(high))} days {'longer' if low > 0 else 'less'} before their first "
                 "proven reoffence. This is a statistically significant result.")
    else:
        words = (f"Reoffenders who receive support could take as many as {abs(_whole(low))} days "
                 f"less, or as many as {abs(_whole(high))} days longer, before their first proven "
                 "reoffence. More people would need to be available for analysis in order to "
                 "determine the direction of this difference.")
    return OutcomeStatement(estimate.outcome, typical, words, estimate.significant)


def _interval_words(low: float, high: float, estimate: Estimate, unit: str, subject: str, *,
                    whole: bool) -> str:
    """The JDL's sentence for an interval of reductions ``low`` to ``high`` per 100 people."""
    def n(x: float) -> str:
        return f"{abs(_whole(x))}" if whole else f"{abs(x):.2f}"

    frame = "For 100 typical people who receive support, compared with 100 similar people who do not,"
    if estimate.significant and low > 0:
        return (f"{frame} {subject} could be lower by between "
                f"{n(low)} and {n(high)} {unit}. This is a statistically significant result.")
    if estimate.significant and high < 0:
        return (f"{frame} {subject} could be higher by between "
                f"{n(high)} and {n(low)} {unit}. This is a statistically significant result.")
    needed = (f" About {estimate.number_needed:,} participants would be needed for a difference "
              "this size to be statistically significant." if estimate.number_needed else "")
    return (f"{frame} {subject} could be lower by as many as "
            f"{n(max(high, 0))} {unit}, or higher by as many as {n(max(-low, 0))} {unit}. More "
            "people would need to be available for analysis in order to determine the direction "
            f"of this difference.{needed}")


def statement(estimate: Estimate, frame: Frame) -> OutcomeStatement:
    if frame == "rate":
        return rate_statement(estimate)
    if frame == "frequency":
        return frequency_statement(estimate)
    return days_statement(estimate)
