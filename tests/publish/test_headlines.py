"""Headlines: better or worse in words, only when the baseline lies outside the 95% interval."""

from __future__ import annotations

from typing import Any

from localjustice.area import Outcome, Reference, Source, load_outcomes
from localjustice.publish.headlines import (
    BETTER,
    NO_CLEAR_CHANGE,
    NOT_YET,
    WITHHELD,
    WORSE,
    headline,
    verdict,
)

LONDON = "E12000007"
MOU = Source("the MoU", "https://example.org/mou")


def _measure(*observations: tuple[str, float | None, float | None, float | None],
             provisional: tuple[str, ...] = (), unit: str = "percent") -> dict[str, Any]:
    return {"id": "m", "unit": unit, "provisional": {p: "Provisional: later" for p in provisional},
            "observations": [{"period": p, "borough": LONDON, "cohort": "all", "value": v, "low": lo,
                              "high": hi, "numerator": None, "denominator": None,
                              "suppressed": v is None} for p, v, lo, hi in observations]}


def _outcome(better: str = "lower", baseline: float | None = None,
             comparators: tuple[Reference, ...] = ()) -> Outcome:
    return Outcome("m", "all", "An outcome", better,
                   None if baseline is None else Reference(baseline, "the MoU's figure", MOU), comparators)


def test_verdict_follows_the_direction_of_better_and_the_interval() -> None:
    assert verdict(20.0, 18.0, 22.0, 24.0, "lower") == BETTER
    assert verdict(20.0, 18.0, 22.0, 24.0, "higher") == WORSE
    assert verdict(20.0, 17.0, 25.0, 24.0, "lower") == NO_CLEAR_CHANGE  # 24 inside the interval
    assert verdict(1.2, 1.1, 1.3, 1.5, "nearer_one") == BETTER
    assert verdict(0.6, 0.5, 0.7, 1.5, "nearer_one") == WORSE  # |ln 0.6| > |ln 1.5|


def test_the_headline_is_the_latest_final_figure_never_a_provisional_one() -> None:
    measure = _measure(("2018 Q1", 20.0, 18.0, 22.0), ("2018 Q2", 10.0, 8.0, 12.0),
                       provisional=("2018 Q2",))
    found = headline(_outcome(baseline=24.0), measure, LONDON)
    assert found["latest"]["period"] == "2018 Q1" and found["latest"]["value"] == 20.0
    assert found["verdict"] == BETTER
    assert found["change"] == "down 4.0 percentage points from 24.0%"
    assert found["baseline"]["url"] == "https://example.org/mou"


def test_without_a_stated_baseline_the_first_final_period_is_the_baseline() -> None:
    measure = _measure(("2017 Q1", 30.0, 28.0, 32.0), ("2018 Q1", 35.0, 33.0, 37.0))
    found = headline(_outcome(), measure, LONDON)
    assert found["baseline"]["label"].startswith("2017 Q1")
    assert (found["verdict"], found["change"]) == (WORSE, "up 5.0 percentage points from 30.0%")


def test_a_comparator_is_compared_in_words_with_its_source() -> None:
    comparator = Reference(42.6, "England and Wales", MOU)
    measure = _measure(("2018 Q1", 47.5, 45.0, 50.0))
    found = headline(_outcome(baseline=47.5, comparators=(comparator,)), measure, LONDON)
    assert found["comparators"][0]["comparison"] == "47.5% is higher than 42.6%"
    assert found["comparators"][0]["source"] == "the MoU"


def test_withheld_and_unpublished_headlines_say_which() -> None:
    assert headline(_outcome(), _measure(("2018 Q1", None, None, None)), LONDON)["verdict"] == WITHHELD
    assert headline(_outcome(), _measure(("2018 Q1", 20.0, 18.0, 22.0), provisional=("2018 Q1",)),
                    LONDON)["verdict"] == NOT_YET


def test_londons_outcomes_cite_the_mou_for_every_stated_figure() -> None:
    outcomes = load_outcomes("london")
    youth = next(o for o in outcomes if o.cohort == "juvenile")
    assert youth.baseline is not None and youth.baseline.value == 47.5
    assert [c.value for c in youth.comparators] == [42.6]
    for o in outcomes:
        for ref in (*([o.baseline] if o.baseline else []), *o.comparators):
            assert ref.source.url.startswith("https://"), o


def test_a_withheld_headline_still_gives_its_comparator() -> None:
    comparator = Reference(42.6, "England and Wales", MOU)
    found = headline(_outcome(baseline=47.5, comparators=(comparator,)),
                     _measure(("2018 Q1", None, None, None)), LONDON)
    assert found["verdict"] == WITHHELD and found["baseline"]["value"] == 47.5
    assert found["comparators"][0]["comparison"] == "42.6%"
