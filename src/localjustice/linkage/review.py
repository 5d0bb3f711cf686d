"""Clerical review: uncertain pairs go to a data steward, whose decision beats the model.

Each run puts the pairs it is least sure of (match probability in the review band, see
``LinkageOptions``) into ``linkage.review_queue``, closest to the threshold first. A steward's
decision (same person / not the same person) is stored with who made it and when, in
``linkage.review_decision``, which no run ever clears. On every later run the latest decision
for a pair overrides the model: "same" adds the link whatever the score, "not same" removes it.
Decisions name source persons (units), not variants, so they hold when a delivery adds a new
variant of either person.

"Not same" removes the direct link only: if the two are still joined through other confident
links they stay one person (not yet flagged by the run; the steward reviews those links too).

This view shows names and dates of birth; it is for stewards in the restricted zone only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from localjustice.errors import LocalJusticeError
from localjustice.linkage.store import (
    RECORD_TABLE,
    REVIEW_DECISION_TABLE,
    REVIEW_QUEUE_TABLE,
    UNIT_PERSON_TABLE,
    count_of,
    ensure_linkage_layout,
)
from localjustice.warehouse import Warehouse

#: Latest decision per pair, the one that counts.
LATEST_DECISIONS_SQL = f"""
    SELECT unit_id_l, unit_id_r, arg_max(same_person, decided_at) AS same_person
    FROM {REVIEW_DECISION_TABLE} GROUP BY unit_id_l, unit_id_r
"""

#: Identity fields shown to the steward, in display order.
REVIEW_FIELDS = ("source", "forename", "surname", "date_of_birth", "sex", "postcode", "pnc_id")


@dataclass(frozen=True)
class ReviewPair:
    """One queued pair with each side's identity variants, for a side-by-side view."""

    unit_id_l: str
    unit_id_r: str
    match_probability: float
    match_weight: float | None
    left: list[dict[str, Any]]
    right: list[dict[str, Any]]


def refresh_review_queue(
    con: duckdb.DuckDBPyConnection, run_id: str, pairs: str, floor: float, ceiling: float
) -> int:
    """Replace the queue with undecided pairs of ``pairs`` whose probability is in the band."""
    con.execute(f"DELETE FROM {REVIEW_QUEUE_TABLE}")
    con.execute(f"""
        INSERT INTO {REVIEW_QUEUE_TABLE}
        SELECT p.unit_id_l, p.unit_id_r, p.match_probability, p.match_weight, '{run_id}'
        FROM {pairs} AS p
        WHERE p.match_probability >= {floor} AND p.match_probability < {ceiling}
          AND NOT EXISTS (SELECT 1 FROM {REVIEW_DECISION_TABLE} AS d
                          WHERE d.unit_id_l = p.unit_id_l AND d.unit_id_r = p.unit_id_r)
    """)
    return count_of(con, f"SELECT count(*) FROM {REVIEW_QUEUE_TABLE}")


def _sides(con: duckdb.DuckDBPyConnection, unit_id: str) -> list[dict[str, Any]]:
    rows = con.execute(f"""
        SELECT source, forename_std, surname_std, dob, sex, postcode, pnc_id
        FROM {RECORD_TABLE} WHERE unit_id = ? ORDER BY unique_id
    """, [unit_id]).fetchall()
    return [dict(zip(REVIEW_FIELDS, row, strict=True)) for row in rows]


def review_queue(warehouse: Warehouse, *, limit: int = 20) -> list[ReviewPair]:
    """The next pairs to review, nearest the decision threshold (probability 0.5) first."""
    con = warehouse.connection
    ensure_linkage_layout(con)
    queued = con.execute(f"""
        SELECT unit_id_l, unit_id_r, match_probability, match_weight FROM {REVIEW_QUEUE_TABLE}
        ORDER BY abs(match_probability - 0.5), unit_id_l, unit_id_r LIMIT ?
    """, [limit]).fetchall()
    return [
        ReviewPair(unit_id_l=left, unit_id_r=right, match_probability=float(prob),
                   match_weight=None if weight is None else float(weight),
                   left=_sides(con, left), right=_sides(con, right))
        for left, right, prob, weight in queued
    ]


def record_decision(
    warehouse: Warehouse,
    unit_id_a: str,
    unit_id_b: str,
    *,
    same_person: bool,
    reviewer: str,
    decided_at: datetime | None = None,
) -> None:
    """Store a steward's decision on a pair of source persons and take it off the queue.

    It takes effect on the next ``link`` run and on every run after it.
    """
    if not reviewer.strip():
        raise LocalJusticeError("A review decision needs the reviewer's name (--reviewer).")
    if unit_id_a == unit_id_b:
        raise LocalJusticeError("A pair needs two different source persons.")
    left, right = sorted((unit_id_a, unit_id_b))
    con = warehouse.connection
    ensure_linkage_layout(con)
    known = con.execute(
        f"SELECT count(*) FROM {UNIT_PERSON_TABLE} WHERE unit_id IN (?, ?)", [left, right]
    ).fetchall()[0][0]
    if known < 2:
        raise LocalJusticeError("One of the pair is not a linked source person. "
                                "Run `localjustice link` first and review pairs from its queue.")
    with warehouse.transaction() as tx:
        tx.execute(f"INSERT INTO {REVIEW_DECISION_TABLE} VALUES (?, ?, ?, ?, ?)",
                   [left, right, same_person, reviewer.strip(), decided_at or datetime.now()])
        tx.execute(f"DELETE FROM {REVIEW_QUEUE_TABLE} WHERE unit_id_l = ? AND unit_id_r = ?",
                   [left, right])


def decision_count(warehouse: Warehouse) -> int:
    con = warehouse.connection
    ensure_linkage_layout(con)
    return count_of(con, f"SELECT count(*) FROM ({LATEST_DECISIONS_SQL})")
