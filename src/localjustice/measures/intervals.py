"""95% confidence intervals for the published figures, from published counts only.

- A proportion (a reoffending rate, a share of sentences): the Wilson score interval (E. B.
  Wilson, "Probable inference, the law of succession, and statistical inference", JASA 22, 1927),
  chosen over the normal approximation because it keeps its coverage for small bases and for
  rates near 0 or 100%, and never leaves [0, 100] (Brown, Cai and DasGupta, "Interval estimation
  for a binomial proportion", Statistical Science 16, 2001).
- A rate per unit (violations per monitoring order): the exact Poisson interval for the count
  (Garwood, 1936), divided by the base.
- A Relative Rate Index: the measure's own interval (``disproportionality``: Katz's log method).

Intervals are computed from cells that disclosure control has let through; a suppressed count
has no interval, so an interval can never give a suppressed figure away.
"""

from __future__ import annotations

import math

#: The two-sided 95% point of the standard normal distribution.
Z_95 = 1.959964


def wilson_interval(successes: int, trials: int, *, scale: float = 100.0,
                    z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for ``successes`` out of ``trials``, times ``scale`` (100: percent).

    ``None`` with no trials or counts that cannot be a proportion.
    """
    if trials <= 0 or not 0 <= successes <= trials:
        return None
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return max(0.0, centre - half) * scale, min(1.0, centre + half) * scale


def poisson_rate_interval(events: int, exposure: int) -> tuple[float, float] | None:
    """Exact (Garwood) interval for ``events`` over ``exposure`` units: the chi-squared quantiles
    of 2k and 2k + 2 degrees of freedom, halved, over the exposure."""
    if exposure <= 0 or events < 0:
        return None
    from scipy.stats import chi2

    low = 0.0 if events == 0 else float(chi2.ppf(0.025, 2 * events)) / 2
    high = float(chi2.ppf(0.975, 2 * events + 2)) / 2
    return low / exposure, high / exposure
