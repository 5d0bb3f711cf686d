"""The generator's own proven reoffending flag (MoJ, Guide to proven reoffending statistics)."""

from __future__ import annotations

import pandas as pd

from localjustice.synth import proven_reoffending as pr


def test_a_person_in_two_cohorts_is_judged_on_each_cohorts_own_follow_up() -> None:
    # Person 1 is in the cohorts of two years; the one proven reoffence follows the first index
    # date only. Person 2 never reoffends.
    members = pd.DataFrame(
        {"person": [1, 2, 1], "index_day": [100, 100, 600], "kind": [pr.INDEX_COURT] * 3}
    )
    proven = pd.DataFrame({"person": [1], "offence_day": [200], "proof_day": [300]})
    flags = pr.reoffended(members, proven, window=365, waiting=183)
    assert flags.tolist() == [True, False, False]


def test_a_reoffence_proven_after_the_waiting_period_does_not_count() -> None:
    members = pd.DataFrame({"person": [1], "index_day": [0], "kind": [pr.INDEX_RELEASE]})
    proven = pd.DataFrame({"person": [1, 1], "offence_day": [300, 400], "proof_day": [600, 410]})
    assert pr.reoffended(members, proven, window=365, waiting=183).tolist() == [False]
