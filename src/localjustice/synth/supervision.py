"""Probation supervision, electronic monitoring and breach prosecutions that follow sentences.

Probation supervises adults' community orders and suspended sentence orders from the sentence
date, and licences from release until sentence expiry, followed (for sentences under two years)
by post-sentence supervision to 12 months after release (Offender Rehabilitation Act 2014).
Electronic monitoring follows court requirements (curfew_em, gps_em, aamr), licence conditions
and bail. Orders end completed, revoked for breach (some prosecuted as ``breach`` offences) or
revoked for a further proven offence. These follow from the sentences after the monthly
simulation and do not feed back into offending.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from localjustice.contract import load_contract
from localjustice.synth.calendar import age_years
from localjustice.synth.offending import KIND_SENTENCED, ROUTE_CAUTION, ROUTE_COURT, JusticeHistory
from localjustice.synth.parameters import Parameters
from localjustice.synth.population import People


@dataclass(frozen=True)
class Supervision:
    """``orders``: person, order_type, start, end, provider, termination.
    ``monitoring``: person, monitoring_type, start, end, violations, source_order.
    ``breach_cases`` / ``breach_offences``: court cases for prosecuted breaches, shaped like the
    simulation's cases and offences.
    """

    orders: pd.DataFrame
    monitoring: pd.DataFrame
    breach_cases: pd.DataFrame
    breach_offences: pd.DataFrame


def requirement_masks(cases: pd.DataFrame, params: Parameters, rng: np.random.Generator) -> np.ndarray:
    """Bit mask of requirements (contract order) for community, suspended and youth orders."""
    codes = load_contract().code_lists
    requirements = codes["requirements"]
    sentence_codes = codes["sentence_type"]
    with_requirements = (
        cases["sentence"]
        .isin(
            [
                sentence_codes.index(t)
                for t in ("community_order", "suspended_sentence", "youth_rehabilitation_order")
            ]
        )
        .to_numpy()
    )
    table = params.section("requirements")
    mask = np.zeros(len(cases), dtype=np.int64)
    for bit, name in enumerate(requirements):
        mask |= (rng.random(len(cases)) < table.get(name, 0.0)).astype(np.int64) << bit
    needs_one = cases["sentence"].to_numpy() == sentence_codes.index("community_order")
    fallback = 1 << requirements.index("rehabilitation_activity")
    mask = np.where(needs_one & (mask == 0), fallback, mask)
    return np.where(with_requirements, mask, 0)


def _uniform_days(rng: np.random.Generator, bounds: list[int], size: int) -> np.ndarray:
    return rng.integers(int(bounds[0]), int(bounds[1]) + 1, size)


def _terminate(
    orders: pd.DataFrame, proven: pd.DataFrame, params: Parameters, rng: np.random.Generator
) -> pd.DataFrame:
    """End orders by breach, by a further proven offence during the order, or completion."""
    settings = params.section("supervision")
    joined = orders[["order", "person", "start", "end"]].merge(proven, on="person")
    during = joined[(joined["offence_day"] > joined["start"]) & (joined["offence_day"] < joined["end"])]
    first_reoffence = during.groupby("order")["proof_day"].min()
    reoffence_day = orders["order"].map(first_reoffence).to_numpy()
    n = len(orders)
    start = orders["start"].to_numpy()
    end = orders["end"].to_numpy()
    revoke = (~np.isnan(reoffence_day)) & (rng.random(n) < settings["revoked_on_reoffence"])
    breach = ~revoke & (rng.random(n) < settings["breach_share"])
    breach_day = start + np.maximum(14, ((end - start) * rng.uniform(0.2, 0.8, n)).astype(np.int64))
    new_end = np.where(revoke, np.clip(np.nan_to_num(reoffence_day), start + 1, None).astype(np.int64), end)
    new_end = np.where(breach, np.minimum(breach_day, end), new_end)
    orders = orders.copy()
    orders["end"] = new_end
    orders["termination"] = np.where(
        revoke, "revoked_reoffence", np.where(breach, "revoked_breach", "completed")
    )
    return orders


def derive_supervision(
    history: JusticeHistory,
    people: People,
    params: Parameters,
    rng: np.random.Generator,
    requirement_mask: np.ndarray,
) -> Supervision:
    codes = load_contract().code_lists
    sentence_codes = codes["sentence_type"]
    settings = params.section("supervision")
    cases = history.cases
    birth = people.birth_day

    adult = ~cases["youth"].to_numpy()
    sentence = cases["sentence"].to_numpy()
    community = adult & (sentence == sentence_codes.index("community_order"))
    suspended = adult & (sentence == sentence_codes.index("suspended_sentence"))
    co, sso = cases[community], cases[suspended]
    parts = [
        pd.DataFrame(
            {
                "person": co["person"],
                "order_type": "community_order",
                "start": co["decision_day"],
                "end": co["decision_day"] + _uniform_days(rng, settings["community_order_days"], len(co)),
                "case": co["case"],
            }
        ),
        pd.DataFrame(
            {
                "person": sso["person"],
                "order_type": "suspended_sentence_order",
                "start": sso["decision_day"],
                "end": sso["decision_day"] + _uniform_days(rng, settings["suspended_order_days"], len(sso)),
                "case": sso["case"],
            }
        ),
    ]
    released = history.custody[history.custody["kind"] == KIND_SENTENCED].merge(
        cases[["case", "decision_day", "custody_days", "charge_day", "remanded"]], on="case"
    )
    release_day = released["end"].to_numpy()
    adult_release = age_years(release_day, birth[released["person"].to_numpy()]) >= 18
    released = released[adult_release]
    release_day = released["end"].to_numpy()
    remand_days = np.where(released["remanded"], released["decision_day"] - released["charge_day"], 0)
    expiry = np.maximum(
        release_day + 1,
        released["decision_day"].to_numpy() + released["custody_days"].to_numpy() - remand_days,
    )
    parts.append(
        pd.DataFrame(
            {
                "person": released["person"],
                "order_type": "licence",
                "start": release_day,
                "end": expiry,
                "case": released["case"],
            }
        )
    )
    pss = (released["custody_days"].to_numpy() < settings["pss_sentence_limit_days"]) & (
        expiry < release_day + settings["pss_total_days"]
    )
    parts.append(
        pd.DataFrame(
            {
                "person": released["person"][pss],
                "order_type": "post_sentence_supervision",
                "start": expiry[pss],
                "end": release_day[pss] + settings["pss_total_days"],
                "case": released["case"][pss],
            }
        )
    )
    orders = pd.concat(parts, ignore_index=True)
    orders.insert(0, "order", np.arange(len(orders), dtype=np.int64))

    proven_case = (cases["route"] == ROUTE_CAUTION) | (
        (cases["route"] == ROUTE_COURT) & (cases["outcome"] == codes["court_outcome"].index("convicted"))
    )
    proven = history.offences.merge(cases.loc[proven_case, ["case", "decision_day"]], on="case")
    proven = pd.DataFrame(
        {
            "person": proven["person"],
            "offence_day": proven["offence_day"],
            "proof_day": proven["decision_day"],
        }
    )
    orders = _terminate(orders, proven, params, rng)
    high_risk = orders["order_type"].isin(["licence", "post_sentence_supervision"]).to_numpy()
    orders["provider"] = np.where(high_risk | (rng.random(len(orders)) < 0.3), "nps", "crc")

    breach_cases, breach_offences = _breach_prosecutions(orders, cases, params, rng)
    monitoring = _monitoring(history, cases, released, requirement_mask, params, rng)
    return Supervision(
        orders=orders, monitoring=monitoring, breach_cases=breach_cases, breach_offences=breach_offences
    )


def _breach_prosecutions(
    orders: pd.DataFrame, cases: pd.DataFrame, params: Parameters, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Court cases for breached community and suspended orders (offence group ``breach``)."""
    codes = load_contract().code_lists
    groups = codes["offence_group"]
    settings = params.section("supervision")
    sent = params.section("sentencing")
    breached = orders[
        (orders["termination"] == "revoked_breach")
        & orders["order_type"].isin(["community_order", "suspended_sentence_order"])
    ]
    breached = breached[rng.random(len(breached)) < settings["breach_prosecuted"]]
    n = len(breached)
    end = breached["end"].to_numpy()
    start = breached["start"].to_numpy()
    offence_day = np.maximum(start + 1, end - rng.integers(14, 61, n))
    weights = np.array(sent["adult_weights"]["breach"], dtype=float)
    adult_map = np.array([codes["sentence_type"].index(t) for t in sent["adult_types"]])
    sentence = adult_map[rng.choice(len(weights), size=n, p=weights / weights.sum())]
    first_case = int(cases["case"].max()) + 1 if len(cases) else 0
    case_ids = first_case + np.arange(n, dtype=np.int64)
    breach = groups.index("breach")
    new_cases = pd.DataFrame(
        {
            "case": case_ids,
            "person": breached["person"].to_numpy(),
            "first_day": offence_day,
            "charge_day": offence_day,
            "decision_day": end,
            "lead_group": breach,
            "route": ROUTE_COURT,
            "youth": False,
            "outcome": codes["court_outcome"].index("convicted"),
            "sentence": sentence,
            "custody_days": 0,
            "remanded": False,
            "crown": False,
            "priors": 0,
        }
    )
    new_offences = pd.DataFrame(
        {
            "person": breached["person"].to_numpy(),
            "case": case_ids,
            "offence_day": offence_day,
            "group": breach,
        }
    )
    return new_cases, new_offences


