"""Fixtures for the publication tests: a warehouse file with a small made-up analysis zone."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.measures.zone import CAMDEN, HACKNEY, Zone


def _populate(zone: Zone) -> None:
    rng = random.Random(7)
    for i in range(400):
        pid = zone.person(f"P{i}", year_of_birth=rng.randint(1960, 2004),
                          sex=rng.choice("MMMF"), ethnicity=rng.choice(["W1", "B1", "A1", "M1"]),
                          borough_code=rng.choice([CAMDEN, HACKNEY]))
        first = date(2018, 1, 1) + timedelta(days=rng.randint(0, 360))
        if rng.random() < 0.3:
            zone.caution(pid, first)
        else:
            zone.conviction(pid, first, sentence_type=rng.choice(
                ["fine", "community_order", "suspended_sentence", "immediate_custody"]),
                custody_days=200, requirements=["unpaid_work"])
        if rng.random() < 0.3:
            zone.caution(pid, first + timedelta(days=rng.randint(10, 300)))


@pytest.fixture
def populated(tmp_path: Path) -> Iterator[Path]:
    """A warehouse file with a populated analysis zone."""
    zone = Zone()
    _populate(zone)
    path = tmp_path / "data" / "warehouse.duckdb"
    path.parent.mkdir(parents=True)
    zone.warehouse.connection.execute(f"ATTACH '{path}' AS f")
    zone.warehouse.connection.execute("COPY FROM DATABASE memory TO f")
    zone.warehouse.connection.execute("DETACH f")
    zone.warehouse.close()
    yield tmp_path / "data"
