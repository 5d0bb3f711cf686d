"""Clerical review: uncertain pairs go to a data steward, whose decision beats the model.

Each run puts the pairs it is least sure of (match probability in the review band, see
``LinkageOptions``) into ``linkage.review_queue``, closest to the threshold first. A steward's
decision (same person / not the same person) is stored with who made it and when, in
``linkage.review_decision``, which no run ever clears. The queue is the run's pairs less those
decided since: a decision is one appended row, and takes its pair off the queue without
rewriting it (Spark's tables cannot delete a row; a run never queues a decided pair again). On
every later run the latest decision for a pair overrides the model: "same" adds the link whatever
the score, "not same" removes it. Decisions name source persons (units), not variants, so they
hold when a delivery adds a new variant of either person.

A decision is taken only on a pair the queue holds (issue 10 finding 6): the queue is what the
model put before a steward, so a form naming any other two people cannot merge them. Linking two
source persons the queue does not offer is a separate act, ``record_manual_link``: it needs a
stated reason, is kept apart (``linkage.manual_link``) with who and when, and is applied on every
later run like a "same person" decision; the latest of a pair's decisions and manual links wins.

A practitioner who sees two linked records on a person's journey and knows they are not the same
person flags the pair (``flag_pair``): it joins the queue at once, with its score, and is kept in
``linkage.flagged_pair`` so every later run queues it again, whatever its score, until a steward
decides it. A pair decided before the flag stays decided (the flag is kept, and audited by the
caller).

"Not same" removes the direct link only: if the two are still joined through other confident
links they stay one person (not yet flagged by the run; the steward reviews those links too).

This view shows names and dates of birth; it is for stewards in the restricted zone only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from localjustice.errors import LocalJusticeError
from localjustice.linkage.store import (
    FLAGGED_PAIR_TABLE,
    MANUAL_LINK_TABLE,
    PAIR_TABLE,
    RECORD_TABLE,
    REVIEW_DECISION_TABLE,
    REVIEW_QUEUE_TABLE,
    UNIT_PERSON_TABLE,
    count_of,
    ensure_linkage_layout,
)
from localjustice.warehouse import Warehouse

#: Latest decision per pair, the one that counts: a manual link is a "same person" decision.
LATEST_DECISIONS_SQL = f"""
    SELECT unit_id_l, unit_id_r, max_by(same_person, decided_at) AS same_person
    FROM (SELECT unit_id_l, unit_id_r, same_person, decided_at FROM {REVIEW_DECISION_TABLE}
          UNION ALL
          SELECT unit_id_l, unit_id_r, true, linked_at FROM {MANUAL_LINK_TABLE}) AS decided
    GROUP BY unit_id_l, unit_id_r
"""
#: The queue as a steward sees it: the last run's queued pairs that no one has decided since.
_OPEN_QUEUE_SQL = f"""
    SELECT q.unit_id_l, q.unit_id_r, q.match_probability, q.match_weight, q.run_id
    FROM {REVIEW_QUEUE_TABLE} AS q
    WHERE NOT EXISTS (SELECT 1 FROM {REVIEW_DECISION_TABLE} AS d
                      WHERE d.unit_id_l = q.unit_id_l AND d.unit_id_r = q.unit_id_r)
"""
#: The longest stated reason kept for a manual link.
REASON_MAX = 1000


class PairNotQueued(LocalJusticeError):
    """A decision named a pair the review queue does not hold; nothing was stored."""


class ManualLinkRefused(LocalJusticeError):
    """A manual link cannot be made as asked; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ManualLink:
    """Two source persons linked by a steward outside the queue, and why."""

    unit_id_l: str
    unit_id_r: str
    reason: str
    linked_by: str
    linked_at: datetime

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
    warehouse: Warehouse, run_id: str, pairs: str, floor: float, ceiling: float
) -> int:
    """Replace the queue with undecided pairs of ``pairs`` whose probability is in the band, and
    the undecided pairs practitioners flagged (``flag_pair``), whatever their probability.

    ``pairs`` must not be the queue itself (the queue is rewritten whole)."""
    warehouse.create_table(REVIEW_QUEUE_TABLE, f"""
        SELECT p.unit_id_l, p.unit_id_r, p.match_probability, p.match_weight,
               '{run_id.replace("'", "''")}' AS run_id
        FROM {pairs} AS p
        WHERE ((p.match_probability >= {float(floor)!r} AND p.match_probability < {float(ceiling)!r})
               OR EXISTS (SELECT 1 FROM {FLAGGED_PAIR_TABLE} AS f
                          WHERE f.unit_id_l = p.unit_id_l AND f.unit_id_r = p.unit_id_r))
          AND NOT EXISTS (SELECT 1 FROM ({LATEST_DECISIONS_SQL}) AS d
                          WHERE d.unit_id_l = p.unit_id_l AND d.unit_id_r = p.unit_id_r)
    """, step="linkage: review queue")
    return count_of(warehouse, f"SELECT count(*) FROM {REVIEW_QUEUE_TABLE}")


