"""Programmes as data (``programmes.toml``): what each pilot is, who is eligible, what is matched.

Loaded once and checked: every programme names a known index event, its matching and exact
variables are columns of the evaluation cohort, and its eligibility filters are parsed (sqlglot)
and may use only those columns, literals, comparisons and AND/OR/NOT/BETWEEN/IN, so a programme
file cannot carry arbitrary SQL into the warehouse.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import expressions as exp

from localjustice.errors import LocalJusticeError

#: What can start a follow-up (see ``cohort.INDEX_EVENTS`` for each one's SQL).
INDEX_EVENT_NAMES = ("release", "community_sentence", "court_or_caution")

#: Columns of the evaluation cohort that filters and matching may name (``cohort.py``).
COHORT_COLUMNS = (
    "age_at_index", "sex", "adult", "ethnicity", "borough_code", "previous_offences",
    "previous_convictions", "previous_custody", "years_since_first_offence", "index_offence",
    "index_disposal", "previous_breaches",
)

_ALLOWED = (exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.And, exp.Or,
            exp.Not, exp.Paren, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between,
            exp.In, exp.Is, exp.Neg, exp.Tuple)


@dataclass(frozen=True)
class Programme:
    code: str
    name: str
    commissioner: str
    index_event: str
    joins_within_days: int
    eligibility: tuple[str, ...]
    matching: tuple[str, ...]
    exact: tuple[str, ...]
    ratio: int = 1
    caliper: float | None = 0.2

    @property
    def eligibility_sql(self) -> str:
        return " AND ".join(f"({f})" for f in self.eligibility) or "TRUE"


def check_filter(code: str, text: str) -> str:
    """The filter as SQL both engines read, or a clear error naming what is not allowed."""
    try:
        tree = sqlglot.parse_one(text)
    except sqlglot.errors.ParseError:
        raise LocalJusticeError(f"Programme {code}: the filter {text!r} is not a condition.") from None
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            raise LocalJusticeError(
                f"Programme {code}: the filter {text!r} uses {node.key.upper()}, which a "
                "filter may not; use comparisons, BETWEEN, IN, AND, OR and NOT.")
        if isinstance(node, exp.Column) and node.name not in COHORT_COLUMNS:
            raise LocalJusticeError(
                f"Programme {code}: the filter {text!r} names {node.name!r}, which is not a "
                f"cohort column ({', '.join(COHORT_COLUMNS)}).")
    return tree.sql(dialect="duckdb")


def _programme(code: str, raw: dict[str, Any]) -> Programme:
    try:
        index_event = str(raw["index_event"])
        programme = Programme(
            code=code, name=str(raw["name"]), commissioner=str(raw["commissioner"]),
            index_event=index_event, joins_within_days=int(raw["joins_within_days"]),
            eligibility=tuple(check_filter(code, str(f)) for f in raw.get("eligibility", [])),
            matching=tuple(str(v) for v in raw["matching"]),
            exact=tuple(str(v) for v in raw.get("exact", [])),
            ratio=int(raw.get("ratio", 1)),
            caliper=None if raw.get("caliper") == "none" else float(raw.get("caliper", 0.2)))
    except KeyError as missing:
        raise LocalJusticeError(f"Programme {code} has no {missing.args[0]!r}.") from None
    if index_event not in INDEX_EVENT_NAMES:
        raise LocalJusticeError(f"Programme {code}: no index event {index_event!r}; choose one "
                                f"of {', '.join(INDEX_EVENT_NAMES)}.")
    unknown = [v for v in (*programme.matching, *programme.exact) if v not in COHORT_COLUMNS]
    if unknown:
        raise LocalJusticeError(f"Programme {code}: {', '.join(unknown)} not cohort columns "
                                f"({', '.join(COHORT_COLUMNS)}).")
    if programme.joins_within_days < 0:
        raise LocalJusticeError(f"Programme {code}: joins_within_days must be 0 or more.")
    return programme


def parse_programmes(text: str) -> dict[str, Programme]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LocalJusticeError(f"The programmes file is not valid TOML: {exc}") from None
    return {code: _programme(code, spec) for code, spec in raw.get("programmes", {}).items()}


@cache
def load_programmes(path: Path | None = None) -> dict[str, Programme]:
    """The deployment's programmes (the packaged London file unless ``path`` is given)."""
    text = (path.read_text(encoding="utf-8") if path is not None else
            (resources.files("localjustice.evaluate") / "programmes.toml").read_text("utf-8"))
    return parse_programmes(text)


def programme(code: str) -> Programme:
    known = load_programmes()
    if code not in known:
        raise LocalJusticeError(f"No programme {code!r}. Programmes: {', '.join(known)}.")
    return known[code]
