"""Recorded crimes, their victims, and referrals of victims and witnesses to support services.

Recorded crime per year and offence group follows the Metropolitan Police mix and the target
total (about 820,000 a year in London; see ``calibration.toml``). Crimes committed by simulated
offenders are part of that total; the rest have no detected offender. Victims are drawn from
everyone (both pools) with weights: a Gamma frailty (so a few people are victimised repeatedly),
an age profile, and a borough multiplier linear in deprivation rank, solved so the most-deprived
fifth of boroughs has about three times the per-resident victimisation of the least-deprived
fifth. Offenders are drawn too, more often the more they offend: the victim-offender overlap.
Only crimes committed in the delivery window are generated; victims are aged 10 or over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from localjustice.area import Area
from localjustice.contract import load_contract
from localjustice.synth.calendar import TEN_YEARS_SAFE, TimeFrame
from localjustice.synth.offending import ROUTE_COURT, JusticeHistory
from localjustice.synth.parameters import Parameters
from localjustice.synth.population import People, deprivation_multiplier


@dataclass(frozen=True)
class Victimisation:
    """``crimes``: crime, committed_day, recorded_day, group, borough, offence (-1 if none).
    ``victims``: crime, person, committed_day, recorded_day, group, enhanced_rights,
    contact_preference. ``referrals``: person, crime (-1 if none), referral_day, referrer, role,
    needs, service.
    """

    crimes: pd.DataFrame
    victims: pd.DataFrame
    referrals: pd.DataFrame


def _categorical(rng: np.random.Generator, table: dict[str, float], size: int) -> NDArray[np.str_]:
    names = list(table)
    weights = np.array([float(table[n]) for n in names])
    return np.array(names)[rng.choice(len(names), size=size, p=weights / weights.sum())]


def _code_list(
    rng: np.random.Generator, table: dict[str, float], size: int, order: tuple[str, ...]
) -> NDArray[np.str_]:
    """``;``-joined codes, each present with its own probability, in contract order."""
    joined = np.full(size, "", dtype="U1")
    for code in order:
        present = rng.random(size) < table.get(code, 0.0)
        joined = np.where(present, np.strings.add(joined, ";" + code), joined)
    return np.strings.lstrip(joined.astype(str), ";")


def _victim_weights(people: People, params: Parameters, area: Area, first_day: int,
                    end_day: int) -> NDArray[np.float64]:
    """Who is victimised in the window year ``[first_day, end_day)``."""
    settings = params.section("victims")
    mid_year = np.full(people.size, (first_day + end_day) // 2, dtype=np.int64)
    borough = people.borough_on(np.arange(people.size), mid_year)
    deprivation = deprivation_multiplier(area, params.targets["victimisation_deprivation_ratio"].value)
    age = (first_day - people.birth_day) / 365.2425
    bands = np.array(settings["age_bands"], dtype=float)
    age_weight = np.array(settings["age_weights"], dtype=float)[
        np.clip(np.searchsorted(bands, age, "right") - 1, 0, None)
    ]
    # Aged at least 10 on every day of the year and at most 105: contract age rule 10..110.
    eligible = (first_day - people.birth_day >= TEN_YEARS_SAFE) & (age < 105)
    n_off = people.n_offender
    mean = float(params.section("offending")["propensity_mean"])
    offender_factor = (
        settings["offender_weight_base"]
        + settings["offender_weight_per_propensity"] * people.propensity[:n_off] / mean
    )
    # Offenders already live disproportionately in deprived boroughs; general residents carry
    # the deprivation multiplier in their weight instead, so both give the same gradient.
    place = np.r_[offender_factor, deprivation[borough[n_off:]]]
    return np.where(eligible, people.frailty * age_weight * place, 0.0)


def simulate_victimisation(
    history: JusticeHistory,
    people: People,
    params: Parameters,
    area: Area,
    frame: TimeFrame,
    scale: float,
    rng: np.random.Generator,
) -> Victimisation:
    contract = load_contract()
    groups = contract.code_lists["offence_group"]
    settings = params.section("victims")
    target = params.targets["recorded_crimes"].value * scale
    mix = params.section("victims")["recorded_mix"]
    notifiable = np.array([g in mix for g in groups])

    offences = history.offences
    in_window = frame.in_window(offences["offence_day"].to_numpy())
    attributed = offences[in_window & notifiable[offences["group"].to_numpy()]]
    crime_parts = [
        pd.DataFrame(
            {
                "committed_day": attributed["offence_day"],
                "group": attributed["group"],
                "offence": attributed["offence"],
                "offender": attributed["person"],
            }
        )
    ]
    for lo, hi in frame.year_spans():
        days_in_year = attributed["offence_day"].between(lo, hi - 1)
        already = np.bincount(attributed.loc[days_in_year, "group"], minlength=len(groups))
        for gi, g in enumerate(groups):
            if g not in mix:
                continue
            extra = max(0, round(target * mix[g]) - int(already[gi]))
            crime_parts.append(
                pd.DataFrame(
                    {"committed_day": rng.integers(lo, hi, extra), "group": gi, "offence": -1, "offender": -1}
                )
            )
    crimes = pd.concat(crime_parts, ignore_index=True)
    crimes = crimes.sort_values(["committed_day", "group", "offence"], kind="stable").reset_index(drop=True)
    crimes.insert(0, "crime", np.arange(len(crimes), dtype=np.int64))
    n_crimes = len(crimes)
    same_day = rng.random(n_crimes) < settings["recorded_same_day"]
    delay = np.round(
        settings["recorded_delay_median"]
        * np.exp(settings["recorded_delay_sigma"] * rng.standard_normal(n_crimes))
    )
    crimes["recorded_day"] = crimes["committed_day"] + np.where(same_day, 0, np.clip(delay, 0, 365)).astype(
        np.int64
    )

    share = params.by_group(settings["share_with_victim"])
    group_of = crimes["group"].to_numpy()
    has_victim = rng.random(n_crimes) < share[group_of]
    second = has_victim & (rng.random(n_crimes) < settings["second_victim_share"])
    victim_crimes = np.r_[np.flatnonzero(has_victim), np.flatnonzero(second)]
    victim_crimes.sort()
    committed = crimes["committed_day"].to_numpy()[victim_crimes]
    person = np.zeros(len(victim_crimes), dtype=np.int64)
    for lo, hi in frame.year_spans():
        this_year = (committed >= lo) & (committed < hi)
        weights = _victim_weights(people, params, area, lo, hi)
        person[this_year] = rng.choice(people.size, size=int(this_year.sum()), p=weights / weights.sum())
    victims = pd.DataFrame({"crime": victim_crimes, "person": person})
    crime_offender = crimes["offender"].to_numpy()
    victims = (
        victims[crime_offender[victim_crimes] != person]
        .drop_duplicates(["crime", "person"])
        .reset_index(drop=True)
    )
    victims = victims.merge(crimes[["crime", "committed_day", "recorded_day", "group"]], on="crime")

    population = np.array([la.population for la in area.local_authorities], dtype=float)
    deprivation = deprivation_multiplier(area, params.targets["victimisation_deprivation_ratio"].value)
    elsewhere = rng.choice(
        len(population), size=n_crimes, p=population * deprivation / (population * deprivation).sum()
    )
    first_victim = victims.drop_duplicates("crime")
    home = np.full(n_crimes, -1, dtype=np.int64)
    home[first_victim["crime"].to_numpy()] = people.borough_on(
        first_victim["person"].to_numpy(), first_victim["committed_day"].to_numpy()
    )
    with_offender = (home < 0) & (crime_offender >= 0)
    home[with_offender] = people.borough_on(
        crime_offender[with_offender], crimes["committed_day"].to_numpy()[with_offender]
    )
    at_home = (home >= 0) & (rng.random(n_crimes) < settings["home_borough_share"])
    crimes["borough"] = np.where(at_home, home, elsewhere)

    victims = _victim_details(victims, people, params, groups, rng)
    referrals = _referrals(victims, crimes, history, people, params, frame, groups, rng)
    return Victimisation(crimes=crimes, victims=victims, referrals=referrals)


def _victim_details(
    victims: pd.DataFrame,
    people: People,
    params: Parameters,
    groups: tuple[str, ...],
    rng: np.random.Generator,
) -> pd.DataFrame:
    settings = params.section("victims")
    n = len(victims)
    group = np.array(groups)[victims["group"].to_numpy()]
    counts = victims.groupby("person")["crime"].transform("size").to_numpy()
    age = (victims["committed_day"].to_numpy() - people.birth_day[victims["person"].to_numpy()]) / 365.2425
    serious = np.isin(group, ["sexual_offences", "robbery"]) | (
        (group == "violence_against_the_person") & (rng.random(n) < 0.3)
    )
    targeted = (counts >= 3) & (rng.random(n) < 0.5)
    vulnerable = rng.random(n) < np.where(
        (age < 18) | (age >= 75), 3 * settings["vulnerable_share"], settings["vulnerable_share"]
    )
    rights = np.full(n, "", dtype="U1")
    for flag, code in (
        (serious, "serious_crime"),
        (targeted, "persistently_targeted"),
        (vulnerable, "vulnerable_or_intimidated"),
    ):
        rights = np.where(flag, np.strings.add(rights, ";" + code), rights)
    victims = victims.copy()
    victims["enhanced_rights"] = np.strings.lstrip(rights.astype(str), ";")
    victims["contact_preference"] = _categorical(rng, settings["contact_preference"], n)
    return victims


def _referrals(
    victims: pd.DataFrame,
    crimes: pd.DataFrame,
    history: JusticeHistory,
    people: People,
    params: Parameters,
    frame: TimeFrame,
    groups: tuple[str, ...],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Victims referred after the crime is recorded; witnesses referred before a court outcome."""
    settings = params.section("referrals")
    needs_order = load_contract().code_lists["needs"]
    share = params.by_group(settings["share"])
    referred = victims[rng.random(len(victims)) < share[victims["group"].to_numpy()]]
    n = len(referred)
    group = np.array(groups)[referred["group"].to_numpy()]
    draw = rng.random(n)
    service = np.where(
        group == "sexual_offences",
        np.where(draw < settings["isva_share_sexual"], "isva", "counselling"),
        np.where(
            (group == "violence_against_the_person") & (draw < settings["idva_share_violence"]),
            "idva",
            np.where(
                draw > 0.95,
                "restorative_justice",
                np.where(draw > 0.92, "nhs_psychosocial", "general_support"),
            ),
        ),
    )
    lo, hi = settings["delay_days"]
    victim_part = pd.DataFrame(
        {
            "person": referred["person"].to_numpy(),
            "crime": referred["crime"].to_numpy(),
            "referral_day": referred["recorded_day"].to_numpy() + rng.integers(lo, hi + 1, n),
            "referrer": _categorical(rng, settings["referrer"], n),
            "role": "victim",
            "needs": _code_list(rng, settings["needs"], n, needs_order),
            "service": service,
        }
    )

    cases = history.cases
    court = cases[(cases["route"] == ROUTE_COURT) & frame.in_window(cases["decision_day"].to_numpy())]
    court = court[rng.random(len(court)) < settings["witness_share"]]
    referral_day = court["decision_day"].to_numpy() - rng.integers(14, 61, len(court))
    ok = referral_day > court["first_day"].to_numpy()
    court, referral_day = court[ok], referral_day[ok]
    m = len(court)
    general = np.arange(people.n_offender, people.size)
    witness = general[rng.integers(0, len(general), m)]
    adult = referral_day - people.birth_day[witness] >= 18 * 366
    lead_offence = history.offences.drop_duplicates("case").set_index("case")["offence"]
    crime_of_offence = crimes[crimes["offence"] >= 0].set_index("offence")["crime"]
    witness_crime = court["case"].map(lead_offence).map(crime_of_offence).fillna(-1).astype(np.int64)
    witness_part = pd.DataFrame(
        {
            "person": witness[adult],
            "crime": witness_crime.to_numpy()[adult],
            "referral_day": referral_day[adult],
            "referrer": "witness_care",
            "role": "witness",
            "needs": np.where(
                rng.random(int(adult.sum())) < 0.5, "court_preparation", "emotional;court_preparation"
            ),
            "service": "witness_pretrial",
        }
    )
    return pd.concat([victim_part, witness_part], ignore_index=True)
