"""Ingestion: validate a delivery against the contract and load it atomically."""

from localjustice.ingest.load import DeliveryResult, FileResult, ingest_delivery
from localjustice.ingest.reading import FileRejected
from localjustice.ingest.status import BatchSummary, WarehouseStatus, warehouse_status

__all__ = [
    "BatchSummary",
    "DeliveryResult",
    "FileRejected",
    "FileResult",
    "WarehouseStatus",
    "ingest_delivery",
    "warehouse_status",
]
