"""Proven reoffending measured on the truth, for calibration (not the platform's measure).

Follows the Ministry of Justice "Guide to proven reoffending statistics": the cohort of a year
is everyone cautioned, convicted at court without immediate custody, or released from sentenced
custody in it (remand releases are not index events); the index event is a person's first such
event; a proven reoffence is an offence committed within 12 months after the index date and
proven by caution or conviction within those 12 months plus a 6-month waiting period. Breach
offences never count as reoffences, and (as in the MoJ guide) breach convictions are not index
events either.

This works on the simulation's own event tables, independent of the measures package, and it
sees the internal follow-up simulated after the delivery window: with ``years=1`` a cohort's
18 months of follow-up lie mostly beyond the delivered year, so these truth rates are the rates
of the simulated population, not what can be measured from the delivery alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from localjustice.synth.calendar import age_years
from localjustice.synth.offending import KIND_SENTENCED, ROUTE_CAUTION, ROUTE_COURT

INDEX_CAUTION, INDEX_COURT, INDEX_RELEASE = "caution", "court", "release"


@dataclass(frozen=True)
class ReoffendingRates:
    cohort: int
    overall: float
    age_18_24: float
    youth: float
    young_adults_custody: float
    young_adults_custody_cohort: int
    youth_cohort: int


def index_events(
    cases: pd.DataFrame, custody: pd.DataFrame, breach_group: int, sentence_immediate: int, convicted: int
) -> pd.DataFrame:
    """Every potential index event: person, day, kind."""
    not_breach = cases["lead_group"] != breach_group
    caution = cases[not_breach & (cases["route"] == ROUTE_CAUTION)]
    court = cases[
        not_breach
        & (cases["route"] == ROUTE_COURT)
        & (cases["outcome"] == convicted)
        & (cases["sentence"] != sentence_immediate)
    ]
    released = custody[custody["kind"] == KIND_SENTENCED]
    return pd.concat(
        [
            pd.DataFrame(
                {"person": caution["person"], "day": caution["decision_day"], "kind": INDEX_CAUTION}
            ),
            pd.DataFrame({"person": court["person"], "day": court["decision_day"], "kind": INDEX_COURT}),
            pd.DataFrame({"person": released["person"], "day": released["end"], "kind": INDEX_RELEASE}),
        ],
        ignore_index=True,
    )


def proven_offences(
    offences: pd.DataFrame, cases: pd.DataFrame, breach_group: int, convicted: int
) -> pd.DataFrame:
    """Offences proven by caution or conviction: person, offence_day, proof_day."""
    proven_case = (cases["route"] == ROUTE_CAUTION) | (
        (cases["route"] == ROUTE_COURT) & (cases["outcome"] == convicted)
    )
    decided = cases.loc[proven_case, ["case", "decision_day"]]
    rows = offences[offences["group"] != breach_group].merge(decided, on="case")
    return pd.DataFrame(
        {"person": rows["person"], "offence_day": rows["offence_day"], "proof_day": rows["decision_day"]}
    )


def cohort(events: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    """One row per person: the first index event in the year ``[lo, hi)`` (day numbers; a
    calendar year, or a twelve-month year of a window that ends mid-year)."""
    in_year = events[(events["day"] >= lo) & (events["day"] < hi)]
    first = in_year.sort_values(["person", "day", "kind"], kind="stable").drop_duplicates("person")
    return first.rename(columns={"day": "index_day"}).reset_index(drop=True)


def reoffended(members: pd.DataFrame, proven: pd.DataFrame, window: int, waiting: int) -> pd.Series:
    """Boolean per cohort row: a proven reoffence within the window and waiting period.

    Judged per row, from that row's own index date, so that ``members`` may hold the cohorts of
    several years (a person in two years' cohorts is judged on each year's follow-up apart).
    """
    rows = members[["person", "index_day"]].reset_index(drop=True)
    joined = rows.reset_index(names="row").merge(proven, on="person")
    hit = (
        (joined["offence_day"] > joined["index_day"])
        & (joined["offence_day"] <= joined["index_day"] + window)
        & (joined["proof_day"] <= joined["index_day"] + window + waiting)
    )
    flags = np.zeros(len(members), dtype=bool)
    flags[joined.loc[hit, "row"].to_numpy()] = True
    return pd.Series(flags, index=members.index)


def rates(members: pd.DataFrame, did_reoffend: pd.Series, birth_day: np.ndarray) -> ReoffendingRates:
    age = age_years(members["index_day"].to_numpy(), birth_day[members["person"].to_numpy()])
    young_adult = (age >= 18) & (age <= 24)
    youth = age < 18
    custody = young_adult & (members["kind"].to_numpy() == INDEX_RELEASE)
    flags = did_reoffend.to_numpy()

    def share(mask: np.ndarray) -> float:
        return float(flags[mask].mean()) if mask.any() else float("nan")

    return ReoffendingRates(
        cohort=len(members),
        overall=share(np.ones(len(members), dtype=bool)),
        age_18_24=share(young_adult),
        youth=share(youth),
        young_adults_custody=share(custody),
        young_adults_custody_cohort=int(custody.sum()),
        youth_cohort=int(youth.sum()),
    )
