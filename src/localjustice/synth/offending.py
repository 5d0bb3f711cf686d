"""Life histories of offending: offences, how each case is dealt with, remand and custody.

Time advances a month at a time (a loop over months, never over people); within a month every
step is an array operation over the people offending that month. What happened before shapes
what happens next: prior proven offences make a caution less likely and custody more likely,
and people in custody (on remand or serving a sentence) do not offend.

Offending follows each person's propensity times an age-crime curve, raised for a while after a
release from sentenced custody: custody does not deter and may harm (MoJ, The impact of short
custodial sentences, community orders and suspended sentence orders on reoffending, 2019), and
selection on prior record alone leaves young adults leaving custody well below the MoU's rate.
All of a person's offences in one month form one case, dealt with by its most serious offence:
informally (never proven, never in the delivery), by a caution, or at court. Sentenced custody
ends at the automatic release point (half the sentence, less time on remand: Criminal Justice
Act 2003 s.240A, s.244).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from localjustice.contract import load_contract
from localjustice.progress import Step
from localjustice.synth.calendar import DAYS_PER_YEAR, TEN_YEARS_SAFE, TimeFrame, age_years
from localjustice.synth.parameters import Parameters
from localjustice.synth.population import People

ROUTE_INFORMAL, ROUTE_CAUTION, ROUTE_COURT = 0, 1, 2
KIND_REMAND, KIND_SENTENCED = 0, 1
_LONG_AGO = -(10**9)


@dataclass(frozen=True)
class JusticeHistory:
    """Everything that happened to offenders, with days as day numbers.

    ``offences``: offence, person, case, offence_day, group (index into contract offence groups).
    ``cases``: case, person, first_day, charge_day, decision_day, lead_group, route, youth,
    outcome (index into court outcomes, -1 when not at court), sentence (index into sentence
    types, -1 when not convicted), custody_days, remanded, crown, priors (proven offences before
    the case).
    ``custody``: person, case, start, end, kind (remand/sentenced).
    """

    offences: pd.DataFrame
    cases: pd.DataFrame
    custody: pd.DataFrame


def _in_custody(person: NDArray[np.int64], day: NDArray[np.int64], active: pd.DataFrame) -> NDArray[np.bool_]:
    """Which (person, day) pairs fall inside a custody period already decided."""
    inside = np.zeros(len(person), dtype=bool)
    if len(active) == 0 or len(person) == 0:
        return inside
    rows = pd.DataFrame({"row": np.arange(len(person)), "person": person, "day": day})
    joined = rows.merge(active, on="person")
    hit = (joined["start"] <= joined["day"]) & (joined["day"] < joined["end"])
    inside[joined.loc[hit, "row"].to_numpy()] = True
    return inside


def _first_of_runs(keys: NDArray[np.int64]) -> NDArray[np.bool_]:
    return np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, dtype=bool)


class _Rules:
    """The calibration's justice parameters as arrays indexed by offence group."""

    def __init__(self, params: Parameters) -> None:
        contract = load_contract()
        off = params.section("offending")
        disp = params.section("disposal")
        sent = params.section("sentencing")
        self.age_points = np.array([a for a, _ in off["age_curve"]], dtype=float)
        self.age_multipliers = np.array([m for _, m in off["age_curve"]], dtype=float)
        mix = params.by_group(off["offence_mix"])
        self.offence_mix = mix / mix.sum()
        self.informal = off
        self.seriousness = params.by_group(sent["custody_days_median"])
        self.caution_base = params.by_group(disp["caution_base"])
        self.remand_base = params.by_group(disp["remand_base"])
        self.crown = params.by_group(disp["crown_court"])
        self.disp = disp
        self.sent = sent
        self.adult_weights = params.group_matrix(sent["adult_weights"])
        self.youth_weights = params.group_matrix(sent["youth_weights"])
        codes = contract.code_lists["sentence_type"]
        self.sentence_codes = codes
        self.adult_map = np.array([codes.index(t) for t in sent["adult_types"]])
        self.youth_map = np.array([codes.index(t) for t in sent["youth_types"]])
        self.custody_col = list(sent["adult_types"]).index("immediate_custody")
        self.youth_custody_col = list(sent["youth_types"]).index("immediate_custody")
        self.suspended_col = list(sent["adult_types"]).index("suspended_sentence")
        self.immediate = codes.index("immediate_custody")
        self.suspended = codes.index("suspended_sentence")
        outcomes = contract.code_lists["court_outcome"]
        self.convicted = outcomes.index("convicted")
        self.acquitted = outcomes.index("acquitted")
        self.discontinued = outcomes.index("discontinued")

    def sentence(
        self,
        rng: np.random.Generator,
        lead_group: NDArray[np.int64],
        youth: NDArray[np.bool_],
        priors: NDArray[np.int64],
        female: NDArray[np.bool_],
    ) -> NDArray[np.int64]:
        """Sentence type per convicted case: weights by offence and age, custody rising with priors."""
        weights = np.where(youth[:, None], self.youth_weights[lead_group], self.adult_weights[lead_group])
        boost = 1.0 + self.sent["custody_prior_slope"] * np.minimum(priors, 10)
        boost = boost * np.where(female, self.sent["custody_female_multiplier"], 1.0)
        rows = np.arange(len(lead_group))
        custody_col = np.where(youth, self.youth_custody_col, self.custody_col)
        weights[rows, custody_col] *= boost
        weights[~youth, self.suspended_col] *= 1.0 + 0.5 * (boost[~youth] - 1.0)
        cumulative = np.cumsum(weights, axis=1)
        draw = rng.random(len(lead_group)) * cumulative[:, -1]
        choice = np.minimum((cumulative < draw[:, None]).sum(axis=1), weights.shape[1] - 1)
        chosen: NDArray[np.int64] = np.where(youth, self.youth_map[choice], self.adult_map[choice])
        return chosen

    def custody_days(
        self,
        rng: np.random.Generator,
        sentence: NDArray[np.int64],
        lead_group: NDArray[np.int64],
        youth: NDArray[np.bool_],
    ) -> NDArray[np.int64]:
        sigma = self.sent["custody_days_sigma"]
        noise = np.exp(sigma * rng.standard_normal(len(sentence)))
        adult = np.clip(np.round(self.seriousness[lead_group] * noise), 7, 5475)
        youth_days = np.clip(np.round(self.sent["youth_custody_days_median"] * noise), 120, 730)
        suspended = np.clip(np.round(self.sent["suspended_days_median"] * noise), 14, 730)
        days = np.where(sentence == self.immediate, np.where(youth, youth_days, adult), 0)
        days = np.where(sentence == self.suspended, suspended, days)
        whole_days: NDArray[np.int64] = days.astype(np.int64)
        return whole_days


