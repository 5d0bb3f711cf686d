"""Data loads: every batch with its row conservation, and why rows were held back, with counts.

Built only from ``ingest.warehouse_status``: counts, rules and reasons, never a row's values, so
the page is safe for roles without access to the identity zone.
"""

from __future__ import annotations

from pydantic import BaseModel

from localjustice.ingest import warehouse_status
from localjustice.web.deps import WarehouseGate


class Batch(BaseModel):
    batch_id: str
    delivery: str
    source: str
    file_name: str
    status: str
    message: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_with_warnings: int
    conserved: bool
    loaded_at: str


class Reason(BaseModel):
    kind: str
    source: str
    column: str
    rule: str
    reason: str
    rows: int


class LoadsView(BaseModel):
    batches: list[Batch]
    reasons: list[Reason]
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    all_conserved: bool


def loads_view(gate: WarehouseGate) -> LoadsView:
    with gate.open() as warehouse:
        state = warehouse_status(warehouse)
    payload = state.as_json()
    batches = [Batch.model_validate(b) for b in payload["batches"]]
    return LoadsView(
        batches=batches,
        reasons=[Reason.model_validate(r) for r in payload["reasons"]],
        rows_read=sum(b.rows_read for b in batches),
        rows_loaded=sum(b.rows_loaded for b in batches),
        rows_quarantined=sum(b.rows_quarantined for b in batches),
        all_conserved=all(b.conserved for b in batches),
    )
