"""Synthetic pilots with a known truth: who took part, chosen on risk, and what it changed.

For each programme of ``calibration.toml`` ``[programmes]`` (illustrative, not calibrated to a
published evaluation): the people with an index event of the programme's kind in the window
(a release from sentenced custody, a community sentence, a conviction without custody or a
caution), each at their first; among those eligible, who takes part is drawn with **selection on
risk**: the log-odds rise with previous proven offences and fall with age, and the pilot runs
only in some boroughs, so participants are riskier than the rest and a naive comparison is
biased. Previous offences are those the delivered data show (decided in the window), so the
selection is on what an evaluator can measure. They start ``delay_days`` after the index event.

The programme's **true effect** is applied to the simulated history: each of a participant's
cases begun in the year after the index event is prevented (removed, with its offences and any
custody it brought) with probability ``prevented_share``, optionally only for participants under
an age (``works_below_age``: a programme that works for some only). The truth folder's
``programme_effects.csv`` gives, per programme, the participants' realised one-year proven
reoffending rate with the programme and without it (the same people and draws, before the
prevented cases were removed: the generator's own counterfactual), and so the true effect on the
treated, in the proven reoffending rules' terms (an offence committed within 12 months of the
index date and proven within 18).

Everything is array work over all candidates at once; the loop is over programmes (five).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from localjustice.contract import load_contract
from localjustice.synth.calendar import TimeFrame, age_years
from localjustice.synth.offending import KIND_SENTENCED, ROUTE_CAUTION, ROUTE_COURT, JusticeHistory
from localjustice.synth.parameters import Parameters
from localjustice.synth.population import People

_COMMUNITY = ("community_order", "suspended_sentence", "youth_rehabilitation_order")
FOLLOW_UP_DAYS = 365  # the Guide's 12 months, in days for the generator's own truth
PROVEN_BY_DAYS = 548  # 18 months


@dataclass(frozen=True)
class Pilots:
    """The participants (one row each) and the history with prevented cases removed."""

    history: JusticeHistory
    participants: pd.DataFrame  # person, programme, start, end, completed ("Y"/"N"/"")
    effects: pd.DataFrame  # per programme: participants, rate with and without, true effect


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return result


def _candidates(kind: str, history: JusticeHistory, sentence_codes: tuple[str, ...]) -> pd.DataFrame:
    """Index events of one kind: person, day, priors (proven offences before the case)."""
    cases = history.cases
    proven = ((cases["route"] == ROUTE_CAUTION)
              | ((cases["route"] == ROUTE_COURT) & (cases["sentence"] >= 0)))
    codes = np.array(sentence_codes)
    sentence = np.where(cases["sentence"] >= 0, codes[np.maximum(cases["sentence"], 0)], "")
    if kind == "release":
        custody = history.custody[history.custody["kind"] == KIND_SENTENCED]
        joined = custody.merge(cases[["case", "priors"]], on="case")
        return pd.DataFrame({"person": joined["person"], "day": joined["end"],
                             "priors": joined["priors"]})
    if kind == "community_sentence":
        chosen = proven & np.isin(sentence, _COMMUNITY)
    else:  # court_or_caution
        chosen = proven & (sentence != "immediate_custody")
    picked = cases[chosen]
    return pd.DataFrame({"person": picked["person"], "day": picked["decision_day"],
                         "priors": picked["priors"]})


def _seen_priors(history: JusticeHistory, found: pd.DataFrame, frame: TimeFrame) -> NDArray[np.int64]:
    """Proven offences before each candidate's index day that the delivered data show (decided
    inside the window): selection is on what an evaluator can measure, the assumption matching
    rests on (selection on observables); a record before the window would be an unmeasured
    confounder of the generator's own making."""
    cases = history.cases
    proven = ((cases["route"] == ROUTE_CAUTION)
              | ((cases["route"] == ROUTE_COURT) & (cases["sentence"] >= 0)))
    decided = history.offences.merge(cases.loc[proven, ["case", "decision_day"]], on="case")
    decided = decided[decided["decision_day"] >= frame.window_start]
    joined = decided[["person", "decision_day"]].merge(found[["person", "day"]], on="person")
    before = joined[joined["decision_day"] < joined["day"]].groupby("person").size()
    counts: NDArray[np.int64] = np.asarray(found["person"].map(before).fillna(0), dtype=np.int64)
    return counts


def _intercept(base: NDArray[np.float64], target: float) -> float:
    """The log-odds intercept at which the expected number of participants is ``target``
    (bisection on one number: the sum is monotone in it)."""
    low, high = -30.0, 30.0
    for _ in range(60):
        middle = (low + high) / 2
        if _sigmoid(base + middle).sum() < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _reoffended(history: JusticeHistory, person: NDArray[np.int64],
                index_day: NDArray[np.int64]) -> NDArray[np.bool_]:
    """The generator's own proven reoffending for (person, index day) pairs, one per person."""
    cases = history.cases
    proven = ((cases["route"] == ROUTE_CAUTION)
              | ((cases["route"] == ROUTE_COURT) & (cases["sentence"] >= 0)))
    offences = history.offences.merge(
        cases.loc[proven, ["case", "decision_day"]], on="case")
    at = pd.Series(index_day, index=person)
    start = offences["person"].map(at)
    hit = (start.notna() & (offences["offence_day"] > start)
           & (offences["offence_day"] <= start + FOLLOW_UP_DAYS)
           & (offences["decision_day"] <= start + PROVEN_BY_DAYS))
    return np.isin(person, offences.loc[hit, "person"].to_numpy())


