"""The official measures by name: what the CLI, the report and the dashboard can ask for."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from localjustice.errors import LocalJusticeError
from localjustice.measures import (
    community_sentences,
    disproportionality,
    electronic_monitoring,
    proven_reoffending,
    repeat_victimisation,
    women_short_sentences,
    youth_custody,
)
from localjustice.measures.disclosure import publish_measure
from localjustice.measures.period import Period, parse_period
from localjustice.measures.tables import MeasureResult, PublishedMeasure
from localjustice.warehouse import Warehouse

_MODULES: tuple[ModuleType, ...] = (
    proven_reoffending,
    repeat_victimisation,
    youth_custody,
    women_short_sentences,
    community_sentences,
    electronic_monitoring,
    disproportionality,
)


@dataclass(frozen=True)
class MeasureSpec:
    name: str
    title: str
    methodology: str
    compute: Callable[..., MeasureResult]


MEASURES: dict[str, MeasureSpec] = {
    m.NAME: MeasureSpec(m.NAME, m.TITLE, m.METHODOLOGY, m.compute) for m in _MODULES
}


_ONS_CODE = re.compile(r"[EWSN]\d{8}")


class UnknownMeasureError(LocalJusticeError):
    """A measure name that is not one of ours."""


def measure_names() -> list[str]:
    return list(MEASURES)


def measure_spec(name: str) -> MeasureSpec:
    key = name.strip().lower().replace("-", "_")
    if key not in MEASURES:
        raise UnknownMeasureError(
            f"No measure called {name!r}. Measures: {', '.join(MEASURES)}.")
    return MEASURES[key]


def compute_measure(warehouse: Warehouse, name: str, period: Period | str, *,
                    borough: str | None = None, cohort: str | None = None) -> MeasureResult:
    """Raw figures of one measure (never publish these as they are: see ``published_measure``).

    ``cohort`` narrows proven reoffending to ``adult``, ``juvenile`` or ``young_adult``.
    """
    spec = measure_spec(name)
    chosen = parse_period(period) if isinstance(period, str) else period
    if borough is not None and not _ONS_CODE.fullmatch(borough):
        raise LocalJusticeError(f"Borough {borough!r} is not an ONS code such as E09000007.")
    if cohort is None:
        return spec.compute(warehouse, chosen, borough=borough)
    if spec.name != "proven_reoffending":
        raise LocalJusticeError("Only proven_reoffending can be narrowed to a cohort.")
    return spec.compute(warehouse, chosen, borough=borough, cohort=cohort)


def published_measure(warehouse: Warehouse, name: str, period: Period | str, *,
                      borough: str | None = None, cohort: str | None = None,
                      unsuppressed: bool = False) -> PublishedMeasure:
    """A measure with disclosure control applied (raw only when ``unsuppressed``, and marked)."""
    return publish_measure(compute_measure(warehouse, name, period, borough=borough, cohort=cohort),
                           unsuppressed=unsuppressed)
