"""The truth resembles London: published MoU figures within stated tolerances.

Tolerances live beside the targets in ``synth/calibration.toml`` (absolute for rates, relative
for counts): overall reoffending +-2.5 points, 18-24 +-3, youth +-5, young adults leaving custody
+-6, cohort size +-10%, recorded crime +-5%, youth in custody +-35%, share of them held outside
London +-8 points, deprivation ratio +-0.4. At the test scale (0.25) the sampling error of each
in one year is well inside its band (e.g. youth reoffending: ~1,000 youths, standard error ~1.6
points), so the bands are the same for each year as for the four years pooled. The window is the
demo's (four years to November 2026), whose years run December to November.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from localjustice.area import load_area
from localjustice.synth import SynthSummary
from localjustice.synth.calendar import TimeFrame, day_number
from localjustice.synth.custody_estate import assign_establishments
from localjustice.synth.parameters import load_parameters
from localjustice.synth.population import build_people, deprivation_fifths
from tests.synth.contract_rules import read_delivery


@pytest.mark.slow
def test_truth_rates_are_within_tolerance_of_their_london_targets(
    calibration_delivery: tuple[Path, SynthSummary],
) -> None:
    out, summary = calibration_delivery
    report = json.loads((out / "truth" / "calibration.json").read_text())["measures"]
    targets = load_parameters().targets
    assert set(targets) <= set(report)
    outside = {name: m for name, m in report.items() if m["within"] is False}
    assert not outside, outside
    assert {name for name, m in summary.calibration.items() if m.within} == set(targets)


@pytest.mark.slow
def test_every_year_of_a_four_year_window_holds_every_target(
    calibration_delivery: tuple[Path, SynthSummary],
) -> None:
    """Not only on average: a drift (an offender pool ageing out, a burn-in too short) would show
    as a first or last year outside its band while the pooled figure stays inside.

    Each year is held to its target's own band, but for the share of young people in custody
    held outside London: it is measured on twelve nights of the year (``calibration_check``), but
    one night holds ~75 children at this scale and long stays count on many nights, so a year is
    held to three binomial standard errors of one night's count (~5.8 points each, against a band
    of 8); the pooled test above keeps the band."""
    out, summary = calibration_delivery
    labels = ["2022-12..2023-11", "2023-12..2024-11", "2024-12..2025-11", "2025-12..2026-11"]
    assert list(summary.calibration_by_year) == labels
    by_year = json.loads((out / "truth" / "calibration.json").read_text())["measures_by_year"]
    assert list(by_year) == labels
    targets = load_parameters().targets
    share = "youth_custody_outside_area_share"
    for label in labels:
        year = by_year[label]
        assert set(targets) <= set(year)
        outside = {name: m for name, m in year.items() if m["within"] is False and name != share}
        assert not outside, (label, outside)
        children, target = year["youth_in_custody"]["value"], targets[share].value
        allowed = max(targets[share].tolerance, 3 * math.sqrt(target * (1 - target) / children))
        assert abs(year[share]["value"] - target) <= allowed, (label, year[share], allowed)
    # counts are per year, so the pooled figure is the mean of the years'
    for name in ("cohort_offenders", "recorded_crimes", "youth_in_custody"):
        mean = np.mean([summary.calibration_by_year[y][name].value for y in labels])
        assert summary.calibration[name].value == pytest.approx(mean)
    table = summary.calibration_table()
    # each year headed by its first month over its last, so four years fit 80 columns
    headers = [str(c.header).replace("\n", " ") for c in table.columns]
    assert headers == ["measure", *(y.replace("..", " ") for y in labels), "all years", "target"]
    assert table.row_count == len(summary.calibration)


@pytest.mark.slow
def test_youth_reoffend_more_than_young_adults_who_reoffend_more_than_all(
    calibration_delivery: tuple[Path, SynthSummary],
) -> None:
    _, summary = calibration_delivery
    c = summary.calibration
    assert c["reoffending_youth"].value > c["reoffending_18_24"].value > c["reoffending_overall"].value
    assert c["reoffending_young_adults_custody"].value > c["reoffending_18_24"].value


def test_young_people_in_custody_are_mostly_held_outside_london() -> None:
    """20,000 youth custody periods, so the share is measured well (MoU: 152 of 290 outside)."""
    area = load_area()
    frame = TimeFrame.ending("2018-12", 1, 6, 2)
    people = build_people(np.random.default_rng(0), load_parameters(), area, frame, 0.01)
    n = 20_000
    snap = day_number(2018, 11, 30)
    young = np.flatnonzero((snap - people.birth_day > 11 * 366) & (snap - people.birth_day < 17 * 365))
    custody = pd.DataFrame(
        {
            "person": young[np.arange(n) % len(young)],
            "case": np.arange(n),
            "start": snap,
            "end": snap + 90,
            "kind": 1,
        }
    )
    placed = assign_establishments(custody, people, area, load_parameters(), np.random.default_rng(1))
    outside = {e.code for e in area.establishments if not e.in_area}
    assert (placed["youth_estate"] != "").all()
    share = placed["establishment"].isin(outside).mean()
    assert 0.5 < share == pytest.approx(152 / 290, abs=0.02)


def test_most_deprived_boroughs_have_about_three_times_the_victimisation(
    clean_delivery: tuple[Path, SynthSummary],
) -> None:
    out, _ = clean_delivery
    victims = read_delivery(out / "delivery")["police_victims"]
    area = load_area()
    codes = np.array([la.code for la in area.local_authorities])
    residents = np.array([la.population for la in area.local_authorities], dtype=float)
    counts = victims["borough_code"].value_counts().reindex(codes, fill_value=0).to_numpy()
    top, bottom = deprivation_fifths(area)
    ratio = (counts[top].sum() / residents[top].sum()) / (counts[bottom].sum() / residents[bottom].sum())
    assert 2.4 <= ratio <= 3.6


def test_some_victims_are_victimised_repeatedly(clean_delivery: tuple[Path, SynthSummary]) -> None:
    out, _ = clean_delivery
    person_map = pd.read_csv(out / "truth" / "person_map.csv", dtype=str)
    victims = read_delivery(out / "delivery")["police_victims"].assign(source="police_victims")
    victims = victims.merge(person_map, on=["source", "source_person_id"])
    per_person = victims.groupby("true_person_id").size()
    assert 0.05 <= (per_person > 1).mean() <= 0.5
