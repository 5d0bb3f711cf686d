"""The simulated people: true attributes of offenders-to-be and of the general population.

Two pools share one person numbering: ``0 .. n_offender-1`` may offend (each with a propensity),
the rest only ever appear as victims or witnesses. Offenders also become victims (the
victim-offender overlap), so both pools are candidates when victims are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from localjustice.area import Area
from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.synth.calendar import DAYS_PER_YEAR, TimeFrame, month_day
from localjustice.synth.names import forenames, name_groups, surnames
from localjustice.synth.parameters import Parameters

NEVER = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class People:
    """True attributes, one array element per person (index = true person number)."""

    sex: NDArray[np.str_]
    birth_day: NDArray[np.int64]
    ethnicity: NDArray[np.str_]
    forename: NDArray[np.int64]
    middle_name: NDArray[np.int64]
    surname: NDArray[np.int64]
    home_borough: NDArray[np.int64]
    moved_day: NDArray[np.int64]
    new_borough: NDArray[np.int64]
    propensity: NDArray[np.float64]
    frailty: NDArray[np.float64]
    n_offender: int

    @property
    def size(self) -> int:
        return len(self.sex)

    def borough_on(self, person: NDArray[np.int64], day: NDArray[np.int64]) -> NDArray[np.int64]:
        """Borough of residence on a day: the new one from the day of a move."""
        moved = day >= self.moved_day[person]
        return np.where(moved, self.new_borough[person], self.home_borough[person])


def deprivation_multiplier(area: Area, target_ratio: float) -> NDArray[np.float64]:
    """Per-resident victimisation multiplier by borough, linear in ``imd_rank``.

    The slope is solved so that victimisations per resident in the most-deprived fifth of
    boroughs are ``target_ratio`` times those in the least-deprived fifth (population-weighted),
    which is what the calibration target and its test measure.
    """
    ranks = np.array([la.imd_rank for la in area.local_authorities], dtype=float)
    pops = np.array([la.population for la in area.local_authorities], dtype=float)
    n = len(ranks)
    gradient = (n - ranks) / (n - 1)  # 1 for the most deprived, 0 for the least
    top, bottom = deprivation_fifths(area)
    # per-resident rates: (1 + s g_top) / (1 + s g_bottom) = ratio, with g the mean gradient
    g_top = (pops * gradient)[top].sum() / pops[top].sum()
    g_bottom = (pops * gradient)[bottom].sum() / pops[bottom].sum()
    slope = (target_ratio - 1.0) / (g_top - target_ratio * g_bottom)
    multiplier: NDArray[np.float64] = 1.0 + slope * gradient
    return multiplier


def deprivation_fifths(area: Area) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Masks of the most- and least-deprived fifth of the area's authorities by ``imd_rank``."""
    ranks = np.array([la.imd_rank for la in area.local_authorities])
    k = max(1, round(len(ranks) / 5))
    order = np.sort(ranks)
    return ranks <= order[k - 1], ranks >= order[-k]


def _categorical(rng: np.random.Generator, weights: NDArray[np.float64], size: int) -> NDArray[np.int64]:
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def _names(
    rng: np.random.Generator, params: Parameters, ethnicity: NDArray[np.str_], sex: NDArray[np.str_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Forename, middle name (-1 = none) and surname indices, from name groups by ethnicity."""
    groups = name_groups()
    mixing = params.section("population")["name_groups"]
    group = np.zeros(len(sex), dtype=np.int64)
    for code, mix in mixing.items():
        who = np.flatnonzero(ethnicity == code)
        weights = np.array([float(mix.get(g, 0.0)) for g in groups])
        group[who] = _categorical(rng, weights, len(who))
    forename = np.zeros(len(sex), dtype=np.int64)
    middle = np.zeros(len(sex), dtype=np.int64)
    surname = np.zeros(len(sex), dtype=np.int64)
    for gi, g in enumerate(groups):
        in_group = group == gi
        surname[in_group] = surnames().draw(rng, g, "", int(in_group.sum()))
        for s in ("M", "F"):
            who = np.flatnonzero(in_group & (sex == s))
            forename[who] = forenames().draw(rng, g, s, len(who))
            middle[who] = forenames().draw(rng, g, s, len(who))
    has_middle = rng.random(len(sex)) < params.section("population")["middle_name_share"]
    middle = np.where(has_middle & (middle != forename), middle, -1)
    return forename, middle, surname


def build_people(
    rng: np.random.Generator, params: Parameters, area: Area, frame: TimeFrame, scale: float
) -> People:
    """Draw both pools. Birth dates spread so every age 10-90 is present through the simulation."""
    pop = params.section("population")
    offending = params.section("offending")
    n_off = max(1, round(pop["offender_pool"] * scale))
    n_gen = max(1, round(pop["general_pool"] * scale))
    n = n_off + n_gen

    male_share = np.r_[np.full(n_off, pop["offender_male_share"]), np.full(n_gen, pop["general_male_share"])]
    sex = np.where(rng.random(n) < male_share, "M", "F")

    max_age_days = int(pop["max_age"] * DAYS_PER_YEAR)
    off_lo = frame.simulation_start - max_age_days
    off_hi = frame.simulation_end - 10 * 365
    gen_lo = frame.window_start - max_age_days
    gen_hi = month_day(frame.first_month - 120) - 1
    birth = np.r_[rng.integers(off_lo, off_hi, n_off), rng.integers(gen_lo, gen_hi, n_gen)]

    codes = [c for c in load_contract().code_lists["ethnicity"] if c in pop["ethnicity"]]
    if not codes:
        raise LocalJusticeError("calibration.toml: population.ethnicity names no contract code")
    eth_weights = np.array([float(pop["ethnicity"][c]) for c in codes])
    ethnicity = np.array(codes)[_categorical(rng, eth_weights, n)]
    forename, middle, surname = _names(rng, params, ethnicity, sex)

    population = np.array([la.population for la in area.local_authorities], dtype=float)
    deprivation = deprivation_multiplier(area, params.targets["victimisation_deprivation_ratio"].value)
    home = np.r_[
        _categorical(rng, population * deprivation, n_off),
        _categorical(rng, population, n_gen),
    ]
    years_until_move = rng.exponential(1.0 / pop["move_rate_per_year"], n)
    moved_day = frame.simulation_start + (years_until_move * DAYS_PER_YEAR).astype(np.int64)
    moved_day = np.where(moved_day < frame.simulation_end, moved_day, NEVER)
    changes = rng.random(n) < pop["move_changes_borough"]
    new_borough = np.where(changes, _categorical(rng, population, n), home)

    shape = float(offending["propensity_shape"])
    mean = float(offending["propensity_mean"])
    propensity = rng.gamma(shape, mean / shape, n_off)
    propensity = np.where(sex[:n_off] == "F", propensity * offending["female_multiplier"], propensity)
    victims = params.section("victims")
    vshape = float(victims["frailty_shape"])
    frailty = rng.gamma(vshape, 1.0 / vshape, n)

    return People(
        sex=sex,
        birth_day=birth.astype(np.int64),
        ethnicity=ethnicity,
        forename=forename,
        middle_name=middle,
        surname=surname,
        home_borough=home.astype(np.int64),
        moved_day=moved_day.astype(np.int64),
        new_borough=new_borough.astype(np.int64),
        propensity=np.r_[propensity, np.zeros(n_gen)],
        frailty=frailty,
        n_offender=n_off,
    )