def _monitoring(
    history: JusticeHistory,
    cases: pd.DataFrame,
    released: pd.DataFrame,
    requirement_mask: np.ndarray,
    params: Parameters,
    rng: np.random.Generator,
) -> pd.DataFrame:
    codes = load_contract().code_lists
    requirements = codes["requirements"]
    settings = params.section("supervision")
    parts = []
    for requirement, kind in (
        ("curfew_em", "curfew_rf"),
        ("gps_em", "gps_location"),
        ("aamr", "alcohol_aamr"),
    ):
        has = (requirement_mask >> requirements.index(requirement)) & 1 == 1
        chosen = cases[has]
        parts.append(
            pd.DataFrame(
                {
                    "person": chosen["person"],
                    "monitoring_type": kind,
                    "start": chosen["decision_day"] + rng.integers(0, 4, len(chosen)),
                    "source_order": "court",
                }
            )
        )
    n = len(released)
    draw = rng.random(n)
    curfew = draw < settings["licence_curfew_share"]
    gps = ~curfew & (draw < settings["licence_curfew_share"] + settings["licence_gps_share"])
    for mask, kind in ((curfew, "curfew_rf"), (gps, "gps_location")):
        parts.append(
            pd.DataFrame(
                {
                    "person": released["person"][mask],
                    "monitoring_type": kind,
                    "start": released["end"][mask],
                    "source_order": "licence",
                }
            )
        )
    remand_base = params.by_group(params.section("disposal")["remand_base"])
    bail = (
        (cases["route"] == ROUTE_COURT)
        & ~cases["remanded"]
        & (remand_base[cases["lead_group"].to_numpy()] >= 0.1)
    ).to_numpy()
    bail &= rng.random(len(cases)) < params.section("disposal")["bail_em_share"]
    bailed = cases[bail & (cases["decision_day"] > cases["charge_day"] + 1).to_numpy()]
    bail_kind = np.where(rng.random(len(bailed)) < 0.7, "curfew_rf", "gps_location")
    parts.append(
        pd.DataFrame(
            {
                "person": bailed["person"],
                "monitoring_type": bail_kind,
                "start": bailed["charge_day"] + 1,
                "end_fixed": bailed["decision_day"],
                "source_order": "bail",
            }
        )
    )
    monitoring = pd.concat(parts, ignore_index=True)
    n = len(monitoring)
    kinds = monitoring["monitoring_type"].to_numpy()
    length = np.zeros(n, dtype=np.int64)
    mean = np.zeros(n)
    for kind_name, bounds in settings["em_days"].items():
        is_kind = kinds == kind_name
        length[is_kind] = _uniform_days(rng, bounds, int(is_kind.sum()))
        mean[is_kind] = settings["violations_mean"][kind_name]
    start = monitoring["start"].to_numpy().astype(np.int64)
    fixed = monitoring["end_fixed"].to_numpy()
    end = np.where(np.isnan(fixed.astype(float)), start + length, np.nan_to_num(fixed.astype(float))).astype(
        np.int64
    )
    monitoring["end"] = end
    monitoring["violations"] = rng.poisson(mean * (end - start) / 90.0)
    return monitoring.drop(columns="end_fixed")
