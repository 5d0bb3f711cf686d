"""Official outcome measures of the MoU, computed from the analysis zone only, set-wise.

One module per measure (``proven_reoffending``, ``repeat_victimisation``, ``youth_custody``,
``women_short_sentences``, ``community_sentences``, ``electronic_monitoring``,
``disproportionality``), each a pipeline of named SQL steps; ``disclosure`` applies the
publication rules to every table. Others import only what is named here.
"""

from localjustice.measures.disclosure import (
    MIN_RATE_BASE,
    publish_measure,
    publish_table,
    rate_marker,
    suppressed_cells,
)
from localjustice.measures.period import BadPeriodError, Period, parse_period
from localjustice.measures.registry import (
    MEASURES,
    MeasureSpec,
    UnknownMeasureError,
    compute_measure,
    measure_names,
    measure_spec,
    published_measure,
)
from localjustice.measures.tables import (
    LEGEND,
    LOW_BASE,
    NOT_APPLICABLE,
    SUPPRESSED,
    UNSUPPRESSED_NOTICE,
    HeadlineCell,
    MeasureResult,
    MeasureTable,
    PublishedMeasure,
    PublishedTable,
)

__all__ = [
    "LEGEND",
    "LOW_BASE",
    "MEASURES",
    "MIN_RATE_BASE",
    "NOT_APPLICABLE",
    "SUPPRESSED",
    "UNSUPPRESSED_NOTICE",
    "BadPeriodError",
    "HeadlineCell",
    "MeasureResult",
    "MeasureSpec",
    "MeasureTable",
    "Period",
    "PublishedMeasure",
    "PublishedTable",
    "UnknownMeasureError",
    "compute_measure",
    "measure_names",
    "measure_spec",
    "parse_period",
    "publish_measure",
    "publish_table",
    "published_measure",
    "rate_marker",
    "suppressed_cells",
]
