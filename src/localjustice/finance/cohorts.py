"""The finance cohorts as data (``cohorts.toml``): women, young adults (18-25), under-18s and
everyone, each a SQL predicate over an event's recorded age and the person's sex."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

COHORTS_FILE = Path(__file__).with_name("cohorts.toml")


@dataclass(frozen=True)
class Cohort:
    name: str
    label: str
    sex: str | None = None
    min_age: int | None = None
    max_age: int | None = None

    def predicate_sql(self, age: str, sex: str) -> str:
        """SQL true for an event of this cohort (``age`` at the event, the person's ``sex``)."""
        parts = []
        if self.sex is not None:
            parts.append(f"{sex} = '{self.sex}'")
        if self.min_age is not None:
            parts.append(f"{age} >= {self.min_age}")
        if self.max_age is not None:
            parts.append(f"{age} <= {self.max_age}")
        return " AND ".join(parts) or "TRUE"


@cache
def load_cohorts() -> dict[str, Cohort]:
    raw = tomllib.loads(COHORTS_FILE.read_text(encoding="utf-8"))["cohorts"]
    return {name: Cohort(name=name, label=entry["label"], sex=entry.get("sex"),
                         min_age=entry.get("min_age"), max_age=entry.get("max_age"))
            for name, entry in raw.items()}


def cohort_names() -> tuple[str, ...]:
    return tuple(load_cohorts())


def cohorts_sql(chosen: tuple[str, ...] | None = None) -> str:
    """The cohorts as an inline table ``cohort(cohort)`` to cross join with events."""
    names = chosen or cohort_names()
    return f"(VALUES {', '.join(f'({chr(39)}{n}{chr(39)})' for n in names)}) AS cohort(cohort)"


def cohort_match_sql(age: str, sex: str, chosen: tuple[str, ...] | None = None) -> str:
    """SQL true when the event (``age``, ``sex``) belongs to the joined ``cohort.cohort``."""
    cohorts = load_cohorts()
    names = chosen or tuple(cohorts)
    branches = " ".join(f"WHEN cohort.cohort = '{n}' THEN ({cohorts[n].predicate_sql(age, sex)})"
                        for n in names)
    return f"(CASE {branches} ELSE FALSE END)"
