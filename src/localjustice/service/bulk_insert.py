"""Bulk INSERTs that give back the new ids, for the intakes that register many people at once
(``warehouse_intake``, ``incident_registration``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session


def insert_ids(s: Session, model: Any, rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[int]:
    """Insert ``rows`` and return their new ids in row order, in a few batched statements.

    ``RETURNING`` in parameter order makes SQLAlchemy send one statement per row (thousands of
    round trips at the demo's volume); unordered, it batches them. So the rows whose ``key``
    columns are unique among them come back with those columns and are matched by them; any that
    share a key (two people of a team without a date of birth, say) go in the ordered, slower way."""
    keys = [tuple(r[k] for k in key) for r in rows]
    seen: dict[tuple[Any, ...], int] = {}
    for k in keys:
        seen[k] = seen.get(k, 0) + 1
    unique = [i for i, k in enumerate(keys) if seen[k] == 1]
    rest = [i for i, k in enumerate(keys) if seen[k] > 1]
    ids: list[int] = [0] * len(rows)
    if unique:
        columns = [getattr(model, k) for k in key]
        returned = s.execute(insert(model).returning(model.id, *columns), [rows[i] for i in unique]).all()
        by_key = {tuple(r[1:]): int(r[0]) for r in returned}
        for i in unique:
            ids[i] = by_key[keys[i]]
    if rest:
        ordered = s.scalars(insert(model).returning(model.id, sort_by_parameter_order=True),
                            [rows[i] for i in rest]).all()
        for i, new_id in zip(rest, ordered, strict=True):
            ids[i] = int(new_id)
    return ids
