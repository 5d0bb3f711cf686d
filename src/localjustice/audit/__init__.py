"""The audit log: who saw or changed what, when and why; append-only and hash-chained."""

from localjustice.audit.chain import (
    AuditTampered,
    ChainReport,
    record_event,
    seal_pending,
    verify_chain,
)
from localjustice.audit.models import AuditEvent

__all__ = ["AuditEvent", "AuditTampered", "ChainReport", "record_event", "seal_pending",
           "verify_chain"]