def add_pilots(history: JusticeHistory, people: People, params: Parameters, frame: TimeFrame,
               scale: float, rng: np.random.Generator) -> Pilots:
    """Choose participants on risk, apply each programme's true effect, and say what it was."""
    spec = params.section("programmes")
    codes = load_contract().code_lists["sentence_type"]
    boroughs = len(np.unique(people.home_borough))
    taken = np.zeros(people.n_offender, dtype=bool)  # one programme per person, for clarity
    removed = np.zeros(len(history.cases), dtype=bool)
    participant_parts: list[pd.DataFrame] = []
    effect_rows = []
    case_first = history.cases["first_day"].to_numpy()
    case_person = history.cases["person"].to_numpy()
    # each programme draws from its own stream, so changing one programme's selection or effect
    # leaves the other programmes' participants and truth exactly as they were
    streams = rng.spawn(len(spec))
    for (code, programme), stream in zip(spec.items(), streams, strict=True):  # five, vectorised
        found = _candidates(str(programme["index_event"]), history, codes)
        found = found[frame.in_window(found["day"].to_numpy())]
        found = found.sort_values(["person", "day"]).drop_duplicates("person")
        found = found.assign(priors=_seen_priors(history, found, frame))
        person = found["person"].to_numpy(dtype=np.int64)
        day = found["day"].to_numpy(dtype=np.int64)
        age = age_years(day, people.birth_day[person])
        eligible = (age >= int(programme["min_age"])) & (age <= int(programme["max_age"]))
        if programme.get("sex"):
            eligible &= people.sex[person] == str(programme["sex"])
        eligible &= found["priors"].to_numpy() >= int(programme.get("min_priors", 0))
        eligible &= ~taken[person]
        pilot = stream.permutation(boroughs)[: max(1, round(boroughs * float(programme["borough_share"])))]
        in_pilot = np.isin(people.borough_on(person, day), pilot)
        person, day, age = person[eligible & in_pilot], day[eligible & in_pilot], age[eligible & in_pilot]
        priors = found["priors"].to_numpy()[eligible & in_pilot]
        base = (float(programme["per_prior"]) * np.minimum(priors, 20)
                + float(programme["per_year_of_age"]) * (age - 30))
        target = float(programme["participants_per_year"]) * scale * frame.years
        joins = stream.random(len(person)) < _sigmoid(base + _intercept(base, target))
        person, day, age = person[joins], day[joins], age[joins]
        taken[person] = True
        delay = stream.integers(1, int(programme["delay_days"]) + 1, len(person))
        start = day + delay
        keep = start < frame.window_end
        person, day, age, start = person[keep], day[keep], age[keep], start[keep]
        end = start + stream.integers(60, 240, len(person))
        completed = np.where(end < frame.window_end,
                             np.where(stream.random(len(person)) < 0.7, "Y", "N"), "")
        before = _reoffended(history, person, day)
        # the effect: each case begun within a year of the index is prevented with the share
        share = np.full(len(person), float(programme["prevented_share"]))
        if "works_below_age" in programme:
            share = np.where(age < int(programme["works_below_age"]), share, 0.0)
        window = pd.Series(day, index=person)
        begin = pd.Series(case_person).map(window).to_numpy(dtype=float)
        chance = pd.Series(case_person).map(pd.Series(share, index=person)).to_numpy(dtype=float)
        in_year = ~np.isnan(begin) & (case_first > begin) & (case_first <= begin + FOLLOW_UP_DAYS)
        removed |= in_year & (stream.random(len(case_first)) < np.nan_to_num(chance))
        participant_parts.append(pd.DataFrame({
            "person": person, "programme": code, "start": start, "end": end,
            "completed": completed, "index_day": day}))
        effect_rows.append((code, person, day, before))
    kept = JusticeHistory(
        offences=history.offences[~history.offences["case"].isin(
            history.cases.loc[removed, "case"])].reset_index(drop=True),
        cases=history.cases[~removed].reset_index(drop=True),
        custody=history.custody[~history.custody["case"].isin(
            history.cases.loc[removed, "case"])].reset_index(drop=True))
    effects = []
    for code, person, day, before in effect_rows:
        after = _reoffended(kept, person, day)
        n = len(person)
        effects.append({
            "programme": code, "participants": n,
            "rate_without": float(before.mean()) if n else float("nan"),
            "rate_with": float(after.mean()) if n else float("nan"),
            "true_effect": float(after.mean() - before.mean()) if n else float("nan"),
            "prevented_share": float(spec[code]["prevented_share"]),
        })
    return Pilots(history=kept, participants=pd.concat(participant_parts, ignore_index=True),
                  effects=pd.DataFrame(effects))


__all__ = ["Pilots", "add_pilots"]
