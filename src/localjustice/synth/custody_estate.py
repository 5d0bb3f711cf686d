"""Which establishment holds each custody period, and in which youth estate.

Under-18s go to the youth estate (young offender institutions, secure training centres, secure
children's homes); the share held inside the area is a calibration figure (London MoU: 138 of
290 young Londoners in custody were held in London, November 2017). Whether an establishment
lies inside the area comes from the area's reference data, never from the extract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from localjustice.area import Area
from localjustice.synth.calendar import age_years
from localjustice.synth.parameters import Parameters
from localjustice.synth.population import People

YOUTH_ESTATES = ("yoi", "stc", "sch")


def _pick(rng: np.random.Generator, codes: list[str], size: int) -> NDArray[np.str_]:
    if not codes:
        raise ValueError("no establishment of the kind needed in the area's reference data")
    return np.array(codes)[rng.integers(0, len(codes), size)]


def assign_establishments(
    custody: pd.DataFrame, people: People, area: Area, params: Parameters, rng: np.random.Generator
) -> pd.DataFrame:
    """Add ``establishment`` and ``youth_estate`` columns; a case's periods share one place."""
    settings = params.section("custody")
    est = area.establishments
    youth_in = [e.code for e in est if e.estate in YOUTH_ESTATES and e.in_area]
    youth_out = [e.code for e in est if e.estate in YOUTH_ESTATES and not e.in_area]
    male_in = [e.code for e in est if e.estate == "adult_male" and e.in_area]
    male_out = [e.code for e in est if e.estate == "adult_male" and not e.in_area]
    female = [e.code for e in est if e.estate == "adult_female"]
    estate_of = {e.code: (e.estate if e.estate in YOUTH_ESTATES else "") for e in est}

    ordered = custody.sort_values(["case", "start"], kind="stable").reset_index(drop=True)
    first = np.r_[True, ordered["case"].to_numpy()[1:] != ordered["case"].to_numpy()[:-1]]
    heads = ordered[first]
    person = heads["person"].to_numpy()
    youth = age_years(heads["start"].to_numpy(), people.birth_day[person]) < 18
    is_female = people.sex[person] == "F"
    n = len(heads)
    inside = rng.random(n)
    chosen = np.where(
        youth,
        np.where(inside < settings["youth_in_area"], _pick(rng, youth_in, n), _pick(rng, youth_out, n)),
        np.where(
            is_female,
            _pick(rng, female, n),
            np.where(
                inside < settings["adult_male_in_area"], _pick(rng, male_in, n), _pick(rng, male_out, n)
            ),
        ),
    )
    run = np.cumsum(first) - 1
    ordered["establishment"] = chosen[run]
    ordered["youth_estate"] = pd.Series(ordered["establishment"]).map(estate_of).to_numpy()
    return ordered
