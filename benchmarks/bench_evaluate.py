"""One evaluation of 1,000 participants against a comparison pool of 500,000 (issue 14's target:
under 30 s on 2 cores).

The people are drawn with selection on risk, as a pilot's participants are: the more previous
offences and the younger, the likelier to take part; the outcome depends on the same variables
and on taking part (a true reduction of 5 points). Covariates as the programme evaluations use
them: age, sex, adult or youth, ethnicity (5 groups), borough (33), counts of previous offences,
convictions and custodial sentences, years since the first offence, index offence group (11) and
previous breaches; exact matching on sex and adult/youth. Prints the time of each stage (score,
match, balance, estimate) as measured inside one run and the estimate against the truth.
Run: ``.venv/bin/python benchmarks/bench_evaluate.py [--pool 500000] [--treated 1000]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from localjustice.evaluate import MatchingSpec, evaluate_frame

TRUE_EFFECT = -0.05


def people(pool: int, treated: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = pool * 2
    age = rng.integers(14, 70, n)
    previous = rng.poisson(np.clip(6 - age / 12, 0.3, None) * 1.5)
    frame = pd.DataFrame({
        "age": age, "sex": rng.choice(["F", "M"], n, p=[0.15, 0.85]),
        "youth": (age < 18).astype(int),
        "ethnicity": rng.choice(["asian", "black", "mixed", "other", "white"], n,
                                p=[0.15, 0.15, 0.05, 0.05, 0.6]),
        "borough": rng.integers(0, 33, n).astype(str),
        "previous_offences": previous,
        "previous_convictions": rng.binomial(previous, 0.6),
        "previous_custody": rng.binomial(previous, 0.15),
        "years_since_first": rng.exponential(6, n).round(1),
        "index_offence": rng.integers(0, 11, n).astype(str),
        "previous_breaches": rng.poisson(0.3, n),
    })
    risk = -6.5 + 0.15 * frame.previous_offences - 0.02 * frame.age + 0.3 * frame.previous_custody
    join = rng.random(n) < 1 / (1 + np.exp(-risk))
    chosen_t = rng.choice(np.flatnonzero(join), treated, replace=False)
    chosen_c = rng.choice(np.flatnonzero(~join), pool, replace=False)
    frame = frame.iloc[np.concatenate([chosen_t, chosen_c])].reset_index(drop=True)
    frame["treat"] = np.r_[np.ones(treated, dtype=int), np.zeros(pool, dtype=int)]
    base = 1 / (1 + np.exp(-(-1.2 + 0.12 * frame.previous_offences - 0.015 * frame.age)))
    frame["reoffended"] = (rng.random(len(frame)) < base + TRUE_EFFECT * frame.treat).astype(int)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", type=int, default=500_000)
    parser.add_argument("--treated", type=int, default=1_000)
    args = parser.parse_args()
    data = people(args.pool, args.treated)
    covariates = ["age", "ethnicity", "borough", "previous_offences", "previous_convictions",
                  "previous_custody", "years_since_first", "index_offence", "previous_breaches"]
    started = time.perf_counter()
    cpu = time.process_time()
    result = evaluate_frame(data, treatment="treat", outcomes=["reoffended"],
                            covariates=covariates, spec=MatchingSpec(exact=("sex", "youth")))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    e = result.estimates[0]
    print(f"{args.treated:,} participants against {args.pool:,}: {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU (target under 30 s)")
    print(f"matched {result.sample.matched_treated:,} to {result.sample.matched_controls:,}; "
          f"worst |SMD| after {result.balance.worst_after:.3f}; "
          f"effect {e.estimate:+.3f} (95% CI {e.ci_lower:+.3f} to {e.ci_upper:+.3f}), "
          f"true {TRUE_EFFECT:+.3f}, naive {e.naive_difference:+.3f}")


if __name__ == "__main__":
    main()
