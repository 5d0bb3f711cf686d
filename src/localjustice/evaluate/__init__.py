"""Impact evaluation, Justice-Data-Lab style: matched comparison groups and what a pilot changed.

Downstream of the analysis zone. ``evaluate_frame`` is the engine on any table (the
``evaluate-table`` command); docs/evaluation.md gives the method and its sources.
"""

from localjustice.evaluate.balance import Balance, VariableBalance
from localjustice.evaluate.estimate import Estimate, e_value
from localjustice.evaluate.matching import METHODS, MatchedSample, MatchingSpec
from localjustice.evaluate.table import MIN_TREATED, Evaluation, evaluate_frame, read_table

__all__ = ["METHODS", "MIN_TREATED", "Balance", "Estimate", "Evaluation", "MatchedSample",
           "MatchingSpec", "VariableBalance", "e_value", "evaluate_frame", "read_table"]
