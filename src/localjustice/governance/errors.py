"""Errors a person can act on, each saying what to do."""

from __future__ import annotations

from localjustice.errors import LocalJusticeError


class GovernanceError(LocalJusticeError):
    """A governance action that cannot be done as asked."""


class NotFound(GovernanceError):
    """No such commitment or pack (or none the caller may see)."""


class NotAllowed(GovernanceError):
    """The caller may not do this (not the named lead, the pack's drafter approving, ...)."""


class Conflict(GovernanceError):
    """Someone else changed the record since the form was opened."""


class Invalid(GovernanceError):
    """A form's values are wrong; ``errors`` maps each field to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
