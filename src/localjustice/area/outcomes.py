"""An area's outcome measures as its board reads them: ``outcomes.toml`` in the area's folder.

Which way is better for each measure, the baseline a change is measured from, and the
comparators the area's agreement gives (for London, the justice devolution MoU of March 2018,
e.g. youth reoffending 47.5% in London against 42.6% for England and Wales). Kept as data with
their source, so the dashboard cites what it compares against and a new area brings its own.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from localjustice.errors import LocalJusticeError

#: "lower": a fall is better; "higher": a rise is; "nearer_one": a ratio where 1 is parity.
DIRECTIONS = ("lower", "higher", "nearer_one")


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Reference:
    """A figure to compare with: a baseline or a comparator, with where it comes from."""

    value: float
    label: str
    source: Source


@dataclass(frozen=True)
class Outcome:
    measure: str
    cohort: str
    title: str
    better: str
    #: ``None``: the change is measured from the first final period published
    baseline: Reference | None
    comparators: tuple[Reference, ...]


def _reference(raw: Any, sources: dict[str, Source], where: str) -> Reference:
    if not isinstance(raw, dict) or not isinstance(raw.get("value"), int | float):
        raise LocalJusticeError(f"outcomes.toml, {where}: needs a numeric value.")
    source = sources.get(str(raw.get("source")))
    if source is None:
        raise LocalJusticeError(f"outcomes.toml, {where}: source {raw.get('source')!r} is not one "
                                f"of the [sources] ({', '.join(sources)}).")
    return Reference(float(raw["value"]), str(raw.get("label", "")), source)


@cache
def load_outcomes(slug: str = "london") -> tuple[Outcome, ...]:
    """The area's outcomes in the order its dashboard shows them (none when it has no file)."""
    path = resources.files("localjustice.area") / "data" / slug / "outcomes.toml"
    if not path.is_file():
        return ()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    sources = {key: Source(str(v["title"]), str(v["url"])) for key, v in raw.get("sources", {}).items()}
    out: list[Outcome] = []
    for i, item in enumerate(raw.get("outcome", []), start=1):
        where = f"outcome {i} ({item.get('measure', '?')})"
        if item.get("better") not in DIRECTIONS:
            raise LocalJusticeError(f"outcomes.toml, {where}: better must be one of "
                                    f"{', '.join(DIRECTIONS)}, not {item.get('better')!r}.")
        baseline = item.get("baseline")
        out.append(Outcome(
            measure=str(item["measure"]), cohort=str(item.get("cohort", "all")),
            title=str(item["title"]), better=str(item["better"]),
            baseline=None if baseline is None else _reference(baseline, sources, where),
            comparators=tuple(_reference(c, sources, f"{where} comparator")
                              for c in item.get("comparators", []))))
    return tuple(out)
