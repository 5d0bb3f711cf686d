"""95% intervals against values worked by hand (and as published in the standard references)."""

from __future__ import annotations

import pytest

from localjustice.measures.intervals import poisson_rate_interval, wilson_interval


def test_wilson_interval_of_24_in_100_matches_the_hand_worked_value() -> None:
    # p = 0.24, z = 1.959964, z^2 = 3.841459, n = 100
    # centre = (0.24 + 3.841459/200) / (1 + 3.841459/100) = 0.259207 / 1.038415 = 0.249618
    # half   = 1.959964 * sqrt(0.24*0.76/100 + 3.841459/40000) / 1.038415
    #        = 1.959964 * sqrt(0.001824 + 0.0000960) / 1.038415 = 1.959964 * 0.043818 / 1.038415
    #        = 0.082704  ->  [0.166914, 0.332322]
    low, high = wilson_interval(24, 100) or (0, 0)
    assert low == pytest.approx(16.6914, abs=1e-3)
    assert high == pytest.approx(33.2322, abs=1e-3)


def test_wilson_interval_with_no_successes_starts_at_zero_and_is_not_empty() -> None:
    # centre = half = (z^2/20) / (1 + z^2/10) = 0.192073 / 1.384146 = 0.138766; upper 0.277532
    low, high = wilson_interval(0, 10) or (1, 1)
    assert low == pytest.approx(0.0, abs=1e-9)
    assert high == pytest.approx(27.7532, abs=1e-3)
    assert wilson_interval(10, 10) == pytest.approx((100 - 27.7532, 100.0), abs=1e-3)  # symmetric


def test_wilson_interval_refuses_what_is_not_a_proportion() -> None:
    assert wilson_interval(1, 0) is None
    assert wilson_interval(5, 4) is None
    assert wilson_interval(-1, 4) is None


def test_exact_poisson_interval_matches_the_tabulated_values() -> None:
    # Garwood (1936): for 0 events the upper limit is -ln(0.025) = 3.6889; for 5 events the limits
    # are 1.6235 and 11.6683 (chi-squared quantiles of 10 and 12 degrees of freedom, halved).
    assert poisson_rate_interval(0, 1) == pytest.approx((0.0, 3.6889), abs=1e-4)
    low, high = poisson_rate_interval(5, 10) or (0, 0)
    assert (low, high) == pytest.approx((0.16235, 1.16683), abs=1e-5)
    assert poisson_rate_interval(3, 0) is None
