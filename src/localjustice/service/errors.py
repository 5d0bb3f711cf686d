"""Failures of the case service a user can act on; each message says what to do next.

Messages never carry personal values: they name records by id and fields by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localjustice.access import PurposeInvalid, PurposeRequired
from localjustice.errors import LocalJusticeError

#: Viewing a case needs a reason for access (``localjustice.access``); re-exported for callers.
__all__ = ["CaseServiceError", "InvalidInput", "InvalidTransition", "NotAllowed", "NotFound",
           "PurposeInvalid", "PurposeRequired", "StaleEdit"]


class CaseServiceError(LocalJusticeError):
    """Base of every case-service failure."""


class NotFound(CaseServiceError):
    """The record does not exist, or the actor may not know that it exists."""

    def __init__(self, kind: str, record_id: object) -> None:
        super().__init__(f"No {kind} {record_id} that you can see. Check the reference and your team.")
        self.kind = kind
        self.record_id = record_id


class NotAllowed(CaseServiceError):
    """The actor's role or teams do not allow this."""


class InvalidInput(CaseServiceError):
    """Input failed validation; ``errors`` maps each field to a message a person can act on."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        listed = "; ".join(f"{field}: {message}" for field, message in self.errors.items())
        super().__init__(f"Check your answers: {listed}")


class StaleEdit(CaseServiceError):
    """Someone else saved this record after you opened it; nothing of yours was saved over theirs.

    ``attempted`` holds what you tried to save and ``current_version`` the version now stored, so a
    page can show both and you can re-apply your change: nothing is lost.
    """

    def __init__(self, kind: str, record_id: object, *, attempted: Mapping[str, Any] | None = None,
                 current_version: int | None = None) -> None:
        super().__init__(
            f"This {kind} ({record_id}) was changed by someone else after you opened it, so your "
            "changes were not saved. Your changes are kept below: review the latest version and "
            "save again."
        )
        self.kind = kind
        self.record_id = record_id
        self.attempted = dict(attempted or {})
        self.current_version = current_version


class InvalidTransition(CaseServiceError):
    """A status change that the record's life cycle does not allow."""
