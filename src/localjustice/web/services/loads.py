"""Data loads: every batch with its row conservation and what it changed, why rows were held back,
and the quarantined rows still waiting for their partner's correction.

Built only from ``ingest.warehouse_status`` and the size of the linkage review queue: counts,
rules and reasons, never a row's values, so the page is safe for roles without access to the
identity zone. The rows themselves are on the data steward's quarantine page (``quarantine``).
"""

from __future__ import annotations

from pydantic import BaseModel

from localjustice.contract import load_contract
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
    #: a rejected file: the delivery that later loaded the same file; empty while none has
    loaded_later_in: str = ""


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
#: Batches on one page of the loads page (newest first: a steward looks at the latest delivery).
BATCH_PAGE_SIZE = 50


class LoadsView(BaseModel):
    #: one page of the batches (of ``partner`` when one is chosen), newest first
    batches: list[Batch]
    batches_total: int
    batches_page: int
    batches_pages: int
    batches_page_size: int
    #: open items on one page
    page_size: int
    #: every batch, whatever the partner chosen (none: nothing has been loaded)
    batches_in_warehouse: int
    #: the partners the contract names, the values ``partner`` may take
    partners: list[str]
    reasons: list[Reason]
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    #: rows identical to their record's current version, so not stored again
    rows_unchanged: int
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


def _pages(total: int, size: int, page: int) -> tuple[int, int]:
    """(pages, the page asked for within them): past the last page shows the last."""
    pages = max(1, -(-total // size))
    return pages, min(page, pages)


def loads_view(gate: WarehouseGate, *, partner: str = "", page: int = 1,
               batches_page: int = 1) -> LoadsView:
    """The loads page. The totals are the whole warehouse's; ``partner`` (as the contract names
    the partner that sends an extract) narrows the batches, the reasons and the open items."""
    with gate.open() as warehouse:
        state = warehouse_status(warehouse)
        review_waiting = review_queue_size(warehouse)
    payload = state.as_json()
    batches = [Batch.model_validate(b) for b in payload["batches"]]
    partner_of = {f.name: f.partner for f in load_contract().files.values()}
    # the contract's spelling of the partner asked for, whatever its case
    partner = next((p for p in partner_of.values() if p.casefold() == partner.casefold()), partner)
    shown = [b for b in reversed(batches) if not partner or partner_of.get(b.source) == partner]
    batches_pages, batches_page = _pages(len(shown), BATCH_PAGE_SIZE, batches_page)
    chosen = [OpenItem.model_validate(i) for i in payload["open_quarantine"]
              if not partner or i["partner"] == partner]
    pages, page = _pages(len(chosen), OPEN_PAGE_SIZE, page)
    return LoadsView(
        batches=shown[(batches_page - 1) * BATCH_PAGE_SIZE: batches_page * BATCH_PAGE_SIZE],
        batches_total=len(shown),
        batches_page=batches_page,
        batches_pages=batches_pages,
        batches_page_size=BATCH_PAGE_SIZE,
        page_size=OPEN_PAGE_SIZE,
        batches_in_warehouse=len(batches),
        partners=sorted(set(partner_of.values())),
        reasons=[Reason.model_validate(r) for r in payload["reasons"]
                 if not partner or partner_of.get(r["source"]) == partner],
        rows_read=sum(b.rows_read for b in batches),
        rows_loaded=sum(b.rows_loaded for b in batches),
        rows_quarantined=sum(b.rows_quarantined for b in batches),
        rows_unchanged=sum(b.rows_unchanged for b in batches),
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