def simulate_justice(
    people: People, params: Parameters, frame: TimeFrame, rng: np.random.Generator, step: Step
) -> JusticeHistory:
    """Run the monthly simulation from the start of burn-in to the end of internal follow-up."""
    rules = _Rules(params)
    off = rules.informal
    disp = rules.disp
    n = people.n_offender
    birth = people.birth_day[:n]
    female = people.sex[:n] == "F"
    base = people.propensity[:n]
    n_groups = len(rules.offence_mix)

    custody_end = np.full(n, _LONG_AGO, dtype=np.int64)
    # The latest release from sentenced custody decided so far (possibly still to come) and the
    # one before it, so that a new sentence does not hide a release already past.
    release_day = np.full(n, _LONG_AGO, dtype=np.int64)
    earlier_release = np.full(n, _LONG_AGO, dtype=np.int64)
    last_decision = np.full(n, _LONG_AGO, dtype=np.int64)
    priors = np.zeros(n, dtype=np.int64)
    active = pd.DataFrame(
        {"person": np.zeros(0, np.int64), "start": np.zeros(0, np.int64), "end": np.zeros(0, np.int64)}
    )
    offence_parts: list[pd.DataFrame] = []
    case_parts: list[pd.DataFrame] = []
    custody_parts: list[pd.DataFrame] = []
    next_case = 0
    bounds = frame.month_bounds()

    for m in range(len(bounds) - 1):
        d0, d1 = int(bounds[m]), int(bounds[m + 1])
        mid = (d0 + d1) // 2
        age = (mid - birth) / DAYS_PER_YEAR
        rate = base * np.interp(age, rules.age_points, rules.age_multipliers, left=0.0, right=0.0)
        released = np.where(release_day <= mid, release_day, earlier_release)
        after_release = (released <= mid) & (mid - released < off["after_release_days"])
        rate = np.where(after_release, rate * off["after_release_multiplier"], rate)
        counts = rng.poisson(rate * (d1 - d0) / DAYS_PER_YEAR)
        who = np.flatnonzero(counts)
        person = np.repeat(who, counts[who]).astype(np.int64)
        day = rng.integers(d0, d1, len(person)).astype(np.int64)
        keep = (day - birth[person] >= TEN_YEARS_SAFE) & ~_in_custody(person, day, active)
        person, day = person[keep], day[keep]
        step.advance(1)
        if len(person) == 0:
            continue
        group = rng.choice(n_groups, size=len(person), p=rules.offence_mix).astype(np.int64)
        order = np.lexsort((day, person))
        person, day, group = person[order], day[order], group[order]
        first = _first_of_runs(person)
        starts = np.flatnonzero(first)
        case_of_row = np.cumsum(first) - 1
        k = len(starts)
        case_ids = next_case + np.arange(k, dtype=np.int64)
        next_case += k
        cp = person[starts]
        first_day = day[starts]

        severity = rules.seriousness[group]
        lead_severity = np.maximum.reduceat(severity, starts)
        is_lead = np.flatnonzero(severity == lead_severity[case_of_row])
        lead_rows = is_lead[_first_of_runs(case_of_row[is_lead])]
        lead_group = group[lead_rows]

        youth = age_years(first_day, birth[cp]) < 18
        prior_count = priors[cp].copy()
        has_prior = prior_count > 0
        informal_p = np.select(
            [youth & ~has_prior, youth & has_prior, ~youth & ~has_prior],
            [
                off["informal_share_youth_first"],
                off["informal_share_youth_prior"],
                off["informal_share_adult_first"],
            ],
            off["informal_share_adult_prior"],
        )
        route = np.where(rng.random(k) < informal_p, ROUTE_INFORMAL, ROUTE_COURT)
        caution_p = (
            rules.caution_base[lead_group]
            * np.where(has_prior, disp["caution_multiplier_prior"], disp["caution_multiplier_first"])
            * np.where(youth, disp["caution_multiplier_youth"], 1.0)
        )
        cautioned = (route == ROUTE_COURT) & (rng.random(k) < np.minimum(0.9, caution_p))
        route[cautioned] = ROUTE_CAUTION
        court = route == ROUTE_COURT
        crown = court & (rng.random(k) < rules.crown[lead_group])
        median = np.where(
            cautioned,
            disp["caution_delay_median"],
            np.where(crown, disp["crown_delay_median"], disp["magistrates_delay_median"]),
        )
        sigma = np.where(cautioned, disp["caution_delay_sigma"], disp["court_delay_sigma"])
        delay = np.maximum(1, np.round(median * np.exp(sigma * rng.standard_normal(k)))).astype(np.int64)
        last_day = np.maximum.reduceat(day, starts)
        decision = np.maximum(first_day + delay, last_day + 1)
        formal = route != ROUTE_INFORMAL
        # A person's cases are decided in turn, so their custody periods never overlap.
        decision = np.where(formal, np.maximum(decision, last_decision[cp] + 1), decision)
        # Charged after the case's last offence, so remand never overlaps the case's own offending.
        charge = last_day + rng.integers(1, 4, k)
        remand_p = rules.remand_base[lead_group] * np.where(youth, disp["remand_youth_multiplier"], 1.0)
        remanded = (
            court
            & (rng.random(k) < remand_p)
            & (charge >= custody_end[cp])
            & (last_decision[cp] < charge)
            & (decision > charge)
        )
        last_decision[cp[formal]] = decision[formal]

        draw = rng.random(k)
        outcome = np.where(
            draw < disp["court_acquitted"],
            rules.acquitted,
            np.where(
                draw < disp["court_acquitted"] + disp["court_discontinued"],
                rules.discontinued,
                rules.convicted,
            ),
        )
        outcome = np.where(court, outcome, -1)
        convicted = outcome == rules.convicted
        youth_at_decision = age_years(decision, birth[cp]) < 18
        sentence = rules.sentence(rng, lead_group, youth_at_decision, prior_count, female[cp])
        sentence = np.where(convicted, sentence, -1)
        custody_days = rules.custody_days(rng, sentence, lead_group, youth_at_decision)

        rp = cp[remanded]
        custody_end[rp] = np.maximum(custody_end[rp], decision[remanded])
        immediate = sentence == rules.immediate
        ip = cp[immediate]
        reception = np.maximum(decision[immediate], custody_end[ip])
        remand_days = np.where(remanded, decision - charge, 0)[immediate]
        served = np.maximum(
            1, np.round(custody_days[immediate] * rules.sent["release_fraction"]) - remand_days
        ).astype(np.int64)
        release = reception + served
        custody_end[ip] = release
        earlier_release[ip] = release_day[ip]
        release_day[ip] = release

        proven = cautioned | convicted
        per_case = np.diff(np.r_[starts, len(person)])
        priors[cp[proven]] += per_case[proven]

        new_custody = pd.DataFrame(
            {
                "person": np.r_[rp, ip],
                "case": np.r_[case_ids[remanded], case_ids[immediate]],
                "start": np.r_[charge[remanded], reception],
                "end": np.r_[decision[remanded], release],
                "kind": np.r_[np.full(len(rp), KIND_REMAND), np.full(len(ip), KIND_SENTENCED)],
            }
        )
        custody_parts.append(new_custody)
        active = pd.concat([active, new_custody[["person", "start", "end"]]], ignore_index=True)
        active = active[active["end"] > d1].reset_index(drop=True)
        offence_parts.append(
            pd.DataFrame(
                {
                    "person": person,
                    "case": case_ids[case_of_row],
                    "offence_day": day,
                    "group": group,
                }
            )
        )
        case_parts.append(
            pd.DataFrame(
                {
                    "case": case_ids,
                    "person": cp,
                    "first_day": first_day,
                    "charge_day": charge,
                    "decision_day": decision,
                    "lead_group": lead_group,
                    "route": route,
                    "youth": youth_at_decision,
                    "outcome": outcome,
                    "sentence": sentence,
                    "custody_days": custody_days,
                    "remanded": remanded,
                    "crown": crown,
                    "priors": prior_count,
                }
            )
        )

    offences = pd.concat(offence_parts, ignore_index=True)
    offences.insert(0, "offence", np.arange(len(offences), dtype=np.int64))
    return JusticeHistory(
        offences=offences,
        cases=pd.concat(case_parts, ignore_index=True),
        custody=pd.concat(custody_parts, ignore_index=True),
    )
