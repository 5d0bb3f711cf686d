"""The JDL's standard sentences, worked by hand from given estimates."""

from __future__ import annotations

from dataclasses import replace

from localjustice.evaluate import Estimate
from localjustice.evaluate.statements import days_statement, frequency_statement, rate_statement

BASE = Estimate(outcome="reoffended", kind="rate", treated_mean=0.312, comparison_mean=0.402,
                estimate=-0.09, standard_error=0.02, ci_lower=-0.1292, ci_upper=-0.0508,
                p_value=0.0001, naive_difference=0.05, matched_treated=500, significant=True,
                number_needed=None, e_value=1.9, e_value_ci=1.5, adjusted=False)


def test_a_significant_reduction_reads_as_the_jdl_writes_it() -> None:
    s = rate_statement(BASE)
    assert s.typical == (
        "For 100 typical people in the treatment group, the equivalent of: 31 of the 100 people "
        "committed a proven reoffence within a one-year period (a rate of 31%), 9 people fewer "
        "than in the comparison group.")
    assert s.estimate == (
        "For 100 typical people who receive support, compared with 100 similar people who do "
        "not, the number who commit a proven reoffence within one year could be lower by "
        "between 5 and 13 people. This is a statistically significant result.")


def test_a_result_that_is_not_significant_gives_both_directions_and_the_number_needed() -> None:
    e = replace(BASE, treated_mean=0.38, estimate=-0.022, ci_lower=-0.061, ci_upper=0.017,
                p_value=0.27, significant=False, number_needed=1580)
    s = rate_statement(e)
    assert "2 people fewer than in the comparison group" in s.typical
    assert ("could be lower by as many as 6 people, or higher by as many as 2 people. More people "
            "would need to be available for analysis") in s.estimate
    assert "About 1,580 participants would be needed" in s.estimate
    assert not s.significant


def test_a_significant_increase_is_said_as_higher() -> None:
    e = replace(BASE, treated_mean=0.50, estimate=0.098, ci_lower=0.06, ci_upper=0.136)
    s = rate_statement(e)
    assert "10 people more than in the comparison group" in s.typical
    assert "could be higher by between 6 and 14 people" in s.estimate


def test_frequency_and_days_are_rounded_as_the_jdl_rounds_them() -> None:
    f = frequency_statement(replace(BASE, outcome="reoffences", kind="mean", treated_mean=1.2345,
                                    estimate=-0.4, ci_lower=-0.7, ci_upper=-0.1))
    assert f.typical == ("123 proven reoffences were committed by these 100 people during the "
                         "year (a frequency of 1.23 offences per person).")
    assert f.estimate == (
        "For 100 typical people who receive support, compared with 100 similar people who do "
        "not, the number of proven reoffences committed during the year could be lower by "
        "between 10 and 70 offences. This is a statistically significant result.")
    d = days_statement(replace(BASE, outcome="days", kind="mean", treated_mean=151.6,
                               estimate=12.0, ci_lower=-8.4, ci_upper=32.5, significant=False))
    assert d.typical.startswith("152 days was the average time")
    assert "as many as 8 days less, or as many as 33 days longer" in d.estimate
