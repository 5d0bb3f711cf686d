"""Area reference data: London's 33 authorities and its establishments, and room for another area."""

from __future__ import annotations

import pytest

from localjustice.area import UnknownAreaError, available_areas, load_area


def test_london_has_its_33_local_authorities_with_ons_codes() -> None:
    london = load_area("london")
    codes = sorted(la.code for la in london.local_authorities)
    assert codes == [f"E090000{n:02d}" for n in range(1, 34)]
    assert london.establishment("PVI").in_area
    names = {la.code: la.name for la in london.local_authorities}
    assert names["E09000012"] == "Hackney" and names["E09000001"] == "City of London"


@pytest.mark.parametrize(("code", "inside"), [
    ("PVI", True), ("BXI", True), ("WWI", True), ("WSI", True), ("BMI", True), ("ISI", True),
    ("TSI", True), ("FMI", True), ("BZI", False), ("DWI", False), ("CKI", False), ("WYI", False),
])
def test_establishments_know_whether_they_are_in_london(code: str, inside: bool) -> None:
    assert load_area().establishment(code).in_area is inside


def test_the_youth_estate_includes_places_inside_and_outside_london() -> None:
    youth = [e for e in load_area().establishments if e.holds_children]
    assert any(e.in_area for e in youth) and sum(not e.in_area for e in youth) >= 3


def test_an_unknown_area_names_the_known_ones() -> None:
    assert "london" in available_areas()
    with pytest.raises(UnknownAreaError, match="london"):
        load_area("atlantis")


def test_londons_tile_map_has_one_square_per_borough_and_keeps_neighbours_beside_each_other() -> None:
    london = load_area("london")
    tiles = {t.code: t for t in london.tiles}
    assert set(tiles) == london.authority_codes
    assert len({(t.column, t.row) for t in london.tiles}) == 33
    names = {la.name: la.code for la in london.local_authorities}
    city, westminster, hillingdon, havering = (tiles[names[n]] for n in (
        "City of London", "Westminster", "Hillingdon", "Havering"))
    assert (city.row, city.column - westminster.column) == (westminster.row, 1)  # side by side
    assert hillingdon.column < city.column < havering.column  # west to east


def test_a_tile_map_missing_a_borough_or_sharing_a_square_is_refused() -> None:
    from dataclasses import replace

    from localjustice.area.reference import _tile_problems

    london = load_area("london")
    first, second, *rest = london.tiles
    assert _tile_problems(replace(london, tiles=(first, *rest))) == [
        f"tile map lacks {second.code}"]
    shared = replace(second, column=first.column, row=first.row)
    assert _tile_problems(replace(london, tiles=(first, shared, *rest))) == [
        "tile map puts two authorities on one square"]
