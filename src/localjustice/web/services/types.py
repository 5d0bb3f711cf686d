"""Field types shared by the pages' models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


#: Times are stored as naive UTC; the API states the offset, as RFC 3339 requires.
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