def _sides(warehouse: Warehouse, unit_id: str) -> list[dict[str, Any]]:
    rows = warehouse.execute(f"""
        SELECT source, forename_std, surname_std, dob, sex, postcode, pnc_id
        FROM {RECORD_TABLE} WHERE unit_id = ? ORDER BY unique_id
    """, [unit_id]).fetchall()
    return [dict(zip(REVIEW_FIELDS, row, strict=True)) for row in rows]


def review_queue(warehouse: Warehouse, *, limit: int = 20) -> list[ReviewPair]:
    """The next pairs to review, nearest the decision threshold (probability 0.5) first.

    Only reads, so a read-only warehouse will do; before any run there is no queue.
    """
    if not warehouse.has_table(REVIEW_QUEUE_TABLE):
        return []
    queued = warehouse.execute(f"""
        SELECT unit_id_l, unit_id_r, match_probability, match_weight FROM ({_OPEN_QUEUE_SQL}) AS q
        ORDER BY abs(match_probability - 0.5), unit_id_l, unit_id_r LIMIT {int(limit)}
    """).fetchall()
    return [
        ReviewPair(unit_id_l=left, unit_id_r=right, match_probability=float(prob),
                   match_weight=None if weight is None else float(weight),
                   left=_sides(warehouse, left), right=_sides(warehouse, right))
        for left, right, prob, weight in queued
    ]


def review_queue_size(warehouse: Warehouse) -> int:
    """How many pairs wait in the review queue (0 before any run): a count, no identities."""
    if not warehouse.has_table(REVIEW_QUEUE_TABLE):
        return 0
    return count_of(warehouse, f"SELECT count(*) FROM ({_OPEN_QUEUE_SQL}) AS q")


def record_decision(
    warehouse: Warehouse,
    unit_id_a: str,
    unit_id_b: str,
    *,
    same_person: bool,
    reviewer: str,
    decided_at: datetime | None = None,
) -> None:
    """Store a steward's decision on a queued pair of source persons and take it off the queue.

    It takes effect on the next ``link`` run and on every run after it. A pair the queue does not
    hold raises ``PairNotQueued`` and stores nothing: use ``record_manual_link`` for those.
    """
    if not reviewer.strip():
        raise LocalJusticeError("A review decision needs the reviewer's name (--reviewer).")
    if unit_id_a == unit_id_b:
        raise LocalJusticeError("A pair needs two different source persons.")
    left, right = sorted((unit_id_a, unit_id_b))
    ensure_linkage_layout(warehouse)
    if not _queued(warehouse, left, right):
        raise PairNotQueued(
            "That pair is not in the review queue, so no decision was stored. Decide only the "
            "pairs the queue shows (this one may have been decided already, or a later linkage "
            "run replaced the queue). To link two records the queue does not offer, make a manual "
            "link with a reason.")
    # one appended row, which also takes the pair off the queue (``_OPEN_QUEUE_SQL``)
    warehouse.insert_rows(REVIEW_DECISION_TABLE, [
        (left, right, same_person, reviewer.strip(), decided_at or datetime.now())])


def _queued(warehouse: Warehouse, left: str, right: str) -> bool:
    return count_of(warehouse, f"SELECT count(*) FROM ({_OPEN_QUEUE_SQL}) AS q "
                               "WHERE unit_id_l = ? AND unit_id_r = ?", [left, right]) > 0


