"""A fresh, empty analysis zone per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.measures.zone import Zone
from tests.measures.zone import zone as make_zone


@pytest.fixture
def zone() -> Iterator[Zone]:
    yield from make_zone()
