"""Prices restated at another year's prices with the GDP deflator series kept as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from localjustice.finance.costs import (
    CostError,
    convert,
    financial_year,
    load_deflator,
    load_unit_costs,
    per_unit,
    unit_cost,
)


def test_conversion_is_the_ratio_of_the_deflators() -> None:
    index = load_deflator().index
    assert convert(1000.0, "2016-17", "2023-24") == pytest.approx(1000 * 100.0 / index["2016-17"])
    assert convert(1000.0, "2023-24", "2023-24") == 1000.0
    # There and back again is the same money.
    assert convert(convert(500.0, "2010-11", "2021-22"), "2021-22", "2010-11") == pytest.approx(500)


def test_a_prison_place_per_year_is_a_365th_a_night() -> None:
    place = unit_cost("prison_place")
    assert per_unit(place, "night", "2016-17") == pytest.approx(38042 / 365)


def test_every_unit_cost_says_its_source_price_year_and_whether_verified() -> None:
    for cost in load_unit_costs().values():
        assert cost.source and cost.price_year in load_deflator().index
        assert isinstance(cost.verified, bool)


def test_calendar_year_is_read_as_the_financial_year_it_begins() -> None:
    assert financial_year("2017") == "2017-18"
    with pytest.raises(CostError):
        financial_year("2017-19")
    with pytest.raises(CostError):
        convert(1.0, "1950-51", "2023-24")


def test_each_deflator_value_carries_its_own_verified_flag(tmp_path: Path) -> None:
    """A series is verified only when every value is: one checked value does not vouch for the
    rest, and a bare number (no flag) is refused."""
    path = tmp_path / "deflators.toml"
    path.write_text('source = "test"\nbase = "2023-24"\n[index]\n'
                    '"2022-23" = { value = 94.0, verified = true }\n'
                    '"2023-24" = { value = 100.0, verified = false }\n', encoding="utf-8")
    series = load_deflator(path)
    assert series.unverified == ("2023-24",) and not series.verified
    assert series.factor("2022-23", "2023-24") == pytest.approx(100 / 94)
    bare = tmp_path / "bare.toml"
    bare.write_text('source = "test"\nbase = "2023-24"\n[index]\n"2023-24" = 100.0\n',
                    encoding="utf-8")
    with pytest.raises(CostError, match="verified"):
        load_deflator(bare)
    # The shipped series was typed from memory: every value is flagged until replaced.
    shipped = load_deflator()
    assert set(shipped.unverified) == set(shipped.index) and "replace" in shipped.note