def record_manual_link(
    warehouse: Warehouse,
    unit_id_a: str,
    unit_id_b: str,
    *,
    reason: str,
    linked_by: str,
    linked_at: datetime | None = None,
) -> ManualLink:
    """Link two source persons the review queue does not offer, with the steward's reason.

    Stored apart from queue decisions, with who and when, and applied on the next ``link`` run
    and every run after it, like a "same person" decision. Refused (``ManualLinkRefused``,
    nothing stored) without a reason, for a source person linkage does not know, for a pair the
    queue holds (decide it there) and for two already in one person.
    """
    why = " ".join(reason.split())
    if not why:
        raise ManualLinkRefused("Enter the reason for linking these records", field="reason")
    if len(why) > REASON_MAX:
        raise ManualLinkRefused(f"The reason must be {REASON_MAX} characters or fewer",
                                field="reason")
    if not linked_by.strip():
        raise ManualLinkRefused("A manual link needs the name of who makes it (--by).")
    if unit_id_a == unit_id_b:
        raise ManualLinkRefused("Record B must be a different record from record A",
                                field="unit_id_b")
    ensure_linkage_layout(warehouse)
    persons = dict(warehouse.execute(
        f"SELECT unit_id, person_id FROM {UNIT_PERSON_TABLE} WHERE unit_id IN (?, ?)",
        [unit_id_a, unit_id_b]).fetchall())
    for unit_id, field, name in ((unit_id_a, "unit_id_a", "A"), (unit_id_b, "unit_id_b", "B")):
        if unit_id not in persons:
            raise ManualLinkRefused(
                f"Record {name} is not a source person the last linkage run knows: enter its "
                "source and the source's person id, as in court_outcomes:CO-123", field=field)
    left, right = sorted((unit_id_a, unit_id_b))
    if _queued(warehouse, left, right):
        raise ManualLinkRefused("These two records are a pair in the review queue: decide them "
                                "there instead")
    if persons[unit_id_a] == persons[unit_id_b]:
        raise ManualLinkRefused("These records are already one person: there is nothing to link")
    link = ManualLink(unit_id_l=left, unit_id_r=right, reason=why, linked_by=linked_by.strip(),
                      linked_at=linked_at or datetime.now())
    warehouse.insert_rows(MANUAL_LINK_TABLE, [
        (link.unit_id_l, link.unit_id_r, link.reason, link.linked_by, link.linked_at)])
    return link


def flag_pair(warehouse: Warehouse, unit_id_a: str, unit_id_b: str, *, flagged_by: str,
              flagged_at: datetime | None = None) -> bool:
    """A practitioner's report that two linked source persons are not the same person: kept, and
    the pair put into the review queue with its score unless it is queued or decided already.
    Whether it joined the queue now. Only a scored pair (``linkage.pair``) can be flagged."""
    if not flagged_by.strip() or unit_id_a == unit_id_b:
        raise LocalJusticeError("A flag names who raises it and two different records.")
    left, right = sorted((unit_id_a, unit_id_b))
    ensure_linkage_layout(warehouse)
    scored = warehouse.execute(f"SELECT match_probability, match_weight FROM {PAIR_TABLE} "
                               "WHERE unit_id_l = ? AND unit_id_r = ?", [left, right]).fetchone()
    if scored is None:
        raise LocalJusticeError("Those two records are not a scored pair of the last linkage run.")
    with warehouse.transaction() as tx:
        tx.insert_rows(FLAGGED_PAIR_TABLE, [(left, right, flagged_by.strip(),
                                             flagged_at or datetime.now())])
        decided = count_of(tx, f"SELECT count(*) FROM {REVIEW_DECISION_TABLE} "
                               "WHERE unit_id_l = ? AND unit_id_r = ?", [left, right]) > 0
        if decided or _queued(tx, left, right):
            return False
        tx.insert_rows(REVIEW_QUEUE_TABLE, [(left, right, scored[0], scored[1], "practitioner_flag")])
    return True


def manual_links(warehouse: Warehouse, *, limit: int = 20) -> list[ManualLink]:
    """The latest manual links, newest first (read-only)."""
    if not warehouse.has_table(MANUAL_LINK_TABLE):
        return []
    rows = warehouse.execute(
        f"SELECT unit_id_l, unit_id_r, reason, linked_by, linked_at FROM {MANUAL_LINK_TABLE} "
        f"ORDER BY linked_at DESC, unit_id_l, unit_id_r LIMIT {int(limit)}").fetchall()
    return [ManualLink(*row) for row in rows]


def decision_count(warehouse: Warehouse) -> int:
    """Pairs whose latest decision (or manual link) overrides the model (read-only)."""
    if not warehouse.has_table(MANUAL_LINK_TABLE):
        return 0
    return count_of(warehouse, f"SELECT count(*) FROM ({LATEST_DECISIONS_SQL}) AS d")
