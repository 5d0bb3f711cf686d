"""Data loads: every batch with its row conservation and what it changed, why rows were held back,
and the quarantined rows still waiting for their partner's correction.

Built only from ``ingest.warehouse_status`` and the size of the linkage review queue: counts,
rules and reasons, never a row's values, so the page is safe for roles without access to the
identity zone. The rows themselves are on the data steward's quarantine page (``quarantine``).
"""

from __future__ import annotations

from pydantic import BaseModel

from localjustice.ingest import warehouse_status
from localjustice.linkage import review_queue_size
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
    #: None: the file was rejected whole, so there are no rows to account for
    conserved: bool | None
    loaded_at: str
    partner: str
    extract_date: str
    mode: str
    rows_new: int
    rows_changed: int
    rows_unchanged: int
    rows_withdrawn: int
    rows_resolved: int
    rows_older: int


class Reason(BaseModel):
    kind: str
    source: str
    column: str
    rule: str
    reason: str
    rows: int


class OpenItem(BaseModel):
    partner: str
    source: str
    delivery: str
    file_name: str
    row_number: int
    rules: str
    reasons: str
    batch_id: str
    sent: int = 1


class OpenPartner(BaseModel):
    partner: str
    rows: int


#: Open quarantine items on one page of the loads page.
OPEN_PAGE_SIZE = 50


class LoadsView(BaseModel):
    batches: list[Batch]
    reasons: list[Reason]
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    all_conserved: bool
    open_by_partner: list[OpenPartner]
    #: one page of the open items (of ``partner`` when one is chosen)
    open_items: list[OpenItem]
    open_total: int
    resolved_total: int
    partner: str
    page: int
    pages: int
    #: linkage pairs waiting in the review queue for a data steward (a count, no identities)
    review_waiting: int


def loads_view(gate: WarehouseGate, *, partner: str = "", page: int = 1) -> LoadsView:
    with gate.open() as warehouse:
        state = warehouse_status(warehouse)
        review_waiting = review_queue_size(warehouse)
    payload = state.as_json()
    batches = [Batch.model_validate(b) for b in payload["batches"]]
    chosen = [OpenItem.model_validate(i) for i in payload["open_quarantine"]
              if not partner or i["partner"] == partner]
    pages = max(1, -(-len(chosen) // OPEN_PAGE_SIZE))
    page = min(page, pages)
    return LoadsView(
        batches=batches,
        reasons=[Reason.model_validate(r) for r in payload["reasons"]],
        rows_read=sum(b.rows_read for b in batches),
        rows_loaded=sum(b.rows_loaded for b in batches),
        rows_quarantined=sum(b.rows_quarantined for b in batches),
        all_conserved=all(b.conserved is not False for b in batches),
        open_by_partner=[OpenPartner(partner=k, rows=v)
                         for k, v in sorted(state.open_by_partner().items())],
        open_items=chosen[(page - 1) * OPEN_PAGE_SIZE: page * OPEN_PAGE_SIZE],
        open_total=len(chosen),
        resolved_total=state.resolved_items,
        partner=partner,
        page=page,
        pages=pages,
        review_waiting=review_waiting,
    )
